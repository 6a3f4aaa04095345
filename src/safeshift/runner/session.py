"""The runner's session: one prepared connection to one database, the runner lock, the history read
through it, and the primitives every step runs statements with.

Everything above it (steps, part-way recovery, migrate and rollback) goes through this one
connection; here it is opened, prepared with the environment's timeouts, locked, watched for
blockers, and replaced after an interrupt broke it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, Self

from safeshift import history
from safeshift.dialects.base import Dialect
from safeshift.engines.base import engine_for
from safeshift.errors import MigrationsError, RunnerBusy
from safeshift.formats.safeshift import MigrationFolder
from safeshift.history import Record
from safeshift.runner.failure import StatementError
from safeshift.runner.interface import EventSink, RunOptions
from safeshift.runner.watcher import LockWatcher
from safeshift.schedule import MigrationStatus, Pending, alone_where_committed, pending, statuses
from safeshift.sections import Migration, SqlStatement
from safeshift.text import redact_url


class Session:
    """One connection to one database, holding the runner lock while it changes it."""

    def __init__(self, dialect: Dialect, url: str, folder: MigrationFolder, options: RunOptions | None = None,
                 on_event: EventSink | None = None, *, read_only: bool = False) -> None:
        self.dialect = dialect
        #: the live side: connections, sessions, the runner lock, error classification
        self.engine = engine_for(dialect)
        #: status and dry runs: look, never create the database
        self.read_only = read_only
        self.url = url
        # a database that commits DDL on its own (MySQL) runs each such statement as a step of its own
        self.folder = folder if dialect.capabilities.transactional_ddl else \
            alone_where_committed(folder, dialect.commits_implicitly)
        self.options = options or RunOptions()
        self.emit: EventSink = on_event or (lambda e: None)
        self.conn: Any = None
        self._watcher: LockWatcher | None = None
        #: commits may skip the disk flush: a later migration of this run commits durably
        self._relaxed = False
        self._who = history.operator()
        #: where the folder's history lives (safeshift's table, or drizzle's for a drizzle folder)
        self.store: history.Store = history.store_for(folder)

    # -- connection ---------------------------------------------------------------------
    def __enter__(self) -> Self:
        self.conn = self.engine.connect(self.url, create=not self.read_only)
        try:
            self._prepare(self.conn)
        except BaseException:
            self.conn.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._watcher is not None:
            self._watcher.close()
        with suppress(Exception):
            self.conn.close()

    def _prepare(self, conn: Any) -> None:
        o = self.options
        self.engine.prepare_session(conn, lock_timeout_ms=o.lock_timeout_ms,
                                     statement_timeout_ms=o.statement_timeout_ms,
                                     lock_wait_ms=int(o.lock_wait_s * 1000))

    @property
    def database(self) -> str:
        return self.dialect.database_name(self.url)

    # -- reading --------------------------------------------------------------------------
    def records(self) -> dict[str, Record]:
        return self.store.read(self.dialect, self.conn)

    def status(self) -> list[MigrationStatus]:
        return statuses(self.folder, self.records())

    def plan(self, to: str | None = None) -> list[Pending]:
        """What migrate would run now; reads the history, writes nothing."""
        self.refuse_atomic()
        return pending(self.folder, self.records(), to=to, allow_out_of_order=self.options.allow_out_of_order)

    def refuse_atomic(self) -> None:
        """--atomic promises all pending migrations or none; a database that commits each DDL statement on its
        own cannot keep that promise, so it is refused before anything is read or changed."""
        if self.options.atomic and not self.dialect.capabilities.transactional_ddl:
            raise MigrationsError(
                f"--atomic cannot be used on {self.database}: {self.dialect.name} commits every DDL statement on its "
                "own and cannot roll it back, so the migrations cannot run as one transaction; run without "
                "--atomic (each statement is then recorded as it commits, and a failure undoes the committed ones "
                "through the down section's `-- safeshift:undoes` blocks).")

    # -- the lock -----------------------------------------------------------------------------
    @contextmanager
    def locked(self) -> Iterator[None]:
        o = self.options
        holder = self.engine.acquire_runner_lock(self.conn, int(o.lock_wait_s * 1000), o.lock_timeout_ms)
        if holder is not None:
            raise self._busy(holder)
        try:
            try:
                self.store.ensure(self.dialect, self.conn)
            except Exception as exc:
                if self.engine.is_runner_busy(exc):
                    raise self._busy("another runner") from exc
                raise
            yield
        finally:
            with suppress(Exception):  # a lost connection has released it already
                self.engine.release_runner_lock(self.conn)

    def _busy(self, holder: str) -> RunnerBusy:
        return RunnerBusy(
            f"Another migration runner holds the lock on {redact_url(self.url)} ({holder}) and did not finish "
            f"within --lock-wait {self.options.lock_wait_s:g} s; wait for it, or raise --lock-wait."
        )

    # -- after an interrupt -------------------------------------------------------------------
    def settle(self) -> bool:
        """After an interrupt anywhere: roll back a transaction it left open and check that the session
        answers; one that does not (lost, or cut off in the middle of sending a query) is replaced, with
        the runner lock taken again.  True when it was replaced (ConnectionFailed if that fails)."""
        self._rollback()
        try:
            self.conn.execute("SELECT 1")
            return False
        except Exception:
            self._reconnect()
            return True

    def _reconnect(self) -> None:
        """A new session after the old one broke, with the runner lock taken again."""
        with suppress(Exception):
            self.conn.close()
        self.conn = self.engine.connect(self.url)
        self._prepare(self.conn)
        o = self.options
        holder = self.engine.acquire_runner_lock(self.conn, int(o.lock_wait_s * 1000), o.lock_timeout_ms)
        if holder is not None:
            raise self._busy(holder)

    # -- running statements -------------------------------------------------------------------
    def _relax_sql(self) -> list[str]:
        sql = self.dialect.relaxed_commit_sql
        return [sql] if self._relaxed and sql else []

    def _statement(self, m: Migration, st: SqlStatement) -> None:
        """Run one statement of a migration; with ``options.observe``, time it and hand it over."""
        observe = self.options.observe
        start = time.perf_counter()
        self._execute(m, st, self._sql(st))
        if observe is not None:
            observe(self.conn, st, (time.perf_counter() - start) * 1000)

    def _sql(self, st: SqlStatement) -> str:
        """The statement as it runs: a lock timeout it sets is capped at the environment's."""
        return self.dialect.cap_lock_timeout(st.sql, self.options.lock_timeout_ms)

    def _execute(self, m: Migration, st: SqlStatement | None, sql: str) -> None:
        watcher = self._watch()
        if watcher is not None:
            watcher.begin()
        try:
            self.conn.execute(sql)
        except Exception as exc:
            raise StatementError(exc, st, list(watcher.seen) if watcher is not None else []) from exc
        finally:
            if watcher is not None:
                watcher.end()

    def _watch(self) -> LockWatcher | None:
        if self._watcher is None and self.dialect.capabilities.advisory_lock:
            pid = self.engine.backend_pid(self.conn)
            if pid is not None:
                self._watcher = LockWatcher(self.dialect, self.url, pid, self.options.lock_timeout_ms)
        return self._watcher

    def _rollback(self) -> None:
        with suppress(Exception):  # a dead connection: the server rolled back already
            self.conn.execute("ROLLBACK")

    def _after(self, conn: Any) -> None:
        with suppress(Exception):  # connection lost; reported by the caller
            self.engine.after_migration(conn)

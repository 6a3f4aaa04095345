"""Apply and roll back migrations on one database with nothing ever half-done.

The runner holds the database's runner lock (PostgreSQL: a session advisory lock; SQLite:
the write lock of each migration's transaction, re-checking the history inside it), runs
each migration's steps (see ``schedule.steps``) in their own transactions with the history
row written in the same transaction, and retries a step that hit ``lock_timeout`` with
backoff.  A watcher thread notes who blocks a waiting statement, so the final failure can
name the blocking session.  What it does is reported as ``Event`` values; formatting is
the caller's job.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Literal

from safeshift import history, sections
from safeshift.dialects.base import Dialect, Statement
from safeshift.engines.base import Blocker, engine_for
from safeshift.errors import (
    ConfirmationRequired,
    ConnectionLost,
    Interrupted,
    LockTimeout,
    MigrationFailed,
    MigrationsError,
    RunnerBusy,
    SafeshiftError,
)
from safeshift.formats import safeshift as migrations
from safeshift.formats.safeshift import MigrationFolder
from safeshift.history import Record
from safeshift.interrupts import shielded
from safeshift.schedule import (
    MigrationStatus,
    Pending,
    Step,
    pending,
    rollback_start,
    rollback_targets,
    statuses,
    steps,
)
from safeshift.sections import Migration, SqlStatement
from safeshift.text import first_line, ms_since, oneline, redact_url, shorten


@dataclass(frozen=True)
class RunOptions:
    """How carefully to run: timeouts, retries and ordering rules."""

    #: how long a second runner waits for the runner lock before giving up
    lock_wait_s: float = 60.0
    #: how long one statement may queue for a table lock (blocking everyone behind it)
    lock_timeout_ms: int = 5000
    statement_timeout_ms: int | None = None
    #: attempts per step when lock_timeout fires
    lock_tries: int = 3
    #: first backoff after a lock timeout; doubles each try
    retry_backoff_s: float = 1.0
    allow_out_of_order: bool = False
    #: all pending migrations in one transaction
    atomic: bool = False
    #: version -> review findings the operator let through (--allow-hazards), kept in the history row
    allowed_hazards: tuple[tuple[str, str], ...] = ()
    #: called after each statement on the runner's connection (inside its transaction, if any) with
    #: the statement and its duration in ms; set, every step runs statement by statement (rehearse)
    observe: Callable[[Any, SqlStatement, float], None] | None = None


EventKind = Literal["plan", "start", "step_start", "step", "retry", "applied", "failed", "rolled_back", "skipped",
                    "note"]


@dataclass(frozen=True)
class Event:
    kind: EventKind
    version: str = ""
    name: str = ""
    duration_ms: int | None = None
    message: str = ""
    step: int | None = None
    steps: int | None = None
    attempt: int | None = None


EventSink = Callable[[Event], None]
#: asked before a protected database changes: (database name, what will run) -> go ahead?
Confirm = Callable[[str, Sequence[Migration]], bool]


@dataclass(frozen=True)
class Applied:
    version: str
    name: str
    duration_ms: int
    lock_retries: int = 0


@dataclass(frozen=True)
class ApplyResult:
    applied: tuple[Applied, ...]
    already: int
    database: str = ""

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(a.version for a in self.applied)

    @property
    def duration_ms(self) -> int:
        return sum(a.duration_ms for a in self.applied)


@dataclass(frozen=True)
class RollbackResult:
    rolled_back: tuple[Applied, ...]
    database: str = ""

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(a.version for a in self.rolled_back)


@dataclass
class _Attempt:
    """Mutable bookkeeping for one step's tries."""

    retries: int = 0
    blockers: list[Blocker] = field(default_factory=list)


class _Watcher:
    """Notes the sessions blocking the runner's statement while it waits for a lock.

    Once the lock times out the blocker may be gone from pg_locks' point of view, so it
    has to be seen while the wait is on: a daemon thread checks, from its own
    connection, whenever a statement has run longer than a third of lock_timeout.
    """

    def __init__(self, dialect: Dialect, url: str, pid: int, lock_timeout_ms: int) -> None:
        self.dialect, self.url, self.pid = dialect, url, pid
        self.engine = engine_for(dialect)
        self.threshold = max(lock_timeout_ms, 30) / 3000
        self.started: float | None = None
        self.seen: list[Blocker] = []
        self._stop = threading.Event()
        self._conn: Any = None
        self._thread = threading.Thread(target=self._run, name="safeshift-lock-watcher", daemon=True)
        self._thread.start()

    def begin(self) -> None:
        self.seen = []
        self.started = time.monotonic()

    def end(self) -> None:
        self.started = None

    def _run(self) -> None:
        while not self._stop.wait(self.threshold / 2):
            started = self.started
            if started is None or time.monotonic() - started < self.threshold:
                continue
            try:
                if self._conn is None:
                    self._conn = self.engine.connect(self.url)
                    self._conn.autocommit = True
                found = self.engine.blocking_sessions(self._conn, self.pid)
            except Exception:  # the watcher only ever adds detail to a message
                continue
            if found and self.started is not None:
                self.seen = found

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        if self._conn is not None:
            with suppress(Exception):
                self._conn.close()


class Runner:
    """One connection to one database, applying or rolling back one migrations folder."""

    def __init__(self, dialect: Dialect, url: str, folder: MigrationFolder, options: RunOptions | None = None,
                 on_event: EventSink | None = None, *, read_only: bool = False) -> None:
        self.dialect = dialect
        #: the live side: connections, sessions, the runner lock, error classification
        self.engine = engine_for(dialect)
        #: status and dry runs: look, never create the database
        self.read_only = read_only
        self.url = url
        self.folder = folder
        self.options = options or RunOptions()
        self.emit: EventSink = on_event or (lambda e: None)
        self.conn: Any = None
        self._watcher: _Watcher | None = None
        #: commits may skip the disk flush: a later migration of this run commits durably
        self._relaxed = False
        self._who = history.operator()
        #: where the folder's history lives (safeshift's table, or drizzle's for a drizzle folder)
        self.store: history.Store = history.store_for(folder)

    # -- connection ---------------------------------------------------------------------
    def __enter__(self) -> Runner:
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
        return pending(self.folder, self.records(), to=to, allow_out_of_order=self.options.allow_out_of_order)

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

    # -- migrate ------------------------------------------------------------------------------
    def migrate(self, to: str | None = None, confirm: Confirm | None = None,
                check: Callable[[Sequence[Pending]], None] | None = None) -> ApplyResult:
        """Apply what is pending (up to ``to``); ``confirm`` is asked once, before anything changes.

        The history is read under the runner lock: read before it, a run that waits for a rollback
        would decide from what the database held before the rollback finished.  ``check`` (review's
        gate) sees the plan decided there, before ``confirm``, and may refuse it.
        """
        # a mistake in the request (an unknown --to, an out-of-order file) is refused before the lock and
        # the history table's creation; what to apply is decided again under the lock
        pending(self.folder, self.records(), to=to, allow_out_of_order=self.options.allow_out_of_order)
        with self.locked():
            records = self.records()
            plan = pending(self.folder, records, to=to, allow_out_of_order=self.options.allow_out_of_order)
            already = sum(1 for r in records.values() if r.status == "applied")
            if not plan:
                return ApplyResult((), already, self.database)
            if check is not None:
                check(plan)
            if confirm is not None and not confirm(self.database, [p.migration for p in plan]):
                raise ConfirmationRequired(f"Nothing was applied to {self.database}: the operator did not confirm.")
            self.emit(Event("plan", message=f"{len(plan)} pending", steps=len(plan)))
            if self.options.atomic:
                try:
                    done = self._apply_atomic(plan)
                except KeyboardInterrupt as exc:
                    with shielded():
                        raise self._atomic_interrupted(plan, exc) from None
            else:
                done = []
                try:
                    for i, p in enumerate(plan):
                        # every migration but the last commits without waiting for the disk; the
                        # last one's durable commit flushes theirs too (so does a failure's record)
                        self._relaxed = i < len(plan) - 1
                        result = self._apply_one(p)
                        if result is not None:
                            done.append(result)
                finally:
                    self._relaxed = False
        return ApplyResult(tuple(done), already, self.database)

    def _apply_one(self, p: Pending) -> Applied | None:
        m = p.migration
        checksum = migrations.checksum(m)
        total = len(p.steps)
        start = time.perf_counter()
        retries = 0
        #: the duration the last history write recorded (a one-round-trip step writes it before it runs)
        recorded = [0]
        self.emit(Event("start", m.version, m.name, step=p.resume_from, steps=total))
        has_record = p.has_record
        i = p.resume_from
        try:
            for i in range(p.resume_from, total):
                step = p.steps[i]
                last = i == total - 1
                status: history.Status = "applied" if last else "running"

                known = has_record or not step.transactional  # a step run alone announced itself first

                def record(conn: Any, status: history.Status = status, i: int = i, known: bool = known) -> None:
                    ms = recorded[0] = ms_since(start)
                    self.store.write(self.dialect, conn, version=m.version, name=m.name, checksum=checksum,
                                     status=status, duration_ms=ms, progress=i + 1, who=self._who, replace=known,
                                     allowed_hazards=dict(self.options.allowed_hazards).get(m.version))

                # a step run alone may have finished just before its runner died (even the first one,
                # after its `running` row): the dialect then sees its result and skips it
                resuming = i == p.resume_from and (i > 0 or p.interrupted)
                self._announce(m, step, i, total)
                outcome = self._run_step(m, step, i, total, record, resuming=resuming)
                if outcome is None:
                    self.emit(Event("skipped", m.version, m.name, message="applied meanwhile by another runner"))
                    return None
                retries += outcome
                has_record = True
                if not step.transactional and not last:
                    self.emit(Event("step", m.version, m.name, step=i + 1, steps=total))
        except KeyboardInterrupt as exc:
            with shielded():
                raise self._interrupted(m, p, i, exc) from None
        ms = ms_since(start)
        if ms - recorded[0] >= _DURATION_SLACK_MS:
            # the one-round-trip step wrote its row before its statements ran: `status` must show the real time
            with suppress(Exception):
                self.store.set_duration(self.dialect, self.conn, m.version, ms)
        self.emit(Event("applied", m.version, m.name, duration_ms=ms, attempt=retries))
        return Applied(m.version, m.name, ms, retries)

    # -- a migration that stops part-way -------------------------------------------------------
    def _settle_failed(self, m: Migration, step: Step, index: int, failure: _StatementError) -> _Undo | None:
        """After an up step failed for good: clean up what the failed step left (an INVALID index of a
        concurrent build) and undo the steps before it that had committed, so the database is where the
        migration started.  None when the connection is gone (the server rolled back the open step)."""
        if self.engine.is_connection_lost(failure.exc, self.conn):
            return None
        if not step.transactional:
            with suppress(Exception):  # best effort: the retry drops a leftover too
                self.engine.clean_failed_step(self.conn, step.statements[0].sql)
        return self._undo_committed(m, index) if index > 0 else None

    def _undo_committed(self, m: Migration, committed: int) -> _Undo:
        """Run the down section's ``-- safeshift:undoes`` blocks of the first ``committed`` up steps, newest
        first, recording progress as a rollback does (so `safeshift rollback` can finish it if this fails)."""
        first = sections.undo_start(m, committed)
        if first is None:
            return _Undo(committed, attempted=False)
        down = steps(m.down_statements)
        total = len(down)
        self.emit(Event("note", m.version, m.name, message=f"undoing the {committed} committed step(s) of {m.label}"))
        self.store.write(self.dialect, self.conn, version=m.version, name=m.name, checksum=migrations.checksum(m),
                         status="rolling_back", duration_ms=0, progress=first, who=self._who)
        for j in range(first, total):
            try:
                self._run_step(m, down[j], j, total, self._down_recorder(m, j, total), resuming=False, down=True)
            except MigrationFailed as exc:
                return _Undo(committed, attempted=True, error=exc.message)
        return _Undo(committed, attempted=True)

    def _interrupted(self, m: Migration, p: Pending, index: int, exc: KeyboardInterrupt) -> Interrupted:
        """Make the history true after SIGINT/SIGTERM during ``m``: what committed is read back from the
        history row (written in each step's own transaction), a concurrent build the signal cancelled is
        cleaned up or, if it finished, counted, and the committed steps are undone."""
        signal_name = str(exc) or "SIGINT"
        row = self._read_back(m.version)
        total = len(p.steps)
        if row is not None and row.status == "applied":
            return Interrupted(f"Interrupted ({signal_name}) after {m.path.name} had committed: it is applied, and "
                               "nothing after it was started.", file=m.path.name)
        committed = row.progress if row is not None and row.status in ("running", "failed") else 0
        if committed < total and not p.steps[committed].transactional:
            sql = p.steps[committed].statements[0].sql
            if not self.engine.before_nontransactional(self.conn, sql, True):  # it finished: count it
                committed += 1
        undo = self._undo_committed(m, committed) if committed > 0 else None
        detail = f"interrupted ({signal_name}) at step {index + 1} of {total}"
        if undo is not None and undo.attempted and undo.error:
            return Interrupted(
                f"Interrupted ({signal_name}) during {m.path.name}; undoing its {committed} committed step(s) failed "
                f"({undo.error.rstrip('.')}): run `safeshift rollback` to finish undoing it.", file=m.path.name)
        kept = committed if undo is None or not undo.attempted else 0
        self.store.write(self.dialect, self.conn, version=m.version, name=m.name, checksum=migrations.checksum(m),
                         status="failed", duration_ms=0, progress=kept, error=detail, who=self._who)
        if kept:
            return Interrupted(
                f"Interrupted ({signal_name}) during {m.path.name}: {kept} of its {total} steps had committed and "
                "stay applied (its down section has no `-- safeshift:undoes` blocks to undo them alone); run "
                "`safeshift migrate` to finish it.", file=m.path.name)
        undone = f"; its {committed} committed step(s) were undone" if committed else ""
        return Interrupted(f"Interrupted ({signal_name}) during {m.path.name}{undone}: nothing of it is applied, "
                           "and nothing after it was started.", file=m.path.name, undone=committed)

    def _read_back(self, version: str) -> Record | None:
        """The history row of ``version`` after an interrupt (a transaction it left open rolled back first)."""
        self.settle()
        return self.store.read_one(self.dialect, self.conn, version)

    def _rollback_interrupted(self, m: Migration, total: int, exc: KeyboardInterrupt) -> Interrupted:
        """What a signal during a rollback of ``m`` left: each down step commits with its row, so the row says."""
        name = str(exc) or "SIGINT"
        row = self._read_back(m.version)
        if row is None:
            state = "its down section had finished: it is rolled back"
        elif row.status == "rolling_back":
            state = (f"{row.progress} of the {total} steps of its down section had committed; run `safeshift "
                     "rollback` to finish it")
        else:
            state = "nothing of its down section had committed: it is as it was"
        return Interrupted(f"Interrupted ({name}) while rolling back {m.path.name}: {state}; nothing after it was "
                           "started.", file=m.path.name)

    def _atomic_interrupted(self, plan: Sequence[Pending], exc: KeyboardInterrupt) -> Interrupted:
        """A signal during an --atomic run: its one transaction either committed or it did not."""
        name = str(exc) or "SIGINT"
        row = self._read_back(plan[-1].migration.version)
        if row is not None and row.status == "applied":
            return Interrupted(f"Interrupted ({name}) after the transaction of all {len(plan)} migration(s) had "
                               "committed: they are applied.")
        return Interrupted(f"Interrupted ({name}): the one transaction of {len(plan)} migration(s) was rolled back, "
                           "so none of them is applied.")

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

    def _announce(self, m: Migration, step: Step, index: int, total: int) -> None:
        """Say which step starts, so a long one (a concurrent index build) can be shown while it runs."""
        first = step.statements[0].sql if step.statements else ""
        self.emit(Event("step_start", m.version, m.name, message=shorten(first), step=index, steps=total))

    def _run_step(self, m: Migration, step: Step, index: int, total: int, record: Callable[[Any], None],
                  *, resuming: bool, down: bool = False) -> int | None:
        """Run one step with lock-timeout retries; returns retries used, or None if another runner did it."""
        attempt = _Attempt()
        while True:
            try:
                if step.transactional:
                    # one round trip while a retry remains; the last try runs statement by statement,
                    # so a failure that stands names its line
                    fast = attempt.retries + 1 < self.options.lock_tries
                    if not self._transaction(m, step.statements, record, down=down, fast=fast):
                        return None
                else:
                    self._alone(m, step.statements[0], record, resuming or attempt.retries > 0, index, total,
                                down=down)
                return attempt.retries
            except _StatementError as failure:
                if self.engine.is_runner_busy(failure.exc):
                    raise self._busy("another runner") from failure.exc
                if self.engine.is_lock_timeout(failure.exc) and attempt.retries + 1 < self.options.lock_tries:
                    attempt.retries += 1
                    wait = self.options.retry_backoff_s * 2 ** (attempt.retries - 1)
                    where = f"line {failure.statement.line}" if failure.statement else "the step"
                    self.emit(Event("retry", m.version, m.name, attempt=attempt.retries + 1, message=(
                        f"{where} waited {self.options.lock_timeout_ms} ms for a lock"
                        + (f" held by {failure.blockers[0].describe()}" if failure.blockers else "")
                        + f"; retrying in {wait:g} s")))
                    time.sleep(wait)
                    continue
                undo = None if down else self._settle_failed(m, step, index, failure)
                raise self._failed(m, failure, index, total, attempt.retries, down=down, undo=undo) from failure.exc

    def _transaction(self, m: Migration, statements: Sequence[SqlStatement], record: Callable[[Any], None],
                     *, down: bool = False, fast: bool = True) -> bool:
        """One step in one transaction, history row included; False if another runner already did it."""
        conn = self.conn
        d = self.dialect
        e = self.engine
        if fast and d.capabilities.one_round_trip and self.options.observe is None \
                and self._in_one_round_trip(statements, record):
            return True
        e.before_migration(conn)
        try:
            self._execute(m, None, d.begin_sql)
            for sql in self._relax_sql():
                self._execute(m, None, sql)
            try:
                if not d.capabilities.advisory_lock and not self._still_needed(m, down):
                    conn.execute("ROLLBACK")
                    return False
                for st in statements:
                    self._statement(m, st)
                record(conn)
                try:
                    e.check_before_commit(conn)
                except SafeshiftError as exc:
                    raise _StatementError(exc, statements[-1] if statements else None, []) from exc
                self._execute(m, None, "COMMIT")
            except BaseException:
                self._rollback()
                raise
        finally:
            self._after(conn)
        return True

    def _in_one_round_trip(self, statements: Sequence[SqlStatement], record: Callable[[Any], None]) -> bool:
        """The step, its history row and COMMIT as one script: locks are held for one round trip.

        A lock timeout is raised as it is, for the caller's retry: running the step again at
        once would only wait for the same lock a second time.  Any other error rolls the script
        back and returns False, so the caller runs the step again statement by statement and
        reports exactly which one failed.
        """
        capture = _Capture()
        record(capture)
        parts = [self.dialect.begin_sql, *self._relax_sql(),
                 *(self._sql(st).strip().rstrip(";") for st in statements), *capture.sql, "COMMIT"]
        watcher = self._watch()
        if watcher is not None:
            watcher.begin()
        try:
            self.conn.execute("\n;\n".join(parts))
        except Exception as exc:
            if self.engine.is_connection_lost(exc, self.conn):
                # which statement was running is unknown: the message names the migration
                raise _StatementError(exc, None, list(watcher.seen) if watcher is not None else []) from exc
            self._rollback()
            if self.engine.is_lock_timeout(exc):
                raise _StatementError(exc, None, list(watcher.seen) if watcher is not None else []) from exc
            return False
        finally:
            if watcher is not None:
                watcher.end()
        return True

    def _relax_sql(self) -> list[str]:
        sql = self.dialect.relaxed_commit_sql
        return [sql] if self._relaxed and sql else []

    def _still_needed(self, m: Migration, down: bool) -> bool:
        """Inside the write lock: has a concurrent runner already applied (or rolled back) this one?"""
        row = self.store.read_one(self.dialect, self.conn, m.version)
        if down:
            return row is not None and row.status in ("applied", "rolling_back")
        return row is None or row.status != "applied"

    def _alone(self, m: Migration, st: SqlStatement, record: Callable[[Any], None], resuming: bool,
               index: int, total: int, *, down: bool = False) -> None:
        """A non-transactional statement: announce it in the history first, then run it, then record it."""
        conn = self.conn
        if index == 0 and not resuming:
            ms = 0
            self.store.write(self.dialect, conn, version=m.version, name=m.name, checksum=migrations.checksum(m),
                          status="rolling_back" if down else "running", duration_ms=ms, progress=0,
                          who=self._who)
        try:
            run = self.engine.before_nontransactional(conn, st.sql, resuming)
        except Exception as exc:
            raise _StatementError(exc, st, []) from exc
        if run:
            self._statement(m, st)
        record(conn)

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
            raise _StatementError(exc, st, list(watcher.seen) if watcher is not None else []) from exc
        finally:
            if watcher is not None:
                watcher.end()

    def _watch(self) -> _Watcher | None:
        if self._watcher is None and self.dialect.capabilities.advisory_lock:
            pid = self.engine.backend_pid(self.conn)
            if pid is not None:
                self._watcher = _Watcher(self.dialect, self.url, pid, self.options.lock_timeout_ms)
        return self._watcher

    def _rollback(self) -> None:
        with suppress(Exception):  # a dead connection: the server rolled back already
            self.conn.execute("ROLLBACK")

    def _after(self, conn: Any) -> None:
        with suppress(Exception):  # connection lost; reported by the caller
            self.engine.after_migration(conn)

    def _failed(self, m: Migration, failure: _StatementError, index: int, total: int, retries: int,
                *, down: bool = False, undo: _Undo | None = None) -> MigrationFailed:
        """Record the failure in the history (reconnecting if need be) and build the error to raise."""
        exc, st = failure.exc, failure.statement
        e = self.engine
        lost = e.is_connection_lost(exc, self.conn)
        where = f"{m.path.name} line {st.line}" if st is not None else m.path.name
        sqlstate = e.error_code(exc)
        reason = redact_url(first_line(exc))
        section = "down section of " if down else ""
        what = "down section" if down else "migration"  # what was rolled back
        progress = index
        if index == 0:
            kept = ""
        elif down:
            kept = f"; step(s) 1-{index} of {total} of the down section had committed: run rollback again to finish"
        elif undo is not None and undo.attempted and undo.error is None:
            kept, progress = f"; its {index} committed step(s) were undone", 0
        elif undo is not None and undo.attempted:
            kept = (f"; step(s) 1-{index} of {total} had committed and undoing them failed "
                    f"({(undo.error or '').rstrip('.')}): run `safeshift rollback` to finish undoing them")
        else:
            kept = (f"; step(s) 1-{index} of {total} had committed and stay applied (the down section has no "
                    "`-- safeshift:undoes` blocks to undo them alone): run migrate again to resume")
        undone = "the migration is still applied" if down else "nothing of it was applied"
        if undo is not None and undo.attempted and undo.error is not None:
            undone = "it is part-way undone"
        if lost:
            error: MigrationFailed = ConnectionLost(
                f"The connection to {redact_url(self.url)} was lost during the {section}{where} ({reason}); the "
                f"server rolled back the open transaction, so {undone}{kept}. Run the command again.",
                sqlstate=sqlstate, file=m.path.name, line=st.line if st else None)
        elif e.is_lock_timeout(exc):
            blockers = failure.blockers
            who = (f"; blocked by {blockers[0].describe()}" if blockers
                   else "; the blocking session had finished by the time it was checked")
            error = LockTimeout(
                f"{where} could not get its lock within lock_timeout {self.options.lock_timeout_ms} ms on "
                f"{retries + 1} tries{who}. The {what} was rolled back ({undone}{kept}); end the "
                "blocking session or retry at a quieter time.",
                sqlstate=sqlstate, file=m.path.name, line=st.line if st else None)
        else:
            code = f" (SQLSTATE {sqlstate})" if sqlstate else ""
            statement = f": `{shorten(st.sql)}`" if st is not None else ""
            error = MigrationFailed(
                f"{where} failed{code}: {reason}{statement}. The {what} was rolled back ({undone}"
                f"{kept}); fix it and run the command again.",
                sqlstate=sqlstate, file=m.path.name, line=st.line if st else None)
        detail = f"SQLSTATE {sqlstate or '?'} at line {st.line if st else '?'}: {reason}"
        if st is not None:
            detail += f" | {shorten(st.sql, 500)}"
        if undo is not None and undo.attempted and undo.error is None:
            error.undone = undo.committed
        if not (undo is not None and undo.attempted and undo.error is not None):  # else the undo recorded its own
            self._record_failure(m, progress, detail, down=down)
        self.emit(Event("failed", m.version, m.name, message=error.message, step=index, steps=total))
        return error

    def _record_failure(self, m: Migration, progress: int, detail: str, *, down: bool) -> None:
        conn = self.conn
        try:
            self._write_failure(conn, m, progress, detail, down)
        except Exception:
            try:  # the runner's connection is gone: record it from a fresh one
                fresh = self.engine.connect(self.url)
                try:
                    self._prepare(fresh)
                    self._write_failure(fresh, m, progress, detail, down)
                finally:
                    fresh.close()
            except Exception:
                pass  # the history stays as the server left it: consistent, just without the error text

    def _write_failure(self, conn: Any, m: Migration, progress: int, detail: str, down: bool) -> None:
        if down:
            if progress == 0:  # nothing of the down section committed: still applied
                self.store.set_status(self.dialect, conn, m.version, "applied")
                return
            status: history.Status = "rolling_back"
        else:
            status = "failed"
        self.store.write(self.dialect, conn, version=m.version, name=m.name, checksum=migrations.checksum(m),
                      status=status, duration_ms=0, progress=progress, error=detail, who=self._who)

    def _apply_atomic(self, plan: Sequence[Pending]) -> list[Applied]:
        """Every pending migration in one transaction: all of them or none."""
        check_atomic(plan)
        if not plan:
            return []
        d = self.dialect
        e = self.engine
        done: list[Applied] = []
        attempt = 0
        # first try each migration as one script; on an error run it all again statement by
        # statement, which fails at the same place and names it exactly
        fast = d.capabilities.one_round_trip and self.options.observe is None
        while True:
            done.clear()
            rows = _Capture()
            current = plan[0].migration
            start_all = time.perf_counter()
            e.before_migration(self.conn)
            try:
                self._execute(current, None, d.begin_sql)
                try:
                    for p in plan:
                        current = p.migration
                        start = time.perf_counter()
                        self.emit(Event("start", current.version, current.name, step=0, steps=1))
                        if fast:
                            # the previous migration's history row rides along with this one's statements
                            script = [*rows.sql, *(self._sql(st).strip().rstrip(";") for st in current.up_statements)]
                            rows.sql.clear()
                            self._execute(current, None, "\n;\n".join(script))
                        else:
                            for st in current.up_statements:
                                self._statement(current, st)
                        ms = ms_since(start)
                        self.store.write(d, rows if fast else self.conn, version=current.version, name=current.name,
                                      checksum=migrations.checksum(current), status="applied", duration_ms=ms,
                                      who=self._who, replace=p.has_record,
                                      allowed_hazards=dict(self.options.allowed_hazards).get(current.version))
                        done.append(Applied(current.version, current.name, ms, attempt))
                    if rows.sql:
                        self._execute(current, None, "\n;\n".join(rows.sql))
                    try:
                        e.check_before_commit(self.conn)
                    except SafeshiftError as exc:
                        raise _StatementError(exc, None, []) from exc
                    self._execute(current, None, "COMMIT")
                except BaseException:
                    self._rollback()
                    raise
                finally:
                    self._after(self.conn)
            except _StatementError as failure:
                retry = e.is_lock_timeout(failure.exc) and attempt + 1 < self.options.lock_tries
                if fast and not retry and not e.is_connection_lost(failure.exc, self.conn):
                    fast = False  # run it all again statement by statement: the failure then names its line
                    continue
                if e.is_runner_busy(failure.exc):
                    raise self._busy("another runner") from failure.exc
                if retry:
                    attempt += 1
                    fast = fast and attempt + 1 < self.options.lock_tries
                    wait = self.options.retry_backoff_s * 2 ** (attempt - 1)
                    self.emit(Event("retry", current.version, current.name, attempt=attempt + 1,
                                    message=f"lock timeout; retrying all {len(plan)} in {wait:g} s"))
                    time.sleep(wait)
                    continue
                raise self._failed(current, failure, 0, 1, attempt) from failure.exc
            for a in done:
                self.emit(Event("applied", a.version, a.name, duration_ms=a.duration_ms))
            self.emit(Event("note", message=f"committed {len(done)} migration(s) in one transaction in "
                                            f"{ms_since(start_all)} ms"))
            return done

    # -- rollback -----------------------------------------------------------------------------
    def rollback(self, steps_back: int | None = None, to: str | None = None,
                 confirm: Confirm | None = None) -> RollbackResult:
        """Run down sections newest first, each with its history row deleted in the same transaction
        (the history read under the runner lock, as for ``migrate``)."""
        done: list[Applied] = []
        rollback_targets(self.folder, self.records(), steps_back=steps_back, to=to)  # refusals first, as in migrate
        with self.locked():
            targets = rollback_targets(self.folder, self.records(), steps_back=steps_back, to=to)
            if not targets:
                return RollbackResult((), self.database)
            if confirm is not None and not confirm(self.database, [m for m, _ in targets]):
                raise ConfirmationRequired(f"Nothing was rolled back on {self.database}: the operator did not "
                                           "confirm.")
            for m, r in targets:
                result = self._rollback_one(m, r)
                if result is not None:
                    done.append(result)
        return RollbackResult(tuple(done), self.database)

    def _down_recorder(self, m: Migration, index: int, total: int) -> Callable[[Any], None]:
        """What down step ``index`` writes in its own transaction: its progress, or, the last one, no row at all."""
        def record(conn: Any) -> None:
            if index == total - 1:
                self.store.delete(self.dialect, conn, m.version)
            else:
                self.store.write(self.dialect, conn, version=m.version, name=m.name, checksum=migrations.checksum(m),
                                 status="rolling_back", duration_ms=0, progress=index + 1, who=self._who)

        return record

    def _rollback_one(self, m: Migration, r: Record) -> Applied | None:
        down_steps = steps(m.down_statements)
        total = len(down_steps)
        resume = rollback_start(m, r)
        start = time.perf_counter()
        retries = 0
        self.emit(Event("start", m.version, m.name, step=resume, steps=total, message="rollback"))
        try:
            for i in range(resume, total):
                record = self._down_recorder(m, i, total)
                # as in _apply_one: a `rolling_back` row means a runner died part-way, maybe after a step ran
                resuming = i == resume and (i > 0 or r.status == "rolling_back")
                self._announce(m, down_steps[i], i, total)
                outcome = self._run_step(m, down_steps[i], i, total, record, resuming=resuming, down=True)
                if outcome is None:
                    self.emit(Event("skipped", m.version, m.name, message="rolled back meanwhile by another runner"))
                    return None
                retries += outcome
        except KeyboardInterrupt as exc:
            with shielded():
                raise self._rollback_interrupted(m, total, exc) from None
        ms = ms_since(start)
        self.emit(Event("rolled_back", m.version, m.name, duration_ms=ms, attempt=retries))
        return Applied(m.version, m.name, ms, retries)


#: a one-round-trip step records its duration before its statements run; when they took longer than
#: this, the row is corrected after the commit (one more statement, only for slow migrations)
_DURATION_SLACK_MS = 20


@dataclass(frozen=True)
class _Undo:
    """What became of the steps a failed or interrupted migration had committed."""

    committed: int
    #: False: the file has no ``-- safeshift:undoes`` blocks, so they were left applied
    attempted: bool
    #: the down step that failed while undoing them (the history row then says ``rolling_back``)
    error: str | None = None


class _Capture:
    """Stands in for a connection to collect the history statements a step's ``record`` would run."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def execute(self, sql: str) -> None:
        self.sql.append(sql)


class _StatementError(Exception):
    """A statement failed; carries what the error message and the retry decision need."""

    def __init__(self, exc: BaseException, statement: SqlStatement | None, blockers: list[Blocker]) -> None:
        super().__init__(str(exc))
        self.exc = exc
        self.statement = statement
        self.blockers = blockers


def check_atomic(plan: Sequence[Pending]) -> None:
    """Refuse what cannot run in one transaction: a no-transaction statement, a part-way migration."""
    for p in plan:
        m = p.migration
        loose = next((s for s in m.up_statements if not s.transactional), None)
        if loose is not None:
            raise MigrationsError(f"--atomic cannot include {m.path.name}: line {loose.line} runs outside a "
                                  "transaction (-- safeshift:no-transaction); run without --atomic.")
        if p.resume_from:
            raise MigrationsError(f"--atomic cannot resume the part-way {m.path.name}; run without it.")


def atomic_dry_run_plan(plan: Sequence[Pending]) -> list[str]:
    """The --atomic plan as text lines: one transaction around every pending migration, as it will run
    (refused, as the run would be, when it cannot)."""
    check_atomic(plan)
    lines = ["BEGIN;"]
    for p in plan:
        lines.append(f"  -- {p.migration.path.name}")
        lines += [f"  {oneline(st.sql)};  -- line {st.line}" for st in p.migration.up_statements]
        lines.append("  -- record in the history table")
    lines.append("COMMIT;")
    return lines


def dry_run_plan(plan: Sequence[Pending]) -> list[str]:
    """The plan as text lines: each migration, each statement, and where transactions begin and end."""
    lines: list[str] = []
    for p in plan:
        m = p.migration
        lines.append(f"{m.path.name}" + (f" (resuming at step {p.resume_from + 1})" if p.resume_from else ""))
        for i, step in enumerate(p.steps):
            if i < p.resume_from:
                continue
            if step.transactional:
                lines.append("  BEGIN;")
                lines += [f"    {oneline(st.sql)};  -- line {st.line}" for st in step.statements]
                lines.append("    -- record in the history table")
                lines.append("  COMMIT;")
            else:
                st = step.statements[0]
                lines.append(f"  -- no transaction: {oneline(st.sql)};  -- line {st.line}")
    return lines


def run_statements(dialect: Dialect, conn: Any, statements: Sequence[Statement]) -> None:
    """Run rendered statements as one migration would: transactional ones in one transaction.

    Statements marked non-transactional run alone, in order, between transactions.  Used
    by tests and rehearsals that execute freshly rendered SQL without a migration file.
    """
    engine = engine_for(dialect)
    if hasattr(conn, "executescript"):
        conn.isolation_level = None
    else:
        conn.autocommit = True
    batch: list[Statement] = []

    def flush() -> None:
        if not batch:
            return
        engine.before_migration(conn)
        conn.execute("BEGIN")
        try:
            for st in batch:
                conn.execute(st.sql)
            engine.check_before_commit(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            engine.after_migration(conn)
        batch.clear()

    for st in statements:
        if st.transactional:
            if st.new_transaction:
                flush()
            batch.append(st)
        else:
            flush()
            conn.execute(st.sql)
    flush()

"""One step of a migration, up or down: in its own transaction with its history row (in one round
trip where the dialect can), or a non-transactional statement announced in the history first; retried
with backoff on a lock timeout, and on a final failure recorded and turned into the error to raise.

What a failed up step leaves behind is settled by the layer above (partway.py) through
``_settle_failed``; this layer only runs and records.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from safeshift import history
from safeshift.dialects.backfill import Backfill
from safeshift.engines.base import Blocker
from safeshift.errors import MigrationFailed, SafeshiftError
from safeshift.formats import safeshift as migrations
from safeshift.runner.failure import StatementError, Undo, failure_error
from safeshift.runner.interface import Event
from safeshift.runner.session import Session
from safeshift.schedule import Step
from safeshift.sections import Migration, SqlStatement
from safeshift.text import shorten


@dataclass
class _Attempt:
    """Mutable bookkeeping for one step's tries."""

    retries: int = 0
    blockers: list[Blocker] = field(default_factory=list)


class Capture:
    """Stands in for a connection to collect the history statements a step's ``record`` would run."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def execute(self, sql: str) -> None:
        self.sql.append(sql)


class StepRunner(Session):
    """Runs and records single steps; the part-way recovery of a failed migration is the subclass's."""

    def _settle_failed(self, m: Migration, step: Step, index: int, failure: StatementError) -> Undo | None:
        """After an up step failed for good: put the database back where the migration started, as far as
        it can (partway.PartwayRunner)."""
        raise NotImplementedError

    def _announce(self, m: Migration, step: Step, index: int, total: int) -> None:
        """Say which step starts, so a long one (a concurrent index build) can be shown while it runs."""
        first = step.statements[0].sql if step.statements else ""
        self.emit(Event("step_start", m.version, m.name, message=shorten(first), step=index, steps=total))

    def _run_step(self, m: Migration, step: Step, index: int, total: int, record: Callable[[Any], None],
                  *, resuming: bool, down: bool = False, undoing: bool = False) -> int | None:
        """Run one step with lock-timeout retries; returns retries used, or None if another runner did it.
        ``undoing``: a down step undoing a part-way migration, never applied whole (how a failure is recorded)."""
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
            except StatementError as failure:
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
                raise self._failed(m, failure, index, total, attempt.retries, down=down, undo=undo,
                                   undoing=undoing) from failure.exc

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
                    raise StatementError(exc, statements[-1] if statements else None, []) from exc
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
        capture = Capture()
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
                raise StatementError(exc, None, list(watcher.seen) if watcher is not None else []) from exc
            self._rollback()
            if self.engine.is_lock_timeout(exc):
                raise StatementError(exc, None, list(watcher.seen) if watcher is not None else []) from exc
            return False
        finally:
            if watcher is not None:
                watcher.end()
        return True

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
            run = not self._ran_unrecorded(m, index, resuming) and \
                self.engine.before_nontransactional(conn, st.sql, resuming)
        except Exception as exc:
            raise StatementError(exc, st, []) from exc
        if run:
            spec = self.dialect.backfill(st.sql)
            if spec is None:
                self._statement(m, st)
            else:
                self._backfill(m, st, spec)
        record(conn)

    # -- a step that commits on its own where nothing else tells whether it ran (MySQL's DDL) ----------
    def _marks(self) -> history.SafeshiftStore | None:
        """Where the schema mark of a step run alone is kept: safeshift's history row (a drizzle folder's
        table has no room for it: its store's facts row, ``DrizzleStore.marks``)."""
        store = getattr(self.store, "marks", self.store)
        return store if isinstance(store, history.SafeshiftStore) else None

    def _ran_unrecorded(self, m: Migration, index: int, resuming: bool) -> bool:
        """Before step ``index`` of ``m`` runs alone: whether a runner that died had already run it (its own
        commit done, its history write not), told by the schema fingerprint noted before it ran; when it has
        not, the fingerprint is noted now, for the next run to compare should this one die the same way.

        Only a database whose engine gives fingerprints (``Engine.schema_mark``) pays the two statements."""
        marks = self._marks()
        now = self.engine.schema_mark(self.conn) if marks is not None else None
        if marks is None or now is None:
            return False
        if resuming:
            before = marks.read_mark(self.dialect, self.conn, m.version, index)
            if before is not None and before != now:
                self.emit(Event("note", m.version, m.name, message=(
                    f"step {index + 1} had committed before the last run stopped (the schema differs from the "
                    "fingerprint taken before it): counted, not run again")))
                return True
        marks.set_mark(self.dialect, self.conn, m.version, index, now)
        return False

    def _unrecorded_done(self, m: Migration, index: int) -> bool | None:
        """Whether step ``index`` of ``m``, run alone by a runner that stopped before recording it, changed the
        schema since the mark taken before it (read only); None where the engine keeps no marks."""
        marks = self._marks()
        now = self.engine.schema_mark(self.conn) if marks is not None else None
        if marks is None or now is None:
            return None
        before = marks.read_mark(self.dialect, self.conn, m.version, index)
        return before is not None and before != now

    def _backfill(self, m: Migration, st: SqlStatement, spec: Backfill) -> None:
        """The file's one-batch statement run batch after batch, each sized by time (runner/backfill.py);
        progress lines go out as notes.  Not watched for blockers: no batch waits long enough to matter."""
        from safeshift.runner import backfill

        def say(text: str) -> None:
            self.emit(Event("note", m.version, m.name, message=text))

        start = time.perf_counter()
        try:
            backfill.run(self.engine.backfill(self.conn, spec), self.options.backfill_batch_ms, spec.label, say)
        except Exception as exc:
            raise StatementError(exc, st, []) from exc
        if self.options.observe is not None:
            self.options.observe(self.conn, st, (time.perf_counter() - start) * 1000)

    def _down_recorder(self, m: Migration, index: int, total: int) -> Callable[[Any], None]:
        """What down step ``index`` writes in its own transaction: its progress, or, the last one, no row at all."""
        def record(conn: Any) -> None:
            if index == total - 1:
                self.store.delete(self.dialect, conn, m.version)
            else:
                self.store.write(self.dialect, conn, version=m.version, name=m.name, checksum=migrations.checksum(m),
                                 status="rolling_back", duration_ms=0, progress=index + 1, who=self._who)

        return record

    # -- a step that failed for good -----------------------------------------------------------
    def _failed(self, m: Migration, failure: StatementError, index: int, total: int, retries: int,
                *, down: bool = False, undo: Undo | None = None, undoing: bool = False) -> MigrationFailed:
        """Record the failure in the history (reconnecting if need be) and build the error to raise."""
        error, progress, detail = failure_error(m, failure, index, total, retries, down=down, undo=undo,
                                                engine=self.engine, conn=self.conn, url=self.url,
                                                lock_timeout_ms=self.options.lock_timeout_ms)
        if not (undo is not None and undo.attempted and undo.error is not None):  # else the undo recorded its own
            self._record_failure(m, progress, detail, down=down, undoing=undoing,
                                 lost=self.engine.is_connection_lost(failure.exc, self.conn))
        self.emit(Event("failed", m.version, m.name, message=error.message, step=index, steps=total))
        return error

    def _record_failure(self, m: Migration, progress: int, detail: str, *, down: bool, undoing: bool = False,
                        lost: bool = False) -> None:
        conn = self.conn
        try:
            self._write_failure(conn, m, progress, detail, down, lost, undoing)
        except Exception:
            try:  # the runner's connection is gone: record it from a fresh one
                fresh = self.engine.connect(self.url)
                try:
                    self._prepare(fresh)
                    self._write_failure(fresh, m, progress, detail, down, lost, undoing)
                finally:
                    fresh.close()
            except Exception:
                pass  # the history stays as the server left it: consistent, just without the error text

    def _write_failure(self, conn: Any, m: Migration, progress: int, detail: str, down: bool,
                       lost: bool = False, undoing: bool = False) -> None:
        if down:
            # nothing of a rollback's down section committed: still applied.  Not so for the undo of a part-way
            # migration (``undoing``), which was never applied whole: it stays rolling back, for `rollback`
            if progress == 0 and not undoing:
                self.store.set_status(self.dialect, conn, m.version, "applied")
                return
            status: history.Status = "rolling_back"
        else:
            status = "failed"
        # a lost connection's statement may still commit in the server: the mark of the step it was running
        # stays, so the next run compares instead of guessing.  A statement that failed outright changed
        # nothing, and its mark goes: the operator may change the schema by hand before the retry
        marks = self._marks() if lost else None
        kept = marks.read_mark(self.dialect, conn, m.version, progress) if marks is not None else None
        self.store.write(self.dialect, conn, version=m.version, name=m.name, checksum=migrations.checksum(m),
                      status=status, duration_ms=0, progress=progress, error=detail, who=self._who)
        if marks is not None and kept is not None:
            marks.set_mark(self.dialect, conn, m.version, progress, kept)

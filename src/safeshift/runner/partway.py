"""A migration that stops part-way: a step that failed for good after earlier steps had committed, or
a signal (SIGINT/SIGTERM) in the middle of one.

Each step commits with its history row, so the row says how far it got; this layer reads it back,
cleans up what a cancelled concurrent build left, undoes the committed steps through the down
section's ``-- safeshift:undoes`` blocks, and words the outcome, so nothing is ever left half-done
without the history and the message saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress

from safeshift import sections
from safeshift.errors import Interrupted, MigrationFailed
from safeshift.formats import safeshift as migrations
from safeshift.history import Record
from safeshift.runner.failure import StatementError, Undo
from safeshift.runner.interface import Event
from safeshift.runner.steps import StepRunner
from safeshift.schedule import Pending, Step, steps
from safeshift.sections import Migration


class PartwayRunner(StepRunner):
    """Settles a failed or interrupted migration: back to where it started, or recorded as it stands."""

    def _settle_failed(self, m: Migration, step: Step, index: int, failure: StatementError) -> Undo | None:
        """After an up step failed for good: clean up what the failed step left (an INVALID index of a
        concurrent build) and undo the steps before it that had committed, so the database is where the
        migration started.  None when the connection is gone (the server rolled back the open step)."""
        if self.engine.is_connection_lost(failure.exc, self.conn):
            return None
        if not step.transactional:
            with suppress(Exception):  # best effort: the retry drops a leftover too
                self.engine.clean_failed_step(self.conn, step.statements[0].sql)
        return self._undo_committed(m, index) if index > 0 else None

    def _undo_committed(self, m: Migration, committed: int) -> Undo:
        """Run the down section's ``-- safeshift:undoes`` blocks of the first ``committed`` up steps, newest
        first, recording progress as a rollback does (so `safeshift rollback` can finish it if this fails)."""
        first = sections.undo_start(m, committed)
        if first is None:
            return Undo(committed, attempted=False)
        down = steps(m.down_statements)
        total = len(down)
        self.emit(Event("note", m.version, m.name, message=f"undoing the {committed} committed step(s) of {m.label}"))
        self.store.write(self.dialect, self.conn, version=m.version, name=m.name, checksum=migrations.checksum(m),
                         status="rolling_back", duration_ms=0, progress=first, who=self._who)
        for j in range(first, total):
            try:
                self._run_step(m, down[j], j, total, self._down_recorder(m, j, total), resuming=False, down=True,
                               undoing=True)
            except MigrationFailed as exc:
                # what failed, without the down failure's own advice (written for a rollback of an applied one)
                return Undo(committed, attempted=True, error=exc.cause or exc.message)
        return Undo(committed, attempted=True)

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
            # it finished (its result is there, or the schema moved past the mark taken before it): count it
            if self._unrecorded_done(m, committed) or not self.engine.before_nontransactional(self.conn, sql, True):
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

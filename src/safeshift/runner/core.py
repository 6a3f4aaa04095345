"""The Runner: migrate and rollback over the layers below — decide under the runner lock what to run,
ask for confirmation once, then run each migration's steps (or all of them in one transaction with
--atomic) and report every move as an Event.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import replace
from typing import Any

from safeshift import history
from safeshift.errors import ConfirmationRequired, SafeshiftError
from safeshift.formats import safeshift as migrations
from safeshift.history import Record
from safeshift.interrupts import shielded
from safeshift.runner.failure import StatementError
from safeshift.runner.interface import Applied, ApplyResult, Confirm, Event, RollbackResult
from safeshift.runner.partway import PartwayRunner
from safeshift.runner.plans import check_atomic
from safeshift.runner.steps import Capture
from safeshift.schedule import Pending, pending, rollback_start, rollback_targets, steps
from safeshift.sections import Migration
from safeshift.text import ms_since

#: a one-round-trip step records its duration before its statements run; when they took longer than
#: this, the row is corrected after the commit (one more statement, only for slow migrations)
_DURATION_SLACK_MS = 20


class Runner(PartwayRunner):
    """One connection to one database, applying or rolling back one migrations folder."""

    # -- migrate ------------------------------------------------------------------------------
    def migrate(self, to: str | None = None, confirm: Confirm | None = None,
                check: Callable[[Sequence[Pending]], None] | None = None) -> ApplyResult:
        """Apply what is pending (up to ``to``); ``confirm`` is asked once, before anything changes.

        The history is read under the runner lock: read before it, a run that waits for a rollback
        would decide from what the database held before the rollback finished.  ``check`` (review's
        gate) sees the plan decided there, before ``confirm``, and may refuse it.
        """
        # a mistake in the request (an unknown --to, an out-of-order file, --atomic where DDL commits on its
        # own) is refused before the lock and the history table's creation; decided again under the lock
        self.refuse_atomic()
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
        #: a later migration of this run commits durably: this one need not wait for the disk at all
        run_relaxed = self._relaxed
        try:
            for i in range(p.resume_from, total):
                step = p.steps[i]
                last = i == total - 1
                status: history.Status = "applied" if last else "running"
                # a step before the migration's last commits without waiting for the WAL flush: a lock it
                # took (ACCESS EXCLUSIVE for a catalog update) is released without an fsync's wait, which
                # writers queued behind it would share.  Its history row is in the same transaction, so a
                # crash loses both; the last step's durable commit flushes every step before it
                self._relaxed = run_relaxed or not last

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
        finally:
            self._relaxed = run_relaxed
        ms = ms_since(start)
        if ms - recorded[0] >= _DURATION_SLACK_MS:
            # the one-round-trip step wrote its row before its statements ran: `status` must show the real time
            with suppress(Exception):
                self.store.set_duration(self.dialect, self.conn, m.version, ms)
        self.emit(Event("applied", m.version, m.name, duration_ms=ms, attempt=retries))
        return Applied(m.version, m.name, ms, retries)

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
            rows = Capture()
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
                        raise StatementError(exc, None, []) from exc
                    self._execute(current, None, "COMMIT")
                except BaseException:
                    self._rollback()
                    raise
                finally:
                    self._after(self.conn)
            except StatementError as failure:
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

    def _unrecorded_settled(self, m: Migration, r: Record) -> Record:
        """The row of a runner that died during a step run alone, made exact where the engine's schema mark
        tells whether that step committed (else ``rollback_start`` assumes it may have, which only an undo
        block written to tolerate both can take)."""
        up = steps(m.up_statements)
        if r.status != "running" or r.progress >= len(up) or up[r.progress].transactional:
            return r
        done = self._unrecorded_done(m, r.progress)
        return r if done is None else replace(r, status="failed", progress=r.progress + int(done))

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

    def _rollback_one(self, m: Migration, r: Record) -> Applied | None:
        down_steps = steps(m.down_statements)
        total = len(down_steps)
        resume = rollback_start(m, self._unrecorded_settled(m, r))
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

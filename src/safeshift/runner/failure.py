"""When a step fails for good: what the failure carries, what became of the steps already
committed, and the one sentence that says so.

The wording is the operator's only view of a part-way migration (what was rolled back, what stays
applied, who held the lock, what to run next), so it is built in one place from the facts the
runner gathered; recording it in the history and reporting it stay with the runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from safeshift.engines.base import Blocker, Engine
from safeshift.errors import ConnectionLost, LockTimeout, MigrationFailed
from safeshift.sections import Migration, SqlStatement
from safeshift.text import first_line, redact_url, shorten


@dataclass(frozen=True)
class Undo:
    """What became of the steps a failed or interrupted migration had committed."""

    committed: int
    #: False: the file has no ``-- safeshift:undoes`` blocks, so they were left applied
    attempted: bool
    #: the down step that failed while undoing them (the history row then says ``rolling_back``)
    error: str | None = None


class StatementError(Exception):
    """A statement failed; carries what the error message and the retry decision need."""

    def __init__(self, exc: BaseException, statement: SqlStatement | None, blockers: list[Blocker]) -> None:
        super().__init__(str(exc))
        self.exc = exc
        self.statement = statement
        self.blockers = blockers


def failure_error(m: Migration, failure: StatementError, index: int, total: int, retries: int, *, down: bool,
                  undo: Undo | None, engine: Engine, conn: Any, url: str,
                  lock_timeout_ms: int) -> tuple[MigrationFailed, int, str]:
    """The error to raise for step ``index`` of ``total`` of ``m`` that failed after ``retries`` lock
    retries, with the progress its history row keeps and the detail that row records."""
    exc, st = failure.exc, failure.statement
    e = engine
    lost = e.is_connection_lost(exc, conn)
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
        cause = f"The connection to {redact_url(url)} was lost during the {section}{where} ({reason})"
        error: MigrationFailed = ConnectionLost(
            f"{cause}; the server rolled back the open transaction, so {undone}{kept}. Run the command again.",
            sqlstate=sqlstate, file=m.path.name, line=st.line if st else None, cause=cause)
    elif e.is_lock_timeout(exc):
        blockers = failure.blockers
        who = (f"; blocked by {blockers[0].describe()}" if blockers
               else "; the blocking session had finished by the time it was checked")
        cause = f"{where} could not get its lock within lock_timeout {lock_timeout_ms} ms on {retries + 1} tries{who}"
        error = LockTimeout(
            f"{cause}. The {what} was rolled back ({undone}{kept}); end the blocking session or retry at a "
            "quieter time.",
            sqlstate=sqlstate, file=m.path.name, line=st.line if st else None, cause=cause)
    else:
        code = f" (SQLSTATE {sqlstate})" if sqlstate else ""
        statement = f": `{shorten(st.sql)}`" if st is not None else ""
        cause = f"{where} failed{code}: {reason}{statement}"
        error = MigrationFailed(
            f"{cause}. The {what} was rolled back ({undone}{kept}); fix it and run the command again.",
            sqlstate=sqlstate, file=m.path.name, line=st.line if st else None, cause=cause)
    detail = f"SQLSTATE {sqlstate or '?'} at line {st.line if st else '?'}: {reason}"
    if st is not None:
        detail += f" | {shorten(st.sql, 500)}"
    if undo is not None and undo.attempted and undo.error is None:
        error.undone = undo.committed
    return error, progress, detail

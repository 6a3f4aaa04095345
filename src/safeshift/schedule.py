"""Where each migration stands on one database, and which ones a run may apply.

Pure functions over the migrations folder and the history rows: no connection, so the
same answers serve ``status``, ``migrate --dry-run`` and the runner itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from safeshift import sections
from safeshift.errors import (
    AppliedMigrationEdited,
    HistoryConflict,
    MigrationsError,
    MissingMigration,
    NotReversible,
    OutOfOrder,
)
from safeshift.formats import safeshift as migrations
from safeshift.formats.safeshift import MigrationFolder
from safeshift.history import Record
from safeshift.sections import Migration, SqlStatement
from safeshift.txsplit import step_numbers

State = Literal["applied", "pending", "failed", "running", "rolling_back", "edited", "missing"]


@dataclass(frozen=True)
class Step:
    """Statements that commit together: one transaction, or one statement run alone."""

    statements: tuple[SqlStatement, ...]
    transactional: bool


def steps(statements: Sequence[SqlStatement]) -> tuple[Step, ...]:
    """Split a section at its ``-- safeshift:no-transaction`` and ``new-transaction`` statements.

    A section without such statements is one step, so an ordinary migration is exactly
    one transaction; an empty section is one empty step, so it still gets recorded.
    """
    groups: dict[int, list[SqlStatement]] = {}
    for number, st in zip(step_numbers(statements), statements, strict=True):
        groups.setdefault(number, []).append(st)
    out = [Step(tuple(group), group[0].transactional) for group in groups.values()]
    return tuple(out) if out else (Step((), True),)


def alone_where_committed(folder: MigrationFolder, commits_implicitly: Callable[[str], bool]) -> MigrationFolder:
    """``folder`` as a database without transactional DDL runs it: each statement it commits on its own is a
    step of its own (``sections.alone_where_committed``), so progress is recorded statement by statement."""
    found = tuple(sections.alone_where_committed(m, commits_implicitly) for m in folder.migrations)
    if all(a is b for a, b in zip(found, folder.migrations, strict=True)):
        return folder
    return replace(folder, migrations=found)


@dataclass(frozen=True)
class MigrationStatus:
    version: str
    name: str
    state: State
    file: Path | None
    applied_at: str | None = None
    duration_ms: int | None = None
    applied_by: str | None = None
    #: steps committed so far / steps in the up section (non-transactional migrations)
    progress: int = 0
    steps: int = 1
    error: str | None = None
    recorded_checksum: str | None = None
    file_checksum: str | None = None


def statuses(folder: MigrationFolder, records: Mapping[str, Record]) -> list[MigrationStatus]:
    """Every migration in the folder or the history, in version order."""
    out: list[MigrationStatus] = []
    files = {m.version: m for m in folder.migrations}
    for version in sorted(set(files) | set(records)):
        m = files.get(version)
        r = records.get(version)
        file_sum = migrations.checksum(m) if m else None
        n_steps = len(steps(m.up_statements)) if m else 1
        if r is None:
            assert m is not None
            out.append(MigrationStatus(version, m.name, "pending", m.path, steps=n_steps, file_checksum=file_sum))
            continue
        state: State
        if m is None:
            state = "missing"
        elif r.status == "applied" and r.checksum != file_sum:
            state = "edited"
        else:
            state = r.status if r.status in ("applied", "failed", "running", "rolling_back") else "failed"
        out.append(MigrationStatus(
            version, m.name if m else r.name, state, m.path if m else None, r.applied_at, r.duration_ms,
            r.applied_by, r.progress, n_steps, r.error, r.checksum, file_sum))
    return out


def check_applied(folder: MigrationFolder, records: Mapping[str, Record]) -> None:
    """Refuse (exit 3) when a file the database has applied, even in part, is gone from the folder or edited.

    Every command that has the database asks this before the sum file (``safeshift.sum``): for
    an applied file the history is the truth, and the fix is to put the file back, never to
    re-seal it.  A failed migration that committed nothing is still pending, free to edit.
    """
    files = {m.version: m for m in folder.migrations}
    for v, r in sorted(records.items()):
        m = files.get(v)
        if m is None:
            if r.status in ("applied", "rolling_back"):
                raise MissingMigration(
                    f"The database has applied {v}_{r.name}, but {folder.path.name}/ has no such file; put the file "
                    "back (e.g. `git checkout` it), or deploy from a checkout that contains it."
                )
            continue
        touched = r.status in ("applied", "running", "rolling_back") or (r.status == "failed" and r.progress > 0)
        if touched and r.checksum != migrations.checksum(m):
            raise AppliedMigrationEdited(
                f"{m.path.name} was edited after it was {'applied' if r.status == 'applied' else 'partly applied'} "
                f"(recorded checksum {r.checksum[:12]}, file {migrations.checksum(m)[:12]}); put the file back as "
                f"it was (`git checkout -- {folder.path.name}/{m.path.name}`) and write a new migration for the "
                "change."
            )


@dataclass(frozen=True)
class Pending:
    migration: Migration
    steps: tuple[Step, ...]
    #: steps a previous, interrupted run already committed
    resume_from: int = 0
    #: whether a history row exists (failed or running) and must be replaced
    has_record: bool = False
    #: the row says ``running``: a runner died part-way, without seeing how its last step ended
    interrupted: bool = False


def pending(folder: MigrationFolder, records: Mapping[str, Record], *, to: str | None = None,
            allow_out_of_order: bool = False) -> list[Pending]:
    """What ``migrate`` would run, in order; raises HistoryConflict when the folder does not fit."""
    if to is not None and folder.get(to) is None:
        raise MigrationsError(f"--to {to}: there is no migration with that version in {folder.path.name}/.")
    files = {m.version: m for m in folder.migrations}
    applied = [v for v, r in records.items() if r.status == "applied"]
    check_applied(folder, records)
    for v, r in sorted(records.items()):
        m = files.get(v)
        if m is not None and r.status == "rolling_back":
            raise HistoryConflict(
                f"{m.path.name} is part-way through a rollback ({r.progress} step(s) of its down section done); "
                "run `safeshift rollback` again to finish it before migrating."
            )
    newest = max(applied, default=None)
    last_row = _newest_drizzle_row(folder, applied)
    out: list[Pending] = []
    for m in folder.migrations:
        if to is not None and m.version > to:
            break
        rec = records.get(m.version)
        if rec is not None and rec.status == "applied":
            continue
        if m.created_at is not None:
            # a drizzle migration: skipped exactly where drizzle's migrator would skip it, whatever the order
            if last_row is not None and m.created_at <= (last_row.created_at or 0) and not allow_out_of_order:
                raise _drizzle_would_skip(m, last_row)
        elif newest is not None and m.version < newest and not allow_out_of_order:
            raise OutOfOrder(
                f"{m.path.name} is pending but older than {newest}, the newest migration this database has "
                "applied (a merged branch?); give it a newer version, or pass --allow-out-of-order if it does "
                "not depend on the newer ones."
            )
        resume = rec.progress if rec is not None and rec.status in ("running", "failed") else 0
        out.append(Pending(m, steps(m.up_statements), resume, rec is not None,
                           rec is not None and rec.status == "running"))
    return out


def _newest_drizzle_row(folder: MigrationFolder, applied: Sequence[str]) -> Migration | None:
    """The applied drizzle migration whose row drizzle's migrator takes for the last one: the greatest
    ``created_at`` (its ``ORDER BY created_at DESC LIMIT 1``), which after a merge need not be the last
    in the journal.  None for a safeshift folder, or when nothing is applied (then drizzle applies all)."""
    files = {m.version: m for m in folder.migrations}
    done = [files[v] for v in applied if v in files and files[v].created_at is not None]
    return max(done, key=lambda m: m.created_at or 0, default=None)


def _drizzle_would_skip(m: Migration, last: Migration) -> OutOfOrder:
    """drizzle's migrator applies a journal entry only if its ``when`` is later than the ``created_at`` of the
    newest row in its table (``pg-core/dialect.js`` ``migrate``): where it would skip one, safeshift refuses
    rather than build a database drizzle's migrator would not."""
    return OutOfOrder(
        f"drizzle's migrator would skip {m.path.name} on this database because its journal \"when\" "
        f"({m.created_at}) is not later than {last.created_at}, the created_at of the newest row in drizzle's "
        f"table ({last.path.name}'s), and drizzle applies only entries newer than that row; pass "
        "--allow-out-of-order to apply it here anyway (drizzle's migrator then finds it applied), or, if no "
        f"database has applied it yet, give it a \"when\" later than {last.created_at} in meta/_journal.json."
    )


def rollback_start(m: Migration, r: Record) -> int:
    """The down step a rollback of ``m`` starts at: where an earlier rollback stopped; for a migration that
    stopped part-way, the undo block of its newest committed step; else the first."""
    if r.status == "rolling_back":
        return r.progress
    if r.status in ("running", "failed") and r.progress > 0:
        up = steps(m.up_statements)
        committed = r.progress
        if r.status == "running" and committed < len(up) and not up[committed].transactional:
            # a runner killed during a step run alone may have seen it finish without recording it; the
            # block of that step copes with either (what safeshift writes there is IF EXISTS)
            committed += 1
        begin = sections.undo_start(m, committed)
        return begin if begin is not None else 0
    return 0


def rollback_targets(folder: MigrationFolder, records: Mapping[str, Record], *, steps_back: int | None,
                     to: str | None) -> list[tuple[Migration, Record]]:
    """The applied migrations to take back, newest first; refuses before anything runs."""
    files = {m.version: m for m in folder.migrations}
    live = sorted(((v, r) for v, r in records.items()), reverse=True)
    part_way: list[tuple[str, Record]] = []
    for v, r in live:
        if r.status in ("running", "failed") and r.progress > 0:
            label = files[v].path.name if v in files else f"{v}_{r.name}"
            if v in files and sections.undo_start(files[v], r.progress) is not None:
                part_way.append((v, r))  # its undo blocks take back exactly the committed steps
                continue
            raise HistoryConflict(
                f"{label} is part-way applied ({r.progress} step(s) committed) and its down section has no "
                "`-- safeshift:undoes` blocks to undo just those; finish it with `safeshift migrate` before "
                "rolling back."
            )
    applied = sorted([*part_way, *((v, r) for v, r in live if r.status in ("applied", "rolling_back"))],
                     reverse=True)
    if to is not None:
        if to != "0" and to not in records:
            raise MigrationsError(f"--to {to}: this database has not applied a migration with that version "
                                  "(use --to 0 to roll back everything).")
        chosen = [(v, r) for v, r in applied if to == "0" or v > to]
    else:
        if steps_back is not None and len(applied) < steps_back and applied:
            # a count past the oldest would otherwise quietly mean "everything": say so, and how to ask for it
            n = len(applied)
            raise MigrationsError(
                f"--steps {steps_back}: only {n} migration{' is' if n == 1 else 's are'} applied; use --steps {n} "
                f"or --to 0 to {'roll it back' if n == 1 else 'roll back all of them'}."
            )
        chosen = applied[: steps_back if steps_back is not None else 1]
    out: list[tuple[Migration, Record]] = []
    for v, r in chosen:
        m = files.get(v)
        if m is None:
            raise MissingMigration(
                f"Cannot roll back {v}_{r.name}: its file is not in {folder.path.name}/, so its down section is "
                "unknown; restore the file first."
            )
        if r.checksum != migrations.checksum(m):
            raise AppliedMigrationEdited(
                f"Cannot roll back {m.path.name}: the file was edited after it was applied (recorded checksum "
                f"{r.checksum[:12]}, file {migrations.checksum(m)[:12]}); put the file back as it was."
            )
        if m.irreversible and m.created_at is not None:  # a drizzle migration: its down SQL is a file of its own
            why = m.irreversible_reason or "drizzle's snapshots cannot give its down SQL (a custom or hand-written " \
                                            "migration)"
            raise NotReversible(
                f"Cannot roll back {m.path.name}: {why}; write it in .safeshift/drizzle-down/{m.version}.sql (and "
                "delete its `-- safeshift:irreversible` line), or restore a backup."
            )
        if m.irreversible:
            raise NotReversible(
                f"Cannot roll back {m.path.name}: it is marked `-- safeshift:irreversible`; restore a backup or "
                "write a new migration that undoes it."
            )
        if not m.down_statements:
            raise NotReversible(
                f"Cannot roll back {m.path.name}: its down section is empty; undo it with a new migration or "
                "restore a backup taken before it."
            )
        out.append((m, r))
    return out

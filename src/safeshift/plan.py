"""[Change] → ordered, dialect-ready steps, and the up/down statements of a migration.

The diff lists what differs; this module decides the order (dependencies: types before
tables, tables before foreign keys, drops of dependants before what they depend on),
splits a new table into CREATE TABLE + indexes + foreign keys, and — where the dialect
cannot do a change in place (SQLite's ALTER TABLE) — folds a table's changes into one
RebuildTable.  It asks the dialect; it never compares schemas itself beyond looking up
the tables the changes name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from safeshift.changes import (
    AddColumn,
    AddDomainCheck,
    AddForeignKey,
    Change,
    CreateDomain,
    CreateFunction,
    CreateIndex,
    CreateTable,
    CreateTrigger,
    DropColumn,
    DropDomain,
    DropDomainCheck,
    DropForeignKey,
    DropFunction,
    DropIndex,
    DropTable,
    RebuildTable,
    RecreateFunction,
    RenameColumn,
    RenameIndex,
    RenameTable,
    ReplaceFunction,
    strip_table,
)
from safeshift.dialects.base import Dialect, Statement
from safeshift.dialects.safe import Refusal, SafeContext
from safeshift.errors import UnsafeChange
from safeshift.model import Index, Schema, Table
from safeshift.txsplit import step_numbers

#: execution phase of each change kind; a stable sort keeps the diff's order within a phase
PHASES: dict[str, float] = {
    "create_schema": 0,
    # what hangs on tables and types goes first: a view blocks a change to the type of a column it
    # reads (also through an enum swap), and DROP VIEW takes the view's triggers with it
    "drop_trigger": 0.2, "drop_policy": 0.2,
    "drop_view": 0.3,
    "create_extension": 0.5, "move_extension": 0.5,
    # a collation before the domains, types, columns and indexes that use it
    "create_collation": 0.6, "recreate_collation": 0.6,
    "create_enum": 1, "alter_enum": 1, "create_sequence": 1,
    # a domain may be over an enum, a composite type may hold a domain, and functions may take either;
    # the diff orders domains over domains and composite types holding composite types
    "create_domain": 1.1, "recreate_domain": 1.1,
    "create_composite_type": 1.2, "alter_composite_type": 1.2, "recreate_composite_type": 1.2,
    # before the tables whose defaults, checks and generated columns call them (bodies are not
    # checked at creation, so a function may use a table created later)
    "create_function": 1.5, "replace_function": 1.5, "recreate_function": 1.5,
    # a domain's CHECK or default may call a function: the plan adds a new domain's checks here
    "add_domain_check": 1.6, "alter_domain": 1.6,
    "drop_foreign_key": 3,
    "drop_index": 4, "drop_exclusion": 4, "drop_unique": 4, "drop_check": 4, "drop_primary_key": 4,
    "drop_domain_check": 4,
    "rename_table": 5,
    # after the parent's indexes and constraints are dropped (they go from the partition with them), so the
    # detached table keeps nothing of the old parent's that the re-attach would not take back
    "detach_partition": 5.5,
    "rename_column": 6, "rename_constraint": 6, "rename_index": 6,
    "create_table": 7, "rebuild_table": 7,
    "add_column": 8,
    "alter_column": 9, "release_sequence": 9, "adopt_sequence": 9, "set_table_comment": 9, "set_row_security": 9,
    "set_table_storage": 9,
    "drop_column": 10,
    "add_primary_key": 11, "add_exclusion": 11, "add_unique": 11, "add_check": 11, "create_index": 11,
    # after the parent's new indexes and keys: ATTACH builds or adopts the partition's matching ones
    "attach_partition": 11.5,
    "add_foreign_key": 12,
    "drop_table": 13,
    "drop_function": 13.5,
    # after the tables and functions that use them, before the enums and collations they use
    "drop_composite_type": 13.6, "drop_domain": 13.7,
    "drop_sequence": 14, "alter_sequence": 14, "drop_enum": 14,
    "drop_collation": 14.2,
    "drop_extension": 14.5,
    "drop_schema": 15,
    "create_view": 16, "replace_view": 16,
    # triggers may sit on views, and policies and triggers call functions and name columns
    "create_trigger": 17, "set_trigger_state": 17, "create_policy": 17, "alter_policy": 17,
    # last: every object a privilege is on exists by now (a REVOKE on an object the changes drop renders
    # nothing, so none has to run before its DROP); one phase, so a REVOKE of the old grant option runs
    # before the GRANT that replaces it, in both sections
    "revoke_privilege": 18, "grant_privilege": 18,
}

RESTORE_ONLY = "restores the structure only: the data comes back only from a backup"


@dataclass(frozen=True)
class Step:
    change: Change
    #: the diff-level change this step came from (a split CreateTable yields several steps)
    origins: tuple[Change, ...]


@dataclass(frozen=True)
class Sections:
    up: list[Statement]
    down: list[Statement]


#: in a down section the renames run last (see ``plan``)
_RENAMES_LAST = {"rename_constraint": 14.1, "rename_index": 14.1, "rename_column": 14.2, "rename_table": 14.3}


def plan(changes: list[Change], old: Schema, new: Schema, dialect: Dialect, *,
         renames_last: bool = False) -> list[Step]:
    """Order ``changes`` for execution.

    The diff names every object by its name in the *new* schema (an altered column of a
    renamed table is addressed under the new names).  Going up, renames therefore run
    first; a down section consists of inverses that still use those names, so there the
    renames back run last (``renames_last``).
    """
    steps = _expand(changes, dialect, old, new)
    steps = _rebuild(steps, old, new, dialect)
    phases = {**PHASES, **_RENAMES_LAST} if renames_last else PHASES
    return sorted(steps, key=lambda s: _phase(s.change, phases))


def _phase(change: Change, phases: dict[str, float]) -> float:
    """The change's phase; a function whose SQL-standard body (``BEGIN ATOMIC``, ``RETURN``) reads tables or
    views depends on them from its creation, so it comes after the tables and before the views that may
    call it, and goes before the tables do (other functions keep their kind's place, before the tables
    whose defaults and checks call them)."""
    if isinstance(change, (CreateFunction, DropFunction)) and change.function.reads_relations:
        return _SQL_BODY_DROP if isinstance(change, DropFunction) else _SQL_BODY_CREATE
    if isinstance(change, (ReplaceFunction, RecreateFunction)) and (change.new.reads_relations or change.old.reads_relations):
        return _SQL_BODY_CREATE
    return phases[change.kind]


#: after the columns a body may read are added and the schemas it may live in exist; before create_view
_SQL_BODY_CREATE = 15.5
#: with the triggers and policies that go first, before any table or column it reads is dropped
_SQL_BODY_DROP = 0.25


def render(changes: list[Change], old: Schema, new: Schema, dialect: Dialect, *, safe: bool = False,
           expand: bool = False, lock_timeout: str = "5s", server_version: str | None = None) -> Sections:
    """Up and down statements; down comes from the inverses and says where data cannot return.

    ``safe`` asks the dialect for the lock-safe form of every change on a table that already
    holds rows (see ``dialects/safe.py``); a change without one is refused, naming each, unless
    ``expand`` asks for the expand sequence.  ``server_version``: the target server's, when known (MySQL's
    online DDL clauses depend on it); without it the lock-safe form suits every supported version.
    """
    up_ctx = SafeContext(old, _created(changes), expand=expand, after=new, server_version=server_version) \
        if safe else None
    refusals: list[Refusal] = []
    placed: list[_Placed] = []
    up_steps = plan(changes, old, new, dialect)
    up_dialect, down_dialect = dialect.between(old, new), dialect.between(new, old)
    up = _statements(up_steps, up_dialect, {
        c: f"data loss: {loss}" for c in changes if (loss := dialect.data_loss(c))}, up_ctx, refusals, placed)
    if refusals:
        raise UnsafeChange(_refusal_message(refusals, expand), tuple(r.target for r in refusals))
    inverses: dict[Change, Change] = {}
    notes: dict[Change, str] = {}
    for c in reversed(changes):
        inv = c.inverse()
        if isinstance(c, DropColumn) and isinstance(inv, AddColumn) and c.column.needs_backfill:
            inv = replace(inv, backfill=True)
        if loss := dialect.data_loss(c):
            notes[inv] = f"{RESTORE_ONLY} ({loss})"
        inverses[c] = inv
    down_ctx = SafeContext(new, _created(list(inverses.values())), refuse=False, after=old,
                           server_version=server_version) if safe else None
    numbers = step_numbers(up)
    if not numbers or max(numbers) == 0 or any(isinstance(s.change, RebuildTable) for s in up_steps):
        # one transaction: the whole down section undoes it, whatever happens in between
        down = _statements(plan(list(inverses.values()), new, old, dialect, renames_last=True), down_dialect, notes,
                           down_ctx, [])
    else:
        down = _undo_blocks(changes, inverses, placed, numbers, new, old, down_dialect, notes, down_ctx)
    if safe:
        up, down = _bound_locks(up, dialect, lock_timeout), _bound_locks(down, dialect, lock_timeout)
    return Sections(up, down)


@dataclass(frozen=True)
class _Placed:
    """Where one planned step's statements landed in the up section, and its lock-safe undo if it has one."""

    step: Step
    first: int
    last: int
    undo: list[Statement] | None
    #: ``SafeRender.undo_each``: each statement's own undo, by position from ``first``
    undo_each: list[list[Statement]] | None = None


def _undo_blocks(changes: list[Change], inverses: dict[Change, Change], placed: list[_Placed], numbers: list[int],
                 new: Schema, old: Schema, dialect: Dialect, notes: dict[Change, str],
                 down_ctx: SafeContext | None) -> list[Statement]:
    """The down section of a migration that commits in several steps, as one block per up step, newest first.

    Block N (``-- safeshift:undoes N``) undoes the changes whose first statement is in up step N, so
    the runner can undo exactly the steps a failed or interrupted run committed by running the blocks
    of those steps, and a full rollback runs them all.  A change whose statements span several steps
    is undone with the dialect's tolerant undo (every statement copes with a part done or not done);
    the rest with their inverses, planned as a down section is (renames back last).
    """
    first_step: dict[Change, int] = {}
    spans: dict[Change, bool] = {}
    tolerant: dict[Change, list[Statement]] = {}
    #: the pieces a change was planned as (a dropped domain's checks, then the domain), with their steps
    parts: dict[Change, list[tuple[int, Change]]] = defaultdict(list)
    for p in placed:
        for origin in p.step.origins:
            start = numbers[p.first] if p.first < len(numbers) else numbers[-1]
            first_step[origin] = min(first_step.get(origin, start), start)
            if p.last >= p.first and numbers[p.last] != numbers[p.first]:
                spans[origin] = True
                if p.undo is not None and len(p.step.origins) == 1:
                    tolerant[origin] = p.undo
            if p.step.change is not origin and len(p.step.origins) == 1:
                parts[origin].append((start, p.step.change))
    # a change whose pieces landed in different steps is undone piece by piece, each in its step's block: its
    # whole inverse in the first step's block would run last in a full rollback, after the blocks of later
    # steps that need what it restores (a domain a column's type change goes back to)
    by_piece: dict[int, list[Change]] = defaultdict(list)
    for origin, pieces in parts.items():
        if origin in tolerant or len({n for n, _ in pieces}) < 2:
            continue
        del first_step[origin]
        for n, piece in pieces:
            inv = piece.inverse()
            if piece.kind == origin.kind and inverses[origin] in notes:
                notes[inv] = notes[inverses[origin]]
            by_piece[n].append(inv)
    # a change that says what undoes each of its statements is undone statement by statement, each in its
    # step's block (later statements first), instead of by its inverse in its first step's block
    each: dict[int, list[Statement]] = defaultdict(list)
    for p in placed:
        if p.undo_each is None or len(p.step.origins) != 1:
            continue
        first_step.pop(p.step.origins[0], None)
        for i, undo in enumerate(p.undo_each):
            n = numbers[p.first + i]
            each[n] = [*undo, *each[n]]
    out: list[Statement] = []
    for n in sorted(set(first_step.values()) | by_piece.keys() | each.keys(), reverse=True):
        mine = [c for c in reversed(changes) if first_step.get(c) == n]
        block: list[Statement] = list(each.get(n, ()))
        plain = [inverses[c] for c in mine if not (spans.get(c) and c in tolerant)] + by_piece[n][::-1]
        for c in mine:
            if spans.get(c) and c in tolerant:
                undo = tolerant[c]
                if inverses[c] in notes and undo:
                    undo = [replace(undo[0], comment="\n".join(x for x in (undo[0].comment, notes[inverses[c]]) if x)),
                            *undo[1:]]
                block += undo
        block += _statements(plan(plain, new, old, dialect, renames_last=True), dialect, notes, down_ctx, [])
        if not block:
            continue
        head = block[0]
        block[0] = replace(head, undoes=n + 1, new_transaction=head.transactional)
        out += block
    return out


def expand_added_columns(changes: list[Change], old: Schema, new: Schema) -> tuple[list[Change], Schema, list[str]]:
    """The expand step for NOT NULL columns without a default added to tables that hold rows.

    They are added nullable and the schema this migration leaves says so, so the next
    ``generate`` (after a hand-written backfill) sets NOT NULL through a validated check.
    """
    created = _created(changes)
    out: list[Change] = []
    relaxed: dict[tuple[str, str], set[str]] = defaultdict(set)
    notes: list[str] = []
    for c in changes:
        if (isinstance(c, AddColumn) and (c.schema, c.table) not in created and old.table(c.schema, c.table)
                and c.column.needs_backfill and not c.backfill):
            c = replace(c, column=replace(c.column, nullable=True))
            relaxed[(c.schema, c.table)].add(c.column.name)
            notes.append(f"{c.schema}.{c.table}.{c.column.name} is added nullable: backfill it in a custom migration "
                         "(`safeshift generate --custom`), then run `safeshift generate` again to make it NOT NULL")
        out.append(c)
    if not relaxed:
        return changes, new, []
    tables = [replace(t, columns=tuple(replace(col, nullable=True) if col.name in relaxed.get(t.key, ()) else col
                                       for col in t.columns)) for t in new.tables]
    return out, replace(new, tables=tuple(tables)), notes


def _created(changes: list[Change]) -> frozenset[tuple[str, str]]:
    return frozenset((c.table.schema, c.table.name) for c in changes if isinstance(c, CreateTable))


def _refusal_message(refusals: list[Refusal], expand: bool) -> str:
    """Each refusal with its recipe; the last line offers what was not tried yet (never --expand to a run
    that gave it: what --expand could not write says why and what to do on its own line)."""
    lines = [f"{len(refusals)} change(s) have no lock-safe form on a table that holds rows; nothing was written:"]
    lines += [f"  {r.target}: {r.reason}; {r.recipe}." for r in refusals]
    if expand:
        lines.append("--expand cannot write these: do what each line says, or use --no-safe for the plain form "
                     "(empty tables only).")
    else:
        lines.append("Use --expand for the expand sequence, or --no-safe for the plain form (empty tables only).")
    return "\n".join(lines)


def _bound_locks(statements: list[Statement], dialect: Dialect, value: str) -> list[Statement]:
    """``SET LOCAL lock_timeout`` first in every transaction that touches a table, so no step queues for long."""
    setting = dialect.lock_timeout_sql(value)
    if setting is None or not statements:
        return statements
    out: list[Statement] = []
    head = True
    for st in statements:
        if not st.transactional:
            out.append(st)
            head = True
            continue
        if head or st.new_transaction:
            # the setting opens the transaction now, so it also carries where an undo block starts
            out.append(replace(setting, new_transaction=st.new_transaction and not head, undoes=st.undoes))
            st = replace(st, new_transaction=False, undoes=None)
            head = False
        out.append(st)
    return out


def _statements(steps: list[Step], dialect: Dialect, notes: dict[Change, str], ctx: SafeContext | None = None,
                refusals: list[Refusal] | None = None, placed: list[_Placed] | None = None) -> list[Statement]:
    out: list[Statement] = []
    # a change's note (data loss) goes once, above the step that is the change itself (the DROP TABLE, not the
    # DROP CONSTRAINTs split off before it), or above its first step when no step is of its kind
    own = {o for step in steps for o in step.origins if type(step.change) is type(o)}
    noted: set[Change] = set()
    for step in steps:
        begin = len(out)
        mine = [o for o in step.origins if o in notes and o not in noted
                and (type(step.change) is type(o) or o not in own)]
        noted.update(mine)
        comment = "; ".join(dict.fromkeys(notes[o] for o in mine)) or None
        safe = dialect.render_safe(step.change, ctx) if ctx is not None else None
        if safe is not None and safe.refusal is not None and refusals is not None:
            refusals.append(safe.refusal)
        statements = safe.statements if safe is not None else dialect.render(step.change)
        if safe is not None and statements and statements[0].transactional:
            # each change to a table that holds rows commits on its own, so no lock outlives its change
            statements = [replace(statements[0], new_transaction=True), *statements[1:]]
        for i, st in enumerate(statements):
            if i == 0 and comment:
                st = replace(st, comment="\n".join(x for x in (st.comment, comment) if x))
            out.append(st)
        if placed is not None:
            placed.append(_Placed(step, begin, len(out) - 1, safe.undo if safe is not None else None,
                                  safe.undo_each if safe is not None else None))
    return out


def _expand(changes: list[Change], dialect: Dialect, old: Schema, new: Schema) -> list[Step]:
    """Split table creation/removal into the pieces the dialect runs separately."""
    inline_fks = not dialect.capabilities.alter_constraints
    steps: list[Step] = []
    renamed_columns = {(c.schema, c.table) for c in changes if isinstance(c, RenameColumn)}
    for c in changes:
        index = _renamed_index(c, old, new) if not dialect.capabilities.rename_index else None
        # a column renamed in the same migration: the index is made where the table is rebuilt, as before (its
        # definition names the columns under one side's names only, and down renames the columns back last)
        if isinstance(c, RenameIndex) and index is not None and (c.schema, c.table) not in renamed_columns:
            steps += [Step(DropIndex(c.schema, c.table, replace(index, name=c.old)), (c,)),
                      Step(CreateIndex(c.schema, c.table, replace(index, name=c.new)), (c,))]
        elif isinstance(c, CreateTable):
            t = c.table
            base = replace(t, indexes=()) if inline_fks else strip_table(t)
            steps.append(Step(CreateTable(base), (c,)))
            steps += [Step(CreateIndex(t.schema, t.name, i), (c,)) for i in t.indexes]
            if not inline_fks:
                steps += [Step(AddForeignKey(t.schema, t.name, f), (c,)) for f in t.foreign_keys]
        elif isinstance(c, CreateDomain) and c.domain.checks:
            # the checks after the functions they may call, which may take the domain as an argument
            d = c.domain
            steps.append(Step(CreateDomain(replace(d, checks=())), (c,)))
            steps += [Step(AddDomainCheck(d.schema, d.name, k), (c,)) for k in d.checks]
        elif isinstance(c, DropDomain) and c.domain.checks:
            d = c.domain
            steps += [Step(DropDomainCheck(d.schema, d.name, k), (c,)) for k in d.checks]
            steps.append(Step(DropDomain(replace(d, checks=())), (c,)))
        elif isinstance(c, DropTable) and not inline_fks:
            t = c.table
            steps += [Step(DropForeignKey(t.schema, t.name, f), (c,)) for f in t.foreign_keys]
            # its indexes stay on the piece: DROP TABLE takes them along, and undone piece by piece (a MySQL
            # migration, one step per statement) the piece's inverse must create them again
            steps.append(Step(DropTable(replace(t, foreign_keys=())), (c,)))
        else:
            steps.append(Step(c, (c,)))
    return steps


def _renamed_index(change: Change, old: Schema, new: Schema) -> Index | None:
    """The definition of the index a RenameIndex renames (the same under either name), from whichever side
    holds it under its new name; None for any other change."""
    if not isinstance(change, RenameIndex):
        return None
    for schema in (new, old):
        table = schema.table(change.schema, change.table)
        found = next((i for i in table.indexes if i.name == change.new), None) if table is not None else None
        if found is not None:
            return found
    return None


def _table_of(change: Change) -> tuple[str, str] | None:
    schema = getattr(change, "schema", None)
    table = getattr(change, "table", None)
    if isinstance(schema, str) and isinstance(table, str):
        return (schema, table)
    return None


def _rebuild(steps: list[Step], old: Schema, new: Schema, dialect: Dialect) -> list[Step]:
    """Fold every table that has a change the dialect cannot run in place into one RebuildTable."""
    needs = {key for s in steps if not dialect.can_apply(s.change) and (key := _table_of(s.change))}
    if not needs:
        return steps
    renamed_from = {(s.change.schema, s.change.new): s.change.old for s in steps
                    if isinstance(s.change, RenameTable)}
    renamed_to = {(s.change.schema, s.change.old): s.change.new for s in steps
                  if isinstance(s.change, RenameTable)}
    grouped: dict[tuple[str, str], list[Step]] = defaultdict(list)
    rest: list[Step] = []
    creating = {s.change.trigger.key for s in steps if isinstance(s.change, CreateTrigger)}
    for s in steps:
        key = _table_of(s.change)
        if key in needs and not isinstance(s.change, (CreateTable, DropTable)):
            grouped[key].append(s)
        else:
            rest.append(s)
    for key, group in grouped.items():
        schema, name = key
        # going up the table is already renamed when it is rebuilt; going down it is renamed back afterwards
        before = old.table(schema, renamed_from.get(key, name))
        after = new.table(schema, renamed_to.get(key, name))
        if before is None or after is None:  # created or dropped in this migration: nothing to rebuild
            rest += group
            continue
        col_renames = {s.change.new: s.change.old for s in group if isinstance(s.change, RenameColumn)}
        added = {s.change.column.name for s in group if isinstance(s.change, AddColumn)}
        old_names = set(before.column_names())
        cmap = tuple(
            (c.name, None if c.name in added else col_renames.get(c.name, c.name if c.name in old_names else None))
            for c in after.columns
        )
        backfill = tuple(s.change.column.name for s in group if isinstance(s.change, AddColumn) and s.change.backfill)
        origins = tuple(o for s in group for o in s.origins)
        rest.append(Step(RebuildTable(_renamed(before, name), _renamed(after, name), cmap, backfill), origins))
        # the rebuild drops the old table and its triggers with it: those the migration keeps come back after it
        rest += [Step(CreateTrigger(t), origins) for t in new.triggers
                 if (t.schema, t.table) == (schema, after.name) and t.key not in creating]
    return rest


def _renamed(t: Table, name: str) -> Table:
    return t if t.name == name else replace(t, name=name)

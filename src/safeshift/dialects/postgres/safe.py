"""Lock-safe forms of PostgreSQL changes on tables that already hold data.

Plain DDL takes an ACCESS EXCLUSIVE (or SHARE) lock and keeps it while it scans or rewrites
the table, so every reader and writer queues behind it.  Each rewrite here splits a change
into steps whose locks are either weak (CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT) or
held only for a catalog update, and puts a transaction boundary between them.  Tables the
same migration creates are empty and keep the plain form.

Changes with no lock-safe form (a rewriting type change, a NOT NULL column without a
default) are refused with the recipe, unless the caller asked for the expand sequence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from safeshift import changes as ch
from safeshift.dialects.base import Statement
from safeshift.dialects.safe import Refusal, SafeContext, SafeRender
from safeshift.model import Column, Index, IndexElement, Table

if TYPE_CHECKING:
    from safeshift.dialects.base import ConstraintKind
    from safeshift.model import Check, ForeignKey


class PgSQL(Protocol):
    """What the lock-safe forms ask of PostgreSQL's dialect (PostgresDialect in dialects/postgres/dialect.py);
    named here so this module, which the dialect imports, never imports the dialect back."""

    def quote(self, ident: str) -> str: ...

    def qualify(self, schema: str, name: str) -> str: ...

    def default_constraint_name(self, kind: ConstraintKind, table: str, columns: Sequence[str]) -> str | None: ...

    def column_sql(self, column: Column) -> str: ...

    def check_sql(self, table: str, c: Check) -> str: ...

    def domain_check_sql(self, domain: str, c: Check) -> str: ...

    def fk_sql(self, table: str, fk: ForeignKey) -> str: ...

    def index_sql(self, schema: str, table: str, ix: Index, *, concurrently: bool = False,
                  if_not_exists: bool = False, only: bool = False) -> str: ...

    def alter_column_statements(self, change: ch.AlterColumn) -> list[Statement]: ...

    def render(self, change: ch.Change) -> list[Statement]: ...

    def _table(self, schema: str, table: str) -> str: ...

    def _alter(self, schema: str, table: str, action: str) -> Statement: ...

    def _deferrable(self, deferrable: bool, initially_deferred: bool) -> str: ...

    def _cname(self, name: str | None, kind: ConstraintKind, table: str, columns: Sequence[str]) -> str: ...

    def _comment(self, what: str, target: str, comment: str | None) -> Statement: ...

    def _column_target(self, schema: str, table: str, column: str) -> str: ...

#: what an expand backfill's batches aim at, said in the file; the environment's ``backfill_batch_ms`` rules
BATCH_TARGET = "the environment's backfill_batch_ms (default 20 ms)"


def render(d: PgSQL, change: ch.Change, ctx: SafeContext) -> SafeRender | None:
    """The lock-safe statements for ``change``, or None when the plain form is already safe."""
    if isinstance(change, ch.AddDomainCheck):
        return _domain_check(d, change, ctx)
    table = _table_key(change)
    if table is None or ctx.existing(*table) is None:
        return None
    parent = ctx.existing(*table)
    if parent is not None and parent.partition_by is not None and isinstance(change, _ON_PARTITIONED):
        return _on_partitioned(d, change, parent, ctx)
    if isinstance(change, ch.CreateIndex):
        return SafeRender([Statement(_concurrent(d.index_sql(change.schema, change.table, change.index,
                                                             concurrently=True)), transactional=False)])
    if isinstance(change, ch.DropIndex):
        return SafeRender([Statement(f"DROP INDEX CONCURRENTLY IF EXISTS {d.qualify(change.schema, change.index.name)};",
                                     transactional=False)])
    if isinstance(change, ch.AddForeignKey):
        fk = change.foreign_key
        name = d._cname(fk.name, "fk", change.table, fk.columns)
        statements = _not_valid(d, change.schema, change.table, d.fk_sql(change.table, fk), name)
        if (fk.ref_schema, fk.ref_table) != (change.schema, change.table):
            # parent before child, the order writers take them in, so the two locks cannot deadlock with them
            lock = Statement(f"LOCK TABLE {d.qualify(fk.ref_schema, fk.ref_table)} IN SHARE ROW EXCLUSIVE MODE;")
            statements.insert(0, lock)
        return SafeRender(statements, undo=[_drop_constraint(d, change.schema, change.table, name)])
    if isinstance(change, ch.AddCheck):
        name = d._cname(change.check.name, "check", change.table, ())
        return SafeRender(_not_valid(d, change.schema, change.table, d.check_sql(change.table, change.check), name),
                          undo=[_drop_constraint(d, change.schema, change.table, name)])
    if isinstance(change, ch.AddUnique):
        u = change.unique
        name = u.name or d.default_constraint_name("unique", change.table, u.columns) or ""
        index = Index(name, tuple(IndexElement(c) for c in u.columns), unique=True,
                      nulls_not_distinct=u.nulls_not_distinct)
        deferrable = d._deferrable(u.deferrable, u.initially_deferred)
        return SafeRender(_using_index(d, change.schema, change.table, index,
                                       f"UNIQUE USING INDEX {d.quote(name)}{deferrable}"),
                          undo=_undo_using_index(d, change.schema, change.table, name))
    if isinstance(change, ch.AddPrimaryKey):
        pk = change.primary_key
        name = pk.name or d.default_constraint_name("pk", change.table, pk.columns) or ""
        index = Index(name, tuple(IndexElement(c) for c in pk.columns), unique=True)
        deferrable = d._deferrable(pk.deferrable, pk.initially_deferred)
        return SafeRender(_using_index(d, change.schema, change.table, index,
                                       f"PRIMARY KEY USING INDEX {d.quote(name)}{deferrable}"),
                          undo=_undo_using_index(d, change.schema, change.table, name))
    if isinstance(change, ch.AddColumn):
        return _add_column(d, change, ctx)
    if isinstance(change, ch.AlterColumn):
        return _alter_column(d, change, ctx)
    return None


# -- partitioned tables ------------------------------------------------------------------

#: changes whose lock-safe form (CONCURRENTLY, USING INDEX, a NOT VALID foreign key) PostgreSQL refuses on a
#: partitioned table
_ON_PARTITIONED = (ch.CreateIndex, ch.DropIndex, ch.AddUnique, ch.AddPrimaryKey, ch.AddForeignKey)


def _on_partitioned(d: PgSQL, change: ch.Change, parent: Table, ctx: SafeContext) -> SafeRender:
    """An index on a partitioned table is built partition by partition; the rest runs plainly, saying why."""
    if isinstance(change, ch.CreateIndex):
        return SafeRender(list(_partitioned_index(d, parent, change.index, ctx)),
                          undo=[Statement(f"DROP INDEX IF EXISTS {d.qualify(change.schema, change.index.name)};")])
    plain = d.render(change)
    note = (f"{parent.qualname} is partitioned: PostgreSQL has no lock-safe form of this there (no CONCURRENTLY, "
            "USING INDEX or NOT VALID foreign key on a partitioned table); it holds its lock on the table and "
            "every partition for the whole statement")
    return SafeRender([replace(plain[0], comment=note), *plain[1:]] if plain else [])


def _partitioned_index(d: PgSQL, table: Table, index: Index, ctx: SafeContext,
                       root: str | None = None) -> Iterator[Statement]:
    """``CREATE INDEX ... ON ONLY`` the partitioned table (catalog only, the index stays invalid), then each
    partition's index built CONCURRENTLY (plainly on a partition this migration creates: it is empty) and
    attached; the parent's index becomes valid when the last partition's is attached.  A sub-partitioned
    partition gets the same treatment, one level down."""
    on_only = d.index_sql(table.schema, table.name, index, if_not_exists=True, only=True)
    yield Statement(on_only, comment=f"{table.qualname} is partitioned: the index is built one partition at a time")
    schemas = [s for s in (ctx.before, ctx.after) if s is not None]
    children = sorted({t.key: t for s in schemas for t in s.tables
                       if t.partition_of is not None
                       and (t.partition_of.schema, t.partition_of.table) == table.key}.values(), key=lambda t: t.key)
    for child in children:
        from safeshift.dialects.postgres.names import make_object_name

        own = replace(index, name=make_object_name(child.name, root or index.name, None))
        if child.partition_by is not None:
            yield from _partitioned_index(d, child, own, ctx, root or index.name)
        elif ctx.existing(*child.key) is None:
            yield Statement(d.index_sql(child.schema, child.name, own, if_not_exists=True))
        else:
            yield Statement(_concurrent(d.index_sql(child.schema, child.name, own, concurrently=True)),
                            transactional=False)
        yield replace(Statement(f"ALTER INDEX {d.qualify(table.schema, index.name)} ATTACH PARTITION "
                                f"{d.qualify(child.schema, own.name)};"), new_transaction=True)


# -- the rewrites ------------------------------------------------------------------------

def _not_valid(d: PgSQL, schema: str, table: str, constraint_sql: str, name: str) -> list[Statement]:
    """Add without scanning (brief lock), then validate under a lock that lets writes through."""
    return [
        d._alter(schema, table, f"ADD {constraint_sql} NOT VALID"),
        replace(d._alter(schema, table, f"VALIDATE CONSTRAINT {name}"), new_transaction=True),
    ]


def _domain_check(d: PgSQL, change: ch.AddDomainCheck, ctx: SafeContext) -> SafeRender | None:
    """A check on a domain that existed before this migration, which columns holding rows may use: added NOT
    VALID (a catalog update, committed at once), then validated in a transaction of its own, so a value
    that breaks it fails the validation, not the whole migration's first step."""
    if not any(x.key == (change.schema, change.domain) for x in ctx.before.domains):
        return None  # created by this migration: no column uses it yet
    target = d.qualify(change.schema, change.domain)
    name = d.quote(change.check.name or f"{change.domain}_check")
    return SafeRender([
        Statement(f"ALTER DOMAIN {target} ADD {d.domain_check_sql(change.domain, change.check)} NOT VALID;"),
        Statement(f"ALTER DOMAIN {target} VALIDATE CONSTRAINT {name};", new_transaction=True),
    ], undo=[Statement(f"ALTER DOMAIN {target} DROP CONSTRAINT IF EXISTS {name};")])


def _drop_constraint(d: PgSQL, schema: str, table: str, name: str) -> Statement:
    """Gone whether it was added NOT VALID, validated, or never added."""
    return d._alter(schema, table, f"DROP CONSTRAINT IF EXISTS {name}")


def _undo_using_index(d: PgSQL, schema: str, table: str, name: str) -> list[Statement]:
    """The constraint (its index goes with it) or, if the run stopped before attaching it, the index alone."""
    return [_drop_constraint(d, schema, table, d.quote(name)),
            Statement(f"DROP INDEX CONCURRENTLY IF EXISTS {d.qualify(schema, name)};", transactional=False)]


def _using_index(d: PgSQL, schema: str, table: str, index: Index, constraint: str) -> list[Statement]:
    """Build the unique index concurrently (IF NOT EXISTS: a retry after an interrupted build), then attach it
    as the constraint (a catalog update)."""
    build = d.index_sql(schema, table, index, concurrently=True, if_not_exists=True)
    return [Statement(build, transactional=False),
            replace(d._alter(schema, table, f"ADD CONSTRAINT {d.quote(index.name)} {constraint}"),
                    new_transaction=True)]


def _add_column(d: PgSQL, change: ch.AddColumn, ctx: SafeContext) -> SafeRender | None:
    col = change.column
    if not col.needs_backfill or change.backfill or not ctx.refuse or ctx.expand:
        return None
    target = f"{change.schema}.{change.table}.{col.name}"
    recipe = (f"give {col.name} a server default (a constant default is a catalog-only change), or add it "
              "nullable, backfill it in a custom migration (`safeshift generate --custom`), and make it NOT NULL "
              "in a later migration; `--expand` writes the first step")
    return SafeRender([], Refusal(target, "a NOT NULL column without a default fails on a table that has rows",
                                  recipe))


def _alter_column(d: PgSQL, change: ch.AlterColumn, ctx: SafeContext) -> SafeRender | None:
    old, new = change.old, change.new
    type_rewrites = old.type != new.type and rewrites(old.type, new.type)
    set_not_null = old.nullable and not new.nullable and not (new.serial or new.identity)
    if not type_rewrites and not set_not_null:
        return None
    target = f"{change.schema}.{change.table}.{new.name}"
    if type_rewrites:
        if not ctx.refuse:
            plain = d.alter_column_statements(change)
            note = (f"{old.type} -> {new.type} rewrites {change.schema}.{change.table} under an ACCESS EXCLUSIVE "
                    "lock; for a large table roll back with a hand-written expand sequence instead")
            return SafeRender([replace(plain[0], comment=note), *plain[1:]] if plain else [])
        table = ctx.existing(change.schema, change.table)
        assert table is not None
        if not ctx.expand:
            return SafeRender([], Refusal(
                target, f"{old.type} -> {new.type} rewrites the whole table under an ACCESS EXCLUSIVE lock",
                "expand/contract: add a new column of the new type, keep it in sync with a trigger, backfill it in "
                "batches, then swap the columns; `--expand` writes that sequence"))
        blocked = _expand_blocker(table, old, new)
        if blocked:
            return SafeRender([], Refusal(target, f"{old.type} -> {new.type} rewrites the whole table", blocked))
        return SafeRender(list(_expand_type(d, change, table)), undo=_undo_expand_type(d, change))
    # SET NOT NULL: everything else plainly, then NOT NULL through a validated check
    rest = d.alter_column_statements(replace(change, new=replace(new, nullable=True)))
    check = d.quote(_object_name(change.table, new.name, "not_null"))
    undo = [_drop_constraint(d, change.schema, change.table, check), *d.alter_column_statements(change.inverse())]
    return SafeRender([*rest, *_set_not_null(d, change.schema, change.table, new.name, first_new_txn=bool(rest))],
                      undo=undo)


def _set_not_null(d: PgSQL, schema: str, table: str, column: str, *,
                  first_new_txn: bool = False) -> list[Statement]:
    """SET NOT NULL skips its full scan when a validated CHECK (col IS NOT NULL) proves it (PostgreSQL >= 12)."""
    check = d.quote(_object_name(table, column, "not_null"))
    col = d.quote(column)
    add = d._alter(schema, table, f"ADD CONSTRAINT {check} CHECK ({col} IS NOT NULL) NOT VALID")
    return [
        replace(add, new_transaction=first_new_txn),
        replace(d._alter(schema, table, f"VALIDATE CONSTRAINT {check}"), new_transaction=True),
        replace(d._alter(schema, table, f"ALTER COLUMN {col} SET NOT NULL"), new_transaction=True),
        d._alter(schema, table, f"DROP CONSTRAINT {check}"),
    ]


def _undo_expand_type(d: PgSQL, change: ch.AlterColumn) -> list[Statement]:
    """Before the swap: drop the sync trigger, its function and the new column (its helper check goes with it),
    leaving the old column as it was; after the swap the same statements find nothing, and the type change back
    (a no-op on the old type) undoes the swap."""
    old, new = change.old, change.new
    schema, name = change.schema, change.table
    tmp = d.quote(_object_name(name, new.name, "new"))
    fn = d.qualify(schema, _object_name(name, new.name, "sync"))
    trigger = d.quote(_object_name(name, new.name, "sync"))
    back = d.alter_column_statements(change.inverse())
    note = (f"{new.type} -> {old.type} after the swap rewrites {schema}.{name} under an ACCESS EXCLUSIVE lock; before "
            "it, the column still has its old type and nothing is rewritten")
    return [
        Statement(f"DROP TRIGGER IF EXISTS {trigger} ON {d._table(schema, name)};"),
        Statement(f"DROP FUNCTION IF EXISTS {fn}();"),
        d._alter(schema, name, f"DROP COLUMN IF EXISTS {tmp}"),
        *([replace(back[0], comment=note), *back[1:]] if back else []),
    ]


def _expand_blocker(table: Table, old: Column, new: Column) -> str | None:
    """Why the automatic expand sequence cannot move this column, or None."""
    name = old.name
    if old.identity or old.serial or new.identity or new.serial or old.generated or new.generated:
        return f"{name} is an identity, serial or generated column; move it by hand"
    if table.primary_key and name in table.primary_key.columns:
        return f"{name} is part of the primary key; move it by hand"
    if not table.primary_key or len(table.primary_key.columns) != 1:
        return f"{table.name} has no single-column primary key to batch the backfill by; backfill it by hand"
    checks = [c for c in table.checks if re.search(rf"\b{re.escape(name)}\b", c.expression)]
    used = [u.name or "a unique constraint" for u in table.uniques if name in u.columns]
    used += [f.name or "a foreign key" for f in table.foreign_keys if name in f.columns]
    used += [i.name for i in table.indexes if any(e.value == name for e in i.elements) or i.where]
    if checks and not used:
        # the swap drops the old column, and with it a check that names it: the expand plan would lose it
        named = ", ".join(f"CHECK {c.name} ({c.expression})" if c.name else f"CHECK ({c.expression})" for c in checks)
        return (f"the expand plan is blocked by {named} on {name}, which its swap would drop with the old column; "
                "drop the check in a migration before this one, run `safeshift generate --expand` again, and add the "
                "check back after (NOT VALID, then VALIDATE CONSTRAINT), or move the column by hand in a custom "
                "migration (docs/expand-contract.md)")
    used += [c.name or "a check" for c in checks]
    if used:
        return (f"the expand plan is blocked by {', '.join(str(u) for u in used)} on {name}, which the swap cannot "
                "carry to the new column; move those with it by hand in a custom migration (docs/expand-contract.md)")
    return None


def _expand_type(d: PgSQL, change: ch.AlterColumn, table: Table) -> Iterator[Statement]:
    """New column + sync trigger (brief lock), batched backfill (short commits), swap (catalog only)."""
    old, new = change.old, change.new
    schema, name = change.schema, change.table
    tmp = _object_name(name, new.name, "new")
    fn = d.qualify(schema, _object_name(name, new.name, "sync"))
    trigger = d.quote(_object_name(name, new.name, "sync"))
    col, tmp_q = d.quote(old.name), d.quote(tmp)
    cast = f"{col}::{new.type}"
    rel = d._table(schema, name)
    assert table.primary_key is not None
    pk = d.quote(table.primary_key.columns[0])
    # the function first (it locks no table), then the one ACCESS EXCLUSIVE lock (ADD COLUMN, catalog only),
    # under which the trigger's weaker lock is no second wait: writers queue once, for catalog work only
    yield replace(Statement(f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $safeshift$ "
                            f"BEGIN NEW.{tmp_q} := NEW.{col}::{new.type}; RETURN NEW; END $safeshift$;"),
                  comment=f"expand {old.type} -> {new.type}: new column, kept in sync, backfilled, then swapped")
    yield d._alter(schema, name, f"ADD COLUMN {d.column_sql(replace(new, name=tmp, nullable=True))}")
    yield Statement(f"CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {rel} FOR EACH ROW EXECUTE FUNCTION {fn}();")
    from safeshift.dialects.postgres.backfill import batch_sql

    yield Statement(
        batch_sql(rel, tmp_q, cast, pk), transactional=False,
        comment=(f"backfill: the runner repeats this batch over {rel} by {pk} ($1..$2: the batch's first and last "
                 f"key), each batch its own transaction sized to take {BATCH_TARGET}; it records how far it got, "
                 "so a run killed part-way resumes after the last committed batch"))
    if not new.nullable:
        yield from _set_not_null(d, schema, name, tmp, first_new_txn=True)
    swap = [
        Statement(f"DROP TRIGGER {trigger} ON {rel};"),
        Statement(f"DROP FUNCTION {fn}();"),
        replace(d._alter(schema, name, f"DROP COLUMN {col}"),
                comment=f"safeshift:allow drop-column its values live on in {tmp}, kept in sync until now"),
        replace(d._alter(schema, name, f"RENAME COLUMN {tmp_q} TO {col}"),
                comment=f"safeshift:allow renaming-column {old.name} keeps its name, only its type changes"),
    ]
    if new.default is not None:
        swap.append(d._alter(schema, name, f"ALTER COLUMN {col} SET DEFAULT {new.default_sql}"))
    if new.comment is not None:
        swap.append(d._comment("COLUMN", d._column_target(schema, name, old.name), new.comment))
    swap[0] = replace(swap[0], new_transaction=True,
                      comment="swap: catalog-only changes; the old column's values live on in the new one")
    yield from swap


# -- type changes ------------------------------------------------------------------------

def rewrites(old: str, new: str) -> bool:
    """Whether ALTER COLUMN ... TYPE from ``old`` to ``new`` rewrites (or rescans) the table.

    The same verdict as review's (``dialects.postgres.types.binary_compatible``, which review's rules use
    too), so ``generate`` and ``review`` never disagree; a type either side cannot parse counts as a rewrite.
    """
    if old == new:
        return False
    from safeshift.dialects.postgres.types import binary_compatible, parse_type

    a, b = parse_type(old), parse_type(new)
    return a is None or b is None or not binary_compatible(a, b)


# -- helpers -------------------------------------------------------------------------------

def _table_key(change: ch.Change) -> tuple[str, str] | None:
    schema, table = getattr(change, "schema", None), getattr(change, "table", None)
    return (schema, table) if isinstance(schema, str) and isinstance(table, str) else None


def _concurrent(sql: str) -> str:
    """Re-runnable after a failed build: the runner drops an INVALID leftover, IF NOT EXISTS skips a valid one."""
    return sql.replace(" CONCURRENTLY ", " CONCURRENTLY IF NOT EXISTS ", 1)


def _object_name(table: str, column: str, suffix: str) -> str:
    from safeshift.dialects.postgres.names import make_object_name

    return make_object_name(table, column, suffix)


__all__ = ["render", "rewrites"]

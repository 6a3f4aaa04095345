"""Statements that delete or overwrite data: DROP of any object, DROP DATABASE, TRUNCATE, and
DELETE or UPDATE without WHERE.

What is dropped decides the rule (``drop-table``, ``drop-type``, …); CASCADE widens the
message, a table created earlier in the file makes it harmless (``sql.py`` grades that), and
dropping the old copy of a type renamed aside earlier is recognised as the end of a type swap.
DROP INDEX is judged here too, as the lock it takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast
from pglast.enums import DropBehavior, ObjectType

from safeshift.lint.context import Ctx, Hit, TableRef, object_name, ref, robust, show

_DROP_RULES: dict[ObjectType, str] = {
    ObjectType.OBJECT_TABLE: "drop-table", ObjectType.OBJECT_SCHEMA: "drop-schema",
    ObjectType.OBJECT_TYPE: "drop-type", ObjectType.OBJECT_SEQUENCE: "drop-sequence",
    ObjectType.OBJECT_VIEW: "drop-view", ObjectType.OBJECT_MATVIEW: "drop-view",
    ObjectType.OBJECT_FUNCTION: "drop-function", ObjectType.OBJECT_PROCEDURE: "drop-function",
    ObjectType.OBJECT_ROUTINE: "drop-function", ObjectType.OBJECT_DOMAIN: "drop-domain",
    ObjectType.OBJECT_EXTENSION: "drop-extension", ObjectType.OBJECT_TRIGGER: "drop-trigger",
    ObjectType.OBJECT_POLICY: "drop-policy",
}

_FUNCTIONS = (ObjectType.OBJECT_FUNCTION, ObjectType.OBJECT_PROCEDURE, ObjectType.OBJECT_ROUTINE)


def drop(node: Any, ctx: Ctx) -> Iterator[Hit]:
    kind = node.removeType
    names = [object_name(o) for o in node.objects or ()]
    shown = ", ".join(names)
    cascade = node.behavior == DropBehavior.DROP_CASCADE
    if not node.missing_ok and (kind in _DROP_RULES or kind == ObjectType.OBJECT_INDEX) \
            and not (kind == ObjectType.OBJECT_INDEX and node.concurrent):
        yield from robust(ctx, "IF EXISTS")
    if kind == ObjectType.OBJECT_INDEX:
        yield Hit("drop-index")
        if node.concurrent:
            if ctx.in_transaction:
                yield Hit("concurrently-in-transaction", "DROP INDEX CONCURRENTLY cannot run inside a "
                          "transaction block, so this statement fails.")
        elif not all(n.split(".")[-1] in ctx.state.created_indexes for n in names):
            yield Hit("require-concurrent-index-deletion", f"DROP INDEX {shown} takes an ACCESS EXCLUSIVE lock on "
                      "its table, queueing every query behind it.")
            ctx.lock((None, names[0].split(".")[-1] if names else "?"))
        return
    rule = _DROP_RULES.get(kind)
    if rule is None:
        return
    for name in names:
        parts = name.split(".")
        table: TableRef | None = None
        if kind == ObjectType.OBJECT_TABLE:
            table = (parts[0] if len(parts) > 1 else None, parts[-1])
            ctx.lock(table)
            if table[0] is None:
                yield Hit("require-table-schema")
            more = " and, with CASCADE, the foreign keys and views that depend on it" if cascade else ""
            yield Hit(rule, f"Dropping table {name} deletes it and every row in it{more}.", table=table)
        elif kind in _FUNCTIONS and parts[-1] in ctx.state.created_functions:
            continue  # created (or replaced, which is flagged there) earlier in this file: a helper, nothing lost
        elif kind in (ObjectType.OBJECT_TRIGGER, ObjectType.OBJECT_POLICY) and len(parts) >= 2:
            table = (parts[-3] if len(parts) > 2 else None, parts[-2])
            ctx.lock(table)
            yield Hit(rule, table=table)
        elif kind == ObjectType.OBJECT_TYPE and parts[-1] in ctx.state.renamed_types:
            yield Hit(rule, f"{name} is the old copy of a type swapped earlier in this file.", severity="info")
            yield Hit("drop-enum-value", f"Dropping {name}, the type renamed aside earlier in this file, "
                      "completes a type swap: rows whose values the new type lacks fail to convert.",
                      severity="warning")
        elif kind in (ObjectType.OBJECT_SCHEMA, ObjectType.OBJECT_TYPE, ObjectType.OBJECT_DOMAIN,
                      ObjectType.OBJECT_EXTENSION) and cascade:
            yield Hit(rule, f"DROP ... {name} CASCADE also drops every object (and column) that depends on it.",
                      severity="error")
        else:
            yield Hit(rule)


def drop_database(node: Any, ctx: Ctx) -> Iterator[Hit]:
    yield Hit("drop-database", f"Dropping database {node.dbname} deletes all of its data.")


def truncate(node: Any, ctx: Ctx) -> Iterator[Hit]:
    rels = [r for r in node.relations or () if isinstance(r, ast.RangeVar)]
    shown = ", ".join(show(ref(r)) for r in rels)
    more = " and, with CASCADE, every table that references it" if node.behavior == DropBehavior.DROP_CASCADE else ""
    for r in rels:
        ctx.lock(ref(r))
    yield Hit("truncate-table", f"TRUNCATE deletes every row of {shown}{more}.", table=ref(rels[0]) if rels else None)


def delete(node: Any, ctx: Ctx) -> Iterator[Hit]:
    table = ref(node.relation)
    if table[1] == "pg_enum":
        yield Hit("drop-enum-value", "Deleting from pg_enum removes enum values behind PostgreSQL's back; rows "
                  "holding them become unreadable.")
    elif node.whereClause is None:
        yield Hit("delete-without-where", f"DELETE without WHERE removes every row of {show(table)}.", table=table)


def update(node: Any, ctx: Ctx) -> Iterator[Hit]:
    table = ref(node.relation)
    seen: set[str] = set()
    for target in node.targetList or ():
        name = getattr(target, "name", None)
        if name and name in seen:
            yield Hit("duplicate-column-assignment", f"Column {name} is assigned twice; PostgreSQL rejects the "
                      "statement.")
        if name:
            seen.add(name)
    if node.whereClause is None:
        yield Hit("update-without-where", f"UPDATE without WHERE overwrites {', '.join(sorted(seen)) or 'columns'} "
                  f"in every row of {show(table)} and locks all of them until commit.", table=table)

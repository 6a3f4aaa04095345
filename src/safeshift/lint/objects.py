"""Hazards of creating, renaming and moving schema objects: locks while an index builds,
statements that cannot be re-run, and names the running app still uses.

``CREATE TABLE`` is where ``State`` learns which tables (and column types) are new in this
file, so later statements on them are harmless; ``CREATE INDEX`` without CONCURRENTLY blocks
writes; renames and ``SET SCHEMA`` break code that uses the old name; the rest are the opt-in
rollback-compatibility rules (enum values, replaced views and functions, revokes, sequences).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast
from pglast.enums import ObjectType

from safeshift.dialects.postgres.types import _names, pg_type
from safeshift.lint.columns import type_style
from safeshift.lint.context import Ctx, Hit, object_name, ref, robust, show


def create_table(node: Any, ctx: Ctx) -> Iterator[Hit]:
    table = ref(node.relation)
    if node.relation.schemaname is None:
        yield Hit("require-table-schema")
    if not node.if_not_exists:
        yield from robust(ctx, "IF NOT EXISTS")
    for elt in node.tableElts or ():
        if isinstance(elt, ast.ColumnDef):
            t = pg_type(elt.typeName)
            ctx.state.columns[(table[1], elt.colname or "?")] = t
            yield from type_style(t, f"{show(table)}.{elt.colname}")
    ctx.state.created.add(table[1])


def create_table_as(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if node.into is not None and node.into.rel is not None:
        ctx.state.created.add(node.into.rel.relname)
    return iter(())


def create_index(node: Any, ctx: Ctx) -> Iterator[Hit]:
    table = ref(node.relation)
    t = show(table)
    if node.concurrent:
        if not node.if_not_exists:
            yield Hit("prefer-robust-stmts", "A CONCURRENTLY build that fails leaves an INVALID index; without "
                      "IF NOT EXISTS the statement cannot simply be re-run.")
        if ctx.in_transaction:
            yield Hit("concurrently-in-transaction", "CREATE INDEX CONCURRENTLY cannot run inside a transaction "
                      "block, so this statement fails.")
    else:
        if not node.if_not_exists:
            yield from robust(ctx, "IF NOT EXISTS")
        ctx.lock(table)
        yield Hit("require-concurrent-index-creation", f"CREATE INDEX {node.idxname or ''} without CONCURRENTLY "
                  f"blocks all writes to {t} for the whole build.".replace("INDEX  without", "INDEX without"),
                  table=table)
    if node.unique:
        yield Hit("new-write-restriction", table=table)
        yield Hit("unique-on-existing-data", f"Existing rows of {t} may hold duplicates, which make the unique "
                  "index build fail.", table=table)
    if node.idxname:
        ctx.state.created_indexes.add(node.idxname)


def rename(node: Any, ctx: Ctx) -> Iterator[Hit]:
    kind = node.renameType
    if node.relation is not None:
        table = ref(node.relation)
        t = show(table)
        if table[0] is None:
            yield Hit("require-table-schema")
        if kind in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_COLUMN):
            yield from robust(ctx, None)
        if kind == ObjectType.OBJECT_TABLE:
            ctx.lock(table)
            yield Hit("renaming-table", f"Renaming {t} to {node.newname} breaks every running app instance that "
                      f"still queries {t}.", table=table)
            return
        if kind == ObjectType.OBJECT_COLUMN and node.relationType == ObjectType.OBJECT_TABLE:
            ctx.lock(table)
            yield Hit("renaming-column", f"Renaming {t}.{node.subname} to {node.newname} breaks every running app "
                      f"instance that still uses {node.subname}.", table=table)
            return
        yield Hit("renaming-object", f"Renaming {node.subname or t} to {node.newname} breaks code that refers to "
                  "it by its old name.", table=table)
        return
    if kind == ObjectType.OBJECT_TYPE:
        old = object_name(node.object)
        ctx.state.renamed_types.add(node.newname or "")
        yield Hit("renaming-object", f"Renaming type {old} to {node.newname} breaks code that refers to it.")
        return
    yield Hit("renaming-object")


def set_schema(node: Any, ctx: Ctx) -> Iterator[Hit]:
    yield from robust(ctx, None)
    if node.relation is not None and node.relation.schemaname is None:
        yield Hit("require-table-schema")
    yield Hit("set-schema", table=ref(node.relation) if node.relation is not None else None)


def alter_enum(node: Any, ctx: Ctx) -> Iterator[Hit]:
    name = ".".join(_names(node.typeName))
    if node.oldVal:
        yield Hit("renaming-object", f"Renaming value {node.oldVal!r} of {name} breaks code that still writes or "
                  "compares the old value.")
        return
    yield Hit("add-enum-value")
    if not node.newValNeighbor:
        yield Hit("require-enum-value-ordering", f"ADD VALUE {node.newVal!r} without BEFORE or AFTER appends it "
                  f"to {name}, which decides how ORDER BY sorts it.")


def create_function(node: Any, ctx: Ctx) -> Iterator[Hit]:
    """CREATE [OR REPLACE] FUNCTION: a replaced body is flagged here, so dropping the function later in the
    file (a helper for a backfill) loses nothing more and is no ``drop-function`` hazard."""
    if node.replace:
        yield Hit("replace-view-or-function")
    names = _names(node.funcname)
    if names:
        ctx.state.created_functions.add(names[-1])


def create_view(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if node.replace:
        yield Hit("replace-view-or-function")


def grant(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if not node.is_grant:
        yield Hit("revoke")


def alter_sequence(node: Any, ctx: Ctx) -> Iterator[Hit]:
    values = {"restart", "start", "increment", "minvalue", "maxvalue", "cycle", "as"}
    if any(isinstance(o, ast.DefElem) and o.defname in values for o in node.options or ()):
        yield Hit("alter-sequence-values")

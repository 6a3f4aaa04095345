"""ALTER TABLE: one statement, many subcommands, each judged by the family it belongs to.

The statement takes its table's lock once (unless it only validates), may not be re-runnable,
and may depend on search_path; then each subcommand goes to the columns or constraints rules,
or is judged here when it is a one-line verdict (drops of NOT NULL, defaults, generated
expressions; row-level security, triggers, replica identity, partitions; the forms that
rewrite the whole table).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast
from pglast.enums import AlterTableType, DropBehavior, ObjectType

from safeshift.lint.columns import add_column, alter_type
from safeshift.lint.constraints import add_constraint, drop_constraint, set_not_null, validate_constraint
from safeshift.lint.context import Ctx, Hit, ref, robust, show

_REWRITES = {AlterTableType.AT_SetLogged: "SET LOGGED", AlterTableType.AT_SetUnLogged: "SET UNLOGGED",
             AlterTableType.AT_SetTableSpace: "SET TABLESPACE", AlterTableType.AT_SetAccessMethod: "SET ACCESS METHOD"}
_RLS = {AlterTableType.AT_EnableRowSecurity, AlterTableType.AT_DisableRowSecurity,
        AlterTableType.AT_ForceRowSecurity, AlterTableType.AT_NoForceRowSecurity}
_DISABLE_TRIGGER = {AlterTableType.AT_DisableTrig, AlterTableType.AT_DisableTrigAll,
                    AlterTableType.AT_DisableTrigUser}
_IDENTITY = {AlterTableType.AT_AddIdentity, AlterTableType.AT_SetIdentity, AlterTableType.AT_DropIdentity}


def alter_table(node: Any, ctx: Ctx) -> Iterator[Hit]:
    table = ref(node.relation)
    t = show(table)
    cmds = [c for c in node.cmds or () if isinstance(c, ast.AlterTableCmd)]
    if node.objtype == ObjectType.OBJECT_TYPE:
        for cmd in cmds:
            if cmd.subtype == AlterTableType.AT_AddColumn:
                yield Hit("add-composite-attribute")
        return
    if node.objtype == ObjectType.OBJECT_VIEW:
        yield Hit("alter-view-options")
        return
    if node.objtype not in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_MATVIEW, ObjectType.OBJECT_FOREIGN_TABLE):
        return
    if node.relation.schemaname is None:
        yield Hit("require-table-schema", table=table)
    idempotent = all(
        c.missing_ok and c.subtype in (AlterTableType.AT_AddColumn, AlterTableType.AT_DropColumn,
                                       AlterTableType.AT_DropConstraint) for c in cmds)
    if not idempotent:
        kinds = {c.subtype for c in cmds}
        what = "IF NOT EXISTS" if AlterTableType.AT_AddColumn in kinds else \
            "IF EXISTS" if kinds & {AlterTableType.AT_DropColumn, AlterTableType.AT_DropConstraint} else None
        yield from robust(ctx, what)
    only_validate = all(c.subtype == AlterTableType.AT_ValidateConstraint for c in cmds)
    if not only_validate:
        ctx.lock(table)
    for cmd in cmds:
        st = cmd.subtype
        col = cmd.name
        if st == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            yield from add_column(table, cmd.def_, ctx)
        elif st == AlterTableType.AT_DropColumn:
            cascade = " and, with CASCADE, every view and constraint using it" \
                if cmd.behavior == DropBehavior.DROP_CASCADE else ""
            yield Hit("drop-column", f"Dropping {t}.{col} deletes its data{cascade}, and running app instances "
                      "that still use it fail.", table=table)
        elif st == AlterTableType.AT_AlterColumnType and isinstance(cmd.def_, ast.ColumnDef):
            yield from alter_type(table, cmd, ctx)
        elif st == AlterTableType.AT_SetNotNull:
            yield from set_not_null(table, col, ctx)
        elif st == AlterTableType.AT_DropNotNull:
            yield Hit("drop-not-null", f"Dropping NOT NULL on {t}.{col} lets the new app write NULLs that the "
                      "old app version does not expect.", table=table)
        elif st == AlterTableType.AT_ColumnDefault:
            if cmd.def_ is None:
                yield Hit("drop-default", f"Dropping the default of {t}.{col} breaks inserts from app versions "
                          "that omit the column.", table=table)
            else:
                yield Hit("set-default", table=table)
        elif st == AlterTableType.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
            yield from add_constraint(table, cmd.def_, ctx)
        elif st == AlterTableType.AT_ValidateConstraint:
            yield from validate_constraint(table, col, ctx)
        elif st == AlterTableType.AT_DropConstraint:
            yield from drop_constraint(table, col, ctx)
        elif st in _IDENTITY:
            yield Hit("alter-identity", table=table)
        elif st == AlterTableType.AT_DropExpression:
            yield Hit("drop-generated-expression", table=table)
        elif st == AlterTableType.AT_SetExpression:
            yield Hit("alter-generated-expression", f"SET EXPRESSION on {t}.{col} recomputes every row, "
                      f"rewriting {t} under an ACCESS EXCLUSIVE lock.", table=table)
        elif st in _RLS:
            yield Hit("row-level-security", table=table)
        elif st in _DISABLE_TRIGGER:
            yield Hit("disable-trigger", table=table)
        elif st == AlterTableType.AT_ReplicaIdentity:
            yield Hit("replica-identity", table=table)
        elif st == AlterTableType.AT_DetachPartition:
            yield Hit("detach-inheritance", table=table)
            concurrent = bool(getattr(cmd.def_, "concurrent", False))
            if not concurrent:
                yield Hit("require-concurrent-partition-detach", table=table)
            elif ctx.in_transaction:
                yield Hit("concurrently-in-transaction", "DETACH PARTITION CONCURRENTLY cannot run inside a "
                          "transaction block, so this statement fails.")
        elif st == AlterTableType.AT_DropInherit:
            yield Hit("detach-inheritance", table=table)
        elif st in _REWRITES:
            yield Hit("table-rewrite", f"{_REWRITES[st]} rewrites {t} under an ACCESS EXCLUSIVE lock.", table=table)
    if not only_validate:
        ctx.state.txn_locked.add(table[1])

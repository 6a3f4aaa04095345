"""The rules over pglast parse trees: one handler per statement kind, yielding Hits.

A handler sees one statement and the file's state so far (tables created earlier, a
``lock_timeout`` seen, the transaction it runs in, NOT VALID checks validated), so that
``CREATE TABLE t …; CREATE INDEX … ON t`` is not a lock hazard and the four-step
``SET NOT NULL`` recipe is recognised as safe.  Handlers only say *what* is wrong; the
severity (new tables, live facts, acknowledgement) is decided once, in ``sql.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import (
    AlterTableType,
    ConstrType,
    DropBehavior,
    NullTestType,
    ObjectType,
    TransactionStmtKind,
    VariableSetKind,
)
from pglast.parser import scan

from safeshift.dialects.postgres.types import (
    _FAMILIES,
    _TEXTLIKE,
    PgType,
    _binary_compatible,
    _bounded,
    _names,
    _widens,
    pg_type,
)
from safeshift.lint.finding import Severity

#: (schema or None, table) as written
TableRef = tuple[str | None, str]

MAX_IDENTIFIER_BYTES = 63


@dataclass(frozen=True)
class Hit:
    """A rule that fires on the current statement; None fields fall back to the rule's defaults."""

    rule: str
    message: str | None = None
    fix: str | None = None
    table: TableRef | None = None
    severity: Severity | None = None


@dataclass
class State:
    """What earlier statements of the same file established."""

    #: tables created in this file (bare names)
    created: set[str] = field(default_factory=set)
    #: indexes created in this file
    created_indexes: set[str] = field(default_factory=set)
    #: known column types: (table, column) -> type, from CREATE TABLE / ADD COLUMN earlier in the file
    columns: dict[tuple[str, str], PgType] = field(default_factory=dict)
    lock_timeout: bool = False
    statement_timeout: bool = False
    #: line of an explicit BEGIN not yet committed
    begin_line: int | None = None
    #: tables locked strongly in the current transaction (for validate-in-same-transaction)
    txn_locked: set[str] = field(default_factory=set)
    #: NOT VALID ``CHECK (col IS NOT NULL)`` constraints: name -> (table, column)
    not_null_checks: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: (table, column) proven NOT NULL by a validated check
    proven_not_null: set[tuple[str, str]] = field(default_factory=set)
    #: types renamed aside in this file (the enum-swap pattern)
    renamed_types: set[str] = field(default_factory=set)


@dataclass
class Ctx:
    """The current statement's surroundings."""

    state: State
    #: the statement runs inside a transaction (safeshift step, caller's word, or explicit BEGIN)
    in_transaction: bool
    #: the transaction is managed by the runner (safeshift step / drizzle migrator), not by BEGIN in the file
    managed_transaction: bool
    #: tables this statement locks in a way that blocks others (feeds require-lock-timeout)
    locks: list[TableRef] = field(default_factory=list)

    def lock(self, table: TableRef) -> None:
        self.locks.append(table)


# -- small helpers over the tree -----------------------------------------------------------



def _ref(rv: Any) -> TableRef:
    return (rv.schemaname, rv.relname)


def _show(table: TableRef) -> str:
    return f"{table[0]}.{table[1]}" if table[0] else table[1]


# functions whose result differs per row: as an ADD COLUMN default they force a table rewrite
_VOLATILE = {
    "random", "random_normal", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
    "uuidv4", "uuidv7", "clock_timestamp", "timeofday", "nextval", "txid_current", "pg_current_xact_id",
    "gen_random_bytes", "setseed",
}
# functions known not to be volatile (a fast default, stored once in the catalog)
_NOT_VOLATILE = {
    "now", "transaction_timestamp", "statement_timestamp", "current_date", "lower", "upper", "length",
    "concat", "to_char", "to_jsonb", "jsonb_build_object", "json_build_object", "jsonb_build_array",
    "json_build_array", "array", "make_date", "make_interval", "date_trunc", "md5", "coalesce", "to_timestamp",
    "abs", "round", "trim", "btrim", "replace", "substr", "substring", "left", "right", "timezone",
    "string_to_array", "array_to_string", "format",
}


def _walk(node: Any) -> Iterator[Any]:
    if isinstance(node, tuple | list):
        for n in node:
            yield from _walk(n)
        return
    if not isinstance(node, ast.Node):
        return
    yield node
    for attr in getattr(type(node), "__slots__", ()):
        value = getattr(node, attr, None)
        if isinstance(value, ast.Node | tuple | list):
            yield from _walk(value)


def _volatility(expr: Any) -> tuple[str, str] | None:
    """("volatile" | "unknown", function name) for the first function that is or may be volatile."""
    unknown: str | None = None
    for node in _walk(expr):
        if isinstance(node, ast.FuncCall):
            name = (_names(node.funcname) or ["?"])[-1].lower()
            if name in _VOLATILE:
                return ("volatile", name)
            if name not in _NOT_VOLATILE and unknown is None:
                unknown = name
    return ("unknown", unknown) if unknown else None


def _has_option(options: Any, name: str) -> bool:
    for opt in options or ():
        if isinstance(opt, ast.DefElem) and opt.defname == name:
            arg = opt.arg
            if isinstance(arg, ast.Boolean):
                return bool(arg.boolval)
            if isinstance(arg, ast.String):
                return (arg.sval or "").lower() not in ("false", "off", "0")
            if isinstance(arg, ast.Integer):
                return arg.ival != 0
            return True
    return False


def long_identifiers(sql: str) -> Iterator[Hit]:
    """Identifiers over 63 bytes, from the raw tokens: the parser has already truncated them."""
    seen: set[str] = set()
    try:
        tokens = scan(sql)  # offsets are character positions, end inclusive
    except Exception:
        return
    for tok in tokens:
        if tok.name != "IDENT":
            continue
        raw = sql[tok.start:tok.end + 1]
        name = raw[1:-1].replace('""', '"') if raw.startswith('"') else raw
        size = len(name.encode("utf-8"))
        if size > MAX_IDENTIFIER_BYTES and name not in seen:
            seen.add(name)
            yield Hit("identifier-too-long", f"{name!r} is {size} bytes; PostgreSQL keeps only the first "
                      f"{MAX_IDENTIFIER_BYTES}, so the object gets a different name than the one written.")


def _robust(ctx: Ctx, what: str | None) -> Iterator[Hit]:
    if ctx.in_transaction:
        return
    if what is None:
        yield Hit("prefer-robust-stmts", "Outside a transaction, a failure later in the file leaves this change "
                  "applied, and re-running the file then fails here.")
    else:
        yield Hit("prefer-robust-stmts", f"Outside a transaction and without {what}, this statement cannot be "
                  "re-run after a failure part way through the file.")


# -- column definitions ----------------------------------------------------------------------

def _type_style(t: PgType, where: str) -> Iterator[Hit]:
    if t.base == "integer":
        yield Hit("prefer-bigint-over-int", f"{where} is a 32-bit integer, which runs out at 2,147,483,647 and "
                  "is expensive to widen later.")
        if t.serial:
            yield Hit("prefer-identity", f"{where} is a serial; identity columns avoid the separate sequence's "
                      "ownership and permission problems.")
    elif t.base == "smallint":
        yield Hit("prefer-bigint-over-smallint", f"{where} is a 16-bit integer, which runs out at 32,767.")
        if t.serial:
            yield Hit("prefer-identity")
    elif t.base == "bigint" and t.serial:
        yield Hit("prefer-identity", f"{where} is a bigserial; identity columns avoid the separate sequence's "
                  "ownership and permission problems.")
    elif t.base == "varchar" and t.mods:
        yield Hit("prefer-text-field", f"{where} is {t}; text with a CHECK constraint can change its limit "
                  "without a rewrite or ACCESS EXCLUSIVE lock.")
    elif t.base == "character":
        yield Hit("ban-char-field", f"{where} is {t}, which pads values with spaces.")
    elif t.base == "timestamp":
        yield Hit("prefer-timestamptz", f"{where} is timestamp without time zone, which drops the UTC offset.")
    elif t.base == "json":
        yield Hit("prefer-jsonb", f"{where} is json, which has no equality operator (DISTINCT and GROUP BY fail).")


def _constraints(col: Any, kind: ConstrType) -> list[ast.Constraint]:
    return [c for c in col.constraints or () if isinstance(c, ast.Constraint) and c.contype == kind]


def _add_column(table: TableRef, col: Any, ctx: Ctx) -> Iterator[Hit]:
    name = col.colname or "?"
    where = f"{_show(table)}.{name}"
    t = pg_type(col.typeName)
    ctx.state.columns[(table[1], name)] = t
    defaults = _constraints(col, ConstrType.CONSTR_DEFAULT)
    identity = _constraints(col, ConstrType.CONSTR_IDENTITY) or (col.identity not in (None, "", "\x00"))
    generated = _constraints(col, ConstrType.CONSTR_GENERATED)
    not_null = col.is_not_null or bool(_constraints(col, ConstrType.CONSTR_NOTNULL)) \
        or bool(_constraints(col, ConstrType.CONSTR_PRIMARY))
    default = defaults[0].raw_expr if defaults else None
    yield from _type_style(t, where)
    yield Hit("add-column", table=table)
    restricting = not_null or any(_constraints(col, k) for k in (
        ConstrType.CONSTR_CHECK, ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_FOREIGN))
    if restricting:
        yield Hit("new-write-restriction", table=table)
    if identity or generated:
        yield Hit("alter-generated-expression", f"{where} is filled by the database; app versions that write it "
                  "explicitly fail on GENERATED ALWAYS columns.", table=table, severity="info")
    if not_null and default is None and not identity and not generated and not t.serial:
        yield Hit("adding-required-field", f"Adding {where} as NOT NULL without a default fails as soon as "
                  f"{_show(table)} has a row.", table=table)
    if default is not None:
        vol = _volatility(default)
        if vol and vol[0] == "volatile":
            yield Hit("adding-field-with-default", f"The default of {where} calls volatile {vol[1]}(), so every "
                      f"existing row is rewritten under an ACCESS EXCLUSIVE lock on {_show(table)}.", table=table)
        elif vol:
            yield Hit("adding-field-with-default", f"The default of {where} calls {vol[1]}(); if it is volatile, "
                      f"every existing row of {_show(table)} is rewritten under an ACCESS EXCLUSIVE lock.",
                      table=table, severity="warning")
    if identity:
        yield Hit("adding-field-with-default", f"Adding identity column {where} writes a value into every "
                  f"existing row, rewriting {_show(table)} under an ACCESS EXCLUSIVE lock.", table=table)
    if t.serial:
        yield Hit("adding-field-with-default", f"Adding serial column {where} fills every existing row from "
                  f"nextval(), rewriting {_show(table)} under an ACCESS EXCLUSIVE lock.", table=table)
    for g in generated:
        if getattr(g, "generated_kind", "s") != "v":
            yield Hit("adding-field-with-default", f"Adding stored generated column {where} computes it for "
                      f"every existing row, rewriting {_show(table)} under an ACCESS EXCLUSIVE lock.", table=table)
    if _constraints(col, ConstrType.CONSTR_PRIMARY):
        yield Hit("adding-serial-primary-key-field", f"Adding {where} as PRIMARY KEY builds the index under an "
                  f"ACCESS EXCLUSIVE lock on {_show(table)}.", table=table)
    if _constraints(col, ConstrType.CONSTR_UNIQUE):
        yield Hit("disallowed-unique-constraint", f"Adding {where} as UNIQUE builds the index under an ACCESS "
                  f"EXCLUSIVE lock on {_show(table)}.", table=table)
    if _constraints(col, ConstrType.CONSTR_FOREIGN):
        yield Hit("adding-foreign-key-constraint", f"REFERENCES on new column {where} locks the referenced "
                  "table against writes while the constraint is added.", table=table, severity="warning")
    if _constraints(col, ConstrType.CONSTR_CHECK):
        yield Hit("constraint-missing-not-valid", f"The CHECK on new column {where} is verified against every "
                  f"row of {_show(table)} under the ACCESS EXCLUSIVE lock.", table=table, severity="warning")


# -- ALTER TABLE -------------------------------------------------------------------------------

def _alter_type(table: TableRef, cmd: Any, ctx: Ctx) -> Iterator[Hit]:
    col = cmd.name or "?"
    where = f"{_show(table)}.{col}"
    coldef = cmd.def_
    new = pg_type(coldef.typeName)
    old = ctx.state.columns.get((table[1], col))
    using = coldef.raw_default
    yield from _type_style(new, where)
    if old is not None and _binary_compatible(old, new):
        yield Hit("changing-column-type", f"{where} changes from {old} to {new}, which PostgreSQL does in place "
                  "without a rewrite, but running clients see the new type.", table=table, severity="info")
    elif old is None and new.base in ("text", "varchar") and not new.mods and using is None:
        yield Hit("changing-column-type", f"Changing {where} to {new} is instant only if it is already "
                  f"varchar or text; from any other type it rewrites {_show(table)} under an ACCESS EXCLUSIVE "
                  "lock.", table=table, severity="warning")
    else:
        was = f" from {old}" if old else ""
        yield Hit("changing-column-type", f"Changing {where}{was} to {new} rewrites {_show(table)} and its "
                  "indexes under an ACCESS EXCLUSIVE lock, blocking all reads and writes.", table=table)
    if _bounded(new) and (old is None or not _widens(old, new)):
        was = f"{old}" if old else "its current type"
        how = "the USING cast silently truncates or rounds them" if using is not None else \
            "the change fails on the first value that does not fit"
        yield Hit("narrowing-type-change", f"{new} may not hold every value of {where} ({was}): {how}.",
                  table=table)
    if using is not None:
        yield Hit("type-cast-can-fail", f"The USING expression converts every existing value of {where}; one "
                  "value it cannot convert aborts the migration.", table=table)
    elif old is not None and _FAMILIES.get(old.base) != _FAMILIES.get(new.base) and new.base not in _TEXTLIKE:
        yield Hit("type-cast-can-fail", f"Converting {where} from {old} to {new} fails on any value that does "
                  "not parse as the new type.", table=table)


def _add_constraint(table: TableRef, con: Any, ctx: Ctx) -> Iterator[Hit]:
    t = _show(table)
    name = con.conname
    yield Hit("new-write-restriction", table=table)
    kind = con.contype
    if kind == ConstrType.CONSTR_FOREIGN:
        if not con.skip_validation:
            ref = _show(_ref(con.pktable)) if con.pktable is not None else "the referenced table"
            yield Hit("adding-foreign-key-constraint", f"Adding foreign key {name or ''} on {t} validates every "
                      f"row while blocking writes on {t} and {ref}.".replace("key  on", "key on"), table=table)
            yield Hit("constraint-missing-not-valid", f"The foreign key is added without NOT VALID, so the "
                      f"validation scan of {t} runs under the lock.", table=table)
    elif kind == ConstrType.CONSTR_CHECK:
        if not con.skip_validation:
            yield Hit("constraint-missing-not-valid", f"Adding CHECK {name or ''} without NOT VALID scans every "
                      f"row of {t} under an ACCESS EXCLUSIVE lock.".replace("CHECK  without", "CHECK without"),
                      table=table)
        elif name and isinstance(con.raw_expr, ast.NullTest) \
                and con.raw_expr.nulltesttype == NullTestType.IS_NOT_NULL \
                and isinstance(con.raw_expr.arg, ast.ColumnRef):
            cols = _names(con.raw_expr.arg.fields)
            if cols:
                ctx.state.not_null_checks[name] = (table[1], cols[-1])
    elif kind in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY):
        label = "UNIQUE" if kind == ConstrType.CONSTR_UNIQUE else "PRIMARY KEY"
        if con.indexname:
            return  # USING INDEX: the index was built beforehand (concurrently, we hope)
        rule = "disallowed-unique-constraint" if kind == ConstrType.CONSTR_UNIQUE else \
            "adding-serial-primary-key-field"
        key_names = ", ".join(_names(con.keys))
        yield Hit(rule, f"Adding {label} ({key_names}) builds its index on {t} under an ACCESS EXCLUSIVE lock, "
                  "blocking reads and writes for the whole build.", table=table)
        yield Hit("constraint-missing-not-valid", f"A {label} constraint cannot be NOT VALID: every existing row "
                  f"of {t} is checked under the lock.", fix=_concurrent_unique_fix(kind), table=table)
        yield Hit("unique-on-existing-data", f"Existing rows of {t} may hold duplicate ({key_names}) values, which "
                  "make the migration fail.", table=table)
    elif kind == ConstrType.CONSTR_EXCLUSION:
        yield Hit("constraint-missing-not-valid", f"An exclusion constraint cannot be NOT VALID: its index is "
                  f"built and every row of {t} checked under an ACCESS EXCLUSIVE lock.",
                  fix="Add it in a maintenance window (there is no online form), after checking for conflicting rows.", table=table)
    elif kind == ConstrType.CONSTR_NOTNULL:
        yield Hit("adding-not-nullable-field", table=table)


def _concurrent_unique_fix(kind: ConstrType) -> str:
    what = "UNIQUE" if kind == ConstrType.CONSTR_UNIQUE else "PRIMARY KEY"
    return (f"CREATE UNIQUE INDEX CONCURRENTLY idx ON t (cols); in its own no-transaction step, then "
            f"ALTER TABLE t ADD CONSTRAINT c {what} USING INDEX idx;")


_REWRITES = {AlterTableType.AT_SetLogged: "SET LOGGED", AlterTableType.AT_SetUnLogged: "SET UNLOGGED",
             AlterTableType.AT_SetTableSpace: "SET TABLESPACE", AlterTableType.AT_SetAccessMethod: "SET ACCESS METHOD"}
_RLS = {AlterTableType.AT_EnableRowSecurity, AlterTableType.AT_DisableRowSecurity,
        AlterTableType.AT_ForceRowSecurity, AlterTableType.AT_NoForceRowSecurity}
_DISABLE_TRIGGER = {AlterTableType.AT_DisableTrig, AlterTableType.AT_DisableTrigAll,
                    AlterTableType.AT_DisableTrigUser}
_IDENTITY = {AlterTableType.AT_AddIdentity, AlterTableType.AT_SetIdentity, AlterTableType.AT_DropIdentity}


def alter_table(node: Any, ctx: Ctx) -> Iterator[Hit]:
    table = _ref(node.relation)
    t = _show(table)
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
        yield from _robust(ctx, what)
    only_validate = all(c.subtype == AlterTableType.AT_ValidateConstraint for c in cmds)
    if not only_validate:
        ctx.lock(table)
    for cmd in cmds:
        st = cmd.subtype
        col = cmd.name
        if st == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            yield from _add_column(table, cmd.def_, ctx)
        elif st == AlterTableType.AT_DropColumn:
            cascade = " and, with CASCADE, every view and constraint using it" \
                if cmd.behavior == DropBehavior.DROP_CASCADE else ""
            yield Hit("drop-column", f"Dropping {t}.{col} deletes its data{cascade}, and running app instances "
                      "that still use it fail.", table=table)
        elif st == AlterTableType.AT_AlterColumnType and isinstance(cmd.def_, ast.ColumnDef):
            yield from _alter_type(table, cmd, ctx)
        elif st == AlterTableType.AT_SetNotNull:
            yield Hit("new-write-restriction", table=table)
            if (table[1], col) not in ctx.state.proven_not_null:
                yield Hit("adding-not-nullable-field", f"SET NOT NULL on {t}.{col} scans every row under an "
                          "ACCESS EXCLUSIVE lock because no validated CHECK (col IS NOT NULL) proves it first.",
                          table=table)
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
            yield from _add_constraint(table, cmd.def_, ctx)
        elif st == AlterTableType.AT_ValidateConstraint:
            if table[1] in ctx.state.txn_locked:
                yield Hit("constraint-missing-not-valid", f"Validating {col} in the transaction that added it NOT "
                          "VALID is the same as adding it without NOT VALID.", table=table)
                yield Hit("validate-in-same-transaction", f"VALIDATE CONSTRAINT {col} runs in the transaction "
                          f"that already holds a write-blocking lock on {t}, so the scan blocks writes.",
                          table=table)
            proven = ctx.state.not_null_checks.get(col or "")
            if proven is not None:
                ctx.state.proven_not_null.add(proven)
        elif st == AlterTableType.AT_DropConstraint:
            helper = ctx.state.not_null_checks.get(col or "")
            if helper is not None and helper in ctx.state.proven_not_null:
                yield Hit("drop-constraint", f"{col} only backed SET NOT NULL, which now holds the guarantee.",
                          table=table, severity="info")
                continue
            yield Hit("drop-constraint", f"Dropping constraint {col} on {t} removes a guarantee running code may "
                      "rely on.", table=table)
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


# -- other statements ----------------------------------------------------------------------

def create_table(node: Any, ctx: Ctx) -> Iterator[Hit]:
    table = _ref(node.relation)
    if node.relation.schemaname is None:
        yield Hit("require-table-schema")
    if not node.if_not_exists:
        yield from _robust(ctx, "IF NOT EXISTS")
    for elt in node.tableElts or ():
        if isinstance(elt, ast.ColumnDef):
            t = pg_type(elt.typeName)
            ctx.state.columns[(table[1], elt.colname or "?")] = t
            yield from _type_style(t, f"{_show(table)}.{elt.colname}")
    ctx.state.created.add(table[1])


def create_table_as(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if node.into is not None and node.into.rel is not None:
        ctx.state.created.add(node.into.rel.relname)
    return iter(())


def create_index(node: Any, ctx: Ctx) -> Iterator[Hit]:
    table = _ref(node.relation)
    t = _show(table)
    if node.concurrent:
        if not node.if_not_exists:
            yield Hit("prefer-robust-stmts", "A CONCURRENTLY build that fails leaves an INVALID index; without "
                      "IF NOT EXISTS the statement cannot simply be re-run.")
        if ctx.in_transaction:
            yield Hit("concurrently-in-transaction", "CREATE INDEX CONCURRENTLY cannot run inside a transaction "
                      "block, so this statement fails.")
    else:
        if not node.if_not_exists:
            yield from _robust(ctx, "IF NOT EXISTS")
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


_DROP_RULES: dict[ObjectType, str] = {
    ObjectType.OBJECT_TABLE: "drop-table", ObjectType.OBJECT_SCHEMA: "drop-schema",
    ObjectType.OBJECT_TYPE: "drop-type", ObjectType.OBJECT_SEQUENCE: "drop-sequence",
    ObjectType.OBJECT_VIEW: "drop-view", ObjectType.OBJECT_MATVIEW: "drop-view",
    ObjectType.OBJECT_FUNCTION: "drop-function", ObjectType.OBJECT_PROCEDURE: "drop-function",
    ObjectType.OBJECT_ROUTINE: "drop-function", ObjectType.OBJECT_DOMAIN: "drop-domain",
    ObjectType.OBJECT_EXTENSION: "drop-extension", ObjectType.OBJECT_TRIGGER: "drop-trigger",
    ObjectType.OBJECT_POLICY: "drop-policy",
}


def _object_name(obj: Any) -> str:
    if isinstance(obj, ast.String):
        return obj.sval or "?"
    if isinstance(obj, ast.TypeName):
        return ".".join(_names(obj.names))
    if isinstance(obj, ast.ObjectWithArgs):
        return ".".join(_names(obj.objname))
    if isinstance(obj, tuple | list):
        return ".".join(_names(obj))
    return "?"


def drop(node: Any, ctx: Ctx) -> Iterator[Hit]:
    kind = node.removeType
    names = [_object_name(o) for o in node.objects or ()]
    shown = ", ".join(names)
    cascade = node.behavior == DropBehavior.DROP_CASCADE
    if not node.missing_ok and (kind in _DROP_RULES or kind == ObjectType.OBJECT_INDEX) \
            and not (kind == ObjectType.OBJECT_INDEX and node.concurrent):
        yield from _robust(ctx, "IF EXISTS")
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
    shown = ", ".join(_show(_ref(r)) for r in rels)
    more = " and, with CASCADE, every table that references it" if node.behavior == DropBehavior.DROP_CASCADE else ""
    for r in rels:
        ctx.lock(_ref(r))
    yield Hit("truncate-table", f"TRUNCATE deletes every row of {shown}{more}.", table=_ref(rels[0]) if rels else None)


def delete(node: Any, ctx: Ctx) -> Iterator[Hit]:
    table = _ref(node.relation)
    if table[1] == "pg_enum":
        yield Hit("drop-enum-value", "Deleting from pg_enum removes enum values behind PostgreSQL's back; rows "
                  "holding them become unreadable.")
    elif node.whereClause is None:
        yield Hit("delete-without-where", f"DELETE without WHERE removes every row of {_show(table)}.", table=table)


def update(node: Any, ctx: Ctx) -> Iterator[Hit]:
    table = _ref(node.relation)
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
                  f"in every row of {_show(table)} and locks all of them until commit.", table=table)


def vacuum(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if not node.is_vacuumcmd or not _has_option(node.options, "full"):
        return
    for rel in node.rels or ():
        rv = getattr(rel, "relation", None)
        if isinstance(rv, ast.RangeVar):
            ctx.lock(_ref(rv))
    yield Hit("prefer-repack", "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock, blocking reads "
              "and writes until it finishes.")


def cluster(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if node.relation is not None:
        ctx.lock(_ref(node.relation))
    yield Hit("prefer-repack", "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock, blocking reads and "
              "writes until it finishes.")


def reindex(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if _has_option(node.params, "concurrently"):
        if ctx.in_transaction:
            yield Hit("concurrently-in-transaction", "REINDEX CONCURRENTLY cannot run inside a transaction "
                      "block, so this statement fails.")
        return
    if node.relation is not None:
        ctx.lock(_ref(node.relation))
    yield Hit("require-concurrent-reindex")


def variable_set(node: Any, ctx: Ctx) -> Iterator[Hit]:
    name = (node.name or "").lower()
    if name not in ("lock_timeout", "statement_timeout"):
        return iter(())
    value = None
    for a in node.args or ():
        if isinstance(a, ast.A_Const):
            v = a.val
            value = str(getattr(v, "sval", None) or getattr(v, "ival", None) or "0")
    on = node.kind == VariableSetKind.VAR_SET_VALUE and value not in (None, "0")
    if name == "lock_timeout":
        ctx.state.lock_timeout = on
    else:
        ctx.state.statement_timeout = on
    return iter(())


def transaction(node: Any, ctx: Ctx, line: int) -> Iterator[Hit]:
    kind = node.kind
    s = ctx.state
    if kind in (TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START):
        if ctx.managed_transaction:
            yield Hit("transaction-nesting", "BEGIN inside a step that already runs in a transaction does "
                      "nothing but warn, and a later COMMIT ends the runner's transaction early.")
        elif s.begin_line is not None:
            yield Hit("transaction-nesting", "BEGIN inside an open transaction is ignored with a warning; the "
                      "first COMMIT ends the whole transaction.")
        else:
            s.begin_line = line
            s.txn_locked.clear()
    elif kind in (TransactionStmtKind.TRANS_STMT_COMMIT, TransactionStmtKind.TRANS_STMT_ROLLBACK):
        if ctx.managed_transaction:
            yield Hit("transaction-nesting", "COMMIT/ROLLBACK inside a step that runs in a transaction ends the "
                      "runner's transaction early, so the rest runs without one.")
        s.begin_line = None
        s.txn_locked.clear()


def rename(node: Any, ctx: Ctx) -> Iterator[Hit]:
    kind = node.renameType
    if node.relation is not None:
        table = _ref(node.relation)
        t = _show(table)
        if table[0] is None:
            yield Hit("require-table-schema")
        if kind in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_COLUMN):
            yield from _robust(ctx, None)
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
        old = _object_name(node.object)
        ctx.state.renamed_types.add(node.newname or "")
        yield Hit("renaming-object", f"Renaming type {old} to {node.newname} breaks code that refers to it.")
        return
    yield Hit("renaming-object")


def set_schema(node: Any, ctx: Ctx) -> Iterator[Hit]:
    yield from _robust(ctx, None)
    if node.relation is not None and node.relation.schemaname is None:
        yield Hit("require-table-schema")
    yield Hit("set-schema", table=_ref(node.relation) if node.relation is not None else None)


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


def create_domain(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if node.constraints:
        yield Hit("create-domain-with-constraint")


def alter_domain(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if node.subtype == "C":
        con = node.def_
        not_valid = isinstance(con, ast.Constraint) and con.skip_validation
        yield Hit("alter-domain-add-constraint", severity="info" if not_valid else None)
        yield Hit("new-write-restriction")


def create_function(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if node.replace:
        yield Hit("replace-view-or-function")


def create_view(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if node.replace:
        yield Hit("replace-view-or-function")


def grant(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if not node.is_grant:
        yield Hit("revoke")


def _const(rule: str) -> Callable[[Any, Ctx], Iterator[Hit]]:
    def handler(node: Any, ctx: Ctx) -> Iterator[Hit]:
        yield Hit(rule)
    return handler


def alter_sequence(node: Any, ctx: Ctx) -> Iterator[Hit]:
    values = {"restart", "start", "increment", "minvalue", "maxvalue", "cycle", "as"}
    if any(isinstance(o, ast.DefElem) and o.defname in values for o in node.options or ()):
        yield Hit("alter-sequence-values")


_DO_BODY = re.compile(r"^\s*BEGIN\s+(?P<body>.*?)\s*(?:\bEXCEPTION\b.*)?\bEND\s*;?\s*$", re.IGNORECASE | re.DOTALL)


def do_block(node: Any, ctx: Ctx) -> Iterator[Hit]:
    """Look inside simple DO blocks (drizzle-kit wraps foreign keys in ``DO $$ BEGIN … EXCEPTION …``)."""
    body = next((a.arg.sval for a in node.args or ()
                 if isinstance(a, ast.DefElem) and a.defname == "as" and isinstance(a.arg, ast.String)), None)
    m = _DO_BODY.match(body or "")
    if m is None:
        return
    try:
        inner = parse_sql(m["body"])
    except Exception:  # PL/pgSQL beyond plain SQL statements: not ours to judge
        return
    for raw in inner:
        yield from check(raw.stmt, ctx, line=0)


HANDLERS: dict[type, Callable[[Any, Ctx], Iterator[Hit]]] = {
    ast.AlterTableStmt: alter_table,
    ast.CreateStmt: create_table,
    ast.CreateTableAsStmt: create_table_as,
    ast.IndexStmt: create_index,
    ast.DropStmt: drop,
    ast.DropdbStmt: drop_database,
    ast.TruncateStmt: truncate,
    ast.DeleteStmt: delete,
    ast.UpdateStmt: update,
    ast.VacuumStmt: vacuum,
    ast.ClusterStmt: cluster,
    ast.ReindexStmt: reindex,
    ast.VariableSetStmt: variable_set,
    ast.RenameStmt: rename,
    ast.AlterObjectSchemaStmt: set_schema,
    ast.AlterEnumStmt: alter_enum,
    ast.CreateDomainStmt: create_domain,
    ast.AlterDomainStmt: alter_domain,
    ast.CreateFunctionStmt: create_function,
    ast.ViewStmt: create_view,
    ast.GrantStmt: grant,
    ast.AlterSeqStmt: alter_sequence,
    ast.AlterFunctionStmt: _const("alter-function-options"),
    ast.AlterRoleStmt: _const("alter-role-options"),
    ast.AlterRoleSetStmt: _const("alter-role-options"),
    ast.AlterDatabaseStmt: _const("alter-database-options"),
    ast.AlterDatabaseSetStmt: _const("alter-database-options"),
    ast.AlterSystemStmt: _const("alter-system-options"),
    ast.AlterExtensionStmt: _const("alter-extension"),
    ast.AlterExtensionContentsStmt: _const("alter-extension"),
    ast.CreatePolicyStmt: _const("create-policy"),
    ast.AlterPolicyStmt: _const("alter-policy"),
    ast.DoStmt: do_block,
}


def check(node: Any, ctx: Ctx, line: int) -> Iterator[Hit]:
    """Every hit for one parsed statement."""
    if isinstance(node, ast.TransactionStmt):
        yield from transaction(node, ctx, line)
        return
    if isinstance(node, ast.AlterTableStmt) and node.objtype == ObjectType.OBJECT_INDEX:
        return
    handler = HANDLERS.get(type(node))
    if handler is not None:
        yield from handler(node, ctx)


def default_volatility(text: str) -> tuple[str, str] | None:
    """``_volatility`` for a default written as SQL text."""
    try:
        stmt: Any = parse_sql(f"SELECT {text}")[0].stmt
    except Exception:
        return None
    return _volatility(stmt.targetList)

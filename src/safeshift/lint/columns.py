"""Hazards of a column's definition: its type, its default, and changing its type.

Three families meet in a column: style (``integer`` runs out, ``timestamp`` drops the offset),
table rewrites (a volatile default, an identity, a serial or a stored generated column fills
every existing row; a type change rewrites unless binary-compatible) and data loss (a narrower
type, a cast that can fail).  The type algebra they ask is the dialect's
(``dialects/postgres/types.py``); the volatility of a default is judged here, from the parse
tree, and ``changes.py`` asks it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import ConstrType

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
from safeshift.lint.context import Ctx, Hit, TableRef, show

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


def default_volatility(text: str) -> tuple[str, str] | None:
    """``_volatility`` for a default written as SQL text."""
    try:
        stmt: Any = parse_sql(f"SELECT {text}")[0].stmt
    except Exception:
        return None
    return _volatility(stmt.targetList)


def type_style(t: PgType, where: str) -> Iterator[Hit]:
    """The style rules over a column type (``where`` names the column in messages)."""
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


def add_column(table: TableRef, col: Any, ctx: Ctx) -> Iterator[Hit]:
    """ADD COLUMN ``col`` (a ColumnDef): its type, what fills existing rows, the constraints it brings."""
    name = col.colname or "?"
    where = f"{show(table)}.{name}"
    t = pg_type(col.typeName)
    ctx.state.columns[(table[1], name)] = t
    defaults = _constraints(col, ConstrType.CONSTR_DEFAULT)
    identity = _constraints(col, ConstrType.CONSTR_IDENTITY) or (col.identity not in (None, "", "\x00"))
    generated = _constraints(col, ConstrType.CONSTR_GENERATED)
    not_null = col.is_not_null or bool(_constraints(col, ConstrType.CONSTR_NOTNULL)) \
        or bool(_constraints(col, ConstrType.CONSTR_PRIMARY))
    default = defaults[0].raw_expr if defaults else None
    yield from type_style(t, where)
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
                  f"{show(table)} has a row.", table=table)
    if default is not None:
        vol = _volatility(default)
        if vol and vol[0] == "volatile":
            yield Hit("adding-field-with-default", f"The default of {where} calls volatile {vol[1]}(), so every "
                      f"existing row is rewritten under an ACCESS EXCLUSIVE lock on {show(table)}.", table=table)
        elif vol:
            yield Hit("adding-field-with-default", f"The default of {where} calls {vol[1]}(); if it is volatile, "
                      f"every existing row of {show(table)} is rewritten under an ACCESS EXCLUSIVE lock.",
                      table=table, severity="warning")
    if identity:
        yield Hit("adding-field-with-default", f"Adding identity column {where} writes a value into every "
                  f"existing row, rewriting {show(table)} under an ACCESS EXCLUSIVE lock.", table=table)
    if t.serial:
        yield Hit("adding-field-with-default", f"Adding serial column {where} fills every existing row from "
                  f"nextval(), rewriting {show(table)} under an ACCESS EXCLUSIVE lock.", table=table)
    for g in generated:
        if getattr(g, "generated_kind", "s") != "v":
            yield Hit("adding-field-with-default", f"Adding stored generated column {where} computes it for "
                      f"every existing row, rewriting {show(table)} under an ACCESS EXCLUSIVE lock.", table=table)
    if _constraints(col, ConstrType.CONSTR_PRIMARY):
        yield Hit("adding-serial-primary-key-field", f"Adding {where} as PRIMARY KEY builds the index under an "
                  f"ACCESS EXCLUSIVE lock on {show(table)}.", table=table)
    if _constraints(col, ConstrType.CONSTR_UNIQUE):
        yield Hit("disallowed-unique-constraint", f"Adding {where} as UNIQUE builds the index under an ACCESS "
                  f"EXCLUSIVE lock on {show(table)}.", table=table)
    if _constraints(col, ConstrType.CONSTR_FOREIGN):
        yield Hit("adding-foreign-key-constraint", f"REFERENCES on new column {where} locks the referenced "
                  "table against writes while the constraint is added.", table=table, severity="warning")
    if _constraints(col, ConstrType.CONSTR_CHECK):
        yield Hit("constraint-missing-not-valid", f"The CHECK on new column {where} is verified against every "
                  f"row of {show(table)} under the ACCESS EXCLUSIVE lock.", table=table, severity="warning")


def alter_type(table: TableRef, cmd: Any, ctx: Ctx) -> Iterator[Hit]:
    """ALTER COLUMN … TYPE: a rewrite unless binary-compatible, narrowing, and casts that can fail."""
    col = cmd.name or "?"
    where = f"{show(table)}.{col}"
    coldef = cmd.def_
    new = pg_type(coldef.typeName)
    old = ctx.state.columns.get((table[1], col))
    using = coldef.raw_default
    yield from type_style(new, where)
    if old is not None and _binary_compatible(old, new):
        yield Hit("changing-column-type", f"{where} changes from {old} to {new}, which PostgreSQL does in place "
                  "without a rewrite, but running clients see the new type.", table=table, severity="info")
    elif old is None and new.base in ("text", "varchar") and not new.mods and using is None:
        yield Hit("changing-column-type", f"Changing {where} to {new} is instant only if it is already "
                  f"varchar or text; from any other type it rewrites {show(table)} under an ACCESS EXCLUSIVE "
                  "lock.", table=table, severity="warning")
    else:
        was = f" from {old}" if old else ""
        yield Hit("changing-column-type", f"Changing {where}{was} to {new} rewrites {show(table)} and its "
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

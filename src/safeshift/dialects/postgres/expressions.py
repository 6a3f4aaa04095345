"""PostgreSQL expressions in canonical form, by parsing and deparsing them with pglast.

Kept apart from the dialect and its normalisers (``normalize``) so that pglast (about 50 ms to import) is
loaded only when a default, CHECK, index expression, partial-index predicate or view
definition actually has to be normalised; a schema of plain columns never needs it.
Expressions are stripped of the casts PostgreSQL adds on its own, so parentheses and
implicit casts never cause a false diff.
"""

from __future__ import annotations

import re
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import A_Expr_Kind, BoolExprType, CoercionForm, SQLValueFunctionOp
from pglast.stream import RawStream

from safeshift.dialects.postgres.literals import canonical_literal
from safeshift.dialects.postgres.types import INT_BOUNDS, NUMERIC_TYPES

_TEXT_TYPES = frozenset({"text", "varchar", "bpchar"})
#: functions the grammar also spells as SQL syntax (``x AT TIME ZONE z`` is ``pg_catalog.timezone(z, x)``);
#: the catalog keeps which spelling was used, so both are brought to the qualified SQL-syntax form
_SQL_SYNTAX_FUNCTIONS = frozenset({"timezone", "extract", "btrim", "ltrim", "rtrim", "substring", "overlay",
                                   "position", "normalize", "is_normalized", "pg_collation_for", "overlaps",
                                   "xmlexists"})
#: defaults that all read the transaction's start time, by the column type family that stores them:
#: ``now()``, ``CURRENT_TIMESTAMP``, ``transaction_timestamp()`` and ``LOCALTIMESTAMP`` store the same value
#: in a timestamp column, so they are one default there
_NOW_FUNCTIONS = frozenset({"now", "transaction_timestamp"})
_NOW_VALUES = frozenset({SQLValueFunctionOp.SVFOP_CURRENT_TIMESTAMP, SQLValueFunctionOp.SVFOP_LOCALTIMESTAMP})
_DATE_VALUES = _NOW_VALUES | {SQLValueFunctionOp.SVFOP_CURRENT_DATE}
_TIME_VALUES = _NOW_VALUES | {SQLValueFunctionOp.SVFOP_CURRENT_TIME, SQLValueFunctionOp.SVFOP_LOCALTIME}


# -- expressions ----------------------------------------------------------------------------

def _type_key(type_name: Any) -> str:
    names = [str(n.sval) for n in (type_name.names or ()) if isinstance(n, ast.String)]
    return names[-1] if names else ""


def _is_numeric_type(type_name: Any) -> bool:
    return _type_key(type_name) in ("int2", "int4", "int8", "numeric", "float4", "float8", "integer",
                                    "bigint", "smallint", "real", "decimal")


def _number_const(text: Any) -> ast.A_Const | None:
    text = str(text)
    if re.fullmatch(r"[+-]?\d+", text.strip()):
        value = int(text)
        low, high = INT_BOUNDS["integer"]
        if low <= value <= high:
            return ast.A_Const(isnull=False, val=ast.Integer(ival=value))
        return ast.A_Const(isnull=False, val=ast.Float(fval=str(value)))
    if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?", text.strip()):
        return ast.A_Const(isnull=False, val=ast.Float(fval=text.strip()))
    return None


def _bool_const(text: Any) -> ast.A_Const | None:
    low = str(text).strip().lower()
    if low in ("t", "true", "y", "yes", "on", "1"):
        return ast.A_Const(isnull=False, val=ast.Boolean(boolval=True))
    if low in ("f", "false", "n", "no", "off", "0"):
        return ast.A_Const(isnull=False, val=ast.Boolean(boolval=False))
    return None


def _is_const(node: Any) -> bool:
    return isinstance(node, ast.A_Const)


def _strip_cast(node: Any) -> Any:
    arg: Any = node.arg
    type_name: Any = node.typeName
    is_array = bool(type_name.arrayBounds)
    if _is_const(arg):
        val: Any = arg.val
        if isinstance(val, ast.String) and not is_array:
            if _is_numeric_type(type_name):
                return _number_const(val.sval) or arg
            if _type_key(type_name) == "bool":
                return _bool_const(val.sval) or arg
        return arg
    if isinstance(arg, ast.ColumnRef) and not is_array and _type_key(type_name) in _TEXT_TYPES:
        return arg
    if isinstance(arg, ast.A_ArrayExpr) and all(_is_const(e) for e in (arg.elements or ())):
        return arg
    return node


def _rewrite(node: Any) -> Any:
    """One bottom-up step: undo the rewrites PostgreSQL applies when it stores an expression."""
    if isinstance(node, ast.TypeCast):
        return _strip_cast(node)
    if isinstance(node, ast.FuncCall):
        return _sql_syntax_call(node)
    if isinstance(node, ast.ColumnRef):
        fields = node.fields or ()
        if len(fields) > 1 and isinstance(fields[-1], ast.String):
            return ast.ColumnRef(fields=(fields[-1],))
        return node
    if isinstance(node, ast.A_Expr):
        op = node.name[-1].sval if node.name else ""
        if node.kind == A_Expr_Kind.AEXPR_OP and op in ("~~", "!~~"):
            return ast.A_Expr(kind=A_Expr_Kind.AEXPR_LIKE, name=node.name, lexpr=node.lexpr, rexpr=node.rexpr)
        if node.kind == A_Expr_Kind.AEXPR_OP and op in ("~~*", "!~~*"):
            return ast.A_Expr(kind=A_Expr_Kind.AEXPR_ILIKE, name=node.name, lexpr=node.lexpr, rexpr=node.rexpr)
        if node.kind == A_Expr_Kind.AEXPR_IN and isinstance(node.rexpr, tuple):
            kind = A_Expr_Kind.AEXPR_OP_ANY if op == "=" else A_Expr_Kind.AEXPR_OP_ALL
            return ast.A_Expr(kind=kind, name=node.name, lexpr=node.lexpr,
                              rexpr=ast.A_ArrayExpr(elements=node.rexpr))
        if node.kind in (A_Expr_Kind.AEXPR_BETWEEN, A_Expr_Kind.AEXPR_NOT_BETWEEN) \
                and isinstance(node.rexpr, tuple) and len(node.rexpr) == 2:
            low, high = node.rexpr
            if node.kind == A_Expr_Kind.AEXPR_BETWEEN:
                return _flatten(ast.BoolExpr(boolop=BoolExprType.AND_EXPR, args=(
                    _op(">=", node.lexpr, low), _op("<=", node.lexpr, high))))
            return _flatten(ast.BoolExpr(boolop=BoolExprType.OR_EXPR, args=(
                _op("<", node.lexpr, low), _op(">", node.lexpr, high))))
        return node
    if isinstance(node, ast.BoolExpr):
        return _flatten(node)
    return node


def _sql_syntax_call(node: ast.FuncCall) -> ast.FuncCall:
    names = [str(n.sval) for n in (node.funcname or ()) if isinstance(n, ast.String)]
    if not names or names[-1] not in _SQL_SYNTAX_FUNCTIONS or len(names) > 2 \
            or (len(names) == 2 and names[0] != "pg_catalog"):
        return node
    if node.agg_order or node.agg_filter or node.over or node.agg_star or node.agg_distinct or node.func_variadic:
        return node
    node.funcname = (ast.String(sval="pg_catalog"), ast.String(sval=names[-1]))
    node.funcformat = CoercionForm.COERCE_SQL_SYNTAX
    return node


def _now_default(node: Any, column_type: str) -> Any:
    """The transaction's start time, however spelled, as the one spelling for the column's type family:
    ``now()`` for timestamps, ``CURRENT_DATE`` for dates, ``CURRENT_TIME`` for times."""
    base = re.sub(r"\(\d+\)", "", column_type)
    canonical: SQLValueFunctionOp | None
    if base.startswith("timestamp"):
        values, canonical = _NOW_VALUES, None
    elif base == "date":
        values, canonical = _DATE_VALUES, SQLValueFunctionOp.SVFOP_CURRENT_DATE
    elif base.startswith("time "):
        values, canonical = _TIME_VALUES, SQLValueFunctionOp.SVFOP_CURRENT_TIME
    else:
        return node
    names: tuple[Any, ...] = (node.funcname or ()) if isinstance(node, ast.FuncCall) else ()
    is_now = isinstance(node, ast.FuncCall) and not node.args and len(names) == 1 and names[0].sval in _NOW_FUNCTIONS
    if not is_now and not (isinstance(node, ast.SQLValueFunction) and node.op in values):
        return node
    if canonical is None:
        return ast.FuncCall(funcname=(ast.String(sval="now"),), funcformat=CoercionForm.COERCE_EXPLICIT_CALL)
    return ast.SQLValueFunction(op=canonical, typmod=-1)


def _op(name: str, left: Any, right: Any) -> ast.A_Expr:
    return ast.A_Expr(kind=A_Expr_Kind.AEXPR_OP, name=(ast.String(sval=name),), lexpr=left, rexpr=right)


def _flatten(node: ast.BoolExpr) -> ast.BoolExpr:
    if node.boolop == BoolExprType.NOT_EXPR:
        return node
    args: list[Any] = []
    for a in node.args or ():
        if isinstance(a, ast.BoolExpr) and a.boolop == node.boolop:
            args.extend(a.args or ())
        else:
            args.append(a)
    return ast.BoolExpr(boolop=node.boolop, args=tuple(args))


def _walk(node: Any) -> Any:
    if isinstance(node, tuple):
        return tuple(_walk(n) for n in node)
    if not isinstance(node, ast.Node):
        return node
    slots: Any = getattr(type(node), "__slots__", ())
    for attr in slots:
        value = getattr(node, attr, None)
        if isinstance(value, ast.Node | tuple):
            setattr(node, attr, _walk(value))
    return _rewrite(node)


def _parse_expression(sql: str) -> Any | None:
    try:
        stmts = parse_sql(f"SELECT {sql}")
    except Exception:
        return None
    if len(stmts) != 1:
        return None
    stmt = stmts[0].stmt
    if not isinstance(stmt, ast.SelectStmt) or not stmt.targetList or len(stmt.targetList) != 1 \
            or stmt.fromClause or stmt.whereClause:
        return None
    return stmt.targetList[0].val


def _deparse(node: Any) -> str:
    return str(RawStream()(node))


# -- the normalisers (normalize.py caches them) -------------------------------------------

def normalize_default(default_sql: str, column_type: str) -> str:
    text = default_sql.strip()
    node = _parse_expression(text)
    if node is None:
        return text
    node = _walk(node)
    val: Any = node.val if isinstance(node, ast.A_Const) else None
    if isinstance(val, ast.String) and not column_type.endswith("[]"):
        if NUMERIC_TYPES.match(column_type):
            node = _number_const(val.sval) or node
        elif column_type == "boolean":
            node = _bool_const(val.sval) or node
        else:
            stored = canonical_literal(str(val.sval), column_type)
            if stored is not None:
                node = ast.A_Const(isnull=False, val=ast.String(sval=stored))
    node = _now_default(node, column_type)
    return _deparse(node)


def normalize_expression(sql: str) -> str:
    text = sql.strip()
    node = _parse_expression(text)
    if node is None:
        return " ".join(text.split())
    return _deparse(_walk(node))


def normalize_view(sql: str) -> str:
    """A view's query in a form that does not depend on the server that printed it: PostgreSQL 16 and
    later leave out the table qualifier of a column when the query level reads one relation only
    (``SELECT id FROM t``), 15 writes it (``SELECT t.id FROM t``); both become the unqualified form."""
    text = sql.strip().rstrip(";").strip()
    try:
        stmts = parse_sql(text)
        if len(stmts) == 1:
            stmt = stmts[0].stmt
            _unqualify(stmt)
            return _deparse(stmt)
    except Exception:
        pass
    return " ".join(text.split())


def _unqualify(node: Any) -> None:
    """Drop ``rel.`` from column references of every SELECT level that reads exactly one plain relation."""
    for select in _nodes(node, ast.SelectStmt):
        source = select.fromClause
        if not source or len(source) != 1 or not isinstance(source[0], ast.RangeVar):
            continue
        rel = source[0]
        names = {rel.alias.aliasname if rel.alias is not None else rel.relname}
        for part in (select.targetList, select.whereClause, select.groupClause, select.havingClause,
                     select.sortClause):
            for ref in _nodes(part, ast.ColumnRef, stop=ast.SelectStmt):
                fields: tuple[Any, ...] = tuple(ref.fields or ())
                if len(fields) == 2 and isinstance(fields[0], ast.String) and fields[0].sval in names:
                    ref.fields = fields[1:]


def _nodes(node: Any, kind: type, stop: type | None = None) -> list[Any]:
    """Every node of ``kind`` under ``node`` (itself included), not looking inside nodes of type ``stop``."""
    out: list[Any] = []
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, tuple | list):
            todo.extend(n)
            continue
        if not isinstance(n, ast.Node):
            continue
        if isinstance(n, kind):
            out.append(n)
        if stop is not None and isinstance(n, stop) and n is not node:
            continue
        for attr in getattr(type(n), "__slots__", ()):
            value = getattr(n, attr, None)
            if isinstance(value, ast.Node | tuple | list):
                todo.append(value)
    return out


def view_relations(sql: str, default_schema: str) -> frozenset[tuple[str, str]]:
    """The relations (schema, name) a view's query reads, by parsing it; unqualified names are taken to be
    in ``default_schema`` (how the catalog prints them with safeshift's search_path)."""
    try:
        stmts = parse_sql(sql)
    except Exception:
        return frozenset()
    return frozenset((r.schemaname or default_schema, r.relname) for r in _nodes(stmts, ast.RangeVar))

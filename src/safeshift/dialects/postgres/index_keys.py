"""The keys of a ``CREATE INDEX`` statement as PostgreSQL records them, read without a server.

A source that writes index keys as text (SQLAlchemy's ``text("col DESC")``, ``col.asc()``,
``postgresql_ops``, ``col.collate("C")``) must give the model the keys the catalog will hold,
or the diff sees a difference that is not there and, worse, renders the wrong index.  The
statement is parsed with pglast (PostgreSQL's own grammar) and each key is read the way
``DefineIndex`` reads it: a top-level ``COLLATE`` is the key's collation, and a key that is
then a bare column reference, parenthesised or not, is that column.  An operator class that
is its access method's default is left out, as introspection leaves it out (it names only
classes whose ``opcdefault`` is false).
"""

from __future__ import annotations

from typing import Any

from pglast import ast, parse_sql
from pglast.enums import SortByDir, SortByNulls
from pglast.stream import RawStream

from safeshift.dialects.postgres import expressions
from safeshift.model import IndexElement

#: access method -> the operator classes PostgreSQL ships that are their input type's default
#: (``pg_opclass.opcdefault`` in pg_catalog; the same on PostgreSQL 15 and 18, a test compares both servers'
#: catalogs with it).  Naming one of these is the same index as naming none.
DEFAULT_OPCLASSES: dict[str, frozenset[str]] = {
    "brin": frozenset("""bit_minmax_ops box_inclusion_ops bpchar_minmax_ops bytea_minmax_ops char_minmax_ops
        date_minmax_ops float4_minmax_ops float8_minmax_ops inet_inclusion_ops int2_minmax_ops int4_minmax_ops
        int8_minmax_ops interval_minmax_ops macaddr8_minmax_ops macaddr_minmax_ops name_minmax_ops
        numeric_minmax_ops oid_minmax_ops pg_lsn_minmax_ops range_inclusion_ops text_minmax_ops tid_minmax_ops
        time_minmax_ops timestamp_minmax_ops timestamptz_minmax_ops timetz_minmax_ops uuid_minmax_ops
        varbit_minmax_ops""".split()),  # noqa: SIM905
    "btree": frozenset("""array_ops bit_ops bool_ops bpchar_ops bytea_ops char_ops date_ops enum_ops float4_ops
        float8_ops inet_ops int2_ops int4_ops int8_ops interval_ops jsonb_ops macaddr8_ops macaddr_ops money_ops
        multirange_ops name_ops numeric_ops oid_ops oidvector_ops pg_lsn_ops range_ops record_ops text_ops tid_ops
        time_ops timestamp_ops timestamptz_ops timetz_ops tsquery_ops tsvector_ops uuid_ops varbit_ops
        xid8_ops""".split()),  # noqa: SIM905
    "gin": frozenset({"array_ops", "jsonb_ops", "tsvector_ops"}),
    "gist": frozenset({"box_ops", "circle_ops", "multirange_ops", "point_ops", "poly_ops", "range_ops",
                       "tsquery_ops", "tsvector_ops"}),
    "hash": frozenset("""aclitem_ops array_ops bool_ops bpchar_ops bytea_ops char_ops cid_ops date_ops enum_ops
        float4_ops float8_ops inet_ops int2_ops int4_ops int8_ops interval_ops jsonb_ops macaddr8_ops
        macaddr_ops multirange_ops name_ops numeric_ops oid_ops oidvector_ops pg_lsn_ops range_ops record_ops
        text_ops tid_ops time_ops timestamp_ops timestamptz_ops timetz_ops uuid_ops xid8_ops xid_ops""".split()),  # noqa: SIM905
    "spgist": frozenset({"box_ops", "inet_ops", "poly_ops", "quad_point_ops", "range_ops", "text_ops"}),
}


def index_keys(create_index_sql: str) -> tuple[IndexElement, ...]:
    """The keys of ``create_index_sql``; ValueError names what the model cannot hold or the text that
    does not parse as one CREATE INDEX statement."""
    try:
        stmts = parse_sql(create_index_sql)
    except Exception as exc:
        raise ValueError(f"index text PostgreSQL cannot parse ({exc})") from exc
    if len(stmts) != 1 or not isinstance(stmts[0].stmt, ast.IndexStmt):
        raise ValueError("index text that is not one CREATE INDEX statement")
    stmt = stmts[0].stmt
    method = str(stmt.accessMethod or "btree").lower()
    return tuple(_key(elem, method) for elem in stmt.indexParams or ())


def _key(elem: Any, method: str) -> IndexElement:
    expr: Any = elem.expr
    collation_names: Any = elem.collation
    if isinstance(expr, ast.CollateClause) and not collation_names:
        collation_names, expr = expr.collname, expr.arg  # "(x COLLATE c)" is "x COLLATE c"
    name: str | None = elem.name
    fields: tuple[Any, ...] = tuple(expr.fields or ()) if isinstance(expr, ast.ColumnRef) else ()
    if name is None and len(fields) == 1 and isinstance(fields[0], ast.String):
        name = str(fields[0].sval)  # "(col)": PostgreSQL indexes the column itself
    if elem.opclassopts:
        raise ValueError("operator class parameters (opclass(...))")
    opclass = _names(elem.opclass)[-1] if elem.opclass else None
    if opclass is not None and opclass in DEFAULT_OPCLASSES.get(method, frozenset()):
        opclass = None
    if elem.ordering == SortByDir.SORTBY_USING:
        raise ValueError("an ordering operator (USING) on an index key")
    descending = elem.ordering == SortByDir.SORTBY_DESC
    nulls_first: bool | None = None
    if elem.nulls_ordering != SortByNulls.SORTBY_NULLS_DEFAULT:
        nulls_first = elem.nulls_ordering == SortByNulls.SORTBY_NULLS_FIRST
        if nulls_first == descending:
            nulls_first = None  # the direction's own default: DESC sorts nulls first, ASC last
    collation = _collation(collation_names)
    if name is not None:
        return IndexElement(name, descending=descending, nulls_first=nulls_first, opclass=opclass,
                            collation=collation)
    value = expressions.normalize_expression(str(RawStream()(expr)))
    return IndexElement(value, is_expression=True, descending=descending, nulls_first=nulls_first,
                        opclass=opclass, collation=None if collation == "default" else collation)


def _names(nodes: Any) -> list[str]:
    return [str(n.sval) for n in nodes or () if isinstance(n, ast.String)]


def _collation(nodes: Any) -> str | None:
    """Spelled as the catalog queries spell a collation: bare in pg_catalog and public, else quoted
    and schema-qualified."""
    names = _names(nodes)
    if not names:
        return None
    if len(names) == 1 or names[0] in ("pg_catalog", "public"):
        return names[-1]
    return '"{}"."{}"'.format(names[0].replace('"', '""'), names[-1].replace('"', '""'))

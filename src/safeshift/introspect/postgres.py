"""Live PostgreSQL database → canonical Schema.

A handful of bulk catalog queries per database (never one per table), so a schema of a
thousand tables reads in a fraction of a second.  The queries live in
``queries/postgres/*.sql``; this module only maps rows to the model, passing every type,
default and expression through the dialect's normalisers so the result compares equal
to what the schema sources produce.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from safeshift.dialects.postgres.types import INT_BOUNDS
from safeshift.errors import UnsupportedConstruct
from safeshift.model import (
    Check,
    Column,
    Enum,
    Exclusion,
    Extension,
    FkAction,
    ForeignKey,
    Function,
    Generated,
    Identity,
    Index,
    IndexElement,
    Policy,
    PolicyCommand,
    PrimaryKey,
    Schema,
    Table,
    Trigger,
    TriggerState,
    Unique,
    View,
    collector_paused,
    make_schema,
)
from safeshift.model import (
    Sequence as SequenceModel,
)

SEARCH_PATH = "pg_catalog, public"
#: pg_trigger.tgenabled
_TRIGGER_STATES: dict[str, TriggerState] = {"O": "enabled", "D": "disabled", "R": "replica", "A": "always"}
#: pg_policy.polcmd
_POLICY_COMMANDS: dict[str, PolicyCommand] = {
    "*": "ALL", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE",
}
_FK_ACTIONS: dict[str, FkAction] = {
    "a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT",
}


@cache
def query(name: str, server_version: int = 180000) -> str:
    """The text of ``queries/postgres/<name>.sql`` for a server of ``server_version`` (e.g. 150004)."""
    sql = resources.files("safeshift.introspect").joinpath(f"queries/postgres/{name}.sql").read_text("utf-8")
    if server_version < 150000:  # NULLS NOT DISTINCT came with PostgreSQL 15
        sql = sql.replace("i.indnullsnotdistinct", "false")
    return sql


def introspect(conn: Any, schemas: Sequence[str] | None = None) -> Schema:
    """Read the schema behind ``conn``; leaves the connection's transaction state as it found it."""
    from safeshift.dialects.postgres import PostgresDialect

    with _catalog_session(conn), collector_paused():  # ~100,000 rows and values, none in a cycle
        return _Reader(conn, PostgresDialect()).read(schemas)


@contextmanager
def _catalog_session(conn: Any) -> Iterator[None]:
    """Pin search_path so format_type and regclass print names the way the model spells them."""
    from psycopg.pq import TransactionStatus

    was_idle = conn.info.transaction_status == TransactionStatus.IDLE and not conn.autocommit
    old = conn.execute("SELECT pg_catalog.current_setting('search_path')").fetchone()[0]
    conn.execute("SELECT pg_catalog.set_config('search_path', %s, false)", (SEARCH_PATH,))
    try:
        yield
    finally:
        if was_idle:
            conn.rollback()  # also undoes the set_config
        elif conn.info.transaction_status != TransactionStatus.INERROR:
            conn.execute("SELECT pg_catalog.set_config('search_path', %s, false)", (old,))


@dataclass
class _TableParts:
    schema: str
    name: str
    comment: str | None = None
    columns: list[tuple[int, Column]] = field(default_factory=list)  # (attnum, column), any order
    attnames: dict[int, str] = field(default_factory=dict)  # attnum -> column name, for constraint keys
    attcollations: dict[int, int] = field(default_factory=dict)  # attnum -> collation oid, for index keys
    primary_key: PrimaryKey | None = None
    uniques: list[Unique] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    row_security: bool = False
    force_row_security: bool = False
    unlogged: bool = False
    options: tuple[str, ...] = ()
    exclusions: list[Exclusion] = field(default_factory=list)

    def build(self) -> Table:
        columns = tuple(c for _, c in sorted(self.columns, key=lambda p: p[0]))
        return Table(self.schema, self.name, columns, self.primary_key, tuple(self.uniques),
                     tuple(self.checks), tuple(self.foreign_keys), tuple(self.indexes), self.comment,
                     self.row_security, self.force_row_security, self.unlogged, self.options,
                     tuple(self.exclusions))


class _Reader:
    def __init__(self, conn: Any, dialect: Any) -> None:
        self.conn = conn
        self.dialect = dialect
        self.server_version = int(conn.info.server_version)
        #: plain columns (no default, identity or generation) by their whole row: schemas repeat
        #: the same column (id, created_at, ...) across tables, and model values are immutable
        self._plain: dict[tuple[Any, ...], Column] = {}
        #: (what, name) of options found while reading rows that the model cannot represent
        self.unmodelled: list[tuple[str, str]] = []

    def rows(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        from psycopg.rows import dict_row

        return self.fetch(name, params, dict_row)

    def records(self, name: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Rows as named tuples (``r.name``): for the 20,000-row columns query a dict per row costs 30 ms."""
        from psycopg.rows import namedtuple_row

        return self.fetch(name, params, namedtuple_row)

    def fetch(self, name: str, params: dict[str, Any] | None, row_factory: Any) -> list[Any]:
        with self.conn.cursor(row_factory=row_factory) as cur:
            cur.execute(query(name, self.server_version), params)
            result: list[Any] = cur.fetchall()
            return result

    def read(self, wanted: Sequence[str] | None) -> Schema:
        existing = [r["name"] for r in self.rows("schemas")]
        schemas = existing if wanted is None else [s for s in existing if s in set(wanted)]
        params = {"schemas": schemas}
        sequences = self.rows("sequences", params)
        owned = {(r["owner_schema"], r["owner_table"], r["owner_column"]): r for r in sequences if r["deptype"]}
        tables = self.tables(self.records("columns", params), owned)
        serial_seqs = {(t.schema, t.name, c.name) for t in tables.values() for _, c in t.columns if c.serial}
        self.constraints(tables, self.rows("constraints", params))
        index_rows = self.rows("indexes", params)
        matviews = self.matview_parts({(r["schema"], r["table"]) for r in index_rows} - tables.keys(), params)
        self.indexes({**tables, **matviews}, index_rows)
        enums = [Enum(r["schema"], r["name"], tuple(r["labels"])) for r in self.rows("enums", params)]
        free_sequences = [
            self.sequence(r) for r in sequences
            if r["deptype"] != "i"
            and not (r["deptype"] == "a" and (r["owner_schema"], r["owner_table"], r["owner_column"]) in serial_seqs)
        ]
        views = [
            View(r["schema"], r["name"], self.dialect.normalize_view(r["definition"]),
                 materialized=bool(r["materialized"]), comment=r["comment"],
                 indexes=tuple(sorted(matviews[(r["schema"], r["name"])].indexes, key=lambda i: i.name))
                 if (r["schema"], r["name"]) in matviews else ())
            for r in self.rows("views", params)
        ]
        self.table_options(tables, self.rows("table_options", params))
        d = self.dialect
        extensions = [Extension(r["name"], r["schema"]) for r in self.rows("extensions", params)]
        functions = [
            Function(r["schema"], r["name"], r["arguments"], r["returns"], d.normalize_routine(r["definition"]),
                     procedure=bool(r["procedure"]))
            for r in self.rows("functions", params)
        ]
        triggers = [Trigger(r["schema"], r["table"], r["name"], d.normalize_trigger(r["definition"]),
                            _TRIGGER_STATES[r["state"]])
                    for r in self.rows("triggers", params)]
        policies = [self.policy(r) for r in self.rows("policies", params)]
        self.refuse_unmodelled(params)
        return make_schema(
            self.dialect.name,
            namespaces=[s for s in schemas if s != self.dialect.default_schema],
            tables=[t.build() for t in tables.values()],
            enums=enums,
            sequences=free_sequences,
            views=views,
            extensions=extensions,
            functions=functions,
            triggers=triggers,
            policies=policies,
        )

    def matview_parts(self, keys: set[tuple[str, str]], params: dict[str, Any]) -> dict[tuple[str, str], _TableParts]:
        """Column names and collations of the materialized views that have indexes (queried only if any do)."""
        if not keys:
            return {}
        out: dict[tuple[str, str], _TableParts] = {}
        for r in self.rows("matview_columns", params):
            key = (r["schema"], r["table"])
            if key in keys:
                parts = out.setdefault(key, _TableParts(*key))
                parts.attnames[r["attnum"]] = r["name"]
                parts.attcollations[r["attnum"]] = r["collation_oid"]
        return out

    def table_options(self, tables: dict[tuple[str, str], _TableParts], rows: list[dict[str, Any]]) -> None:
        """Row-level security, UNLOGGED and storage parameters: the few tables that set any of them."""
        for r in rows:
            parts = tables.get((r["schema"], r["table"]))
            if parts is not None:
                parts.row_security, parts.force_row_security = bool(r["rls"]), bool(r["rls_forced"])
                parts.unlogged = bool(r["unlogged"])
                parts.options = tuple(sorted(r["options"] or ()))

    def policy(self, r: dict[str, Any]) -> Policy:
        norm = self.dialect.normalize_expression
        return Policy(r["schema"], r["table"], r["name"], command=_POLICY_COMMANDS[r["command"]],
                      permissive=bool(r["permissive"]), roles=tuple(r["roles"]),
                      using=None if r["using"] is None else norm(r["using"]),
                      with_check=None if r["with_check"] is None else norm(r["with_check"]))

    def refuse_unmodelled(self, params: dict[str, Any]) -> None:
        """Refuse a database holding objects or options the model cannot represent, naming each: a diff or
        drift check that left them out would say "no changes" or "no drift" when that is not true."""
        found = [(r["what"], r["name"]) for r in self.rows("unmodelled", params)] + self.unmodelled
        if not found:
            return
        by_kind: dict[str, list[str]] = {}
        for what, name in found:
            by_kind.setdefault(what, []).append(name)
        shown = [f"{what} {', '.join(names[:5])}{f' and {len(names) - 5} more' if len(names) > 5 else ''}"
                 for what, names in by_kind.items()]
        raise UnsupportedConstruct(
            "the database", "; ".join(shown),
            "Comparing the database without them could hide real differences, so safeshift stops here.")

    # -- tables and columns --------------------------------------------------------------
    def tables(self, rows: list[Any],
               owned: dict[tuple[str, str, str], dict[str, Any]]) -> dict[tuple[str, str], _TableParts]:
        """Rows of the columns query (named tuples) grouped into tables."""
        tables: dict[tuple[str, str], _TableParts] = {}
        for r in rows:
            key = (r.schema, r.table)
            parts = tables.get(key)
            if parts is None:
                self.check_table(r)
                parts = tables[key] = _TableParts(r.schema, r.table, r.table_comment)
            attnum = r.attnum
            if attnum is not None:
                # only a column with a default or identity can own a sequence
                seq = owned.get((r.schema, r.table, r.name)) if r.default is not None or r.identity else None
                parts.columns.append((attnum, self.column(r, seq)))
                if r.column_options is not None:
                    self.unmodelled.append((f"column settings ({r.column_options}) of",
                                            f"{r.schema}.{r.table}.{r.name}"))
                parts.attnames[attnum] = r.name
                parts.attcollations[attnum] = r.collation_oid
        return tables

    def check_table(self, r: Any) -> None:
        where = f"table {r.schema}.{r.table}"
        if r.relkind == "p" or r.is_partition:
            raise UnsupportedConstruct(where, "table partitioning")
        if r.inherits:
            raise UnsupportedConstruct(where, "table inheritance")

    def column(self, r: Any, seq: dict[str, Any] | None) -> Column:
        if r.default is None and not r.identity and not r.generated and r.typtype != "d":
            key = (r.name, r.type, r.notnull, r.collation, r.comment)
            col = self._plain.get(key)
            if col is None:
                col = self._plain[key] = Column(name=r.name, type=self.dialect.normalize_type(r.type),
                                                nullable=not r.notnull, collation=r.collation, comment=r.comment)
            return col
        d = self.dialect
        if r.typtype == "d":
            raise UnsupportedConstruct(f"column {r.schema}.{r.table}.{r.name}",
                                       f"domain type {r.type}", "Use the domain's base type and a CHECK.")
        col_type = d.normalize_type(r.type)
        raw_default: str | None = r.default
        identity = None
        if r.identity and seq is not None and seq["deptype"] == "i":
            opts = _sequence_options(col_type, seq)
            identity = Identity(always=r.identity == "a", **opts)
        generated = None
        default = None
        if r.generated:
            generated = Generated(d.normalize_expression(_unwrap(raw_default or "")), stored=r.generated == "s")
        serial = False
        if raw_default is not None and generated is None:
            if seq is not None and seq["deptype"] == "a" and self.is_serial(r, seq, col_type, raw_default):
                serial = True
            else:
                default = d.normalize_default(raw_default, col_type)
        return Column(name=r.name, type=col_type, nullable=not r.notnull, default=default,
                      identity=identity, serial=serial, generated=generated, collation=r.collation,
                      comment=r.comment)

    def is_serial(self, r: Any, seq: dict[str, Any], col_type: str, default: str) -> bool:
        from safeshift.dialects.postgres import make_object_name

        return (
            self.dialect.serial_type(col_type) is not None
            and seq["schema"] == r.schema
            and seq["name"] == make_object_name(r.table, r.name, "seq")
            and default == f"nextval('{seq['regclass']}'::regclass)"
            and self.dialect.normalize_type(seq["data_type"]) == col_type
            and not _sequence_options(col_type, seq)
        )

    # -- constraints ---------------------------------------------------------------------
    def constraints(self, tables: dict[tuple[str, str], _TableParts], rows: list[dict[str, Any]]) -> None:
        for r in rows:
            parts = tables.get((r["schema"], r["table"]))
            if parts is None:
                continue
            kind = r["type"]
            cols = () if kind == "c" else tuple(parts.attnames[n] for n in r["attnums"] or ())
            if kind == "p":
                parts.primary_key = PrimaryKey(r["name"], cols, deferrable=r["deferrable"],
                                               initially_deferred=r["deferred"])
            elif kind == "u":
                parts.uniques.append(Unique(r["name"], cols, nulls_not_distinct=bool(r["nulls_not_distinct"]),
                                            deferrable=r["deferrable"], initially_deferred=r["deferred"]))
            elif kind == "c":
                parts.checks.append(Check(r["name"], self.dialect.normalize_expression(r["expression"])))
            elif kind == "f":
                parts.foreign_keys.append(ForeignKey(
                    name=r["name"], columns=cols, ref_schema=r["ref_schema"], ref_table=r["ref_table"],
                    ref_columns=tuple(r["ref_columns"] or ()), on_delete=_FK_ACTIONS[r["on_delete"]],
                    on_update=_FK_ACTIONS[r["on_update"]], deferrable=r["deferrable"],
                    initially_deferred=r["deferred"], match_full=r["match_type"] == "f"))
            elif kind == "x":
                parts.exclusions.append(Exclusion(r["name"], " ".join(r["expression"].split())))

    def indexes(self, tables: dict[tuple[str, str], _TableParts], rows: list[dict[str, Any]]) -> None:
        from safeshift.dialects.postgres import quote_ident

        d = self.dialect
        rows = [r for r in rows if (r["schema"], r["table"]) in tables]
        opclasses = self.names("opclasses", {o for r in rows for o in r["opclasses"]})
        wanted: set[int] = set()  # collations that differ from the key's own
        for r in rows:
            r["collations"] = [_key_collation(c, a, tables[(r["schema"], r["table"])].attcollations)
                               for c, a in zip(r["collations"], r["attnums"], strict=False)]
            wanted.update(c for c in r["collations"] if c)
        collations = self.names("collations", wanted)
        for r in rows:
            parts = tables[(r["schema"], r["table"])]
            nkeys = r["nkeys"]
            attnums = r["attnums"]
            expressions = r["expressions"] or ()
            keys = []
            for k in range(nkeys):
                option = r["options"][k] or 0
                descending = bool(option & 1)
                nulls_first = bool(option & 2)
                if attnums[k] != 0:
                    value, is_expr = parts.attnames[attnums[k]], False
                else:
                    value, is_expr = d.normalize_expression(expressions[k]), True
                collation = collations.get(r["collations"][k])
                if is_expr and collation and f"COLLATE {quote_ident(collation)}" not in (r["definition"] or ""):
                    collation = None  # the expression's own collation, which pg_get_indexdef leaves out
                keys.append(IndexElement(value, is_expression=is_expr, descending=descending,
                                         nulls_first=None if nulls_first == descending else nulls_first,
                                         opclass=opclasses.get(r["opclasses"][k]), collation=collation))
            include = tuple(parts.attnames[a] for a in attnums[nkeys:])
            where = d.normalize_expression(r["predicate"]) if r["predicate"] else None
            parts.indexes.append(Index(r["name"], tuple(keys), unique=r["is_unique"], method=r["method"],
                                       where=where, include=include,
                                       nulls_not_distinct=bool(r["nulls_not_distinct"])))

    def names(self, lookup: str, oids: set[int]) -> dict[int, str]:
        """oid -> name from a small lookup query, run only when there is something to look up."""
        if not oids:
            return {}
        return {r["oid"]: r["name"] for r in self.rows(lookup, {"oids": sorted(oids)})}

    # -- sequences -----------------------------------------------------------------------
    def sequence(self, r: dict[str, Any]) -> SequenceModel:
        data_type = self.dialect.normalize_type(r["data_type"])
        return SequenceModel(r["schema"], r["name"], data_type, **_sequence_options(data_type, r))


def _sequence_options(data_type: str, r: dict[str, Any]) -> dict[str, Any]:
    """The options of a sequence that differ from what PostgreSQL would pick by itself."""
    low, high = INT_BOUNDS.get(data_type, INT_BOUNDS["bigint"])
    inc = int(r["increment"])
    default_min, default_max = (1, high) if inc > 0 else (low, -1)
    minvalue = None if r["minvalue"] == default_min else int(r["minvalue"])
    maxvalue = None if r["maxvalue"] == default_max else int(r["maxvalue"])
    default_start = r["minvalue"] if inc > 0 else r["maxvalue"]
    opts: dict[str, Any] = {}
    if r["start"] != default_start:
        opts["start"] = int(r["start"])
    if inc != 1:
        opts["increment"] = inc
    if minvalue is not None:
        opts["minvalue"] = minvalue
    if maxvalue is not None:
        opts["maxvalue"] = maxvalue
    if r["cache"] != 1:
        opts["cache"] = int(r["cache"])
    if r["cycle"]:
        opts["cycle"] = True
    return opts


def _key_collation(collation: int, attnum: int, attcollations: dict[int, int]) -> int:
    """An index key's collation oid where it differs from the key's own, else 0.

    A column key's own collation is the column's; an expression key's is the default
    collation (100) or none (0).
    """
    own = attcollations.get(attnum, 0) if attnum else 0
    if collation == own or (not attnum and collation == 100):
        return 0
    return collation


def _unwrap(expr: str) -> str:
    return expr.strip()


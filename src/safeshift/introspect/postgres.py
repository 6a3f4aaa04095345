"""Live PostgreSQL database → canonical Schema.

A handful of bulk catalog queries per database (never one per table), so a schema of a
thousand tables reads in a fraction of a second.  The queries live in
``queries/postgres/*.sql``; this module only maps rows to the model, passing every type,
default and expression through the dialect's normalisers so the result compares equal
to what the schema sources produce.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from safeshift.dialects.postgres.names import make_object_name, quote_ident
from safeshift.dialects.postgres.types import INT_BOUNDS
from safeshift.engines.base import IntrospectOptions
from safeshift.errors import IntrospectionError, UnsupportedConstruct
from safeshift.introspect.postgres_reads import SEARCH_PATH as SEARCH_PATH
from safeshift.introspect.postgres_reads import CatalogReads
from safeshift.introspect.postgres_reads import ColumnRow as _ColumnRow
from safeshift.model import (
    Attribute,
    Check,
    Collation,
    CollationProvider,
    Column,
    CompositeType,
    Domain,
    Enum,
    Exclusion,
    Extension,
    FkAction,
    ForeignKey,
    Function,
    Generated,
    Grant,
    Identity,
    Index,
    IndexElement,
    PartitionOf,
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

#: pg_trigger.tgenabled
_TRIGGER_STATES: dict[str, TriggerState] = {"O": "enabled", "D": "disabled", "R": "replica", "A": "always"}
#: pg_policy.polcmd
_POLICY_COMMANDS: dict[str, PolicyCommand] = {
    "*": "ALL", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE",
}
_FK_ACTIONS: dict[str, FkAction] = {
    "a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT",
}


def introspect(conn: Any, schemas: Sequence[str] | None = None, options: IntrospectOptions | None = None,
               reads: CatalogReads | None = None) -> Schema:
    """Read the schema behind ``conn``; leaves the connection's transaction state as it found it.

    ``options.privileges``: read privileges too (``Schema.grants``), and refuse the kinds of them the
    model cannot hold; off, they are neither queried nor compared (``grants`` is None).  ``reads``: the reads
    of ``conn`` started earlier (``CatalogReads.start`` with ``schemas``), which this finishes and closes.
    """
    from safeshift.dialects.postgres import PostgresDialect

    with reads or CatalogReads.start(conn, schemas) as started, collector_paused():  # ~100,000 rows, no cycles
        return _Reader(started, PostgresDialect(), options or IntrospectOptions()).read()


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
    partition_by: str | None = None
    partition_of: PartitionOf | None = None
    #: partitioned tables and partitions only: column name -> what a partition must share with its parent
    raw_columns: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def build(self) -> Table:
        # a partition's columns are its parent's (checked by ``_Reader.partitions``): implied, not listed
        if self.partition_of:
            columns: tuple[Column, ...] = ()
        else:  # (attnum, column): attnums are unique, so the sort never compares two columns
            self.columns.sort(key=_first)
            columns = tuple([c for _, c in self.columns])
        return Table(self.schema, self.name, columns, self.primary_key, tuple(self.uniques),
                     tuple(self.checks), tuple(self.foreign_keys), tuple(self.indexes), self.comment,
                     self.row_security, self.force_row_security, self.unlogged, self.options,
                     tuple(self.exclusions), self.partition_by, self.partition_of)


_first = operator.itemgetter(0)


class _Reader:
    """The model from one introspection's rows (``CatalogReads``: the queries, sent and fetched)."""

    def __init__(self, reads: CatalogReads, dialect: Any, options: IntrospectOptions) -> None:
        self.options = options
        self.reads = reads
        self.dialect = dialect
        #: plain columns (no default, identity or generation) by their whole row: schemas repeat
        #: the same column (id, created_at, ...) across tables, and model values are immutable
        self._plain: dict[tuple[Any, ...], Column] = {}
        #: (what, name) of options found while reading rows that the model cannot represent
        self.unmodelled: list[tuple[str, str]] = []
        #: stand-alone composite types, whose attributes come with the columns query's rows
        self.composites: list[CompositeType] = []
        self.rows = reads.rows
        self.records = reads.records

    def read(self) -> Schema:
        return self.read_schemas(self.reads.schemas, self.reads.params)

    def read_schemas(self, schemas: list[str], params: dict[str, Any]) -> Schema:
        sequences = self.rows("sequences", params)  # with the columns' rows: the first wave is in
        self.reads.after_first_wave()
        owned = {(r["owner_schema"], r["owner_table"], r["owner_column"]): r for r in sequences if r["deptype"]}
        tables = self.tables(self.rows("tables", params), self.records("columns", params), owned)
        self.partitions(tables)
        serial_seqs = {(t.schema, t.name, c.name) for t in tables.values() for _, c in t.columns if c.serial}
        self.constraints(tables, self.rows("constraints", params))
        index_rows = self.rows("indexes", params)
        matviews = self.matview_parts({(r["schema"], r["table"]) for r in index_rows} - tables.keys(), params)
        self.indexes({**tables, **matviews}, index_rows, params)
        enums = [Enum(r["schema"], r["name"], tuple(r["labels"])) for r in self.rows("enums", params)]
        free_sequences = [
            self.sequence(r) for r in sequences
            if r["deptype"] != "i"
            and not (r["deptype"] == "a" and (r["owner_schema"], r["owner_table"], r["owner_column"]) in serial_seqs)
        ]
        views = [
            View(r["schema"], r["name"], self.dialect.normalize_view(r["definition"]),
                 materialized=bool(r["materialized"]), comment=r["comment"], columns=tuple(r["columns"] or ()),
                 indexes=tuple(sorted(matviews[(r["schema"], r["name"])].indexes, key=lambda i: i.name))
                 if (r["schema"], r["name"]) in matviews else ())
            for r in self.rows("views", params)
        ]
        self.table_options(tables, self.rows("table_options", params))
        d = self.dialect
        extensions = [Extension(r["name"], r["schema"]) for r in self.rows("extensions", params)]
        functions = [
            Function(r["schema"], r["name"], r["arguments"], r["returns"], d.normalize_routine(r["definition"]),
                     procedure=bool(r["procedure"]), reads_relations=bool(r["reads_relations"]))
            for r in self.rows("functions", params)
        ]
        triggers = [Trigger(r["schema"], r["table"], r["name"], d.normalize_trigger(r["definition"]),
                            _TRIGGER_STATES[r["state"]])
                    for r in self.rows("triggers", params)]
        policies = [self.policy(r) for r in self.rows("policies", params)]
        domains, collations = self.user_types(self.rows("types", params))
        grants = self.grants(params) if self.options.privileges else None
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
            grants=grants,
            domains=domains,
            composite_types=self.composites,
            collations=collations,
        )

    def user_types(self, rows: list[dict[str, Any]]) -> tuple[list[Domain], list[Collation]]:
        """Domains and collations from the rows of ``types.sql``."""
        d = self.dialect
        domains: list[Domain] = []
        collations: list[Collation] = []
        for r in rows:
            if r["kind"] == "d":
                base = d.normalize_type(r["base"])
                checks = tuple(Check(n, d.normalize_expression(e)) for n, e in zip(r["names"] or (), r["defs"] or (),
                                                                                      strict=True))
                domains.append(Domain(r["schema"], r["name"], base,
                                      default=None if r["default"] is None else d.normalize_default(r["default"], base),
                                      nullable=not r["notnull"], checks=checks, collation=r["collation"]))
            else:
                provider: CollationProvider = r["provider"]
                libc = provider == "libc"
                collations.append(Collation(r["schema"], r["name"], provider,
                                            locale=None if libc else r["locale"],
                                            lc_collate=r["lc_collate"] if libc else None,
                                            lc_ctype=r["lc_ctype"] if libc else None,
                                            deterministic=bool(r["deterministic"])))
        return domains, collations

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

    def grants(self, params: dict[str, Any]) -> list[Grant]:
        """Privileges; the kinds the model cannot hold (column privileges, default privileges) are refused with
        the rest of what it cannot represent."""
        self.unmodelled += [(r["what"], r["name"]) for r in self.rows("privileges_unmodelled", params)]
        return [Grant(r["object_type"], r["schema"], r["name"], r["grantee"], r["privilege"], bool(r["grantable"]),
                      r["arguments"])
                for r in self.rows("grants", params)]

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
    def tables(self, table_rows: list[dict[str, Any]], rows: list[tuple[Any, ...]],
               owned: dict[tuple[str, str, str], dict[str, Any]]) -> dict[tuple[str, str], _TableParts]:
        """The tables query's rows, each with its rows of the columns query (plain tuples, unpacked here in
        ``_ColumnRow``'s order, matched by relid); only a column with a default, identity or generation is
        wrapped as a ``_ColumnRow`` for the methods that read it by name."""
        tables: dict[tuple[str, str], _TableParts] = {}
        by_relid: dict[int, _TableParts] = {}
        composite_keys: list[tuple[str, str]] = []
        for r in table_rows:
            self.check_table(r)
            key = (r["schema"], r["table"])
            parts = tables[key] = by_relid[r["relid"]] = _TableParts(r["schema"], r["table"], r["table_comment"])
            if r["relkind"] == "c":
                composite_keys.append(key)
            if r["partitioning"] is not None:
                partition_key, bound, *parent = r["partitioning"]
                parts.partition_by = partition_key
                if r["is_partition"]:
                    parts.partition_of = PartitionOf(parent[0], parent[1], bound)
        plain = self._plain
        # a table's rows mostly come together (the catalog keeps them so): its parts and their containers are
        # looked up when the relid changes, not for each of 20,000 rows
        current: int | None = None
        owner: _TableParts | None = None
        partitioned = False
        add: Any = None
        attnames: dict[int, str] = {}
        attcollations: dict[int, int] = {}
        for row in rows:
            (relid, attnum, name, type_, notnull, default, identity, generated, collation, collation_oid,
             comment, column_options) = row
            if relid != current:
                owner = by_relid.get(relid)
                if owner is None:  # only where the reads do not share one snapshot (psycopg's, READ COMMITTED)
                    raise IntrospectionError(f"The schema changed while it was read (a column of a table made after "
                                             f"the table list was read, relation {relid}); run the command again.")
                current, parts = relid, owner
                partitioned = parts.partition_by is not None or parts.partition_of is not None
                add, attnames, attcollations = parts.columns.append, parts.attnames, parts.attcollations
            if partitioned:
                parts.raw_columns[name] = (type_, notnull, default, identity, generated, collation,
                                           comment if parts.partition_of else None)
            if default is None and not identity and not generated:
                col = plain.get((name, type_, notnull, collation, comment)) or self.column(_ColumnRow._make(row),
                                                                                          parts, None)
            else:  # only a column with a default or identity can own a sequence
                col = self.column(_ColumnRow._make(row), parts, owned.get((parts.schema, parts.name, name))
                                  if default is not None or identity else None)
            add((attnum, col))
            if column_options is not None:
                self.unmodelled.append((f"column settings ({column_options}) of",
                                        f"{parts.schema}.{parts.name}.{name}"))
            attnames[attnum] = name
            attcollations[attnum] = collation_oid
        for key in composite_keys:  # read as tables (a check per type, not per row), kept apart here
            parts = tables.pop(key)
            self.composites.append(CompositeType(parts.schema, parts.name, tuple(
                Attribute(c.name, c.type, c.collation) for _, c in sorted(parts.columns, key=lambda p: p[0]))))
        return tables

    def check_table(self, r: dict[str, Any]) -> None:
        if r["inherits"]:
            raise UnsupportedConstruct(f"table {r['schema']}.{r['table']}", "table inheritance")

    def partitions(self, tables: dict[tuple[str, str], _TableParts]) -> None:
        """A partition's columns are implied by its parent's, so the model leaves them out: refuse, naming the
        column, a partition whose column differs from its parent's (its own default, NOT NULL or comment,
        possible on a table attached with ALTER TABLE ... ATTACH PARTITION), and a partition whose parent is
        outside the schemas read."""
        for parts in tables.values():
            of = parts.partition_of
            if of is None:
                continue
            parent = tables.get((of.schema, of.table))
            if parent is None:
                raise UnsupportedConstruct(
                    f"table {parts.schema}.{parts.name}", f"a partition of {of.qualname}, outside the schemas read",
                    "Read the parent's schema too.")
            for name, raw in parts.raw_columns.items():
                theirs = parent.raw_columns.get(name)
                if raw[3] == "" and theirs is not None:  # before PostgreSQL 17 a partition has no identity
                    theirs = (*theirs[:3], "", *theirs[4:])
                if raw != theirs:
                    raise UnsupportedConstruct(
                        f"column {parts.schema}.{parts.name}.{name}",
                        f"a definition on the partition (default, NOT NULL, collation or comment) that differs "
                        f"from its parent {of.qualname}'s",
                        "Give the column the parent's definition: a partition's columns are the parent's.")

    def column(self, r: Any, parts: _TableParts, seq: dict[str, Any] | None) -> Column:
        if r.default is None and not r.identity and not r.generated:
            key = (r.name, r.type, r.notnull, r.collation, r.comment)
            col = self._plain.get(key)
            if col is None:
                col = self._plain[key] = Column(name=r.name, type=self.dialect.normalize_type(r.type),
                                                nullable=not r.notnull, collation=r.collation, comment=r.comment)
            return col
        d = self.dialect
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
            if seq is not None and seq["deptype"] == "a" and self.is_serial(r, parts, seq, col_type, raw_default):
                serial = True
            else:
                default = d.normalize_default(raw_default, col_type)
        return Column(name=r.name, type=col_type, nullable=not r.notnull, default=default,
                      identity=identity, serial=serial, generated=generated, collation=r.collation,
                      comment=r.comment)

    def is_serial(self, r: Any, parts: _TableParts, seq: dict[str, Any], col_type: str, default: str) -> bool:
        return (
            self.dialect.serial_type(col_type) is not None
            and seq["schema"] == parts.schema
            and seq["name"] == make_object_name(parts.name, r.name, "seq")
            and default == f"nextval('{_regclass_text(seq['schema'], seq['name'])}'::regclass)"
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

    def indexes(self, tables: dict[tuple[str, str], _TableParts], rows: list[dict[str, Any]],
                params: dict[str, Any]) -> None:
        d = self.dialect
        rows = [r for r in rows if (r["schema"], r["table"]) in tables]
        opclasses = {r["oid"]: r["name"] for r in self.rows("opclasses", params)}
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


def _regclass_text(schema: str, name: str) -> str:
    """How ``regclass`` prints a serial column's sequence under the pinned search path, as a string literal's
    content: bare in ``public``, else schema-qualified; quoted only when not a plain lower-case name (a
    name ending in ``_seq`` is never a keyword).  Computed here rather than by the catalog query, where
    the cast cost a sixth of that query's time on a schema of a thousand tables."""
    bare = name if _PLAIN_NAME.match(name) else quote_ident(name)
    text = bare if schema == "public" else f"{quote_ident(schema)}.{bare}"
    return text.replace("'", "''")


_PLAIN_NAME = re.compile(r"^[a-z_][a-z0-9_$]*_seq$")


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


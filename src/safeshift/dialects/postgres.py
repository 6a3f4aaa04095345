"""PostgreSQL: canonical spellings, constraint names, connections and DDL rendering.

Canonical forms are chosen so that a schema written in SQLAlchemy and the same schema
read back from the catalogs compare equal: types use ``format_type`` spelling, and
defaults and expressions are parsed with pglast, stripped of the casts PostgreSQL adds
on its own, and deparsed (``pg_expressions``, imported only when an expression needs it),
so parentheses and implicit casts never cause a false diff.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

from safeshift import changes as ch
from safeshift.dialects.base import Capabilities, ConstraintKind, Dialect, Statement
from safeshift.dialects.pg_names import _name_addition, make_object_name
from safeshift.dialects.pg_types import NUMERIC_TYPES
from safeshift.model import (
    Check,
    Column,
    Enum,
    ForeignKey,
    Identity,
    Index,
    IndexElement,
    PrimaryKey,
    Unique,
)
from safeshift.model import Sequence as SequenceModel

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SADialect

    from safeshift.dialects.safe import SafeContext, SafeRender


# -- types ----------------------------------------------------------------------------------

#: spellings (lower case, single spaces) that format_type prints as a fixed name
_TYPE_ALIASES: dict[str, str] = {
    "int": "integer", "int4": "integer", "integer": "integer", "serial": "integer", "serial4": "integer",
    "int8": "bigint", "bigint": "bigint", "bigserial": "bigint", "serial8": "bigint",
    "int2": "smallint", "smallint": "smallint", "smallserial": "smallint", "serial2": "smallint",
    "bool": "boolean", "boolean": "boolean",
    "float8": "double precision", "double precision": "double precision", "double": "double precision",
    "float4": "real", "real": "real", "float": "double precision",
    "decimal": "numeric", "numeric": "numeric",
    "varchar": "character varying", "character varying": "character varying",
    "char varying": "character varying",
    "char": "character(1)", "character": "character(1)", "bpchar": "bpchar",
    "varbit": "bit varying", "bit varying": "bit varying", "bit": "bit(1)",
    "timestamp": "timestamp without time zone", "timestamptz": "timestamp with time zone",
    "time": "time without time zone", "timetz": "time with time zone",
}
_BUILTIN_NAMES = frozenset({
    "text", "bytea", "json", "jsonb", "uuid", "date", "interval", "inet", "cidr", "macaddr", "macaddr8",
    "money", "xml", "tsvector", "tsquery", "oid", "name", "point", "line", "lseg", "box", "path",
    "polygon", "circle", "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange",
    "int4multirange", "int8multirange", "nummultirange", "tsmultirange", "tstzmultirange",
    "datemultirange", "regclass", "regtype", "regproc", "pg_lsn", "jsonpath", "txid_snapshot",
    "pg_snapshot", "xid", "xid8", "cid", "tid", *_TYPE_ALIASES.values(),
})
_COLLATE_SUFFIX = re.compile(r'\s+collate\s+(?:"(?:[^"]|"")*"|[\w.]+)$', re.IGNORECASE)
_ARRAY_SUFFIX = re.compile(r"(\s*\[\s*\d*\s*\])+$")
_ARRAY_WORD = re.compile(r"\s+array(\s*\[\s*\d*\s*\])?$", re.IGNORECASE)
_DATETIME = re.compile(r"^(timestamp|time)(?:\((\d+)\))?(?: (with|without) time zone)?$")
_DATETIME_TZ = re.compile(r"^(timestamptz|timetz)(?:\((\d+)\))?$")
_INTERVAL = re.compile(r"^interval((?: [a-z]+)*)(?:\((\d+)\))?$")
_GENERIC = re.compile(r"^(?P<name>[a-z_][a-z0-9_$]*(?:\.[a-z_][a-z0-9_$]*)?(?: [a-z_][a-z0-9_$]*)*)(?:\((?P<mods>[^()]*)\))?$")
_SAFE_IDENT = re.compile(r"^[a-z_][a-z0-9_$]*$")
#: SQL condition (over pg_depend row ``d``) that the owned sequence feeds the column's default
_USED_BY_DEFAULT = (
    "EXISTS (SELECT 1 FROM pg_catalog.pg_attrdef ad JOIN pg_catalog.pg_depend dd "
    "ON dd.classid = 'pg_catalog.pg_attrdef'::regclass AND dd.objid = ad.oid AND dd.refobjid = d.objid "
    "WHERE ad.adrelid = d.refobjid AND ad.adnum = d.refobjsubid)"
)
_SERIAL_TYPES = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}


def quote_ident(ident: str) -> str:
    """Quote like PostgreSQL's quote_ident: only when the bare name would not round-trip."""
    if _SAFE_IDENT.match(ident) and ident not in _keywords():
        return ident
    return '"' + ident.replace('"', '""') + '"'


@lru_cache(maxsize=1)
def _keywords() -> frozenset[str]:
    """The keywords a bare identifier cannot be; pglast's lists, read on first use (pglast is slow to import)."""
    from pglast import keywords

    every = (keywords.RESERVED_KEYWORDS | keywords.COL_NAME_KEYWORDS | keywords.TYPE_FUNC_NAME_KEYWORDS)
    return frozenset(every - keywords.UNRESERVED_KEYWORDS)


def _split_qualified(text: str) -> list[str]:
    """Split ``a."B".c`` into identifiers, folding unquoted parts to lower case."""
    parts: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == '"':
            j = i + 1
            buf = []
            while j < len(text):
                if text[j] == '"':
                    if j + 1 < len(text) and text[j + 1] == '"':
                        buf.append('"')
                        j += 2
                        continue
                    break
                buf.append(text[j])
                j += 1
            parts.append("".join(buf))
            i = j + 1
        else:
            j = text.find(".", i)
            j = len(text) if j < 0 else j
            chunk = text[i:j].strip()
            if chunk:
                parts.append(chunk.lower())
            i = j
        while i < len(text) and text[i] in ". ":
            i += 1
    return parts


def _normalize_base_type(raw: str) -> str:
    text = raw.strip()
    if '"' in text:
        if text == '"char"':
            return '"char"'
        parts = _split_qualified(text)
        if len(parts) == 2 and parts[0] in ("public", "pg_catalog"):
            parts = parts[1:]
        return ".".join(quote_ident(p) for p in parts)
    low = " ".join(text.lower().split())
    low = re.sub(r"\s*\(\s*", "(", low)
    low = re.sub(r"\s*,\s*", ",", low)
    low = re.sub(r"\s*\)", ")", low)
    for prefix in ("pg_catalog.", "public."):
        if low.startswith(prefix):
            low = low[len(prefix):]
    m = _DATETIME.match(low)
    if m:
        prec = f"({m.group(2)})" if m.group(2) else ""
        return f"{m.group(1)}{prec} {m.group(3) or 'without'} time zone"
    m = _DATETIME_TZ.match(low)
    if m:
        prec = f"({m.group(2)})" if m.group(2) else ""
        return f"{m.group(1)[:-2]}{prec} with time zone"
    m = _INTERVAL.match(low)
    if m:
        fields = m.group(1) or ""
        prec = f"({m.group(2)})" if m.group(2) else ""
        return f"interval{fields}{prec}"
    m = _GENERIC.match(low)
    if not m:
        return low
    name: str = m.group("name")
    mods: str | None = m.group("mods")
    if name == "float":
        if mods and mods.isdigit() and int(mods) <= 24:
            return "real"
        return "double precision"
    if name in ("decimal", "numeric"):
        if not mods:
            return "numeric"
        prec, _, scale = mods.partition(",")
        return f"numeric({prec},{scale or '0'})"
    canonical = _TYPE_ALIASES.get(name)
    if canonical is not None:
        if mods and canonical in ("character(1)", "bit(1)", "bpchar"):
            return f"{canonical.split('(')[0].replace('bpchar', 'character')}({mods})"
        return f"{canonical}({mods})" if mods else canonical
    if name in _BUILTIN_NAMES or mods or " " in name:
        return f"{name}({mods})" if mods else name
    if "." in name:
        schema, _, typ = name.partition(".")
        return f"{quote_ident(schema)}.{quote_ident(typ)}"
    return quote_ident(name)


# -- cached normalisers (a big schema repeats the same few types and defaults) ---------------

@lru_cache(maxsize=8192)
def _normalize_type(type_sql: str) -> str:
    text = _COLLATE_SUFFIX.sub("", type_sql.strip())  # collation is a column attribute, not the type
    array = False
    m = _ARRAY_SUFFIX.search(text)
    if m:
        array, text = True, text[:m.start()]
    m = _ARRAY_WORD.search(text)
    if m:
        array, text = True, text[:m.start()]
    base = _normalize_base_type(text)
    return f"{base}[]" if array else base


@lru_cache(maxsize=8192)
def _normalize_default(default_sql: str, column_type: str) -> str:
    from safeshift.dialects import pg_expressions  # pglast: only when there is an expression

    return pg_expressions.normalize_default(default_sql, column_type)


@lru_cache(maxsize=8192)
def _normalize_expression(sql: str) -> str:
    from safeshift.dialects import pg_expressions

    return pg_expressions.normalize_expression(sql)


# -- constraint names -----------------------------------------------------------------------

# -- the dialect ----------------------------------------------------------------------------

class PostgresDialect(Dialect):
    name = "postgresql"
    default_schema = "public"
    capabilities = Capabilities(transactional_ddl=True, concurrent_index=True, not_valid=True,
                                advisory_lock=True, hazard_review=True, one_round_trip=True,
                                drizzle_folders=True)
    relaxed_commit_sql = "SET LOCAL synchronous_commit = off"
    max_identifier_length = 63
    #: PostgreSQL's table lock modes (pg_locks.mode), weakest to strongest
    lock_modes = ("AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
                  "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock")
    serial_types = _SERIAL_TYPES

    # -- normalisation -------------------------------------------------------------------
    def normalize_type(self, type_sql: str) -> str:
        return _normalize_type(type_sql)

    def normalize_default(self, default_sql: str, column_type: str) -> str:
        return _normalize_default(default_sql, column_type)

    def normalize_expression(self, sql: str) -> str:
        return _normalize_expression(sql)

    def normalize_view(self, sql: str) -> str:
        from safeshift.dialects import pg_expressions

        return pg_expressions.normalize_view(sql)

    def default_constraint_name(self, kind: ConstraintKind, table: str, columns: Sequence[str]) -> str | None:
        if kind == "pk":
            return make_object_name(table, None, "pkey")
        if kind == "check":
            return make_object_name(table, columns[0] if len(columns) == 1 else None, "check")
        label = {"unique": "key", "fk": "fkey", "index": "idx"}[kind]
        return make_object_name(table, _name_addition(columns) or None, label)

    def sqlalchemy_dialect(self) -> SADialect:
        """The psycopg-less default dialect, with a paramstyle that keeps ``%`` single in literals."""
        from sqlalchemy.dialects import postgresql

        return postgresql.dialect(paramstyle="named")  # type: ignore[no-untyped-call]

    # -- live databases ------------------------------------------------------------------
    # -- running migrations ----------------------------------------------------------------
    def database_name(self, url: str) -> str:
        from psycopg.conninfo import conninfo_to_dict

        try:
            params = conninfo_to_dict(re.sub(r"^(postgres(?:ql)?)\+[A-Za-z0-9_]+:", r"\1:", url.strip()))
        except Exception:
            return super().database_name(url)
        return str(params.get("dbname") or params.get("user") or super().database_name(url))

    def can_apply(self, change: ch.Change) -> bool:
        return True

    def data_loss(self, change: ch.Change) -> str | None:
        """A type change every old value survives (int -> bigint, varchar(n) -> text) loses nothing."""
        if isinstance(change, ch.AlterColumn) and change.old.type != change.new.type \
                and change.old.generated == change.new.generated:
            from safeshift.dialects.pg_types import binary_compatible, parse_type, widens

            old, new = parse_type(change.old.type), parse_type(change.new.type)
            if old is not None and new is not None and (widens(old, new) or binary_compatible(old, new)):
                return None
        return change.data_loss

    def render_safe(self, change: ch.Change, ctx: SafeContext) -> SafeRender | None:
        from safeshift.dialects import postgres_safe

        return postgres_safe.render(self, change, ctx)

    def lock_timeout_sql(self, value: str) -> Statement | None:
        return Statement(f"SET LOCAL lock_timeout = {self.literal(value)};")

    def cap_lock_timeout(self, sql: str, max_ms: int) -> str:
        m = _SET_LOCK_TIMEOUT.fullmatch(sql.strip())
        if m is None or max_ms <= 0:
            return sql
        value = int(m["n"]) * _GUC_UNIT_MS[(m["unit"] or "ms").lower()]
        if 0 < value <= max_ms:  # 0 means no limit at all
            return sql
        return f"SET {m['scope']} lock_timeout = '{max_ms}ms';"

    # -- rendering helpers ---------------------------------------------------------------
    def _table(self, schema: str, table: str) -> str:
        return self.qualify(schema, table)

    def _alter(self, schema: str, table: str, action: str) -> Statement:
        return Statement(f"ALTER TABLE {self._table(schema, table)} {action};")

    def _type_sql(self, type_name: str) -> str:
        return type_name

    def _collate(self, collation: str | None) -> str:
        return f" COLLATE {self.quote(collation)}" if collation else ""

    def _identity_options(self, ident: Identity, type_name: str) -> str:
        opts: list[str] = []
        if ident.start is not None:
            opts.append(f"START WITH {ident.start}")
        if ident.increment is not None:
            opts.append(f"INCREMENT BY {ident.increment}")
        if ident.minvalue is not None:
            opts.append(f"MINVALUE {ident.minvalue}")
        if ident.maxvalue is not None:
            opts.append(f"MAXVALUE {ident.maxvalue}")
        if ident.cache is not None:
            opts.append(f"CACHE {ident.cache}")
        if ident.cycle:
            opts.append("CYCLE")
        return f" ({' '.join(opts)})" if opts else ""

    def _identity_clause(self, ident: Identity, type_name: str) -> str:
        mode = "ALWAYS" if ident.always else "BY DEFAULT"
        return f"GENERATED {mode} AS IDENTITY{self._identity_options(ident, type_name)}"

    def column_sql(self, column: Column) -> str:
        """One column definition as CREATE TABLE / ADD COLUMN spell it."""
        serial = _SERIAL_TYPES.get(column.type) if column.serial else None
        parts = [self.quote(column.name), serial or self._type_sql(column.type)]
        if column.collation:
            parts.append(self._collate(column.collation).strip())
        if column.identity is not None:
            parts.append(self._identity_clause(column.identity, column.type))
        if column.generated is not None:
            kind = "STORED" if column.generated.stored else "VIRTUAL"
            parts.append(f"GENERATED ALWAYS AS ({column.generated.expression}) {kind}")
        if column.default is not None and column.identity is None and column.generated is None:
            parts.append(f"DEFAULT {column.default}")
        if not column.nullable:
            parts.append("NOT NULL")
        return " ".join(parts)

    def _deferrable(self, deferrable: bool, initially_deferred: bool) -> str:
        if not deferrable:
            return ""
        return " DEFERRABLE INITIALLY DEFERRED" if initially_deferred else " DEFERRABLE"

    def _cols(self, columns: Sequence[str]) -> str:
        return ", ".join(self.quote(c) for c in columns)

    def _cname(self, name: str | None, kind: ConstraintKind, table: str, columns: Sequence[str]) -> str:
        return self.quote(name or self.default_constraint_name(kind, table, columns) or "")

    def pk_sql(self, table: str, pk: PrimaryKey) -> str:
        return f"CONSTRAINT {self._cname(pk.name, 'pk', table, pk.columns)} PRIMARY KEY ({self._cols(pk.columns)})"

    def unique_sql(self, table: str, u: Unique) -> str:
        nnd = " NULLS NOT DISTINCT" if u.nulls_not_distinct else ""
        return (f"CONSTRAINT {self._cname(u.name, 'unique', table, u.columns)} UNIQUE{nnd} "
                f"({self._cols(u.columns)}){self._deferrable(u.deferrable, u.initially_deferred)}")

    def check_sql(self, table: str, c: Check) -> str:
        return f"CONSTRAINT {self._cname(c.name, 'check', table, ())} CHECK ({c.expression})"

    def fk_sql(self, table: str, fk: ForeignKey) -> str:
        sql = (f"CONSTRAINT {self._cname(fk.name, 'fk', table, fk.columns)} FOREIGN KEY ({self._cols(fk.columns)}) "
               f"REFERENCES {self.qualify(fk.ref_schema, fk.ref_table)} ({self._cols(fk.ref_columns)})")
        if fk.match_full:
            sql += " MATCH FULL"
        if fk.on_delete != "NO ACTION":
            sql += f" ON DELETE {fk.on_delete}"
        if fk.on_update != "NO ACTION":
            sql += f" ON UPDATE {fk.on_update}"
        return sql + self._deferrable(fk.deferrable, fk.initially_deferred)

    def _comment(self, what: str, target: str, comment: str | None) -> Statement:
        value = self.literal(comment) if comment is not None else "NULL"
        return Statement(f"COMMENT ON {what} {target} IS {value};")

    def _column_target(self, schema: str, table: str, column: str) -> str:
        return f"{self._table(schema, table)}.{self.quote(column)}"

    def _serial_sequence(self, schema: str, table: str, column: str) -> str:
        return self.qualify(schema, make_object_name(table, column, "seq"))

    # -- namespaces ----------------------------------------------------------------------
    def render_create_schema(self, change: ch.CreateSchema) -> list[Statement]:
        return [Statement(f"CREATE SCHEMA IF NOT EXISTS {self.quote(change.name)};")]

    def render_drop_schema(self, change: ch.DropSchema) -> list[Statement]:
        return [Statement(f"DROP SCHEMA {self.quote(change.name)};")]

    # -- enums ---------------------------------------------------------------------------
    def _enum_values(self, values: Sequence[str]) -> str:
        return ", ".join(self.literal(v) for v in values)

    def render_create_enum(self, change: ch.CreateEnum) -> list[Statement]:
        e = change.enum
        return [Statement(f"CREATE TYPE {self.qualify(e.schema, e.name)} AS ENUM ({self._enum_values(e.values)});")]

    def render_drop_enum(self, change: ch.DropEnum) -> list[Statement]:
        return [Statement(f"DROP TYPE {self.qualify(change.enum.schema, change.enum.name)};")]

    def render_alter_enum(self, change: ch.AlterEnum) -> list[Statement]:
        old, new = change.old, change.new
        if _is_insertion(old.values, new.values):
            return self._enum_add_values(old, new)
        return self._enum_swap(old, new)

    def _enum_add_values(self, old: Enum, new: Enum) -> list[Statement]:
        target = self.qualify(new.schema, new.name)
        out: list[Statement] = []
        existing = set(old.values)
        for i, value in enumerate(new.values):
            if value in existing:
                continue
            if i > 0:
                where = f" AFTER {self.literal(new.values[i - 1])}"
            else:
                where = f" BEFORE {self.literal(old.values[0])}" if old.values else ""
            out.append(Statement(f"ALTER TYPE {target} ADD VALUE {self.literal(value)}{where};"))
            existing.add(value)
        return out

    def _enum_swap(self, old: Enum, new: Enum) -> list[Statement]:
        """Rename the old type away, create the new one, move every column over, drop the old one."""
        tmp = make_object_name(old.name, None, "old")
        old_q = self.qualify(old.schema, tmp)
        new_q = self.qualify(new.schema, new.name)
        body = (
            "DECLARE r record; BEGIN "
            "FOR r IN SELECT a.attrelid::regclass AS rel, a.attname, a.atttypid = "
            f"{self.literal(old_q)}::regtype AS scalar, pg_get_expr(d.adbin, d.adrelid) AS def "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            f"WHERE a.atttypid IN ({self.literal(old_q)}::regtype, "
            f"(SELECT typarray FROM pg_type WHERE oid = {self.literal(old_q)}::regtype)) "
            "AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') LOOP "
            "IF r.def IS NOT NULL THEN "
            "EXECUTE format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT', r.rel, r.attname); END IF; "
            "IF r.scalar THEN "
            f"EXECUTE format('ALTER TABLE %s ALTER COLUMN %I TYPE {_dollar_safe(new_q)} "
            f"USING %I::text::{_dollar_safe(new_q)}', r.rel, r.attname, r.attname); "
            "ELSE "
            f"EXECUTE format('ALTER TABLE %s ALTER COLUMN %I TYPE {_dollar_safe(new_q)}[] "
            f"USING %I::text[]::{_dollar_safe(new_q)}[]', r.rel, r.attname, r.attname); "
            "END IF; "
            "IF r.def IS NOT NULL THEN "
            "EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', r.rel, r.attname, "
            f"replace(r.def, {self.literal('::' + _regtype_text(old.schema, tmp))}, "
            f"{self.literal('::' + _regtype_text(new.schema, new.name))})); END IF; "
            "END LOOP; END"
        )
        return [
            Statement(f"ALTER TYPE {new_q} RENAME TO {self.quote(tmp)};"),
            Statement(f"CREATE TYPE {new_q} AS ENUM ({self._enum_values(new.values)});"),
            Statement(f"DO $safeshift$ {body} $safeshift$;"),
            Statement(f"DROP TYPE {old_q};"),
        ]

    # -- sequences -----------------------------------------------------------------------
    def _sequence_options(self, s: SequenceModel) -> list[str]:
        opts = [f"AS {s.data_type}"]
        if s.increment is not None:
            opts.append(f"INCREMENT BY {s.increment}")
        if s.minvalue is not None:
            opts.append(f"MINVALUE {s.minvalue}")
        if s.maxvalue is not None:
            opts.append(f"MAXVALUE {s.maxvalue}")
        if s.start is not None:
            opts.append(f"START WITH {s.start}")
        if s.cache is not None:
            opts.append(f"CACHE {s.cache}")
        if s.cycle:
            opts.append("CYCLE")
        return opts

    def render_create_sequence(self, change: ch.CreateSequence) -> list[Statement]:
        s = change.sequence
        return [Statement(f"CREATE SEQUENCE {self.qualify(s.schema, s.name)} {' '.join(self._sequence_options(s))};")]

    def render_drop_sequence(self, change: ch.DropSequence) -> list[Statement]:
        s = change.sequence
        return [Statement(f"DROP SEQUENCE {self.qualify(s.schema, s.name)};")]

    def render_alter_sequence(self, change: ch.AlterSequence) -> list[Statement]:
        old, new = change.old, change.new
        opts: list[str] = []
        if old.data_type != new.data_type:
            opts.append(f"AS {new.data_type}")
        if old.increment != new.increment:
            opts.append(f"INCREMENT BY {new.increment if new.increment is not None else 1}")
        if old.minvalue != new.minvalue or old.data_type != new.data_type:
            opts.append(f"MINVALUE {new.minvalue}" if new.minvalue is not None else "NO MINVALUE")
        if old.maxvalue != new.maxvalue or old.data_type != new.data_type:
            opts.append(f"MAXVALUE {new.maxvalue}" if new.maxvalue is not None else "NO MAXVALUE")
        if old.start != new.start:
            opts.append(f"START WITH {_default_start(new.start, new.increment, new.minvalue, new.maxvalue)}")
        if old.cache != new.cache:
            opts.append(f"CACHE {new.cache if new.cache is not None else 1}")
        if old.cycle != new.cycle:
            opts.append("CYCLE" if new.cycle else "NO CYCLE")
        if not opts:
            return []
        return [Statement(f"ALTER SEQUENCE {self.qualify(new.schema, new.name)} {' '.join(opts)};")]

    # -- tables --------------------------------------------------------------------------
    def render_create_table(self, change: ch.CreateTable) -> list[Statement]:
        t = change.table
        lines = [self.column_sql(c) for c in t.columns]
        if t.primary_key is not None:
            lines.append(self.pk_sql(t.name, t.primary_key))
        lines += [self.unique_sql(t.name, u) for u in t.uniques]
        lines += [self.check_sql(t.name, c) for c in t.checks]
        body = ",\n    ".join(lines)
        out = [Statement(f"CREATE TABLE {self._table(t.schema, t.name)} (\n    {body}\n);")]
        if t.comment is not None:
            out.append(self._comment("TABLE", self._table(t.schema, t.name), t.comment))
        for c in t.columns:
            if c.comment is not None:
                out.append(self._comment("COLUMN", self._column_target(t.schema, t.name, c.name), c.comment))
        return out

    def render_drop_table(self, change: ch.DropTable) -> list[Statement]:
        return [Statement(f"DROP TABLE {self._table(change.table.schema, change.table.name)};")]

    def render_rename_table(self, change: ch.RenameTable) -> list[Statement]:
        """Serial sequences follow the table, so the column stays a serial column under its new name."""
        table = self.literal(self.qualify(change.schema, change.new))
        body = (
            "DECLARE r record; BEGIN "
            "FOR r IN SELECT s.relname AS seq, a.attname AS col FROM pg_catalog.pg_depend d "
            "JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
            "WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass "
            f"AND d.deptype = 'a' AND d.refobjid = {table}::regclass AND {_USED_BY_DEFAULT} LOOP "
            f"IF r.seq = {self.literal(change.old + '_')} || r.col || '_seq' "
            f"AND octet_length({self.literal(change.new + '_')} || r.col || '_seq') <= 63 THEN "
            f"EXECUTE format('ALTER SEQUENCE %I.%I RENAME TO %I', {self.literal(change.schema)}, r.seq, "
            f"{self.literal(change.new + '_')} || r.col || '_seq'); "
            "END IF; END LOOP; END"
        )
        return [self._alter(change.schema, change.old, f"RENAME TO {self.quote(change.new)}"),
                Statement(f"DO $safeshift$ {body} $safeshift$;")]

    def render_set_table_comment(self, change: ch.SetTableComment) -> list[Statement]:
        return [self._comment("TABLE", self._table(change.schema, change.table), change.new)]

    # -- columns -------------------------------------------------------------------------
    def placeholder(self, type_name: str) -> str | None:
        """A value of ``type_name`` to stand in for lost data when a dropped NOT NULL column is re-created."""
        if type_name.endswith("]"):
            return "'{}'"
        if NUMERIC_TYPES.match(type_name):
            return "0"
        base = type_name.split("(")[0]
        fixed = {"boolean": "false", "text": "''", "character varying": "''", "character": "' '",
                 "date": "'epoch'", "timestamp without time zone": "'epoch'", "timestamp with time zone": "'epoch'",
                 "time without time zone": "'00:00'", "time with time zone": "'00:00+00'", "interval": "'0'",
                 "uuid": "'00000000-0000-0000-0000-000000000000'", "json": "'null'", "jsonb": "'null'",
                 "bytea": "''"}
        for prefix, value in fixed.items():
            if base.startswith(prefix):
                return value
        if base not in _BUILTIN_NAMES:  # an enum: its first label
            return f"(pg_catalog.enum_range(NULL::{self._type_sql(type_name)}))[1]"
        return None

    def render_add_column(self, change: ch.AddColumn) -> list[Statement]:
        col = change.column
        value = self.placeholder(col.type) if change.backfill else None
        if value is not None:
            target = self.quote(col.name)
            add = self._alter(change.schema, change.table, f"ADD COLUMN {self.column_sql(replace(col, default=value))}")
            return [
                replace(add, comment=f"existing rows get the placeholder {value}; the real values are only in a backup"),
                self._alter(change.schema, change.table, f"ALTER COLUMN {target} DROP DEFAULT"),
                *self.render_add_column(replace(change, column=replace(col, default=None), backfill=False))[1:],
            ]
        out = [self._alter(change.schema, change.table, f"ADD COLUMN {self.column_sql(change.column)}")]
        if change.column.comment is not None:
            target = self._column_target(change.schema, change.table, change.column.name)
            out.append(self._comment("COLUMN", target, change.column.comment))
        return out

    def render_drop_column(self, change: ch.DropColumn) -> list[Statement]:
        return [self._alter(change.schema, change.table, f"DROP COLUMN {self.quote(change.column.name)}")]

    def render_rename_column(self, change: ch.RenameColumn) -> list[Statement]:
        """A serial column's sequence is renamed with it, so introspection still sees a serial."""
        rename = self._alter(change.schema, change.table,
                             f"RENAME COLUMN {self.quote(change.old)} TO {self.quote(change.new)}")
        if not change.serial:
            return [rename]
        old_seq = self._serial_sequence(change.schema, change.table, change.old)
        new_seq = make_object_name(change.table, change.new, "seq")
        table = self.literal(self.qualify(change.schema, change.table))
        body = (
            "BEGIN IF EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
            "WHERE d.classid = 'pg_catalog.pg_class'::regclass "
            f"AND d.objid = pg_catalog.to_regclass({self.literal(old_seq)}) "
            f"AND d.refobjid = {table}::regclass AND d.deptype = 'a' AND {_USED_BY_DEFAULT}) THEN "
            f"ALTER SEQUENCE {old_seq} RENAME TO {self.quote(new_seq)}; END IF; END"
        )
        return [rename, Statement(f"DO $safeshift$ {body} $safeshift$;")]

    def render_alter_column(self, change: ch.AlterColumn) -> list[Statement]:
        return list(_AlterColumn(self, change).statements())

    # -- constraints ---------------------------------------------------------------------
    def render_add_primary_key(self, change: ch.AddPrimaryKey) -> list[Statement]:
        return [self._alter(change.schema, change.table, f"ADD {self.pk_sql(change.table, change.primary_key)}")]

    def render_drop_primary_key(self, change: ch.DropPrimaryKey) -> list[Statement]:
        pk = change.primary_key
        return [self._alter(change.schema, change.table,
                            f"DROP CONSTRAINT {self._cname(pk.name, 'pk', change.table, pk.columns)}")]

    def render_add_unique(self, change: ch.AddUnique) -> list[Statement]:
        return [self._alter(change.schema, change.table, f"ADD {self.unique_sql(change.table, change.unique)}")]

    def render_drop_unique(self, change: ch.DropUnique) -> list[Statement]:
        u = change.unique
        return [self._alter(change.schema, change.table,
                            f"DROP CONSTRAINT {self._cname(u.name, 'unique', change.table, u.columns)}")]

    def render_add_check(self, change: ch.AddCheck) -> list[Statement]:
        return [self._alter(change.schema, change.table, f"ADD {self.check_sql(change.table, change.check)}")]

    def render_drop_check(self, change: ch.DropCheck) -> list[Statement]:
        return [self._alter(change.schema, change.table,
                            f"DROP CONSTRAINT {self._cname(change.check.name, 'check', change.table, ())}")]

    def render_add_foreign_key(self, change: ch.AddForeignKey) -> list[Statement]:
        return [self._alter(change.schema, change.table, f"ADD {self.fk_sql(change.table, change.foreign_key)}")]

    def render_drop_foreign_key(self, change: ch.DropForeignKey) -> list[Statement]:
        fk = change.foreign_key
        return [self._alter(change.schema, change.table,
                            f"DROP CONSTRAINT {self._cname(fk.name, 'fk', change.table, fk.columns)}")]

    def render_rename_constraint(self, change: ch.RenameConstraint) -> list[Statement]:
        return [self._alter(change.schema, change.table,
                            f"RENAME CONSTRAINT {self.quote(change.old)} TO {self.quote(change.new)}")]

    # -- indexes -------------------------------------------------------------------------
    def index_element_sql(self, e: IndexElement) -> str:
        sql = f"({e.value})" if e.is_expression else self.quote(e.value)
        if e.collation:
            sql += self._collate(e.collation)
        if e.opclass:
            sql += f" {e.opclass}"
        if e.descending:
            sql += " DESC"
        if e.nulls_first is not None and e.nulls_first != e.descending:
            sql += " NULLS FIRST" if e.nulls_first else " NULLS LAST"
        return sql

    def alter_column_statements(self, change: ch.AlterColumn) -> list[Statement]:
        """The plain statements of a column change (the lock-safe forms build on them)."""
        return list(_AlterColumn(self, change).statements())

    def index_sql(self, schema: str, table: str, ix: Index, *, concurrently: bool = False,
                  if_not_exists: bool = False) -> str:
        unique = "UNIQUE " if ix.unique else ""
        conc = "CONCURRENTLY " if concurrently else ""
        conc += "IF NOT EXISTS " if if_not_exists else ""
        using = f" USING {ix.method}" if ix.method != "btree" else ""
        elements = ", ".join(self.index_element_sql(e) for e in ix.elements)
        sql = f"CREATE {unique}INDEX {conc}{self.quote(ix.name)} ON {self._table(schema, table)}{using} ({elements})"
        if ix.include:
            sql += f" INCLUDE ({self._cols(ix.include)})"
        if ix.nulls_not_distinct:
            sql += " NULLS NOT DISTINCT"
        if ix.where:
            sql += f" WHERE {ix.where}"
        return sql + ";"

    def render_create_index(self, change: ch.CreateIndex) -> list[Statement]:
        return [Statement(self.index_sql(change.schema, change.table, change.index))]

    def render_drop_index(self, change: ch.DropIndex) -> list[Statement]:
        return [Statement(f"DROP INDEX {self.qualify(change.schema, change.index.name)};")]

    def render_rename_index(self, change: ch.RenameIndex) -> list[Statement]:
        return [Statement(f"ALTER INDEX {self.qualify(change.schema, change.old)} RENAME TO {self.quote(change.new)};")]

    # -- views ---------------------------------------------------------------------------
    def render_create_view(self, change: ch.CreateView) -> list[Statement]:
        v = change.view
        kind = "MATERIALIZED VIEW" if v.materialized else "VIEW"
        target = self.qualify(v.schema, v.name)
        out = [Statement(f"CREATE {kind} {target} AS {v.definition.strip().rstrip(';')};")]
        if v.comment is not None:
            out.append(self._comment(kind, target, v.comment))
        return out

    def render_drop_view(self, change: ch.DropView) -> list[Statement]:
        v = change.view
        kind = "MATERIALIZED VIEW" if v.materialized else "VIEW"
        return [Statement(f"DROP {kind} {self.qualify(v.schema, v.name)};")]


class _AlterColumn:
    """The statements for one AlterColumn, one aspect at a time, in an order PostgreSQL accepts."""

    def __init__(self, dialect: PostgresDialect, change: ch.AlterColumn) -> None:
        self.d = dialect
        self.c = change
        self.old = change.old
        self.new = change.new
        self.col = dialect.quote(change.new.name)

    def alter(self, action: str) -> Statement:
        return self.d._alter(self.c.schema, self.c.table, f"ALTER COLUMN {self.col} {action}")

    def statements(self) -> Iterator[Statement]:
        old, new = self.old, self.new
        if old.generated != new.generated and new.generated is not None:
            yield from self.recreate_generated()
            return
        if old.generated is not None and new.generated is None:
            yield self.alter("DROP EXPRESSION")
        if old.serial and not new.serial:
            yield self.alter("DROP DEFAULT")
            yield Statement(f"DROP SEQUENCE {self.d._serial_sequence(self.c.schema, self.c.table, old.name)};")
        if old.identity is not None and new.identity is None:
            yield self.alter("DROP IDENTITY")
        type_changes = old.type != new.type or old.collation != new.collation
        default_blocks_type = type_changes and old.default is not None and old.type != new.type
        if default_blocks_type:
            yield self.alter("DROP DEFAULT")
        if type_changes:
            yield self.alter(self.type_action())
        if (old.default != new.default or default_blocks_type) and not new.serial:
            if new.default is not None:
                yield self.alter(f"SET DEFAULT {new.default}")
            elif not default_blocks_type and not (old.serial and not new.serial):
                yield self.alter("DROP DEFAULT")
        if old.nullable != new.nullable and not (new.nullable and (new.serial or new.identity)):
            yield self.alter("DROP NOT NULL" if new.nullable else "SET NOT NULL")
        if new.serial and not old.serial:
            yield from self.add_serial()
        if new.identity is not None and old.identity is None:
            yield self.alter(f"ADD {self.d._identity_clause(new.identity, new.type)}")
        elif new.identity is not None and old.identity is not None and new.identity != old.identity:
            yield from self.alter_identity(old.identity, new.identity)
        if old.comment != new.comment:
            yield self.d._comment("COLUMN", self.d._column_target(self.c.schema, self.c.table, new.name),
                                  new.comment)

    def type_action(self) -> str:
        old, new = self.old, self.new
        sql = f"SET DATA TYPE {new.type}{self.d._collate(new.collation)}"
        if old.type == new.type or _same_base(old.type, new.type):
            return sql
        if _is_user_type(old.type) or _is_user_type(new.type):
            via = "text[]" if new.type.endswith("[]") else "text"
            return f"{sql} USING {self.col}::{via}::{new.type}"
        return f"{sql} USING {self.col}::{new.type}"

    def recreate_generated(self) -> Iterator[Statement]:
        """PostgreSQL cannot turn a column into a generated one in place: drop and re-add it."""
        yield self.d._alter(self.c.schema, self.c.table, f"DROP COLUMN {self.col}")
        yield self.d._alter(self.c.schema, self.c.table, f"ADD COLUMN {self.d.column_sql(self.new)}")
        if self.new.comment is not None:
            yield self.d._comment("COLUMN", self.d._column_target(self.c.schema, self.c.table, self.new.name),
                                  self.new.comment)

    def add_serial(self) -> Iterator[Statement]:
        seq = self.d._serial_sequence(self.c.schema, self.c.table, self.new.name)
        table = self.d._table(self.c.schema, self.c.table)
        yield Statement(f"CREATE SEQUENCE {seq} AS {self.new.type} OWNED BY {table}.{self.col};")
        yield Statement(f"SELECT setval({self.d.literal(seq)}, COALESCE(max({self.col}), 0) + 1, false) "
                        f"FROM {table};")
        yield self.alter(f"SET DEFAULT nextval({self.d.literal(seq)}::regclass)")
        if self.old.nullable:
            yield self.alter("SET NOT NULL")

    def alter_identity(self, old: Identity, new: Identity) -> Iterator[Statement]:
        opts: list[str] = []
        if old.always != new.always:
            opts.append("SET GENERATED " + ("ALWAYS" if new.always else "BY DEFAULT"))
        if old.increment != new.increment:
            opts.append(f"SET INCREMENT BY {new.increment if new.increment is not None else 1}")
        if old.minvalue != new.minvalue:
            opts.append(f"SET MINVALUE {new.minvalue}" if new.minvalue is not None else "SET NO MINVALUE")
        if old.maxvalue != new.maxvalue:
            opts.append(f"SET MAXVALUE {new.maxvalue}" if new.maxvalue is not None else "SET NO MAXVALUE")
        if old.start != new.start:
            opts.append(f"SET START WITH {_default_start(new.start, new.increment, new.minvalue, new.maxvalue)}")
        if old.cache != new.cache:
            opts.append(f"SET CACHE {new.cache if new.cache is not None else 1}")
        if old.cycle != new.cycle:
            opts.append("SET CYCLE" if new.cycle else "SET NO CYCLE")
        if opts:
            yield self.alter(" ".join(opts))


# -- small helpers --------------------------------------------------------------------------

def _is_insertion(old: Sequence[str], new: Sequence[str]) -> bool:
    """True when ``new`` is ``old`` with values inserted (none removed, none reordered)."""
    it = iter(new)
    return len(set(new)) == len(new) and all(v in it for v in old)


def _default_start(start: int | None, increment: int | None, minvalue: int | None, maxvalue: int | None) -> int:
    if start is not None:
        return start
    if (increment or 1) > 0:
        return minvalue if minvalue is not None else 1
    return maxvalue if maxvalue is not None else -1


def _base_name(type_name: str) -> str:
    return type_name.removesuffix("[]").split("(", 1)[0].strip()


def _same_base(a: str, b: str) -> bool:
    """Types that convert without an explicit cast, so no USING clause is needed: the same base type
    (modifiers aside) and array-ness.  Narrower than ``pg_types.same_family`` (review's verdict, in
    which integer and bigint are one family): a change within a family may still need USING."""
    return _base_name(a) == _base_name(b) and a.endswith("[]") == b.endswith("[]")


def _is_user_type(type_name: str) -> bool:
    base = _base_name(type_name)
    return base not in _BUILTIN_NAMES and not base.startswith(("timestamp", "time ", "interval", "bit"))


def _regtype_text(schema: str, name: str) -> str:
    return quote_ident(name) if schema == "public" else f"{quote_ident(schema)}.{quote_ident(name)}"


def _dollar_safe(sql: str) -> str:
    """Text embedded in a format() string literal inside a DO block: double quotes stay, % and ' escape."""
    return sql.replace("%", "%%").replace("'", "''")


__all__ = ["PostgresDialect", "make_object_name", "quote_ident"]


_SET_LOCK_TIMEOUT = re.compile(
    r"SET\s+(?P<scope>LOCAL|SESSION)\s+lock_timeout\s*(?:=|TO)\s*'?\s*(?P<n>\d+)\s*(?P<unit>ms|s|min|h|d)?\s*'?\s*;?",
    re.IGNORECASE)
_GUC_UNIT_MS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}

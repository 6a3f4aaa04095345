"""SQLAlchemy metadata → canonical Schema, without a database.

We compile each construct with the target SQLAlchemy dialect (so we see exactly the DDL
``create_all`` would emit) and hand the text to the safeshift dialect's normalisers, so
the result equals what introspecting a ``create_all``-ed database gives.  Anything we
cannot represent raises UnsupportedConstruct instead of being dropped.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from collections.abc import Sequence as Seq
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import DOMAIN as _DOMAIN

from safeshift.dialects.base import Dialect
from safeshift.dialects.sqlite.affinity import STRICT, WITHOUT_ROWID
from safeshift.errors import SourceError, UnsupportedConstruct
from safeshift.model import (
    AsWritten,
    Check,
    Column,
    Domain,
    Enum,
    Extension,
    FkAction,
    ForeignKey,
    Generated,
    Identity,
    Index,
    IndexElement,
    PrimaryKey,
    Schema,
    Sequence,
    Table,
    Unique,
    collector_paused,
    make_schema,
)
from safeshift.sources.imports import import_user_module
from safeshift.sources.listeners import Entity, Listener, ddl_listeners, with_declared_objects
from safeshift.sources.names import stored_names
from safeshift.sources.sqlfiles import ShadowFactory
from safeshift.text import display_path

#: ``postgresql_partition_by``: the method and the key inside its parentheses
_PARTITION_KEY = re.compile(r"^\s*(range|list|hash)\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)


def load_metadata(spec: str, root: Path) -> sa.MetaData:
    """Import ``package.module:attr`` (relative to ``root``) and return its MetaData."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise SourceError(
            f"schema = \"{spec}\" is not of the form \"package.module:attr\" or a glob of .sql files; "
            "fix `schema` in safeshift.toml."
        )
    module = import_user_module(module_name, root, f'schema = "{spec}"', freeze=module_name not in sys.modules)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SourceError(f"Module '{module_name}' has no attribute '{attr}' (schema = \"{spec}\").")
        obj = getattr(obj, part)
    if isinstance(obj, sa.MetaData):
        return obj
    metadata = getattr(obj, "metadata", None)
    if isinstance(metadata, sa.MetaData):
        return metadata
    raise SourceError(
        f"'{spec}' is a {type(obj).__name__}, not a SQLAlchemy MetaData or declarative base; "
        "point `schema` at a MetaData object or a DeclarativeBase subclass."
    )


def schema_from_metadata(metadata: sa.MetaData, dialect: Dialect, *, shadow: ShadowFactory | None = None,
                         entities: Seq[Entity] = (), check: Callable[[Schema, bool], None] | None = None) -> Schema:
    """The metadata's schema, with the objects its DDL listeners and ``entities`` (alembic_utils) create.

    Those are run on a ``shadow`` database (sources/listeners.py); without any, no shadow is opened.
    ``check`` sees the metadata's own schema before the shadow runs it (``False``: the extensions are not
    known yet), so a problem it can name (a foreign key onto columns nothing keeps unique) is refused as
    itself, not as the server's error; and again if the shadow refuses the DDL (``True``), with the
    extensions the listeners and entities create by name, so that a missing operator class is told with
    what would do rather than as the server's bare error.
    """
    listeners = ddl_listeners(metadata, dialect.default_schema)
    with collector_paused():
        declared = _Converter(metadata, dialect).convert()
    if not listeners and not entities:
        return declared
    if check is not None:
        check(declared, False)
    try:
        return with_declared_objects(declared, metadata, dialect, listeners, entities, shadow)
    except SourceError:
        if check is not None:
            check(replace(declared, extensions=_named_extensions(listeners, entities, dialect.default_schema)), True)
        raise


#: ``CREATE EXTENSION [IF NOT EXISTS] name`` in a DDL listener's text
_CREATE_EXTENSION = re.compile(r'\bCREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([\w-]+)"?', re.IGNORECASE)


def _named_extensions(listeners: Seq[Listener], entities: Seq[Entity], default_schema: str) -> tuple[Extension, ...]:
    """The extensions the listeners' text and the PGExtension entities name (only read once the shadow has
    refused something, to explain it: a guess here can make a refusal less precise, never make one)."""
    names = {m.group(1) for lst in listeners for m in _CREATE_EXTENSION.finditer(str(getattr(lst.ddl, "statement", "")))}
    names |= {str(getattr(e.obj, "signature", "")) for e in entities if e.kind == "PGExtension"}
    return tuple(Extension(n, default_schema) for n in sorted(names - {""}))


#: the index keyword arguments read, per SQLAlchemy dialect (any other of that dialect's is refused by name);
#: ``postgresql_concurrently`` is how create_all runs the statement, not the index it builds
_INDEX_KWARGS: dict[str, frozenset[str]] = {
    "postgresql": frozenset({"using", "ops", "where", "include", "nulls_not_distinct", "concurrently"}),
    "sqlite": frozenset({"where"}),
    # MySQL: mysql_prefix="FULLTEXT"/"SPATIAL" is the index's method; mysql_length gives key prefix lengths,
    # read with the keys from the CREATE INDEX SQLAlchemy compiles (``name(255)``)
    "mysql": frozenset({"prefix", "using", "length"}),
}
_IDENT = re.compile(r'"((?:[^"]|"")+)"|\b([A-Za-z_][A-Za-z0-9_$]*)\b')
_FK_ACTIONS: dict[str, FkAction] = {
    "NO ACTION": "NO ACTION", "RESTRICT": "RESTRICT", "CASCADE": "CASCADE",
    "SET NULL": "SET NULL", "SET DEFAULT": "SET DEFAULT",
}


class _Converter:
    def __init__(self, metadata: sa.MetaData, dialect: Dialect) -> None:
        self.metadata = metadata
        self.dialect = dialect
        self.sa_dialect = dialect.sqlalchemy_dialect()
        self.ddl = self.sa_dialect.ddl_compiler(self.sa_dialect, None)  # type: ignore[arg-type]
        self.preparer = self.sa_dialect.identifier_preparer
        self.type_compiler = self.sa_dialect.type_compiler_instance
        self.comments = dialect.capabilities.comments
        self.enums: dict[tuple[str, str], Enum] = {}
        self.domains: dict[tuple[str, str], Domain] = {}

    # -- entry ---------------------------------------------------------------------------
    def convert(self) -> Schema:
        tables = [self.table(t) for t in self.metadata.tables.values()]
        # as create_all: a database without sequences (SQLite) creates none, so they are no part of its schema
        sequences = [self.sequence(s) for s in self.metadata._sequences.values()
                     if self.dialect.capabilities.sequences]
        default = self.dialect.default_schema
        namespaces = {t.schema for t in tables} | {e.schema for e in self.enums.values()} | {
            s.schema for s in sequences} | {d.schema for d in self.domains.values()}
        namespaces.discard(default)
        if namespaces and not self.dialect.capabilities.schemas:
            raise UnsupportedConstruct(f"schema(s) {', '.join(sorted(namespaces))}", "a non-default schema",
                                       f"{self.dialect.name} has a single namespace.")
        return self.dialect.fold(stored_names(make_schema(
            self.dialect.name, namespaces=namespaces, tables=tables, enums=self.enums.values(), sequences=sequences,
            domains=self.domains.values()), self.dialect))

    # -- helpers -------------------------------------------------------------------------
    def schema_of(self, obj: Any) -> str:
        return getattr(obj, "schema", None) or self.dialect.default_schema

    def compile(self, element: Any) -> str:
        if isinstance(element, str):  # e.g. postgresql_where="status = 'published'"
            element = sa.text(element)
        if isinstance(element, sa.types.TypeEngine):  # type compile() takes no compile_kwargs
            return str(element.compile(dialect=self.sa_dialect))
        # as the DDL compiler does: columns in CHECK/index/WHERE text are not table-qualified
        return str(element.compile(dialect=self.sa_dialect,
                                   compile_kwargs={"literal_binds": True, "include_table": False}))

    def name_of(self, constraint: Any) -> str | None:
        name = constraint.name
        if name is None or type(name).__name__ == "_NoneName":
            return None
        try:
            return str(self.preparer.format_constraint(constraint, _alembic_quote=False))
        except Exception:
            return str(name)

    def constraint_name(self, constraint: Any, kind: Any, table: str, columns: Iterable[str]) -> str | None:
        """The name the models give the constraint (directly or by the metadata's naming convention), or None:
        a name the models leave to the database is no part of the schema they declare, so a live constraint
        another tool named differently is the same constraint (the diff matches it by content) and is never
        renamed; when safeshift creates it, the database names it as it always does."""
        if not self.dialect.capabilities.named_constraints:
            return None
        return self.name_of(constraint)

    # -- tables --------------------------------------------------------------------------
    def table(self, t: sa.Table) -> Table:
        where = f"table {self.schema_of(t)}.{t.name}"
        opts: Any = t.dialect_options.get(self.sa_dialect.name, {})
        for unsupported in ("inherits", "tablespace", "using", "on_commit"):
            if opts.get(unsupported):
                raise UnsupportedConstruct(where, f"{self.sa_dialect.name}_{unsupported}")
        partition_by = self.partition_key(t, where, opts.get("partition_by"))
        prefixes = [p.upper() for p in getattr(t, "_prefixes", ())]
        if any(p != "UNLOGGED" for p in prefixes):
            raise UnsupportedConstruct(where, f"the table prefix(es) {', '.join(prefixes)}")
        storage = opts.get("with") or {}
        flags = [f"{k.lower()}={str(v).lower() if isinstance(v, bool) else v}" for k, v in dict(storage).items()]
        # SQLite's table options, as its CREATE TABLE spells them (sqlite_strict=True, sqlite_with_rowid=False)
        flags += [STRICT] * bool(opts.get("strict")) + [WITHOUT_ROWID] * (opts.get("with_rowid") is False)
        flags += self.dialect.table_options(opts, where)  # MySQL's engine and collation
        options = tuple(sorted(flags))
        autoincrement = t._autoincrement_column
        columns = tuple([self.column(t, c, c is autoincrement) for c in t.columns])
        pk = None
        if t.primary_key is not None and len(t.primary_key.columns) > 0:
            cols = tuple(c.name for c in t.primary_key.columns)
            pk = PrimaryKey(self.constraint_name(t.primary_key, "pk", t.name, cols), cols,
                            deferrable=bool(t.primary_key.deferrable),
                            initially_deferred=(t.primary_key.initially or "").upper() == "DEFERRED")
        uniques: list[Unique] = []
        checks: list[Check] = []
        fks: list[ForeignKey] = []
        constraints = list(t.constraints) + [c for col in t.columns for c in col.constraints]
        for con in constraints:
            if not self.creates(con):
                continue
            if isinstance(con, sa.PrimaryKeyConstraint):
                continue
            if isinstance(con, sa.UniqueConstraint):
                cols = tuple(c.name for c in con.columns)
                nnd = bool(con.dialect_options[self.sa_dialect.name].get("nulls_not_distinct")) \
                    if self.sa_dialect.name in con.dialect_options else False
                uniques.append(Unique(self.constraint_name(con, "unique", t.name, cols), cols,
                                      nulls_not_distinct=nnd,
                                      deferrable=bool(con.deferrable),
                                      initially_deferred=(con.initially or "").upper() == "DEFERRED"))
            elif isinstance(con, sa.CheckConstraint):
                text = self.compile(con.sqltext)
                refs = self.referenced_columns(text, t)
                checks.append(Check(self.constraint_name(con, "check", t.name, refs),
                                    *_as_written(self.dialect.normalize_expression(text), text)))
            elif isinstance(con, sa.ForeignKeyConstraint):
                fks.append(self.foreign_key(t, con))
            else:
                raise UnsupportedConstruct(where, f"constraint type {type(con).__name__}")
        for col in t.columns:
            if col.unique and not col.index and not any(
                    isinstance(c, sa.UniqueConstraint) and tuple(x.name for x in c.columns) == (col.name,)
                    for c in t.constraints):
                uniques.append(Unique(self.constraint_name(sa.UniqueConstraint(), "unique", t.name, (col.name,)),
                                      (col.name,)))
        indexes = tuple(self.index(t, i) for i in t.indexes if i._ddl_if is None or self.creates_index(i))
        return Table(self.schema_of(t), t.name, columns, pk, tuple(uniques), tuple(checks), tuple(fks),
                     indexes, t.comment if self.dialect.capabilities.comments else None,
                     unlogged="UNLOGGED" in prefixes, options=options, partition_by=partition_by)

    def partition_key(self, t: sa.Table, where: str, spec: Any) -> str | None:
        """``postgresql_partition_by="RANGE (created_at)"`` spelled as PostgreSQL prints it back
        (``pg_get_partkeydef``).  Only a key of column names is read: an expression, operator class or collation
        in it would need the server to print it canonically, so it is refused by name.  Partitions cannot be
        declared in SQLAlchemy metadata; a database's partitions are tables the metadata does not hold."""
        if not spec:
            return None
        m = _PARTITION_KEY.match(str(spec))
        names = [n.strip() for n in m.group(2).split(",")] if m else []
        keys = [n[1:-1].replace('""', '"') if len(n) > 1 and n[0] == n[-1] == '"' else n for n in names]
        columns = {c.name for c in t.columns}
        if m is None or not keys or any(k not in columns for k in keys):
            raise UnsupportedConstruct(where, f"{self.sa_dialect.name}_partition_by={str(spec)!r}",
                                       "Only RANGE, LIST or HASH over column names (no expressions) can be read.")
        from safeshift.dialects.postgres.names import quote_ident  # the option is PostgreSQL's alone

        return f"{m.group(1).upper()} ({', '.join(quote_ident(k) for k in keys)})"

    def autoincrement_table(self, t: sa.Table) -> bool:
        """A table option like SQLite's ``sqlite_autoincrement=True``: its integer key is serial."""
        name = self.sa_dialect.name
        return name in t.dialect_options and bool(t.dialect_options[name].get("autoincrement"))

    def creates(self, con: Any) -> bool:
        """Whether CREATE TABLE emits the constraint on this dialect (its ``_create_rule``, ``ddl_if(dialect=...)``)."""
        return bool(con._should_create_for_compiler(self.ddl))

    def creates_index(self, ix: sa.Index) -> bool:
        """Whether ``create_all`` creates the index on this dialect: ``Index(...).ddl_if(dialect="sqlite")``
        is not a PostgreSQL index."""
        rule = ix._ddl_if
        return rule is None or bool(rule._should_execute(sa.schema.CreateIndex(ix), ix, None, compiler=self.ddl))

    def referenced_columns(self, text: str, t: sa.Table) -> tuple[str, ...]:
        names = set(t.columns.keys())
        seen: list[str] = []
        stripped = re.sub(r"'(?:[^']|'')*'", "''", text)
        for m in _IDENT.finditer(stripped):
            ident = m.group(1).replace('""', '"') if m.group(1) else m.group(2)
            if ident in names and ident not in seen:
                seen.append(ident)
        return tuple(seen)

    # -- columns -------------------------------------------------------------------------
    def column(self, t: sa.Table, c: sa.Column[Any], autoincrement: bool) -> Column:
        """One column; ``autoincrement``: it is the table's autoincrement column (looked up once per table)."""
        # this runs once per column (20,000 times for the generate benchmark): attributes are read once
        typ, server_default, identity_opts, computed = c.type, c.server_default, c.identity, c.computed
        if not self.dialect.capabilities.identity:
            identity_opts = None  # create_all leaves Identity() out where there is none (SQLite): a plain column
        if (isinstance(c.default, sa.Sequence) or isinstance(server_default, sa.Sequence)) \
                and self.dialect.capabilities.sequences:  # create_all ignores them where there are none
            raise UnsupportedConstruct(self.column_label(t, c), "a Sequence as column default",
                                       "Use Identity() or an integer autoincrement primary key instead.")
        if isinstance(typ, (sa.Enum, sa.ARRAY)):
            self.collect_enum(t, c)
        if isinstance(typ, (sa.ARRAY, _DOMAIN)):
            self.collect_domain(typ.item_type if isinstance(typ, sa.ARRAY) else typ, self.column_label(t, c))
        try:
            type_sql = self.type_compiler.process(typ)
        except Exception as exc:
            raise UnsupportedConstruct(self.column_label(t, c),
                                       f"type {typ!r} that {self.dialect.name} cannot compile") from exc
        col_type = self.dialect.normalize_type(type_sql)
        identity = None
        if identity_opts is not None:
            i = identity_opts
            identity = Identity(always=bool(i.always), start=_opt(i.start, 1), increment=_opt(i.increment, 1),
                                minvalue=i.minvalue, maxvalue=i.maxvalue, cycle=bool(i.cycle),
                                cache=_opt(i.cache, 1))
        generated = None
        if computed is not None:
            generated = Generated(self.dialect.normalize_expression(self.compile(computed.sqltext)),
                                  stored=self.dialect.generated_stored_default if computed.persisted is None
                                  else bool(computed.persisted))
        serial = (autoincrement and identity_opts is None and server_default is None
                  and (self.dialect.serial_type(col_type) is not None or self.autoincrement_table(t)))
        default = written = None
        if server_default is not None and computed is None and identity_opts is None:
            raw = self.ddl.get_column_default_string(c)
            if raw is not None:
                default, written = _as_written(self.dialect.normalize_default(raw, col_type), raw)
        return Column(c.name, col_type, bool(c.nullable) and not c.primary_key, default, identity, serial,
                      generated, getattr(typ, "collation", None), c.comment if self.comments else None, written)

    def column_label(self, t: sa.Table, c: sa.Column[Any]) -> str:
        return f"column {self.schema_of(t)}.{t.name}.{c.name}"

    def collect_enum(self, t: sa.Table, c: sa.Column[Any]) -> None:
        typ = c.type
        if isinstance(typ, sa.ARRAY):
            typ = typ.item_type
        if not isinstance(typ, sa.Enum) or not typ.native_enum or not self.dialect.capabilities.enums:
            return
        if not typ.name:
            raise UnsupportedConstruct(f"column {self.schema_of(t)}.{t.name}.{c.name}", "an Enum without a name",
                                       "Give the Enum a name=... so the database type has one.")
        schema = typ.schema or self.dialect.default_schema
        enum = Enum(schema, typ.name, tuple(typ.enums))
        prev = self.enums.get(enum.key)
        if prev is not None and prev != enum:
            raise SourceError(f"Enum {schema}.{typ.name} is declared twice with different values "
                              f"({', '.join(prev.values)} vs {', '.join(enum.values)}); make them agree.")
        self.enums[enum.key] = enum

    def collect_domain(self, typ: Any, where: str) -> None:
        """A PostgreSQL ``DOMAIN`` type (and the domain or native enum it is over) into the schema's domains."""
        if not isinstance(typ, _DOMAIN):
            return
        schema, name = typ.schema or self.dialect.default_schema, typ.name
        if not name:
            raise UnsupportedConstruct(where, "a DOMAIN without a name")
        base_type = typ.data_type
        if isinstance(base_type, _DOMAIN):
            self.collect_domain(base_type, f"domain {schema}.{name}")
        elif isinstance(base_type, sa.Enum) and base_type.native_enum and base_type.name:
            e = Enum(base_type.schema or self.dialect.default_schema, base_type.name, tuple(base_type.enums))
            self.enums.setdefault(e.key, e)
        base = self.dialect.normalize_type(self.type_compiler.process(base_type))
        checks: tuple[Check, ...] = ()
        if typ.check is not None:
            # SQLAlchemy writes CONSTRAINT name before NOT NULL: with not_null it names that, not the check
            own = typ.constraint_name if not typ.not_null else None
            checks = (Check(own or f"{name}_check",
                            self.dialect.normalize_expression(self.compile(typ.check))),)
        default = None if typ.default is None else self.dialect.normalize_default(self.compile(typ.default), base)
        collation, in_schema = typ.collation, getattr(typ, "collation_schema", None)
        if collation and in_schema and in_schema not in (self.dialect.default_schema, "pg_catalog"):
            collation = '"{}"."{}"'.format(in_schema.replace('"', '""'), collation.replace('"', '""'))
        domain = Domain(schema, name, base, default=default, nullable=not typ.not_null, checks=checks,
                        collation=collation)
        prev = self.domains.get(domain.key)
        if prev is not None and prev != domain:
            raise SourceError(f"Domain {schema}.{name} is declared twice with different definitions "
                              f"(used by {where}); make them agree.")
        self.domains[domain.key] = domain

    # -- constraints and indexes ---------------------------------------------------------
    def foreign_key(self, t: sa.Table, con: sa.ForeignKeyConstraint) -> ForeignKey:
        cols = tuple(con.column_keys) if not con.columns else tuple(c.name for c in con.columns)
        elements = con.elements
        ref_table = elements[0].column.table
        ref_cols = tuple(e.column.name for e in elements)

        def action(value: str | None, what: str) -> FkAction:
            if value is None:
                return "NO ACTION"
            key = value.upper()
            if key not in _FK_ACTIONS:
                raise UnsupportedConstruct(f"foreign key on {t.name}({', '.join(cols)})", f"{what} {value}")
            return _FK_ACTIONS[key]

        return ForeignKey(
            name=self.constraint_name(con, "fk", t.name, cols),
            columns=cols,
            ref_schema=self.schema_of(ref_table),
            ref_table=ref_table.name,
            ref_columns=ref_cols,
            on_delete=action(con.ondelete, "ON DELETE"),
            on_update=action(con.onupdate, "ON UPDATE"),
            deferrable=bool(con.deferrable),
            initially_deferred=(con.initially or "").upper() == "DEFERRED",
            match_full=(con.match or "").upper() == "FULL",
        )

    def index(self, t: sa.Table, ix: sa.Index) -> Index:
        name = self.name_of(ix)
        if not name:
            raise UnsupportedConstruct(f"an index on {t.name}", "an index without a name",
                                       "Give it a name or set a naming convention on the MetaData.")
        label = f"index {name} on {self.schema_of(t)}.{t.name}"
        dialect = self.sa_dialect.name
        read = _INDEX_KWARGS.get(dialect, frozenset())
        for key, value in ix.dialect_kwargs.items():
            own, _, arg = key.partition("_")
            if own == dialect and arg not in read and value:
                raise UnsupportedConstruct(label, f"{key}={value!r}",
                                           "Leave it out of the model, or create the index in SQL (a DDL listener).")
        opts: dict[str, Any] = dict(ix.dialect_options[dialect]) if dialect in ix.dialect_options else {}
        ops: dict[str, str] = opts.get("ops") or {}
        where = opts.get("where")
        include = tuple(c if isinstance(c, str) else c.name for c in (opts.get("include") or ()))
        return Index(
            name=name,
            elements=self.index_keys(t, ix, ops, label, compiled=bool(opts.get("length"))),
            unique=bool(ix.unique),
            method=(opts.get("using") or opts.get("prefix") or "btree").lower(),
            where=self.dialect.normalize_expression(self.compile(where)) if where is not None else None,
            include=include,
            nulls_not_distinct=bool(opts.get("nulls_not_distinct")),
        )

    def index_keys(self, t: sa.Table, ix: sa.Index, ops: dict[str, str], label: str, *,
                   compiled: bool = False) -> tuple[IndexElement, ...]:
        """The index's keys as the database will record them.  Plain columns are read directly; any other key
        (``col.desc()``, ``col.asc()``, ``col.collate("C")``, ``text("col DESC")``, ``func.lower(...)``, a key
        named in ``postgresql_ops``) is read from the CREATE INDEX text SQLAlchemy compiles for the dialect,
        parsed by the safeshift dialect as the database parses it: ``text("col DESC")`` is that column
        descending (normalising it as an expression once dropped the DESC), an operator class that is the
        default is no operator class, and a key collation that is the column's own is none."""
        expressions = list(ix.expressions)
        plain = [e for e in expressions if isinstance(e, sa.Column) and e.key not in ops]
        if len(plain) == len(expressions) and not compiled:  # ``compiled``: options the keys' text carries
            return tuple(IndexElement(e.name) for e in plain)
        try:
            sql = str(sa.schema.CreateIndex(ix).compile(dialect=self.sa_dialect))
        except Exception as exc:
            raise UnsupportedConstruct(label, f"index keys SQLAlchemy cannot compile for {self.dialect.name} "
                                       f"({type(exc).__name__}: {exc})") from exc
        try:
            keys = self.dialect.index_keys(sql)
        except ValueError as exc:
            raise UnsupportedConstruct(label, str(exc)) from exc
        if len(keys) != len(expressions):
            raise UnsupportedConstruct(label, f"{len(expressions)} keys that read back as {len(keys)} ({sql})")
        columns = {c.name: c for c in t.columns}
        folded = {name.lower() for name in columns}
        out = []
        for key in keys:
            if not key.is_expression and key.value not in columns and key.value.lower() not in folded:
                raise UnsupportedConstruct(label, f"a key on column {key.value}, which the table does not have")
            column = None if key.is_expression else columns.get(key.value)
            if column is not None and key.collation in (getattr(column.type, "collation", None) or "default",):
                key = replace(key, collation=None)  # the column's own collation: the catalog shows none
            out.append(key)
        return tuple(out)

    # -- sequences -----------------------------------------------------------------------
    def sequence(self, s: sa.Sequence) -> Sequence:
        data_type = self.dialect.normalize_type(self.compile(s.data_type)) if s.data_type is not None else "bigint"
        return Sequence(schema=self.schema_of(s), name=s.name, data_type=data_type,
                        start=_opt(s.start, 1), increment=_opt(s.increment, 1), minvalue=s.minvalue,
                        maxvalue=s.maxvalue, cycle=bool(s.cycle), cache=_opt(s.cache, 1))


def _opt(value: int | None, default: int) -> int | None:
    """Drop an option equal to the database default so both sides spell it the same."""
    return None if value is None or value == default else int(value)


# -- where each table is declared (for refusals; built only when there is something to say) -------------

def source_locator(metadata: sa.MetaData, default_schema: str) -> Callable[[tuple[str, str] | None, str | None],
                                                                           str | None]:
    """A function from (table key, object name) to ``models.py:12``, the line declaring the object.

    SQLAlchemy keeps no source lines, so they are found when first asked for (a refusal, never a
    successful run): a declarative class through its registry and ``inspect``, a module-level ``Table``
    through the globals of the modules holding it; then, within the table's declaration, the first line
    that quotes the object's name (an ``Index("ix_...")``, a constraint's name, a column's) or assigns it
    (a mapped attribute).  An object found nowhere gets its table's line; a table found nowhere, None.
    """
    sites: dict[tuple[str, str], tuple[Path, int]] | None = None

    def locate(table: tuple[str, str] | None, name: str | None) -> str | None:
        nonlocal sites
        if table is None:
            return None
        if sites is None:
            sites = _table_sites(metadata, default_schema)
        site = sites.get(table)
        if site is None:
            return None
        path, line = site
        found = (_line_of(path, line, name) or _line_of(path, 1, name, anywhere=True)) if name else None
        return f"{display_path(path)}:{found or line}"

    return locate


def _table_sites(metadata: sa.MetaData, default_schema: str) -> dict[tuple[str, str], tuple[Path, int]]:
    import inspect

    from sqlalchemy.orm import mapperlib

    tables = {id(t): (t.schema or default_schema, t.name) for t in metadata.tables.values()}
    sites: dict[tuple[str, str], tuple[Path, int]] = {}
    for registry in list(mapperlib._mapper_registries):
        for mapper in list(registry.mappers):
            key = tables.get(id(mapper.local_table))
            if key is None or key in sites:
                continue
            try:
                path = inspect.getsourcefile(mapper.class_)
                line = inspect.getsourcelines(mapper.class_)[1]
            except (OSError, TypeError):
                continue
            if path:
                sites[key] = (Path(path), line)
    prefixes = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix})
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if not file or file.startswith(prefixes) or "site-packages" in file:
            continue
        for var, value in list(vars(module).items()):
            key = tables.get(id(value)) if isinstance(value, sa.Table) else None
            if key is None or key in sites:
                continue
            found = _assignment_line(Path(file), var) or _line_of(Path(file), 1, value.name, anywhere=True)
            if found:
                sites[key] = (Path(file), found)
    return sites


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _assignment_line(path: Path, var: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(var)}\s*(?::[^=]*)?=(?!=)")
    for number, text in enumerate(_lines(path), 1):
        if pattern.match(text):
            return number
    return None


def _line_of(path: Path, start: int, name: str, *, anywhere: bool = False) -> int | None:
    """The first line from ``start`` within the declaration that begins there (until the next line that
    starts at the left margin) quoting ``name`` or assigning to it; ``anywhere``: the one line of the file
    quoting it (None if several do: a column name shared by tables must not point at the wrong one)."""
    own = rf"""["']{re.escape(name)}["']"""
    quoted = re.compile(own if anywhere else rf"{own}|^\s*{re.escape(name)}\s*(?::[^=]*)?=(?!=)")
    lines = _lines(path)
    found: list[int] = []
    for number in range(start, len(lines) + 1):
        text = lines[number - 1]
        if not anywhere and number > start and text[:1] not in ("", " ", "\t", ")", "]", "#"):
            break
        if quoted.search(text):
            if not anywhere:
                return number
            found.append(number)
    return found[0] if len(found) == 1 else None


def _as_written(canonical: str, text: str) -> tuple[str, AsWritten | None]:
    """The compared form and, where the models spell it otherwise, their spelling to render."""
    text = text.strip()
    return canonical, (None if text == canonical else AsWritten(canonical, text))


def _given(value: object) -> bool:
    """Whether a dialect keyword argument is set: a SQL expression (``postgresql_where=table.c.x > 0``, as
    mlflow's models give) counts as set without being asked its truth value, which SQLAlchemy refuses."""
    if isinstance(value, sa.sql.ClauseElement):
        return True
    return value is not None and value is not False and value != [] and value != () and value != {} and value != ""


def options_elsewhere(metadata: sa.MetaData, dialect: Dialect) -> Callable[[tuple[str, str], str], bool]:
    """Whether the models give an index options for another database than ``dialect``'s (``postgresql_include``
    read on SQLite): there it is another index than its twin without them, here the same one."""
    converter = _Converter(metadata, dialect)
    own = converter.sa_dialect.name + "_"
    marked: set[tuple[tuple[str, str], str | None]] = set()
    for t in metadata.tables.values():
        for ix in t.indexes:
            if any(_given(value) and not name.startswith(own) for name, value in ix.dialect_kwargs.items()):
                marked.add(((converter.schema_of(t), t.name), converter.name_of(ix)))
    return lambda table, index: (table, index) in marked

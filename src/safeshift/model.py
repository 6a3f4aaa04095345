"""The canonical schema model.

Every source (SQLAlchemy metadata, SQL files, a live database, a snapshot) produces
these frozen values, already normalised by the target dialect, so that two schemas a
database would treat the same compare equal with plain ``==``.  Nothing here knows
SQL syntax; normalisation rules live in ``safeshift.dialects``.

Conventions that keep the model canonical:
- every object carries its schema (namespace) spelled out: ``public`` on PostgreSQL,
  ``main`` on SQLite; never ``None``;
- collections are tuples kept in a stable order: columns in ordinal order, everything
  else sorted by name, so equality does not depend on discovery order;
- type names, defaults and expressions are the dialect's canonical spelling
  (PostgreSQL: ``format_type`` spelling, e.g. ``character varying(100)``);
- a serial column is ``identity=None, serial=True`` with no default: the owned
  sequence and its ``nextval`` default are implied and are not listed separately.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Literal

FkAction = Literal["NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"]


@dataclass(frozen=True)
class Identity:
    """GENERATED {ALWAYS|BY DEFAULT} AS IDENTITY; options only where they differ from defaults."""

    always: bool = False
    start: int | None = None
    increment: int | None = None
    minvalue: int | None = None
    maxvalue: int | None = None
    cycle: bool = False
    cache: int | None = None


@dataclass(frozen=True)
class Generated:
    """A generated column: ``GENERATED ALWAYS AS (expression) STORED`` (or VIRTUAL)."""

    expression: str
    stored: bool = True


@dataclass(frozen=True)
class AsWritten:
    """A source's own spelling of a default or CHECK expression beside the canonical form it was compared
    as.  Rendered instead of the canonical form, so the database safeshift builds stores what the models'
    own tool (create_all, the app's migrations) stores, byte for byte in the catalog: ``DEFAULT '0'`` on a
    smallint is kept as ``'0'::smallint``, not ``0``.  Only used while ``canonical`` is still the object's
    compared value: a default changed since (``replace``) renders its canonical form, never a stale text."""

    canonical: str
    text: str


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    identity: Identity | None = None
    serial: bool = False
    generated: Generated | None = None
    collation: str | None = None
    comment: str | None = None
    #: the source's spelling of ``default``; not compared
    default_as_written: AsWritten | None = field(default=None, compare=False)
    #: what the server sets the column to when a row is updated (MySQL's ``ON UPDATE current_timestamp()``),
    #: apart from ``default``: a column may have one without the other, and neither is the other's text
    on_update: str | None = None

    @property
    def default_sql(self) -> str | None:
        """The default as DDL writes it: the source's own spelling while it still says ``default``."""
        w = self.default_as_written
        return w.text if w is not None and w.canonical == self.default else self.default

    @property
    def needs_backfill(self) -> bool:
        """NOT NULL with nothing to fill existing rows (no default, identity, serial or generation):
        adding it fails on a table with rows, and a restored one needs its values put back."""
        return (not self.nullable and self.default is None and self.generated is None and self.identity is None
                and not self.serial)


@dataclass(frozen=True)
class PrimaryKey:
    name: str | None
    columns: tuple[str, ...]
    deferrable: bool = False
    initially_deferred: bool = False


@dataclass(frozen=True)
class Unique:
    name: str | None
    columns: tuple[str, ...]
    nulls_not_distinct: bool = False
    deferrable: bool = False
    initially_deferred: bool = False


@dataclass(frozen=True)
class Check:
    name: str | None
    expression: str
    #: the source's spelling of ``expression``; not compared
    as_written: AsWritten | None = field(default=None, compare=False)

    @property
    def sql(self) -> str:
        """The expression as DDL writes it: the source's own spelling while it still says ``expression``."""
        w = self.as_written
        return w.text if w is not None and w.canonical == self.expression else self.expression


@dataclass(frozen=True)
class Exclusion:
    """``EXCLUDE USING method (element WITH operator, ...) [INCLUDE ...] [WHERE (...)] [DEFERRABLE ...]``,
    kept as the whole clause the catalog prints (``pg_get_constraintdef``)."""

    name: str
    definition: str


@dataclass(frozen=True)
class ForeignKey:
    name: str | None
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: FkAction = "NO ACTION"
    on_update: FkAction = "NO ACTION"
    deferrable: bool = False
    initially_deferred: bool = False
    match_full: bool = False


@dataclass(frozen=True)
class IndexElement:
    """One key of an index: a column name, or an expression when ``is_expression``."""

    value: str
    is_expression: bool = False
    descending: bool = False
    nulls_first: bool | None = None  # None: the default for the direction
    opclass: str | None = None
    collation: str | None = None


@dataclass(frozen=True)
class Index:
    name: str
    elements: tuple[IndexElement, ...]
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()
    nulls_not_distinct: bool = False


@dataclass(frozen=True)
class PartitionOf:
    """What makes a table a partition: its parent and its bound, as the catalog prints the bound
    (``pg_get_expr(relpartbound)``: ``FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')``, ``FOR VALUES IN
    ('eu')``, ``FOR VALUES WITH (modulus 4, remainder 0)`` or ``DEFAULT``), so every source compares equal."""

    schema: str
    table: str
    bound: str

    @property
    def qualname(self) -> str:
        return f"{self.schema}.{self.table}"


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]
    primary_key: PrimaryKey | None = None
    uniques: tuple[Unique, ...] = ()
    checks: tuple[Check, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()
    comment: str | None = None
    #: row-level security: ENABLE (policies apply to everyone but the owner) and FORCE (to the owner too)
    row_security: bool = False
    force_row_security: bool = False
    #: UNLOGGED: not written to the WAL (fast, emptied after a crash, not replicated)
    unlogged: bool = False
    #: storage parameters as the catalog keeps them, sorted: ("autovacuum_enabled=false", "fillfactor=70")
    options: tuple[str, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    #: a partitioned table's key as the catalog prints it (``pg_get_partkeydef``: ``RANGE (created_at)``)
    partition_by: str | None = None
    #: set on a partition.  Its columns, and the constraints, indexes and triggers it holds because its
    #: parent does, are implied by the parent and not listed (``columns`` is empty): PostgreSQL creates,
    #: alters and drops them with the parent's.  Only what the partition has of its own is listed.
    partition_of: PartitionOf | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)

    @property
    def qualname(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class Enum:
    schema: str
    name: str
    values: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)


@dataclass(frozen=True)
class Sequence:
    """A free-standing sequence (sequences owned by serial columns are implied by the column)."""

    schema: str
    name: str
    data_type: str = "bigint"
    start: int | None = None
    increment: int | None = None
    minvalue: int | None = None
    maxvalue: int | None = None
    cycle: bool = False
    cache: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)


@dataclass(frozen=True)
class View:
    """A view; the definition is the database's own text, compared after dialect normalisation."""

    schema: str
    name: str
    definition: str
    materialized: bool = False
    comment: str | None = None
    #: a materialized view's indexes, sorted by name (REFRESH ... CONCURRENTLY needs a unique one)
    indexes: tuple[Index, ...] = ()
    #: the output columns as the catalog types them (``"name type"``, ``COLLATE c`` when not the type's
    #: own), in order; () when the source does not say.  Not compared: the definition and the tables it
    #: reads decide them.  Read only to choose ``CREATE OR REPLACE VIEW``, which PostgreSQL allows when
    #: the columns stay exactly the same.
    columns: tuple[str, ...] = field(default=(), compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)


@dataclass(frozen=True)
class Domain:
    """A domain: a base type with a default, NOT NULL and named CHECK constraints (``VALUE > 0``).

    A column typed by the domain carries the domain's name as its type, spelled the way an enum's is
    (``format_type``: bare in ``public``, ``schema.name`` elsewhere).  ``type`` is the base type in the
    dialect's canonical spelling; ``checks`` are sorted by name, their expressions normalised like a
    table's; ``collation`` only where it differs from the base type's.
    """

    schema: str
    name: str
    type: str
    default: str | None = None
    nullable: bool = True
    checks: tuple[Check, ...] = ()
    collation: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)


@dataclass(frozen=True)
class Attribute:
    """One attribute of a stand-alone composite type; ``collation`` only where it differs from the type's."""

    name: str
    type: str
    collation: str | None = None


@dataclass(frozen=True)
class CompositeType:
    """``CREATE TYPE name AS (attribute type, ...)``: attributes in their declared order (it is the
    order of a row value's fields, so it is compared)."""

    schema: str
    name: str
    attributes: tuple[Attribute, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)


CollationProvider = Literal["libc", "icu", "builtin"]


@dataclass(frozen=True)
class Collation:
    """A collation created by the user.  ``libc`` ones carry ``lc_collate`` and ``lc_ctype``; ``icu`` and
    ``builtin`` ones a ``locale``.  A column or key using one names it bare in ``public`` and as
    ``"schema"."name"`` (both parts quoted) elsewhere; PostgreSQL has no ALTER for its definition."""

    schema: str
    name: str
    provider: CollationProvider = "libc"
    locale: str | None = None
    lc_collate: str | None = None
    lc_ctype: str | None = None
    deterministic: bool = True

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)


TriggerState = Literal["enabled", "disabled", "replica", "always"]
PolicyCommand = Literal["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"]


@dataclass(frozen=True)
class Extension:
    """An installed extension.  Its types, functions and operators are its own: they are never listed as
    the user's objects.  The version is not compared: which versions exist depends on the packages
    installed on each server, not on the schema (a shadow database and production may differ)."""

    name: str
    schema: str

    @property
    def key(self) -> str:
        return self.name


@dataclass(frozen=True)
class Function:
    """A function or procedure, identified by its signature (PostgreSQL allows overloading).

    ``definition`` is the whole ``CREATE OR REPLACE`` statement in the dialect's canonical form (for
    PostgreSQL: the catalog's own rendering, parsed and printed again so that servers of different
    versions compare equal); ``returns`` decides whether a change can be a ``CREATE OR REPLACE``.
    """

    schema: str
    name: str
    arguments: str
    returns: str
    definition: str
    procedure: bool = False
    #: a SQL-standard body (``BEGIN ATOMIC ... END`` or ``RETURN expr``) that reads tables or views:
    #: PostgreSQL parses it at creation and records what it reads, so it is created after the tables and
    #: dropped before them, where other functions (a quoted body is checked only when called) go before
    #: the tables whose defaults and checks call them
    reads_relations: bool = False

    @property
    def signature(self) -> str:
        return f"{self.name}({self.arguments})"

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.signature)


@dataclass(frozen=True)
class Trigger:
    """A trigger on a table or view; ``definition`` is the whole ``CREATE TRIGGER`` statement, canonical."""

    schema: str
    table: str
    name: str
    definition: str
    state: TriggerState = "enabled"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.schema, self.table, self.name)


@dataclass(frozen=True)
class Policy:
    """A row-level security policy on a table."""

    schema: str
    table: str
    name: str
    command: PolicyCommand = "ALL"
    permissive: bool = True
    #: role names, sorted; ("public",) when the policy applies to everyone
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    with_check: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.schema, self.table, self.name)


GrantObject = Literal["table", "sequence", "function", "schema"]


@dataclass(frozen=True)
class Grant:
    """One privilege held by one role on one object: what ``GRANT privilege ON object TO grantee`` gives.

    Read from the object's effective access list (the catalog's, or the built-in default when it has
    none), minus the owner's own entries: objects belong to whoever runs the migrations, so ownership
    is not compared and neither is what the owner holds by owning.  ``grantee`` is a role name, or
    ``PUBLIC`` for everyone.  ``object_type``: "table" covers views and materialized views too (one
    GRANT ... ON TABLE serves them all); "function" covers procedures, with ``arguments`` set (the
    identity arguments, as in ``Function.arguments``); for a schema both ``schema`` and ``name`` hold
    its name.  Only read when the project opts in (``privileges = true``).
    """

    object_type: GrantObject
    schema: str
    name: str
    grantee: str
    privilege: str
    grantable: bool = False
    arguments: str | None = None

    @property
    def object_key(self) -> tuple[str, str, str, str | None]:
        return (self.object_type, self.schema, self.name, self.arguments)

    @property
    def key(self) -> tuple[str, str, str, str, str, str]:
        return (self.object_type, self.schema, self.name, self.arguments or "", self.grantee, self.privilege)

    @property
    def object_name(self) -> str:
        """``table public.users``, ``function public.touch()``, ``schema app``."""
        if self.object_type == "schema":
            return f"schema {self.name}"
        args = f"({self.arguments})" if self.arguments is not None else ""
        return f"{self.object_type} {self.schema}.{self.name}{args}"


#: what a newly created object of each kind grants to others than its owner (PostgreSQL's built-in
#: ``acldefault``): a new function or procedure is executable by PUBLIC, nothing else grants anything.
#: The diff needs it to know what a CREATE already gives and what a DROP and re-create gives back.
DEFAULT_GRANTS: dict[str, tuple[tuple[str, str], ...]] = {"function": (("PUBLIC", "EXECUTE"),)}


@dataclass(frozen=True)
class Schema:
    """A whole database schema as one comparable value."""

    dialect: str
    namespaces: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    enums: tuple[Enum, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    views: tuple[View, ...] = ()
    extensions: tuple[Extension, ...] = ()
    functions: tuple[Function, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    policies: tuple[Policy, ...] = ()
    domains: tuple[Domain, ...] = ()
    composite_types: tuple[CompositeType, ...] = ()
    collations: tuple[Collation, ...] = ()
    #: privileges, sorted by key; None when they were not read (the project has not opted in, or the
    #: source cannot declare them): the diff compares them only when both sides hold them
    grants: tuple[Grant, ...] | None = None
    _index: dict[tuple[str, str], Table] = field(default_factory=dict, init=False, compare=False,
                                                 repr=False, hash=False)

    def table(self, schema: str, name: str) -> Table | None:
        if not self._index and self.tables:
            self._index.update({t.key: t for t in self.tables})
        return self._index.get((schema, name))

    def enum(self, schema: str, name: str) -> Enum | None:
        for e in self.enums:
            if e.key == (schema, name):
                return e
        return None


def canonical_table(t: Table) -> Table:
    """Sort a table's unordered collections so equality ignores discovery order."""
    if len(t.uniques) < 2 and len(t.checks) < 2 and len(t.foreign_keys) < 2 and len(t.indexes) < 2 \
            and len(t.exclusions) < 2:
        return t  # nothing to sort: most tables, and ``replace`` costs 20 µs a table
    return replace(
        t,
        exclusions=tuple(sorted(t.exclusions, key=lambda x: x.name)),
        uniques=tuple(sorted(t.uniques, key=lambda u: (u.name or "", u.columns))),
        checks=tuple(sorted(t.checks, key=lambda c: (c.name or "", c.expression))),
        foreign_keys=tuple(sorted(t.foreign_keys, key=lambda f: (f.name or "", f.columns, f.ref_table))),
        indexes=tuple(sorted(t.indexes, key=lambda i: i.name)),
    )


def make_schema(dialect: str, *, namespaces: Iterable[str] = (), tables: Iterable[Table] = (),
                enums: Iterable[Enum] = (), sequences: Iterable[Sequence] = (),
                views: Iterable[View] = (), extensions: Iterable[Extension] = (),
                functions: Iterable[Function] = (), triggers: Iterable[Trigger] = (),
                policies: Iterable[Policy] = (), domains: Iterable[Domain] = (),
                composite_types: Iterable[CompositeType] = (), collations: Iterable[Collation] = (),
                grants: Iterable[Grant] | None = None) -> Schema:
    """Build a Schema in canonical order; every producer should construct through here."""
    return Schema(
        dialect=dialect,
        namespaces=tuple(sorted(set(namespaces))),
        tables=tuple(sorted((canonical_table(t) for t in tables), key=lambda t: t.key)),
        enums=tuple(sorted(enums, key=lambda e: e.key)),
        sequences=tuple(sorted(sequences, key=lambda s: s.key)),
        views=tuple(sorted(views, key=lambda v: v.key)),
        extensions=tuple(sorted(extensions, key=lambda e: e.key)),
        functions=tuple(sorted(functions, key=lambda f: f.key)),
        triggers=tuple(sorted(triggers, key=lambda t: t.key)),
        policies=tuple(sorted(policies, key=lambda p: p.key)),
        domains=tuple(sorted((replace(d, checks=tuple(sorted(d.checks, key=lambda c: (c.name or "", c.expression))))
                              for d in domains), key=lambda d: d.key)),
        composite_types=tuple(sorted(composite_types, key=lambda c: c.key)),
        collations=tuple(sorted(collations, key=lambda c: c.key)),
        grants=None if grants is None else tuple(sorted(grants, key=lambda g: g.key)),
    )


@contextmanager
def collector_paused(*, freeze: bool = False) -> Iterator[None]:
    """Keep CPython's cyclic garbage collector out while a big schema is built or read.

    Model values hold no reference cycles (reference counting frees them), but building a
    thousand tables allocates enough container objects to set off full collections that
    walk the whole heap, e.g. a just-imported SQLAlchemy metadata of ~370,000 objects at
    about 0.2 s a pass.  ``freeze`` afterwards moves everything alive to the permanent
    generation (``gc.freeze``), for objects that live as long as the process, like an
    imported models module; a collection of the young generations first keeps short-lived
    garbage out of it.
    """
    enabled = gc.isenabled()
    if freeze:
        gc.collect(1)
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()

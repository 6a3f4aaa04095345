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
                policies: Iterable[Policy] = ()) -> Schema:
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

"""What a comparison leaves out: other tools' bookkeeping tables and the project's ``ignore`` list.

A database safeshift adopts often holds tables another tool owns (Alembic's ``alembic_version``,
Django's ``django_migrations``, drizzle's ``drizzle.__drizzle_migrations``, ...).  They are not the
application's schema, and a migration that drops them breaks the other tool, so they never take
part in a comparison.  The ``ignore`` key of safeshift.toml names the rest (a scratch table, a schema
another service manages) with patterns.

Both are applied by ``leave_out`` to every side of a comparison the same way: the live database
(``Engine.introspect``, so every command reading one gets it), the schema source (an ignored table
declared in the models is not created either) and the migrations' snapshots.  What it leaves out is
counted, so ``verify`` can say so: an ignore list must never hide drift silently.

Objects that stay may still refer to a left-out one (a foreign key to ``auth.users``, a view reading
an ignored table); they are compared and rendered as they are.  An ignored object is one something
else creates and owns, in every database the migrations run on; refusing such references would rule
out the commonest reason to ignore a schema at all (tables of your own pointing into a schema a
platform manages), and leaving the reference out would make the compared schema one the database does
not have.  The left-out object is never created, altered or dropped.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase, translate
from functools import cached_property
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from safeshift.model import Schema

__all__ = ["BOOKKEEPING_TABLES", "IgnoreList", "Kept", "leave_out", "pattern_problem"]

#: tables other migration tools keep their history in, by name, in whichever schema they are
#: (most of these tools let the schema be chosen; drizzle's default is its own schema ``drizzle``)
BOOKKEEPING_TABLES: frozenset[str] = frozenset({
    "alembic_version",          # Alembic
    "django_migrations",        # Django
    "__drizzle_migrations",     # drizzle-orm's migrator
    "flyway_schema_history",    # Flyway
    "knex_migrations",          # Knex
    "knex_migrations_lock",
    "_prisma_migrations",       # Prisma Migrate
    "schema_migrations",        # Rails, golang-migrate, dbmate
    "goose_db_version",         # goose
    "__EFMigrationsHistory",    # Entity Framework Core
})

_PART = re.compile(r"[^.]+")


class _Named(Protocol):
    @property
    def schema(self) -> str: ...
    @property
    def name(self) -> str: ...


class _OnTable(_Named, Protocol):
    @property
    def table(self) -> str: ...


_N = TypeVar("_N", bound=_Named)
_T = TypeVar("_T", bound=_OnTable)


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not an ignore pattern, or None when it is one."""
    parts = pattern.split(".")
    if len(parts) > 2 or not all(_PART.fullmatch(p) for p in parts) or pattern != pattern.strip():
        return "a pattern is `name` or `schema.name`, each part a name or a glob such as `tmp_*`"
    return None


@dataclass(frozen=True)
class IgnoreList:
    """The ``ignore`` patterns, ready to match.

    ``schema.name`` matches objects called ``name`` in ``schema``; a bare ``name`` matches in every
    schema; ``schema.*`` ignores the whole schema, the schema itself included.  Globs are
    ``fnmatch``'s (``*``, ``?``, ``[...]``), matched case-sensitively as PostgreSQL compares names.
    """

    patterns: tuple[str, ...] = ()

    @cached_property
    def _objects(self) -> re.Pattern[str] | None:
        """One regular expression over ``schema.name`` for all the patterns (a thousand tables: ~1 ms)."""
        if not self.patterns:
            return None
        parts = []
        for p in self.patterns:
            nsp, _, rel = p.rpartition(".")
            parts.append(rf"(?:{_glob(nsp) if nsp else '[^.]*'})\.(?:{_glob(rel)})")
        return re.compile("|".join(parts), re.DOTALL)

    @cached_property
    def _schemas(self) -> re.Pattern[str] | None:
        whole = [_glob(p[:-2]) for p in self.patterns if p.endswith(".*")]
        return re.compile("|".join(f"(?:{w})" for w in whole), re.DOTALL) if whole else None

    def matches(self, schema: str, name: str) -> bool:
        rx = self._objects
        if rx is None:
            return False
        if "." in schema or "." in name:
            return self._slow_match(schema, name)
        return rx.fullmatch(f"{schema}.{name}") is not None

    def _slow_match(self, schema: str, name: str) -> bool:
        """A name holding a dot would blur the joined expression's one separator: match part by part."""
        for p in self.patterns:
            nsp, _, rel = p.rpartition(".")
            if fnmatchcase(name, rel) and (not nsp or fnmatchcase(schema, nsp)):
                return True
        return False

    def whole_schema(self, schema: str) -> bool:
        """Whether a ``schema.*`` pattern (or ``*.*``) covers ``schema`` and everything in it."""
        rx = self._schemas
        return rx is not None and rx.fullmatch(schema) is not None


def _glob(part: str) -> str:
    """``fnmatch``'s translation of one part, without its end anchor, to be joined into one expression."""
    rx = translate(part)
    return rx[4:-3] if rx.startswith("(?s:") and rx.endswith(")\\Z") else rx


@dataclass(frozen=True)
class Kept:
    """A schema with the left-out objects removed, and what was removed (for ``verify``'s line)."""

    schema: Schema
    #: other tools' bookkeeping tables left out, as ``schema.name``
    bookkeeping: tuple[str, ...] = ()
    #: how many objects the ignore list left out (schemas, tables, views, sequences, types, routines, ...)
    ignored: int = 0

    def describe(self) -> str | None:
        """One line for the operator; None when nothing was left out."""
        parts = []
        if self.ignored:
            parts.append(f"{self.ignored} object(s) matching the `ignore` list")
        if self.bookkeeping:
            parts.append(f"{len(self.bookkeeping)} other tool(s)' bookkeeping table(s) "
                         f"({', '.join(self.bookkeeping)})")
        return "ignored: " + "; ".join(parts) if parts else None


def leave_out(schema: Schema, patterns: Sequence[str] | IgnoreList = (), default_schema: str | None = None) -> Kept:
    """``schema`` without bookkeeping tables and without what ``patterns`` match.

    What belongs to a left-out table goes with it: its triggers, policies and privileges, and its
    partitions (a partition's columns are its parent's, so it cannot be compared without it).  A schema
    is left out when a ``schema.*`` pattern covers it, or when it held only left-out objects (drizzle's
    own schema holding its history table): otherwise it would show as a schema to drop.  The default
    schema is never left out by the second rule.
    """
    rules = patterns if isinstance(patterns, IgnoreList) else IgnoreList(tuple(patterns))
    ignored = 0
    bookkeeping: list[str] = []
    touched: set[str] = set()  # schemas something was left out of

    def out(nsp: str, name: str) -> bool:
        if rules.patterns and (rules.whole_schema(nsp) or rules.matches(nsp, name)):
            touched.add(nsp)
            return True
        return False

    tables = []
    gone: set[tuple[str, str]] = set()
    for t in schema.tables:
        if t.name in BOOKKEEPING_TABLES:
            bookkeeping.append(f"{t.schema}.{t.name}")
            touched.add(t.schema)
            gone.add(t.key)
        elif out(t.schema, t.name):
            ignored += 1
            gone.add(t.key)
        else:
            tables.append(t)
    changed = True  # partitions follow their parents, sub-partitions theirs
    while changed:
        changed = False
        for t in tables:
            of = t.partition_of
            if of is not None and (of.schema, of.table) in gone and t.key not in gone:
                gone.add(t.key)
                touched.add(t.schema)
                ignored += 1
                changed = True
    tables = [t for t in tables if t.key not in gone]

    def keep_all(items: Iterable[_N]) -> list[_N]:
        nonlocal ignored
        kept = []
        for x in items:
            if out(x.schema, x.name):
                ignored += 1
            else:
                kept.append(x)
        return kept

    views = keep_all(schema.views)
    sequences = keep_all(schema.sequences)
    enums = keep_all(schema.enums)
    domains = keep_all(schema.domains)
    composites = keep_all(schema.composite_types)
    collations = keep_all(schema.collations)
    functions = keep_all(schema.functions)
    gone |= {v.key for v in schema.views} - {v.key for v in views}  # a view's triggers go with it

    def on_kept(items: Iterable[_T]) -> list[_T]:
        # one on a left-out table or view goes with it, not counted apart
        return keep_all(x for x in items if (x.schema, x.table) not in gone)

    triggers = on_kept(schema.triggers)
    policies = on_kept(schema.policies)
    extensions = [e for e in schema.extensions if not rules.whole_schema(e.schema)]
    ignored += len(schema.extensions) - len(extensions)

    left = {x.schema for group in (tables, views, sequences, enums, domains, composites, collations, functions,
                                   extensions) for x in group}
    namespaces = []
    for n in schema.namespaces:
        if rules.whole_schema(n):
            ignored += 1
        elif n in touched and n not in left and n != default_schema:
            pass  # it held only what was left out
        else:
            namespaces.append(n)
    if not bookkeeping and not ignored and len(namespaces) == len(schema.namespaces):
        return Kept(schema)
    grants = schema.grants
    if grants is not None:
        dropped_functions = {(f.schema, f.name) for f in schema.functions} - {(f.schema, f.name) for f in functions}
        dropped_sequences = {q.key for q in schema.sequences} - {q.key for q in sequences}
        kept_namespaces = set(namespaces)
        grants = tuple(g for g in grants
                       if not (g.object_type == "table" and (g.schema, g.name) in gone)
                       and not (g.object_type == "sequence" and (g.schema, g.name) in dropped_sequences)
                       and not (g.object_type == "function" and (g.schema, g.name) in dropped_functions)
                       and not (g.object_type == "schema" and g.name not in kept_namespaces))
    result = dataclasses.replace(
        schema, namespaces=tuple(namespaces), tables=tuple(tables), views=tuple(views), sequences=tuple(sequences),
        enums=tuple(enums), domains=tuple(domains), composite_types=tuple(composites), collations=tuple(collations),
        functions=tuple(functions), triggers=tuple(triggers), policies=tuple(policies), extensions=tuple(extensions),
        grants=grants)
    return Kept(result, tuple(sorted(bookkeeping)), ignored)

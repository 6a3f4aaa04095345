"""Declared names as the database keeps them.

PostgreSQL cuts every identifier longer than 63 bytes to its first 63 (never inside a character) and only
says so in a NOTICE.  A source that declares ``ix_<long table>_<long column>`` therefore describes an index
the database holds under a shorter name; compared as written, every such name is a false difference and
generate would emit a rename against the live database (seen on real models and on drizzle-kit's foreign
key names).  The names of constraints and indexes, which nothing else refers to, are taken as the database
keeps them.  A table, column or other object whose name the database would cut is refused by name: other
objects refer to it, and two declared names could become one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from safeshift.errors import SourceError, UnsupportedConstruct
from safeshift.model import canonical_table

if TYPE_CHECKING:
    from safeshift.dialects import Dialect
    from safeshift.model import Schema, Table

__all__ = ["stored_name", "stored_names"]


def stored_name(name: str, limit: int) -> str:
    """``name`` cut to ``limit`` bytes of UTF-8 at a character boundary, as PostgreSQL stores it."""
    data = name.encode()
    return name if len(data) <= limit else data[:limit].decode(errors="ignore")


def stored_names(schema: Schema, dialect: Dialect) -> Schema:
    """``schema`` with constraint and index names as ``dialect`` keeps them; too-long names of anything
    else refused (``UnsupportedConstruct``), as are two indexes or constraints one cut name would merge."""
    limit = dialect.max_identifier_length

    def too_long(name: str) -> bool:
        return len(name.encode()) > limit

    for kind, names in (("schema", schema.namespaces), ("table", [t.name for t in schema.tables]),
                        ("enum", [e.name for e in schema.enums]), ("sequence", [s.name for s in schema.sequences]),
                        ("domain", [d.name for d in schema.domains])):
        for name in names:
            if too_long(name):
                raise _refusal(kind, name, limit)
    if not any(_long_names(t, too_long) for t in schema.tables):
        return schema
    tables = []
    for t in schema.tables:
        for c in t.columns:
            if too_long(c.name):
                raise _refusal("column", f"{t.name}.{c.name}", limit)
        cut = _table(t, limit) if _long_names(t, too_long) else t
        if len(set(_names(cut))) < len(set(_names(t))):
            raise _merged(f"table {t.schema}.{t.name}", _names(cut), limit)
        tables.append(cut)
    for namespace in {t.schema for t in tables}:
        before = [n for t in schema.tables if t.schema == namespace for n in _relation_names(t)]
        after = [n for t in tables if t.schema == namespace for n in _relation_names(t)]
        if len(set(after)) < len(set(before)):
            raise _merged(f"schema {namespace}", after, limit)
    return replace(schema, tables=tuple(tables))


def _names(t: Table) -> list[str]:
    named: list[Any] = [t.primary_key, *t.uniques, *t.checks, *t.foreign_keys, *t.indexes, *t.exclusions]
    return [o.name for o in named if o is not None and o.name is not None]


def _relation_names(t: Table) -> list[str]:
    """Names of the relations a table's keys and indexes are: one namespace per schema in PostgreSQL."""
    named: list[Any] = [t.primary_key, *t.uniques, *t.indexes, *t.exclusions]
    return [o.name for o in named if o is not None and o.name is not None]


def _long_names(t: Table, too_long: Callable[[str], bool]) -> bool:
    return any(too_long(n) for n in _names(t)) or any(too_long(c.name) for c in t.columns)


def _table(t: Table, limit: int) -> Table:
    def cut(objects: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(o if o.name is None else replace(o, name=stored_name(o.name, limit)) for o in objects)

    pk = t.primary_key
    if pk is not None and pk.name is not None:
        pk = replace(pk, name=stored_name(pk.name, limit))
    return canonical_table(replace(t, primary_key=pk, uniques=cut(t.uniques), checks=cut(t.checks),
                                   foreign_keys=cut(t.foreign_keys), indexes=cut(t.indexes),
                                   exclusions=cut(t.exclusions)))


def _merged(where: str, names: list[str], limit: int) -> SourceError:
    twice = next(n for n in names if names.count(n) > 1)
    return SourceError(f"{where}: two index or constraint names become one ({twice!r}) once the database cuts "
                       f"them to {limit} bytes; give them shorter names.")


def _refusal(kind: str, name: str, limit: int) -> UnsupportedConstruct:
    return UnsupportedConstruct(f"{kind} {name}", f"a name longer than {limit} bytes",
                                f"The database would keep only its first {limit} bytes "
                                f"({stored_name(name, limit)!r}); give it a shorter name.")

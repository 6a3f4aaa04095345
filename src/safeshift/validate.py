"""The target schema checked against its database before any SQL is written for it.

``generate`` used to write whatever the diff asked for, and a schema the database cannot build failed
later, at migrate time: an index with no keys, a foreign key onto columns nothing keeps unique
(SQLite let the CREATE TABLE pass and the runner's foreign-key check died with an internal error), a
GIN index on a text column.  This pass refuses such a schema up front, one sentence per problem and
all of them at once, so a fix is one edit rather than one migrate per problem.

The rules every database shares live here; a dialect adds its own by having ``schema_problems``
(PostgreSQL: default operator classes and the extensions behind types, operator classes and access
methods, in ``dialects/postgres/opclasses.py``).  The pass is pure: where a source knows the line an
object is declared on, it passes a ``Locator`` and the sentence names it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

from safeshift.dialects.problems import Problem
from safeshift.errors import InvalidSchema
from safeshift.model import ForeignKey, Index, Schema, Table

#: (table key or None, object name or None) -> "models.py:12", or None when the source cannot say
Locator = Callable[[tuple[str, str] | None, str | None], str | None]
#: (table key, index name) -> the source gives that index options for another database (``refuse_invalid``)
Apart = Callable[[tuple[str, str], str], bool]


@runtime_checkable
class DialectRules(Protocol):
    """A dialect with rules of its own (a method, so the pass never asks a dialect its name)."""

    def schema_problems(self, schema: Schema) -> list[Problem]: ...


def validate(schema: Schema, dialect: object | None = None) -> list[Problem]:
    """Every problem in ``schema``: the shared rules', then ``dialect``'s own (none without a dialect)."""
    found: list[Problem] = []
    for t in schema.tables:
        found += _empty_indexes(t.key, t.qualname, t.indexes)
        found += _duplicate_indexes(t.key, t.qualname, t.indexes)
        for fk in t.foreign_keys:
            found += _foreign_key(schema, t, fk)
    for v in schema.views:
        found += _empty_indexes(v.key, f"{v.schema}.{v.name}", v.indexes)
        found += _duplicate_indexes(v.key, f"{v.schema}.{v.name}", v.indexes)
    if isinstance(dialect, DialectRules):
        found += dialect.schema_problems(schema)
    return found


def refuse_invalid(schema: Schema, dialect: object | None = None, locate: Locator | None = None,
                   apart: Apart | None = None) -> None:
    """Raise InvalidSchema listing every problem in ``schema``, each naming where it is declared if known.

    ``apart(table, index)``: the source declares that index with options for another database, which
    this one does not have; two indexes that are one here only because of that (mlflow's covering index
    beside its plain twin, on SQLite) are two declarations, not one declared twice."""
    found = [p for p in validate(schema, dialect)
             if not (apart is not None and p.related is not None and p.table is not None and p.name is not None
                     and (apart(p.table, p.name) or apart(p.table, p.related)))]
    if found:
        raise InvalidSchema(tuple(p.sentence(_where(locate, p)) for p in found))


def _where(locate: Locator | None, p: Problem) -> str | None:
    if locate is None:
        return None
    try:
        return locate(p.table, p.name)
    except Exception:  # finding a line is a courtesy: it never hides the refusal itself
        return None


def _empty_indexes(table: tuple[str, str], qualname: str, indexes: tuple[Index, ...]) -> Iterator[Problem]:
    for ix in indexes:
        if not ix.elements:
            yield Problem(f"index {ix.name} on {qualname}", "has no columns or expressions; give it at least one key "
                          "or remove it.", table, ix.name)


def _signature(ix: Index) -> tuple[object, ...]:
    return (ix.elements, ix.unique, ix.method, ix.where, ix.include, ix.nulls_not_distinct)


def _duplicate_indexes(table: tuple[str, str], qualname: str, indexes: tuple[Index, ...]) -> Iterator[Problem]:
    """Two names for one index (``index=True`` on a column and an explicit ``Index`` on it): the database
    builds and maintains it twice, and the diff cannot tell which of the two a live index is."""
    first: dict[tuple[object, ...], str] = {}
    names: set[str] = set()
    for ix in indexes:
        if ix.name in names:
            yield Problem(f"index {ix.name} on {qualname}", "is declared twice under this name, and the database "
                          "refuses the second CREATE INDEX; declare it once (index=True on a column and an explicit "
                          "Index on it declare it twice).", table, ix.name)
            continue
        names.add(ix.name)
        if not ix.elements:
            continue
        seen = first.setdefault(_signature(ix), ix.name)
        if seen != ix.name:
            yield Problem(f"index {ix.name} on {qualname}", f"is the same index as {seen} (same keys, method, "
                          "predicate and uniqueness under another name); declare it once (index=True on a column "
                          "and an explicit Index on it declare it twice).", table, ix.name, related=seen)


def _foreign_key(schema: Schema, t: Table, fk: ForeignKey) -> Iterator[Problem]:
    """The referenced columns must be exactly the set (in any order) of a primary key, a unique constraint or
    a unique index without predicate or expressions, as PostgreSQL and SQLite both require."""
    target = schema.table(fk.ref_schema, fk.ref_table)
    if target is None or target.partition_of is not None:
        return  # not in the schema (left out by `ignore`, or made elsewhere): not this pass's to judge
    label = f"foreign key {fk.name or '(' + ', '.join(fk.columns) + ')'} on {t.qualname}"
    name = fk.name or (fk.columns[0] if fk.columns else None)
    refs = fk.ref_columns or (target.primary_key.columns if target.primary_key else ())
    if not refs:
        yield Problem(label, f"references {target.qualname} without naming columns, and {target.qualname} has no "
                      "primary key; name the referenced columns or give it a primary key.", t.key, name)
        return
    if target.columns:
        missing = [c for c in refs if target.column(c) is None]
        if missing:
            yield Problem(label, f"references {', '.join(missing)}, which {target.qualname} does not have; "
                          "reference its existing columns.", t.key, name)
            return
    wanted = frozenset(refs)
    keys: list[tuple[frozenset[str], bool]] = []
    if target.primary_key is not None:
        keys.append((frozenset(target.primary_key.columns), target.primary_key.deferrable))
    keys += [(frozenset(u.columns), u.deferrable) for u in target.uniques]
    keys += [(frozenset(e.value for e in ix.elements), False) for ix in target.indexes
             if ix.unique and ix.where is None and ix.elements and not any(e.is_expression for e in ix.elements)]
    matching = [deferrable for cols, deferrable in keys if cols == wanted]
    shown = f"{target.qualname}({', '.join(refs)})"
    if matching and not all(matching):
        return
    if matching:
        yield Problem(label, f"references {shown}, whose only unique key is deferrable, which a foreign key cannot "
                      "use; make that key not deferrable or add a non-deferrable unique constraint on those "
                      "columns.", t.key, name)
        return
    yield Problem(label, f"references {shown}, which has no primary key or unique constraint on exactly those "
                  "columns; add one (a unique constraint or unique index without a WHERE clause) or reference "
                  "the key it has.", t.key, name)

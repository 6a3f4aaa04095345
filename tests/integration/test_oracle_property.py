"""Random SQLAlchemy schemas and random edits of them, through the oracle on real databases.

Hypothesis draws a small plain description (tables of typed columns with uniques, indexes,
foreign keys to earlier tables and server defaults) and an edit of it; both become MetaData,
and the oracle checks create → seed → up → down on the live server.  One database per test,
reset between examples.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import mysql, postgresql
from tests.oracle import run_oracle, schema_from

from safeshift.dialects import dialect_for_url
from safeshift.renames import RenameHints

TypeFactory = Callable[[], Any]

#: type key -> (factory, a server default that suits it or None, the wider type it may become)
COMMON: dict[str, tuple[TypeFactory, Any, str | None]] = {
    "smallint": (sa.SmallInteger, "7", "int"),
    "int": (sa.Integer, "0", "bigint"),
    "bigint": (sa.BigInteger, "1", None),
    "varchar20": (lambda: sa.String(20), "x", "varchar80"),
    "varchar80": (lambda: sa.String(80), "y", "text"),
    "text": (sa.Text, "z", None),
    "bool": (sa.Boolean, sa.false(), None),
    "numeric": (lambda: sa.Numeric(10, 2), "0", "numeric_wide"),
    "numeric_wide": (lambda: sa.Numeric(14, 2), "0", None),
    "date": (sa.Date, None, None),
    "datetime": (sa.DateTime, sa.func.now(), None),
}
PG_ONLY: dict[str, tuple[TypeFactory, Any, str | None]] = {
    "jsonb": (postgresql.JSONB, sa.text("'{}'::jsonb"), None),
    "uuid": (sa.Uuid, None, None),
    "int_array": (lambda: postgresql.ARRAY(sa.Integer), None, None),
}
MYSQL_ONLY: dict[str, tuple[TypeFactory, Any, str | None]] = {
    "uint": (lambda: mysql.INTEGER(unsigned=True), "3", "ubigint"),
    "ubigint": (lambda: mysql.BIGINT(unsigned=True), "4", None),
    "double": (sa.Double, "1.5", None),
    "json": (sa.JSON, None, None),
    "stamp": (mysql.TIMESTAMP, sa.text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"), None),
}
ALL_TYPES = {**COMMON, **PG_ONLY}
#: every type key a strategy may meet (MySQL's own only in MySQL's draws)
KNOWN = {**ALL_TYPES, **MYSQL_ONLY}
NOT_UNIQUE = {"bool", "jsonb", "int_array"}


@dataclass(frozen=True)
class ColSpec:
    name: str
    type: str
    nullable: bool = True
    default: bool = False
    unique: bool = False
    index: bool = False
    fk_to: str | None = None


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[ColSpec, ...]


Spec = tuple[TableSpec, ...]


def metadata(spec: Spec, types: dict[str, tuple[TypeFactory, Any, str | None]]) -> sa.MetaData:
    md = sa.MetaData()
    for t in spec:
        cols: list[Any] = [sa.Column("id", sa.Integer, primary_key=True)]
        for c in t.columns:
            factory, default, _ = types[c.type]
            args: list[Any] = [sa.ForeignKey(f"{c.fk_to}.id")] if c.fk_to else []
            server_default = None
            if c.default and default is not None:
                server_default = default
            cols.append(sa.Column(c.name, factory(), *args, nullable=c.nullable, unique=c.unique or None,
                                  server_default=server_default))
        table = sa.Table(t.name, md, *cols)
        for c in t.columns:
            if c.index:
                sa.Index(f"ix_{t.name}_{c.name}", table.c[c.name])
    return md


# -- strategies --------------------------------------------------------------------------------

def _col(draw: st.DrawFn, name: str, types: list[str], parents: list[str], *, fresh: bool = False,
         keyless: frozenset[str] = NOT_UNIQUE, unindexed: frozenset[str] = frozenset()) -> ColSpec:
    if parents and draw(st.integers(0, 4)) == 0:
        return ColSpec(name, "int", nullable=True, fk_to=draw(st.sampled_from(parents)),
                       index=draw(st.booleans()))
    typ = draw(st.sampled_from(types))
    nullable = draw(st.booleans())
    default = draw(st.booleans())
    if fresh and not nullable:  # a NOT NULL column added to a filled table needs a default
        default = True
        nullable = KNOWN[typ][1] is None
    unique = not fresh and typ not in keyless and draw(st.integers(0, 5)) == 0
    index = typ not in unindexed and draw(st.integers(0, 4)) == 0
    return ColSpec(name, typ, nullable=nullable, default=default, unique=unique, index=index)


@st.composite
def specs(draw: st.DrawFn, types: list[str], keyless: frozenset[str] = NOT_UNIQUE,
          unindexed: frozenset[str] = frozenset()) -> Spec:
    out: list[TableSpec] = []
    for ti in range(draw(st.integers(1, 4))):
        cols = tuple(_col(draw, f"c{ci}", types, [t.name for t in out], keyless=keyless, unindexed=unindexed)
                     for ci in range(draw(st.integers(1, 6))))
        out.append(TableSpec(f"t{ti}", cols))
    return tuple(out)


@st.composite
def mutations(draw: st.DrawFn, spec: Spec, types: list[str], keyless: frozenset[str] = NOT_UNIQUE,
              unindexed: frozenset[str] = frozenset(), wider: dict[str, str | None] | None = None) -> Spec:
    """One to three edits of ``spec``: ``keyless`` types never get a unique key and ``unindexed`` ones no index
    (MySQL cannot key a TEXT column without a prefix); ``wider`` overrides what a type may widen to."""
    tables = list(spec)
    names = itertools.count()
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(("add_table", "drop_table", "add_col", "drop_col", "widen", "null",
                                   "index", "unique", "fk")))
        if op == "add_table" or not tables:
            name = f"n{next(names)}"
            parents = [t.name for t in tables]
            tables.append(TableSpec(name, tuple(_col(draw, f"c{k}", types, parents, keyless=keyless,
                                                     unindexed=unindexed)
                                                for k in range(draw(st.integers(1, 4))))))
            continue
        i = draw(st.integers(0, len(tables) - 1))
        t = tables[i]
        cols = list(t.columns)
        if op == "drop_table":
            gone = tables.pop(i).name
            tables = [replace(x, columns=tuple(replace(c, fk_to=None) if c.fk_to == gone else c
                                                for c in x.columns)) for x in tables]
            continue
        if op == "add_col":
            parents = [x.name for x in tables[:i]]
            cols.append(_col(draw, f"a{next(names)}", types, parents, fresh=True, keyless=keyless,
                             unindexed=unindexed))
        elif op == "drop_col" and cols:
            cols.pop(draw(st.integers(0, len(cols) - 1)))
        elif old := [j for j, c in enumerate(cols) if not c.name.startswith("a")]:
            j = draw(st.sampled_from(old))  # columns of A: seeded non-null and distinct
            c = cols[j]
            if op == "widen":
                to = (wider or {}).get(c.type, KNOWN[c.type][2])
                if to and c.fk_to is None and not (to in keyless and c.unique) and not (to in unindexed and c.index):
                    cols[j] = replace(c, type=to)
            elif op == "null":
                cols[j] = replace(c, nullable=not c.nullable)
            elif op == "index" and c.type not in unindexed:
                cols[j] = replace(c, index=not c.index)
            elif op == "unique" and c.type not in keyless:
                cols[j] = replace(c, unique=not c.unique)
            elif op == "fk" and i > 0 and c.type == "int" and c.fk_to is None:
                cols[j] = replace(c, fk_to=tables[draw(st.integers(0, i - 1))].name)
        tables[i] = replace(t, columns=tuple(cols))
    return tuple(tables)


def dropped_hints(a: Spec, b: Spec, schema: str) -> RenameHints:
    """Everything that disappears is really dropped: the property test never renames."""
    new = {t.name: {c.name for c in t.columns} for t in b}
    gone: set[tuple[str, ...]] = set()
    for t in a:
        if t.name not in new:
            gone.add(("table", schema, t.name))
            continue
        gone |= {("column", schema, t.name, c.name) for c in t.columns if c.name not in new[t.name]}
    return RenameHints(dropped=frozenset(gone))


@st.composite
def pairs(draw: st.DrawFn, types: list[str], keyless: frozenset[str] = NOT_UNIQUE,
          unindexed: frozenset[str] = frozenset(), wider: dict[str, str | None] | None = None) -> tuple[Spec, Spec]:
    a = draw(specs(types, keyless, unindexed))
    return a, draw(mutations(a, types, keyless, unindexed, wider))


PROPERTY = settings(max_examples=int(os.environ.get("SAFESHIFT_PROPERTY_EXAMPLES", "25")), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _check(url: str, pair: tuple[Spec, Spec], types: dict[str, tuple[TypeFactory, Any, str | None]]) -> None:
    a_spec, b_spec = pair
    dialect = dialect_for_url(url)
    a = schema_from(metadata(a_spec, types), dialect)
    b = schema_from(metadata(b_spec, types), dialect)
    hints = dropped_hints(a_spec, b_spec, dialect.default_schema)
    # a dropped table or column comes back empty on down, which filled neighbours may not accept
    run_oracle(url, a, b, hints=hints, empty_before_down=bool(hints.dropped))


def _reset_pg(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
            "AND nspname NOT IN ('information_schema', 'public')").fetchall()
        for (name,) in rows:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.mark.postgres
def test_random_changes_on_postgres(pg_url: str) -> None:
    @PROPERTY
    @given(pairs(sorted(ALL_TYPES)))
    def run(pair: tuple[Spec, Spec]) -> None:
        _reset_pg(pg_url)
        _check(pg_url, pair, ALL_TYPES)

    run()


@pytest.mark.sqlite
def test_random_changes_on_sqlite(sqlite_url: str) -> None:
    files = itertools.count()
    base = sqlite_url.removesuffix(".db")

    @PROPERTY
    @given(pairs(sorted(COMMON)))
    def run(pair: tuple[Spec, Spec]) -> None:
        _check(f"{base}_{next(files)}.db", pair, COMMON)

    run()

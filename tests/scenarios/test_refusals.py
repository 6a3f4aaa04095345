"""The refusal catalogue of issue 16: one SQLAlchemy model per kind of schema the database cannot build, on
every backend it applies to.  Each case proves both halves: the validation pass refuses the model with
the sentence expected, and the database itself really refuses what ``create_all`` makes of it (SQLite's
foreign keys only when checked, as the runner does after a migration) — except an index declared twice,
which a database builds twice without a word and the issue refuses all the same.  A ``Scenario`` of the
oracle describes a change that must apply, so refusals are listed here instead."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from safeshift.dialects import dialect_for_url
from safeshift.sources.sqlalchemy import schema_from_metadata
from safeshift.validate import validate
from tests.oracle import ALL, PG


@dataclass(frozen=True)
class Refusal:
    name: str
    build: Callable[[sa.MetaData], object]
    #: a fragment of the one sentence expected
    said: str
    backends: tuple[str, ...] = ALL
    #: the database refuses create_all's DDL too (False: it builds it, and safeshift refuses anyway)
    database_refuses: bool = True


def _parent(md: sa.MetaData, *extra: object) -> sa.Table:
    return sa.Table("parents", md, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("code", sa.String(10)), sa.Column("kind", sa.Integer), *extra)


def _child(md: sa.MetaData, *targets: str) -> sa.Table:
    cols = [sa.Column(t.split(".")[1], sa.String(10) if t.endswith("code") else sa.Integer) for t in targets]
    return sa.Table("children", md, sa.Column("id", sa.Integer, primary_key=True), *cols,
                    sa.ForeignKeyConstraint([c.name for c in cols], list(targets), name="children_parent_fk"))


def _fk_onto(*extra: object, targets: tuple[str, ...] = ("parents.code",)) -> Callable[[sa.MetaData], object]:
    return lambda md: (_parent(md, *(e() if callable(e) else e for e in extra)), _child(md, *targets))


def _docs(column: sa.Column[object], *index_kw: object, **kw: object) -> Callable[[sa.MetaData], object]:
    return lambda md: sa.Table("docs", md, sa.Column("id", sa.Integer, primary_key=True), column._copy(),
                               sa.Index("ix_docs_c", "c", **kw))  # type: ignore[arg-type]


CATALOGUE = [
    Refusal("index_without_keys", lambda md: sa.Index("ix_empty", _table=_parent(md)),
            "index ix_empty on {s}.parents has no columns or expressions"),
    Refusal("index_declared_twice",
            lambda md: _parent(md, sa.Index("ix_a", "code"), sa.Index("ix_b", "code")),
            "index ix_b on {s}.parents is the same index as ix_a", database_refuses=False),
    Refusal("fk_onto_non_unique_column", _fk_onto(),
            "on {s}.children references {s}.parents(code), which has no primary key"),
    Refusal("fk_onto_part_of_a_unique_pair", _fk_onto(lambda: sa.UniqueConstraint("code", "kind")),
            "references {s}.parents(code), which has no primary key or unique constraint on exactly those"),
    Refusal("fk_onto_partial_unique_index",
            _fk_onto(lambda: sa.Index("ux_code", "code", unique=True, postgresql_where=sa.text("kind > 0"),
                                      sqlite_where=sa.text("kind > 0"))),
            "references {s}.parents(code), which has no primary key or unique constraint"),
    Refusal("fk_onto_deferrable_unique", _fk_onto(lambda: sa.UniqueConstraint("code", deferrable=True)),
            "whose only unique key is deferrable", backends=PG),
    Refusal("gin_on_text", _docs(sa.Column("c", sa.Text), postgresql_using="gin"),
            "has a gin key on column c of type text, which has no default gin operator class; name the operator "
            "class gin_trgm_ops (pg_trgm extension)", backends=PG),
    Refusal("gist_on_inet", _docs(sa.Column("c", postgresql.INET), postgresql_using="gist"),
            "name the built-in operator class inet_ops, or create the btree_gist extension", backends=PG),
    Refusal("gist_on_integer", _docs(sa.Column("c", sa.Integer), postgresql_using="gist"),
            "create the btree_gist extension, or use a btree index", backends=PG),
    Refusal("hash_on_json", _docs(sa.Column("c", sa.JSON), postgresql_using="hash"),
            "has a hash key on column c of type json", backends=PG),
    Refusal("unique_json", lambda md: sa.Table("docs", md, sa.Column("id", sa.Integer, primary_key=True),
                                               sa.Column("c", sa.JSON, unique=True)),
            "has a btree key on column c of type json", backends=PG),
    Refusal("extension_opclass_without_extension",
            _docs(sa.Column("c", sa.Text), postgresql_using="gin", postgresql_ops={"c": "gin_trgm_ops"}),
            "names the operator class gin_trgm_ops of the pg_trgm extension, which the schema does not create",
            backends=PG),
    Refusal("extension_type_without_extension",
            lambda md: sa.Table("docs", md, sa.Column("id", sa.Integer, primary_key=True),
                                sa.Column("c", postgresql.CITEXT)),
            "column {s}.docs.c has the type citext of the citext extension, which the schema does not create",
            backends=PG),
]


def _cases() -> list[object]:
    return [pytest.param(r, b, id=f"{r.name}-{b}") for r in CATALOGUE for b in r.backends]


@pytest.mark.parametrize(("refusal", "db_url"), _cases(), indirect=["db_url"])
def test_refusal(refusal: Refusal, db_url: str) -> None:
    md = sa.MetaData()
    refusal.build(md)
    dialect = dialect_for_url(db_url)
    problems = [p.sentence() for p in validate(schema_from_metadata(md, dialect), dialect)]
    assert len(problems) == 1 and refusal.said.format(s=dialect.default_schema) in problems[0], problems
    refused = _database_refuses(md, db_url)
    assert refused == refusal.database_refuses, f"the database {'accepted' if not refused else 'refused'} it"


def _database_refuses(md: sa.MetaData, url: str) -> bool:
    """Whether ``create_all``'s DDL fails on the database (SQLite: or its foreign-key check afterwards)."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            for table in md.sorted_tables:
                conn.execute(str(sa.schema.CreateTable(table).compile(dialect=sa.dialects.sqlite.dialect())))
                for ix in table.indexes:
                    conn.execute(str(sa.schema.CreateIndex(ix).compile(dialect=sa.dialects.sqlite.dialect())))
            conn.execute("PRAGMA foreign_key_check").fetchall()
        except sqlite3.Error:
            return True
        finally:
            conn.close()
        return False
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            with conn.transaction():
                for table in md.sorted_tables:
                    conn.execute(str(sa.schema.CreateTable(table).compile(dialect=postgresql.dialect())))
                    for ix in table.indexes:
                        conn.execute(str(sa.schema.CreateIndex(ix).compile(dialect=postgresql.dialect())))
        except psycopg.Error:
            return True
    return False

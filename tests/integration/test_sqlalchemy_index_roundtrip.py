"""Index keys and dialect-specific index arguments of SQLAlchemy models, round trip through real databases:
the metadata built by SQLAlchemy's own ``create_all`` and read back by safeshift equals the metadata converted
without a database (PostgreSQL 15 and 18, SQLite)."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from safeshift.dialects import get_dialect
from safeshift.dialects.postgres.index_keys import DEFAULT_OPCLASSES
from safeshift.engines import engine_for
from safeshift.model import Schema
from safeshift.sources.sqlalchemy import schema_from_metadata


def metadata(*, postgres: bool) -> sa.MetaData:
    md = sa.MetaData()
    t = sa.Table(
        "items", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.Text),
        sa.Column("n", sa.Integer),
        sa.Column("code", sa.String(10, collation="C" if postgres else "NOCASE")),
        sa.Column("status", sa.String(20)),
        sa.Index("items_text_desc", sa.text("n DESC")),
        sa.Index("items_text_lower", sa.text("lower(email)")),
        sa.Index("items_text_mixed", "status", sa.text("email DESC")),
    )
    sa.Index("items_asc", t.c.n.asc())
    sa.Index("items_desc", t.c.n.desc(), t.c.id)
    sa.Index("items_func_desc", sa.func.lower(t.c.email).desc())
    sa.Index("items_pg_only_partial", t.c.status, postgresql_where=t.c.status == "active")
    sa.Index("items_sqlite_only_partial", t.c.email, sqlite_where=t.c.email.is_not(None))
    sa.Index("items_mysql_args", t.c.code, mysql_length=5, mysql_using="btree")
    if postgres:
        sa.Table("docs", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", pg.JSONB),
                 sa.Column("tags", pg.ARRAY(sa.Text)),
                 sa.Index("docs_body_default_ops", "body", postgresql_using="gin",
                          postgresql_ops={"body": "jsonb_ops"}),
                 sa.Index("docs_body_path_ops", "body", postgresql_using="gin",
                          postgresql_ops={"body": "jsonb_path_ops"}),
                 sa.Index("docs_tags", "tags", postgresql_using="gin"))
        sa.Index("items_nulls_last", t.c.n.desc().nulls_last())
        # an Index of text() keys only is bound to no table by itself (in a model: __table_args__)
        sa.Index("items_nulls_first", t.c.n.nulls_first(), t.c.id.asc().nulls_last())
        t.append_constraint(sa.Index("items_text_nulls", sa.text("n NULLS FIRST")))
        sa.Index("items_collate", t.c.email.collate("C"))
        sa.Index("items_collate_own", t.c.code.collate("C"))
        t.append_constraint(sa.Index("items_collate_expr", sa.text('lower(email) COLLATE "C"')))
        sa.Index("items_ops", t.c.email, t.c.code, postgresql_ops={"email": "text_pattern_ops", "code": "text_ops"})
        sa.Index("items_ops_label", sa.func.lower(t.c.email).label("low"), postgresql_ops={"low": "text_pattern_ops"})
        t.append_constraint(sa.Index("items_ops_text", sa.text("status varchar_pattern_ops DESC")))
        sa.Index("items_include_nnd", t.c.n, unique=True, postgresql_include=["status"],
                 postgresql_nulls_not_distinct=True, postgresql_concurrently=True)
        sa.Index("items_hash", t.c.code, postgresql_using="hash")
    else:
        sa.Index("items_collate", t.c.email.collate("NOCASE"))
    return md


def _introspect(dialect_name: str, url: str) -> Schema:
    d = get_dialect(dialect_name)
    conn = engine_for(d).connect(url)
    try:
        return engine_for(d).introspect(conn)
    finally:
        conn.close()


def _indexes(schema: Schema) -> dict[str, object]:
    return {f"{t.name}.{ix.name}": ix for t in schema.tables for ix in t.indexes}


@pytest.mark.postgres
def test_create_all_on_postgres_reads_back_as_the_source(pg_url: str) -> None:
    md = metadata(postgres=True)
    # AUTOCOMMIT: postgresql_concurrently makes create_all run CREATE INDEX CONCURRENTLY
    engine = sa.create_engine("postgresql+psycopg://" + pg_url.split("://", 1)[1], isolation_level="AUTOCOMMIT")
    try:
        md.create_all(engine)
    finally:
        engine.dispose()
    want = schema_from_metadata(md, get_dialect("postgresql"))
    got = _introspect("postgresql", pg_url)
    assert len(_indexes(want)) == 23
    assert _indexes(got) == _indexes(want)
    assert "items.items_sqlite_only_partial" in _indexes(got)
    assert _indexes(got)["items.items_sqlite_only_partial"].where is None  # type: ignore[attr-defined]
    assert [t.indexes for t in got.tables] == [t.indexes for t in want.tables]


@pytest.mark.sqlite
def test_create_all_on_sqlite_reads_back_as_the_source(sqlite_url: str) -> None:
    md = metadata(postgres=False)
    engine = sa.create_engine(sqlite_url)
    try:
        md.create_all(engine)
    finally:
        engine.dispose()
    want = schema_from_metadata(md, get_dialect("sqlite"))
    got = _introspect("sqlite", sqlite_url)
    assert _indexes(got) == _indexes(want)
    assert _indexes(got)["items.items_pg_only_partial"].where is None  # type: ignore[attr-defined]
    assert _indexes(got)["items.items_sqlite_only_partial"].where == "email IS NOT NULL"  # type: ignore[attr-defined]


@pytest.mark.postgres
def test_default_operator_classes_are_the_servers(pg_url: str) -> None:
    """The static list of default operator classes is the server's own (PostgreSQL 15 and 18)."""
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT am.amname, opc.opcname FROM pg_catalog.pg_opclass opc "
            "JOIN pg_catalog.pg_am am ON am.oid = opc.opcmethod "
            "JOIN pg_catalog.pg_namespace n ON n.oid = opc.opcnamespace "
            "WHERE n.nspname = 'pg_catalog' AND opc.opcdefault").fetchall()
    server: dict[str, set[str]] = {}
    for method, name in rows:
        server.setdefault(method, set()).add(name)
    assert {m: frozenset(n) for m, n in server.items()} == DEFAULT_OPCLASSES

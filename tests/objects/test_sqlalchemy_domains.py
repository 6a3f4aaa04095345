"""SQLAlchemy's postgresql.DOMAIN is read into the model: what safeshift builds from the metadata introspects
back as the same schema, and the same as SQLAlchemy's own ``create_all`` builds, on PostgreSQL 15 and 18."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import DOMAIN, ENUM

from safeshift.dialects import get_dialect
from safeshift.diff import diff
from safeshift.engines import engine_for
from safeshift.model import make_schema
from safeshift.plan import render
from safeshift.runner import run_statements
from safeshift.sources.sqlalchemy import schema_from_metadata
from tests.objects._pair_oracle import introspect


def _metadata() -> sa.MetaData:
    md = sa.MetaData()
    mood = ENUM("happy", "sad", name="mood")
    posint = DOMAIN("posint", sa.Integer, check="VALUE > 0", constraint_name="posint_positive", not_null=True,
                    default="1")
    happy = DOMAIN("happy_mood", mood, check="VALUE = 'happy'")
    sa.Table("users", md, sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
             sa.Column("score", posint), sa.Column("scores", sa.ARRAY(posint)), sa.Column("mood", happy))
    return md


def test_domains_from_sqlalchemy_round_trip(pg_url: str) -> None:
    dialect = get_dialect("postgresql")
    declared = schema_from_metadata(_metadata(), dialect)
    assert [d.name for d in declared.domains] == ["happy_mood", "posint"]
    assert [e.name for e in declared.enums] == ["mood"]
    empty = make_schema(dialect.name)
    engine = engine_for(dialect)
    conn = engine.connect(pg_url)
    try:
        run_statements(dialect, conn, render(diff(empty, declared), empty, declared, dialect).up)
    finally:
        conn.close()
    assert diff(introspect(pg_url), declared) == []
    # and SQLAlchemy's own DDL builds the same database as the model says
    url = pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
    sa_engine = sa.create_engine(url)
    try:
        md = _metadata()
        with sa_engine.begin() as c:
            md.drop_all(c)
            for name in ("happy_mood", "posint"):
                c.exec_driver_sql(f"DROP DOMAIN IF EXISTS {name}")
            c.exec_driver_sql("DROP TYPE IF EXISTS mood")
            # SQLAlchemy creates a domain before the enum it is over: the enum first, by hand
            c.exec_driver_sql("CREATE TYPE mood AS ENUM ('happy', 'sad')")
            md.create_all(c)
    finally:
        sa_engine.dispose()
    assert diff(introspect(pg_url), declared) == []

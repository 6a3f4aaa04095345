"""What generate writes stores what the models' own tool stores: a default or CHECK the models spell
otherwise than its canonical form is rendered as the models spell it, so the catalog of a database safeshift
built is the catalog create_all builds (real applications compared with migra showed ``DEFAULT 0`` against
``'0'::smallint`` and ``ARRAY[...::text]`` against ``ARRAY[...::character varying]::text[]``), while the
comparison still sees one default and one check."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import sqlalchemy as sa

from safeshift.dialects import dialect_for_url
from safeshift.diff import diff
from safeshift.engines import engine_for
from safeshift.model import make_schema
from safeshift.plan import render
from safeshift.runner import run_statements
from safeshift.sources.sqlalchemy import schema_from_metadata

CATALOG = """
SELECT c.relname || '.' || a.attname, pg_get_expr(d.adbin, d.adrelid)
  FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
  JOIN pg_class c ON c.oid = d.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(s)s
UNION ALL
SELECT con.conname, pg_get_constraintdef(con.oid) FROM pg_constraint con
  JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname = %(s)s AND con.contype = 'c'
ORDER BY 1"""


def _models(schema: str) -> sa.MetaData:
    md = sa.MetaData(schema=schema)
    sa.Table("runs", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("waited", sa.SmallInteger, nullable=False, server_default="0"),
             sa.Column("stage", sa.String(32), server_default=sa.text("'active'")),
             sa.Column("started", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP")),
             sa.Column("budget", sa.Interval, server_default="0"),
             sa.CheckConstraint("stage IN ('active', 'deleted')", name="runs_stage"),
             sa.CheckConstraint("waited>=0", name="runs_waited"))
    return md


def test_safeshift_builds_the_catalog_create_all_builds(pg_url: str) -> None:
    dialect = dialect_for_url(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA theirs; CREATE SCHEMA ours")
    sa_engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        _models("theirs").create_all(sa_engine)
    finally:
        sa_engine.dispose()
    declared = schema_from_metadata(_models("ours"), dialect)
    empty = make_schema(dialect.name)
    conn = engine_for(dialect).connect(pg_url)
    try:
        run_statements(dialect, conn, render(diff(empty, declared), empty, declared, dialect).up)
        live = engine_for(dialect).introspect(conn, ["ours"])
    finally:
        conn.close()
    with psycopg.connect(pg_url) as c:
        theirs = [(k, v.replace("theirs.", "")) for k, v in c.execute(CATALOG, {"s": "theirs"}).fetchall()]
        ours = [(k, v.replace("ours.", "")) for k, v in c.execute(CATALOG, {"s": "ours"}).fetchall()]
    assert ours == theirs
    assert diff(live, declared) == []  # and the comparison holds them equal to the models


def test_a_changed_default_never_renders_a_stale_spelling() -> None:
    declared = schema_from_metadata(_models("public"), dialect_for_url("postgresql://x/y"))
    waited = declared.tables[0].column("waited")
    assert waited is not None and waited.default == "0" and waited.default_sql == "'0'"
    assert replace(waited, default="1").default_sql == "1"

"""Names past PostgreSQL's 63 bytes are compared as the server keeps them (its first 63 bytes, never
inside a character), so a long declared index or constraint name is no difference and no rename; a long
table or column name is refused by name, as are two names the cut would make one."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from safeshift.dialects.postgres import PostgresDialect
from safeshift.diff import diff
from safeshift.errors import SourceError, UnsupportedConstruct
from safeshift.generate import introspect_url
from safeshift.sources.names import stored_name
from safeshift.sources.sqlalchemy import schema_from_metadata

D = PostgresDialect()
LONG_INDEX = "ix_" + "measurement_" * 6 + "recorded_at"          # 86 bytes
LONG_CHECK = "ck_" + "é" * 40                                      # 83 bytes, two per character
LONG_FK = "fk_" + "readings_sensor_id_" * 4 + "sensors"              # 86 bytes


def _models() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("sensors", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("readings", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("sensor_id", sa.Integer, sa.ForeignKey("sensors.id", name=LONG_FK)),
             sa.Column("recorded_at", sa.DateTime), sa.Column("value", sa.Integer),
             sa.CheckConstraint("value > 0", name=LONG_CHECK), sa.Index(LONG_INDEX, "recorded_at"))
    return md


def test_the_cut_keeps_whole_characters() -> None:
    assert stored_name(LONG_CHECK, 63) == "ck_" + "é" * 30
    assert len(stored_name(LONG_INDEX, 63).encode()) == 63
    assert stored_name("short", 63) == "short"


def test_long_declared_names_match_what_the_server_kept(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:  # as a migration written in SQL creates them
        conn.execute(f"""
            CREATE TABLE sensors (id serial PRIMARY KEY);
            CREATE TABLE readings (id serial PRIMARY KEY,
                sensor_id integer CONSTRAINT "{LONG_FK}" REFERENCES sensors (id),
                recorded_at timestamp, value integer CONSTRAINT "{LONG_CHECK}" CHECK (value > 0));
            CREATE INDEX "{LONG_INDEX}" ON readings (recorded_at);""")
    live = introspect_url(D, pg_url)
    declared = schema_from_metadata(_models(), D)
    assert diff(live, declared) == []
    assert {i.name for i in declared.table("public", "readings").indexes} == {stored_name(LONG_INDEX, 63)}


def test_a_long_table_name_is_refused_by_name() -> None:
    md = sa.MetaData()
    sa.Table("t" * 64, md, sa.Column("id", sa.Integer, primary_key=True))
    with pytest.raises(UnsupportedConstruct, match=r"table t+ uses a name longer than 63 bytes.*shorter name"):
        schema_from_metadata(md, D)


def test_two_names_one_once_cut_are_refused() -> None:
    md = sa.MetaData()
    t = sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.Integer),
                 sa.Column("b", sa.Integer))
    sa.Index("ix_" + "x" * 70 + "_a", t.c.a)
    sa.Index("ix_" + "x" * 70 + "_b", t.c.b)
    with pytest.raises(SourceError, match=r"table public.t: two index or constraint names become one .* once the database cuts them to 63 bytes"):
        schema_from_metadata(md, D)

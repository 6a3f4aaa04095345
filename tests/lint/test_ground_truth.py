"""The rules' claims checked against real PostgreSQL (15 and 18): rewrites, and statements that fail.

A rule that says "rewrites the table" must match a changed relfilenode; one that says
"instant" must not; a rule that says "fails on existing data" must really fail.
"""

from __future__ import annotations

import psycopg
import pytest

from safeshift.dialects.postgres.safe import rewrites
from safeshift.dialects.postgres.types import binary_compatible, parse_type
from safeshift.lint import review_sql

TYPE_PAIRS = [
    ("character varying(10)", "character varying(20)"),
    ("character varying(20)", "text"),
    ("text", "character varying"),
    ("numeric(10,2)", "numeric(12,2)"),
    ("integer", "bigint"),
    ("text", "integer"),
    ("numeric(10,2)", "numeric(10,4)"),
    ("timestamp(3) without time zone", "timestamp(6) without time zone"),
    ("timestamp(6) without time zone", "timestamp(3) without time zone"),
    ("timestamp(3) with time zone", "timestamp with time zone"),
    ("time(2) without time zone", "time(4) without time zone"),
    ("interval(3)", "interval(6)"),
    ("character varying(10)[]", "text[]"),
    ("bit varying(5)", "bit varying(10)"),
]


def _relfilenode(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute("SELECT relfilenode FROM pg_class WHERE oid = %s::regclass", (table,)).fetchone()
    assert row is not None
    return int(row[0])


def _rewrites(conn: psycopg.Connection, setup: str, change: str) -> bool:
    conn.execute("DROP TABLE IF EXISTS t")
    conn.execute(setup)
    before = _relfilenode(conn, "t")
    conn.execute(change)
    return _relfilenode(conn, "t") != before


def _fails(conn: psycopg.Connection, sql: str) -> bool:
    try:
        conn.execute(sql)
    except psycopg.Error:
        return True
    return False


def test_rules_match_postgres(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for old, new in TYPE_PAIRS:
            ot, nt = parse_type(old), parse_type(new)
            assert ot is not None and nt is not None
            value = ("'{a}'" if old.endswith("[]") else "B'101'" if old.startswith("bit") else "now()"
                     if old.startswith(("timestamp", "time")) else "'1 hour'" if old.startswith("interval")
                     else "'1'" if "char" in old or old == "text" else "1")
            rewrote = _rewrites(conn, f"CREATE TABLE t (c {old}); INSERT INTO t VALUES ({value})",
                                f"ALTER TABLE t ALTER COLUMN c TYPE {new} USING c::{new}"
                                if old == "text" and new == "integer" else f"ALTER TABLE t ALTER COLUMN c TYPE {new}")
            assert rewrote == (not binary_compatible(ot, nt)), f"{old} -> {new}: rewrote={rewrote}"
            assert rewrote == rewrites(old, new), f"generate's verdict on {old} -> {new}: rewrote={rewrote}"

        # adding-field-with-default: volatile defaults rewrite, stable and constant ones do not
        for default, flagged in (("gen_random_uuid()", True), ("now()", False), ("'x'", False)):
            column_type = "uuid" if "uuid" in default else "timestamptz" if "now" in default else "text"
            sql = f"ALTER TABLE t ADD COLUMN d {column_type} DEFAULT {default}"
            rewrote = _rewrites(conn, "CREATE TABLE t (id int); INSERT INTO t VALUES (1)", sql)
            assert rewrote == flagged
            assert ("adding-field-with-default" in {f.rule for f in review_sql(sql + ";")}) == flagged

        # rules that say the statement fails on existing data, or inside a transaction
        conn.execute("DROP TABLE IF EXISTS t")
        conn.execute("CREATE TABLE t (id int, name text); INSERT INTO t VALUES (1, 'a very long name'), (1, 'x')")
        failing = {
            "adding-required-field": "ALTER TABLE t ADD COLUMN flag boolean NOT NULL",
            "narrowing-type-change": "ALTER TABLE t ALTER COLUMN name TYPE varchar(5)",
            "type-cast-can-fail": "ALTER TABLE t ALTER COLUMN name TYPE integer USING name::integer",
            "unique-on-existing-data": "CREATE UNIQUE INDEX t_id_key ON t (id)",
            "duplicate-column-assignment": "UPDATE t SET name = 'a', name = 'b' WHERE id = 1",
        }
        for rule, sql in failing.items():
            assert rule in {f.rule for f in review_sql(sql + ";")}, rule
            assert _fails(conn, sql), f"{rule}: {sql} did not fail"
        with conn.transaction():
            sql = "CREATE INDEX CONCURRENTLY t_name_idx ON t (name)"
            assert "concurrently-in-transaction" in {f.rule for f in review_sql(sql + ";", in_transaction=True)}
            with pytest.raises(psycopg.errors.ActiveSqlTransaction):
                conn.execute(sql)
            raise psycopg.Rollback()

import sqlite3

import psycopg


def test_pg_url_is_fresh(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        n = conn.execute("select count(*) from pg_tables where schemaname='public'").fetchone()
        assert n == (0,)


def test_sqlite_url(sqlite_url: str) -> None:
    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    assert conn.execute("select count(*) from sqlite_master").fetchone() == (0,)

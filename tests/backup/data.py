"""Test data for the backup tests: real schemas with an enum, a sequence, several tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg


def pg_schema(rows: int) -> str:
    """An enum, a standalone sequence, three related tables holding ``rows`` rows in all, an empty table."""
    customers = max(1, rows // 10)
    items = max(1, rows // 5)
    orders = max(1, rows - customers - items)
    return f"""
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE SEQUENCE ticket_seq START 100;
CREATE TABLE customer (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, mood mood,
                       joined timestamptz DEFAULT '2024-01-01 00:00+00');
CREATE TABLE orders (id serial PRIMARY KEY, customer_id bigint REFERENCES customer(id),
                     amount numeric(10, 2), note text, ticket bigint DEFAULT nextval('ticket_seq'));
CREATE TABLE item (order_id int, line int, sku text, qty real, PRIMARY KEY (order_id, line));
CREATE INDEX orders_customer ON orders (customer_id);
INSERT INTO customer (name, mood)
  SELECT 'c' || g, (ARRAY['sad','ok','happy']::mood[])[1 + g % 3] FROM generate_series(1, {customers}) g;
INSERT INTO orders (customer_id, amount, note)
  SELECT 1 + g % {customers}, g / 7.0, CASE WHEN g % 5 = 0 THEN NULL ELSE 'n' || g END
  FROM generate_series(1, {orders}) g;
INSERT INTO item SELECT g, g % 3, md5(g::text), g / 3.0 FROM generate_series(1, {items}) g;
CREATE TABLE empty_one (x int);
"""


def populate_pg(url: str, rows: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(pg_schema(rows))
        conn.execute("ANALYZE")


def populate_sqlite(url: str, rows: int) -> None:
    path = Path(url.removeprefix("sqlite:///"))
    conn = sqlite3.connect(path)
    try:
        conn.executescript(
            "CREATE TABLE customer (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, mood TEXT "
            "CHECK (mood IN ('sad', 'ok', 'happy')));"
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer(id), "
            "amount REAL, note TEXT);"
            "CREATE TABLE item (order_id INTEGER, line INTEGER, sku TEXT, qty REAL, PRIMARY KEY (order_id, line)) "
            "WITHOUT ROWID;"
            "CREATE INDEX orders_customer ON orders (customer_id);"
            "CREATE TABLE empty_one (x INTEGER);"
        )
        customers = max(1, rows // 10)
        items = max(1, rows // 5)
        orders = max(1, rows - customers - items)
        moods = ("sad", "ok", "happy")
        conn.executemany("INSERT INTO customer (name, mood) VALUES (?, ?)",
                         ((f"c{i}", moods[i % 3]) for i in range(customers)))
        conn.executemany("INSERT INTO orders (customer_id, amount, note) VALUES (?, ?, ?)",
                         ((1 + i % customers, i / 7, None if i % 5 == 0 else f"n{i}") for i in range(orders)))
        conn.executemany("INSERT INTO item VALUES (?, ?, ?, ?)", ((i, i % 3, f"s{i}", i / 3) for i in range(items)))
        conn.commit()
    finally:
        conn.close()


def populate(url: str, rows: int) -> None:
    if url.startswith("sqlite"):
        populate_sqlite(url, rows)
    else:
        populate_pg(url, rows)

#!/usr/bin/env python3
"""Introspection time of a 1,000-table PostgreSQL schema, in-process, for the safeshift this interpreter imports.

Builds the schema once (database ``intro_bench`` on 127.0.0.1:5432: 1,000 tables of 20 columns, a bigserial
key, an index and a foreign key each) and times ``introspect`` on 10 fresh connections, printing the best
and the median.  To compare two checkouts side by side, run this file with each checkout's interpreter in
turn, several times, e.g. ``(cd OLD && .venv/bin/python NEW/bench/introspect_time.py)`` then
``(cd NEW && .venv/bin/python bench/introspect_time.py)``: the script works with checkouts from before the
engine registry, when the dialect connected and introspected itself.
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
URL = "postgresql://postgres@127.0.0.1:5432/intro_bench"


def build(tables: int) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = 'intro_bench'").fetchone():
            return
        conn.execute("CREATE DATABASE intro_bench")
    parts = []
    for i in range(tables):
        cols = ", ".join(f"c{j} {('integer', 'text', 'timestamptz')[j % 3]}" + (" NOT NULL DEFAULT 0" if j == 3 else "")
                         for j in range(18))
        ref = f"parent_id bigint REFERENCES t{i - 1}(id)" if i else "parent_id bigint"
        parts.append(f"CREATE TABLE t{i} (id bigserial PRIMARY KEY, {ref}, {cols}); CREATE INDEX t{i}_c1 ON t{i} (c1);")
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("\n".join(parts))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    build(args.tables)
    from safeshift.dialects import get_dialect

    dialect = get_dialect("postgresql")
    try:
        from safeshift.engines import engine_for

        live = engine_for(dialect)
    except ImportError:  # before the engine registry the dialect delegated to its engine
        live = dialect  # type: ignore[assignment]
    times = []
    for _ in range(args.repeat):
        conn = live.connect(URL)
        start = time.perf_counter()
        schema = live.introspect(conn)
        times.append(time.perf_counter() - start)
        conn.close()
    print(f"introspect best {min(times) * 1000:.0f} ms median {statistics.median(times) * 1000:.0f} ms "
          f"({len(schema.tables)} tables)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""backup and restore overhead: ``safeshift backup`` / ``safeshift restore`` vs plain pg_dump / pg_restore.

One PostgreSQL database with 1,000,000 rows over three tables (an enum, a sequence, a foreign
key and secondary indexes) is built once, untimed.  Then, interleaved, ``--repeat`` times each:

- pg_dump:            ``pg_dump -Fc -f FILE -d URL`` with the same binary safeshift picks
- safeshift backup:   ``safeshift backup --url URL --dir DIR`` (the console script, end to end:
  version and size checks, the dump, ``pg_restore --list``, sha256, manifest, rename)
- pg_restore:         ``pg_restore --no-owner --no-acl --exit-on-error --single-transaction -d URL FILE``
  into a freshly created empty database (created untimed)
- safeshift restore:  ``safeshift restore FILE --into URL`` into a freshly created empty database
  (sha256 check against the manifest, ``pg_restore --list``, emptiness check, the same pg_restore)

Wall time is the median of the repeats; the targets (issue 5) are safeshift/plain <= 1.05 for both.
Run: ``.venv/bin/python bench/backup_overhead.py [--rows N] [--repeat K]``; needs PostgreSQL on
127.0.0.1:5432 (user postgres), or ``BENCH_PG_ADMIN``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import uuid
from pathlib import Path

import psycopg

from _measure import Measure, run_measured

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "backup_overhead"
VENV_BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
TARGET = 1.05


def _url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def create_empty() -> tuple[str, str]:
    name = f"bench_bk_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, _url(name)


def drop(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def populate(url: str, rows: int) -> None:
    """customers (10%), orders (80%, FK to customers), events (10%); ~``rows`` rows in all."""
    c, o = rows // 10, rows * 8 // 10
    e = rows - c - o
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"""
            CREATE TYPE status AS ENUM ('new', 'paid', 'shipped', 'returned');
            CREATE SEQUENCE invoice_seq START 1000;
            CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, name text,
                                    created_at timestamptz NOT NULL DEFAULT now());
            CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers(id),
                                 status status NOT NULL DEFAULT 'new', amount numeric(12, 2), note text,
                                 invoice bigint DEFAULT nextval('invoice_seq'));
            CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind text, payload jsonb);
            INSERT INTO customers SELECT g, 'user' || g || '@example.com', 'name ' || g,
                   now() - g * interval '1 minute' FROM generate_series(1, {c}) g;
            INSERT INTO orders (customer_id, status, amount, note)
                   SELECT 1 + g % {c}, (ARRAY['new','paid','shipped','returned']::status[])[1 + g % 4],
                          (g % 100000) / 100.0, CASE WHEN g % 3 = 0 THEN NULL ELSE md5(g::text) END
                   FROM generate_series(1, {o}) g;
            INSERT INTO events (kind, payload) SELECT 'k' || (g % 20), jsonb_build_object('n', g, 'ok', g % 2 = 0)
                   FROM generate_series(1, {e}) g;
            CREATE INDEX orders_customer_idx ON orders (customer_id);
            CREATE INDEX orders_status_idx ON orders (status);
            CREATE INDEX events_kind_idx ON events (kind);
            ANALYZE;
        """)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from safeshift.backup import find_pg_tool

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    src_name, src = create_empty()
    populate(src, args.rows)
    with psycopg.connect(src) as conn:
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000  # type: ignore[index]
        size = int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])  # type: ignore[index]
    pg_dump, pg_restore = str(find_pg_tool("pg_dump", major)), str(find_pg_tool("pg_restore", major))
    safeshift = str(VENV_BIN / "safeshift")
    env = {"SAFESHIFT_ENV": "development"}
    times: dict[str, list[Measure]] = {k: [] for k in ("pg_dump", "safeshift backup", "pg_restore",
                                                          "safeshift restore")}
    plain_dump = WORK / "plain.dump"
    made: Path | None = None
    try:
        for i in range(args.repeat):
            order = ("plain", "safeshift") if i % 2 == 0 else ("safeshift", "plain")
            for who in order:
                if who == "plain":
                    plain_dump.unlink(missing_ok=True)
                    times["pg_dump"].append(run_measured([pg_dump, "-Fc", "-f", str(plain_dump), "-d", src], WORK))
                else:
                    dest = WORK / f"backups{i}"
                    times["safeshift backup"].append(
                        run_measured([safeshift, "backup", "--url", src, "--dir", str(dest)], WORK, env))
                    made = next(dest.glob("*.dump"))
            assert made is not None
            for who in order:
                name, url = create_empty()
                try:
                    if who == "plain":
                        times["pg_restore"].append(run_measured(
                            [pg_restore, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
                             "-d", url, str(plain_dump)], WORK))
                    else:
                        times["safeshift restore"].append(
                            run_measured([safeshift, "restore", str(made), "--into", url], WORK, env))
                    with psycopg.connect(url) as conn:
                        n = conn.execute("SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM orders)"
                                         " + (SELECT count(*) FROM events)").fetchone()[0]  # type: ignore[index]
                    assert n == args.rows, f"{who} restore holds {n} rows, not {args.rows}"
                finally:
                    drop(name)
    finally:
        drop(src_name)
    med = {k: statistics.median(m.seconds for m in v) for k, v in times.items()}
    ratios = {"backup": med["safeshift backup"] / med["pg_dump"],
              "restore": med["safeshift restore"] / med["pg_restore"]}
    result = {"rows": args.rows, "database_bytes": size, "server_major": major, "repeat": args.repeat,
              "median_s": med, "all_s": {k: [round(m.seconds, 3) for m in v] for k, v in times.items()},
              "ratios": ratios}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"backup/restore of {args.rows:,} rows ({size / 2**20:.0f} MB database, PostgreSQL {major}); "
          f"median of {args.repeat}, interleaved")
    for k, v in times.items():
        print(f"  {k:<18}{med[k]:>8.3f} s   runs: {', '.join(f'{m.seconds:.3f}' for m in v)}")
    for k, r in ratios.items():
        print(f"  {k} overhead: safeshift / plain = {r:.3f}  {'PASS' if r <= TARGET else 'FAIL'} (target <= {TARGET})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

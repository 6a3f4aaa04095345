#!/usr/bin/env python3
"""backup and restore overhead: ``safeshift backup`` / ``safeshift restore`` vs plain pg_dump / pg_restore.

One PostgreSQL database with 1,000,000 rows over three tables (an enum, a sequence, a foreign
key and secondary indexes) is built once, untimed.  Then, interleaved, ``--repeat`` times each:

- pg_dump:                 ``pg_dump -Fc -f FILE -d URL`` (pg_dump's defaults, as the runbook has it),
  with the same binary safeshift picks
- pg_dump -Z1:             the same with safeshift's compression level, to isolate safeshift's own cost
- safeshift backup:        ``safeshift backup --url URL --dir DIR`` (the console script, end to end:
  version and size probe, free-disk check, the dump, ``pg_restore --list``, sha256, manifest, rename)
- pg_restore:              ``pg_restore --no-owner --no-acl -d URL FILE`` (its defaults) of that dump
- pg_restore -jN:          the same with safeshift's default workers, to isolate safeshift's own cost
- safeshift restore:       ``safeshift restore FILE --into URL`` of safeshift's dump (sha256 against the
  manifest, emptiness check, pg_restore with the default workers)

safeshift runs as an installed copy does, with its bytecode cached: an untimed step compiles
the package (into src/safeshift/__pycache__, ignored by git), as pip does at install time.  This
workplace sets PYTHONDONTWRITEBYTECODE, under which an editable checkout recompiles every
module it imports on every run; ``--no-bytecode`` times it that way instead (it removes the
package's __pycache__ folders first).

Every restore goes into a freshly created empty database (created untimed) and is checked for
all its rows.  Wall time is the median of the repeats.  Targets (issue 5): safeshift / plain
<= 1.05 for both.  Two ratios are printed for each: against the plain tool with its defaults
(what a user of the manual runbook runs) and against the plain tool with safeshift's flags
(safeshift's fixed cost alone: Python start-up, the probe connection, the checks).
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

from _measure import Measure, bytecode_env, run_measured

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
    ap.add_argument("--no-bytecode", action="store_true", help="run safeshift without cached bytecode")
    args = ap.parse_args()

    from safeshift.engines.postgres.backup import COMPRESS_LEVEL
    from safeshift.engines.postgres.tools import find_pg_tool

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    src_name, src = create_empty()
    populate(src, args.rows)
    with psycopg.connect(src) as conn:
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000  # type: ignore[index]
        size = int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])  # type: ignore[index]
    pg_dump, pg_restore = str(find_pg_tool("pg_dump", major)), str(find_pg_tool("pg_restore", major))
    workers = max(1, min(4, os.cpu_count() or 1))
    safeshift = str(VENV_BIN / "safeshift")
    env = {**(os.environ if args.no_bytecode else bytecode_env()), "SAFESHIFT_ENV": "development"}
    from safeshift import __file__ as package_init

    package = Path(package_init).parent
    if args.no_bytecode:  # none read either: compiled from source on every run
        for cache in package.rglob("__pycache__"):
            shutil.rmtree(cache)
    else:  # what pip does at install time
        run_measured([sys.executable, "-m", "compileall", "-q", str(package)], WORK, env, replace_env=True)
    dumps = {"pg_dump": ["-Fc"], "pg_dump -Z1": ["-Fc", f"-Z{COMPRESS_LEVEL}"]}
    restores = {"pg_restore": [], f"pg_restore -j{workers}": ["-j", str(workers)]}
    times: dict[str, list[Measure]] = {k: [] for k in (*dumps, "safeshift backup", *restores, "safeshift restore")}
    plain_dump = WORK / "plain.dump"
    restore_input = WORK / "restore_input.dump"  # what the plain restores read: pg_dump's default output
    made: Path | None = None
    try:
        run_measured([pg_dump, "-Fc", "-f", str(restore_input), "-d", src], WORK)
        for i in range(args.repeat):
            tools = [*dumps, "safeshift backup"]
            for who in tools if i % 2 == 0 else reversed(tools):
                if who in dumps:
                    plain_dump.unlink(missing_ok=True)
                    times[who].append(run_measured([pg_dump, *dumps[who], "-f", str(plain_dump), "-d", src], WORK))
                else:
                    dest = WORK / f"backups{i}"
                    times[who].append(run_measured([safeshift, "backup", "--url", src, "--dir", str(dest)], WORK, env,
                                                    replace_env=True))
                    made = next(dest.glob("*.dump"))
            assert made is not None
            tools = [*restores, "safeshift restore"]
            for who in tools if i % 2 == 0 else reversed(tools):
                name, url = create_empty()
                try:
                    if who in restores:
                        times[who].append(run_measured(
                            [pg_restore, "--no-owner", "--no-acl", *restores[who], "-d", url, str(restore_input)], WORK))
                    else:
                        times[who].append(run_measured([safeshift, "restore", str(made), "--into", url], WORK, env,
                                                        replace_env=True))
                    with psycopg.connect(url) as conn:
                        n = conn.execute("SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM orders)"
                                         " + (SELECT count(*) FROM events)").fetchone()[0]  # type: ignore[index]
                    assert n == args.rows, f"{who} restore holds {n} rows, not {args.rows}"
                finally:
                    drop(name)
    finally:
        drop(src_name)
    med = {k: statistics.median(m.seconds for m in v) for k, v in times.items()}
    ratios = {"backup / pg_dump (defaults)": med["safeshift backup"] / med["pg_dump"],
              "backup / pg_dump -Z1 (same flags)": med["safeshift backup"] / med["pg_dump -Z1"],
              "restore / pg_restore (defaults)": med["safeshift restore"] / med["pg_restore"],
              f"restore / pg_restore -j{workers} (same flags)": med["safeshift restore"] / med[f"pg_restore -j{workers}"]}
    result = {"rows": args.rows, "database_bytes": size, "server_major": major, "repeat": args.repeat,
              "bytecode": not args.no_bytecode,
              "median_s": med, "all_s": {k: [round(m.seconds, 3) for m in v] for k, v in times.items()},
              "ratios": ratios}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"backup/restore of {args.rows:,} rows ({size / 2**20:.0f} MB database, PostgreSQL {major}); "
          f"median of {args.repeat}, interleaved; safeshift {'without' if args.no_bytecode else 'with'} cached bytecode")
    for k, v in times.items():
        print(f"  {k:<20}{med[k]:>8.3f} s   runs: {', '.join(f'{m.seconds:.3f}' for m in v)}")
    for k, r in ratios.items():
        print(f"  safeshift {k:<40} {r:.3f}  {'PASS' if r <= TARGET else 'FAIL'} (target <= {TARGET})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""apply overhead: 500 small migrations onto an empty PostgreSQL database, side by side.

Every tool runs the same SQL: migration i creates table ``t<i>`` and one index on it (two
statements).  Each repeat of each tool gets a freshly created database (untimed), and the
timed part is the whole process, interpreter or runtime start-up included:

- safeshift CLI:  ``.venv/bin/safeshift migrate --url URL --yes``, one transaction per migration;
  also with ``--atomic`` (all in one transaction, as drizzle's migrator and Alembic's default do).
  The console script, because ``python -m safeshift`` needs a ``safeshift/__main__.py``
- safeshift API:  ``safeshift.migrate(url, folder)`` in a fresh Python process; the call's own
  in-process time is reported beside it
- psql:           ``psql -X -q -v ON_ERROR_STOP=1 -f all.sql`` of the same SQL concatenated:
  plain (autocommit per statement), each migration wrapped in BEGIN/COMMIT, and
  ``--single-transaction``
- drizzle-orm:    ``migrate(db, { migrationsFolder })`` from drizzle-orm/postgres-js/migrator under
  node, on a drizzle folder (``meta/_journal.json`` + ``NNNN_tag.sql`` with statement breakpoints)
- Alembic:        ``alembic upgrade head`` over 500 revision files, each ``op.execute(sql)``

After every run the database is checked: all tables and indexes exist and the tool's history
holds every migration.  Wall time is the median (and best) of ``--repeat`` runs, interleaved
across tools; cpu is the user + system time of the tool's client process tree, which the
server's share of the work and other load on the machine do not inflate much; memory is the
peak resident set of that tree (not the PostgreSQL backend), sampled every 10 ms with psutil.

Setup (from a clean clone): ``python3 scripts/test.py --co -q`` (creates .venv), then
``cd bench && npm install && ../.venv/bin/pip install -r requirements.txt``, then
``.venv/bin/python bench/apply_overhead.py``.  Needs PostgreSQL on 127.0.0.1:5432 (user postgres)
and ``psql`` and ``node`` on PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from _measure import Measure, run_measured

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "apply_overhead"
VENV_BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
FIRST = datetime(2026, 1, 1, tzinfo=UTC)


# -- the migrations, once per tool's format ----------------------------------------------------

def statements(i: int) -> list[str]:
    """Migration i: one small table and one index on it."""
    return [
        f"CREATE TABLE t{i} (id bigint PRIMARY KEY, name text NOT NULL, "
        f"created_at timestamptz NOT NULL DEFAULT now())",
        f"CREATE INDEX t{i}_name_idx ON t{i} (name)",
    ]


def version(i: int) -> str:
    return (FIRST + timedelta(seconds=i)).strftime("%Y%m%d%H%M%S")


def write_safeshift(n: int) -> Path:
    from safeshift.formats import safeshift as migrations

    proj = WORK / "safeshift"
    folder = proj / "migrations"
    folder.mkdir(parents=True)
    (proj / "safeshift.toml").write_text('migrations = "migrations"\ndialect = "postgresql"\n')
    for i in range(n):
        up = "\n\n".join(f"{s};" for s in statements(i))
        (folder / f"{version(i)}_create_t{i}.sql").write_text(
            f"-- migrate:up\n{up}\n\n-- migrate:down\nDROP TABLE t{i};\n")
    migrations.write_sum(folder)  # what `safeshift rehash` writes; migrate refuses an unsealed folder
    (proj / "api_run.py").write_text(textwrap.dedent("""\
        import json, sys, time
        t0 = time.perf_counter()
        from safeshift import migrate  # loads safeshift.api
        t1 = time.perf_counter()
        result = migrate(sys.argv[1], sys.argv[2])
        t2 = time.perf_counter()
        print(json.dumps({"import_s": t1 - t0, "call_s": t2 - t1, "applied": len(result.applied)}))
    """))
    return proj


def write_psql(n: int) -> Path:
    d = WORK / "psql"
    d.mkdir(parents=True)
    plain, txn = [], []
    for i in range(n):
        body = "".join(f"{s};\n" for s in statements(i))
        plain.append(body)
        txn.append(f"BEGIN;\n{body}COMMIT;\n")
    (d / "all.sql").write_text("".join(plain))
    (d / "all_txn.sql").write_text("".join(txn))
    return d


def write_drizzle(n: int) -> Path:
    """A folder as drizzle-kit writes it: the migrator reads only entries[].tag/when/breakpoints."""
    proj = WORK / "drizzle"
    folder = proj / "drizzle"
    (folder / "meta").mkdir(parents=True)
    first_ms = int(FIRST.timestamp() * 1000)
    entries = []
    for i in range(n):
        tag = f"{i:04d}_create_t{i}"
        (folder / f"{tag}.sql").write_text("\n--> statement-breakpoint\n".join(f"{s};" for s in statements(i)) + "\n")
        entries.append({"idx": i, "version": "7", "when": first_ms + i * 1000, "tag": tag, "breakpoints": True})
    (folder / "meta" / "_journal.json").write_text(
        json.dumps({"version": "7", "dialect": "postgresql", "entries": entries}, indent=2) + "\n")
    (proj / "apply.mjs").write_text(textwrap.dedent("""\
        import { drizzle } from 'drizzle-orm/postgres-js';
        import { migrate } from 'drizzle-orm/postgres-js/migrator';
        import postgres from 'postgres';

        const client = postgres(process.env.BENCH_URL, { max: 1, onnotice: () => {} });
        await migrate(drizzle(client), { migrationsFolder: './drizzle' });
        await client.end();
    """))
    return proj


def write_alembic(n: int) -> Path:
    """alembic.ini + the online part of `alembic init`'s env.py, and one revision per migration."""
    proj = WORK / "alembic"
    versions = proj / "alembic" / "versions"
    versions.mkdir(parents=True)
    (proj / "alembic.ini").write_text("[alembic]\nscript_location = alembic\n")
    (proj / "alembic" / "script.py.mako").write_text("")
    (proj / "alembic" / "env.py").write_text(textwrap.dedent("""\
        import os

        from alembic import context
        from sqlalchemy import create_engine, pool

        engine = create_engine(os.environ["BENCH_URL"], poolclass=pool.NullPool)
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=None)
            with context.begin_transaction():
                context.run_migrations()
    """))
    for i in range(n):
        down = repr(f"r{i - 1:04d}") if i else "None"
        ops = "\n".join(f"    op.execute({s!r})" for s in statements(i))
        (versions / f"r{i:04d}_create_t{i}.py").write_text(
            f'"""create t{i}"""\nfrom alembic import op\n\nrevision = "r{i:04d}"\ndown_revision = {down}\n'
            f"branch_labels = None\ndepends_on = None\n\n\ndef upgrade() -> None:\n{ops}\n\n\n"
            f"def downgrade() -> None:\n    op.execute('DROP TABLE t{i}')\n")
    return proj


# -- databases and checks -----------------------------------------------------------------------

def create_database() -> tuple[str, str]:
    name = f"bench_apply_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def verify(url: str, n: int, history: str | None, tool: str) -> None:
    """All n tables and n indexes exist; the tool's history table has n rows."""
    with psycopg.connect(url) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                              "AND tablename ~ '^t[0-9]+$'").fetchone()
        indexes = conn.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' "
                               "AND indexname ~ '^t[0-9]+_name_idx$'").fetchone()
        rows = conn.execute(history).fetchone() if history else (n,)
    got = (tables[0] if tables else 0, indexes[0] if indexes else 0, rows[0] if rows else 0)
    if got != (n, n, n):
        raise SystemExit(f"{tool}: expected {n} tables, indexes and history rows, found {got}")


# -- the tools ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tool:
    key: str
    label: str
    cwd: Path
    #: the command for a database URL
    command: Callable[[str], list[str]]
    #: counts the tool's history rows (None: psql keeps no history)
    history: str | None
    #: extra environment for the URL (node and Alembic read BENCH_URL)
    url_env: Callable[[str], dict[str, str]] = lambda url: {}


def tools(n: int) -> list[Tool]:
    ss = write_safeshift(n)
    sq = write_psql(n)
    dz = write_drizzle(n)
    al = write_alembic(n)
    exe = str(VENV_BIN / "safeshift")
    ss_hist = "SELECT count(*) FROM safeshift.safeshift_migrations WHERE status = 'applied'"
    psql = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    return [
        Tool("safeshift_cli", "safeshift migrate", ss, lambda u: [exe, "migrate", "--url", u, "--yes"], ss_hist),
        Tool("safeshift_cli_atomic", "safeshift migrate --atomic", ss,
             lambda u: [exe, "migrate", "--url", u, "--yes", "--atomic"], ss_hist),
        Tool("safeshift_api", "safeshift.migrate() (process)", ss,
             lambda u: [sys.executable, "api_run.py", u, "migrations"], ss_hist),
        Tool("psql", "psql -f", sq, lambda u: [*psql, "-f", "all.sql", u], None),
        Tool("psql_txn", "psql -f, BEGIN/COMMIT each", sq, lambda u: [*psql, "-f", "all_txn.sql", u], None),
        Tool("psql_single", "psql -f --single-transaction", sq,
             lambda u: [*psql, "--single-transaction", "-f", "all.sql", u], None),
        Tool("drizzle", "drizzle-orm migrate()", dz, lambda u: ["node", "apply.mjs"],
             'SELECT count(*) FROM drizzle."__drizzle_migrations"', lambda u: {"BENCH_URL": u}),
        Tool("alembic", "alembic upgrade head", al, lambda u: [str(VENV_BIN / "alembic"), "upgrade", "head"],
             # Alembic keeps only the head: at the last revision, all n are applied
             f"SELECT count(*) * {n} FROM alembic_version WHERE version_num = 'r{n - 1:04d}'",
             lambda u: {"BENCH_URL": u.replace("postgresql://", "postgresql+psycopg://")}),
    ]


def available(t: Tool) -> str | None:
    """Why the tool cannot run here, or None."""
    if t.key == "drizzle" and not (HERE / "node_modules" / "postgres").exists():
        return "drizzle-orm/postgres not installed (cd bench && npm install)"
    if t.key == "drizzle" and shutil.which("node") is None:
        return "node not on PATH"
    if t.key.startswith("psql") and shutil.which("psql") is None:
        return "psql not on PATH"
    if t.key == "alembic" and not (VENV_BIN / "alembic").exists():
        return "alembic not installed (pip install -r bench/requirements.txt)"
    return None


def run_once(t: Tool, n: int) -> tuple[Measure, tuple[float, float] | None]:
    name, url = create_database()
    try:
        m = run_measured(t.command(url), t.cwd, t.url_env(url))
        verify(url, n, t.history, t.label)
    finally:
        drop_database(name)
    call = None
    if t.key == "safeshift_api":
        info = json.loads(m.stdout.strip().splitlines()[-1])
        if info["applied"] != n:
            raise SystemExit(f"safeshift.migrate() applied {info['applied']}, expected {n}")
        call = (float(info["import_s"]), float(info["call_s"]))
    return m, call


def versions() -> dict[str, str]:
    def out(cmd: list[str], cwd: Path = HERE) -> str:
        try:
            return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"

    def npm_version(pkg: str) -> str:
        try:
            return str(json.loads((HERE / "node_modules" / pkg / "package.json").read_text())["version"])
        except OSError:
            return "?"

    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with psycopg.connect(PG_ADMIN) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    import alembic

    import safeshift

    return {
        "nproc": str(os.cpu_count()), "cpu": cpu, "postgresql": row[0] if row else "?",
        "python": sys.version.split()[0], "node": out(["node", "--version"]), "psql": out(["psql", "--version"]),
        "safeshift": safeshift.__version__, "psycopg": psycopg.__version__, "alembic": alembic.__version__,
        "drizzle-orm": npm_version("drizzle-orm"), "postgres (npm)": npm_version("postgres"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--migrations", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", help="comma-separated tool keys to run (default: all)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    n = args.migrations
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    every = tools(n)
    wanted = set(args.only.split(",")) if args.only else {t.key for t in every}
    if wanted - {t.key for t in every}:
        ap.error(f"--only: unknown {', '.join(sorted(wanted - {t.key for t in every}))}; "
                 f"choose from {', '.join(t.key for t in every)}")
    chosen = [t for t in every if t.key in wanted]
    runs: dict[str, list[Measure]] = {}
    calls: list[tuple[float, float]] = []  # safeshift API: (import s, call s) per run
    skipped: dict[str, str] = {}
    for t in chosen:
        why = available(t)
        if why:
            skipped[t.key] = why
            print(f"{t.label}: skipped, {why}", file=sys.stderr)
    chosen = [t for t in chosen if t.key not in skipped]
    load_before = os.getloadavg()[0]
    for _ in range(args.repeat):  # interleaved, so a slow minute on the machine hits every tool
        for t in chosen:
            m, call = run_once(t, n)
            runs.setdefault(t.key, []).append(m)
            if call is not None:
                calls.append(call)
    med = {k: statistics.median(m.seconds for m in ms) for k, ms in runs.items()}
    best = {k: min(m.seconds for m in ms) for k, ms in runs.items()}
    cpu = {k: statistics.median(m.cpu_s for m in ms) for k, ms in runs.items()}
    mem = {k: max(m.peak_mb for m in ms) for k, ms in runs.items()}
    checks: list[tuple[str, float, float | None]] = []
    if "safeshift_cli" in med:
        for peer, target in (("psql", 1.5), ("psql_txn", None), ("drizzle", 1.0), ("alembic", 1.0)):
            if peer in med:
                checks.append((f"safeshift / {peer}", med["safeshift_cli"] / med[peer], target))
    results: dict[str, object] = {
        "migrations": n, "statements_per_migration": len(statements(0)), "repeat": args.repeat,
        "tools": {t.key: {"label": t.label, "median_s": round(med[t.key], 4), "best_s": round(best[t.key], 4),
                          "client_cpu_s": round(cpu[t.key], 4), "peak_mb": round(mem[t.key], 1),
                          "runs_s": [round(m.seconds, 4) for m in runs[t.key]]} for t in chosen},
        "safeshift_api_import_median_s": round(statistics.median(c[0] for c in calls), 4) if calls else None,
        "safeshift_api_call_median_s": round(statistics.median(c[1] for c in calls), 4) if calls else None,
        "ratios": {label: round(r, 3) for label, r, _ in checks},
        "skipped": skipped,
        # other work on the machine (or the database server) shows up in wall time, not in cpu s
        "load_average_1min": {"start": load_before, "end": os.getloadavg()[0]},
        "machine": versions(),
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"apply, {n} migrations x {len(statements(0))} statements onto an empty database "
          f"({args.repeat} runs each, fresh database per run)")
    print(f"{'tool':<32}{'median s':>9}{'best s':>9}{'cpu s':>9}{'peak MB':>9}")
    for t in chosen:
        k = t.key
        print(f"{t.label:<32}{med[k]:>9.3f}{best[k]:>9.3f}{cpu[k]:>9.3f}{mem[k]:>9.0f}")
    if calls:
        print(f"{'  in it: from safeshift import':<32}{statistics.median(c[0] for c in calls):>9.3f}")
        print(f"{'  in it: the migrate() call':<32}{statistics.median(c[1] for c in calls):>9.3f}")
    print("(cpu s: user + system time of the client process tree, median; the server's work is not in it)")
    print(f"load average (1 min): {load_before:.2f} at start, {os.getloadavg()[0]:.2f} at end")
    for label, ratio, target in checks:
        verdict = "" if target is None else ("  PASS" if ratio <= target else "  FAIL") + f" (target <= {target})"
        print(f"{label + ' (median wall)':<44}{ratio:>7.3f}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

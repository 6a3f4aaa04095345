#!/usr/bin/env python3
"""generate at scale: safeshift vs drizzle-kit vs Alembic, side by side in one process tree.

The schema: N tables (default 1,000) x 20 columns, one index and one foreign key each.
The change: one column added to one table.  Each tool first records the starting schema
(untimed), then the timed run produces the migration for the change:

- safeshift:   ``safeshift generate --name add_column``   (schema source vs snapshot, no database)
- drizzle-kit: ``drizzle-kit generate --name add_column`` (TypeScript schema vs snapshot, no database)
- Alembic:     ``alembic revision --autogenerate``         (metadata vs a live PostgreSQL database)

Also timed: safeshift's live introspection of the N-table database (in-process, best of K);
a breakdown of safeshift's generate (interpreter start, importing safeshift, importing
SQLAlchemy, executing the user's models module, safeshift's own work) and the floor set by
the models alone (``python -c "import models"``); and safeshift generate again with
bytecode caching allowed (``PYTHONDONTWRITEBYTECODE`` unset, caches under
``bench/.work/pycache``, timed after one warm-up run that writes them).
Wall time is best of ``--repeat`` runs; memory is the peak resident set of the tool's whole
process tree, sampled every 10 ms with psutil.

Setup (from a clean clone): ``python3 scripts/test.py --co -q`` (creates .venv), then
``cd bench && npm install && ../.venv/bin/pip install -r requirements.txt``, then
``.venv/bin/python bench/generate_scale.py``.  Needs PostgreSQL on 127.0.0.1:5432 (user postgres).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import psycopg

from _measure import Measure, bytecode_env, run_measured

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work" / "generate_scale"
VENV_BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")

# (SQLAlchemy type, drizzle builder) per column slot, cycled over the 18 plain columns
TYPES = [
    ("sa.Integer", "integer"),
    ("sa.String(100)", "varchar({length: 100})"),
    ("sa.Text", "text"),
    ("sa.Boolean", "boolean"),
    ("sa.DateTime", "timestamp"),
    ("sa.Numeric(10, 2)", "numeric({precision: 10, scale: 2})"),
    ("sa.BigInteger", "bigint({mode: 'number'})"),
]


# -- schema writers -----------------------------------------------------------------------

def sqlalchemy_models(n: int, with_change: bool) -> str:
    lines = ["import sqlalchemy as sa", "", "metadata = sa.MetaData()", ""]
    for i in range(n):
        ref = i - 1 if i else n - 1
        cols = [
            '    sa.Column("id", sa.Integer, primary_key=True),',
            f'    sa.Column("ref_id", sa.Integer, sa.ForeignKey("t{ref}.id")),',
        ]
        for j in range(18):
            cols.append(f'    sa.Column("c{j}", {TYPES[j % len(TYPES)][0]}),')
        if with_change and i == n // 2:
            cols.append('    sa.Column("added", sa.Text),')
        cols.append(f'    sa.Index("t{i}_c0_idx", "c0"),')
        lines.append(f't{i} = sa.Table("t{i}", metadata,\n' + "\n".join(cols) + "\n)")
    return "\n".join(lines) + "\n"


def drizzle_schema(n: int, with_change: bool) -> str:
    out = ['import { pgTable, serial, integer, varchar, text, boolean, timestamp, numeric, bigint, index }'
           ' from "drizzle-orm/pg-core";', "import type { AnyPgColumn } from 'drizzle-orm/pg-core';", ""]
    for i in range(n):
        ref = i - 1 if i else n - 1
        cols = ["  id: serial('id').primaryKey(),",
                f"  ref_id: integer('ref_id').references((): AnyPgColumn => t{ref}.id),"]
        for j in range(18):
            builder = TYPES[j % len(TYPES)][1]
            name, _, opts = builder.partition("(")
            args = f"'c{j}'" + (f", {opts[:-1]}" if opts and opts != ")" else "")
            cols.append(f"  c{j}: {name}({args}),")
        if with_change and i == n // 2:
            cols.append("  added: text('added'),")
        out.append(f"export const t{i} = pgTable('t{i}', {{\n" + "\n".join(cols)
                   + f"\n}}, (t) => [index('t{i}_c0_idx').on(t.c0)]);")
    return "\n".join(out) + "\n"


# -- the three tools ----------------------------------------------------------------------

def reset_new_files(folder: Path, before: set[Path], saved: dict[Path, bytes]) -> None:
    for p in folder.rglob("*"):
        if p.is_file() and p not in before:
            p.unlink()
    for p, data in saved.items():
        p.write_bytes(data)


SAFESHIFT_PROJ = WORK / "safeshift"
PYCACHE = WORK / "pycache"


def setup_safeshift(n: int) -> None:
    """The project with its first migration generated (untimed) and the one-column change applied to models.py."""
    proj = SAFESHIFT_PROJ
    shutil.rmtree(proj, ignore_errors=True)
    proj.mkdir(parents=True)
    (proj / "safeshift.toml").write_text('schema = "models:metadata"\nmigrations = "migrations"\n'
                                         'dialect = "postgresql"\n')
    (proj / "models.py").write_text(sqlalchemy_models(n, False))
    run_measured([str(VENV_BIN / "safeshift"), "generate", "--name", "init"], proj)
    (proj / "models.py").write_text(sqlalchemy_models(n, True))
    shutil.rmtree(proj / "__pycache__", ignore_errors=True)


def bench_safeshift(repeat: int, *, bytecode: bool = False) -> Measure:
    """``safeshift generate`` for the one-column change; with ``bytecode``, after a warm-up run that writes .pyc files."""
    proj = SAFESHIFT_PROJ
    exe = str(VENV_BIN / "safeshift")
    mig = proj / "migrations"
    before = {p for p in mig.rglob("*") if p.is_file()}
    saved = {mig / "safeshift.sum": (mig / "safeshift.sum").read_bytes()}
    env = bytecode_env(PYCACHE) if bytecode else None
    if bytecode:
        shutil.rmtree(PYCACHE, ignore_errors=True)
        run_measured([exe, "generate", "--name", "add_column"], proj, env, replace_env=True)
        reset_new_files(mig, before, saved)
    best: Measure | None = None
    for _ in range(repeat):
        m = run_measured([exe, "generate", "--name", "add_column"], proj, env, replace_env=bytecode)
        made = [p for p in mig.glob("*_add_column.sql")]
        assert made and 'ADD COLUMN "added"' in made[0].read_text(), "safeshift did not write the change"
        reset_new_files(mig, before, saved)
        best = m if best is None or m.seconds < best.seconds else best
    assert best is not None
    return best


_BREAKDOWN = """
import json, sys, time
t0 = time.perf_counter()
import safeshift.cli  # what the console script imports
t1 = time.perf_counter()
import sqlalchemy, sqlalchemy.dialects.postgresql
t2 = time.perf_counter()
from pathlib import Path
from safeshift import api
from safeshift.sources.sqlalchemy import load_metadata
config = api.load_config(Path.cwd())
load_metadata(config.schema, config.root)  # executes the user's models module
t3 = time.perf_counter()
result = api.generate(config, "add_column")  # the module is imported: this is safeshift's own work
t4 = time.perf_counter()
assert result.path is not None
print(json.dumps({"import_safeshift": t1 - t0, "import_sqlalchemy": t2 - t1, "models_module": t3 - t2,
                  "safeshift_own": t4 - t3}))
"""


def breakdown(repeat: int, *, bytecode: bool = False) -> dict[str, float]:
    """Where ``safeshift generate``'s time goes, each phase best of ``repeat`` (one process per run)."""
    proj = SAFESHIFT_PROJ
    py = str(VENV_BIN / "python")
    mig = proj / "migrations"
    before = {p for p in mig.rglob("*") if p.is_file()}
    saved = {mig / "safeshift.sum": (mig / "safeshift.sum").read_bytes()}
    env = {**(bytecode_env(PYCACHE) if bytecode else os.environ)}
    best: dict[str, float] = {}
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([py, "-c", "pass"], cwd=proj, env=env, check=True)
        phases = {"interpreter_start": time.perf_counter() - start}
        out = subprocess.run([py, "-c", _BREAKDOWN], cwd=proj, env=env, check=True, capture_output=True,
                             text=True).stdout
        phases.update(json.loads(out.strip().splitlines()[-1]))
        reset_new_files(mig, before, saved)
        start = time.perf_counter()
        subprocess.run([py, "-c", "import models"], cwd=proj, env=env, check=True)
        phases["python_import_models_alone"] = time.perf_counter() - start
        best = {k: min(v, best.get(k, v)) for k, v in phases.items()}
    return best


def bench_drizzle(n: int, repeat: int) -> Measure | None:
    kit = HERE / "node_modules" / ".bin" / "drizzle-kit"
    if not kit.exists():
        print("drizzle-kit not installed (cd bench && npm install): skipped", file=sys.stderr)
        return None
    proj = WORK / "drizzle"
    shutil.rmtree(proj, ignore_errors=True)
    proj.mkdir(parents=True)
    (proj / "node_modules").symlink_to(HERE / "node_modules")
    (proj / "drizzle.config.ts").write_text(textwrap.dedent("""\
        import { defineConfig } from 'drizzle-kit';
        export default defineConfig({ dialect: 'postgresql', schema: './schema.ts', out: './drizzle' });
    """))
    (proj / "schema.ts").write_text(drizzle_schema(n, False))
    run_measured([str(kit), "generate", "--name", "init"], proj)
    (proj / "schema.ts").write_text(drizzle_schema(n, True))
    out = proj / "drizzle"
    before = {p for p in out.rglob("*") if p.is_file()}
    journal = out / "meta" / "_journal.json"
    saved = {journal: journal.read_bytes()}
    best: Measure | None = None
    for _ in range(repeat):
        m = run_measured([str(kit), "generate", "--name", "add_column"], proj)
        made = list(out.glob("*_add_column.sql"))
        assert made and '"added"' in made[0].read_text(), "drizzle-kit did not write the change"
        reset_new_files(out, before, saved)
        best = m if best is None or m.seconds < best.seconds else best
    return best


def bench_alembic(n: int, repeat: int, url: str) -> Measure | None:
    alembic = VENV_BIN / "alembic"
    if not alembic.exists():
        print("alembic not installed (pip install -r bench/requirements.txt): skipped", file=sys.stderr)
        return None
    proj = WORK / "alembic"
    shutil.rmtree(proj, ignore_errors=True)
    proj.mkdir(parents=True)
    (proj / "models.py").write_text(sqlalchemy_models(n, True))
    run_measured([str(alembic), "init", "alembic"], proj)
    ini = proj / "alembic.ini"
    ini.write_text(ini.read_text().replace("driver://user:pass@localhost/dbname",
                                           url.replace("postgresql://", "postgresql+psycopg://")))
    env = proj / "alembic" / "env.py"
    env.write_text(env.read_text().replace(
        "target_metadata = None",
        "import sys, os\nsys.path.insert(0, os.getcwd())\nfrom models import metadata as target_metadata"))
    versions = proj / "alembic" / "versions"
    best: Measure | None = None
    for _ in range(repeat):
        m = run_measured([str(alembic), "revision", "--autogenerate", "-m", "add_column"], proj)
        made = list(versions.glob("*add_column*.py"))
        assert made and "'added'" in made[0].read_text(), "alembic did not detect the change"
        for p in made:
            p.unlink()
        best = m if best is None or m.seconds < best.seconds else best
    return best


def create_database(n: int) -> tuple[str, str]:
    """A PostgreSQL database holding the starting schema (for Alembic and introspection)."""
    import sqlalchemy as sa

    name = f"bench_gen_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    ns: dict[str, object] = {}
    exec(sqlalchemy_models(n, False), ns)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    ns["metadata"].create_all(engine)  # type: ignore[attr-defined]
    engine.dispose()
    return name, url


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_introspect(url: str, repeat: int) -> float:
    from safeshift.dialects import get_dialect
    from safeshift.engines import engine_for

    dialect = get_dialect("postgresql")
    best = float("inf")
    for _ in range(repeat):
        conn = engine_for(dialect).connect(url)
        start = time.perf_counter()
        schema = engine_for(dialect).introspect(conn)
        best = min(best, time.perf_counter() - start)
        conn.close()
    assert len(schema.tables) >= 1
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    n = args.tables
    WORK.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {"tables": n, "columns_per_table": 20}
    setup_safeshift(n)
    ss = bench_safeshift(args.repeat)
    parts = breakdown(args.repeat)
    ss_cached = bench_safeshift(args.repeat, bytecode=True)
    parts_cached = breakdown(args.repeat, bytecode=True)
    dk = bench_drizzle(n, args.repeat)
    name, url = create_database(n)
    try:
        al = bench_alembic(n, args.repeat, url)
        intro = bench_introspect(url, args.repeat)
    finally:
        drop_database(name)
    results.update({
        "safeshift": ss.as_dict(), "safeshift_bytecode_cached": ss_cached.as_dict(),
        "drizzle_kit": dk.as_dict() if dk else None, "alembic": al.as_dict() if al else None,
        "introspect_seconds": intro, "safeshift_breakdown": parts, "safeshift_breakdown_bytecode_cached": parts_cached,
    })
    checks: list[tuple[str, float, float | None]] = []
    if dk:
        checks.append(("safeshift / drizzle-kit time", ss.seconds / dk.seconds, 0.25))
        checks.append(("same, bytecode cached / drizzle-kit", ss_cached.seconds / dk.seconds, 0.25))
        checks.append(("safeshift / drizzle-kit memory", ss.peak_mb / dk.peak_mb, None))
        checks.append(("import models alone / drizzle-kit", parts["python_import_models_alone"] / dk.seconds, None))
    if al:
        checks.append(("safeshift / alembic time", ss.seconds / al.seconds, 0.10))
        checks.append(("same, bytecode cached / alembic", ss_cached.seconds / al.seconds, 0.10))
    results["ratios"] = {label: round(r, 3) for label, r, _ in checks}
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"generate, {n} tables x 20 columns, one index + one FK each; one column added (best of {args.repeat})")
    print(f"{'tool':<14}{'wall s':>10}{'peak MB':>10}")
    for label, m in (("safeshift", ss), ("  (bytecode)", ss_cached), ("drizzle-kit", dk), ("alembic", al)):
        if m:
            print(f"{label:<14}{m.seconds:>10.2f}{m.peak_mb:>10.0f}")
    for title, phases in (("safeshift generate, phases (s)", parts), ("  same, bytecode cached", parts_cached)):
        print(title + ": " + ", ".join(f"{k} {v:.3f}" for k, v in phases.items()))
    for label, ratio, target in checks:
        verdict = "" if target is None else ("  PASS" if ratio <= target else "  FAIL") + f" (target <= {target})"
        print(f"{label:<34}{ratio:>8.3f}{verdict}")
    verdict = "PASS" if intro <= 0.3 else "FAIL"
    print(f"{'live introspection (safeshift)':<34}{intro:>8.3f} s  {verdict} (target <= 0.3 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""drift check at scale: safeshift's verify core vs migra, on the 1,000-table schema of generate_scale.

The live database is generate_scale's N tables x 20 columns (one index and one foreign key
each).  Untimed setup: the expected snapshot is written from an introspection of it with
``migrations.write_snapshot`` (what ``generate`` leaves in ``meta/``), and, because migra
compares two databases, a second identical database is created.  Timed, end to end as
a subprocess, best of ``--repeat``:

- safeshift: ``python -c`` that imports safeshift, introspects the live database and
  compares it with the snapshot file (``safeshift.verify.drift``: equal snapshot texts
  short-cut, else parse and diff); it fails unless the drift is clean;
- migra:     ``migra URL_LIVE URL_COPY --unsafe``;
- verify CLI: ``safeshift verify --url URL_LIVE`` in a project whose one applied (no-op) migration
  has the expected snapshot: what a user runs, with CLI start-up, configuration and the history
  table (measured last: applying the migration adds safeshift's history schema to the database).

- live introspection: connect, then ``introspect`` alone, in this process (best of ``--repeat``).

Tool output goes to files, not pipes.  Targets (issue 20): ``safeshift verify`` <= 0.3 s end to end
and >= 8x faster than migra; live introspection <= 0.2 s; all printed side by side in one run.
Run: ``.venv/bin/python bench/drift_check.py [--tables N] [--repeat K] [--migra PATH]``; needs
PostgreSQL on 127.0.0.1:5432 (user postgres) and migra: in the venv (bench/requirements.txt), on
PATH, or named by ``--migra`` (a virtual environment of its own keeps its SQLAlchemy out of ours).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate_scale as gs  # the schema writers and database helpers of the generate bench

WORK = gs.HERE / ".work" / "drift_check"
#: issue 20: the verify command end to end, its speed-up over migra, live introspection alone
TARGET_S = 0.3
TARGET_RATIO = 8.0
TARGET_INTROSPECT_S = 0.2

#: argv: snapshot path, live URL, phases output path
_CHECK = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from safeshift.dialects import get_dialect
from safeshift.verify import drift
t1 = time.perf_counter()
t2 = time.perf_counter()
result = drift(get_dialect("postgresql"), sys.argv[2], Path(sys.argv[1]))  # reads the snapshot file
t3 = time.perf_counter()
if not result.clean:
    raise SystemExit("unexpected drift:\\n" + result.render_text())
Path(sys.argv[3]).write_text(json.dumps({"import": t1 - t0, "connect_introspect_compare": t3 - t2}))
"""


def settle(*urls: str) -> None:
    """Untimed: vacuum and analyze each new database (its catalogs took 1,000 CREATE TABLEs) and checkpoint, so
    that autovacuum and the checkpointer have nothing to do while the tools are timed; before, they ran in the
    first runs, and a tool's best of several runs moved by up to 30 ms from one bench run to the next."""
    import psycopg

    for url in urls:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
    with psycopg.connect(gs.PG_ADMIN, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def write_expected(url: str, path: Path) -> int:
    from safeshift.dialects import get_dialect
    from safeshift.engines import engine_for
    from safeshift.formats import safeshift as migrations
    from safeshift.verify import without_history

    d = get_dialect("postgresql")
    conn = engine_for(d).connect(url)
    try:
        schema = without_history(engine_for(d).introspect(conn))
    finally:
        conn.close()
    migrations.write_snapshot(path, schema)
    return len(schema.tables)


def bench_safeshift(snap: Path, url: str, repeat: int, *,
                    bytecode: bool = False) -> tuple[gs.Measure, dict[str, float]]:
    """Best of ``repeat``; with ``bytecode``, .pyc files allowed (as an installed package has), after a warm-up."""
    py = str(gs.VENV_BIN / "python")
    phases_file = WORK / "phases.json"
    cmd = [py, "-c", _CHECK, str(snap), url, str(phases_file)]
    env = gs.bytecode_env() if bytecode else None
    if bytecode:
        gs.run_measured(cmd, WORK, env, replace_env=True)
    best: gs.Measure | None = None
    phases: dict[str, float] = {}
    for _ in range(repeat):
        m = gs.run_measured(cmd, WORK, env, replace_env=bytecode)
        got = json.loads(phases_file.read_text())
        phases = {k: min(v, phases.get(k, v)) for k, v in got.items()}
        best = m if best is None or m.seconds < best.seconds else best
    assert best is not None
    start = time.perf_counter()
    subprocess.run([py, "-c", "pass"], check=True)
    phases["interpreter_start"] = time.perf_counter() - start
    return best, phases


def bench_cli(snap: Path, url: str, repeat: int) -> tuple[gs.Measure, gs.Measure]:
    """``safeshift verify --url URL`` in a project whose one applied migration has ``snap`` as its
    snapshot: the command a user runs, end to end (CLI start-up, configuration, the history
    table, introspection, comparison), best of ``repeat`` with bytecode cached after a warm-up run
    (as a pip-installed copy has it, into a cache of this run's own), then compiled from source
    each time (this workplace sets PYTHONDONTWRITEBYTECODE).  Applying the no-op migration
    (untimed) adds safeshift's history schema to the database, so this runs after migra."""
    from safeshift.formats import safeshift as migrations

    project = WORK / "project"
    folder = project / "migrations"
    (folder / "meta").mkdir(parents=True)
    (project / "safeshift.toml").write_text('dialect = "postgresql"\n')
    version = "20260101000000"
    (folder / f"{version}_bench.sql").write_text("-- migrate:up\nSELECT 1;\n\n-- migrate:down\nSELECT 1;\n")
    shutil.copy(snap, folder / "meta" / f"{version}_snapshot.json")
    migrations.write_sum(folder)
    exe = str(gs.VENV_BIN / "safeshift")
    gs.run_measured([exe, "migrate", "--url", url, "--allow-hazards"], project)
    cached = gs.bytecode_env(WORK / "pycache")
    gs.run_measured([exe, "verify", "--url", url], project, cached, replace_env=True)  # compiles into the cache
    found: list[gs.Measure] = []
    for env in (cached, None):
        best: gs.Measure | None = None
        for _ in range(repeat):
            # exit 1 (drift) stops the bench
            m = gs.run_measured([exe, "verify", "--url", url], project, env, replace_env=env is not None)
            best = m if best is None or m.seconds < best.seconds else best
        assert best is not None
        found.append(best)
    return found[0], found[1]


def find_migra(given: str | None) -> str | None:
    """``--migra``, else the venv's, else the one on PATH."""
    if given:
        return given
    venv = gs.VENV_BIN / "migra"
    return str(venv) if venv.exists() else shutil.which("migra")


def bench_migra(url_a: str, url_b: str, repeat: int, migra: str | None) -> gs.Measure | None:
    if migra is None:
        print("migra not found (pip install -r bench/requirements.txt, or --migra PATH): skipped", file=sys.stderr)
        return None
    best: gs.Measure | None = None
    for _ in range(repeat):
        m = gs.run_measured([migra, url_a, url_b, "--unsafe"], WORK)  # exit 0: no differences
        best = m if best is None or m.seconds < best.seconds else best
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--migra", help="the migra executable (default: the venv's, else on PATH)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    snap = WORK / "expected_snapshot.json"
    live_name, live_url = gs.create_database(args.tables)
    copy_name = ""
    try:
        copy_name, copy_url = gs.create_database(args.tables)
        settle(live_url, copy_url)
        n_tables = write_expected(live_url, snap)
        ss, phases = bench_safeshift(snap, live_url, args.repeat)
        ss_cached, _ = bench_safeshift(snap, live_url, args.repeat, bytecode=True)
        mg = bench_migra(live_url, copy_url, args.repeat, find_migra(args.migra))
        introspect_s = gs.bench_introspect(live_url, args.repeat)
        cli, cli_source = bench_cli(snap, live_url, args.repeat)
    finally:
        gs.drop_database(live_name)
        if copy_name:
            gs.drop_database(copy_name)
    ratio = mg.seconds / cli.seconds if mg else None
    results = {"tables": n_tables, "safeshift": vars(ss), "safeshift_bytecode_cached": vars(ss_cached),
               "safeshift_verify_cli": vars(cli), "safeshift_verify_cli_from_source": vars(cli_source),
               "live_introspection_s": introspect_s,
               "safeshift_phases": phases,
               "migra": vars(mg) if mg else None, "migra_over_verify_cli": ratio}
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"drift check, {n_tables} tables x 20 columns, one index + one FK each; no drift (best of {args.repeat})")
    print(f"{'tool':<28}{'wall s':>10}{'peak MB':>10}")
    rows: list[tuple[str, gs.Measure | None]] = [
        ("safeshift verify --url (CLI)", cli), ("migra URL URL --unsafe", mg),
        ("  verify, compiled from source", cli_source),
        ("safeshift drift core", ss), ("  (bytecode cached)", ss_cached)]
    for label, m in rows:
        if m:
            print(f"{label:<28}{m.seconds:>10.3f}{m.peak_mb:>10.0f}")
    print(f"{'live introspection alone':<28}{introspect_s:>10.3f}")
    print("drift core phases (s): " + ", ".join(f"{k} {v:.3f}" for k, v in phases.items()))

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    print(f"safeshift verify end to end   {cli.seconds:.3f} s  {verdict(cli.seconds <= TARGET_S)} "
          f"(target <= {TARGET_S} s)")
    if ratio is not None:
        print(f"migra / safeshift verify      {ratio:.1f}x     {verdict(ratio >= TARGET_RATIO)} "
              f"(target >= {TARGET_RATIO:g}x)")
    print(f"live introspection            {introspect_s:.3f} s  {verdict(introspect_s <= TARGET_INTROSPECT_S)} "
          f"(target <= {TARGET_INTROSPECT_S} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

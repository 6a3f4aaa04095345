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

Tool output goes to files, not pipes.  Target (issue 5): safeshift <= 0.5 s.
Run: ``.venv/bin/python bench/drift_check.py [--tables N] [--repeat K]``; needs PostgreSQL
on 127.0.0.1:5432 (user postgres) and migra in the venv (bench/requirements.txt).
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
TARGET_S = 0.5

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


def bench_cli(snap: Path, url: str, repeat: int) -> gs.Measure:
    """``safeshift verify --url URL`` in a project whose one applied migration has ``snap`` as its
    snapshot: the command a user runs, end to end (CLI start-up, configuration, the history
    table, introspection, comparison).  Applying the no-op migration (untimed) adds safeshift's
    history schema to the database, so this runs after migra."""
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
    best: gs.Measure | None = None
    for _ in range(repeat):
        m = gs.run_measured([exe, "verify", "--url", url], project)  # exit 1 (drift) stops the bench
        best = m if best is None or m.seconds < best.seconds else best
    assert best is not None
    return best


def bench_migra(url_a: str, url_b: str, repeat: int) -> gs.Measure | None:
    migra = gs.VENV_BIN / "migra"
    if not migra.exists():
        print("migra not installed (pip install -r bench/requirements.txt): skipped", file=sys.stderr)
        return None
    best: gs.Measure | None = None
    for _ in range(repeat):
        m = gs.run_measured([str(migra), url_a, url_b, "--unsafe"], WORK)  # exit 0: no differences
        best = m if best is None or m.seconds < best.seconds else best
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    snap = WORK / "expected_snapshot.json"
    live_name, live_url = gs.create_database(args.tables)
    copy_name = ""
    try:
        copy_name, copy_url = gs.create_database(args.tables)
        n_tables = write_expected(live_url, snap)
        ss, phases = bench_safeshift(snap, live_url, args.repeat)
        ss_cached, _ = bench_safeshift(snap, live_url, args.repeat, bytecode=True)
        mg = bench_migra(live_url, copy_url, args.repeat)
        cli = bench_cli(snap, live_url, args.repeat)
    finally:
        gs.drop_database(live_name)
        if copy_name:
            gs.drop_database(copy_name)
    ratio = mg.seconds / ss.seconds if mg else None
    results = {"tables": n_tables, "safeshift": vars(ss), "safeshift_bytecode_cached": vars(ss_cached),
               "safeshift_verify_cli": vars(cli),
               "safeshift_phases": phases,
               "migra": vars(mg) if mg else None, "migra_over_safeshift": ratio}
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"drift check, {n_tables} tables x 20 columns, one index + one FK each; no drift (best of {args.repeat})")
    print(f"{'tool':<12}{'wall s':>10}{'peak MB':>10}")
    for label, m in (("safeshift", ss), ("  (bytecode)", ss_cached), ("verify CLI", cli), ("migra", mg)):
        if m:
            print(f"{label:<12}{m.seconds:>10.3f}{m.peak_mb:>10.0f}")
    print("safeshift phases (s): " + ", ".join(f"{k} {v:.3f}" for k, v in phases.items()))
    verdict = "PASS" if ss.seconds <= TARGET_S else "FAIL"
    print(f"safeshift end to end {ss.seconds:.3f} s  {verdict} (target <= {TARGET_S} s)")
    print(f"  bytecode cached      {ss_cached.seconds:.3f} s")
    print(f"safeshift verify CLI  {cli.seconds:.3f} s  {'PASS' if cli.seconds <= TARGET_S else 'FAIL'}")
    if ratio is not None:
        print(f"migra / safeshift time: {ratio:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""safeshift's diff, generate and verify on a real application's database, beside Alembic's ``alembic check``.

The application is mlflow (the largest of the real-application corpus, tests/realapps: 50-odd tables, 70-odd
Alembic revisions), installed with its pinned dependencies in the corpus venv (built on first use, see
tests/realapps/_venv.py).  On PostgreSQL 15 (127.0.0.1:5432):

- R is built by mlflow's own command (``mlflow db upgrade``);
- ``alembic check`` runs mlflow's own Alembic environment (its ``db_migrations`` folder, env.py importing the
  model modules as mlflow's server does before it upgrades) against R: load the models, reflect R, compare;
- ``safeshift diff --url R`` does the same job: load the models, read R's catalog, compare, print the SQL;
- ``safeshift generate`` writes the initial migration of the models into an empty folder;
- ``safeshift verify --url S`` checks S, which safeshift built from that migration, for drift.

Every command is a fresh process from the same venv (interpreter start and imports included, as a user runs
them), the commands interleaved run by run so machine noise hits all alike.  Prints the best and median wall
time of each and its ratio to ``alembic check``.

    python3 bench/realapp_check.py --runs 7
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.realapps import _venv  # noqa: E402
from tests.realapps._apps import APPS  # noqa: E402

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
R_DB, S_DB = "realbench_mlflow_r", "realbench_mlflow_s"

#: mlflow's env.py sees only the models imported before it runs; mlflow's server imports these three
ENV_IMPORTS = ("import mlflow.store.model_registry.dbmodels.models  # noqa: F401\n"
               "import mlflow.store.tracking.dbmodels.models  # noqa: F401\n"
               "import mlflow.store.workspace.dbmodels.models  # noqa: F401\n")


def url(db: str, driver: str = "postgresql") -> str:
    return f"{driver}://postgres@127.0.0.1:5432/{db}"


def fresh_database(name: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def run(cmd: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd[:4])}... exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return took


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    python = _venv.python()
    bin_ = python.parent
    app = APPS["mlflow"]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    work = Path(tempfile.mkdtemp(prefix="realbench-"))
    try:
        fresh_database(R_DB)
        fresh_database(S_DB)
        run(app.build(bin_, url(R_DB, "postgresql+psycopg2"), work), work, env)

        # mlflow's own Alembic environment, with the model modules imported, pointed at R
        site = Path(subprocess.check_output([str(python), "-c", "import mlflow, os; print(os.path.dirname(mlflow.__file__))"],
                                            text=True).strip())
        alembic_dir = work / "alembic"
        shutil.copytree(site / "store" / "db_migrations", alembic_dir / "db_migrations")
        env_py = alembic_dir / "db_migrations" / "env.py"
        env_py.write_text(ENV_IMPORTS + env_py.read_text())
        (alembic_dir / "alembic.ini").write_text(
            f"[alembic]\nscript_location = db_migrations\nsqlalchemy.url = {url(R_DB, 'postgresql+psycopg2')}\n")

        project = work / "project"
        project.mkdir()
        (project / "safeshift.toml").write_text(f'schema = "{app.schema}"\nmigrations = "migrations"\n'
                                                'dialect = "postgresql"\n')
        for name, text in app.modules.items():
            (project / name).write_text(text)
        safeshift = [str(python), "-m", "safeshift"]
        run([*safeshift, "generate", "--name", "initial"], project, env)
        run([*safeshift, "migrate", "--url", url(S_DB), "--yes"], project, env)
        scratch = work / "scratch"

        def generate() -> float:
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.copytree(project, scratch, ignore=shutil.ignore_patterns("migrations", "__pycache__"))
            (scratch / "migrations").mkdir()
            return run([*safeshift, "generate", "--name", "initial"], scratch, env)

        commands = {
            "alembic check (R)": lambda: run([str(bin_ / "alembic"), "-c", "alembic.ini", "check"], alembic_dir, env,
                                             ok=(0, 255)),
            "safeshift diff --url R": lambda: run([*safeshift, "diff", "--url", url(R_DB)], project, env, ok=(0, 1)),
            "safeshift generate": generate,
            "safeshift verify --url S": lambda: run([*safeshift, "verify", "--url", url(S_DB)], project, env),
        }
        # the comparison alembic check made (it exits 255 when the models and the database differ): shown once,
        # so a broken environment is not timed as a comparison
        check = subprocess.run([str(bin_ / "alembic"), "-c", "alembic.ini", "check"], cwd=alembic_dir, env=env,
                               capture_output=True, text=True, check=False)
        said = (check.stdout + check.stderr).strip().splitlines()
        if check.returncode not in (0, 255) or not any("upgrade operations" in line for line in said):
            raise SystemExit("alembic check did not compare:\n" + "\n".join(said[-20:]))
        print(f"alembic check: {said[-1].count('), (') + 1} operation(s) detected (exit {check.returncode})")
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(command())
        base = statistics.median(times["alembic check (R)"])
        print(f"mlflow models on PostgreSQL 15, {args.runs} runs each, interleaved (seconds)")
        print(f"{'command':<28} {'best':>7} {'median':>7} {'median / alembic check':>24}")
        for name, t in times.items():
            print(f"{name:<28} {min(t):7.2f} {statistics.median(t):7.2f} {statistics.median(t) / base:24.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            for db in (R_DB, S_DB):
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

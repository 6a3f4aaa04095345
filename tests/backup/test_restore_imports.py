"""`safeshift restore --into` stays a thin wrapper around the restore tool: it must not import the
dialect's rendering and change model, SQLAlchemy or psycopg (PostgreSQL: pg_restore and a psql
probe do the work), which took a third of its fixed cost (docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg

from safeshift.backup import backup
from safeshift.dialects import dialect_for_url

#: modules a restore into a new database has no use for
HEAVY = ("safeshift.changes", "safeshift.dialects.postgres.dialect", "safeshift.dialects.postgres.clauses",
         "safeshift.dialects.postgres.render", "safeshift.dialects.postgres.safe", "safeshift.dialects.sqlite.dialect",
         "safeshift.dialects.sqlite.render", "safeshift.diff", "sqlalchemy", "psycopg")

_PROBE = """
import json, sys
from safeshift.cli import main
try:
    main(["restore", sys.argv[1], "--into", sys.argv[2]], standalone_mode=False)
finally:
    heavy = sys.argv[3].split(",")
    print(json.dumps(sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy))),
          file=sys.stderr)
"""


def _restore_in_fresh_interpreter(dump: Path, into: str, tmp_path: Path) -> list[str]:
    env = {**os.environ, "SAFESHIFT_ENV": "development"}
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(dump), into, ",".join(HEAVY)], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "restored" in proc.stdout
    loaded: list[str] = json.loads(proc.stderr.strip().splitlines()[-1])
    return loaded


def test_pg_restore_imports_only_what_it_runs(pg_url: str, pg_target: str, tmp_path: Path) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10)")
    made = backup(pg_url, tmp_path / "bk", env_name=None, migrations_version=None, dialect=dialect_for_url(pg_url))
    assert _restore_in_fresh_interpreter(made.path, pg_target, tmp_path) == []
    with psycopg.connect(pg_target) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (10,)


def test_sqlite_restore_imports_only_what_it_runs(sqlite_url: str, tmp_path: Path) -> None:
    """Also: outside a project (no configuration file) a SQLite URL is taken as what it says."""
    import sqlite3

    db = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY)")
    made = backup(sqlite_url, tmp_path / "bk", env_name=None, migrations_version=None,
                  dialect=dialect_for_url(sqlite_url))
    target = tmp_path / "restored.db"
    assert _restore_in_fresh_interpreter(made.path, f"sqlite:///{target}", tmp_path) == []
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 't'").fetchone() == (1,)

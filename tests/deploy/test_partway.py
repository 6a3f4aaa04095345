"""A lock-safe migration that fails part-way, and Ctrl-C anywhere in a deploy: the database ends exactly
where it started (schema introspected, rows fingerprinted) or fully released, and the history and the
release record say which.

The migration of the first test is what `safeshift generate` writes for a table that holds rows:
ADD COLUMN, then NOT NULL through a CHECK added NOT VALID and validated in its own transaction.  The
validation meets NULLs at the third step, after two steps committed; their `-- safeshift:undoes`
blocks take them back.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from safeshift.engines.postgres import embedded
from tests.deploy._kit import data, record, statuses
from tests.runner._project import (
    SAFESHIFT,
    Project,
    clean_env,
    connect,
    error_line,
    history_rows,
    run,
    schema_of,
)

MODELS_V1 = '''
import sqlalchemy as sa
metadata = sa.MetaData()
users = sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("email", sa.Text, nullable=False), sa.Column("name", sa.Text))
'''
MODELS_V2 = MODELS_V1.replace('sa.Column("name", sa.Text))',
                              'sa.Column("name", sa.Text, nullable=False), sa.Column("age", sa.Integer))')


def _generated_project(tmp_path: Path, url: str) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / "models.py").write_text(MODELS_V1, encoding="utf-8")
    (root / "safeshift.toml").write_text(
        'schema = "models:metadata"\nmigrations = "migrations"\ndialect = "postgresql"\n\n'
        f'[environments.production]\nurl = {json.dumps(url)}\nconfirm = true\n', encoding="utf-8")
    run(root, "generate", "--name", "initial")
    run(root, "migrate", "--env", "production", "--yes")
    conn = connect(url)
    try:
        conn.execute("INSERT INTO users (id, email, name) VALUES (1, 'a@example.com', 'Ann'), "
                     "(2, 'b@example.com', NULL), (3, 'c@example.com', 'Cy')")
    finally:
        conn.close()
    (root / "models.py").write_text(MODELS_V2, encoding="utf-8")
    run(root, "generate", "--name", "require_user_name")
    return root


def test_generated_lock_safe_migration_failing_at_its_third_step_is_undone(tmp_path: Path, pg_url: str) -> None:
    root = _generated_project(tmp_path, pg_url)
    text = next((root / "migrations").glob("*_require_user_name.sql")).read_text()
    assert "-- safeshift:undoes 2" in text and "-- safeshift:undoes 1" in text  # one block per step that starts a change
    schema, rows, hist = schema_of(pg_url), data(pg_url), history_rows(pg_url)

    proc = run(root, "deploy", "--env", "production", "--yes", expect=1)
    line = error_line(proc)
    assert "VALIDATE CONSTRAINT" in line and "23514" in line, line
    assert "the 2 step(s) of it that had committed were undone, so the database is as it was" in line, line
    assert schema_of(pg_url) == schema and data(pg_url) == rows
    failed = {v: s for v, s in history_rows(pg_url).items() if v not in hist}
    assert list(failed.values()) == ["failed"]
    with psycopg.connect(pg_url) as conn:  # nothing of it left: no column, no helper check, progress 0
        assert conn.execute("SELECT progress FROM safeshift.safeshift_migrations WHERE status = 'failed'"
                            ).fetchone() == (0,)
    doc = record(Project(root, pg_url))
    assert doc["outcome"] == "failed" and "its 2 committed step(s) were undone" in doc["error"]
    assert statuses(doc)["applied"] == "failed" and statuses(doc)["rollback"] == "passed"

    # with the NULL filled the same migration applies, and rolls back through the same blocks
    conn = connect(pg_url)
    try:
        conn.execute("UPDATE users SET name = 'Bo' WHERE id = 2")
    finally:
        conn.close()
    rows = data(pg_url)
    run(root, "migrate", "--env", "production", "--yes")
    assert [c.name for c in schema_of(pg_url).tables[0].columns][-1] == "age"
    run(root, "rollback", "--env", "production", "--yes")
    assert schema_of(pg_url) == schema and data(pg_url) == rows


# -- Ctrl-C anywhere in a five-step deploy -------------------------------------------------------------

_FIVE_STEPS = ("20260101000002", "five_steps",
               "ALTER TABLE users ADD COLUMN s1 integer;\nSELECT pg_sleep(0.15);\n"
               "-- safeshift:new-transaction\nALTER TABLE users ADD COLUMN s2 integer;\nSELECT pg_sleep(0.15);\n"
               "-- safeshift:no-transaction\nCREATE INDEX CONCURRENTLY users_s1 ON users (s1);\n"
               "ALTER TABLE users ADD COLUMN s3 integer;\nSELECT pg_sleep(0.15);\n"
               "-- safeshift:no-transaction\nSELECT pg_sleep(0.3);",
               "-- safeshift:undoes 5\nSELECT 1;\n"
               "-- safeshift:undoes 4\nALTER TABLE users DROP COLUMN IF EXISTS s3;\n"
               "-- safeshift:undoes 3\n-- safeshift:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS users_s1;\n"
               "-- safeshift:undoes 2\nALTER TABLE users DROP COLUMN IF EXISTS s2;\n"
               "-- safeshift:undoes 1\nALTER TABLE users DROP COLUMN IF EXISTS s1;")


def _clone(admin: str, template: str, name: str) -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return embedded.database_url(admin, name)


def test_sigint_at_random_points_of_a_deploy_leaves_all_or_nothing(tmp_path: Path, pg18_admin_url: str) -> None:
    """20 deploys, each sent SIGINT at a random moment: every one ends with no `running` or `rolling_back`
    row, a finished release record, and the schema of the start or of the release, never one between."""
    from tests.rehearse._kit import V1, build

    base = f"ss_sigint_{os.getpid()}"
    admin = pg18_admin_url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{base}"')
    names: list[str] = []
    try:
        base_url = embedded.database_url(admin, base)
        p = build(tmp_path / "template", base_url, (V1, _FIVE_STEPS), applied=1, environments="")
        start_schema, start_rows = schema_of(base_url), data(base_url)
        end_url = _clone(admin, base, f"{base}_end")
        names.append(f"{base}_end")
        run(p.root, "migrate", "--url", end_url)
        end_schema = schema_of(end_url)
        rng = random.Random(int(os.environ.get("SAFESHIFT_TEST_SEED", "13")))  # another seed explores other moments
        outcomes: dict[str, int] = {}
        for trial in range(20):
            name = f"{base}_{trial}"
            url = _clone(admin, base, name)
            names.append(name)
            root = tmp_path / f"t{trial}"
            shutil.copytree(p.root, root)
            (root / "safeshift.toml").write_text(
                'migrations = "migrations"\ndialect = "postgresql"\n\n'
                f'[environments.production]\nurl = {json.dumps(url)}\nconfirm = true\n', encoding="utf-8")
            proc = subprocess.Popen([*SAFESHIFT, "deploy", "--env", "production", "--yes"], cwd=root,
                                    env=clean_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            time.sleep(rng.uniform(0.3, 2.5))
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
            assert "Traceback" not in err + out and "internal error" not in err, err
            rows = history_rows(url)
            assert set(rows.values()) <= {"applied", "failed"}, (trial, rows, err)
            schema = schema_of(url)
            assert schema in (start_schema, end_schema), (trial, err)
            released = schema == end_schema
            assert (rows.get(_FIVE_STEPS[0]) == "applied") == released, (trial, rows, err)
            if not released:
                assert data(url) == start_rows, (trial, err)  # every row as it was
            docs = sorted((root / ".safeshift" / "releases").glob("*.json"))
            if docs:  # a signal during start-up stops it before the record exists; nothing was changed then
                doc = json.loads(docs[-1].read_text())
                assert doc["outcome"] != "in progress", (trial, doc, err)
                assert (doc["outcome"] == "released") == released, (trial, doc["outcome"], err)
            else:
                assert not released
            key = "released" if released else "start"
            outcomes[key] = outcomes.get(key, 0) + 1
        assert outcomes.get("start", 0) >= 5, outcomes  # the signal mostly lands while the deploy works
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in [*names, base]:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_migrate_undoes_the_current_migration_and_says_so(tmp_path: Path, pg_url: str,
                                                                     sig: signal.Signals) -> None:
    from tests.rehearse._kit import V1, build

    p = build(tmp_path, pg_url, (V1, _FIVE_STEPS), applied=1)
    schema, rows = schema_of(pg_url), data(pg_url)
    proc = subprocess.Popen([*SAFESHIFT, "migrate", "--url", pg_url], cwd=p.root, env=clean_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "s2" not in [c.name for c in schema_of(pg_url).tables[-1].columns]:
        time.sleep(0.05)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert re.fullmatch(rf"error: Interrupted \({sig.name}\) during {_FIVE_STEPS[0]}_{_FIVE_STEPS[1]}\.sql; its [234] "
                        r"committed step\(s\) were undone: nothing of it is applied, and nothing after it was "
                        r"started\.", err.strip()), err
    assert schema_of(pg_url) == schema and data(pg_url) == rows
    status = run(p.root, "status", "--url", pg_url, "--json")
    row = next(m for m in json.loads(status.stdout)["migrations"] if m["version"] == _FIVE_STEPS[0])
    assert row["state"] == "failed" and row["error"].startswith(f"interrupted ({sig.name}) at step")

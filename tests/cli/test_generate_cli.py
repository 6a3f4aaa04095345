"""`safeshift` as a user meets it: real subprocesses in a temporary project, real databases."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SAFESHIFT = [sys.executable, "-m", "safeshift.cli"]

MODELS_V1 = """
    import sqlalchemy as sa
    metadata = sa.MetaData()
    users = sa.Table(
        "users", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("fullname", sa.String(100), nullable=False),
        sa.Column("age", sa.Integer),
    )
"""

MODELS_V2_RENAMED = MODELS_V1.replace('"fullname"', '"name"')


def run(project: Path, *args: str, expect: int = 0, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([*SAFESHIFT, *args], cwd=project, capture_output=True, text=True, env=full_env,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == expect, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    return proc


def make_project(tmp_path: Path, dialect: str, models: str = MODELS_V1) -> Path:
    project = tmp_path / "app"
    project.mkdir()
    (project / "models.py").write_text(textwrap.dedent(models))
    run(project, "init", "--schema", "models:metadata", "--dialect", dialect)
    return project


def write_models(project: Path, models: str) -> None:
    (project / "models.py").write_text(textwrap.dedent(models))
    for cached in (project / "__pycache__").glob("*.pyc"):
        cached.unlink()


@pytest.fixture(params=["postgresql", "sqlite"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_generate_writes_files_and_then_reports_no_changes(tmp_path: Path, dialect: str) -> None:
    project = make_project(tmp_path, dialect)
    out = run(project, "generate", "--name", "initial").stdout
    assert re.search(r"wrote migrations/\d{14}_initial\.sql: 1 created, 0 altered, 0 dropped", out)
    files = sorted((project / "migrations").glob("*.sql"))
    assert len(files) == 1
    text = files[0].read_text()
    assert "-- migrate:up" in text and "-- migrate:down" in text
    assert len(list((project / "migrations" / "meta").glob("*_snapshot.json"))) == 1
    assert (project / "migrations" / "safeshift.sum").exists()
    assert run(project, "generate", "--name", "again").stdout.strip() == "no changes"
    run(project, "generate", "--check")


def test_check_fails_when_models_change(tmp_path: Path, dialect: str) -> None:
    project = make_project(tmp_path, dialect)
    run(project, "generate", "--name", "initial")
    write_models(project, MODELS_V1.replace('sa.Column("age", sa.Integer),',
                                            'sa.Column("age", sa.Integer),\n        sa.Column("bio", sa.Text),'))
    proc = run(project, "generate", "--check", expect=1)
    assert "public.users.bio" in proc.stderr or "main.users.bio" in proc.stderr


def test_rename_without_terminal_is_refused_with_the_flags(tmp_path: Path, dialect: str) -> None:
    project = make_project(tmp_path, dialect)
    run(project, "generate", "--name", "initial")
    write_models(project, MODELS_V2_RENAMED)
    proc = run(project, "generate", "--name", "rename_fullname", expect=2)
    assert "--rename users.fullname=name" in proc.stderr
    assert len(list((project / "migrations").glob("*.sql"))) == 1, "nothing may be written on refusal"
    out = run(project, "generate", "--name", "rename_fullname", "--rename", "users.fullname=name").stdout
    assert "1 altered" in out or "altered" in out
    text = sorted((project / "migrations").glob("*_rename_fullname.sql"))[0].read_text()
    assert "RENAME" in text.upper() or "INSERT INTO" in text.upper()  # SQLite may rebuild instead


def test_data_loss_is_warned(tmp_path: Path, dialect: str) -> None:
    project = make_project(tmp_path, dialect)
    run(project, "generate", "--name", "initial")
    write_models(project, MODELS_V1.replace('        sa.Column("age", sa.Integer),\n', ""))
    out = run(project, "generate", "--name", "drop_age", "--no-rename", "users.age").stdout
    assert "warning: data loss" in out and "users.age" in out
    text = sorted((project / "migrations").glob("*_drop_age.sql"))[0].read_text()
    assert "backup" in text  # the down section says the data does not come back


def test_custom_and_rehash_and_unsealed_edit(tmp_path: Path, dialect: str) -> None:
    project = make_project(tmp_path, dialect)
    run(project, "generate", "--name", "initial")
    run(project, "generate", "--custom", "--name", "backfill_age")
    custom = sorted((project / "migrations").glob("*_backfill_age.sql"))[0]
    custom.write_text(custom.read_text().replace("-- migrate:down", "UPDATE users SET age = 0 WHERE age IS NULL;\n\n-- migrate:down"))
    proc = run(project, "generate", "--name", "next", expect=2)
    assert custom.name in proc.stderr and "safeshift rehash" in proc.stderr
    run(project, "rehash")
    assert run(project, "generate", "--name", "next").stdout.strip() == "no changes"


@pytest.mark.parametrize("name", ["Bad-Name", "", "x" * 101, "has space"])
def test_invalid_migration_name(tmp_path: Path, name: str) -> None:
    project = make_project(tmp_path, "sqlite")
    proc = run(project, "generate", "--name", name, expect=2)
    assert "invalid" in proc.stderr.lower() or "required" in proc.stderr.lower()


def test_schema_not_importable(tmp_path: Path) -> None:
    project = make_project(tmp_path, "sqlite")
    (project / "models.py").unlink()
    proc = run(project, "generate", "--name", "initial", expect=2)
    assert "Cannot import 'models'" in proc.stderr
    assert proc.stderr.count("\n") <= 2


def test_schema_not_metadata(tmp_path: Path) -> None:
    project = make_project(tmp_path, "sqlite", models="metadata = 42\n")
    proc = run(project, "generate", "--name", "initial", expect=2)
    assert "not a SQLAlchemy MetaData" in proc.stderr


def test_unknown_dialect(tmp_path: Path) -> None:
    project = tmp_path / "app"
    project.mkdir()
    proc = run(project, "init", "--dialect", "oracle", expect=2)
    assert "Unknown dialect 'oracle'" in proc.stderr


def test_malformed_config_names_file_and_line(tmp_path: Path) -> None:
    project = make_project(tmp_path, "sqlite")
    (project / "safeshift.toml").write_text('schema = "models:metadata"\ndialect = \n')
    proc = run(project, "generate", "--name", "initial", expect=2)
    assert "safeshift.toml" in proc.stderr and "line 2" in proc.stderr


def test_duplicate_versions(tmp_path: Path) -> None:
    project = make_project(tmp_path, "sqlite")
    run(project, "generate", "--name", "initial")
    first = sorted((project / "migrations").glob("*.sql"))[0]
    (project / "migrations" / (first.name[:14] + "_copy.sql")).write_text(first.read_text())
    proc = run(project, "generate", "--name", "next", expect=2)
    assert "_copy.sql" in proc.stderr and first.name in proc.stderr


def test_migrate_then_diff_is_empty(tmp_path: Path, db_url: str) -> None:
    dialect = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    project = make_project(tmp_path, dialect)
    run(project, "generate", "--name", "initial")
    out = run(project, "migrate", "--url", db_url).stdout
    assert "1 applied" in out
    assert "nothing to apply" in run(project, "migrate", "--url", db_url).stdout
    assert run(project, "diff", "--url", db_url).stdout.strip() == "-- no changes"
    write_models(project, MODELS_V2_RENAMED)
    run(project, "generate", "--name", "rename", "--rename", "users.fullname=name")
    # renaming a column breaks the app version still running: review blocks it until acknowledged (every dialect)
    refused = run(project, "migrate", "--url", db_url, expect=1).stderr
    assert "unacknowledged hazard [renaming-column]" in refused and "--allow-hazards" in refused
    allowed = run(project, "migrate", "--url", db_url, "--allow-hazards").stdout
    assert run(project, "diff", "--url", db_url).stdout.strip() == "-- no changes"
    assert "hazards allowed by --allow-hazards: renaming-column (line" in allowed
    if not db_url.startswith("sqlite"):
        import psycopg

        with psycopg.connect(db_url) as conn:
            rows = conn.execute("SELECT allowed_hazards FROM safeshift.safeshift_migrations "
                                "WHERE name = 'rename'").fetchall()
        assert rows and "renaming-column" in rows[0][0]


def test_password_is_redacted_in_connection_errors(tmp_path: Path) -> None:
    project = make_project(tmp_path, "postgresql")
    run(project, "generate", "--name", "initial")
    proc = run(project, "migrate", "--url", "postgresql://app:hunter2@127.0.0.1:1/app", expect=4)
    assert "hunter2" not in proc.stderr + proc.stdout
    assert "app:***@127.0.0.1" in proc.stderr

"""Wrong flags, wrong URLs, broken folders: each is one clear sentence and exit 2 (4 for an unreachable
database), never a traceback, and nothing is changed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from safeshift.text import redact_url
from tests.runner._project import (
    MIGRATIONS,
    Project,
    error_line,
    history_exists,
    history_rows,
    invoke,
    json_lines,
    make_project,
)

V1 = MIGRATIONS[0][0]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = make_project(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")
    p.add_all(MIGRATIONS[:2])
    return p


@pytest.mark.parametrize(("args", "message"), [
    (["migrate", "--to", "123"], "--to 123: there is no migration with that version in migrations/."),
    (["rollback", "--to", "20990101000000"], "--to 20990101000000: this database has not applied a migration "
                                             "with that version (use --to 0 to roll back everything)."),
    (["status", "--env", "nope"], "Unknown environment 'nope' (safeshift.toml defines: development)."),
    (["migrate", "--url", ""], "--url is empty (an unset variable?); give the database URL, or leave --url out "
                               "to use the environment's."),
    (["migrate", "--url", "oracle://app:s3cret@db/app"], "Cannot tell the database kind from URL scheme 'oracle:'; "
                                                         "use postgresql://..., mysql://... or sqlite:///path/to/file.db."),
    (["migrate", "--url", "postgresql://app:s3cret@db/app"],
     "postgresql://app:***@db/app is a postgresql URL, but the migrations are for sqlite (`dialect` in the "
     "project's configuration); give a sqlite URL, or change the dialect."),
])
def test_one_sentence_exit_2(project: Project, args: list[str], message: str) -> None:
    proc = invoke(project.root, *args, *([] if "--url" in args else ["--url", project.url]), expect=2)
    assert error_line(proc) == message
    assert "s3cret" not in proc.stdout + proc.stderr
    assert not history_exists(project.url)


@pytest.mark.parametrize(("args", "message"), [
    (["rollback", "--steps", "0"], "Invalid value for '--steps': 0 is not in the range x>=1."),
    (["rollback", "--steps", "1", "--to", "0"], "Give --steps or --to, not both."),
    (["migrate", "--lock-wait", "-1"], "Invalid value for '--lock-wait': -1.0 is not in the range x>=0."),
])
def test_usage_errors(project: Project, args: list[str], message: str) -> None:
    proc = project.run(*args, expect=2)
    assert proc.stderr.rstrip().endswith(f"Error: {message}")


def test_sqlite_url_for_a_postgresql_project(tmp_path: Path) -> None:
    p = make_project(tmp_path, "postgresql://app@127.0.0.1:1/app")
    p.add(*MIGRATIONS[0])
    db = tmp_path / "x.db"
    assert error_line(invoke(p.root, "status", "--url", f"sqlite:///{db}", expect=2)).startswith(
        f"sqlite:///{db} is a sqlite URL, but the migrations are for postgresql")
    assert not db.exists()


def test_sqlite_file_missing_is_refused(project: Project, tmp_path: Path) -> None:
    """migrate, rollback and status never create the file an explicit --url names (a typo would migrate a
    new empty database): "no such database file", exit 2, and nothing is made."""
    for args in (("migrate", "--yes"), ("rollback", "--yes"), ("status",), ("migrate", "--dry-run")):
        for db in (tmp_path / "typo.db", tmp_path / "no" / "such" / "app.db"):
            proc = project.run(*args, "--url", f"sqlite:///{db}", url=False, expect=2)
            assert error_line(proc) == (f"There is no such database file: {db}; check the path in --url, or "
                                        "create the empty file first (`touch` it) to start a new database there.")
            assert not db.exists()
    (tmp_path / "empty.db").touch()  # an empty file is an empty database: that one is migrated
    project.run("migrate", "--yes", "--url", f"sqlite:///{tmp_path / 'empty.db'}", url=False)
    assert history_rows(f"sqlite:///{tmp_path / 'empty.db'}")


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_url_without_a_scheme_is_a_usage_error(tmp_path: Path, dialect: str) -> None:
    """`--url 'not a url'` once migrated a new SQLite file of that name (and libpq parsed it in a PostgreSQL
    project, exit 4): it is a usage mistake naming the forms the project's URLs take."""
    p = make_project(tmp_path, f"sqlite:///{tmp_path / 'x.db'}" if dialect == "sqlite" else "postgresql://127.0.0.1:1/x")
    p.add(*MIGRATIONS[0])
    forms = {"sqlite": "sqlite:///relative/path.db or sqlite:////absolute/path.db",
             "postgresql": "postgresql://user@host:5432/dbname (or a libpq string: host=... dbname=...)"}[dialect]
    for args in (("migrate", "--yes"), ("rollback", "--yes"), ("status",)):
        proc = invoke(p.root, *args, "--url", "not a url", expect=2)
        assert error_line(proc) == f"The URL not a url has no scheme, so it is not a {dialect} database URL; use {forms}."
    assert not (p.root / "not a url").exists()
    leaked = invoke(p.root, "status", "--url", "db.example.com/app?password=s3cret", expect=2)
    assert error_line(leaked) == (f"The URL db.example.com/app?password=*** has no scheme, so it is not a {dialect} "
                                  f"database URL; use {forms}.")


def test_broken_folders(project: Project) -> None:
    (project.root / "migrations" / "safeshift.sum").unlink()
    assert error_line(project.run("migrate", expect=2)) == (
        "migrations/safeshift.sum is missing; review the migrations and run `safeshift rehash` before "
        "`safeshift migrate` to seal them.")
    bad = project.folder / "20260101000009_no_marker.sql"
    bad.write_text("CREATE TABLE x (id integer);\n")
    assert error_line(project.run("migrate", expect=2)) == (
        f"migrations/{bad.name} has no `-- migrate:up` line; add it above the statements to apply.")
    bad.rename(project.folder / "add_x.sql")
    assert "does not match the migration file pattern" in error_line(project.run("status", expect=2))
    for item in project.folder.iterdir():
        if item.is_file():
            item.unlink()
    project.folder.rmdir()
    assert error_line(project.run("migrate", expect=2)) == (
        f"There is no migrations folder at {project.folder}; run `safeshift generate` first.")
    assert not history_exists(project.url)


def test_atomic_refuses_a_no_transaction_migration(tmp_path: Path) -> None:
    p = make_project(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")
    p.add(*MIGRATIONS[0])
    loose = p.add("20260101000002", "loose", "-- safeshift:no-transaction\nCREATE INDEX users_email ON users (email);",
                  "DROP INDEX users_email;")
    expected = (f"--atomic cannot include {loose.name}: line 3 runs outside a transaction "
                "(-- safeshift:no-transaction); run without --atomic.")
    assert error_line(p.run("migrate", "--atomic", "--dry-run", expect=2)) == expected
    assert error_line(p.run("migrate", "--atomic", expect=2)) == expected
    assert history_rows(p.url) == {}
    p.run("migrate")
    assert history_rows(p.url) == {V1: "applied", "20260101000002": "applied"}


@pytest.mark.parametrize(("table", "message"), [
    ('[environments.staging]\nurl = "sqlite:///${APP_DB_PATH}"\n',
     "The url of environment 'staging' uses ${APP_DB_PATH}, which is not set; export it or add it to .env."),
    ('[environments.staging]\nurl = "sqlite:///x.db"\nlock_timeout = "soon"\n',
     "'lock_timeout' in [environments.staging] in safeshift.toml must be a duration such as \"5s\" or "
     "\"500ms\", not 'soon'."),
])
def test_configuration_mistakes(tmp_path: Path, table: str, message: str) -> None:
    p = make_project(tmp_path, f"sqlite:///{tmp_path / 'app.db'}", table)
    p.add(*MIGRATIONS[0])
    assert error_line(p.run("migrate", "--env", "staging", url=False, expect=2)) == message
    assert not (p.root / "x.db").exists()


@pytest.mark.parametrize("command", ["migrate", "rollback"])
def test_log_json_reports_configuration_errors_on_stdout(tmp_path: Path, command: str) -> None:
    p = make_project(tmp_path, f"sqlite:///{tmp_path / 'app.db'}", "[environments.production]\n")
    p.add(*MIGRATIONS[0])
    proc = p.run(command, "--log-json", "--env", "production", url=False, expect=2)
    (record,) = json_lines(proc.stdout)
    assert record["event"] == "error" and record["exit_code"] == 2 and record["error"] == "ConfigError"
    assert record["message"] == error_line(proc) == (
        "DATABASE_URL is not defined (and environment 'production' has no url in safeshift.toml).")


def test_redaction_survives_a_mangled_url() -> None:
    """A path normaliser turns ``//`` into ``/``; the password must still be hidden."""
    assert redact_url("the folder postgresql:/app:s3cret@db:5432 does not exist") == (
        "the folder postgresql:/app:***@db:5432 does not exist")


def test_python_dash_m_safeshift(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "safeshift", "--version"], cwd=tmp_path, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0 and "safeshift" in proc.stdout



"""The embedded development server starts only inside a project, and `safeshift dev url` / `dev stop`.

Outside a project (no safeshift.toml) no command may start a server or make a `.safeshift/`
folder in whatever folder it ran in; inside one, `dev url` prints the development database's
URL (starting its server) and `dev stop` stops that server, safely twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from safeshift.engines.postgres import embedded
from tests import _servers
from tests.conftest import PG15_ADMIN
from tests.runner._project import error_line, invoke, run

NO_PROJECT_DB = ("There is no safeshift.toml here or in any parent folder, so there is no development database to "
                 "start: run `safeshift init` to start a project, or give the database with --url or DATABASE_URL.")
NO_PROJECT_DEV = ("There is no safeshift.toml here or in any parent folder, and `safeshift dev` works on a project's "
                  "development database: run `safeshift init` to start a project.")

#: every command that reaches a database, run without --url or DATABASE_URL
DATABASE_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("status",), ("verify",), ("migrate",), ("migrate", "--dry-run"), ("rollback",), ("diff",), ("backup",),
    ("deploy", "--yes"), ("rehearse", "--scratch"), ("restore", "some.dump", "--env", "development"),
)


def servers_in(folder: Path) -> list[str]:
    """The command lines of running processes that mention ``folder`` (a server started there)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(folder) in args and "postgres" in args:
            found.append(args)
    return found


@pytest.fixture
def project_folder() -> Iterator[Path]:
    """A folder the embedded server's own user can reach (pytest's tmp_path is 0700 under root); its
    servers are stopped and the folder deleted afterwards."""
    folder = _servers.server_folder("dev")
    try:
        yield folder
    finally:
        _servers.release(folder)


def test_outside_a_project_no_command_starts_a_server(tmp_path: Path) -> None:
    empty = tmp_path / "not-a-project"
    empty.mkdir()
    for args in DATABASE_COMMANDS:
        assert error_line(invoke(empty, *args, expect=2)) == NO_PROJECT_DB, args
    for args in (("dev", "url"), ("dev", "stop")):
        assert error_line(invoke(empty, *args, expect=2)) == NO_PROJECT_DEV, args
    # as a user runs it, in a process of its own
    assert error_line(run(empty, "status", expect=2)) == NO_PROJECT_DB
    assert list(empty.iterdir()) == []
    assert servers_in(empty) == []


def test_outside_a_project_a_scratch_database_is_not_made_on_a_new_server(tmp_path: Path) -> None:
    """A user without CREATEDB: the restore check's scratch database fell back to an embedded server
    started in the current folder; outside a project that is refused."""
    name, role = f"ss_test_{uuid.uuid4().hex[:12]}", f"ss_nocreatedb_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG15_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN NOCREATEDB')
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{role}"')
    url = PG15_ADMIN.replace("postgres@", f"{role}@", 1).rsplit("/", 1)[0] + f"/{name}"
    empty = tmp_path / "not-a-project"
    empty.mkdir()
    try:
        message = error_line(run(empty, "backup", "--url", url, "--verify-restore", expect=2))
    finally:
        with psycopg.connect(PG15_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
    assert message == (
        f"The user of {url} may not create databases (CREATEDB), and there is no safeshift.toml here or in any "
        "parent folder whose embedded server could hold the scratch database: grant CREATEDB, or run this in a "
        "project (`safeshift init`).")
    assert not (empty / ".safeshift" / "pg").exists()
    assert servers_in(empty) == []


def test_dev_url_and_stop_in_a_postgresql_project(project_folder: Path) -> None:
    (project_folder / "migrations").mkdir()
    (project_folder / "safeshift.toml").write_text('dialect = "postgresql"\n', encoding="utf-8")
    (project_folder / "migrations" / "20260101000001_create_users.sql").write_text(
        "-- migrate:up\nCREATE TABLE users (id integer PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE users;\n")
    run(project_folder, "rehash")
    pg = project_folder / ".safeshift" / "pg"
    assert not pg.exists(), "only a command that needs the development database starts its server"

    url = run(project_folder, "dev", "url").stdout.strip()
    assert url == f"postgresql://postgres:@/safeshift_dev?host={pg}"
    assert embedded.server_running(pg) and servers_in(pg)
    run(project_folder, "migrate")  # no --url: the same database
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('public.users') IS NOT NULL").fetchone() == (True,)

    stopped = run(project_folder, "dev", "stop").stdout
    assert stopped == "stopped the embedded database server (.safeshift/pg); its data stays there\n"
    assert not embedded.server_running(pg) and servers_in(pg) == []
    again = run(project_folder, "dev", "stop").stdout
    assert again == "no embedded database server is running for this project (.safeshift/pg)\n"

    assert run(project_folder, "dev", "url").stdout.strip() == url  # started again, with its data
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('public.users') IS NOT NULL").fetchone() == (True,)
    assert "stopped the embedded database server" in invoke(project_folder, "dev", "stop").stdout


def test_dev_url_in_a_sqlite_project_is_its_file(tmp_path: Path) -> None:
    (tmp_path / "safeshift.toml").write_text('dialect = "sqlite"\n', encoding="utf-8")
    url = invoke(tmp_path, "dev", "url").stdout.strip()
    assert url == f"sqlite:///{tmp_path.resolve() / '.safeshift' / 'development.sqlite3'}"
    sub = tmp_path / "app" / "models"
    sub.mkdir(parents=True)
    assert invoke(sub, "dev", "url").stdout.strip() == url, "from a subfolder: the project's database"
    assert invoke(tmp_path, "dev", "stop").stdout == (
        "no embedded database server is running for this project (.safeshift/pg)\n")
    assert not (tmp_path / ".safeshift" / "pg").exists()


def test_dev_url_hides_a_password(tmp_path: Path) -> None:
    (tmp_path / "safeshift.toml").write_text(
        'dialect = "postgresql"\n\n[environments.development]\n'
        'url = "postgresql://app:s3cr3t-pw@127.0.0.1:5432/app_dev"\n', encoding="utf-8")
    shown = invoke(tmp_path, "dev", "url", env={"SAFESHIFT_ENV": "production"})  # dev url is development's
    assert shown.stdout == "postgresql://app:***@127.0.0.1:5432/app_dev\n"
    assert "s3cr3t-pw" not in shown.stdout + shown.stderr
    assert shown.stderr == "note: the password is shown as ***; the full URL is in the development environment's url.\n"
    assert not (tmp_path / ".safeshift").exists()


def test_dev_url_says_when_it_is_database_url(tmp_path: Path) -> None:
    """Development without a url of its own follows DATABASE_URL, as every development command does: say so."""
    (tmp_path / "safeshift.toml").write_text('dialect = "sqlite"\n', encoding="utf-8")
    exported = f"sqlite:///{tmp_path / 'other.db'}"
    shown = invoke(tmp_path, "dev", "url", env={"DATABASE_URL": exported})
    assert shown.stdout == exported + "\n"
    assert shown.stderr == ("note: this is DATABASE_URL (the development environment has no url of its own); unset "
                            "it to use the embedded default database.\n")
    assert not (tmp_path / ".safeshift").exists()

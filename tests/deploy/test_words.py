"""What a release says to the people running it (issue 21): headers name the environment before its URL,
the release record's Markdown is a readable page, a restore says how old its backup is and what is lost."""

from __future__ import annotations

from pathlib import Path

from safeshift.text import redact_url
from tests.deploy._kit import deploy, make
from tests.runner._project import invoke


def test_headers_name_the_environment_then_the_redacted_url(tmp_path: Path, sqlite_url: str) -> None:
    p = make(tmp_path, sqlite_url)
    where = f"production ({redact_url(sqlite_url)})"
    assert deploy(p).stdout.splitlines()[0] == f"deploying to {where}"
    status = invoke(p.root, "status", "--env", "production").stdout.splitlines()
    assert status[0] == where
    assert invoke(p.root, "migrate", "--env", "production", "--yes").stdout.splitlines()[-1] == (
        f"{where}: nothing to apply (3 already applied)")
    assert invoke(p.root, "rollback", "--env", "production", "--yes").stdout.splitlines()[-1] == (
        f"{where}: 1 rolled back")

"""`safeshift verify` as a user runs it: clean, drift, health command."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from tests.cli.test_generate_cli import make_project, run


def test_verify_clean_then_drift_then_health(tmp_path: Path, pg_url: str) -> None:
    project = make_project(tmp_path, "postgresql")
    run(project, "generate", "--name", "initial")
    run(project, "migrate", "--url", pg_url)
    assert "no drift" in run(project, "verify", "--url", pg_url).stdout
    assert "health check" in run(project, "verify", "--url", pg_url, "--health", "test -n \"$DATABASE_URL\"").stdout
    failed = run(project, "verify", "--url", pg_url, "--health", "echo app down; exit 3", expect=1).stderr
    assert 'the health check "echo app down; exit 3" failed (exit 3): app down' in failed
    with psycopg.connect(pg_url, autocommit=True) as conn:
        table = conn.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = "
                             "'public'::regnamespace ORDER BY relname LIMIT 1").fetchone()[0]  # type: ignore[index]
        col = conn.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum = 1",
                           (table,)).fetchone()[0]  # type: ignore[index]
        conn.execute(f'CREATE INDEX by_hand ON "{table}" ("{col}")')
    proc = run(project, "verify", "--url", pg_url, expect=1)
    assert "extra index public.by_hand" in proc.stdout
    assert "1 difference(s)" in proc.stderr
    doc = json.loads(run(project, "verify", "--url", pg_url, "--json", expect=1).stdout)
    assert doc["clean"] is False and doc["differences"][0]["kind"] == "extra"


def test_verify_parses_the_configuration_once(tmp_path: Path, parses: list[Path]) -> None:
    """The loaded configuration's folder settings reach verify: it does not look them up again."""
    from tests.runner._project import invoke

    project = make_project(tmp_path, "sqlite")
    run(project, "generate", "--name", "initial")
    run(project, "migrate")
    parses.clear()
    assert "no drift" in invoke(project, "verify").stdout
    assert len(parses) == 1, f"safeshift verify parsed the configuration {len(parses)} times"

"""`safeshift verify` sees the objects beside tables: a schema built from SQL files is no drift on PostgreSQL 15
and 18 (views and functions included, whatever server rendered the source), and dropping a trigger, a policy
or an extension, or switching row-level security off, is drift naming each."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from safeshift.cli import main
from tests.objects.pairs import OWN_ROWS, RLS, TOUCH, TOUCH_TRIGGER, USERS

SOURCE = ("CREATE EXTENSION citext;\n" + USERS.replace("email text", "email citext") + TOUCH + TOUCH_TRIGGER + RLS
          + OWN_ROWS + "CREATE VIEW user_emails AS SELECT id, email FROM users WHERE id > 0;\n")


def _project(tmp_path: Path, url: str) -> Path:
    root = tmp_path / "app"
    (root / "schema").mkdir(parents=True)
    (root / "schema" / "schema.sql").write_text(SOURCE)
    (root / "safeshift.toml").write_text(
        'schema = "schema/*.sql"\nmigrations = "migrations"\ndialect = "postgresql"\n\n'
        f'[environments.development]\nurl = "{url}"\n')
    return root


def _run(root: Path, *args: str) -> tuple[int, str]:
    from click.testing import CliRunner

    result = CliRunner().invoke(main, list(args), catch_exceptions=False, env={"SAFESHIFT_ENV": "development"})
    return result.exit_code, result.output


def test_sql_source_objects_verify_clean_then_drift_named(pg_url: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, pg_url)
    monkeypatch.chdir(root)
    code, out = _run(root, "generate", "--name", "objects")
    assert code == 0, out
    code, out = _run(root, "migrate", "--url", pg_url, "--yes")
    assert code == 0, out
    code, out = _run(root, "verify", "--url", pg_url)
    assert code == 0, out

    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("DROP TRIGGER users_touch ON users")
        c.execute("DROP POLICY own_rows ON users")
        c.execute("ALTER TABLE users DISABLE ROW LEVEL SECURITY")
        c.execute("CREATE EXTENSION pg_trgm")
    code, out = _run(root, "verify", "--url", pg_url)
    assert code != 0, out
    assert "missing trigger users_touch on public.users" in out, out
    assert "missing policy own_rows on public.users" in out, out
    assert "changed row security public.users: live disabled, expected enabled" in out, out
    assert "extra extension pg_trgm" in out, out

    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("DROP EXTENSION pg_trgm")
        c.execute("DROP VIEW user_emails")
        c.execute("ALTER TABLE users ALTER COLUMN email TYPE text")
        c.execute("DROP EXTENSION citext")
    code, out = _run(root, "verify", "--url", pg_url)
    assert code != 0, out
    assert "missing extension citext" in out, out

"""Where a `.sql` schema source runs: `shadow_url`'s server, else the development environment's server, else
the embedded one — and a failure that is the server's (a feature its build lacks) is named as such."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from safeshift.cli import main

ONLY_ON_15 = ("DO $$ BEGIN IF current_setting('server_version_num')::int >= 160000 THEN "
              "RAISE EXCEPTION 'this schema is run on PostgreSQL %', current_setting('server_version'); END IF; END $$;\n"
              "CREATE TABLE notes (id int PRIMARY KEY, body text);\n")


def _project(tmp_path: Path, sql: str, toml: str) -> Path:
    root = tmp_path / "app"
    (root / "schema").mkdir(parents=True)
    (root / "schema" / "schema.sql").write_text(sql)
    (root / "safeshift.toml").write_text('schema = "schema/*.sql"\nmigrations = "migrations"\ndialect = "postgresql"\n'
                                         + toml)
    return root


def _generate(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.chdir(root)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(main, ["generate", "--name", "notes"], catch_exceptions=False,
                                env={"SAFESHIFT_ENV": "development"})
    return result.exit_code, result.output


def _major(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.info.server_version // 10000


def test_shadow_url_names_the_server(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With shadow_url on the machine's PostgreSQL 15 the schema runs there, whatever the development server."""
    pg15 = "postgresql://postgres@127.0.0.1:5432/postgres"
    root = _project(tmp_path, ONLY_ON_15, f'shadow_url = "{pg15}"\n\n[environments.development]\nurl = "{pg_url}"\n')
    code, out = _generate(root, monkeypatch)
    assert code == 0, out
    assert list((root / "migrations").glob("*_notes.sql"))


def test_development_server_is_the_default_shadow(pg_url: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, ONLY_ON_15, f'\n[environments.development]\nurl = "{pg_url}"\n')
    code, out = _generate(root, monkeypatch)
    if _major(pg_url) == 15:
        assert code == 0, out
    else:
        assert code != 0 and "failed on the shadow database: this schema is run on PostgreSQL 18" in out, out


def test_a_feature_the_shadow_server_lacks_is_named_as_the_servers(pg18_admin_url: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded PostgreSQL 18 is built without ICU: an ICU collation is its limit, not the user's mistake."""
    root = _project(tmp_path, "CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', "
                              "deterministic = false);\n",
                    f'shadow_url = "{pg18_admin_url}"\n')
    code, out = _generate(root, monkeypatch)
    assert code != 0, out
    assert "schema.sql needs something the shadow database's server does not have (ICU is not supported in " \
           "this build); set shadow_url in safeshift.toml to a server like production's." in out, out

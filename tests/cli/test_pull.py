"""`safeshift pull` (issue 16): the live schema written as the project's SQL-file schema source, as
`drizzle-kit pull` and `prisma db pull` do for teams without models.  Reading the files back gives the
live schema exactly (`diff --url` says no changes); files that hold SQL are replaced only with --force;
a SQLAlchemy project is refused.  PostgreSQL 18 (embedded) and SQLite, through the CLI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from safeshift.errors import ConfigError
from safeshift.pull import target_file
from tests.cli.test_baseline import ALEMBIC, MODELS, execute, r_sql
from tests.cli.test_generate_cli import make_project, run
from tests.conftest import _url_for


@pytest.fixture(params=["pg18", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _url_for(request.param, request, tmp_path)


def sql_project(tmp_path: Path, url: str, schema: str, request: pytest.FixtureRequest) -> Path:
    """A project whose schema source is ``schema`` (.sql files); on PostgreSQL its shadow is the test's
    PostgreSQL 18 server (no embedded server of the project's own is started)."""
    sqlite = url.startswith("sqlite")
    project = tmp_path / "app"
    project.mkdir()
    run(project, "init", "--schema", schema, "--dialect", "sqlite" if sqlite else "postgresql")
    if not sqlite:
        shadow = request.getfixturevalue("pg18_admin_url")
        config = project / "safeshift.toml"
        config.write_text(f'shadow_url = "{shadow}"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    return project


def test_pull_reads_back_as_the_live_schema_and_baseline_follows(tmp_path: Path, url: str,
                                                                  request: pytest.FixtureRequest) -> None:
    pg = not url.startswith("sqlite")
    execute(url, *r_sql(url), *ALEMBIC, "CREATE VIEW adults AS SELECT id, email FROM users WHERE age >= 18",
            *(("CREATE TYPE mood AS ENUM ('ok', 'sad')", "ALTER TABLE users ADD COLUMN mood mood") if pg else ()))
    project = sql_project(tmp_path, url, "schema.sql", request)

    shown = run(project, "pull", "--url", url).stdout
    assert "wrote schema.sql" in shown and "alembic_version" in shown  # left out, and said so
    text = (project / "schema.sql").read_text(encoding="utf-8")
    assert "CREATE VIEW" in text and "alembic_version" not in text
    assert run(project, "diff", "--url", url).stdout.strip() == "-- no changes"

    # the files are the source now: baseline records the database, and the two agree
    run(project, "baseline", "--url", url)
    run(project, "generate", "--check")
    assert "no drift" in run(project, "verify", "--url", url).stdout


def test_pull_replaces_sql_only_with_force(tmp_path: Path, sqlite_url: str, request: pytest.FixtureRequest) -> None:
    execute(sqlite_url, *r_sql(sqlite_url))
    project = sql_project(tmp_path, sqlite_url, "db/*.sql", request)
    (project / "db").mkdir()
    (project / "db" / "old.sql").write_text("CREATE TABLE old (id integer);\n", encoding="utf-8")
    (project / "db" / "blank.sql").write_text("\n", encoding="utf-8")

    refused = run(project, "pull", "--url", sqlite_url, expect=2).stderr
    assert "db/old.sql" in refused and "--force" in refused and "blank.sql" not in refused
    assert sorted(p.name for p in (project / "db").iterdir()) == ["blank.sql", "old.sql"]

    shown = run(project, "pull", "--url", sqlite_url, "--force").stdout
    assert "removed db/old.sql" in shown and "wrote db/schema.sql" in shown
    assert sorted(p.name for p in (project / "db").iterdir()) == ["blank.sql", "schema.sql"]
    assert run(project, "diff", "--url", sqlite_url).stdout.strip() == "-- no changes"
    again = run(project, "pull", "--url", sqlite_url, expect=2).stderr  # its own output holds SQL too
    assert "db/schema.sql" in again


def test_pull_refuses_a_sqlalchemy_project(tmp_path: Path, sqlite_url: str) -> None:
    execute(sqlite_url, *r_sql(sqlite_url))
    project = make_project(tmp_path, "sqlite", MODELS)
    refused = run(project, "pull", "--url", sqlite_url, expect=2).stderr
    assert "SQLAlchemy models" in refused and "out of scope" in refused and "safeshift baseline" in refused
    assert refused.count("\n") == 1


@pytest.mark.parametrize("spec, written", [
    ("schema.sql", "schema.sql"),
    ("db/tables.sql", "db/tables.sql"),
    ("db/", "db/schema.sql"),
    ("db/*.sql", "db/schema.sql"),
    ("db/**/*.sql", "db/schema.sql"),
])
def test_the_file_pull_writes_is_one_schema_reads(tmp_path: Path, spec: str, written: str) -> None:
    assert target_file(spec, tmp_path) == tmp_path / written


def test_a_glob_that_would_not_read_the_file_back_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"one \.sql file"):
        target_file("db/v*.sql", tmp_path)

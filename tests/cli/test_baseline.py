"""`safeshift baseline` as a team adopting a database meets it (issue 16): a database built by plain SQL or
managed by Alembic becomes the first migration, recorded as applied without running, after which
`generate --check` agrees with models that match it, `verify` is clean and `migrate` has nothing to do.
PostgreSQL 18 (embedded) and SQLite, through the CLI.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.cli.test_generate_cli import make_project, run, write_models
from tests.conftest import _fresh_pg_database, _url_for

#: models that match R on both databases
MODELS = """
    import sqlalchemy as sa
    metadata = sa.MetaData()
    users = sa.Table(
        "users", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("age", sa.Integer),
        sa.Index("users_email_idx", "email", unique=True),
    )
    orders = sa.Table(
        "orders", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.CheckConstraint("total >= 0", name="orders_total_check"),
    )
"""



def r_sql(url: str) -> tuple[str, ...]:
    """R, as plain SQL: the models' integer keys are serial on PostgreSQL (SQLAlchemy's autoincrement)."""
    key = "integer" if url.startswith("sqlite") else "serial"
    return (
        f"CREATE TABLE users (id {key} PRIMARY KEY, email text NOT NULL, age integer)",
        "CREATE UNIQUE INDEX users_email_idx ON users (email)",
        f"CREATE TABLE orders (id {key} PRIMARY KEY, user_id integer NOT NULL REFERENCES users (id) "
        "ON DELETE CASCADE, total integer NOT NULL, CONSTRAINT orders_total_check CHECK (total >= 0))",
        "INSERT INTO users VALUES (1, 'a@example.com', 30)",
    )

#: what Alembic leaves in a database it manages
ALEMBIC = ("CREATE TABLE alembic_version (version_num varchar(32) NOT NULL, "
           "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
           "INSERT INTO alembic_version VALUES ('1f2e3d4c5b6a')")


@pytest.fixture(params=["pg18", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _url_for(request.param, request, tmp_path)


def execute(url: str, *statements: str) -> None:
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
            for sql in statements:
                conn.execute(sql)
            conn.commit()
        return
    with psycopg.connect(url, autocommit=True) as pg:
        for sql in statements:
            pg.execute(sql)  # type: ignore[arg-type]


def history_rows(url: str) -> list[tuple[str, str, str]]:
    """(version, name, status) of safeshift's history table; none when it does not exist."""
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'safeshift_migrations'").fetchone() is None:
                return []
            return conn.execute("SELECT version, name, status FROM safeshift_migrations").fetchall()
    with psycopg.connect(url) as pg:
        if pg.execute("SELECT to_regclass('safeshift.safeshift_migrations')").fetchone() == (None,):
            return []
        return pg.execute("SELECT version, name, status FROM safeshift.safeshift_migrations").fetchall()


@contextlib.contextmanager
def empty_beside(url: str, tmp_path: Path) -> Iterator[str]:
    """Another, empty database of the same kind (a new developer's, CI's)."""
    if url.startswith("sqlite"):
        (tmp_path / "fresh.db").touch()  # an empty file is an empty database (migrate --url creates none)
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    yield from _fresh_pg_database(re.sub(r"/[^/?]+(\?|$)", r"/postgres\1", url, count=1))


def dialect_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def migration_files(project: Path) -> list[Path]:
    return sorted((project / "migrations").glob("*.sql"))


@pytest.mark.parametrize("origin", ["plain", "alembic"])
def test_baseline_then_generate_check_agrees_and_verify_is_clean(tmp_path: Path, url: str, origin: str) -> None:
    execute(url, *r_sql(url), *(ALEMBIC if origin == "alembic" else ()))
    project = make_project(tmp_path, dialect_of(url), MODELS)

    shown = run(project, "baseline", "--url", url).stdout
    assert re.search(r"wrote migrations/\d{14}_baseline\.sql \(\d+ object\(s\)\) and its snapshot", shown), shown
    assert "recorded" in shown and "without running it" in shown
    assert ("alembic_version" in shown) == (origin == "alembic")  # left out, and said so
    [path] = migration_files(project)
    text = path.read_text(encoding="utf-8")
    assert "alembic_version" not in text and "CREATE TABLE" in text and "-- migrate:down" in text
    version = path.name[:14]
    assert history_rows(url) == [(version, "baseline", "applied")]

    run(project, "generate", "--check")
    assert run(project, "generate", "--name", "next").stdout.strip() == "no changes"
    assert "no drift" in run(project, "verify", "--url", url).stdout
    assert "nothing to apply" in run(project, "migrate", "--url", url).stdout
    assert re.search(rf"{version}\s+baseline\s+applied", run(project, "status", "--url", url).stdout)
    execute(url, "INSERT INTO orders VALUES (1, 1, 5)")  # nothing was run: the data is there, untouched
    if origin == "alembic":
        execute(url, "UPDATE alembic_version SET version_num = 'still-here'")

    with empty_beside(url, tmp_path) as fresh:  # the baseline builds R on an empty database
        run(project, "migrate", "--url", fresh)
        assert "no drift" in run(project, "verify", "--url", fresh).stdout
        assert run(project, "diff", "--url", fresh).stdout.strip() == "-- no changes"


def test_models_that_differ_are_shown_and_refused_unless_from_database(tmp_path: Path, url: str) -> None:
    execute(url, *r_sql(url), "CREATE TABLE legacy_audit (id integer PRIMARY KEY, note text)")
    project = make_project(tmp_path, dialect_of(url), MODELS)

    refused = run(project, "baseline", "--url", url, expect=2)
    assert "DROP TABLE" in refused.stdout and "legacy_audit" in refused.stdout  # as `diff --url` prints it
    assert "--from-database" in refused.stderr and "differ" in refused.stderr
    assert refused.stderr.count("\n") == 1  # one sentence
    assert migration_files(project) == [] and history_rows(url) == []

    done = run(project, "baseline", "--url", url, "--from-database")
    assert "legacy_audit" in done.stderr and "next: `safeshift generate" in done.stdout
    assert "legacy_audit" in migration_files(project)[0].read_text(encoding="utf-8")
    assert "no drift" in run(project, "verify", "--url", url).stdout
    check = run(project, "generate", "--check", expect=1)
    assert "drop table" in check.stderr and "legacy_audit" in check.stderr


def test_refused_where_it_would_not_be_the_first_migration(tmp_path: Path, sqlite_url: str) -> None:
    project = make_project(tmp_path, "sqlite", MODELS)
    empty = run(project, "baseline", "--url", sqlite_url, expect=2).stderr
    assert "holds no tables" in empty and "safeshift generate" in empty
    execute(sqlite_url, *r_sql(sqlite_url))
    run(project, "generate", "--name", "initial")

    after = run(project, "baseline", "--url", sqlite_url, expect=2).stderr
    assert "already holds 1 migration(s)" in after and "first migration" in after
    assert history_rows(sqlite_url) == []

    for p in [*migration_files(project), *(project / "migrations").rglob("*.json"),
              project / "migrations" / "safeshift.sum"]:
        p.unlink()
    run(project, "baseline", "--url", sqlite_url)
    again = run(project, "baseline", "--url", sqlite_url, expect=2).stderr
    assert "already has safeshift history" in again
    assert len(migration_files(project)) == 1


def test_the_folders_baseline_is_recorded_on_another_database_holding_its_schema(tmp_path: Path,
                                                                                  sqlite_url: str) -> None:
    """Production baselined first; staging, built by the same old tool, adopts that baseline (nothing written),
    then migrate applies what came after it; a database that does not hold the schema is refused."""
    execute(sqlite_url, *r_sql(sqlite_url))
    project = make_project(tmp_path, "sqlite", MODELS)
    run(project, "baseline", "--url", sqlite_url)
    [path] = migration_files(project)
    write_models(project, MODELS.replace('sa.Column("age", sa.Integer),', 'sa.Column("age", sa.Integer),\n'
                                         '        sa.Column("nickname", sa.Text),'))
    run(project, "generate", "--name", "nickname")
    sealed = (project / "migrations" / "safeshift.sum").read_text(encoding="utf-8")

    staging = f"sqlite:///{tmp_path / 'staging.db'}"
    execute(staging, *r_sql(staging), *ALEMBIC)
    shown = run(project, "baseline", "--url", staging).stdout
    assert f"recorded {path.name[:14]} as applied" in shown and "safeshift migrate" in shown
    assert (project / "migrations" / "safeshift.sum").read_text(encoding="utf-8") == sealed  # nothing written
    assert history_rows(staging) == [(path.name[:14], "baseline", "applied")]
    assert "1 applied" in run(project, "migrate", "--url", staging).stdout
    assert "no drift" in run(project, "verify", "--url", staging).stdout

    other = f"sqlite:///{tmp_path / 'other.db'}"
    execute(other, "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL)")
    refused = run(project, "baseline", "--url", other, expect=2).stderr
    assert "does not hold the schema" in refused and "users" in refused
    assert history_rows(other) == []


def test_a_baseline_that_would_not_rebuild_the_database_is_refused(tmp_path: Path, pg_url: str) -> None:
    """A kept table's foreign key to an ignored one: the baseline cannot run on an empty database (the
    ignored table is not in it), so nothing is written or recorded."""
    execute(pg_url, "CREATE TABLE legacy_customers (id integer PRIMARY KEY)",
            "CREATE TABLE invoices (id integer PRIMARY KEY, customer_id integer REFERENCES legacy_customers (id))")
    project = make_project(tmp_path, "postgresql", MODELS)
    config = project / "safeshift.toml"
    config.write_text('ignore = ["legacy_*"]\n' + config.read_text(encoding="utf-8"), encoding="utf-8")

    refused = run(project, "baseline", "--url", pg_url, "--from-database", expect=2).stderr
    assert "does not run on an empty database" in refused and "legacy_customers" in refused
    assert migration_files(project) == [] and history_rows(pg_url) == []


def test_a_protected_environment_asks_first(tmp_path: Path) -> None:
    """`confirm = true`: without a terminal to ask on, nothing is written or recorded until --yes."""
    project = make_project(tmp_path, "sqlite", MODELS)
    production = f"sqlite:///{tmp_path / 'production.db'}"
    execute(production, *r_sql(production))
    config = project / "safeshift.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('url = "${DATABASE_URL}"', f'url = "{production}"'), encoding="utf-8")

    refused = run(project, "baseline", "--env", "production", expect=2).stderr
    assert "--yes" in refused and migration_files(project) == [] and history_rows(production) == []
    run(project, "baseline", "--env", "production", "--yes")
    assert [name for _, name, _ in history_rows(production)] == ["baseline"]

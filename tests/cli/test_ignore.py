"""Other tools' bookkeeping tables and the project's `ignore` list, as a user meets them (issue 16).

A database adopted from Alembic, Django or drizzle holds their history tables; `diff --url` must not
propose dropping them and `verify` must not call them drift.  `ignore = [...]` in safeshift.toml
leaves out the rest, on the live side and the source side, and verify says how much it left out.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from tests.cli.test_generate_cli import make_project, run, write_models

MODELS = """
    import sqlalchemy as sa
    metadata = sa.MetaData()
    users = sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True))
"""

#: the models with a table the ignore list covers, and a compared table whose foreign key points at it
MODELS_WITH_IGNORED = """
    import sqlalchemy as sa
    metadata = sa.MetaData()
    users = sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True))
    tmp_import = sa.Table("tmp_import", metadata, sa.Column("id", sa.Integer, primary_key=True))
    orders = sa.Table("orders", metadata, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("import_id", sa.Integer, sa.ForeignKey("tmp_import.id")))
"""

BOOKKEEPING = ("alembic_version", "django_migrations", "__drizzle_migrations")


def _execute(url: str, *statements: str) -> None:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            for sql in statements:
                conn.execute(sql)
        return
    with psycopg.connect(url, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)  # type: ignore[arg-type]


def _adopted(url: str) -> None:
    """What another tool left behind: its history tables (drizzle's in its own schema) and a scratch table."""
    pg = not url.startswith("sqlite")
    _execute(url,
             "CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY)",
             "INSERT INTO alembic_version VALUES ('abc123')",
             "CREATE TABLE django_migrations (id integer PRIMARY KEY, app varchar(255) NOT NULL, "
             "name varchar(255) NOT NULL, applied timestamp NOT NULL)",
             *(("CREATE SCHEMA drizzle",) if pg else ()),
             f"CREATE TABLE {'drizzle.' if pg else ''}__drizzle_migrations (id integer PRIMARY KEY, hash text NOT NULL, "
             "created_at bigint)",
             "CREATE TABLE tmp_import (id integer PRIMARY KEY, payload text)")


def _set_ignore(project: Path, patterns: str) -> None:
    config = project / "safeshift.toml"
    config.write_text(f"ignore = {patterns}\n" + config.read_text(encoding="utf-8"), encoding="utf-8")


def test_bookkeeping_tables_never_compared_and_ignore_list_leaves_out_the_rest(tmp_path: Path, db_url: str) -> None:
    project = make_project(tmp_path, "sqlite" if db_url.startswith("sqlite") else "postgresql", MODELS)
    run(project, "generate", "--name", "initial")
    run(project, "migrate", "--url", db_url)
    _adopted(db_url)

    shown = run(project, "diff", "--url", db_url).stdout
    assert not any(name in shown for name in (*BOOKKEEPING, "drizzle")), shown
    assert "DROP TABLE" in shown and "tmp_import" in shown  # not ignored yet: a table to drop
    drift = run(project, "verify", "--url", db_url, expect=1).stdout
    assert "extra table" in drift and "tmp_import" in drift and "alembic_version" not in drift.split("ignored:")[0]

    _set_ignore(project, '["tmp_*"]')
    assert run(project, "diff", "--url", db_url).stdout.strip() == "-- no changes"
    clean = run(project, "verify", "--url", db_url).stdout
    assert "no drift" in clean
    line = next(x for x in clean.splitlines() if x.startswith("ignored:"))
    assert "1 object(s) matching the `ignore` list" in line and "3 other tool(s)' bookkeeping table(s)" in line
    assert all(name in line for name in BOOKKEEPING)


def test_ignored_table_in_the_models_is_not_created_and_a_foreign_key_to_it_is_kept(tmp_path: Path,
                                                                                     db_url: str) -> None:
    """The source side: `tmp_import` declared in the models is left out like the live one; `orders`, which is
    compared, keeps its foreign key to it, and the SQL applies on the database where `tmp_import` lives."""
    sqlite = db_url.startswith("sqlite")
    project = make_project(tmp_path, "sqlite" if sqlite else "postgresql", MODELS)
    run(project, "generate", "--name", "initial")
    run(project, "migrate", "--url", db_url)
    _adopted(db_url)
    _set_ignore(project, '["tmp_*"]')
    write_models(project, MODELS_WITH_IGNORED)

    shown = run(project, "diff", "--url", db_url).stdout
    assert "CREATE TABLE" in shown and "orders" in shown
    assert not any(f"CREATE TABLE {q}tmp_import" in shown for q in ('', '"', 'public.', 'main.'))
    assert "REFERENCES" in shown and "tmp_import" in shown
    run(project, "generate", "--name", "orders")
    text = max((project / "migrations").glob("*_orders.sql")).read_text(encoding="utf-8")
    up = text.split("-- migrate:down")[0]
    assert "orders" in up and "REFERENCES" in up and not any(
        f"CREATE TABLE {q}tmp_import" in up for q in ('', '"', 'public.', 'main.'))
    run(project, "migrate", "--url", db_url)
    assert "no drift" in run(project, "verify", "--url", db_url).stdout
    assert run(project, "diff", "--url", db_url).stdout.strip() == "-- no changes"


@pytest.mark.parametrize("pattern, shown", [
    ('["audit.*"]', {"tmp_import"}),  # the whole schema, the schema itself too
    ('["audit.*_2023"]', {"tmp_import", "audit", "log_2024"}),
    ('["public.tmp_import"]', {"audit", "log_2023", "log_2024"}),
])
def test_ignore_patterns_on_postgres(tmp_path: Path, pg_url: str, pattern: str, shown: set[str]) -> None:
    project = make_project(tmp_path, "postgresql", MODELS)
    run(project, "generate", "--name", "initial")
    run(project, "migrate", "--url", pg_url)
    _execute(pg_url, "CREATE SCHEMA audit", "CREATE TABLE audit.log_2023 (id int)",
             "CREATE TABLE audit.log_2024 (id int)", "CREATE TABLE public.tmp_import (id int)")
    _set_ignore(project, pattern)
    sql = run(project, "diff", "--url", pg_url).stdout
    assert {n for n in ("audit", "log_2023", "log_2024", "tmp_import") if n in sql} == shown, sql


def test_ignore_patterns_are_checked(tmp_path: Path) -> None:
    project = make_project(tmp_path, "sqlite", MODELS)
    _set_ignore(project, '["a.b.c"]')
    proc = run(project, "generate", "--check", expect=2)
    assert "'a.b.c' is not a pattern" in proc.stderr

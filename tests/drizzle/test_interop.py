"""Interoperability with drizzle-orm's own migrator, both ways, on a folder drizzle-kit generated.

drizzle's table is the record both tools read: whichever applied a migration, the other
sees it applied and runs nothing twice (the data migration's row in ``audit`` is the
witness: it would be inserted again if any migration ran twice).
"""

from __future__ import annotations

from pathlib import Path

from safeshift.formats import drizzle
from tests.drizzle._kit import (
    TAGS,
    VERSIONS,
    app_schema,
    drizzle_rows,
    journal,
    make_project,
    node_migrate,
    scalar,
    truncate_journal,
)


def test_drizzle_first_then_safeshift_sees_everything_applied(drizzle_source: Path, tmp_path: Path,
                                                              pg_url: str) -> None:
    p = make_project(drizzle_source, tmp_path, pg_url)
    node_migrate(pg_url, p.folder)
    before = drizzle_rows(pg_url)
    assert len(before) == len(TAGS)

    assert p.status() == dict.fromkeys(VERSIONS, "applied")
    out = p.run("migrate").stdout
    assert f"nothing to apply ({len(TAGS)} already applied)" in out
    assert drizzle_rows(pg_url) == before
    assert scalar(pg_url, "SELECT count(*) FROM audit") == 1


def test_safeshift_first_then_drizzle_applies_nothing_and_rows_match_drizzles(
        drizzle_source: Path, tmp_path: Path, pg_url: str, pg_target: str) -> None:
    p = make_project(drizzle_source, tmp_path, pg_url)
    out = p.run("migrate").stdout
    assert f"{len(TAGS)} applied" in out
    assert p.status() == dict.fromkeys(VERSIONS, "applied")
    ours = drizzle_rows(pg_url)
    # exactly what drizzle writes: its hash of each file's text and the journal's `when`
    entries = journal(p.folder)
    assert [(h, c) for _, h, c in ours] == [
        (drizzle.drizzle_hash((p.folder / f"{e['tag']}.sql").read_text(encoding="utf-8")), e["when"])
        for e in entries]

    node_migrate(pg_url, p.folder)
    assert drizzle_rows(pg_url) == ours, "drizzle's migrator must find nothing pending"
    assert scalar(pg_url, "SELECT count(*) FROM audit") == 1, "a statement ran twice"

    # drizzle's migrator on an empty database writes the same rows and builds the same schema
    node_migrate(pg_target, p.folder)
    assert drizzle_rows(pg_target) == ours
    assert app_schema(pg_target) == app_schema(pg_url)


def test_mixed_drizzle_two_safeshift_the_rest_then_drizzle_nothing(drizzle_source: Path, tmp_path: Path,
                                                                   pg_url: str) -> None:
    p = make_project(drizzle_source, tmp_path, pg_url)
    early = tmp_path / "early"
    make_project(drizzle_source, early, pg_url)
    truncate_journal(early / "app" / "drizzle", 2)
    node_migrate(pg_url, early / "app" / "drizzle")
    assert len(drizzle_rows(pg_url)) == 2

    assert p.status() == {v: ("applied" if i < 2 else "pending") for i, v in enumerate(VERSIONS)}
    # the database has tables now, so review's gate holds back the column drop until it is accepted
    blocked = p.run("migrate", expect=1).stderr
    assert "0004_drop_title.sql:1 has an unacknowledged hazard [drop-column]" in blocked
    out = p.run("migrate", "--allow-hazards").stdout
    assert f"{len(TAGS) - 2} applied" in out and "2 were already applied" in out
    rows = drizzle_rows(pg_url)
    assert len(rows) == len(TAGS)

    node_migrate(pg_url, p.folder)
    assert drizzle_rows(pg_url) == rows
    assert scalar(pg_url, "SELECT count(*) FROM audit") == 1
    assert p.status() == dict.fromkeys(VERSIONS, "applied")


def test_custom_migrations_schema_and_table(drizzle_source: Path, tmp_path: Path, pg_url: str) -> None:
    """``[drizzle] migrations_schema / migrations_table`` are drizzle's ``migrationsSchema / migrationsTable``."""
    toml = 'migrations = "drizzle"\nformat = "drizzle"\n\n[drizzle]\nmigrations_schema = "ops"\n' \
           'migrations_table = "applied_migrations"\n'
    p = make_project(drizzle_source, tmp_path, pg_url, toml)
    p.run("migrate")
    rows = drizzle_rows(pg_url, "ops", "applied_migrations")
    assert len(rows) == len(TAGS)
    assert scalar(pg_url, "SELECT count(*) FROM pg_namespace WHERE nspname = 'drizzle'") == 0

    node_migrate(pg_url, p.folder, "ops", "applied_migrations")
    assert drizzle_rows(pg_url, "ops", "applied_migrations") == rows
    assert "no drift" in p.run("verify").stdout, "drizzle's table and its schema are not drift"
    assert scalar(pg_url, "SELECT count(*) FROM audit") == 1

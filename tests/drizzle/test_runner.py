"""safeshift's runner on a drizzle folder: one transaction per run (as drizzle), and refusals where
drizzle's migrator would silently do the wrong thing."""

from __future__ import annotations

import json
from pathlib import Path

from tests.drizzle._kit import DrizzleProject, drizzle_rows, node_migrate, scalar, write_folder
from tests.runner._project import connect, error_line

FILES = {
    "0000_create_a": 'CREATE TABLE "a" (\n\t"id" serial PRIMARY KEY NOT NULL\n);',
    "0001_create_b": 'CREATE TABLE "b" (\n\t"id" integer\n);\n--> statement-breakpoint\n'
                     'INSERT INTO "b" VALUES (1);',
    "0002_create_c": 'CREATE TABLE "c" (\n\t"id" integer\n);',
}


def _project(tmp_path: Path, url: str, files: dict[str, str] = FILES) -> DrizzleProject:
    root = tmp_path / "app"
    write_folder(root, files)
    (root / "safeshift.toml").write_text('migrations = "drizzle"\n', encoding="utf-8")
    return DrizzleProject(root, url)


def test_a_failure_rolls_back_the_whole_run_like_drizzle(tmp_path: Path, pg_url: str) -> None:
    broken = {**FILES, "0001_create_b": FILES["0001_create_b"].replace('INSERT INTO "b"', 'INSERT INTO "nope"')}
    p = _project(tmp_path, pg_url, broken)
    err = error_line(p.run("migrate", expect=1))
    assert err.startswith("0001_create_b.sql line 5 failed (SQLSTATE 42P01)"), err
    assert drizzle_rows(pg_url) == []
    assert scalar(pg_url, "SELECT to_regclass('public.a') IS NULL"), "0000 must be rolled back with the run"
    rows = json.loads(p.run("status", "--json").stdout)["migrations"]
    assert [(r["version"], r["state"]) for r in rows] == [("0000", "pending"), ("0001", "failed"),
                                                         ("0002", "pending")]
    assert "nope" in rows[1]["error"]

    (p.folder / "0001_create_b.sql").write_text(FILES["0001_create_b"], encoding="utf-8")
    assert "3 applied" in p.run("migrate").stdout
    assert p.status() == {"0000": "applied", "0001": "applied", "0002": "applied"}
    node_migrate(pg_url, p.folder)
    assert len(drizzle_rows(pg_url)) == 3 and scalar(pg_url, "SELECT count(*) FROM b") == 1


def test_dry_run_lists_drizzles_statements(tmp_path: Path, pg_url: str) -> None:
    p = _project(tmp_path, pg_url)
    out = p.run("migrate", "--dry-run").stdout
    assert "3 migration(s) would be applied" in out
    assert 'INSERT INTO "b" VALUES (1);  -- line 5' in out
    assert drizzle_rows(pg_url) == []


def test_an_applied_migration_edited_afterwards_is_refused(tmp_path: Path, pg_url: str) -> None:
    p = _project(tmp_path, pg_url)
    p.run("migrate")
    path = p.folder / "0001_create_b.sql"
    path.write_text(path.read_text(encoding="utf-8") + "\n--> statement-breakpoint\nINSERT INTO \"b\" VALUES (2);",
                    encoding="utf-8")
    assert p.status()["0001"] == "edited"
    err = error_line(p.run("migrate", expect=3))
    assert err.startswith("0001_create_b.sql was edited after it was applied"), err


def test_a_skipped_migration_is_refused_where_drizzle_skips_it_silently(tmp_path: Path, pg_url: str) -> None:
    p = _project(tmp_path, pg_url)
    p.run("migrate")
    conn = connect(pg_url)
    try:  # 0001 never got its row (say, a merged branch's migration), so it is pending
        conn.execute("DELETE FROM drizzle.__drizzle_migrations WHERE created_at = 1700000001000")
    finally:
        conn.close()
    assert p.status()["0001"] == "pending"
    err = error_line(p.run("migrate", expect=3))
    assert err.startswith("drizzle's migrator would skip 0001_create_b.sql on this database because its journal "
                          "\"when\" (1700000001000) is not later than 1700000002000"), err
    # drizzle compares with its newest row only and never runs it
    node_migrate(pg_url, p.folder)
    assert len(drizzle_rows(pg_url)) == 2


def test_a_row_without_its_journal_entry_is_missing(tmp_path: Path, pg_url: str) -> None:
    p = _project(tmp_path, pg_url)
    p.run("migrate")
    conn = connect(pg_url)
    try:
        conn.execute("INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('abc', 1800000000000)")
    finally:
        conn.close()
    assert p.status()["1800000000000"] == "missing"
    err = error_line(p.run("migrate", expect=3))
    assert "1800000000000" in err and "drizzle/ has no such file" in err, err

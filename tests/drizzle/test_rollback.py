"""Rollback for drizzle folders: down SQL from drizzle-kit's snapshots, step by step back to empty,
the database equal to each earlier snapshot on the way, then applied again."""

from __future__ import annotations

from pathlib import Path

from safeshift.formats import drizzle
from safeshift.model import make_schema
from tests.drizzle._kit import (
    TAGS,
    VERSIONS,
    app_schema,
    drizzle_rows,
    make_project,
    node_migrate,
    scalar,
)
from tests.runner._project import error_line


def _snapshot(folder: Path, index: int) -> object:
    if index < 0:
        return make_schema("postgresql")
    return drizzle.snapshot_schema(drizzle.snapshot_file(folder, TAGS[index]))


def test_rollback_step_by_step_to_empty_and_apply_again(drizzle_source: Path, tmp_path: Path, pg_url: str) -> None:
    p = make_project(drizzle_source, tmp_path, pg_url)
    p.run("migrate")
    assert app_schema(pg_url) == _snapshot(p.folder, len(TAGS) - 1), "the live schema is the last snapshot"

    downs = p.root / ".safeshift" / "drizzle-down"
    assert sorted(f.name for f in downs.iterdir()) == [f"{v}.sql" for v in VERSIONS]
    drop_title = (downs / "0004.sql").read_text()
    assert drop_title.startswith(f"-- down SQL for drizzle/{TAGS[4]}.sql (sha256 ")
    assert 'ALTER TABLE "public"."posts" ADD COLUMN "title" text' in drop_title

    # the data migration leaves the snapshot as it was: rollback refuses it up front, naming its down file
    custom = downs / "0002.sql"
    assert "-- safeshift:irreversible" in custom.read_text()
    err = error_line(p.run("rollback", "--to", "0", expect=3))
    assert err.startswith(f"Cannot roll back {TAGS[2]}.sql: drizzle's snapshots cannot give its down SQL"), err
    assert ".safeshift/drizzle-down/0002.sql" in err
    assert len(drizzle_rows(pg_url)) == len(TAGS), "nothing may run before the refusal"

    lines = [ln for ln in custom.read_text().splitlines() if "safeshift:irreversible" not in ln]
    custom.write_text("\n".join([*lines, "DELETE FROM \"audit\" WHERE \"note\" = 'seeded';", ""]))

    for index in reversed(range(len(TAGS))):
        assert f"{TAGS[index]}" in p.run("rollback").stdout
        assert app_schema(pg_url) == _snapshot(p.folder, index - 1), f"after rolling back {TAGS[index]}"
        assert len(drizzle_rows(pg_url)) == index
    assert p.status() == dict.fromkeys(VERSIONS, "pending")
    assert custom.read_text().endswith("DELETE FROM \"audit\" WHERE \"note\" = 'seeded';\n"), "hand edits are kept"

    assert f"{len(TAGS)} applied" in p.run("migrate").stdout
    assert app_schema(pg_url) == _snapshot(p.folder, len(TAGS) - 1)
    rows = drizzle_rows(pg_url)
    node_migrate(pg_url, p.folder)
    assert drizzle_rows(pg_url) == rows
    assert scalar(pg_url, "SELECT count(*) FROM audit") == 1


def test_a_regenerated_migration_gets_a_new_down_file(drizzle_source: Path, tmp_path: Path) -> None:
    p = make_project(drizzle_source, tmp_path, "")
    folder = drizzle.attach_down(drizzle.read_folder(p.folder), write=True)
    assert all(m.reversible for m in folder.migrations if m.version != "0002")
    down = p.root / ".safeshift" / "drizzle-down" / "0004.sql"
    down.write_text(down.read_text() + "-- reviewed\n")
    path = p.folder / f"{TAGS[4]}.sql"
    path.write_text(path.read_text() + "\n")  # edited before it was applied anywhere: a new hash
    again = drizzle.attach_down(drizzle.read_folder(p.folder), write=True)
    assert "-- reviewed" not in down.read_text()
    assert again.migrations[4].reversible
    assert drizzle.read_folder(p.folder).migrations[3].down_statements == folder.migrations[3].down_statements


def test_a_generated_migration_edited_to_change_data_says_so_in_its_down_file(drizzle_source: Path,
                                                                               tmp_path: Path) -> None:
    p = make_project(drizzle_source, tmp_path, "")
    path = p.folder / f"{TAGS[1]}.sql"
    path.write_text(path.read_text() + "\n--> statement-breakpoint\nUPDATE users SET name = lower(name);\n")
    drizzle.attach_down(drizzle.read_folder(p.folder), write=True)
    down = (p.root / ".safeshift" / "drizzle-down" / f"{TAGS[1][:4]}.sql").read_text()
    assert "-- NOTE: the migration was edited by hand: it also changes data" in down
    assert "UPDATE users SET name = lower(name)" in down.split("restore a backup:", 1)[1].split("\n\n", 1)[0]
    untouched = (p.root / ".safeshift" / "drizzle-down" / f"{TAGS[3][:4]}.sql").read_text()
    assert "edited by hand" not in untouched

"""`safeshift generate` in a drizzle-kit MySQL folder writes the next migration as drizzle-kit would.

The folder comes from the real drizzle-kit (``_mysql_kit.STEPS``); the project's schema source is
SQLAlchemy models declaring that schema plus a column and a table (``MODELS_PY``).  After safeshift
writes the migration, the real ``drizzle-kit generate`` on the same schema in TypeScript finds
nothing to do (the snapshot is the one it would have written), and drizzle-orm's own migrator
(mysql2 driver) applies the whole folder to MariaDB, ending at the schema of safeshift's snapshot.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from safeshift import verify
from safeshift.dialects import get_dialect
from safeshift.formats import drizzle
from tests.drizzle import _mysql_kit as kit
from tests.drizzle._kit import drizzle_kit
from tests.runner._project import invoke, schema_of

TOML = 'schema = "drizzle_mysql_models:metadata"\nmigrations = "drizzle"\ndialect = "mysql"\n'


@pytest.fixture(scope="module")
def mysql_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kit.source(tmp_path_factory)


@pytest.fixture
def project(mysql_source: Path, tmp_path: Path) -> Path:
    root = tmp_path / "app"
    shutil.copytree(mysql_source, root)
    (root / "safeshift.toml").write_text(TOML, encoding="utf-8")
    (root / "drizzle_mysql_models.py").write_text(kit.MODELS_PY, encoding="utf-8")
    return root


def test_generate_writes_what_drizzle_kit_would_and_drizzles_migrator_applies_it(project: Path,
                                                                                 mysql_url: str) -> None:
    folder = project / "drizzle"
    behind = invoke(project, "generate", "--check", expect=1)
    assert "disagree (2 change(s))" in behind.stderr and "create table: default.comments" in behind.stderr
    out = invoke(project, "generate", "--name", "add_comments").stdout
    assert "wrote drizzle/0004_add_comments.sql: " in out, out

    entries = json.loads((folder / "meta" / "_journal.json").read_text())["entries"]
    assert [e["tag"] for e in entries] == [*kit.TAGS, "0004_add_comments"]
    assert entries[-1]["when"] > entries[-2]["when"] and entries[-1]["version"] == "5"
    before = json.loads((folder / "meta" / "0003_snapshot.json").read_text())
    after = json.loads((folder / "meta" / "0004_snapshot.json").read_text())
    assert after["prevId"] == before["id"] and after["id"] != before["id"]
    # what drizzle-kit wrote stays as it wrote it; the new table in its spellings
    assert after["tables"]["users"]["columns"]["updated_at"] == before["tables"]["users"]["columns"]["updated_at"]
    comments = after["tables"]["comments"]
    assert comments["columns"]["hidden"]["type"] == "boolean" and comments["columns"]["hidden"]["default"] is False
    assert comments["columns"]["created_at"]["default"] == "(now())"
    assert comments["columns"]["edited_at"] == {"name": "edited_at", "type": "timestamp(3)", "primaryKey": False,
                                                "notNull": False, "autoincrement": False, "onUpdate": True}
    assert comments["compositePrimaryKeys"] == {"comments_id": {"name": "comments_id", "columns": ["id"]}}
    assert comments["checkConstraint"]["comments_score_positive"]["value"] == "`comments`.`score` >= 0"
    sql = (folder / "0004_add_comments.sql").read_text()
    assert sql.count(drizzle.BREAKPOINT) == len(drizzle.read_folder(folder).migrations[-1].up_statements) - 1

    # drizzle-kit, given the same schema in TypeScript, has nothing to add
    (project / "schema.ts").write_text(kit.next_schema_ts(), encoding="utf-8")
    said = drizzle_kit(project, "generate", "--name", "after_safeshift")
    assert "No schema changes" in said, said
    assert len(json.loads((folder / "meta" / "_journal.json").read_text())["entries"]) == len(kit.TAGS) + 1
    assert "no changes" in invoke(project, "generate", "--name", "again").stdout
    assert "schema source and migrations agree" in invoke(project, "generate", "--check").stdout

    # drizzle-orm's migrator applies the folder, safeshift's migration included, and records drizzle's hash
    kit.node_migrate(mysql_url, folder)
    rows = kit.drizzle_rows(mysql_url)
    assert [r[1:] for r in rows] == [(hashlib.sha256((folder / f"{e['tag']}.sql").read_bytes()).hexdigest(), e["when"])
                                     for e in json.loads((folder / "meta" / "_journal.json").read_text())["entries"]]
    found = drizzle.read_folder(folder)
    expected = drizzle.expected_schema(found, found.versions)
    assert expected is not None
    drift = verify.drift_between(schema_of(mysql_url), expected, "default", found.history_table,
                                 dialect=get_dialect("mysql"))
    assert drift.differences == ()


def test_a_custom_migration_is_drizzle_kits_to_write(project: Path) -> None:
    err = invoke(project, "generate", "--custom", "--name", "backfill", expect=None)
    assert err.returncode != 0
    assert "is a drizzle-kit folder: write a hand-written migration with `npx drizzle-kit generate --custom`" \
        in err.stderr + err.stdout


def test_an_ignored_table_is_neither_dropped_nor_lost_from_drizzles_snapshot(project: Path) -> None:
    """`ignore` leaves a table out of the comparison: models that do not declare it make no DROP, and the
    snapshot safeshift writes still holds it, so drizzle-kit (whose TypeScript schema has it) sees no change."""
    models = kit.MODELS_PY.replace('Table("audit", metadata,', 'Table("audit_unused", MetaData(),')
    (project / "drizzle_mysql_models.py").write_text(models, encoding="utf-8")
    (project / "safeshift.toml").write_text(TOML + 'ignore = ["audit"]\n', encoding="utf-8")
    invoke(project, "generate", "--name", "add_comments")
    sql = (project / "drizzle" / "0004_add_comments.sql").read_text()
    assert "audit" not in sql, sql
    after = json.loads((project / "drizzle" / "meta" / "0004_snapshot.json").read_text())
    before = json.loads((project / "drizzle" / "meta" / "0003_snapshot.json").read_text())
    assert after["tables"]["audit"] == before["tables"]["audit"]
    (project / "schema.ts").write_text(kit.next_schema_ts(), encoding="utf-8")
    said = drizzle_kit(project, "generate", "--name", "after_safeshift")
    assert "No schema changes" in said, said

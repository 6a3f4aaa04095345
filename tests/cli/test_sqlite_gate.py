"""On SQLite, `safeshift migrate` gates pending migrations on review as on PostgreSQL: an unacknowledged
DROP COLUMN or DROP TABLE is refused, `-- safeshift:allow` lets it through, `--allow-hazards` is recorded
in the history row, and a lock or data finding on an empty table does not block.  Real subprocesses, real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_generate_cli import MODELS_V1, make_project, run, write_models

pytestmark = pytest.mark.sqlite

#: the generate tests' users table, and two more to drop
MODELS = MODELS_V1 + """\
    notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text))
    tags = sa.Table("tags", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("label", sa.Text))
"""


def _history(db: Path) -> dict[str, str | None]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT name, allowed_hazards FROM safeshift_migrations").fetchall())


def test_migrate_gates_sqlite_drops(tmp_path: Path) -> None:
    project = make_project(tmp_path, "sqlite", MODELS)
    db = project / "app.db"
    db.touch()
    url = f"sqlite:///{db}"
    run(project, "generate", "--name", "initial")
    run(project, "migrate", "--url", url)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO users (fullname, age) VALUES ('Ada', 36)")
        conn.execute("INSERT INTO tags (label) VALUES ('x')")

    # DROP COLUMN (a rebuild on SQLite) of a table with rows: refused until acknowledged
    write_models(project, MODELS.replace('        sa.Column("age", sa.Integer),\n', ""))
    run(project, "generate", "--name", "drop_age")
    refused = run(project, "migrate", "--url", url, expect=1).stderr
    assert "unacknowledged hazard [drop-column]" in refused and "--allow-hazards" in refused
    assert "age" in refused
    migration = next((project / "migrations").glob("*_drop_age.sql"))
    text = migration.read_text()
    assert 'DROP TABLE "users";' in text
    migration.write_text(text.replace('DROP TABLE "users";',
                                      '-- safeshift:allow drop-column age was unused since 2.3\nDROP TABLE "users";', 1))
    run(project, "rehash")
    assert "1 applied" in run(project, "migrate", "--url", url).stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT fullname FROM users").fetchall() == [("Ada",)]
        assert "age" not in {r[1] for r in conn.execute("PRAGMA table_info(users)")}
    assert _history(db)["drop_age"] is None  # acknowledged in the file (which the history's checksum freezes)

    # DROP TABLE of a table with rows: refused, then let through by --allow-hazards, which the history records
    write_models(project, MODELS.replace('        sa.Column("age", sa.Integer),\n', "").split("    tags =")[0])
    run(project, "generate", "--name", "drop_tags")
    assert "unacknowledged hazard [drop-table]" in run(project, "migrate", "--url", url, expect=1).stderr
    allowed = run(project, "migrate", "--url", url, "--allow-hazards").stdout
    assert "hazards allowed by --allow-hazards: drop-table (line" in allowed
    assert (_history(db)["drop_tags"] or "").startswith("drop-table (line")

    # a rebuild that makes a column NOT NULL is an error on a table with rows, but not on an empty one (as on
    # PostgreSQL, live facts grade lock and data findings of an empty table down; data loss keeps its grade)
    write_models(project, MODELS.replace('        sa.Column("age", sa.Integer),\n', "").split("    tags =")[0]
                 .replace('sa.Column("body", sa.Text)', 'sa.Column("body", sa.Text, nullable=False)'))
    run(project, "generate", "--name", "body_required")
    required = next((project / "migrations").glob("*_body_required.sql"))
    assert "error [adding-not-nullable-field]" in run(project, "review", f"migrations/{required.name}", expect=1).stdout
    assert "1 applied" in run(project, "migrate", "--url", url).stdout


def test_review_reads_sqlite(tmp_path: Path) -> None:
    """`safeshift review` on a SQLite project reviews its migrations as SQLite SQL."""
    project = make_project(tmp_path, "sqlite", MODELS)
    run(project, "generate", "--name", "initial")
    write_models(project, MODELS.replace('"fullname"', '"name"'))
    run(project, "generate", "--name", "rename", "--rename", "users.fullname=name")
    out = run(project, "review", expect=1).stdout
    assert "error [renaming-column]" in out

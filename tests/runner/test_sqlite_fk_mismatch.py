"""A SQLite migration (hand-written, or written before generate validated the models) that declares a foreign
key onto columns no primary or unique key covers: SQLite's foreign_key_check stops with "foreign key mismatch".
That is the migration's fault, told as a failed migration that was rolled back (exit 1), never an internal error
(exit 70, seen on a real application's models); a database that already held such a key before the migration is
not the migration's doing and does not stop it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.runner._project import invoke

MISMATCH = ('CREATE TABLE "c" ("id" INTEGER PRIMARY KEY, "code" TEXT REFERENCES "p" ("code"));\n'
            "INSERT INTO \"p\" VALUES (1, 'a');\nINSERT INTO \"c\" VALUES (1, 'a');\n")


def _project(tmp_path: Path) -> Path:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "safeshift.toml").write_text('schema = "schema.sql"\nmigrations = "migrations"\ndialect = "sqlite"\n')
    (tmp_path / "schema.sql").write_text("CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);\n")
    invoke(tmp_path, "generate", "--name", "init")
    return tmp_path


def _add_to_first_migration(project: Path, sql: str) -> None:
    path = next((project / "migrations").glob("*.sql"))
    text = path.read_text()
    head, _, down = text.partition("-- migrate:down")
    path.write_text(head.rstrip() + "\n\n" + sql + "\n-- migrate:down" + down)
    invoke(project, "rehash")


def test_a_foreign_key_sqlite_cannot_check_fails_the_migration(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _add_to_first_migration(project, MISMATCH)
    db = project / "app.db"
    db.touch()
    out = invoke(project, "migrate", "--url", f"sqlite:///{db}", "--yes", expect=1)
    said = out.stdout + out.stderr
    assert "foreign key SQLite cannot check (foreign key mismatch" in said
    assert "internal error" not in said
    with sqlite3.connect(db) as conn:  # rolled back: nothing of it is there
        assert conn.execute("SELECT name FROM sqlite_master WHERE name IN ('p', 'c')").fetchall() == []


def test_a_mismatch_the_database_already_had_does_not_stop_a_migration(tmp_path: Path) -> None:
    project = _project(tmp_path)
    db = project / "app.db"
    db.touch()
    with sqlite3.connect(db) as conn:
        conn.executescript('CREATE TABLE q (id INTEGER PRIMARY KEY, code TEXT);'
                           'CREATE TABLE r (id INTEGER PRIMARY KEY, code TEXT REFERENCES q (code));')
    invoke(project, "migrate", "--url", f"sqlite:///{db}", "--yes")

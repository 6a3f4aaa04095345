"""`safeshift verify` core: drift of a live database from its last applied snapshot (PG 15/18, SQLite).

Each test applies real migrations with the runner (so the history table exists), records
the expected snapshot from the result, then changes the database by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.runner._project import MIGRATIONS, connect, make_project, schema_of

from safeshift import api, history
from safeshift.dialects import dialect_for_url
from safeshift.formats import safeshift as migrations
from safeshift.model import Column, Table, make_schema
from safeshift.verify import Drift, drift, expected_schema, run_health, verify

V1, V2 = MIGRATIONS[0][0], MIGRATIONS[1][0]


def _applied(tmp_path: Path, url: str) -> Path:
    """users + posts (with an index) applied; the snapshot of the last one written as generate would."""
    project = make_project(tmp_path, url)
    project.add_all(MIGRATIONS[:2])
    api.migrate(url, project.folder)
    migrations.write_snapshot(project.folder / "meta" / f"{V2}_snapshot.json", schema_of(url))
    return project.folder


def _execute(url: str, sql: str) -> None:
    conn = connect(url)
    try:
        conn.execute(sql)
        if not getattr(conn, "autocommit", True):
            conn.commit()
    finally:
        conn.close()


def _check(url: str, folder: Path) -> Drift:
    return verify(dialect_for_url(url), url, folder)


def test_drift_on_postgres(pg_url: str, tmp_path: Path) -> None:
    folder = _applied(tmp_path, pg_url)
    result = _check(pg_url, folder)
    assert result.clean, result.render_text()  # the history schema and table are not drift
    _execute(pg_url, "CREATE INDEX users_email_by_hand ON users (email)")
    _execute(pg_url, "ALTER TABLE posts DROP COLUMN author_id")  # drops its FK and index too
    _execute(pg_url, "ALTER TABLE users ALTER COLUMN id TYPE bigint")
    result = _check(pg_url, folder)
    found = {(d.kind, d.object, d.name) for d in result.differences}
    assert ("extra", "index", "public.users_email_by_hand") in found
    assert ("missing", "column", "public.posts.author_id") in found
    assert ("missing", "index", "public.posts_author") in found
    changed = [d for d in result.differences if d.kind == "changed"]
    assert [(d.object, d.name) for d in changed] == [("column", "public.users.id")]
    assert changed[0].detail == "type: live bigint, expected integer"
    assert not any(history.TABLE in d.name or d.name == history.SCHEMA for d in result.differences)
    lines = result.render_text().splitlines()
    assert len(lines) == len(result.differences)
    assert "extra index public.users_email_by_hand: on users (email)" in lines
    doc = json.loads(result.to_json())
    assert doc["clean"] is False and len(doc["differences"]) == len(lines)


def test_drift_on_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    folder = _applied(tmp_path, sqlite_url)
    d = dialect_for_url(sqlite_url)
    expected = expected_schema(folder, [V1, V2])
    assert expected is not None
    assert drift(d, sqlite_url, expected).clean
    snap = folder / "meta" / f"{V2}_snapshot.json"
    assert drift(d, sqlite_url, snap).clean  # the snapshot file: equal texts, no parse
    _execute(sqlite_url, "CREATE INDEX users_email_by_hand ON users (email)")
    _execute(sqlite_url, "DROP INDEX posts_author")
    _execute(sqlite_url, "ALTER TABLE users ADD COLUMN nickname text")
    found = {(x.kind, x.object, x.name) for x in _check(sqlite_url, folder).differences}
    assert found == {(x.kind, x.object, x.name) for x in drift(d, sqlite_url, snap).differences}
    assert found == {("extra", "index", "main.users_email_by_hand"), ("missing", "index", "main.posts_author"),
                     ("extra", "column", "main.users.nickname")}


def test_changed_type_on_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    """SQLite cannot alter a type in place: recreate the table as a hand fix would."""
    folder = _applied(tmp_path, sqlite_url)
    _execute(sqlite_url, "DROP INDEX posts_author")
    _execute(sqlite_url, "DROP TABLE posts")
    _execute(sqlite_url, "CREATE TABLE posts (id integer PRIMARY KEY, author_id text NOT NULL REFERENCES users (id))")
    _execute(sqlite_url, "CREATE INDEX posts_author ON posts (author_id)")
    result = _check(sqlite_url, folder)
    assert [(x.kind, x.object, x.name, x.detail) for x in result.differences] == [
        ("changed", "column", "main.posts.author_id", "type: live TEXT, expected INTEGER")]


def test_expected_schema_picks_last_applied(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    one = make_schema("sqlite", tables=[Table("main", "a", (Column("id", "integer"),))])
    two = make_schema("sqlite", tables=[Table("main", "b", (Column("id", "integer"),))])
    migrations.write_snapshot(folder / "meta" / f"{V1}_snapshot.json", one)
    migrations.write_snapshot(folder / "meta" / f"{V2}_snapshot.json", two)
    for version in (V1, V2):  # a snapshot counts only beside its migration file
        (folder / f"{version}_step.sql").write_text("-- migrate:up\n")
    assert expected_schema(folder, [V1]) == one
    assert expected_schema(folder, [V2, V1]) == two
    assert expected_schema(folder, []) is None
    assert expected_schema(folder, ["20991231000000"]) == two  # no snapshot of its own: the latest


def test_run_health(tmp_path: Path) -> None:
    code, out = run_health(f"{sys.executable} -c \"import os; print(os.environ['X']); raise SystemExit(3)\"",
                           {"X": "hello"})
    assert (code, out.strip()) == (3, "hello")
    code, out = run_health("sleep 5", timeout=0.3)
    assert code == 124 and "timed out" in out


def test_empty_history_expects_empty_database(sqlite_url: str, tmp_path: Path) -> None:
    folder = make_project(tmp_path, sqlite_url).folder
    _execute(sqlite_url, "CREATE TABLE stray (id integer)")
    assert [(x.kind, x.name) for x in _check(sqlite_url, folder).differences] == [("extra", "main.stray")]

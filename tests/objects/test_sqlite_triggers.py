"""SQLite triggers are part of the schema: introspected, diffed, created and dropped, kept through a table
rebuild (which drops the old table and its triggers with it), and written to a migration file whose parser
keeps a trigger's BEGIN ... END body whole.  Virtual tables, which the model cannot hold, are refused by name."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from safeshift.dialects import get_dialect
from safeshift.diff import diff
from safeshift.engines import engine_for
from safeshift.errors import UnsupportedConstruct
from safeshift.model import Schema, make_schema
from safeshift.plan import render
from safeshift.sections import parse_sql

D = get_dialect("sqlite")
ITEMS = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, updated TEXT);\n"
TOUCH = ("CREATE TRIGGER items_touch AFTER UPDATE OF qty ON items BEGIN\n"
         "  UPDATE items SET updated = CASE WHEN new.qty > 0 THEN 'stocked' ELSE 'empty' END WHERE id = new.id;\n"
         "END;\n")
LOG = ("CREATE TABLE log (item INTEGER, at TEXT);\n"
       "CREATE TRIGGER items_log AFTER INSERT ON items BEGIN INSERT INTO log VALUES (new.id, 'now'); END;\n")


def _schema(tmp_path: Path, name: str, sql: str) -> Schema:
    path = tmp_path / f"{name}.db"
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    conn.close()
    return _introspect(f"sqlite:///{path}")


def _introspect(url: str) -> Schema:
    engine = engine_for(D)
    conn = engine.connect(url)
    try:
        return engine.introspect(conn)
    finally:
        conn.close()


def _apply(url: str, statements: list[str]) -> None:
    """Through the migration-file parser, as `safeshift migrate` runs a file: each parsed statement alone."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        for st in parse_sql("\n".join(statements)):
            conn.execute(st.sql)
    finally:
        conn.close()


@pytest.mark.parametrize(("a_sql", "b_sql", "name"), [
    (ITEMS, ITEMS + TOUCH, "create"),
    (ITEMS + TOUCH, ITEMS, "drop"),
    (ITEMS + TOUCH, ITEMS + TOUCH.replace("'stocked'", "'in stock'"), "change"),
    (ITEMS + TOUCH + LOG, ITEMS.replace("qty INTEGER", "qty INTEGER NOT NULL DEFAULT 0") + TOUCH + LOG,
     "rebuild keeps both triggers"),
])
def test_sqlite_trigger_round_trips(tmp_path: Path, a_sql: str, b_sql: str, name: str) -> None:
    a, b = _schema(tmp_path, "a", a_sql), _schema(tmp_path, "b", b_sql)
    assert a.triggers or b.triggers
    url = f"sqlite:///{tmp_path / 'target.db'}"
    empty = make_schema(D.name)
    _apply(url, [s.sql for s in render(diff(empty, a), empty, a, D).up])
    assert _introspect(url) == a
    sections = render(diff(a, b), a, b, D)
    _apply(url, [s.sql for s in sections.up])
    assert _introspect(url) == b, name
    _apply(url, [s.sql for s in sections.down])
    assert _introspect(url) == a, name


def test_sqlite_virtual_table_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "fts.db"
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE VIRTUAL TABLE docs USING fts5(body)")
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no FTS5")
    finally:
        conn.close()
    with pytest.raises(UnsupportedConstruct, match="virtual table\\(s\\) docs"):
        _introspect(f"sqlite:///{path}")

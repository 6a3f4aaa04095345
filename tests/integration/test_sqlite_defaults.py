"""SQLite defaults compared by the value the column stores: its affinity converts a default on the way in,
so ``DEFAULT 0`` and ``DEFAULT '0'`` are one default of a BOOLEAN column (mlflow's models say one, its
migrations the other) and no table rebuild.  Checked against SQLite itself: two spellings normalise alike
exactly when the row a bare INSERT makes holds the same value of the same storage class."""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from safeshift.dialects.sqlite import SQLiteDialect

TYPES = ["BOOLEAN", "INTEGER", "NUMERIC(10, 2)", "REAL", "FLOAT", "TEXT", "VARCHAR(20)", "BLOB", "DATETIME"]
SPELLINGS = ["0", "'0'", "0.0", "'0.0'", "1", "'1'", "TRUE", "FALSE", "1.5", "'1.5'", "'1.50'", "' 1'", "'abc'",
             "-3", "'-3'", "1e3", "'1e3'", "CURRENT_TIMESTAMP"]


def _stored(typ: str, default: str) -> tuple[str, object] | None:
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE TABLE t (id INTEGER PRIMARY KEY, c {typ} DEFAULT {default})")
        conn.execute("INSERT INTO t (id) VALUES (1)")
        row = conn.execute("SELECT typeof(c), c FROM t").fetchone()
        return (str(row[0]), row[1])
    finally:
        conn.close()


@pytest.mark.parametrize("typ", TYPES)
def test_spellings_normalise_alike_exactly_when_sqlite_stores_the_same(typ: str) -> None:
    d = SQLiteDialect()
    wrong = []
    for a, b in itertools.combinations(SPELLINGS, 2):
        if "CURRENT_TIMESTAMP" in (a, b):
            continue  # a value of the moment: never equal to a constant
        same_value = _stored(typ, a) == _stored(typ, b)
        same_default = d.normalize_default(a, typ) == d.normalize_default(b, typ)
        if same_default != same_value:
            wrong.append(f"{typ}: {a} and {b} normalise to {d.normalize_default(a, typ)} and "
                         f"{d.normalize_default(b, typ)} but store {_stored(typ, a)} and {_stored(typ, b)}")
    assert not wrong, "\n".join(wrong)


def test_the_false_difference_seen_on_mlflow_is_gone() -> None:
    d = SQLiteDialect()
    assert d.normalize_default("0", "BOOLEAN") == d.normalize_default("'0'", "BOOLEAN")
    assert d.normalize_default("'0'", "TEXT") == d.normalize_default("0", "TEXT")
    assert d.normalize_default("'abc'", "BOOLEAN") == "'abc'"

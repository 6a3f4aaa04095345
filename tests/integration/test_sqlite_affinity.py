"""SQLite compares declared types by what it enforces (issue 16): affinity outside STRICT tables, the
exact name inside them, and the rowid alias (``INTEGER PRIMARY KEY``) as its own kind of column.

Real SQLite files, built by SQLAlchemy's ``create_all`` or by hand-written DDL (what Alembic emits),
read back by introspection and compared with the models through the dialect's ``same_column``; the
CLI part runs ``generate``, ``generate --check``, ``migrate``, ``diff --url`` and ``verify --url`` as a user does.
"""

from __future__ import annotations

import sqlite3
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from tests.cli.test_generate_cli import make_project, run, write_models

from safeshift import changes as ch
from safeshift.dialects import dialect_for_url
from safeshift.dialects.base import Dialect
from safeshift.dialects.sqlite import SQLiteDialect
from safeshift.dialects.sqlite.affinity import affinity
from safeshift.diff import diff
from safeshift.introspect.sqlite import introspect
from safeshift.model import Column, Schema, Table, make_schema
from safeshift.plan import render
from safeshift.renames import RenameHints
from safeshift.sources.sqlalchemy import schema_from_metadata

D = SQLiteDialect()


class _Int(sa.types.UserDefinedType[int]):
    """A column declared ``INT``: INTEGER affinity, but never the rowid."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "INT"


def _models(*columns: Callable[[], sa.Column[Any]], **table_kw: Any) -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("things", md, *(c() for c in columns), **table_kw)
    return md


def _pk() -> sa.Column[Any]:
    return sa.Column("id", sa.Integer, primary_key=True)


def _col(type_: Any, name: str = "v", **kw: Any) -> Callable[[], sa.Column[Any]]:
    return lambda: sa.Column(name, type_, **kw)


def _live(path: Path, build: sa.MetaData | str) -> Schema:
    """The database at ``path`` after ``create_all`` of ``build`` (or running it as SQL), read back."""
    if isinstance(build, str):
        conn = sqlite3.connect(path)
        conn.executescript(build)
        conn.close()
    else:
        engine = sa.create_engine(f"sqlite:///{path}")
        build.create_all(engine)
        engine.dispose()
    conn = sqlite3.connect(path)
    try:
        return introspect(conn)
    finally:
        conn.close()


def _changes(live: Schema, target: Schema, dialect: Dialect = D) -> list[ch.Change]:
    return diff(live, target, default_schema=dialect.default_schema, same_column=dialect.same_column)


# -- the affinity rules themselves ----------------------------------------------------------

@pytest.mark.parametrize(("declared", "expected"), [
    ("INTEGER", "INTEGER"), ("INT", "INTEGER"), ("BIGINT", "INTEGER"), ("UNSIGNED BIG INT", "INTEGER"),
    ("CHARINT", "INTEGER"), ("FLOATING POINT", "INTEGER"),
    ("TEXT", "TEXT"), ("VARCHAR(40)", "TEXT"), ("CHAR(32)", "TEXT"), ("CLOB", "TEXT"), ("NVARCHAR(10)", "TEXT"),
    ("BLOB", "BLOB"), ("", "BLOB"),
    ("REAL", "REAL"), ("FLOAT", "REAL"), ("DOUBLE", "REAL"), ("DOUBLE PRECISION", "REAL"),
    ("NUMERIC(10,2)", "NUMERIC"), ("DECIMAL", "NUMERIC"), ("BOOLEAN", "NUMERIC"), ("DATETIME", "NUMERIC"),
    ("DATE", "NUMERIC"), ("JSON", "NUMERIC"), ("STRING", "NUMERIC"),
])
def test_affinity_follows_sqlites_rules_in_order(declared: str, expected: str) -> None:
    assert affinity(declared) == expected


def test_affinity_is_what_sqlite_itself_gives(tmp_path: Path) -> None:
    """Each declared type stores a value as SQLite's own affinity says (typeof of '12' and of 1.0)."""
    declared = ["INTEGER", "INT", "VARCHAR(40)", "CLOB", "BLOB", "", "FLOAT", "DOUBLE", "NUMERIC(10,2)", "BOOLEAN",
                "DATETIME", "FLOATING POINT"]
    conn = sqlite3.connect(tmp_path / "a.db")
    cols = ", ".join(f"c{i} {t}" for i, t in enumerate(declared))
    conn.execute(f"CREATE TABLE t ({cols})")
    conn.execute(f"INSERT INTO t VALUES ({', '.join('?' for _ in declared)})", ["12"] * len(declared))
    conn.execute(f"INSERT INTO t VALUES ({', '.join('?' for _ in declared)})", [1.0] * len(declared))
    seen = [conn.execute(f"SELECT typeof(c{i}) FROM t ORDER BY rowid").fetchall() for i in range(len(declared))]
    conn.close()
    behaviour = {"INTEGER": [("integer",), ("integer",)], "TEXT": [("text",), ("text",)],
                 "BLOB": [("text",), ("real",)], "REAL": [("real",), ("real",)],
                 "NUMERIC": [("integer",), ("integer",)]}
    assert seen == [behaviour[affinity(t)] for t in declared]


# -- no changes: what SQLite would not notice -----------------------------------------------

SAME = [
    ("varchar_wider", sa.String(40), sa.String(80)),
    ("varchar_to_text", sa.String(40), sa.Text()),
    ("float_to_real", sa.Float(), sa.REAL()),
    ("real_to_double", sa.REAL(), sa.Double()),
    ("numeric_precision", sa.Numeric(10, 2), sa.Numeric(12, 4)),
    ("date_to_datetime", sa.Date(), sa.DateTime()),
    ("int_to_bigint", sa.Integer(), sa.BigInteger()),
    ("int_to_smallint", sa.Integer(), sa.SmallInteger()),
]


@pytest.mark.parametrize(("old", "new"), [(o, n) for _, o, n in SAME], ids=[i for i, _, _ in SAME])
def test_affinity_equal_types_are_no_change(tmp_path: Path, old: Any, new: Any) -> None:
    live = _live(tmp_path / "a.db", _models(_pk, _col(old, nullable=False), _col(old, "w")))
    target = schema_from_metadata(_models(_pk, _col(new, nullable=False), _col(new, "w")), D)
    assert _changes(live, target) == []
    # the model keeps the declared text: an exact comparison (or a PostgreSQL rendering) still sees it
    t = target.table("main", "things")
    assert t is not None and t.columns[1].type == D.normalize_type(str(new.compile(dialect=D.sqlalchemy_dialect())))
    assert [type(c) for c in diff(live, target)] == [ch.AlterColumn, ch.AlterColumn]


def test_other_differences_of_the_column_still_count(tmp_path: Path) -> None:
    """Affinity relaxes the type only: NOT NULL, defaults and collations are enforced and compared."""
    live = _live(tmp_path / "a.db", _models(_pk, _col(sa.String(40)), _col(sa.String(40), "w")))
    target = schema_from_metadata(_models(_pk, _col(sa.String(80), nullable=False),
                                          _col(sa.String(collation="NOCASE"), "w")), D)
    found = _changes(live, target)
    assert [(type(c), c.target) for c in found] == [(ch.AlterColumn, "main.things.v"),
                                                    (ch.AlterColumn, "main.things.w")]
    # the rebuild writes the target's declared text, and no type data-loss warning for the same affinity
    assert all(D.data_loss(c) is None for c in found)
    sql = "\n".join(s.sql for s in render(found, live, target, D).up)
    assert '"v" VARCHAR(80) NOT NULL' in sql and '"w" VARCHAR COLLATE "NOCASE"' in sql


def test_identity_columns_are_what_sqlite_can_do(tmp_path: Path) -> None:
    """Identity() renders as a plain column on SQLite (create_all and Alembic alike): no identity in the model,
    so a database built either way shows no drift; Sequence() is ignored as create_all ignores it."""
    def models() -> sa.MetaData:
        md = sa.MetaData()
        sa.Table("items", md, sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
                 sa.Column("n", sa.BigInteger, sa.Identity(start=5, always=True)), sa.Column("name", sa.String(50)))
        sa.Table("orders", md, sa.Column("id", sa.Integer, sa.Sequence("orders_seq"), primary_key=True),
                 sa.Column("total", sa.Numeric(10, 2), sa.Computed("1 + 1", persisted=True)))
        sa.Sequence("free_standing", metadata=md)
        return md

    target = schema_from_metadata(models(), D)
    assert target.sequences == ()
    assert all(c.identity is None for t in target.tables for c in t.columns)
    built = _live(tmp_path / "a.db", models())
    assert diff(built, target) == [] and diff(target, built) == []
    # what Alembic's op.create_table emits for the same models (SQLAlchemy's DDL compiler, tab-indented)
    alembic = _live(tmp_path / "b.db", textwrap.dedent("""\
        CREATE TABLE items (
        \tid INTEGER NOT NULL,
        \tn BIGINT NOT NULL,
        \tname VARCHAR(50),
        \tPRIMARY KEY (id)
        );
        CREATE TABLE orders (
        \tid INTEGER NOT NULL,
        \ttotal NUMERIC(10, 2) GENERATED ALWAYS AS (1 + 1) STORED,
        \tPRIMARY KEY (id)
        );"""))
    assert diff(alembic, target) == []
    conn = sqlite3.connect(tmp_path / "a.db")
    conn.execute("INSERT INTO items (n, name) VALUES (1, 'x')")  # the INTEGER key is the rowid: assigned
    assert conn.execute("SELECT id FROM items").fetchall() == [(1,)]
    conn.close()


# -- still changes: what SQLite does notice ---------------------------------------------------

def test_a_change_of_affinity_is_a_change_with_its_warning(tmp_path: Path) -> None:
    live = _live(tmp_path / "a.db", _models(_pk, _col(sa.Text())))
    target = schema_from_metadata(_models(_pk, _col(sa.Integer())), D)
    found = _changes(live, target)
    assert [type(c) for c in found] == [ch.AlterColumn]
    assert D.data_loss(found[0]) is not None and "TEXT to INTEGER" in str(D.data_loss(found[0]))
    assert any("rebuild things" in (s.comment or "") for s in render(found, live, target, D).up)


def test_int_key_to_integer_key_changes_the_rowid(tmp_path: Path) -> None:
    """``INT PRIMARY KEY`` is an ordinary column, ``INTEGER PRIMARY KEY`` the rowid: same affinity, a change."""
    live = _live(tmp_path / "a.db", "CREATE TABLE things (id INT PRIMARY KEY NOT NULL, v TEXT);")
    target = schema_from_metadata(_models(_pk, _col(sa.Text())), D)
    found = _changes(live, target)
    assert [(type(c), c.target) for c in found] == [(ch.AlterColumn, "main.things.id")]
    assert D.data_loss(found[0]) is not None  # the rowid takes integers only
    assert _changes(target, live) != []
    # a column that is not the key: INT and INTEGER are the same column
    live2 = _live(tmp_path / "b.db", "CREATE TABLE things (id INTEGER PRIMARY KEY, v INT);")
    assert _changes(live2, schema_from_metadata(_models(_pk, _col(sa.Integer())), D)) == []
    # a WITHOUT ROWID table has no rowid: its INTEGER key is an ordinary column too
    live3 = _live(tmp_path / "c.db", "CREATE TABLE things (id INT PRIMARY KEY, v TEXT) WITHOUT ROWID;")
    target3 = schema_from_metadata(_models(_pk, _col(sa.Text()), sqlite_with_rowid=False), D)
    assert _changes(live3, target3) == []


def test_renamed_rowid_key_that_loses_the_rowid_is_a_change(tmp_path: Path) -> None:
    live = _live(tmp_path / "a.db", "CREATE TABLE things (id INTEGER PRIMARY KEY, v TEXT);")
    target = schema_from_metadata(_models(lambda: sa.Column("key", _Int(), primary_key=True), _col(sa.Text())), D)
    hints = RenameHints({}, {("main", "things", "id"): "key"}, frozenset())
    found = diff(live, target, hints, default_schema="main", same_column=D.same_column)
    assert [type(c) for c in found] == [ch.RenameColumn, ch.AlterColumn]
    back = diff(target, live, RenameHints({}, {("main", "things", "key"): "id"}, frozenset()),
                default_schema="main", same_column=D.same_column)
    assert [type(c) for c in back] == [ch.RenameColumn, ch.AlterColumn]
    # renamed within the same affinity and not the key: the rename alone
    live2 = _live(tmp_path / "b.db", "CREATE TABLE things (id INTEGER PRIMARY KEY, v VARCHAR(10));")
    target2 = schema_from_metadata(_models(_pk, _col(sa.Text(), "w")), D)
    hints2 = RenameHints({}, {("main", "things", "v"): "w"}, frozenset())
    assert [type(c) for c in diff(live2, target2, hints2, default_schema="main", same_column=D.same_column)] == [
        ch.RenameColumn]


def test_strict_tables_compare_the_type_name(tmp_path: Path) -> None:
    live = _live(tmp_path / "a.db", _models(_pk, _col(_Int()), sqlite_strict=True))
    assert live.tables[0].options == ("STRICT",)
    same = schema_from_metadata(_models(_pk, _col(_Int()), sqlite_strict=True), D)
    assert _changes(live, same) == []
    retyped = schema_from_metadata(_models(_pk, _col(sa.Integer()), sqlite_strict=True), D)
    found = _changes(live, retyped)
    assert [type(c) for c in found] == [ch.AlterColumn]
    # not STRICT any more: the option is a change (a rebuild) and the types are compared by affinity
    loose = schema_from_metadata(_models(_pk, _col(sa.Integer())), D)
    found = _changes(live, loose)
    assert [type(c) for c in found] == [ch.AlterColumn, ch.SetTableStorage]
    up = "\n".join(s.sql for s in render(found, live, loose, D).up)
    assert "STRICT" not in up and '"v" INTEGER' in up
    down = "\n".join(s.sql for s in render(found, live, loose, D).down)
    assert ") STRICT;" in down


def test_postgres_compares_the_declared_type_exactly() -> None:
    """Only SQLite relaxes the comparison: PostgreSQL enforces varchar lengths."""
    pg = dialect_for_url("postgresql://localhost/x")

    def schema(type_: str) -> Schema:
        return make_schema("postgres", tables=[Table("public", "t", (Column("v", type_),))])

    found = _changes(schema("character varying(40)"), schema("character varying(80)"), pg)
    assert [type(c) for c in found] == [ch.AlterColumn]


# -- through the CLI ------------------------------------------------------------------------

MODELS = """
    import sqlalchemy as sa
    metadata = sa.MetaData()
    users = sa.Table(
        "users", metadata,
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("price", sa.Numeric(10, 2)),
    )
"""
WIDER = (MODELS.replace("sa.String(40)", "sa.String(80)").replace("sa.Float", "sa.Double")
         .replace("sa.Numeric(10, 2)", "sa.Numeric(12, 4)"))


def test_cli_generate_diff_and_verify_see_no_change(tmp_path: Path) -> None:
    project = make_project(tmp_path, "sqlite", MODELS)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    (tmp_path / "app.db").touch()  # an empty database: migrate --url creates none
    run(project, "generate", "--name", "initial")
    run(project, "migrate", "--url", url, "--yes")
    assert run(project, "verify", "--url", url).returncode == 0
    write_models(project, WIDER)
    assert run(project, "generate", "--name", "wider").stdout.strip() == "no changes"
    run(project, "generate", "--check")
    assert run(project, "diff", "--url", url).stdout.strip() == "-- no changes"
    # the database changed by hand within the same affinity is no drift either
    conn = sqlite3.connect(tmp_path / "app.db")
    conn.executescript("""
        CREATE TABLE users_new (id INTEGER NOT NULL, name TEXT NOT NULL, score REAL, price DECIMAL(20, 6),
                                PRIMARY KEY (id));
        INSERT INTO users_new SELECT * FROM users; DROP TABLE users; ALTER TABLE users_new RENAME TO users;
    """)
    conn.close()
    assert run(project, "verify", "--url", url).returncode == 0
    # a change SQLite notices is drift, and a migration
    conn = sqlite3.connect(tmp_path / "app.db")
    conn.executescript("""
        CREATE TABLE users_new (id INTEGER NOT NULL, name TEXT NOT NULL, score INTEGER, price DECIMAL(20, 6),
                               PRIMARY KEY (id));
        INSERT INTO users_new SELECT * FROM users; DROP TABLE users; ALTER TABLE users_new RENAME TO users;
    """)
    conn.close()
    proc = run(project, "verify", "--url", url, expect=1)
    assert "main.users.score" in proc.stdout + proc.stderr
    out = run(project, "diff", "--url", url).stdout
    assert "rebuild users" in out and '"score" DOUBLE' in out

"""SQLite introspection and rendering against real SQLite files.

Hand-written DDL for every construct must read back as exact model values; rendered
changes (including table rebuilds) must run on a table with rows, keep the rows, leave
``PRAGMA foreign_key_check`` clean, and read back as the table we asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from safeshift import changes as ch
from safeshift.dialects.sqlite import SQLiteDialect
from safeshift.engines import engine_for
from safeshift.errors import MigrationFailed
from safeshift.model import (
    Check,
    Column,
    ForeignKey,
    Generated,
    Index,
    IndexElement,
    PrimaryKey,
    Table,
    Unique,
    View,
    canonical_table,
)
from safeshift.runner import run_statements

pytestmark = pytest.mark.sqlite

D = SQLiteDialect()


@pytest.fixture
def conn(sqlite_url: str) -> Iterator[Any]:
    c = engine_for(D).connect(sqlite_url)
    try:
        yield c
    finally:
        c.close()


def table(conn: Any, name: str) -> Table:
    t = engine_for(D).introspect(conn).table("main", name)
    assert t is not None, f"table {name} not found"
    return t


# -- introspection of hand-written DDL -------------------------------------------------------

def test_columns_types_defaults_collations_and_generated(conn: Any) -> None:
    conn.executescript("""
        CREATE TABLE items (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            code varchar ( 20 ) NOT NULL COLLATE "NOCASE" DEFAULT 'a, (b)',
            price NUMERIC(10, 2) DEFAULT 0,
            created DATETIME DEFAULT current_timestamp,
            day TEXT DEFAULT (date('now')),
            n INT DEFAULT -1,
            untyped,
            twice INTEGER GENERATED ALWAYS AS (n*2) STORED,
            lowered TEXT AS ( lower(code) )
        );
    """)
    t = table(conn, "items")
    assert t.columns == (
        Column("id", "INTEGER", nullable=False, serial=True),
        Column("code", "VARCHAR(20)", nullable=False, default="'a, (b)'", collation="NOCASE"),
        Column("price", "NUMERIC(10,2)", default="0"),
        Column("created", "DATETIME", default="CURRENT_TIMESTAMP"),
        Column("day", "TEXT", default="date('now')"),
        Column("n", "INT", default="-1"),
        Column("untyped", ""),
        Column("twice", "INTEGER", generated=Generated("n * 2", stored=True)),
        Column("lowered", "TEXT", generated=Generated("lower(code)", stored=False)),
    )
    assert t.primary_key == PrimaryKey(None, ("id",))


def test_rowid_alias_is_not_null_and_only_autoincrement_is_serial(conn: Any) -> None:
    conn.executescript("""
        CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT);
        CREATE TABLE b (id INTEGER NOT NULL, PRIMARY KEY (id));
        CREATE TABLE c (code TEXT PRIMARY KEY);
        CREATE TABLE d (k1 INT NOT NULL, k2 TEXT NOT NULL, CONSTRAINT pk_d PRIMARY KEY (k2, k1)) WITHOUT ROWID;
    """)
    assert table(conn, "a").columns[0] == Column("id", "INTEGER", nullable=False)
    assert table(conn, "b").columns[0] == Column("id", "INTEGER", nullable=False)
    assert table(conn, "c").columns[0] == Column("code", "TEXT", nullable=True)
    d = table(conn, "d")
    assert d.primary_key == PrimaryKey(None, ("k2", "k1"))
    assert d.uniques == () and d.indexes == ()


def test_constraints_are_nameless_and_checks_parsed(conn: Any) -> None:
    conn.executescript("""
        CREATE TABLE parent (id INTEGER PRIMARY KEY, a INT, b INT, UNIQUE (a, b));
        CREATE TABLE child (
            id INTEGER PRIMARY KEY,
            pid INTEGER CONSTRAINT fk_p REFERENCES parent ON DELETE CASCADE,
            a INT, b INT,
            "check" TEXT UNIQUE CHECK ("check" <> ''),  -- a quoted keyword as a name
            CONSTRAINT ab_fk FOREIGN KEY (a, b) REFERENCES parent (a, b)
                ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED,
            CONSTRAINT positive CHECK ((a > 0) AND (b > (a + 1)))
        );
    """)
    child = table(conn, "child")
    assert child.uniques == (Unique(None, ("check",)),)
    assert child.checks == (Check(None, '"check" <> \'\''), Check(None, "(a > 0) AND (b > (a + 1))"))
    assert child.foreign_keys == (
        ForeignKey(None, ("a", "b"), "main", "parent", ("a", "b"), on_update="SET NULL", deferrable=True,
                   initially_deferred=True),
        ForeignKey(None, ("pid",), "main", "parent", ("id",), on_delete="CASCADE"),
    )
    assert table(conn, "parent").uniques == (Unique(None, ("a", "b")),)


def test_indexes_columns_expressions_partial_and_order(conn: Any) -> None:
    conn.executescript("""
        CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, score INT, tag TEXT);
        CREATE INDEX ix_expr ON t (lower(name) DESC, score) WHERE (score > 5 AND tag IS NOT NULL);
        CREATE UNIQUE INDEX "ix quoted" ON t ("tag" ASC, score DESC);
        CREATE INDEX ix_collate ON t (score, tag COLLATE nocase);
    """)
    t = table(conn, "t")
    assert t.uniques == (Unique(None, ("name",)),)
    assert t.indexes == (
        Index("ix quoted", (IndexElement("tag"), IndexElement("score", descending=True)), unique=True),
        Index("ix_collate", (IndexElement("score"), IndexElement("tag COLLATE nocase", is_expression=True))),
        Index("ix_expr", (IndexElement("lower(name)", is_expression=True, descending=True), IndexElement("score")),
              where="score > 5 AND tag IS NOT NULL"),
    )


def test_views_and_excluded_objects(conn: Any) -> None:
    conn.executescript("""
        CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT);
        INSERT INTO t (x) VALUES ('a');
        CREATE VIEW v AS
            SELECT id,   x FROM t;
        CREATE TABLE safeshift_migrations (version TEXT PRIMARY KEY);
        ANALYZE;
    """)
    s = engine_for(D).introspect(conn)
    assert [t.name for t in s.tables] == ["t"]  # no sqlite_sequence, sqlite_stat1 or history table
    assert s.views == (View("main", "v", "SELECT id, x FROM t"),)
    assert s.namespaces == () and s.dialect == "sqlite"
    assert engine_for(D).introspect(conn, ["other"]).tables == ()


# -- round trips: render, run with rows, read back -------------------------------------------

USERS = Table(
    "main", "users",
    (Column("id", "INTEGER", nullable=False), Column("email", "VARCHAR(100)", nullable=False),
     Column("visits", "INTEGER")),
    PrimaryKey(None, ("id",)), uniques=(Unique(None, ("email",)),),
)
POSTS = Table(
    "main", "posts",
    (Column("id", "INTEGER", nullable=False, serial=True), Column("user_id", "INTEGER"),
     Column("title", "TEXT", default="'untitled'"), Column("slug", "TEXT")),
    PrimaryKey(None, ("id",)), checks=(Check(None, "length(title) > 0"),),
    indexes=(Index("ix_posts_slug", (IndexElement("slug"),)),
             Index("ix_posts_lower", (IndexElement("lower(title)", is_expression=True),), where="slug IS NOT NULL")),
)


def create(conn: Any, *tables: Table) -> None:
    statements = []
    for t in tables:
        statements += D.render(ch.CreateTable(replace(t, indexes=())))
        statements += [s for ix in t.indexes for s in D.render(ch.CreateIndex(t.schema, t.name, ix))]
    run_statements(D, conn, statements)


def seed(conn: Any) -> None:
    run_statements(D, conn, [])
    conn.executescript("""
        INSERT INTO users (id, email, visits) VALUES (1, 'a@x', 10), (2, 'b@x', NULL);
        INSERT INTO posts (user_id, title, slug) VALUES (1, 'one', 's1'), (2, 'two', NULL), (NULL, 'three', 's3');
    """)


def rows(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    return sorted(conn.execute(sql).fetchall(), key=repr)


def test_create_tables_and_indexes_read_back_exactly(conn: Any) -> None:
    create(conn, USERS, POSTS)
    s = engine_for(D).introspect(conn)
    assert s.table("main", "users") == canonical_table(USERS)
    assert s.table("main", "posts") == canonical_table(POSTS)


def test_simple_alters_run_natively(conn: Any) -> None:
    create(conn, USERS, POSTS)
    seed(conn)
    add = ch.AddColumn("main", "users", Column("score", "INTEGER", nullable=False, default="0"))
    assert D.can_apply(add)
    run_statements(D, conn, D.render(add) + D.render(ch.RenameColumn("main", "users", "visits", "hits"))
                   + D.render(ch.RenameTable("main", "posts", "articles")))
    users = table(conn, "users")
    assert users.column_names() == ("id", "email", "hits", "score")
    assert rows(conn, "SELECT id, hits, score FROM users") == [(1, 10, 0), (2, None, 0)]
    assert table(conn, "articles").indexes == canonical_table(POSTS).indexes


def rebuild(conn: Any, old: Table, new: Table, cmap: tuple[tuple[str, str | None], ...]) -> None:
    change = ch.RebuildTable(old, new, cmap)
    run_statements(D, conn, D.render(change))
    assert table(conn, new.name) == canonical_table(new)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)


def same_columns(t: Table) -> tuple[tuple[str, str | None], ...]:
    return tuple((c.name, c.name) for c in t.columns)


def test_rebuild_changes_type_and_sets_not_null(conn: Any) -> None:
    posts = replace(POSTS, foreign_keys=(ForeignKey(None, ("user_id",), "main", "users", ("id",)),))
    create(conn, USERS, posts)
    seed(conn)
    cols = (USERS.columns[0], USERS.columns[1], Column("visits", "BIGINT", nullable=False, default="0"))
    conn.execute("UPDATE users SET visits = 0 WHERE visits IS NULL")
    new = replace(USERS, columns=cols)
    rebuild(conn, USERS, new, same_columns(new))
    assert rows(conn, "SELECT id, email, visits FROM users") == [(1, "a@x", 10), (2, "b@x", 0)]
    # the child still points at the rebuilt parent, and its rows were untouched
    assert table(conn, "posts").foreign_keys == posts.foreign_keys
    assert rows(conn, "SELECT user_id, title FROM posts") == [(1, "one"), (2, "two"), (None, "three")]


def test_rebuild_adds_foreign_key_to_existing_table(conn: Any) -> None:
    create(conn, USERS, POSTS)
    seed(conn)
    fk = ForeignKey(None, ("user_id",), "main", "users", ("id",), on_delete="SET NULL")
    assert not D.can_apply(ch.AddForeignKey("main", "posts", fk))
    new = replace(POSTS, foreign_keys=(fk,))
    rebuild(conn, POSTS, new, same_columns(new))
    conn.execute("DELETE FROM users WHERE id = 1")
    assert rows(conn, "SELECT user_id, title FROM posts") == [(2, "two"), (None, "one"), (None, "three")]
    # AUTOINCREMENT survived: new ids keep counting up from the old maximum
    conn.execute("INSERT INTO posts (title) VALUES ('four')")
    assert conn.execute("SELECT max(id) FROM posts").fetchone() == (4,)


def test_rebuild_drops_column_with_index_and_keeps_a_view_working(conn: Any) -> None:
    create(conn, USERS, POSTS)
    seed(conn)
    conn.execute("CREATE VIEW titles AS SELECT id, title FROM posts")
    new = replace(POSTS, columns=POSTS.columns[:3], indexes=())
    rebuild(conn, POSTS, new, same_columns(new))
    assert rows(conn, "SELECT id, title FROM titles") == [(1, "one"), (2, "two"), (3, "three")]


def test_rebuild_renames_column_and_changes_type_with_new_column(conn: Any) -> None:
    create(conn, USERS, POSTS)
    seed(conn)
    cols = (USERS.columns[0], USERS.columns[1], Column("hits", "BIGINT"),
            Column("joined", "TEXT", nullable=False, default="'never'"))
    new = replace(USERS, columns=cols, uniques=(), indexes=(Index("ix_users_email", (IndexElement("email"),),
                                                                  unique=True),))
    rebuild(conn, USERS, new, (("id", "id"), ("email", "email"), ("hits", "visits"), ("joined", None)))
    assert rows(conn, "SELECT id, hits, joined FROM users") == [(1, 10, "never"), (2, None, "never")]


def test_rebuild_that_breaks_references_is_rolled_back(conn: Any) -> None:
    posts = replace(POSTS, foreign_keys=(ForeignKey(None, ("user_id",), "main", "users", ("id",)),))
    create(conn, USERS, posts)
    seed(conn)
    other = replace(USERS, name="users", columns=USERS.columns)
    statements = D.render(ch.RebuildTable(USERS, other, same_columns(other)))
    statements = [*statements[:1], *statements[2:]]  # drop the copy: every child row now dangles
    with pytest.raises(MigrationFailed, match="foreign keys"):
        run_statements(D, conn, statements)
    assert rows(conn, "SELECT id FROM users") == [(1,), (2,)]
    assert table(conn, "users") == canonical_table(USERS)


def test_old_dangling_references_do_not_block_a_migration(conn: Any) -> None:
    posts = replace(POSTS, foreign_keys=(ForeignKey(None, ("user_id",), "main", "users", ("id",)),))
    create(conn, USERS, posts)
    seed(conn)
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("INSERT INTO posts (user_id, title) VALUES (99, 'orphan')")  # written while FKs were off
    conn.execute("PRAGMA foreign_keys=ON")
    new = replace(USERS, columns=(*USERS.columns, Column("note", "TEXT")))
    run_statements(D, conn, D.render(ch.RebuildTable(USERS, new, same_columns(USERS))))
    assert table(conn, "users").column_names() == ("id", "email", "visits", "note")


# -- through the planner: diff → plan → render → run, up and down ------------------------------

def migrate_both_ways(conn: Any, a: Table, b: Table, hints: Any = None) -> None:
    from safeshift.diff import diff
    from safeshift.model import make_schema
    from safeshift.plan import render

    sa_, sb = make_schema("sqlite", tables=[a]), make_schema("sqlite", tables=[b])
    empty = make_schema("sqlite")
    run_statements(D, conn, render(diff(empty, sa_), empty, sa_, D).up)
    conn.execute(f"INSERT INTO {D.quote(a.name)} (id, email, age) VALUES (1, 'a@x', 5), (2, 'b@x', NULL)")
    sections = render(diff(sa_, sb, hints), sa_, sb, D)
    run_statements(D, conn, sections.up)
    assert engine_for(D).introspect(conn) == sb
    run_statements(D, conn, sections.down)
    assert engine_for(D).introspect(conn) == sa_
    assert rows(conn, f"SELECT id, email, age FROM {D.quote(a.name)}") == [(1, "a@x", 5), (2, "b@x", None)]


PEOPLE = Table("main", "users", (Column("id", "INTEGER", nullable=False), Column("email", "TEXT"),
                                 Column("age", "INTEGER")),
               PrimaryKey(None, ("id",)), checks=(Check(None, "age >= 0"),),
               indexes=(Index("ix_users_email", (IndexElement("email"),)),
                        Index("ix_users_age", (IndexElement("age"),), where="age > 18")))


def test_planned_rename_table_with_index_rename_runs_up_and_down(conn: Any) -> None:
    from safeshift.renames import RenameHints

    b = replace(PEOPLE, name="accounts",
                indexes=(Index("ix_accounts_email", (IndexElement("email"),)), PEOPLE.indexes[1]))
    migrate_both_ways(conn, PEOPLE, b, RenameHints({("main", "users"): "accounts"}, {}, frozenset()))


def test_planned_rename_column_rewrites_check_and_partial_index(conn: Any) -> None:
    from safeshift.diff import diff
    from safeshift.model import make_schema
    from safeshift.renames import RenameHints

    b = replace(PEOPLE, columns=(*PEOPLE.columns[:2], Column("years", "INTEGER")),
                checks=(Check(None, "years >= 0"),),
                indexes=(PEOPLE.indexes[0], Index("ix_users_age", (IndexElement("years"),), where="years > 18")))
    hints = RenameHints({}, {("main", "users", "age"): "years"}, frozenset())
    changes = diff(make_schema("sqlite", tables=[PEOPLE]), make_schema("sqlite", tables=[b]), hints)
    assert [c.kind for c in changes] == ["rename_column"]  # SQLite rewrites the check and index itself
    migrate_both_ways(conn, PEOPLE, b, hints)


def test_foreign_key_names_resolve_to_actual_spelling(conn: Any) -> None:
    conn.executescript("""
        CREATE TABLE "Parent" ("ID" INTEGER PRIMARY KEY, "Code" TEXT UNIQUE);
        CREATE TABLE kid (pid INT REFERENCES parent (id), PCODE TEXT, FOREIGN KEY (pcode) REFERENCES PARENT (code));
    """)
    assert table(conn, "kid").foreign_keys == (
        ForeignKey(None, ("PCODE",), "main", "Parent", ("Code",)),
        ForeignKey(None, ("pid",), "main", "Parent", ("ID",)),
    )


def test_shadow_and_development_databases(tmp_path: Any) -> None:
    dev = engine_for(D).development_url(tmp_path / ".safeshift")
    assert dev.startswith("sqlite:////") and (tmp_path / ".safeshift").is_dir()
    with engine_for(D).shadow_database(tmp_path) as url:
        c = engine_for(D).connect(url)
        c.execute("CREATE TABLE t (x)")
        assert [t.name for t in engine_for(D).introspect(c).tables] == ["t"]
        c.close()
    c = engine_for(D).connect(dev)
    assert c.execute("PRAGMA foreign_keys").fetchone() == (1,)
    c.close()


def test_rebuild_backfills_recreated_not_null_columns_with_placeholders(conn: Any) -> None:
    create(conn, USERS, POSTS)
    seed(conn)
    cols = (*USERS.columns, Column("code", "VARCHAR(20)", nullable=False), Column("n", "BIGINT", nullable=False),
            Column("at", "DATETIME", nullable=False), Column("raw", "BLOB", nullable=False))
    new = replace(USERS, columns=cols, uniques=(*USERS.uniques, Unique(None, ("code",))))
    change = ch.RebuildTable(USERS, new, (*same_columns(USERS), ("code", None), ("n", None), ("at", None),
                                          ("raw", None)), backfill=("code", "n", "at", "raw"))
    statements = D.render(change)
    assert statements[1].comment is not None and "placeholder" in statements[1].comment
    run_statements(D, conn, statements)
    assert table(conn, "users") == canonical_table(new)
    assert rows(conn, "SELECT id, code, n, at, raw FROM users") == [
        (1, "1", 0, "1970-01-01 00:00:00", b""), (2, "2", 0, "1970-01-01 00:00:00", b"")]  # unique: from rowid

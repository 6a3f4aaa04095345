"""SQLite dialect without a database: tokenizer, normalisers, CREATE parsers, can_apply, rendering."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeshift import changes as ch
from safeshift.dialects import get_dialect
from safeshift.dialects.sqlite import (
    SQLiteDialect,
    SqlTokenError,
    is_constant,
    is_literal,
    tokenize,
    url_path,
)
from safeshift.engines import engine_for
from safeshift.errors import ConnectionFailed, UnsupportedConstruct
from safeshift.introspect.sqlite import parse_create_index, parse_create_table, parse_view_definition
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
)

D = SQLiteDialect()


# -- tokenizer -------------------------------------------------------------------------------

def test_tokenizer_keeps_quoted_text_whole_and_drops_comments() -> None:
    sql = """a -- a comment, with (parens
    , "we""ird, (name" /* block ) , */ 'it''s, (x' [br ack] `bq` x'ABCD' 1.5e3 ->> <> ."""
    toks = tokenize(sql)
    assert [(t.kind, t.text) for t in toks] == [
        ("word", "a"), ("punct", ","), ("quoted", '"we""ird, (name"'), ("string", "'it''s, (x'"),
        ("quoted", "[br ack]"), ("quoted", "`bq`"), ("blob", "x'ABCD'"), ("number", "1.5e3"),
        ("op", "->>"), ("op", "<>"), ("punct", "."),
    ]


def test_tokenizer_rejects_unterminated_string() -> None:
    with pytest.raises(SqlTokenError):
        tokenize("CHECK (a = 'oops)")


# -- normalisers -----------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "canonical"), [
    ("VARCHAR(100)", "VARCHAR(100)"),
    ("varchar ( 100 )", "VARCHAR(100)"),
    ("NUMERIC(10, 2)", "NUMERIC(10,2)"),
    ("numeric( 10 ,2 )", "NUMERIC(10,2)"),
    ("double   precision", "DOUBLE PRECISION"),
    ("unsigned big int", "UNSIGNED BIG INT"),
    ("INT", "INT"),
    ("", ""),
    ('VARCHAR(50) COLLATE "NOCASE"', "VARCHAR(50)"),
])
def test_normalize_type(raw: str, canonical: str) -> None:
    assert D.normalize_type(raw) == canonical
    assert D.normalize_type(canonical) == canonical


@pytest.mark.parametrize(("raw", "canonical"), [
    ("'active'", "'active'"),
    ("'it''s (a, b)'", "'it''s (a, b)'"),
    ("0", "0"),
    ("-1", "-1"),
    ("(-1)", "-1"),
    ("( 1 )", "1"),
    ("current_timestamp", "CURRENT_TIMESTAMP"),
    ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
    ("(datetime('now'))", "datetime('now')"),
    ("((DATETIME( 'now', 'localtime' )))", "datetime('now', 'localtime')"),
    ("null", "NULL"),
    ("x'00FF'", "x'00FF'"),
])
def test_normalize_default(raw: str, canonical: str) -> None:
    """The expression's spelling; a BLOB column converts no constant (affinity: test_sqlite_defaults)."""
    assert D.normalize_default(raw, "BLOB") == canonical
    assert D.normalize_default(canonical, "BLOB") == canonical


@pytest.mark.parametrize(("raw", "canonical"), [
    ("price >= 0", "price >= 0"),
    ("(price>=0)", "price >= 0"),
    ("((a > 0) and (b < 1))", "(a > 0) AND (b < 1)"),
    ("status in ('a','b')", "status IN ('a', 'b')"),
    ("a==1", "a = 1"),
    ("a != 1", "a <> 1"),
    ("LENGTH( name ) > 3", "length(name) > 3"),
    ("a  -  -1 > - b", "a - -1 > -b"),
    ("x is not null", "x IS NOT NULL"),
    ('"order" > 0 -- trailing comment', '"order" > 0'),
    ("[order] > 0", '"order" > 0'),
    ('"years" >= 0', "years >= 0"),
    ('lower("UserName")', "lower(UserName)"),
    ("`x` + [y]", "x + y"),
    ('"a b" = 1', '"a b" = 1'),
    ('"true" = 1', '"true" = 1'),
    ("t.a + 1", "t.a + 1"),
    ("count(*)", "count(*)"),
    ("CASE WHEN a THEN 1 ELSE -1 END * 2", "CASE WHEN a THEN 1 ELSE -1 END * 2"),
    ("(a) + (b)", "(a) + (b)"),
    ("name || '(x, y)'", "name || '(x, y)'"),
    ("cast(a as integer)", "CAST (a AS integer)"),
])
def test_normalize_expression_is_canonical_and_idempotent(raw: str, canonical: str) -> None:
    assert D.normalize_expression(raw) == canonical
    assert D.normalize_expression(canonical) == canonical


def test_literal_and_constant_defaults() -> None:
    assert is_literal("'a'") and is_literal("-1") and is_literal("CURRENT_TIMESTAMP") and is_literal("NULL")
    assert not is_literal("datetime('now')") and not is_literal("1 + 1")
    assert is_constant("0") and is_constant("'x'")
    assert not is_constant("CURRENT_TIMESTAMP") and not is_constant("lower('A')")


# -- CREATE parsers --------------------------------------------------------------------------

def test_parse_create_table_handles_quotes_strings_comments_and_nesting() -> None:
    sql = """CREATE TABLE IF NOT EXISTS "main"."we""ird, table" (
        id INTEGER PRIMARY KEY AUTOINCREMENT, -- the key, (really)
        "col, one" VARCHAR (10 , 2) NOT NULL DEFAULT 'a, (b)' COLLATE "NOCASE",
        [two] TEXT CONSTRAINT two_chk CHECK (length([two]) > (1 + (2))) UNIQUE,
        total NUMERIC GENERATED ALWAYS AS ((id * 2)) STORED,
        v AS (lower("col, one")),
        pid INTEGER REFERENCES parent (id) ON DELETE SET NULL ON UPDATE NO ACTION DEFERRABLE INITIALLY DEFERRED,
        d TEXT DEFAULT (datetime('now')), n INT DEFAULT -5,
        /* a block comment, with ) parens */
        CONSTRAINT uq UNIQUE ("col, one", [two]),
        CHECK (n IN (1, 2, ')')),
        FOREIGN KEY (n, d) REFERENCES other MATCH FULL
    ) WITHOUT ROWID, STRICT"""
    t = parse_create_table(sql)
    assert t.name == 'we"ird, table'
    assert t.without_rowid and t.strict and t.autoincrement
    assert [c.name for c in t.columns] == ["id", "col, one", "two", "total", "v", "pid", "d", "n"]
    one = t.column("col, one")
    assert one is not None and one.type == "VARCHAR (10 , 2)" and one.not_null
    assert one.default == "'a, (b)'" and one.collation == "NOCASE"
    total, v = t.column("total"), t.column("v")
    assert total is not None and total.generated == "(id * 2)" and total.stored
    assert v is not None and v.generated == 'lower("col, one")' and not v.stored
    assert t.column("d").default == "(datetime('now'))"  # type: ignore[union-attr]
    assert t.column("n").default == "-5"  # type: ignore[union-attr]
    assert t.primary_key == ("id",)
    assert t.uniques == [(None, ("two",)), ("uq", ("col, one", "two"))]
    assert t.checks == [("two_chk", "length([two]) > (1 + (2))"), (None, "n IN (1, 2, ')')")]
    pid, other = t.foreign_keys
    assert (pid.columns, pid.ref_table, pid.ref_columns, pid.on_delete, pid.on_update) == (
        ("pid",), "parent", ("id",), "SET NULL", "NO ACTION")
    assert pid.deferrable and pid.initially_deferred
    assert (other.columns, other.ref_table, other.ref_columns, other.match) == (("n", "d"), "other", (), "FULL")


def test_parse_create_table_composite_key_and_as_select() -> None:
    t = parse_create_table("CREATE TABLE t (a, b, PRIMARY KEY (a DESC, b COLLATE nocase) ON CONFLICT ABORT)")
    assert t.primary_key == ("a", "b") and [c.type for c in t.columns] == ["", ""]
    assert parse_create_table("CREATE TABLE c AS SELECT 1 AS x").columns == []


def test_parse_create_index() -> None:
    ix = parse_create_index(
        """CREATE UNIQUE INDEX "ix, 1" ON "t" (lower(name) DESC, "b" ASC NULLS FIRST, c COLLATE nocase)
           WHERE (b > 5 AND name <> 'x, (y)')""")
    assert ix.name == "ix, 1" and ix.table == "t" and ix.unique
    assert [(e.text, e.column, e.descending, e.nulls_first) for e in ix.elements] == [
        ("lower(name)", None, True, None), ('"b"', "b", False, True), ("c COLLATE nocase", None, False, None)]
    assert ix.where == "(b > 5 AND name <> 'x, (y)')"


def test_parse_view_definition() -> None:
    assert parse_view_definition('CREATE VIEW "v" (a, b) AS\n  SELECT 1, 2') == "SELECT 1, 2"


# -- connections -----------------------------------------------------------------------------

def test_url_path() -> None:
    assert url_path("sqlite:///relative/path.db") == "relative/path.db"
    assert url_path("sqlite:////absolute/path.db") == "/absolute/path.db"
    assert url_path("sqlite:///:memory:") == ":memory:"
    assert url_path("sqlite+pysqlite:///x.db?timeout=5") == "x.db"
    assert url_path("sqlite://") == ":memory:"


def test_connect_to_missing_folder_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "db.sqlite3"
    with pytest.raises(ConnectionFailed, match="nope"):
        engine_for(D).connect(f"sqlite:///{missing}")


def test_registry_returns_sqlite_dialect() -> None:
    assert isinstance(get_dialect("sqlite"), SQLiteDialect)
    assert D.default_constraint_name("unique", "t", ("a",)) is None
    assert D.sqlalchemy_dialect().name == "sqlite"


# -- can_apply -------------------------------------------------------------------------------

USERS = Table("main", "users", (Column("id", "INTEGER", nullable=False), Column("email", "TEXT")),
              PrimaryKey(None, ("id",)))


@pytest.mark.parametrize(("change", "ok"), [
    (ch.CreateTable(USERS), True),
    (ch.DropTable(USERS), True),
    (ch.RenameTable("main", "users", "people"), True),
    (ch.RenameColumn("main", "users", "email", "mail"), True),
    (ch.CreateIndex("main", "users", Index("ix", (IndexElement("email"),))), True),
    (ch.DropIndex("main", "users", Index("ix", (IndexElement("email"),))), True),
    (ch.CreateView(View("main", "v", "SELECT 1")), True),
    (ch.AddColumn("main", "users", Column("age", "INTEGER")), True),
    (ch.AddColumn("main", "users", Column("age", "INTEGER", nullable=False, default="0")), True),
    (ch.AddColumn("main", "users", Column("age", "INTEGER", nullable=False)), False),
    (ch.AddColumn("main", "users", Column("at", "DATETIME", default="CURRENT_TIMESTAMP")), False),
    (ch.AddColumn("main", "users", Column("at", "TEXT", default="datetime('now')")), False),
    (ch.AddColumn("main", "users", Column("g", "INTEGER", generated=Generated("id * 2", stored=True))), False),
    (ch.AddColumn("main", "users", Column("g", "INTEGER", generated=Generated("id * 2", stored=False))), True),
    (ch.DropColumn("main", "users", Column("email", "TEXT")), False),
    (ch.AlterColumn("main", "users", Column("email", "TEXT"), Column("email", "VARCHAR(10)")), False),
    (ch.AddUnique("main", "users", Unique(None, ("email",))), False),
    (ch.DropUnique("main", "users", Unique(None, ("email",))), False),
    (ch.AddCheck("main", "users", Check(None, "id > 0")), False),
    (ch.AddPrimaryKey("main", "users", PrimaryKey(None, ("id",))), False),
    (ch.AddForeignKey("main", "users", ForeignKey(None, ("id",), "main", "x", ("id",))), False),
    (ch.RenameIndex("main", "users", "a", "b"), False),
])
def test_can_apply(change: ch.Change, ok: bool) -> None:
    assert D.can_apply(change) is ok


# -- rendering -------------------------------------------------------------------------------

def test_render_create_table_with_serial_key_and_inline_foreign_key() -> None:
    posts = Table(
        "main", "posts",
        (Column("id", "INTEGER", nullable=False, serial=True),
         Column("user_id", "INTEGER", nullable=False),
         Column("title", "VARCHAR(200)", default="'untitled'", collation="NOCASE"),
         Column("at", "DATETIME", default="datetime('now')"),
         Column("n", "INTEGER", generated=Generated("id * 2", stored=False))),
        PrimaryKey(None, ("id",)), (Unique(None, ("title",)),), (Check(None, "length(title) > 0"),),
        (ForeignKey(None, ("user_id",), "main", "users", ("id",), on_delete="CASCADE", deferrable=True,
                    initially_deferred=True),),
    )
    (st,) = D.render(ch.CreateTable(posts))
    assert st.sql == (
        'CREATE TABLE "posts" (\n'
        '    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,\n'
        '    "user_id" INTEGER NOT NULL,\n'
        '    "title" VARCHAR(200) DEFAULT \'untitled\' COLLATE "NOCASE",\n'
        '    "at" DATETIME DEFAULT (datetime(\'now\')),\n'
        '    "n" INTEGER GENERATED ALWAYS AS (id * 2) VIRTUAL,\n'
        '    UNIQUE ("title"),\n'
        '    CHECK (length(title) > 0),\n'
        '    FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED\n'
        ');')


def test_render_simple_changes() -> None:
    ix = Index("ix_u", (IndexElement("lower(email)", is_expression=True, descending=True), IndexElement("id")),
               unique=True, where="id > 0")
    assert [s.sql for s in D.render(ch.CreateIndex("main", "users", ix))] == [
        'CREATE UNIQUE INDEX "ix_u" ON "users" (lower(email) DESC, "id") WHERE id > 0;']
    assert D.render(ch.DropIndex("main", "users", ix))[0].sql == 'DROP INDEX "ix_u";'
    assert D.render(ch.RenameColumn("main", "users", "a", "b"))[0].sql == \
        'ALTER TABLE "users" RENAME COLUMN "a" TO "b";'
    assert D.render(ch.RenameTable("main", "a", "b"))[0].sql == 'ALTER TABLE "a" RENAME TO "b";'
    assert D.render(ch.AddColumn("main", "users", Column("n", "INT", nullable=False, default="0")))[0].sql == \
        'ALTER TABLE "users" ADD COLUMN "n" INT NOT NULL DEFAULT 0;'
    assert D.render(ch.CreateView(View("main", "v", "SELECT 1")))[0].sql == 'CREATE VIEW "v" AS SELECT 1;'
    with pytest.raises(UnsupportedConstruct):
        D.render(ch.CreateView(View("main", "m", "SELECT 1", materialized=True)))


def test_render_rebuild_table_follows_the_documented_procedure() -> None:
    old = Table("main", "users", (Column("id", "INTEGER", nullable=False), Column("nick", "TEXT"),
                                  Column("gone", "TEXT")), PrimaryKey(None, ("id",)),
                indexes=(Index("ix_nick", (IndexElement("nick"),)),))
    new = Table("main", "users", (Column("id", "INTEGER", nullable=False), Column("handle", "VARCHAR(20)"),
                                  Column("fresh", "INTEGER", nullable=False, default="1")),
                PrimaryKey(None, ("id",)), indexes=(Index("ix_handle", (IndexElement("handle"),)),))
    sts = D.render(ch.RebuildTable(old, new, (("id", "id"), ("handle", "nick"), ("fresh", None))))
    sql = [s.sql for s in sts]
    assert sql[0].startswith('CREATE TABLE "_safeshift_new_users" (')
    assert sql[1:] == [
        'INSERT INTO "_safeshift_new_users" ("id", "handle") SELECT "id", "nick" FROM "users";',
        'DROP TABLE "users";',
        "PRAGMA legacy_alter_table=ON;",
        'ALTER TABLE "_safeshift_new_users" RENAME TO "users";',
        "PRAGMA legacy_alter_table=OFF;",
        'CREATE INDEX "ix_handle" ON "users" ("handle");',
        'PRAGMA foreign_key_check("users");',
    ]
    assert sts[0].comment is not None and "foreign_keys=OFF" in sts[0].comment
    assert all(s.transactional for s in sts)

"""PostgresDialect: canonical spellings, constraint names and rendering.

Pure tests, except where a real server is the only honest oracle (format_type output
and the names PostgreSQL gives unnamed constraints); those use the ``pg_url`` fixture.
"""

from __future__ import annotations

import psycopg
import pytest

from safeshift import changes as ch
from safeshift.dialects import get_dialect
from safeshift.dialects.postgres import PostgresDialect, make_object_name
from safeshift.model import (
    Check,
    Column,
    Enum,
    ForeignKey,
    Generated,
    Identity,
    Index,
    IndexElement,
    PrimaryKey,
    Table,
    Unique,
)

D = PostgresDialect()


# -- types ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "canonical"), [
    ("VARCHAR(100)", "character varying(100)"), ("varchar(20)", "character varying(20)"),
    ("character varying(20)", "character varying(20)"), ("VARCHAR", "character varying"),
    ("INTEGER", "integer"), ("int4", "integer"), ("int", "integer"), ("SERIAL", "integer"),
    ("int8", "bigint"), ("BIGINT", "bigint"), ("bigserial", "bigint"), ("int2", "smallint"),
    ("TIMESTAMP WITHOUT TIME ZONE", "timestamp without time zone"), ("timestamp", "timestamp without time zone"),
    ("timestamptz", "timestamp with time zone"), ("TIMESTAMP(3) WITH TIME ZONE", "timestamp(3) with time zone"),
    ("timestamptz(3)", "timestamp(3) with time zone"), ("TIME WITHOUT TIME ZONE", "time without time zone"),
    ("timetz", "time with time zone"), ("NUMERIC(10, 2)", "numeric(10,2)"), ("decimal(5,2)", "numeric(5,2)"),
    ("numeric(5)", "numeric(5,0)"), ("NUMERIC", "numeric"), ("DOUBLE PRECISION", "double precision"),
    ("FLOAT", "double precision"), ("FLOAT(53)", "double precision"), ("FLOAT(24)", "real"), ("float8", "double precision"),
    ("float4", "real"), ("REAL", "real"), ("bool", "boolean"), ("BOOLEAN", "boolean"), ("INTEGER[]", "integer[]"),
    ("int[]", "integer[]"), ("text[][]", "text[]"), ("int ARRAY", "integer[]"), ("varchar(20)[]", "character varying(20)[]"),
    ("BYTEA", "bytea"), ("JSON", "json"), ("JSONB", "jsonb"), ("UUID", "uuid"), ("INTERVAL", "interval"),
    ("CHAR(1)", "character(1)"), ("char", "character(1)"), ("bit", "bit(1)"), ("varbit(4)", "bit varying(4)"),
    ("mood", "mood"), ("public.mood", "mood"), ("billing.currency", "billing.currency"), ('"Mood"', '"Mood"'),
    ("user", '"user"'), ('VARCHAR(10) COLLATE "C"', "character varying(10)"),
])
def test_normalize_type(source: str, canonical: str) -> None:
    assert D.normalize_type(source) == canonical
    assert D.normalize_type(canonical) == canonical


HAND_WRITTEN_TYPES = [
    "int4", "int8", "int2", "varchar(20)", "character varying", "timestamptz", "timestamp(3)", "time(2) with time zone",
    "bool", "float8", "float4", "float(10)", "decimal(5,2)", "numeric(7)", "text[]", "int[]", "char(3)", "char",
    "bpchar", "bit varying(5)", "interval(2)", "interval day to second", "jsonb", "uuid", "inet", "tsvector",
    "mood", "billing.currency", '"Odd Type"', '"Odd Type"[]',
]


def test_types_match_format_type(pg_url: str) -> None:
    cols = ", ".join(f"c{i} {t}" for i, t in enumerate(HAND_WRITTEN_TYPES))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA billing; CREATE TYPE mood AS ENUM ('a'); "
                     "CREATE TYPE billing.currency AS ENUM ('EUR'); CREATE TYPE \"Odd Type\" AS ENUM ('x');")
        conn.execute(f"CREATE TABLE t ({cols})")  # type: ignore[arg-type]
        conn.execute("SET search_path = pg_catalog, public")
        rows = conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                            "WHERE attrelid = 'public.t'::regclass AND attnum > 0 ORDER BY attnum").fetchall()
    assert [D.normalize_type(t) for t in HAND_WRITTEN_TYPES] == [r[0] for r in rows]


# -- defaults -------------------------------------------------------------------------------

@pytest.mark.parametrize(("catalog", "source", "column_type"), [
    ("'active'::character varying", "'active'", "character varying(20)"),
    ("'-1'::integer", "-1", "integer"),
    ("5", "'5'", "integer"),
    ("0", "0", "numeric(10,2)"),
    ("'1.5'::double precision", "'1.5'", "double precision"),
    ("now()", "now()", "timestamp with time zone"),
    ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP", "timestamp without time zone"),
    ("true", "'true'", "boolean"),
    ("false", "false", "boolean"),
    ("'{}'::jsonb", "'{}'", "jsonb"),
    ("'a'::mood", "'a'", "mood"),
    ("nextval('users_id_seq'::regclass)", "nextval('users_id_seq')", "integer"),
    ("(now() + '1 day'::interval)", "now() + interval '1 day'", "timestamp with time zone"),
    ("'{a,b}'::text[]", "'{a,b}'", "text[]"),
])
def test_normalize_default_pairs(catalog: str, source: str, column_type: str) -> None:
    a = D.normalize_default(catalog, column_type)
    assert a == D.normalize_default(source, column_type)
    assert D.normalize_default(a, column_type) == a


def test_normalize_default_keeps_meaningful_casts_and_bad_text() -> None:
    assert D.normalize_default("(now())::date", "date") != D.normalize_default("now()", "date")
    assert D.normalize_default("not ) valid", "text") == "not ) valid"


# -- expressions ----------------------------------------------------------------------------

@pytest.mark.parametrize(("catalog", "source"), [
    ("((price > (0)::numeric))", "price > 0"),
    ("(lower((email)::text))", "lower(email)"),
    ("lower((email)::text)", "lower(users.email)"),
    ("((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
     "status IN ('a', 'b')"),
    ("((status)::text <> ALL ((ARRAY['a'::character varying])::text[]))", "status NOT IN ('a')"),
    ("((name)::text ~~ 'a%'::text)", "name LIKE 'a%'"),
    ("((name)::text !~~* 'a%'::text)", "name NOT ILIKE 'a%'"),
    ("((score >= '-1'::integer) AND (score <= 100))", "score BETWEEN -1 AND 100"),
    ("((a > 0) AND (b > 0) AND (c > 0))", "a > 0 AND (b > 0 AND c > 0)"),
    ("(deleted_at IS NULL)", "deleted_at IS NULL"),
    ("(status = 'active'::text)", "status = 'active'"),
])
def test_normalize_expression_pairs(catalog: str, source: str) -> None:
    a = D.normalize_expression(catalog)
    assert a == D.normalize_expression(source)
    assert D.normalize_expression(a) == a


def test_normalize_expression_keeps_semantic_casts() -> None:
    assert D.normalize_expression("(a)::numeric / b") != D.normalize_expression("a / b")


def test_normalize_view_is_whitespace_insensitive() -> None:
    assert D.normalize_view(" SELECT id,\n   email FROM users;") == D.normalize_view("SELECT id, email FROM users")


# -- constraint names -----------------------------------------------------------------------

def test_default_constraint_names_short() -> None:
    assert D.default_constraint_name("pk", "users", ["id"]) == "users_pkey"
    assert D.default_constraint_name("unique", "users", ["a", "b"]) == "users_a_b_key"
    assert D.default_constraint_name("fk", "orders", ["user_id"]) == "orders_user_id_fkey"
    assert D.default_constraint_name("check", "t", ["price"]) == "t_price_check"
    assert D.default_constraint_name("check", "t", ["a", "b"]) == "t_check"
    assert D.default_constraint_name("index", "t", ["a"]) == "t_a_idx"


def test_make_object_name_shortens_longer_part_first() -> None:
    name = make_object_name("t" * 60, "c" * 10, "key")
    assert len(name) == 63 and name.endswith("_" + "c" * 10 + "_key")
    assert make_object_name("t" * 40, "c" * 40, "key") == "t" * 29 + "_" + "c" * 29 + "_key"


LONG_TABLE = "tbl_" + "x" * 56
LONG_COL = "col_" + "y" * 50


def test_default_constraint_names_match_server(pg_url: str) -> None:
    ddl = (f'CREATE TABLE "{LONG_TABLE}" (id int PRIMARY KEY, "{LONG_COL}" int UNIQUE CHECK ("{LONG_COL}" > 0), '
           f'a int, b int, UNIQUE (a, b, "{LONG_COL}"), CHECK (a > b), '
           f'FOREIGN KEY ("{LONG_COL}") REFERENCES "{LONG_TABLE}" ("{LONG_COL}")); '
           f'CREATE TABLE "ü{"é" * 40}" (ñ{"o" * 30} int UNIQUE)')
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(ddl)  # type: ignore[arg-type]
        got = {r[0] for r in conn.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid IN (SELECT oid FROM pg_class WHERE relnamespace = "
            "'public'::regnamespace) AND contype <> 'n'").fetchall()}
    expected = {
        D.default_constraint_name("pk", LONG_TABLE, ["id"]),
        D.default_constraint_name("unique", LONG_TABLE, [LONG_COL]),
        D.default_constraint_name("check", LONG_TABLE, [LONG_COL]),
        D.default_constraint_name("unique", LONG_TABLE, ["a", "b", LONG_COL]),
        D.default_constraint_name("check", LONG_TABLE, ["a", "b"]),
        D.default_constraint_name("fk", LONG_TABLE, [LONG_COL]),
        D.default_constraint_name("unique", "ü" + "é" * 40, ["ñ" + "o" * 30]),
    }
    assert got == expected


# -- rendering ------------------------------------------------------------------------------

USERS = Table(
    "public", "users",
    (Column("id", "integer", nullable=False, serial=True),
     Column("email", "character varying(200)", nullable=False, collation="C", comment="it's mail"),
     Column("n", "bigint", nullable=False, identity=Identity(always=True, start=5)),
     Column("g", "integer", generated=Generated("n * 2")),
     Column("status", "text", default="'active'")),
    primary_key=PrimaryKey("users_pkey", ("id",)),
    uniques=(Unique("users_email_key", ("email",), nulls_not_distinct=True),),
    checks=(Check("users_n_check", "n > 0"),),
    foreign_keys=(ForeignKey("users_id_fkey", ("id",), "public", "other", ("id",)),),
    indexes=(Index("users_status_idx", (IndexElement("status"),)),),
    comment="People",
)


def test_registry_returns_postgres() -> None:
    assert isinstance(get_dialect("postgres"), PostgresDialect)
    assert D.capabilities.concurrent_index and D.capabilities.advisory_lock and D.capabilities.not_valid


def test_create_table_renders_columns_and_inline_constraints_only() -> None:
    stmts = [s.sql for s in D.render(ch.CreateTable(USERS))]
    create = stmts[0]
    assert create.startswith('CREATE TABLE "public"."users" (')
    assert '"id" serial NOT NULL' in create
    assert '"email" character varying(200) COLLATE "C" NOT NULL' in create
    assert '"n" bigint GENERATED ALWAYS AS IDENTITY (START WITH 5) NOT NULL' in create
    assert '"g" integer GENERATED ALWAYS AS (n * 2) STORED' in create
    assert '"status" text DEFAULT \'active\'' in create
    assert 'CONSTRAINT "users_email_key" UNIQUE NULLS NOT DISTINCT ("email")' in create
    assert 'CONSTRAINT "users_n_check" CHECK (n > 0)' in create
    assert "FOREIGN KEY" not in create and "INDEX" not in " ".join(stmts)
    assert stmts[1:] == ['COMMENT ON TABLE "public"."users" IS \'People\';',
                         'COMMENT ON COLUMN "public"."users"."email" IS \'it\'\'s mail\';']
    assert all(s.endswith(";") for s in stmts)


def test_index_rendering() -> None:
    ix = Index("ix", (IndexElement("lower(email)", is_expression=True, descending=True, nulls_first=False),
                      IndexElement("name", collation="C", opclass="text_pattern_ops", nulls_first=True),
                      IndexElement("id", descending=True, nulls_first=True)),
               unique=True, method="btree", where="status = 'active'", include=("status",),
               nulls_not_distinct=True)
    assert D.render(ch.CreateIndex("public", "users", ix))[0].sql == (
        'CREATE UNIQUE INDEX "ix" ON "public"."users" ((lower(email)) DESC NULLS LAST, '
        '"name" COLLATE "C" text_pattern_ops NULLS FIRST, "id" DESC) INCLUDE ("status") NULLS NOT DISTINCT '
        "WHERE status = 'active';")
    gin = Index("g", (IndexElement("data", opclass="jsonb_path_ops"),), method="gin")
    assert D.render(ch.CreateIndex("s", "t", gin))[0].sql == 'CREATE INDEX "g" ON "s"."t" USING gin ("data" jsonb_path_ops);'


def test_alter_enum_add_value_positions() -> None:
    old = Enum("public", "mood", ("b", "d"))
    new = Enum("public", "mood", ("a", "b", "c", "d", "e"))
    assert [s.sql for s in D.render(ch.AlterEnum(old, new))] == [
        'ALTER TYPE "public"."mood" ADD VALUE \'a\' BEFORE \'b\';',
        'ALTER TYPE "public"."mood" ADD VALUE \'c\' AFTER \'b\';',
        'ALTER TYPE "public"."mood" ADD VALUE \'e\' AFTER \'d\';',
    ]
    swap = [s.sql for s in D.render(ch.AlterEnum(new, old))]
    assert swap[0] == 'ALTER TYPE "public"."mood" RENAME TO "mood_old";'
    assert swap[-1] == 'DROP TYPE "public"."mood_old";'


def test_alter_column_emits_only_what_differs() -> None:
    old = Column("c", "integer", default="0")
    assert [s.sql for s in D.render(ch.AlterColumn("public", "t", old, Column("c", "integer", default="0",
                                                                               nullable=False)))] == [
        'ALTER TABLE "public"."t" ALTER COLUMN "c" SET NOT NULL;']
    typed = [s.sql for s in D.render(ch.AlterColumn("public", "t", old, Column("c", "text", default="'0'")))]
    assert typed == ['ALTER TABLE "public"."t" ALTER COLUMN "c" DROP DEFAULT;',
                     'ALTER TABLE "public"."t" ALTER COLUMN "c" SET DATA TYPE text USING "c"::text;',
                     'ALTER TABLE "public"."t" ALTER COLUMN "c" SET DEFAULT \'0\';']
    widen = D.render(ch.AlterColumn("public", "t", Column("v", "character varying(10)"),
                                    Column("v", "character varying(20)")))
    assert [s.sql for s in widen] == ['ALTER TABLE "public"."t" ALTER COLUMN "v" SET DATA TYPE character varying(20);']


def test_every_change_kind_has_a_renderer() -> None:
    kinds = {cls.kind for cls in vars(ch).values()
             if isinstance(cls, type) and issubclass(cls, ch.Change) and cls is not ch.Change}
    missing = {k for k in kinds if not hasattr(D, f"render_{k}")}
    assert missing == {"rebuild_table"}


def test_rename_column_renames_a_serial_sequence_only_for_serial_columns() -> None:
    plain = D.render(ch.RenameColumn("public", "users", "name", "display_name", serial=False))
    assert [s.sql for s in plain] == ['ALTER TABLE "public"."users" RENAME COLUMN "name" TO "display_name";']
    serial = D.render(ch.RenameColumn("public", "users", "id", "user_id"))
    assert len(serial) == 2 and "ALTER SEQUENCE" in serial[1].sql
    assert ch.RenameColumn("public", "t", "a", "b", serial=False).inverse() == ch.RenameColumn("public", "t", "b", "a")
    assert not ch.RenameColumn("public", "t", "a", "b", serial=False).inverse().serial  # type: ignore[attr-defined]


def test_widening_type_changes_lose_no_data() -> None:
    def alter(old: str, new: str) -> ch.AlterColumn:
        return ch.AlterColumn("public", "t", Column("c", old), Column("c", new))

    assert D.data_loss(alter("integer", "bigint")) is None
    assert D.data_loss(alter("character varying(20)", "text")) is None
    assert D.data_loss(alter("bigint", "integer")) is not None
    assert D.data_loss(alter("text", "integer")) is not None


@pytest.mark.parametrize(("sql", "capped"), [
    ("SET LOCAL lock_timeout = '5s';", "SET LOCAL lock_timeout = '2000ms';"),
    ("set local lock_timeout to 30000", "SET local lock_timeout = '2000ms';"),
    ("SET LOCAL lock_timeout = '0';", "SET LOCAL lock_timeout = '2000ms';"),  # 0: no limit at all
    ("SET LOCAL lock_timeout = '1s';", "SET LOCAL lock_timeout = '1s';"),  # stricter than the ceiling: kept
    ("SET LOCAL lock_timeout = '2s';", "SET LOCAL lock_timeout = '2s';"),
    ("SET LOCAL statement_timeout = '5s';", "SET LOCAL statement_timeout = '5s';"),
    ("ALTER TABLE t ADD COLUMN c int;", "ALTER TABLE t ADD COLUMN c int;"),
])
def test_the_environments_lock_timeout_caps_the_files(sql: str, capped: str) -> None:
    assert D.cap_lock_timeout(sql, 2000) == capped
    assert D.cap_lock_timeout(sql, 0) == sql  # lock_timeout = 0 in the environment: no ceiling

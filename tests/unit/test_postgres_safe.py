"""The lock-safe PostgreSQL forms `generate` writes by default (pure: no database)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from safeshift import schedule
from safeshift import sections as sections_text
from safeshift.dialects import get_dialect
from safeshift.dialects.postgres.safe import rewrites
from safeshift.diff import diff
from safeshift.errors import UnsafeChange
from safeshift.formats import safeshift as migrations
from safeshift.model import (
    Check,
    Column,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    Table,
    Unique,
    make_schema,
)
from safeshift.plan import expand_added_columns, render

PG = get_dialect("postgresql")


def users(*, name_null: bool = True, age: str = "integer", extra: dict[str, object] | None = None) -> Table:
    cols = (
        Column("id", "integer", nullable=False, serial=True),
        Column("name", "character varying(200)", nullable=name_null),
        Column("email", "text"),
        Column("age", age),
    )
    return Table("public", "users", cols, primary_key=PrimaryKey("users_pkey", ("id",)), **(extra or {}))  # type: ignore[arg-type]


def posts(fk: bool = False) -> Table:
    cols = (Column("id", "integer", nullable=False, serial=True), Column("author_id", "integer"),
            Column("title", "text"))
    fks = (ForeignKey("posts_author_id_users_id_fk", ("author_id",), "public", "users", ("id",)),) if fk else ()
    return Table("public", "posts", cols, primary_key=PrimaryKey("posts_pkey", ("id",)), foreign_keys=fks)


def up_sql(a: list[Table], b: list[Table], **kw: bool) -> list[str]:
    sa, sb = make_schema("postgresql", tables=a), make_schema("postgresql", tables=b)
    return [st.sql for st in render(diff(sa, sb), sa, sb, PG, safe=True, **kw).up]


def test_six_hazards_get_lock_safe_forms_with_expand() -> None:
    before = [users(), posts()]
    after = [users(name_null=False, age="bigint", extra={
        "indexes": (Index("users_name_idx", (IndexElement("name"),)),),
        "uniques": (Unique("users_email_unique", ("email",)),),
        "checks": (Check("users_age_check", "age >= 0"),),
    }), posts(fk=True)]
    sql = "\n".join(up_sql(before, after, expand=True))
    assert 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_name_idx"' in sql
    assert 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "users_email_unique"' in sql
    assert 'ADD CONSTRAINT "users_email_unique" UNIQUE USING INDEX "users_email_unique"' in sql
    assert 'FOREIGN KEY ("author_id") REFERENCES "public"."users" ("id") NOT VALID' in sql
    assert 'VALIDATE CONSTRAINT "posts_author_id_users_id_fk"' in sql
    assert 'CHECK (age >= 0) NOT VALID' in sql and 'VALIDATE CONSTRAINT "users_age_check"' in sql
    assert 'CHECK ("name" IS NOT NULL) NOT VALID' in sql and 'ALTER COLUMN "name" SET NOT NULL' in sql
    assert "SET DATA TYPE" not in sql  # the rewrite became expand: new column, trigger, batches, swap
    assert 'ADD COLUMN "users_age_new" bigint' in sql and "CREATE TRIGGER" in sql
    # one batch of the backfill, its keyset bounds as parameters the runner fills in (time-sized batches)
    assert ('UPDATE "public"."users" SET "users_age_new" = "age"::bigint WHERE "id" BETWEEN $1 AND $2 '
            'AND "users_age_new" IS DISTINCT FROM "age"::bigint;') in sql
    assert sql.startswith("SET LOCAL lock_timeout = '5s';")


def test_each_step_commits_on_its_own_in_the_file() -> None:
    before = [users()]
    after = [users(extra={"checks": (Check("users_age_check", "age >= 0"),)})]
    sa, sb = make_schema("postgresql", tables=before), make_schema("postgresql", tables=after)
    sections = render(diff(sa, sb), sa, sb, PG, safe=True)
    text = migrations.render_file("20260101000000", "check", sections.up, sections.down, [])
    m = sections_text.parse_migration(Path("migrations/20260101000000_check.sql"), text.encode())
    steps = schedule.steps(m.up_statements)
    assert [len(s.statements) for s in steps] == [2, 2]  # SET LOCAL + ADD ... NOT VALID | SET LOCAL + VALIDATE
    assert sections_text.NEW_TRANSACTION in text


def test_rewriting_type_change_is_refused_without_expand() -> None:
    with pytest.raises(UnsafeChange) as err:
        up_sql([users()], [users(age="bigint")])
    assert err.value.targets == ("public.users.age",)
    assert "integer -> bigint rewrites the whole table" in err.value.message
    assert "--expand" in err.value.message


def test_not_null_column_without_default_is_refused_then_expanded_nullable() -> None:
    added = replace(users(), columns=(*users().columns, Column("verified", "boolean", nullable=False)))
    with pytest.raises(UnsafeChange, match=r"public\.users\.verified: a NOT NULL column without a default"):
        up_sql([users()], [added])
    sa, sb = make_schema("postgresql", tables=[users()]), make_schema("postgresql", tables=[added])
    changes, target, notes = expand_added_columns(diff(sa, sb), sa, sb)
    assert target.table("public", "users").columns[-1].nullable  # type: ignore[union-attr]
    assert "added nullable" in notes[0]
    assert 'ADD COLUMN "verified" boolean;' in "\n".join(st.sql for st in render(changes, sa, target, PG,
                                                                                   safe=True).up)


def test_tables_created_in_the_same_migration_keep_the_plain_form() -> None:
    sql = up_sql([], [users(extra={"indexes": (Index("users_name_idx", (IndexElement("name"),)),)}), posts(fk=True)])
    assert not any("CONCURRENTLY" in s or "NOT VALID" in s for s in sql)


def test_plain_form_when_not_safe() -> None:
    sa = make_schema("postgresql", tables=[users()])
    sb = make_schema("postgresql", tables=[users(age="bigint")])
    up = render(diff(sa, sb), sa, sb, PG).up
    assert [st.sql for st in up] == ['ALTER TABLE "public"."users" ALTER COLUMN "age" SET DATA TYPE bigint '
                                     'USING "age"::bigint;']


@pytest.mark.parametrize(("old", "new", "rewrite"), [
    ("character varying(10)", "character varying(20)", False),
    ("character varying(20)", "character varying(10)", True),
    ("character varying(20)", "text", False),
    ("text", "character varying", False),
    ("text", "character varying(5)", True),
    ("numeric(10,2)", "numeric(12,2)", False),
    ("numeric(10,2)", "numeric(10,3)", True),
    ("numeric(10,2)", "numeric", False),
    ("integer", "bigint", True),
    ("timestamp(3) without time zone", "timestamp(6) without time zone", False),
    ("timestamp without time zone", "timestamp with time zone", True),
    ("cidr", "inet", False),
])
def test_rewrite_classification(old: str, new: str, rewrite: bool) -> None:
    assert rewrites(old, new) is rewrite

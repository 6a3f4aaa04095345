"""``safeshift.ignore.leave_out``: what goes with a left-out object, what stays, and what is counted."""

from __future__ import annotations

import pytest

from safeshift.ignore import IgnoreList, leave_out, pattern_problem
from safeshift.model import (
    Column,
    ForeignKey,
    Function,
    Grant,
    PartitionOf,
    Policy,
    Schema,
    Sequence,
    Table,
    Trigger,
    View,
    make_schema,
)

ID = (Column("id", "integer"),)


def _schema() -> Schema:
    return make_schema(
        "postgresql", namespaces=["public", "audit", "drizzle", "auth"],
        tables=[Table("public", "users", ID, foreign_keys=(ForeignKey(None, ("id",), "auth", "users", ("id",)),)),
                Table("public", "alembic_version", (Column("version_num", "character varying(32)", False),)),
                Table("drizzle", "__drizzle_migrations", ID),
                Table("public", "tmp_import", ID),
                Table("audit", "log", ID, partition_by="RANGE (id)"),
                Table("audit", "log_2023", (), partition_of=PartitionOf("audit", "log", "FOR VALUES FROM (1) TO (2)")),
                Table("auth", "users", ID)],
        views=[View("public", "tmp_view", "SELECT 1")],
        sequences=[Sequence("public", "tmp_seq"), Sequence("public", "order_no")],
        functions=[Function("public", "tmp_fn", "", "integer", "SELECT 1")],
        triggers=[Trigger("public", "tmp_import", "on_import", "..."), Trigger("public", "users", "tmp_trg", "..."),
                  Trigger("public", "users", "audit_users", "...")],
        policies=[Policy("public", "tmp_import", "mine")],
        grants=[Grant("table", "public", "tmp_import", "app", "SELECT"), Grant("table", "public", "users", "app", "SELECT"),
                Grant("schema", "auth", "auth", "app", "USAGE")])


def test_bookkeeping_tables_always_go_and_a_schema_holding_only_them_too() -> None:
    kept = leave_out(_schema(), (), "public")
    names = {t.key for t in kept.schema.tables}
    assert ("public", "alembic_version") not in names and ("drizzle", "__drizzle_migrations") not in names
    assert "drizzle" not in kept.schema.namespaces and "public" in kept.schema.namespaces
    assert kept.bookkeeping == ("drizzle.__drizzle_migrations", "public.alembic_version") and kept.ignored == 0
    assert kept.describe() == ("ignored: 2 other tool(s)' bookkeeping table(s) "
                               "(drizzle.__drizzle_migrations, public.alembic_version)")


def test_what_belongs_to_an_ignored_table_goes_with_it_and_references_to_it_stay() -> None:
    kept = leave_out(_schema(), ["tmp_*", "auth.*", "audit.log"], "public")
    s = kept.schema
    assert {t.key for t in s.tables} == {("public", "users")}
    users = s.table("public", "users")
    assert users is not None and users.foreign_keys[0].ref_table == "users"  # kept as is, pointing into auth
    assert [v.name for v in s.views] == [] and [q.name for q in s.sequences] == ["order_no"] and not s.functions
    assert [t.name for t in s.triggers] == ["audit_users"]  # tmp_trg by its own name, on_import with its table
    assert not s.policies
    assert s.grants == (Grant("table", "public", "users", "app", "SELECT"),)
    assert s.namespaces == ("public",)  # auth by its pattern; audit held only what was left out
    # tmp_import, tmp_view, tmp_seq, tmp_fn, tmp_trg, auth.users, the auth schema, audit.log and its partition
    assert kept.ignored == 9


def test_nothing_to_leave_out_is_the_same_value() -> None:
    s = make_schema("sqlite", tables=[Table("main", "users", ID)])
    assert leave_out(s, ["tmp_*"], "main").schema is s


@pytest.mark.parametrize("pattern, schema, name, hit", [
    ("tmp_*", "public", "tmp_x", True), ("tmp_*", "main", "tmp_", True), ("tmp_*", "public", "tmpx", False),
    ("audit.*_2023", "audit", "log_2023", True), ("audit.*_2023", "public", "log_2023", False),
    ("public.Users", "public", "users", False), ("*.x", "a.b", "x", True), ("x?", "s", "x.", True),
])
def test_patterns(pattern: str, schema: str, name: str, hit: bool) -> None:
    assert IgnoreList((pattern,)).matches(schema, name) is hit


@pytest.mark.parametrize("pattern", ["a.b.c", "", ".x", "x.", " tmp_*"])
def test_bad_patterns(pattern: str) -> None:
    assert pattern_problem(pattern) is not None

"""Whole tables: create, drop, rename with dependants, comments, schemas, many at once."""

from __future__ import annotations

import sqlalchemy as sa

from tests.oracle import PG, Scenario
from tests.scenarios._build import build, col, fk, index, pk, table, thunk, users

posts = table("posts", pk(), fk("user_id", "users.id", nullable=False), col("title", sa.Text))

SCENARIOS = [
    Scenario("create_table", build(users()), build(users(), posts)),
    Scenario("drop_table", build(users(), posts), build(users())),
    Scenario(
        "rename_table_with_fk_index_and_pk",
        build(users(), index("ix_users_email", "users", "email"), posts),
        build(users(name="accounts"), index("ix_accounts_email", "accounts", "email"),
              table("posts", pk(), fk("user_id", "accounts.id", nullable=False), col("title", sa.Text))),
        table_renames={"users": "accounts"},
    ),
    Scenario(
        "many_tables_at_once",
        build(users(), table("legacy_a", pk(), col("a_note", sa.Text)),
              table("legacy_b", pk(), col("b_flag", sa.Boolean))),
        build(users(), posts,
              table("tags", pk(), col("label", sa.String(30), nullable=False, unique=True)),
              table("post_tags", pk("post_id", sa.Integer), pk("tag_id", sa.Integer),
                    thunk(lambda: sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE")),
                    thunk(lambda: sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], ondelete="CASCADE"))),
              table("audit", pk(), col("at", sa.DateTime, nullable=False), col("what", sa.Text)),
              table("settings", pk("key", sa.String(40)), col("value", sa.Text))),
        dropped=("legacy_a", "legacy_b"),
    ),
    Scenario(
        "table_comment_added",
        build(users()),
        build(users(comment="people who sign in")),
        backends=PG,
    ),
    Scenario(
        "table_comment_changed",
        build(users(comment="people who sign in")),
        build(users(comment="people who can sign in")),
        backends=PG,
    ),
    Scenario(
        "column_comment_added",
        build(users(col("nickname", sa.Text))),
        build(users(col("nickname", sa.Text, comment="shown in the UI"))),
        backends=PG,
    ),
    Scenario(
        "column_comment_changed",
        build(users(col("nickname", sa.Text, comment="shown in the UI"))),
        build(users(col("nickname", sa.Text, comment="shown in the header"))),
        backends=PG,
    ),
    Scenario(
        "create_table_in_new_schema",
        build(users()),
        build(users(), table("daily", pk(), col("total", sa.Numeric(12, 2)), schema="reporting")),
        backends=PG,
    ),
    Scenario(
        "drop_schema_with_its_table",
        build(users(), table("daily", pk(), col("total", sa.Numeric(12, 2)), schema="reporting")),
        build(users()),
        backends=PG,
    ),
    Scenario(
        "rename_table_in_other_schema",
        build(table("daily", pk(), col("total", sa.Numeric(12, 2)), schema="reporting")),
        build(table("daily_totals", pk(), col("total", sa.Numeric(12, 2)), schema="reporting")),
        table_renames={"reporting.daily": "daily_totals"},
        backends=PG,
    ),
]

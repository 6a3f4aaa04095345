"""Changes SQLite can only make by rebuilding the table, with neighbours that must survive it.

They run on every backend; on PostgreSQL they are plain ALTERs, on SQLite the planner folds
them into a RebuildTable that must keep rows and leave ``PRAGMA foreign_key_check`` clean.
"""

from __future__ import annotations

import sqlalchemy as sa

from tests.oracle import Scenario
from tests.scenarios._build import build, col, fk, index, pk, table, thunk, users

posts = table("posts", pk(), fk("user_id", "users.id", nullable=False), col("title", sa.Text))

SCENARIOS = [
    Scenario("rebuild_parent_referenced_by_children",
             build(users(col("visits", sa.Integer)), posts),
             build(users(col("visits", sa.BigInteger, nullable=False, server_default="0")), posts)),
    Scenario("rebuild_child_with_fk_and_index",
             build(users(), posts, index("ix_posts_user", "posts", "user_id")),
             build(users(), table("posts", pk(), fk("user_id", "users.id", nullable=False),
                                  col("title", sa.String(200), nullable=False)),
                   index("ix_posts_user", "posts", "user_id"))),
    Scenario("rebuild_rename_and_retype_same_table",
             build(users(col("nickname", sa.String(20)), col("visits", sa.Integer))),
             build(users(col("handle", sa.String(20)), col("visits", sa.BigInteger))),
             column_renames={("users", "nickname"): "handle"}),
    Scenario("rebuild_add_check_and_unique_to_filled_table",
             build(users(col("age", sa.Integer), col("handle", sa.String(30)))),
             build(users(col("age", sa.Integer, nullable=False), col("handle", sa.String(30), unique=True),
                         thunk(lambda: sa.CheckConstraint("age > 0", name="age_positive"))))),
    Scenario("rebuild_drop_column_used_by_composite_index",
             build(users(col("org", sa.String(20)), col("handle", sa.String(30))),
                   index("ix_users_org_handle", "users", "org", "handle"), index("ix_users_org", "users", "org")),
             build(users(col("org", sa.String(20))), index("ix_users_org", "users", "org"))),
]

"""Primary keys, uniques, checks and foreign keys: added, dropped, self-referencing, cyclic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from tests.oracle import PG, Scenario
from tests.scenarios._build import Maker, build, col, fk, pk, table, thunk, users


def _events(*, with_pk: bool = False) -> Maker:
    id_col = pk("id", sa.Integer, autoincrement=False) if with_pk else col("id", sa.Integer, nullable=False)
    return table("events", id_col, col("kind", sa.String(20), nullable=False))


def _pairs(*extra: Callable[[], Any]) -> Maker:
    return table("pairs", col("a", sa.Integer, nullable=False), col("b", sa.Integer, nullable=False),
                 col("note", sa.Text), *extra)


POSITIVE = {"users": [{"id": i, "email": f"u{i}@x.io", "age": 20 + i} for i in (1, 2, 3)]}

SCENARIOS = [
    # -- primary keys --------------------------------------------------------------------------
    Scenario("add_primary_key", build(_events()), build(_events(with_pk=True))),
    Scenario("drop_primary_key", build(_events(with_pk=True)), build(_events())),
    Scenario("add_composite_primary_key", build(_pairs()),
             build(_pairs(thunk(lambda: sa.PrimaryKeyConstraint("a", "b"))))),
    Scenario("drop_pk_column",
             build(table("codes", pk("id", sa.Integer, autoincrement=False),
                         col("code", sa.String(20), nullable=False, unique=True), col("label", sa.Text))),
             build(table("codes", pk("code", sa.String(20)), col("label", sa.Text))),
             empty_before_down=True),
    # -- uniques ------------------------------------------------------------------------------
    Scenario("add_unique_single", build(users(col("handle", sa.String(30)))),
             build(users(col("handle", sa.String(30), unique=True)))),
    Scenario("add_unique_multi_column", build(users(col("org", sa.String(20)), col("handle", sa.String(30)))),
             build(users(col("org", sa.String(20)), col("handle", sa.String(30)),
                         thunk(lambda: sa.UniqueConstraint("org", "handle", name="uq_users_org_handle"))))),
    Scenario("drop_unique", build(users(col("handle", sa.String(30)),
                                        thunk(lambda: sa.UniqueConstraint("handle", name="uq_users_handle")))),
             build(users(col("handle", sa.String(30))))),
    Scenario("add_unique_nulls_not_distinct", build(users(col("handle", sa.String(30)))),
             build(users(col("handle", sa.String(30)),
                         thunk(lambda: sa.UniqueConstraint("handle", name="uq_users_handle",
                                                           postgresql_nulls_not_distinct=True)))),
             backends=PG),
    # -- checks -------------------------------------------------------------------------------
    Scenario("add_check", build(users(col("age", sa.Integer))),
             build(users(col("age", sa.Integer), thunk(lambda: sa.CheckConstraint("age > 18", name="adult")))),
             seed=POSITIVE),
    Scenario("drop_check",
             build(users(col("age", sa.Integer), thunk(lambda: sa.CheckConstraint("age > 18", name="adult")))),
             build(users(col("age", sa.Integer))), seed=POSITIVE),
    # -- foreign keys ---------------------------------------------------------------------------
    Scenario("add_fk_on_delete_cascade",
             build(users(), table("posts", pk(), col("user_id", sa.Integer))),
             build(users(), table("posts", pk(), fk("user_id", "users.id", ondelete="CASCADE")))),
    Scenario("add_fk_on_delete_set_null",
             build(users(), table("posts", pk(), col("user_id", sa.Integer))),
             build(users(), table("posts", pk(), fk("user_id", "users.id", ondelete="SET NULL")))),
    Scenario("drop_fk",
             build(users(), table("posts", pk(), fk("user_id", "users.id"))),
             build(users(), table("posts", pk(), col("user_id", sa.Integer)))),
    Scenario("add_fk_deferrable",
             build(users(), table("posts", pk(), col("user_id", sa.Integer))),
             build(users(), table("posts", pk(), fk("user_id", "users.id", deferrable=True,
                                                    initially="DEFERRED"))),
             backends=PG),
    Scenario("change_fk_action",
             build(users(), table("posts", pk(), fk("user_id", "users.id"))),
             build(users(), table("posts", pk(), fk("user_id", "users.id", ondelete="CASCADE")))),
    Scenario("self_referencing_fk",
             build(table("nodes", pk(), col("parent_id", sa.Integer), col("label", sa.Text))),
             build(table("nodes", pk(), fk("parent_id", "nodes.id"), col("label", sa.Text)))),
    Scenario("fk_cycle_created_in_one_migration",
             build(users()),
             build(users(),
                   table("teams", pk(), col("captain_id", sa.Integer),
                         thunk(lambda: sa.ForeignKeyConstraint(["captain_id"], ["players.id"], use_alter=True,
                                                               name="teams_captain_id_fkey"))),
                   table("players", pk(), fk("team_id", "teams.id")))),
    Scenario("composite_fk",
             build(table("orgs_users", pk("org_id"), pk("user_id")),
                   table("grants", pk(), col("org_id", sa.Integer), col("user_id", sa.Integer))),
             build(table("orgs_users", pk("org_id"), pk("user_id")),
                   table("grants", pk(), col("org_id", sa.Integer), col("user_id", sa.Integer),
                         thunk(lambda: sa.ForeignKeyConstraint(["org_id", "user_id"],
                                                               ["orgs_users.org_id", "orgs_users.user_id"],
                                                               ondelete="CASCADE"))))),
]

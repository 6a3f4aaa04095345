"""Database objects beside tables: enums, sequences and views."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.oracle import ALL, PG, Scenario
from tests.scenarios._build import Maker, build, col, pk, table, users


def mood(*values: str, schema: str | None = None) -> sa.Enum:
    return sa.Enum(*values, name="mood", schema=schema)


def _moods(*values: str, schema: str | None = None, nullable: bool = False) -> Maker:
    return users(col("mood", mood(*values, schema=schema), nullable=nullable))


def _seq(**kw: Any) -> Maker:
    return lambda md: sa.Sequence("order_no_seq", metadata=md, **kw)


SCENARIOS = [
    Scenario("enum_create", build(users()), build(_moods("happy", "sad", nullable=True)), backends=PG),
    Scenario("enum_add_value", build(_moods("happy", "sad")),
             build(_moods("happy", "sad", "meh")), backends=PG),
    Scenario("enum_add_value_in_the_middle", build(_moods("happy", "sad")),
             build(_moods("happy", "meh", "sad")), backends=PG),
    Scenario("enum_remove_value", build(_moods("happy", "meh", "sad")),
             build(_moods("happy", "sad")), backends=PG),
    Scenario("enum_drop", build(_moods("happy", "sad")), build(users()), backends=PG),
    Scenario("enum_in_other_schema", build(users()),
             build(_moods("happy", "sad", schema="moods", nullable=True)), backends=PG),
    Scenario("sequence_create", build(users()), build(users(), _seq(start=100)), backends=PG),
    Scenario("sequence_alter", build(users(), _seq(start=100)),
             build(users(), _seq(start=100, increment=10)), backends=PG),
    Scenario("sequence_drop", build(users(), _seq(start=100)), build(users()), backends=PG),
    Scenario("view_create", build(users()), build(users()),
             views=(("user_emails", "SELECT id, email FROM users WHERE id > 0"),), backends=ALL),
    Scenario("view_with_new_table", build(users()),
             build(users(), table("posts", pk(), col("user_id", sa.Integer), col("title", sa.Text))),
             views=(("post_titles", "SELECT p.id, p.title, u.email FROM posts p JOIN users u ON u.id = p.user_id"),)),
]

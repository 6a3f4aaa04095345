"""Indexes of every shape the model knows: plain, unique, partial, expression, DESC, INCLUDE, GIN."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tests.oracle import ALL, PG, Scenario
from tests.scenarios._build import Maker, build, col, index, pk, table, users

base = users(col("nickname", sa.String(40)), col("score", sa.Integer), col("active", sa.Boolean))
docs = table("docs", pk(), col("body", postgresql.JSONB, nullable=False))


def _add(name: str, *ix: Maker, backends: tuple[str, ...] = ALL) -> Scenario:
    return Scenario(name, build(base), build(base, *ix), backends=backends)


SCENARIOS = [
    _add("index_plain", index("ix_users_nickname", "users", "nickname")),
    _add("index_unique", index("ux_users_nickname", "users", "nickname", unique=True)),
    _add("index_partial", index("ix_users_active_score", "users", "score",
                                postgresql_where=lambda t: t.c.active.is_(True),
                                sqlite_where=lambda t: t.c.active.is_(True))),
    _add("index_expression_lower", index("ix_users_lower_email", "users", lambda t: sa.func.lower(t.c.email),
                                         unique=True)),
    _add("index_desc", index("ix_users_score_desc", "users", lambda t: t.c.score.desc())),
    _add("index_multi_column", index("ix_users_nickname_score", "users", "nickname", "score")),
    _add("index_include", index("ix_users_nickname_inc", "users", "nickname", postgresql_include=["score"]),
         backends=PG),
    Scenario("index_gin_jsonb", build(docs),
             build(docs, index("ix_docs_body", "docs", "body", postgresql_using="gin")), backends=PG),
    Scenario("index_rename",
             build(base, index("ix_users_nickname", "users", "nickname")),
             build(base, index("ix_users_handle", "users", "nickname"))),
    Scenario("index_unique_nulls_not_distinct", build(base),
             build(base, index("ux_users_nickname", "users", "nickname", unique=True,
                               postgresql_nulls_not_distinct=True)), backends=PG),
]

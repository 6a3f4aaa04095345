"""The canonical-model promise on SQLite: SQLAlchemy source == what create_all leaves behind.

Rich metadata is converted without a database (``schema_from_metadata``) and, separately,
created with ``create_all`` on a real SQLite file and introspected; the two must be equal
with ``==``.  The same source rendered by safeshift's own SQLite DDL must read back equal too.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa

from safeshift.changes import CreateIndex, CreateTable
from safeshift.dialects.sqlite import SQLiteDialect
from safeshift.diff import diff
from safeshift.engines import engine_for
from safeshift.model import Schema, make_schema
from safeshift.runner import run_statements
from safeshift.sources.sqlalchemy import schema_from_metadata

pytestmark = pytest.mark.sqlite

D = SQLiteDialect()


def rich_metadata() -> sa.MetaData:
    md = sa.MetaData()
    users = sa.Table(
        "users", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(100), nullable=False, unique=True),
        sa.Column("UserName", sa.String(50, collation="NOCASE")),
        sa.Column("order", sa.Integer, comment="a reserved word as a column name"),
        sa.Column("status", sa.Enum("active", "disabled", name="user_status"), nullable=False,
                  server_default="active"),
        sa.Column("checked", sa.Enum("y", "n", name="yn", create_constraint=True)),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("verified", sa.Boolean(create_constraint=True), server_default=sa.true()),
        sa.Column("balance", sa.Numeric(10, 2), nullable=False, server_default=sa.text("0")),
        sa.Column("ratio", sa.Float),
        sa.Column("big", sa.BigInteger),
        sa.Column("small", sa.SmallInteger, server_default=sa.text("-1")),
        sa.Column("bio", sa.Text, server_default="it's (a, b)"),
        sa.Column("born", sa.Date),
        sa.Column("wakes", sa.Time),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime, server_default=sa.text("(datetime('now'))")),
        sa.Column("avatar", sa.LargeBinary),
        sa.Column("prefs", sa.JSON),
        sa.Column("token", sa.Uuid),
        sa.Column("double_balance", sa.Numeric(12, 2), sa.Computed("balance * 2")),
        sa.Column("email_lower", sa.String(100), sa.Computed("lower(email)", persisted=True)),
        sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
        sa.CheckConstraint("length(email) > 3"),
        comment="people",
    )
    sa.Index("ix_users_name_lower", sa.func.lower(users.c.UserName))
    sa.Index("ix_users_created_desc", users.c.created_at.desc(), users.c.id)
    sa.Index("ix_users_active_email", users.c.email, unique=True, sqlite_where=users.c.status == "active")
    sa.Index("ix_users_order", users.c["order"])
    sa.Index("ix_users_text_expr", users.c.id, sa.text("abs(balance)"))

    sa.Table(
        "teams", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="SET NULL")),
        sqlite_autoincrement=True,
    )
    memberships = sa.Table(
        "memberships", md,
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", onupdate="CASCADE", deferrable=True,
                                                       initially="DEFERRED"), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False, server_default="member"),
        sa.Column("rank", sa.Integer, sa.CheckConstraint("rank BETWEEN 1 AND 10")),
        sa.UniqueConstraint("team_id", "rank"),
    )
    sa.Index("ix_memberships_role_partial", memberships.c.role, sqlite_where=sa.text("role <> 'member'"))
    sa.Table(
        "audit", md,
        sa.Column("team_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, index=True),
        sa.Column("code", sa.String(10), unique=True, index=True),
        sa.ForeignKeyConstraint(["user_id", "team_id"], ["memberships.user_id", "memberships.team_id"],
                                ondelete="RESTRICT"),
    )
    sa.Table(
        "codes", md,
        sa.Column("code", sa.String(8), primary_key=True),
        sa.Column("label", sa.Unicode(40)),
        sa.Column("kind", sa.Integer, primary_key=True, autoincrement=False),
    )
    return md


def introspect(url: str) -> Schema:
    conn = engine_for(D).connect(url)
    try:
        return engine_for(D).introspect(conn)
    finally:
        conn.close()


def describe(got: Schema, want: Schema) -> str:
    lines: list[str] = []
    for g, w in zip(got.tables, want.tables, strict=False):
        for f in ("name", "columns", "primary_key", "uniques", "checks", "foreign_keys", "indexes", "comment"):
            if getattr(g, f) != getattr(w, f):
                lines.append(f"{w.name}.{f}:\n  got  {getattr(g, f)!r}\n  want {getattr(w, f)!r}")
    return "\n".join(lines) or f"got {got!r}\nwant {want!r}"


def test_create_all_then_introspect_equals_the_sqlalchemy_source(sqlite_url: str) -> None:
    md = rich_metadata()
    want = schema_from_metadata(md, D)
    engine = sa.create_engine(sqlite_url)
    try:
        md.create_all(engine)
    finally:
        engine.dispose()
    got = introspect(sqlite_url)
    assert [t.name for t in got.tables] == ["audit", "codes", "memberships", "teams", "users"]
    assert got == want, describe(got, want)
    assert diff(got, want) == []


def test_safeshift_ddl_reads_back_as_the_source(sqlite_url: str) -> None:
    want = schema_from_metadata(rich_metadata(), D)
    statements: list[Any] = []
    for t in want.tables:
        statements += D.render(CreateTable(replace(t, indexes=())))
        statements += [s for ix in t.indexes for s in D.render(CreateIndex(t.schema, t.name, ix))]
    conn = engine_for(D).connect(sqlite_url)
    try:
        run_statements(D, conn, statements)
        got = engine_for(D).introspect(conn)
    finally:
        conn.close()
    assert got == want, describe(got, want)


def test_source_facts_that_make_sqlite_canonical() -> None:
    want = schema_from_metadata(rich_metadata(), D)
    users = want.table("main", "users")
    teams = want.table("main", "teams")
    assert users is not None and teams is not None
    assert users.comment is None and all(c.comment is None for c in users.columns)
    assert [c.name for c in users.checks] == [None] * 4 and [u.name for u in users.uniques] == [None]
    assert users.column("id") is not None and not users.column("id").serial  # type: ignore[union-attr]
    assert teams.column("id") is not None and teams.column("id").serial  # type: ignore[union-attr]
    generated = {c.name: c.generated for c in users.columns if c.generated}
    assert {k: v.stored for k, v in generated.items() if v} == {"double_balance": False, "email_lower": True}
    assert want == make_schema("sqlite", tables=want.tables)

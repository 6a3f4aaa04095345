"""SQLAlchemy source and PostgreSQL introspection agree: create_all, introspect, compare."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from safeshift.dialects.postgres import PostgresDialect
from safeshift.diff import diff
from safeshift.diff.names import named_like
from safeshift.engines import engine_for
from safeshift.model import Schema
from safeshift.sources.sqlalchemy import schema_from_metadata

pytestmark = pytest.mark.postgres

D = PostgresDialect()


def rich_metadata() -> sa.MetaData:
    md = sa.MetaData()
    mood = sa.Enum("sad", "ok", "happy", name="mood")
    currency = sa.Enum("EUR", "USD", name="currency", schema="billing")
    sa.Sequence("invoice_no", metadata=md, schema="billing", start=1000, increment=5)
    users = sa.Table(
        "users", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(200), nullable=False, unique=True, comment="Login e-mail"),
        sa.Column("name", sa.Text),
        sa.Column("code", sa.String(10, collation="C")),
        sa.Column("status", sa.String(20), nullable=False, server_default="active"),
        sa.Column("score", sa.Integer, server_default="-1"),
        sa.Column("balance", sa.Numeric(10, 2), server_default=sa.text("0")),
        sa.Column("ratio", sa.Float, server_default="1.5"),
        sa.Column("small", sa.REAL),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP")),
        sa.Column("active", sa.Boolean, server_default=sa.true()),
        sa.Column("flag", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("data", pg.JSONB, server_default=sa.text("'{}'::jsonb")),
        sa.Column("raw", pg.JSON),
        sa.Column("blob", sa.LargeBinary),
        sa.Column("uid", sa.Uuid),
        sa.Column("born", sa.Date),
        sa.Column("wakeup", sa.Time),
        sa.Column("span", sa.Interval),
        sa.Column("feeling", mood, server_default="ok"),
        sa.Column("tags", pg.ARRAY(sa.Text)),
        sa.Column("nums", pg.ARRAY(sa.Integer)),
        sa.Column("big", sa.BigInteger),
        sa.Column("tiny", sa.SmallInteger),
        sa.Column("initial", sa.CHAR(1)),
        sa.CheckConstraint("balance >= 0", name="balance_positive"),
        sa.CheckConstraint(sa.column("status").in_(["active", "banned"]), name="status_ok"),
        sa.CheckConstraint("score BETWEEN -1 AND 100"),
        comment="People",
    )
    sa.Index("users_lower_email", sa.func.lower(users.c.email))
    sa.Index("users_created_desc", users.c.created_at.desc(), users.c.id)
    sa.Index("users_name_partial", users.c.name, unique=True,
             postgresql_where=users.c.status == "active", postgresql_include=["status"])
    sa.Index("users_data_gin", users.c.data, postgresql_using="gin", postgresql_ops={"data": "jsonb_path_ops"})
    sa.Index("users_name_like", users.c.name, postgresql_where=users.c.name.like("a%"))
    sa.Table(
        "invoices", md,
        sa.Column("id", sa.BigInteger, sa.Identity(always=True, start=10, increment=2), primary_key=True),
        sa.Column("no2", sa.Integer, sa.Identity(), nullable=False),
        sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, primary_key=True),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("tax", sa.Numeric(12, 2), sa.Computed("amount * 0.2", persisted=True)),
        sa.Column("currency", currency, nullable=False, server_default="EUR"),
        sa.UniqueConstraint("user_id", "currency", postgresql_nulls_not_distinct=True),
        schema="billing",
    )
    sa.Table(
        "line_items", md,
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("invoice_id", sa.BigInteger),
        sa.Column("user_id", sa.Integer),
        sa.Column("qty", sa.Integer, nullable=False, server_default="1"),
        sa.Column("unit", sa.Integer, nullable=False),
        sa.Column("total", sa.Integer, sa.Computed("qty * unit", persisted=True)),
        sa.ForeignKeyConstraint(["invoice_id", "user_id"], ["billing.invoices.id", "billing.invoices.user_id"],
                                ondelete="SET NULL", onupdate="RESTRICT", deferrable=True,
                                initially="DEFERRED", name="line_items_invoice_fk"),
        sa.CheckConstraint("qty > 0"),
    )
    return md


def _engine_url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1]


def _create_all(url: str, md: sa.MetaData) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for schema in sorted({t.schema for t in md.tables.values() if t.schema}):
            conn.execute(f'CREATE SCHEMA "{schema}"')  # type: ignore[arg-type]
    engine = sa.create_engine(_engine_url(url))
    try:
        md.create_all(engine)
    finally:
        engine.dispose()


def _introspect(url: str) -> Schema:
    conn = engine_for(D).connect(url)
    try:
        return engine_for(D).introspect(conn)
    finally:
        conn.close()


def _diff_tables(a: Schema, b: Schema) -> list[str]:
    out = []
    for t in a.tables:
        other = b.table(t.schema, t.name)
        if other is None:
            out.append(f"missing {t.qualname}")
            continue
        for field in ("columns", "primary_key", "uniques", "checks", "foreign_keys", "indexes", "comment"):
            if getattr(t, field) != getattr(other, field):
                out.append(f"{t.qualname}.{field}: {getattr(t, field)!r}\n  != {getattr(other, field)!r}")
    return out


def test_sqlalchemy_source_equals_introspection(pg_url: str) -> None:
    md = rich_metadata()
    _create_all(pg_url, md)
    live = _introspect(pg_url)
    declared = schema_from_metadata(md, D)
    # constraints the models leave unnamed are None: any name the database gives them matches
    assert diff(live, declared) == []
    source = named_like(declared, live)
    assert _diff_tables(source, live) == []
    assert source == live


def test_every_type_spelling_matches_format_type(pg_url: str) -> None:
    types = [sa.String(30), sa.String(), sa.Text(), sa.Integer(), sa.BigInteger(), sa.SmallInteger(),
             sa.Numeric(), sa.Numeric(8), sa.Numeric(8, 3), sa.Float(), sa.Float(24), sa.Float(53), sa.REAL(),
             sa.DOUBLE_PRECISION(), sa.Boolean(), sa.Date(), sa.DateTime(), sa.DateTime(timezone=True),
             pg.TIMESTAMP(precision=3), pg.TIMESTAMP(timezone=True, precision=6), sa.Time(),
             pg.TIME(timezone=True), sa.Interval(), pg.INTERVAL(fields="day to second", precision=3),
             sa.LargeBinary(), sa.Uuid(), pg.JSON(), pg.JSONB(), pg.INET(), pg.CIDR(), pg.MACADDR(), pg.MONEY(),
             pg.TSVECTOR(), pg.BIT(3), pg.BIT(varying=True), sa.CHAR(4), sa.CHAR(), pg.ARRAY(sa.String(5)),
             pg.ARRAY(sa.Integer, dimensions=2)]
    md = sa.MetaData()
    table = sa.Table("types", md, *(sa.Column(f"c{i}", t) for i, t in enumerate(types)))
    _create_all(pg_url, md)
    live = _introspect(pg_url).table("public", "types")
    source = schema_from_metadata(md, D).table("public", "types")
    assert live is not None and source is not None
    assert [c.type for c in source.columns] == [c.type for c in live.columns], table

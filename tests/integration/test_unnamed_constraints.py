"""Constraints the models leave unnamed match the live ones by content, whatever another tool named them:
no RENAME CONSTRAINT against a live database for a name the models never gave (seen 28 times on one real
application whose Alembic history named them uq_/fk_/ck_/pk_...)."""

from __future__ import annotations

import psycopg
import sqlalchemy as sa

from safeshift.dialects.postgres import PostgresDialect
from safeshift.diff import diff
from safeshift.engines import engine_for
from safeshift.sources.sqlalchemy import schema_from_metadata

D = PostgresDialect()

LIVE = """
CREATE TABLE trials (id integer CONSTRAINT pk_trials PRIMARY KEY, number integer NOT NULL);
CREATE TABLE trial_values (
    id integer CONSTRAINT pk_trial_values PRIMARY KEY,
    trial_id integer NOT NULL CONSTRAINT fk_trial_values_trial_id_trials REFERENCES trials (id),
    objective integer NOT NULL,
    value double precision,
    CONSTRAINT uq_trial_values_trial_id_objective UNIQUE (trial_id, objective),
    CONSTRAINT ck_trial_values_objective CHECK (objective >= 0)
);
"""


def _models() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("trials", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("number", sa.Integer, nullable=False))
    sa.Table("trial_values", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("trial_id", sa.Integer, sa.ForeignKey("trials.id"), nullable=False),
             sa.Column("objective", sa.Integer, nullable=False), sa.Column("value", sa.Float),
             sa.UniqueConstraint("trial_id", "objective"), sa.CheckConstraint("objective >= 0"))
    return md


def test_unnamed_in_the_models_matches_any_live_name(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(LIVE)
    engine = engine_for(D)
    conn = engine.connect(pg_url)
    try:
        live = engine.introspect(conn)
    finally:
        conn.close()
    declared = schema_from_metadata(_models(), D)
    assert diff(live, declared) == []


def test_a_name_the_models_give_is_still_compared(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(LIVE)
    md = _models()
    next(c for c in md.tables["trial_values"].constraints if isinstance(c, sa.UniqueConstraint)).name = "uq_values"
    engine = engine_for(D)
    conn = engine.connect(pg_url)
    try:
        live = engine.introspect(conn)
    finally:
        conn.close()
    assert [(c.kind, c.target) for c in diff(live, schema_from_metadata(md, D))] == [
        ("rename_constraint", "public.trial_values.uq_trial_values_trial_id_objective -> uq_values")]

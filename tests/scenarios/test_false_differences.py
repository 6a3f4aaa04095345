"""The false-difference catalogue of issue 16: one case per kind of spelling real applications' models and
the databases their own tools built disagree on while meaning the same schema.

Each case builds the database as another tool would (its SQL, per backend), reads it back and compares it
with the SQLAlchemy models: the diff must be empty — no statement for ``diff --url`` to print, nothing for
``verify`` to report.  A ``Scenario`` of the oracle describes a change, so these sameness cases are listed
here instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from safeshift.dialects import dialect_for_url
from safeshift.diff import diff
from safeshift.generate import introspect_url
from safeshift.sources.sqlalchemy import schema_from_metadata
from safeshift.validate import validate
from tests.oracle import ALL, PG

LONG = "ix_" + "measurement_" * 6 + "recorded_at"


@dataclass(frozen=True)
class Same:
    name: str
    models: Callable[[sa.MetaData], object]
    #: the other tool's DDL, per backend ("pg" or "sqlite"); a backend without SQL is not run
    sql: dict[str, str] = field(default_factory=dict)

    @property
    def backends(self) -> tuple[str, ...]:
        return tuple(b for b in ALL if ("sqlite" if b == "sqlite" else "pg") in self.sql)


def _t(md: sa.MetaData, *items: object) -> sa.Table:
    return sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False), *items)


def _pg(columns: str, after: str = "") -> str:
    return f"CREATE TABLE t (id integer PRIMARY KEY{', ' + columns if columns else ''});{after}"


def _lite(columns: str, after: str = "") -> str:
    return f"CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY{', ' + columns if columns else ''});{after}"


CATALOGUE = [
    # -- defaults PostgreSQL stores alike ----------------------------------------------------------
    Same("now_is_current_timestamp",
         lambda md: _t(md, sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now())),
         {"pg": _pg("at timestamptz DEFAULT CURRENT_TIMESTAMP")}),
    Same("transaction_timestamp_is_localtimestamp",
         lambda md: _t(md, sa.Column("at", sa.DateTime, server_default=sa.text("transaction_timestamp()"))),
         {"pg": _pg("at timestamp DEFAULT LOCALTIMESTAMP")}),
    Same("interval_zero", lambda md: _t(md, sa.Column("wait", sa.Interval, server_default="0")),
         {"pg": _pg("wait interval DEFAULT '00:00:00'::interval")}),
    Same("interval_spelled_in_units", lambda md: _t(md, sa.Column("wait", sa.Interval, server_default="90 minutes")),
         {"pg": _pg("wait interval DEFAULT 'PT1H30M'")}),
    Same("bigint_literal_cast", lambda md: _t(md, sa.Column("n", sa.BigInteger, server_default=sa.text("0"))),
         {"pg": _pg("n bigint DEFAULT '0'::bigint")}),
    Same("jsonb_default_as_value",
         lambda md: _t(md, sa.Column("doc", postgresql.JSONB, server_default='{"b":[1,2],"a":1}')),
         {"pg": _pg("""doc jsonb DEFAULT '{"a": 1, "b": [1, 2]}'::jsonb""")}),
    Same("json_default_as_value", lambda md: _t(md, sa.Column("doc", sa.JSON, server_default='{"a":1}')),
         {"pg": _pg("""doc json DEFAULT '{"a": 1}'::json""")}),
    Same("at_time_zone_is_timezone",
         lambda md: _t(md, sa.Column("at", sa.DateTime, server_default=sa.text("(now() at time zone 'utc')"))),
         {"pg": _pg("at timestamp DEFAULT timezone('utc'::text, now())")}),
    Same("timestamp_literal", lambda md: _t(md, sa.Column("at", sa.DateTime, server_default="2020-01-01")),
         {"pg": _pg("at timestamp DEFAULT '2020-01-01 00:00:00'::timestamp without time zone")}),
    # -- index elements ------------------------------------------------------------------------------
    Same("asc_is_the_plain_column", lambda md: sa.Index("ix_t_c", _t(md, sa.Column("c", sa.Integer)).c.c.asc()),
         {"pg": _pg("c integer", "CREATE INDEX ix_t_c ON t (c);"),
          "sqlite": _lite("c INTEGER", "CREATE INDEX ix_t_c ON t (c);")}),
    Same("text_desc_is_a_descending_column",
         lambda md: (_t(md, sa.Column("c", sa.Integer)), sa.Index("ix_t_c", sa.text("c DESC"), _table=md.tables["t"])),
         {"pg": _pg("c integer", "CREATE INDEX ix_t_c ON t (c DESC);"),
          "sqlite": _lite("c INTEGER", "CREATE INDEX ix_t_c ON t (c DESC);")}),
    Same("opclass_and_nulls_order",
         lambda md: (t := _t(md, sa.Column("name", sa.Text), sa.Column("c", sa.Integer)),
                     sa.Index("ix_t_name_c", t.c.name, t.c.c.desc().nulls_last(),
                              postgresql_ops={"name": "text_pattern_ops"})),
         {"pg": _pg("name text, c integer", "CREATE INDEX ix_t_name_c ON t (name text_pattern_ops, c DESC NULLS LAST);")}),
    # -- names -----------------------------------------------------------------------------------------
    Same("unnamed_constraints_match_any_live_name",
         lambda md: (sa.Table("p", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False)),
                     _t(md, sa.Column("p_id", sa.Integer, sa.ForeignKey("p.id")), sa.Column("n", sa.Integer),
                        sa.UniqueConstraint("p_id", "n"), sa.CheckConstraint("n >= 0"))),
         {"pg": "CREATE TABLE p (id integer CONSTRAINT pk_p PRIMARY KEY);"
                "CREATE TABLE t (id integer CONSTRAINT pk_t PRIMARY KEY,"
                " p_id integer CONSTRAINT fk_t_p_id_p REFERENCES p (id), n integer,"
                " CONSTRAINT uq_t_p_id_n UNIQUE (p_id, n), CONSTRAINT ck_t_n CHECK (n >= 0));"}),
    Same("names_past_63_bytes", lambda md: sa.Index(LONG, _t(md, sa.Column("c", sa.Integer)).c.c),
         {"pg": _pg("c integer", f'CREATE INDEX "{LONG}" ON t (c);')}),
    # -- dialect-specific declarations -------------------------------------------------------------------
    Same("postgres_only_index_absent_on_sqlite",
         lambda md: (t := _t(md, sa.Column("doc", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"))),
                     sa.Index("ix_t_doc", t.c.doc, postgresql_using="gin").ddl_if(dialect="postgresql")),
         {"pg": _pg("doc jsonb", "CREATE INDEX ix_t_doc ON t USING gin (doc);"), "sqlite": _lite("doc JSON")}),
    Same("partial_index_per_dialect",
         lambda md: (t := _t(md, sa.Column("c", sa.Integer)),
                     sa.Index("ix_t_c", t.c.c, postgresql_where=t.c.c > 0, sqlite_where=t.c.c > 0)),
         {"pg": _pg("c integer", "CREATE INDEX ix_t_c ON t (c) WHERE c > 0;"),
          "sqlite": _lite("c INTEGER", "CREATE INDEX ix_t_c ON t (c) WHERE c > 0;")}),
    # -- other tools' bookkeeping ---------------------------------------------------------------------------
    Same("bookkeeping_tables_are_not_the_schema", lambda md: _t(md),
         {"pg": _pg("", "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);"
                        "CREATE TABLE django_migrations (id serial PRIMARY KEY, app text);"),
          "sqlite": _lite("", "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);")}),
    # -- SQLite enforces affinity, not type names ----------------------------------------------------------
    Same("sqlite_varchar_length", lambda md: _t(md, sa.Column("c", sa.String(40))),
         {"sqlite": _lite("c VARCHAR(80)")}),
    Same("sqlite_float_real_double", lambda md: _t(md, sa.Column("c", sa.Float)),
         {"sqlite": _lite("c DOUBLE")}),
    Same("sqlite_identity_is_a_plain_key",
         lambda md: sa.Table("t", md, sa.Column("id", sa.Integer, sa.Identity(), primary_key=True)),
         {"sqlite": "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY);"}),
]


@pytest.mark.parametrize(("case", "db_url"), [(c, b) for c in CATALOGUE for b in c.backends],
                         ids=[f"{c.name}-{b}" for c in CATALOGUE for b in c.backends], indirect=["db_url"])
def test_the_models_and_the_other_tools_database_are_one_schema(case: Same, db_url: str) -> None:
    dialect = dialect_for_url(db_url)
    if db_url.startswith("sqlite"):
        with sqlite3.connect(db_url.split("///", 1)[1]) as conn:
            conn.executescript(case.sql["sqlite"])
    else:
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(case.sql["pg"])
    live = introspect_url(dialect, db_url)
    md = sa.MetaData()
    case.models(md)
    declared = schema_from_metadata(md, dialect)
    assert validate(declared, dialect) == []
    assert diff(live, declared, None, None, dialect.default_schema, dialect.view_dependencies,
                dialect.same_column) == []  # as diff --url and verify compare


def test_every_backend_has_cases() -> None:
    assert {b for c in CATALOGUE for b in c.backends} == set(ALL)
    assert PG

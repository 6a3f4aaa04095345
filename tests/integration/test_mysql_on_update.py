"""``ON UPDATE current_timestamp()`` is a column's own field (``Column.on_update``), not part of its default:
generate → apply → introspect gives the target back for a default with it, for it without a default (a NOT
NULL column the server fills only on update), and for adding and removing it; down gives the start back.
A SQLAlchemy source writes it inside ``server_default`` and reads as the same model."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from tests.oracle import run_oracle, schema_from

from safeshift.dialects import dialect_for_url
from safeshift.dialects.mysql import MySQLDialect
from safeshift.model import Column, PrimaryKey, Schema, Table, make_schema
from safeshift.snapshot import from_json, to_json

NOW = "current_timestamp()"


def _schema(*columns: Column) -> Schema:
    table = Table("default", "events", (Column("id", "int", nullable=False), *columns), PrimaryKey(None, ("id",)))
    return make_schema("mysql", tables=[table])


STAMP = Column("changed", "timestamp", nullable=False, default=NOW, on_update=NOW)
BARE = Column("changed", "timestamp", nullable=False, default=NOW)
ONLY_ON_UPDATE = Column("touched", "datetime", nullable=False, on_update=NOW)
NULLABLE = Column("touched", "datetime", nullable=True, on_update=NOW)


@pytest.mark.parametrize(("a", "b"), [
    pytest.param(_schema(), _schema(STAMP), id="add-default-and-on-update"),
    pytest.param(_schema(), _schema(NULLABLE), id="add-on-update-without-default"),
    pytest.param(_schema(BARE), _schema(STAMP), id="add-on-update-to-a-column"),
    pytest.param(_schema(STAMP), _schema(BARE), id="remove-on-update"),
    pytest.param(_schema(ONLY_ON_UPDATE), _schema(Column("touched", "datetime", nullable=False, default=NOW,
                                                         on_update=NOW)), id="not-null-on-update-gains-a-default"),
    pytest.param(_schema(BARE), _schema(), id="drop-a-column-with-it"),
])
def test_on_update_round_trips(mysql_url: str, a: Schema, b: Schema) -> None:
    run_oracle(mysql_url, a, b)


def test_a_sqlalchemy_source_writes_it_in_the_default() -> None:
    md = sa.MetaData()
    sa.Table("events", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("changed", mysql.TIMESTAMP, nullable=False,
                       server_default=sa.text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP")),
             sa.Column("touched", sa.DateTime, server_default=sa.text("NULL ON UPDATE CURRENT_TIMESTAMP")))
    table = schema_from(md, dialect_for_url("mysql://root@127.0.0.1/x")).tables[0]
    changed, touched = table.columns[1:]
    assert (changed.default, changed.on_update) == (NOW, NOW)
    assert (touched.default, touched.on_update) == (None, NOW)
    assert "DEFAULT current_timestamp() ON UPDATE current_timestamp()" in MySQLDialect().column_sql(changed)
    assert MySQLDialect().column_sql(touched) == "`touched` datetime NULL ON UPDATE current_timestamp()"


def test_a_snapshot_with_it_is_format_version_3_and_reads_back() -> None:
    s = _schema(Column("touched", "datetime(3)", nullable=False, on_update="current_timestamp(3)"))
    text = to_json(s)
    assert '"version": 3' in text and '"on_update": "current_timestamp(3)"' in text
    assert from_json(text) == s
    assert '"version": 2' in to_json(_schema(BARE))  # without it, an older safeshift still reads the snapshot


def test_a_sources_current_timestamp_is_written_bare() -> None:
    """``server_default=func.current_timestamp()`` keeps the source's spelling, CURRENT_TIMESTAMP, written as the
    time default (in parentheses it would be an expression default, which MySQL 8 takes only from 8.0.13)."""
    d = MySQLDialect()
    assert d.default_clause("CURRENT_TIMESTAMP") == "DEFAULT CURRENT_TIMESTAMP"
    assert d.default_clause("now(3)") == "DEFAULT now(3)"
    assert d.default_clause("current_timestamp() + interval 1 day") == "DEFAULT (current_timestamp() + interval 1 day)"

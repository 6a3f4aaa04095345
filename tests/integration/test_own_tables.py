"""Introspection leaves out safeshift's own tables and only those: a user table whose name merely begins
with ``safeshift_`` is read and compared like any other (left out, it would be drift nobody sees), while
the history table (and the backfill progress table) never shows up as a table to drop."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from tests.oracle import schema_from

from safeshift import history
from safeshift.changes import DropTable
from safeshift.dialects import dialect_for_url
from safeshift.diff import diff
from safeshift.engines import engine_for
from safeshift.introspect import own
from safeshift.model import make_schema


def _metadata() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("safeshift_notes", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("body", sa.Text))
    return md


def _check(url: str) -> None:
    dialect = dialect_for_url(url)
    engine = engine_for(dialect)
    conn = engine.connect(url)
    try:
        history.ensure(dialect, conn)
        if not dialect.capabilities.schemas:  # beside the user's tables, under its exact name
            conn.execute(f"CREATE TABLE {dialect.quote(own.BACKFILL_TABLE)} (id integer PRIMARY KEY)")
        conn.execute(f"CREATE TABLE {dialect.quote('safeshift_notes')} (id integer PRIMARY KEY, body text)")
        if hasattr(conn, "commit"):
            conn.commit()
        live = engine.introspect(conn)
    finally:
        conn.close()
    assert [t.name for t in live.tables] == ["safeshift_notes"]
    declared = schema_from(_metadata(), dialect)
    assert diff(live, declared) == []
    # compared: a source without it drops it, and nothing else
    dropped = diff(live, make_schema(dialect.name, namespaces=declared.namespaces))
    assert [type(c) for c in dropped] == [DropTable]
    assert [c.table.name for c in dropped if isinstance(c, DropTable)] == ["safeshift_notes"]


def test_sqlite_reads_a_user_table_named_like_safeshifts(sqlite_url: str) -> None:
    _check(sqlite_url)


def test_postgres_reads_a_user_table_named_like_safeshifts(pg_url: str) -> None:
    _check(pg_url)


def test_mysql_reads_a_user_table_named_like_safeshifts(mysql_url: str) -> None:
    _check(mysql_url)


def test_postgres_leaves_out_the_schema_history_keeps_its_tables_in() -> None:
    """PostgreSQL's introspection leaves out safeshift's schema whole; the name it leaves out is ``own``'s."""
    import safeshift.introspect as package

    sql = (Path(package.__file__).parent / "queries" / "postgres" / "schemas.sql").read_text("utf-8")
    assert f"'{own.OWN_SCHEMA}'" in sql
    assert history.SCHEMA == own.OWN_SCHEMA and history.TABLE == own.HISTORY_TABLE

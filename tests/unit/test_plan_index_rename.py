"""A renamed index on a database without ALTER INDEX ... RENAME (SQLite) is dropped and created again under
its new name, both ways: never a rebuild that copies every row of its table for a name (seen on a real
application's models, which renamed trials_study_id_key to ix_trials_study_id)."""

from __future__ import annotations

from safeshift.dialects.postgres import PostgresDialect
from safeshift.dialects.sqlite import SQLiteDialect
from safeshift.diff import diff
from safeshift.model import Column, Index, IndexElement, PrimaryKey, Table, make_schema
from safeshift.plan import render


def _schema(dialect: str, schema: str, index: str) -> object:
    t = Table(schema, "trials", (Column("id", "INTEGER", nullable=False), Column("study_id", "INTEGER")),
              primary_key=PrimaryKey(None, ("id",)), indexes=(Index(index, (IndexElement("study_id"),)),))
    return make_schema(dialect, namespaces=[schema], tables=[t])


def test_sqlite_drops_and_creates_the_index_both_ways() -> None:
    d = SQLiteDialect()
    old, new = _schema("sqlite", "main", "trials_study_id_key"), _schema("sqlite", "main", "ix_trials_study_id")
    sections = render(diff(old, new), old, new, d)  # type: ignore[arg-type]
    up = [s.sql for s in sections.up]
    down = [s.sql for s in sections.down]
    assert up == ['DROP INDEX "trials_study_id_key";', 'CREATE INDEX "ix_trials_study_id" ON "trials" ("study_id");']
    assert down == ['DROP INDEX "ix_trials_study_id";', 'CREATE INDEX "trials_study_id_key" ON "trials" ("study_id");']


def test_postgres_still_renames() -> None:
    old, new = _schema("postgresql", "public", "a_key"), _schema("postgresql", "public", "ix_a")
    sections = render(diff(old, new), old, new, PostgresDialect())  # type: ignore[arg-type]
    assert [s.sql for s in sections.up] == ['ALTER INDEX "public"."a_key" RENAME TO "ix_a";']

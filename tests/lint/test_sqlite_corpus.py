"""The SQLite corpus: each case reviewed as SQLite SQL against the schema a real SQLite file holds,
and every ``sqlite-alter-fails`` claim checked against SQLite itself."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from safeshift.dialects import get_dialect
from safeshift.engines import engine_for
from safeshift.lint import review_sql
from safeshift.lint.reviewers import REVIEWERS
from safeshift.model import Schema
from tests.lint.corpus import Case
from tests.lint.sqlite_corpus import CASES, SETUP, statement_count
from tests.lint.test_corpus import assert_case

pytestmark = pytest.mark.sqlite


def _database(folder: Path, rows: bool = False) -> Path:
    path = folder / "before.db"
    conn = sqlite3.connect(path)
    conn.executescript(SETUP)
    if rows:
        conn.executescript("INSERT INTO orgs VALUES (1, 'a'); INSERT INTO users (id, email, org_id) VALUES (1, 'x', 1);"
                           "INSERT INTO posts VALUES (1, 1, 't'); INSERT INTO counts VALUES (1, 2, 'two');")
    conn.close()
    return path


@pytest.fixture(scope="module")
def before(tmp_path_factory: pytest.TempPathFactory) -> Schema:
    """The schema before each case, read back from a real SQLite file by safeshift's introspection."""
    path = _database(tmp_path_factory.mktemp("sqlite_corpus"))
    dialect = get_dialect("sqlite")
    conn = engine_for(dialect).connect(f"sqlite:///{path}")
    try:
        return engine_for(dialect).introspect(conn)
    finally:
        conn.close()


def test_corpus_size() -> None:
    assert statement_count() >= 40
    assert {c.source for c in CASES} == {"hand", "safeshift"}
    assert len({c.id for c in CASES}) == len(CASES)


def test_every_reviewing_dialect_has_a_reviewer() -> None:
    """``hazard_review`` (what the gate asks) and ``lint.reviewers`` (what reads the SQL) agree."""
    for name in ("postgresql", "sqlite"):
        assert get_dialect(name).capabilities.hazard_review == (name in REVIEWERS)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, before: Schema) -> None:
    assert_case(case, review_sql(case.sql, file=f"{case.id}.sql", dialect="sqlite", schema=before))


@pytest.mark.parametrize("case", [c for c in CASES if any("sqlite-alter-fails" in e for e in c.expect)],
                         ids=lambda c: c.id)
def test_alter_fails_on_sqlite(case: Case, tmp_path: Path) -> None:
    """What ``sqlite-alter-fails`` says fails, fails on SQLite (on a table with rows: some only fail there)."""
    conn = sqlite3.connect(_database(tmp_path, rows=True))
    try:
        with pytest.raises(sqlite3.OperationalError):
            conn.executescript(case.sql)
    finally:
        conn.close()


def test_unparsed_statement_names_its_line() -> None:
    found = review_sql("CREATE TABLE a (id INTEGER);\n\nCREATE TABLE t (id INTEGER) WITH SOMETHING ODD;\n",
                       dialect="sqlite")
    assert [(f.rule, f.severity, f.line) for f in found] == [("unparsed-statement", "info", 3)]
    assert "Line 3" in found[0].message


def test_a_rebuild_is_graded_by_rows() -> None:
    """Live row counts grade a rebuild: empty or small is info, a million rows an error."""
    from safeshift.lint import Facts

    sql = ("CREATE TABLE n (k TEXT PRIMARY KEY, v INTEGER);\nINSERT INTO n (k, v) SELECT k, v FROM kv;\n"
           "DROP TABLE kv;\nALTER TABLE n RENAME TO kv;\n")
    for rows, severity in ((0, "info"), (5_000, "info"), (200_000, "warning"), (2_000_000, "error"), (None, "warning")):
        facts = {"kv": Facts(row_estimate=rows)}
        graded = [f.severity for f in review_sql(sql, dialect="sqlite", facts=facts) if f.rule == "sqlite-table-rebuild"]
        assert graded == [severity], rows

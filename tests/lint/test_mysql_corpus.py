"""The MySQL corpus: each case reviewed as MySQL SQL against the schema MariaDB holds for ``SETUP``, and every
``mysql-table-copy`` claim in ``COPIES`` checked against MariaDB itself."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import pytest

from safeshift.dialects import get_dialect
from safeshift.engines import engine_for
from safeshift.lint import review_sql
from safeshift.lint.reviewers import REVIEWERS, WANTS_SCHEMA
from safeshift.model import Schema
from safeshift.sections import parse_sql
from tests import _mysql
from tests.conftest import MYSQL_ADMIN
from tests.lint.corpus import Case
from tests.lint.mysql_corpus import CASES, COPIES, FLAGGED, NOT_FLAGGED, ROWS, SETUP, statement_count
from tests.lint.test_corpus import assert_case


def _run(conn: Any, script: str) -> None:
    for st in parse_sql(script):
        conn.execute(st.sql)


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """One MariaDB database holding SETUP (no rows), shared by the module's review cases."""
    gen: Generator[str, None, None] = _mysql.fresh(MYSQL_ADMIN)  # type: ignore[assignment]
    url = next(gen)
    dialect = get_dialect("mysql")
    conn = engine_for(dialect).connect(url)
    try:
        _run(conn, SETUP)
    finally:
        conn.close()
    yield url
    gen.close()


@pytest.fixture(scope="module")
def before(database: str) -> Schema:
    """The schema before each case, read back from MariaDB by safeshift's introspection."""
    dialect = get_dialect("mysql")
    conn = engine_for(dialect).connect(database)
    try:
        return engine_for(dialect).introspect(conn)
    finally:
        conn.close()


def test_corpus_size() -> None:
    assert statement_count(FLAGGED) >= 30
    # at least as many statements that must not be flagged as statements that must
    assert statement_count(NOT_FLAGGED) >= statement_count(FLAGGED)
    assert {c.source for c in CASES} == {"hand", "safeshift", "drizzle"}
    assert len({c.id for c in CASES}) == len(CASES)
    assert set(COPIES) <= {c.id for c in CASES}


def test_mysql_is_reviewed_against_its_schema() -> None:
    """``hazard_review`` (what the gate asks) and ``lint.reviewers`` (what reads the SQL) agree."""
    assert "mysql" in REVIEWERS and "mysql" in WANTS_SCHEMA
    assert get_dialect("mysql").capabilities.hazard_review


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, before: Schema) -> None:
    assert_case(case, review_sql(case.sql, file=f"{case.id}.sql", dialect="mysql", schema=before))


@pytest.mark.parametrize("case", [c for c in CASES if c.id in COPIES], ids=lambda c: c.id)
def test_copy_is_refused_online_by_mariadb(case: Case, mysql_url: str) -> None:
    """What ``mysql-table-copy`` says needs a copy, MariaDB refuses to do online (on a table with rows)."""
    conn = engine_for(get_dialect("mysql")).connect(mysql_url)
    try:
        _run(conn, SETUP + ROWS)
        sql = parse_sql(case.sql)[0].sql.rstrip().rstrip(";")
        online = f"{sql}, ALGORITHM=INPLACE, LOCK=NONE" if sql.upper().startswith("ALTER TABLE") else \
            f"{sql} ALGORITHM=INPLACE LOCK=NONE"
        with pytest.raises(Exception) as info:
            conn.execute(online)
        assert info.value.args and info.value.args[0] in (1845, 1846), repr(info.value)
    finally:
        conn.close()


def test_without_schema_a_modify_may_copy() -> None:
    """A file outside a folder (no schema): the MODIFY's old column is unknown, so it is flagged unless it names an
    online algorithm, in which case the server refuses rather than copies."""
    plain = review_sql("ALTER TABLE users MODIFY COLUMN age bigint;", dialect="mysql")
    assert [(f.rule, f.severity) for f in plain if f.severity != "info"] == [("mysql-table-copy", "warning")]
    guarded = review_sql("ALTER TABLE users MODIFY COLUMN age bigint, ALGORITHM=INPLACE, LOCK=NONE;", dialect="mysql")
    assert [f for f in guarded if f.severity != "info"] == []


def test_metadata_lock_once_per_file_as_info() -> None:
    found = review_sql("ALTER TABLE users ADD COLUMN a int;\nALTER TABLE posts ADD COLUMN b int;", dialect="mysql")
    locks = [f for f in found if f.rule == "mysql-metadata-lock"]
    assert [(f.severity, f.line) for f in locks] == [("info", 1)]
    assert "lock_wait_timeout" in locks[0].message


def test_copy_graded_by_live_rows() -> None:
    from safeshift.lint import Facts

    sql = "ALTER TABLE users MODIFY COLUMN age bigint;"
    grades = {rows: next(f.severity for f in review_sql(sql, dialect="mysql", facts={"users": Facts(row_estimate=rows)})
                         if f.rule == "mysql-table-copy") for rows in (0, 5_000, 200_000, 3_000_000)}
    assert grades == {0: "info", 5_000: "info", 200_000: "warning", 3_000_000: "error"}


def test_unparsed_statement_names_its_line() -> None:
    found = review_sql("CREATE TABLE a (id int);\n\nALTER TABLE a ADD PERIOD FOR SYSTEM_TIME(x, y);\n", dialect="mysql")
    assert [(f.rule, f.severity, f.line) for f in found] == [("unparsed-statement", "info", 3)]
    assert "Line 3" in found[0].message

"""The runner's ``observe`` hook: statement by statement, on the runner's connection, inside the transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safeshift.dialects import dialect_for_url
from safeshift.formats import safeshift as migrations
from safeshift.runner import Runner, RunOptions
from safeshift.sections import SqlStatement
from tests.runner._project import MIGRATIONS, VERSIONS, history_rows, make_project, table_names


def _in_transaction(conn: Any) -> bool:
    if hasattr(conn, "in_transaction"):  # sqlite3
        return bool(conn.in_transaction)
    from psycopg.pq import TransactionStatus

    return bool(conn.info.transaction_status != TransactionStatus.IDLE)


def _observed(url: str, folder: Path, **options: Any) -> list[tuple[int, bool, bool, float]]:
    seen: list[tuple[int, bool, bool, float]] = []

    def observe(conn: Any, st: SqlStatement, ms: float) -> None:
        seen.append((st.line, st.transactional, _in_transaction(conn), ms))

    with Runner(dialect_for_url(url), url, migrations.read_folder(folder), RunOptions(observe=observe, **options)) as r:
        assert r.migrate().versions == VERSIONS
    return seen


def test_observe_sees_every_statement_inside_its_transaction(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add_all()
    seen = _observed(db_url, p.folder)
    # one statement each in migrations 1 and 3, two in 2 and 4, all in their migration's transaction
    assert [(line, tx, inside) for line, tx, inside, _ in seen] == [
        (2, True, True), (2, True, True), (3, True, True), (2, True, True), (2, True, True), (3, True, True)]
    assert all(ms >= 0 for *_, ms in seen)
    assert set(history_rows(db_url).values()) == {"applied"}
    assert table_names(db_url) == {"users", "posts", "tags"}


def test_observe_in_atomic_mode_and_outside_a_transaction(tmp_path: Path, pg_url: str) -> None:
    p = make_project(tmp_path, pg_url)
    p.add_all(MIGRATIONS[:3])
    p.add("20260101000004", "index_concurrently",
          "-- safeshift:no-transaction\nCREATE INDEX CONCURRENTLY users_email ON users (email);",
          "-- safeshift:no-transaction\nDROP INDEX CONCURRENTLY users_email;")
    seen = _observed(pg_url, p.folder)
    assert seen[-1][:3] == (3, False, False)
    assert all(inside for _, tx, inside, _ in seen if tx)

    # roll back, swap the concurrent index for a transactional migration, run all four as one transaction
    with Runner(dialect_for_url(pg_url), pg_url, migrations.read_folder(p.folder)) as r:
        r.rollback(to="0")
    p.file("20260101000004").unlink()
    p.add(*MIGRATIONS[3])
    assert [inside for _, _, inside, _ in _observed(pg_url, p.folder, atomic=True)] == [True] * 6

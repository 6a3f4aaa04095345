"""Apply migrations to a database, recording each in the history table.

This is the first cut the generate issue needs (apply pending, one transaction per
migration, checksums frozen once applied, one runner at a time).  Lock timeouts and
retries, no-transaction resumption, rollback and status come with the runner issue.
"""

from __future__ import annotations

import getpass
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from safeshift import migrations
from safeshift.config import redact_url
from safeshift.dialects.base import Dialect, Statement
from safeshift.errors import ChecksumMismatch, MigrationFailed

HISTORY = "safeshift_migrations"
HISTORY_SCHEMA = "safeshift"


@dataclass(frozen=True)
class Applied:
    version: str
    name: str
    duration_ms: int


@dataclass(frozen=True)
class ApplyResult:
    applied: tuple[Applied, ...]
    already: int

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(a.version for a in self.applied)


def history_table(dialect: Dialect) -> str:
    if dialect.capabilities.schemas:
        return dialect.qualify(HISTORY_SCHEMA, HISTORY)
    return dialect.quote(HISTORY)


def _autocommit(conn: Any) -> None:
    """We issue BEGIN/COMMIT ourselves so both drivers behave the same."""
    if hasattr(type(conn), "autocommit") and not hasattr(conn, "executescript"):
        conn.autocommit = True
    else:
        conn.isolation_level = None


def _ensure_history(dialect: Dialect, conn: Any) -> None:
    if dialect.capabilities.schemas:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {dialect.quote(HISTORY_SCHEMA)}")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {history_table(dialect)} ("
        "version varchar(14) PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, "
        "applied_at text NOT NULL, duration_ms integer NOT NULL, applied_by text NOT NULL, "
        "status text NOT NULL)"
    )


def applied_versions(dialect: Dialect, conn: Any) -> dict[str, tuple[str, str]]:
    """version -> (checksum, status) for every row in the history table."""
    rows = conn.execute(f"SELECT version, checksum, status FROM {history_table(dialect)}").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


@contextmanager
def _runner_lock(dialect: Dialect, conn: Any) -> Iterator[None]:
    """One runner per database: a session advisory lock where the database has one."""
    if dialect.capabilities.advisory_lock:
        conn.execute("SELECT pg_advisory_lock(hashtext('safeshift.migrate'))")
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('safeshift.migrate'))")
    else:
        yield


def apply(dialect: Dialect, url: str, folder: migrations.MigrationFolder) -> ApplyResult:
    conn = dialect.connect(url)
    try:
        _autocommit(conn)
        _ensure_history(dialect, conn)
        with _runner_lock(dialect, conn):
            return _apply_pending(dialect, conn, folder)
    finally:
        conn.close()


def _apply_pending(dialect: Dialect, conn: Any, folder: migrations.MigrationFolder) -> ApplyResult:
    done = applied_versions(dialect, conn)
    for m in folder.migrations:
        if m.version in done and done[m.version][0] != migrations.checksum(m):
            raise ChecksumMismatch(
                f"{m.path.name} was edited after it was applied (recorded checksum {done[m.version][0][:12]}, "
                f"file {migrations.checksum(m)[:12]}); put the file back and add a new migration instead."
            )
    pending = [m for m in folder.migrations if m.version not in done]
    applied: list[Applied] = []
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    for m in pending:
        start = time.perf_counter()
        dialect.before_migration(conn)
        conn.execute("BEGIN")
        try:
            for st in m.up_statements:
                try:
                    conn.execute(st.sql)
                except Exception as exc:
                    raise MigrationFailed(
                        f"{m.path.name} line {st.line} failed: {redact_url(_first_line(exc))}; "
                        "the migration was rolled back and nothing of it was applied.",
                        sqlstate=getattr(exc, "sqlstate", None), file=m.path.name, line=st.line,
                    ) from exc
            dialect.check_before_commit(conn)
            ms = int((time.perf_counter() - start) * 1000)
            conn.execute(
                f"INSERT INTO {history_table(dialect)} "
                "(version, name, checksum, applied_at, duration_ms, applied_by, status) VALUES ("
                f"{dialect.literal(m.version)}, {dialect.literal(m.name)}, "
                f"{dialect.literal(migrations.checksum(m))}, "
                f"{dialect.literal(datetime.now(UTC).isoformat(timespec='seconds'))}, {ms}, "
                f"{dialect.literal(who)}, 'applied')"
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            dialect.after_migration(conn)
        applied.append(Applied(m.version, m.name, ms))
    return ApplyResult(tuple(applied), len(done))


def run_statements(dialect: Dialect, conn: Any, statements: Sequence[Statement]) -> None:
    """Run rendered statements as one migration would: transactional ones in one transaction.

    Statements marked non-transactional run alone, in order, between transactions.  Used
    by tests and rehearsals that execute freshly rendered SQL without a migration file.
    """
    _autocommit(conn)
    batch: list[Statement] = []

    def flush() -> None:
        if not batch:
            return
        dialect.before_migration(conn)
        conn.execute("BEGIN")
        try:
            for st in batch:
                conn.execute(st.sql)
            dialect.check_before_commit(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            dialect.after_migration(conn)
        batch.clear()

    for st in statements:
        if st.transactional:
            batch.append(st)
        else:
            flush()
            conn.execute(st.sql)
    flush()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]

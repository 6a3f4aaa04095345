"""A keyset backfill on a live PostgreSQL server: each batch one statement (its own transaction, as the
runner's session autocommits) that copies the rows and records how far it got, so a kill between two
batches loses nothing and repeats nothing.

Progress is kept in ``safeshift.safeshift_backfill`` by the target column's table oid and attribute
number: a column dropped (an undone migration) and added again gets a new number, so a stale row can
never make a new run skip rows.  Deciding batch sizes and pauses is the runner's (``runner/backfill.py``);
this module only runs what it is asked and reports what the server saw.
"""

from __future__ import annotations

from typing import Any

from safeshift.dialects.backfill import Backfill
from safeshift.dialects.base import Dialect
from safeshift.engines.base import BackfillBounds, BackfillStart
from safeshift.introspect import own

#: safeshift's own schema, which drift checks leave out (``introspect.own``, where ``history`` takes it too)
_SCHEMA = own.OWN_SCHEMA

#: prepared statement names (session-scoped; one backfill runs at a time on a runner's session)
_BATCH, _FIRST, _NEXT = "safeshift_backfill_batch", "safeshift_backfill_first", "safeshift_backfill_next"

#: sessions of this database waiting for a lock right now (besides the runner's): a sign of contention
_WAITERS = ("(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid())")


class PgBackfill:
    """One backfill on the runner's (autocommit) connection; ``close`` forgets its prepared statements."""

    def __init__(self, conn: Any, spec: Backfill, dialect: Dialect) -> None:
        self.conn, self.spec = conn, spec
        self._literal = dialect.literal
        self._schema = dialect.quote(_SCHEMA)
        self._table = dialect.qualify(_SCHEMA, own.BACKFILL_TABLE)
        self._rel = dialect.qualify(spec.schema, spec.table)
        self._relid = 0
        self._attnum = 0

    def start(self) -> BackfillStart:
        """Find the target column, read how far an earlier run got, and prepare the three statements."""
        conn, spec = self.conn, self.spec
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self._schema}")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {self._table} (relid oid NOT NULL, attnum int2 NOT NULL, "
                     "last_key text NOT NULL, rows_done bigint NOT NULL, batches bigint NOT NULL, "
                     "updated_at timestamptz NOT NULL, PRIMARY KEY (relid, attnum))")
        row = conn.execute("SELECT a.attrelid::bigint, a.attnum, greatest(c.reltuples, 0)::bigint, c.reltuples >= 0 "
                           "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                           "WHERE a.attrelid = to_regclass(%s) AND a.attname = %s AND NOT a.attisdropped",
                           (self._rel, spec.target)).fetchone()
        if row is None:
            raise LookupError(f"{spec.label} does not exist: the backfill has no column to fill")
        self._relid, self._attnum = int(row[0]), int(row[1])
        estimate = int(row[2]) if row[3] else None
        done = conn.execute(f"SELECT last_key, rows_done, batches FROM {self._table} WHERE relid = %s AND attnum = %s",
                            (self._relid, self._attnum)).fetchone()
        self.close()  # a statement of an earlier backfill on this session (a retried step)
        # a batch's row locks go at its commit: without the wait for the WAL flush they go sooner.  A batch a
        # crash loses takes its progress row with it (one transaction), so the resumed run copies it again;
        # the step's history row, committed durably after the last batch, flushes every batch before it
        conn.execute("SET synchronous_commit = off")
        # (the pages the batches dirty are written back as they go: the runner's session sets
        # backend_flush_after, PostgresEngine.prepare_session)
        conn.execute(f"PREPARE {_FIRST} AS SELECT b.*, {_WAITERS} FROM ({spec.first_bounds_sql}) b")
        conn.execute(f"PREPARE {_NEXT} AS SELECT b.*, {_WAITERS} FROM ({spec.next_bounds_sql}) b")
        conn.execute(
            f"PREPARE {_BATCH} AS WITH done AS ({spec.batch_sql} RETURNING 1) "
            f"INSERT INTO {self._table} AS p (relid, attnum, last_key, rows_done, batches, updated_at) "
            "VALUES ($3::oid, $4::int2, $5::text, (SELECT count(*) FROM done), 1, clock_timestamp()) "
            "ON CONFLICT (relid, attnum) DO UPDATE SET last_key = EXCLUDED.last_key, "
            "rows_done = p.rows_done + EXCLUDED.rows_done, batches = p.batches + 1, updated_at = EXCLUDED.updated_at "
            "RETURNING (SELECT count(*) FROM done)")
        if done is None:
            return BackfillStart(None, 0, 0, estimate)
        return BackfillStart(str(done[0]), int(done[1]), int(done[2]), estimate)

    def bounds(self, after: str | None, rows: int) -> BackfillBounds:
        """The first and last key of the next ``rows`` rows after key ``after`` (None: from the start)."""
        if after is None:
            row = self.conn.execute(f"EXECUTE {_FIRST}({int(rows)})").fetchone()
        else:
            row = self.conn.execute(f"EXECUTE {_NEXT}({int(rows)}, {self._literal(after)})").fetchone()
        return BackfillBounds(row[0], row[1], int(row[2]), int(row[3]))

    def batch(self, lo: str, hi: str) -> int:
        """Copy the rows with keys in ``[lo, hi]`` and record ``hi`` as done, in one transaction; rows written."""
        lo_sql, hi_sql = self._literal(lo), self._literal(hi)
        row = self.conn.execute(f"EXECUTE {_BATCH}({lo_sql}, {hi_sql}, {self._relid}, {self._attnum}, {hi_sql})"
                                ).fetchone()
        return int(row[0])

    def finish(self) -> None:
        """The column is full: its progress row goes (a later run of the step finds nothing left to copy)."""
        self.conn.execute(f"DELETE FROM {self._table} WHERE relid = %s AND attnum = %s", (self._relid, self._attnum))

    def close(self) -> None:
        self.conn.execute("RESET synchronous_commit")
        names = [r[0] for r in self.conn.execute(
            "SELECT name FROM pg_prepared_statements WHERE name = ANY(%s)", ([_BATCH, _FIRST, _NEXT],)).fetchall()]
        for name in names:
            self.conn.execute(f"DEALLOCATE {name}")


__all__ = ["PgBackfill"]

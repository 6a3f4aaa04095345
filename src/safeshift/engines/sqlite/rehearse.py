"""Rehearsals on SQLite: copies made with the online backup API and cut down in place; one database-wide lock."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safeshift.engines.base import CopySpec, Lock, engine_for

if TYPE_CHECKING:
    from safeshift.dialects.base import Dialect


class SQLiteRehearsal:
    def locks(self, conn: Any, hidden_schemas: Collection[str] = ()) -> tuple[str | None, list[Lock]]:
        # one lock for the whole file, taken by the runner's BEGIN IMMEDIATE and held to COMMIT
        return None, [Lock("database", "write lock on the whole database (BEGIN IMMEDIATE)", documented=True)]

    def documented_locks(self, sql: str) -> list[Lock]:
        return [Lock("database", "write lock on the whole database", documented=True)]

    def build_copy(self, dialect: Dialect, source: str, scratch: str, spec: CopySpec) -> str:
        import sqlite3

        from safeshift.dialects.sqlite.url import url_path
        from safeshift.engines.sqlite.backup import SQLiteBackup

        dst = Path(url_path(scratch))
        if not Path(url_path(source)).exists():
            return "none needed: the source database file does not exist yet (an empty database)"
        SQLiteBackup.copy(Path(url_path(source)), dst)
        how = "a copy of the source made with SQLite's online backup API"
        if spec.mode == "data":
            return how
        conn = sqlite3.connect(dst, isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys=OFF")
            conn.execute("BEGIN")
            rows = spec.rows or 0
            for t in spec.schema.tables:
                self._keep(conn, dialect, t.schema, t.name, rows,
                           t.primary_key.columns if t.primary_key else ())
            if rows:
                engine_for(dialect).delete_orphans(conn, spec.schema)
            conn.execute("COMMIT")
        finally:
            conn.close()
        if spec.mode == "sample":
            return f"{how}, cut to at most {spec.rows} rows per table (rows whose foreign keys point outside " \
                   "the sample removed)"
        return f"{how}, emptied to the schema (with safeshift's history rows)"

    @staticmethod
    def _keep(conn: Any, dialect: Dialect, schema: str, name: str, rows: int, pk: Sequence[str]) -> None:
        """Delete all but the first ``rows`` rows (by rowid, or by primary key in a WITHOUT ROWID table)."""
        import sqlite3

        table = dialect.qualify(schema, name)
        if rows <= 0:
            conn.execute(f"DELETE FROM {table}")
            return
        try:
            conn.execute(f"DELETE FROM {table} WHERE rowid NOT IN "
                         f"(SELECT rowid FROM {table} ORDER BY rowid LIMIT {int(rows)})")
        except sqlite3.OperationalError:
            if not pk:
                raise
            key = ", ".join(dialect.quote(c) for c in pk)
            conn.execute(f"DELETE FROM {table} WHERE ({key}) NOT IN "
                         f"(SELECT {key} FROM {table} ORDER BY {key} LIMIT {int(rows)})")



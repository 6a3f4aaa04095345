"""The history table: which migrations a database has applied, failed or half-applied.

One row per version.  A migration is ``applied`` once its last step committed; ``failed``
when its last attempt failed (``progress`` says how many of its steps had committed
before that, which only non-transactional statements can leave behind); ``running``
while a migration with non-transactional steps is part-way through, so that a runner
killed between steps leaves an honest record a retry can resume from.  Rollback deletes
the row in the same transaction as the down section.

Values are inlined with ``dialect.literal`` rather than bound, so the same text works on
every driver's parameter style; every value is either ours or a quoted literal.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from safeshift.dialects.base import Dialect
from safeshift.engines.base import engine_for
from safeshift.formats.base import Record as Record
from safeshift.formats.base import Status as Status
from safeshift.formats.base import Store as Store
from safeshift.introspect import own
from safeshift.text import utc_iso
from safeshift.version import __version__

if TYPE_CHECKING:
    from safeshift.formats.safeshift import MigrationFolder

#: the names live below this layer, where introspection leaves out exactly these tables
TABLE = own.HISTORY_TABLE
SCHEMA = own.OWN_SCHEMA


#: column -> type; the order is the table's column order
COLUMNS: Mapping[str, str] = {
    "version": "varchar(14) PRIMARY KEY",
    "name": "text NOT NULL",
    "checksum": "text NOT NULL",
    "status": "text NOT NULL",
    "applied_at": "text NOT NULL",
    "duration_ms": "integer NOT NULL",
    "applied_by": "text NOT NULL",
    "progress": "integer NOT NULL DEFAULT 0",
    "error": "text",
    "tool_version": "text",
    #: review rules the operator let through with --allow-hazards, with where they stood
    "allowed_hazards": "text",
    #: ``<step>:<schema fingerprint>`` written just before a step that commits on its own runs, on a database
    #: that cannot tell afterwards whether it did (MySQL: ``Engine.schema_mark``); every other write clears it
    "step_mark": "text",
}


def table(dialect: Dialect, table_name: str = TABLE) -> str:
    if dialect.capabilities.schemas:
        return dialect.qualify(SCHEMA, table_name)
    return dialect.quote(table_name)


def exists(dialect: Dialect, conn: Any, table_name: str = TABLE) -> bool:
    return engine_for(dialect).table_exists(conn, SCHEMA if dialect.capabilities.schemas else None, table_name)


def ensure(dialect: Dialect, conn: Any, table_name: str = TABLE) -> None:
    """Create the table, or add the columns an older safeshift did not have.

    Called with the runner lock held, so concurrent runners never race on the DDL.
    """
    if dialect.capabilities.schemas:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {dialect.quote(SCHEMA)}")
    cols = ", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())
    conn.execute(f"CREATE TABLE IF NOT EXISTS {table(dialect, table_name)} ({cols})")
    cur = conn.execute(f"SELECT * FROM {table(dialect, table_name)} WHERE 1 = 0")
    have = {d[0] for d in cur.description}
    for name, kind in COLUMNS.items():
        if name not in have:
            conn.execute(f"ALTER TABLE {table(dialect, table_name)} ADD COLUMN {name} "
                         f"{kind.replace(' PRIMARY KEY', '')}")


def read(dialect: Dialect, conn: Any, table_name: str = TABLE) -> dict[str, Record]:
    """Every row, by version; an empty dict when the table does not exist yet."""
    if not exists(dialect, conn, table_name):
        return {}
    cur = conn.execute(f"SELECT * FROM {table(dialect, table_name)} ORDER BY version")
    names = [d[0] for d in cur.description]
    return {r[0]: _record(dict(zip(names, r, strict=True))) for r in cur.fetchall()}


def read_one(dialect: Dialect, conn: Any, version: str, table_name: str = TABLE) -> Record | None:
    cur = conn.execute(f"SELECT * FROM {table(dialect, table_name)} WHERE version = {dialect.literal(version)}")
    row = cur.fetchone()
    return None if row is None else _record(dict(zip([d[0] for d in cur.description], row, strict=True)))


def _record(r: Mapping[str, Any]) -> Record:
    """A row by column name: a table an older safeshift made may lack the newer columns."""
    return Record(r["version"], r["name"], r["checksum"], r["status"], r["applied_at"], int(r["duration_ms"]),
                  r["applied_by"], int(r.get("progress") or 0), r.get("error"), r.get("allowed_hazards"))


def operator() -> str:
    """Who applied it: the OS user and host, plus the CI job when there is one."""
    import getpass
    import socket  # here: the commands that only read the history (verify, status) do not import them

    try:
        user = getpass.getuser()
    except Exception:  # no user name in some containers
        user = "unknown"
    who = f"{user}@{socket.gethostname()}"
    job = os.environ.get("GITHUB_RUN_ID") or os.environ.get("CI_JOB_ID")
    return f"{who} (ci {job})" if job else who


def write(dialect: Dialect, conn: Any, *, version: str, name: str, checksum: str, status: Status,
          duration_ms: int, progress: int = 0, error: str | None = None, who: str | None = None,
          replace: bool = True, allowed_hazards: str | None = None, table_name: str = TABLE) -> None:
    """Insert the row for ``version``, replacing any earlier one unless the caller knows there is none.

    A replacement is one upsert, not DELETE + INSERT: the rows of non-transactional steps
    are written in autocommit, and a runner killed between a DELETE and its INSERT would
    leave a step done with no row saying so (the rerun would then start it afresh).
    """
    lit = dialect.literal
    values = {
        "version": lit(version),
        "name": lit(name),
        "checksum": lit(checksum),
        "status": lit(status),
        "applied_at": lit(utc_iso(zulu=False)),
        "duration_ms": str(int(duration_ms)),
        "applied_by": lit(who or operator()),
        "progress": str(int(progress)),
        "error": lit(error) if error is not None else "NULL",
        "tool_version": lit(__version__),
        "allowed_hazards": lit(allowed_hazards) if allowed_hazards is not None else "NULL",
        "step_mark": "NULL",
    }
    insert = f"INSERT INTO {table(dialect, table_name)} ({', '.join(values)}) VALUES ({', '.join(values.values())})"
    if replace:
        # one statement whatever is there, so the runner can send it in the same round trip as the
        # step it records
        insert += dialect.upsert_sql("version", list(values))
    conn.execute(insert)


def delete(dialect: Dialect, conn: Any, version: str, table_name: str = TABLE) -> None:
    conn.execute(f"DELETE FROM {table(dialect, table_name)} WHERE version = {dialect.literal(version)}")


def set_duration(dialect: Dialect, conn: Any, version: str, duration_ms: int, table_name: str = TABLE) -> None:
    conn.execute(f"UPDATE {table(dialect, table_name)} SET duration_ms = {int(duration_ms)} "
                 f"WHERE version = {dialect.literal(version)}")


def set_status(dialect: Dialect, conn: Any, version: str, status: Status, table_name: str = TABLE) -> None:
    conn.execute(f"UPDATE {table(dialect, table_name)} SET status = {dialect.literal(status)}, progress = 0, "
                 f"step_mark = NULL WHERE version = {dialect.literal(version)}")


def set_mark(dialect: Dialect, conn: Any, version: str, step: int, fingerprint: str, table_name: str = TABLE) -> None:
    """Note, before step ``step`` (0-based) of ``version`` runs alone, what the schema looked like: a runner
    killed between the statement's own commit and its history write leaves this for the next run to compare."""
    conn.execute(f"UPDATE {table(dialect, table_name)} SET step_mark = {dialect.literal(f'{step}:{fingerprint}')} "
                 f"WHERE version = {dialect.literal(version)}")


def read_mark(dialect: Dialect, conn: Any, version: str, step: int, table_name: str = TABLE) -> str | None:
    """The schema fingerprint noted before step ``step`` of ``version`` ran, if that is the last thing the row
    says (any later write of the row clears it); None when nothing was noted for that step."""
    row = conn.execute(f"SELECT step_mark FROM {table(dialect, table_name)} "
                       f"WHERE version = {dialect.literal(version)}").fetchone()
    mark = row[0] if row is not None else None
    head, sep, fingerprint = (mark or "").partition(":")
    return fingerprint if sep and head == str(step) else None


# -- stores: where a folder's history lives ----------------------------------------------------

@dataclass(frozen=True)
class SafeshiftStore:
    """safeshift's history table (``table_name`` in the ``safeshift`` schema)."""

    table_name: str = TABLE

    def ensure(self, dialect: Dialect, conn: Any) -> None:
        ensure(dialect, conn, self.table_name)

    def read(self, dialect: Dialect, conn: Any) -> dict[str, Record]:
        return read(dialect, conn, self.table_name)

    def read_one(self, dialect: Dialect, conn: Any, version: str) -> Record | None:
        return read_one(dialect, conn, version, self.table_name)

    def write(self, dialect: Dialect, conn: Any, *, version: str, name: str, checksum: str, status: Status,
              duration_ms: int, progress: int = 0, error: str | None = None, who: str | None = None,
              replace: bool = True, allowed_hazards: str | None = None) -> None:
        write(dialect, conn, version=version, name=name, checksum=checksum, status=status, duration_ms=duration_ms,
              progress=progress, error=error, who=who, replace=replace, allowed_hazards=allowed_hazards,
              table_name=self.table_name)

    def delete(self, dialect: Dialect, conn: Any, version: str) -> None:
        delete(dialect, conn, version, self.table_name)

    def set_status(self, dialect: Dialect, conn: Any, version: str, status: Status) -> None:
        set_status(dialect, conn, version, status, self.table_name)

    def set_duration(self, dialect: Dialect, conn: Any, version: str, duration_ms: int) -> None:
        set_duration(dialect, conn, version, duration_ms, self.table_name)

    def set_mark(self, dialect: Dialect, conn: Any, version: str, step: int, fingerprint: str) -> None:
        set_mark(dialect, conn, version, step, fingerprint, self.table_name)

    def read_mark(self, dialect: Dialect, conn: Any, version: str, step: int) -> str | None:
        return read_mark(dialect, conn, version, step, self.table_name)


DEFAULT_STORE = SafeshiftStore()


def store_for(folder: MigrationFolder) -> Store:
    """The store a folder's format calls for: safeshift's table, or drizzle's."""
    from safeshift.formats import folder as formats

    return formats.of(folder).store(folder, SafeshiftStore)

"""PostgreSQL's live side: ``PostgresEngine`` (connections and session settings, the runner's advisory
lock, error classification, blocking sessions, table facts, scratch, shadow and development databases),
with the client tools (``tools.py``), the embedded server (``embedded.py``), backups (``backup.py``) and
rehearsal copies (``rehearse.py``) beside it.

Nothing heavy is imported here (psycopg only inside the functions that connect): ``safeshift restore``
imports ``backup.py``, and with it this package, and must not pay for a driver it does not use.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safeshift.dialects.postgres.filters import USER_SCHEMA
from safeshift.engines.base import Blocker, Engine
from safeshift.errors import ConfigError, ConnectionFailed
from safeshift.text import redact_url

if TYPE_CHECKING:
    from safeshift.dialects.backfill import Backfill
    from safeshift.engines.base import BackfillSession, IntrospectOptions, RehearsalBackend
    from safeshift.model import Schema

#: how much the runner's session writes before it asks the kernel to write it back (``prepare_session``)
FLUSH_AFTER = "256kB"

__all__ = ["FLUSH_AFTER", "RUNNER_LOCK_KEY", "PostgresEngine", "open_connection", "read_ahead", "with_database"]


class PostgresEngine(Engine):
    def connect(self, url: str, *, create: bool = True) -> Any:
        return open_connection(url)

    def connect_reader(self, url: str) -> Any:
        """The libpq reader (``libpq.py``) where libpq loads, else psycopg: verify's time at 1,000 tables is
        a fifth psycopg's import.  The reader's transaction (REPEATABLE READ) is open from the start, so an
        introspection leaves it open and what is read after it shares its snapshot."""
        return _libpq_reader(url) or open_connection(url)

    def read_catalog(self, conn: Any, schemas: Sequence[str] | None = None,
                     options: IntrospectOptions | None = None) -> Schema:
        """The catalog reads started ahead on ``conn`` (``read_ahead``) are finished here, when they are for
        these schemas (else closed and read again)."""
        from safeshift.introspect import postgres

        reads = getattr(conn, "reads_ahead", None)
        if reads is not None:
            conn.reads_ahead = None
            if schemas is not None:
                reads.close()
                reads = None
        return postgres.introspect(conn, schemas, options, reads)

    def database_identity(self, conn: Any) -> tuple[object, ...] | None:
        """The cluster's system identifier, the server's start time and the database's name.

        The system identifier alone is shared by a streaming replica and by a server restored from
        a physical backup or disk snapshot (a staging copy of production); the start time tells
        such servers apart and is the same through every route to one server.  Both functions are
        executable by any login on stock PostgreSQL; where a managed service revokes
        pg_control_system(), the start time and the name still identify the database.
        """
        allowed, started, name = conn.execute(
            "SELECT has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE'), "
            "extract(epoch FROM pg_postmaster_start_time())::text, current_database()").fetchone()
        system = conn.execute("SELECT system_identifier::text FROM pg_control_system()").fetchone()[0] \
            if allowed else None
        return ("postgresql", system, started, name)

    def prepare_session(self, conn: Any, *, lock_timeout_ms: int, statement_timeout_ms: int | None,
                        lock_wait_ms: int) -> None:
        conn.autocommit = True
        conn.execute("SET application_name = 'safeshift'")
        conn.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")
        conn.execute(f"SET statement_timeout = {int(statement_timeout_ms or 0)}")
        # every page the migration's statements dirty is written back as they go, not left dirty in the OS
        # page cache (backend_flush_after is 0 by default) for the next checkpoint's fsync to flush all at
        # once, which the application's commits then wait behind.  Not only a backfill's writes: the first
        # scans after one (an online index build, a VALIDATE) set hint bits on every row it touched and write
        # the table out again; at 2M rows, 380 MB left dirty made a 0.22 s checkpoint sync and a 131 ms stall
        # of every writer (bench/write_stall.py).  256kB is the checkpointer's own default
        conn.execute(f"SET backend_flush_after = '{FLUSH_AFTER}'")

    def acquire_runner_lock(self, conn: Any, wait_ms: int, lock_timeout_ms: int) -> str | None:
        """A session advisory lock: freed by the server if the runner dies, so a kill never wedges it.

        Polled with pg_try_advisory_lock, never waited for in a blocking pg_advisory_lock:
        a statement blocked on the lock keeps its snapshot, and a CREATE INDEX CONCURRENTLY
        run by the lock's holder waits for every older snapshot to end, so the two would
        deadlock (the waiter's error, or the holder's migration failing).
        """
        import time

        deadline = time.monotonic() + max(0, wait_ms) / 1000
        pause = 0.01
        while not conn.execute(f"SELECT pg_try_advisory_lock({RUNNER_LOCK_KEY})").fetchone()[0]:
            left = deadline - time.monotonic()
            if left <= 0:
                holder = conn.execute(_LOCK_HOLDER).fetchone()
                if holder is None:
                    return "another safeshift runner"
                return f"pid {holder[0]} ({holder[1] or 'no application name'}, connected {holder[2]:.0f} s ago)"
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.2)
        return None

    def release_runner_lock(self, conn: Any) -> None:
        conn.execute(f"SELECT pg_advisory_unlock({RUNNER_LOCK_KEY})")

    def table_exists(self, conn: Any, schema: str | None, name: str) -> bool:
        qualified = self.dialect.qualify(schema, name) if schema else self.dialect.quote(name)
        row = conn.execute(f"SELECT to_regclass({self.dialect.literal(qualified)}) IS NOT NULL").fetchone()
        return bool(row[0])

    def is_lock_timeout(self, exc: BaseException) -> bool:
        # a deadlock is a lock wait the server cut short: the transaction rolled back, so retry it too
        return getattr(exc, "sqlstate", None) in ("55P03", "40P01")

    def is_connection_lost(self, exc: BaseException, conn: Any) -> bool:
        import psycopg

        return isinstance(exc, psycopg.OperationalError) and bool(getattr(conn, "broken", False) or conn.closed)

    def backend_pid(self, conn: Any) -> int | None:
        return int(conn.info.backend_pid)

    def blocking_sessions(self, conn: Any, pid: int) -> list[Blocker]:
        rows = conn.execute(_BLOCKERS, (pid,)).fetchall()
        return [Blocker(int(r[0]), r[1] or "unknown", r[2] or "", float(r[3] or 0), r[4] or "", r[5] or "")
                for r in rows]

    def before_nontransactional(self, conn: Any, sql: str, resuming: bool) -> bool:
        """Drop the INVALID index a failed CREATE INDEX CONCURRENTLY left, so the retry rebuilds it.

        On a resumed run a VALID index of that name on that table means the earlier run
        built it and died before recording the step: the step is done.  Likewise a resumed
        DROP INDEX CONCURRENTLY whose index is gone already ran.
        """
        dropping = _DROP_CONCURRENT_INDEX.match(sql)
        if dropping is not None:
            target = re.sub(r"\s*\.\s*", ".", dropping["name"])
            return not resuming or bool(conn.execute("SELECT to_regclass(%s) IS NOT NULL", (target,)).fetchone()[0])
        m = _CONCURRENT_INDEX.match(sql)
        if m is None:
            return True
        table = re.sub(r"\s*\.\s*", ".", m["table"])
        row = conn.execute(_INDEX_STATE, (_unquote(m["name"]), table)).fetchone()
        if row is None:
            return True
        schema, name, valid = row
        if not valid:
            conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {self.dialect.qualify(schema, name)}")
            return True
        return not resuming

    def backfill(self, conn: Any, spec: Backfill) -> BackfillSession:
        from safeshift.engines.postgres.backfill import PgBackfill

        return PgBackfill(conn, spec, self.dialect)

    def clean_failed_step(self, conn: Any, sql: str) -> None:
        self.before_nontransactional(conn, sql, False)  # drops an INVALID leftover of a concurrent build

    def development_url(self, state_dir: Path) -> str:
        from safeshift.engines.postgres import embedded

        return embedded.create_database(embedded.ensure_server(embedded.server_dir(state_dir)), "safeshift_dev")

    def existing_development_url(self, state_dir: Path) -> str | None:
        from safeshift.engines.postgres import embedded

        data = embedded.server_dir(state_dir)
        if embedded.server_running(data):  # ensure_server only finds a running server: it starts nothing
            return embedded.database_url(embedded.ensure_server(data), "safeshift_dev")
        if (data / "PG_VERSION").is_file():
            raise ConnectionFailed(f"its embedded server ({data}) is stopped, and this check does not start it")
        return None

    def shadow_database(self, state_dir: Path | None) -> AbstractContextManager[str]:
        from safeshift.engines.postgres import embedded

        if state_dir is None:
            raise ConfigError(f"A throwaway PostgreSQL database lives on a project's embedded server, and "
                              f"{_NO_PROJECT}: run `safeshift init` to start a project.")
        return embedded.scratch_database(state_dir)

    def scratch_database(self, url: str, state_dir: Path | None) -> AbstractContextManager[str]:
        return _scratch_beside(url, state_dir)

    def rehearsal_backend(self) -> RehearsalBackend:
        from safeshift.engines.postgres.rehearse import PostgresRehearsal

        return PostgresRehearsal()

    def table_facts(self, conn: Any) -> dict[str, tuple[int | None, int | None]]:
        found = conn.execute(
            # catalog numbers only: a size function would queue behind a lock a migration is waiting on
            "SELECT n.nspname, c.relname, c.reltuples::bigint, "
            "c.relpages::bigint * pg_catalog.current_setting('block_size')::bigint "
            "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE c.relkind IN ('r', 'p') AND {USER_SCHEMA}").fetchall()
        # reltuples is -1 until the table was first vacuumed or analysed: unknown, not empty
        return {f"{schema}.{name}": (n if n >= 0 else None, size) for schema, name, n, size in found}


def open_connection(url: str) -> Any:
    """A psycopg connection for ``url`` (autocommit off, 10 s to connect unless the URL says otherwise)."""
    import psycopg

    conninfo = _conninfo(url)
    try:
        if "connect_timeout" in conninfo:  # the URL's own ?connect_timeout= wins
            return psycopg.connect(conninfo, autocommit=False)
        return psycopg.connect(conninfo, autocommit=False, connect_timeout=10)
    except psycopg.Error as exc:
        raise ConnectionFailed(f"Cannot connect to {redact_url(url)}: {_reason(exc)}.") from exc


def _libpq_reader(url: str) -> Any | None:
    """A libpq reader of ``url`` in its transaction (opened now), None where libpq cannot be loaded."""
    from safeshift.engines.postgres import libpq

    if libpq.load() is None:
        return None
    try:
        conn = libpq.connect(_conninfo(url))
    except libpq.LibpqError as exc:
        raise ConnectionFailed(f"Cannot connect to {redact_url(url)}: {_reason(exc)}.") from exc
    try:
        conn.begin()
    except libpq.LibpqError as exc:
        conn.close()
        raise ConnectionFailed(f"Cannot read {redact_url(url)}: {_reason(exc)}.") from exc
    return conn


def read_ahead(url: str) -> Any | None:
    """A reader of ``url`` (``connect_reader``'s) in a transaction of its own whose catalog reads for an
    introspection of every schema are already on their way (``reads_ahead``), None where libpq cannot be loaded.

    For a command that reads the catalog and must first import most of safeshift (``verify``): the server
    works while the model, the dialect and the codecs are imported.  Imports nothing of the model.  The
    transaction is the reader's snapshot for everything read on it (the history too); closing the connection
    closes the reads.
    """
    from safeshift.introspect.postgres_reads import CatalogReads

    conn = _libpq_reader(url)
    if conn is None:
        return None
    try:
        conn.reads_ahead = CatalogReads.start(conn)  # in the reader's open transaction, which it leaves open
    except BaseException:
        conn.close()
        raise
    return conn


def _conninfo(url: str) -> str:
    """The URL as libpq reads it: a SQLAlchemy-style driver suffix (``postgresql+psycopg:``) dropped."""
    return re.sub(r"^(postgres(?:ql)?)\+[A-Za-z0-9_]+:", r"\1:", url.strip())


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    if "FATAL:" in text:
        text = text.rsplit("FATAL:", 1)[1]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    reason = lines[0] if lines else type(exc).__name__
    return redact_url(reason).rstrip(".")


#: the runner's advisory lock key: 'SAFE' 'SHFT' as one positive bigint
RUNNER_LOCK_KEY = (0x53414645 << 32) | 0x53484654

_LOCK_HOLDER = f"""
SELECT a.pid, a.application_name, extract(epoch FROM now() - a.backend_start)::float
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database
      WHERE datname = current_database())
  AND l.classid = {RUNNER_LOCK_KEY >> 32} AND l.objid = {RUNNER_LOCK_KEY & 0xFFFFFFFF} AND l.objsubid = 1
LIMIT 1
"""

#: the oldest first: the message names the first, and the session whose transaction has been open longest is
#: the one to act on (behind it, sessions that queued after the waiting statement come and go)
_BLOCKERS = """
SELECT a.pid, a.state, a.query, extract(epoch FROM now() - coalesce(a.xact_start, a.query_start))::float,
       a.usename, a.application_name
FROM pg_stat_activity a WHERE a.pid = ANY (pg_blocking_pids(%s)) ORDER BY 4 DESC, a.pid
"""

_INDEX_STATE = """
SELECT n.nspname, c.relname, i.indisvalid
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname = %s AND i.indrelid = to_regclass(%s)
"""

_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_CONCURRENT_INDEX = re.compile(
    rf"\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_IDENT})\s+ON\s+"
    rf"(?:ONLY\s+)?(?P<table>{_IDENT}(?:\s*\.\s*{_IDENT})?)",
    re.IGNORECASE,
)
_DROP_CONCURRENT_INDEX = re.compile(
    rf"\s*DROP\s+INDEX\s+CONCURRENTLY\s+(?:IF\s+EXISTS\s+)?(?P<name>{_IDENT}(?:\s*\.\s*{_IDENT})?)\s*;?\s*$",
    re.IGNORECASE,
)


def _unquote(ident: str) -> str:
    return ident[1:-1].replace('""', '"') if ident.startswith('"') else ident.lower()


def with_database(url: str, database: str) -> str:
    """``url`` naming another database on the same server (URI or ``key=value`` conninfo)."""
    from urllib.parse import urlsplit, urlunsplit

    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    if "://" in url:
        return urlunsplit(urlsplit(url)._replace(path="/" + database))
    return make_conninfo(**{**{k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None},
                            "dbname": database})


#: why nothing is started outside a project: the embedded server lives in the project's ``.safeshift/``
_NO_PROJECT = "there is no safeshift.toml here or in any parent folder"


@contextlib.contextmanager
def _scratch_beside(url: str, state_dir: Path | None) -> Iterator[str]:
    """CREATE DATABASE on ``url``'s server; without the CREATEDB right, a database on the project's embedded
    server (outside a project, ``state_dir`` None: refused, so no server starts in a stray folder)."""
    import uuid

    import psycopg
    from psycopg import sql

    from safeshift.engines.postgres import embedded

    name = f"safeshift_scratch_{uuid.uuid4().hex[:10]}"
    conn = open_connection(url)
    try:
        conn.autocommit = True
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    except psycopg.errors.InsufficientPrivilege:
        conn.close()
        if state_dir is None:
            raise ConfigError(f"The user of {redact_url(url)} may not create databases (CREATEDB), and "
                              f"{_NO_PROJECT} whose embedded server could hold the scratch database: grant CREATEDB, "
                              "or run this in a project (`safeshift init`).") from None
        with embedded.scratch_database(state_dir, prefix="safeshift_scratch") as fallback:
            yield fallback
        return
    except BaseException:
        conn.close()
        raise
    try:
        yield with_database(url, name)
    finally:
        try:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        finally:
            conn.close()

"""MySQL's and MariaDB's live side: ``MySQLEngine`` (connections from a URL with the password never shown,
session settings, introspection, table facts), the runner's ``GET_LOCK`` lock (``lock.py``), the sessions
that block a migration (``blockers.py``) and the schema fingerprint of a step that commits on its own
(``marks.py``), scratch and shadow databases (``databases.py``), backups with the client tools (``backup.py``,
``tools.py``) and rehearsal copies (``rehearse.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safeshift.dialects.mysql.url import parse_url
from safeshift.engines.base import Blocker, Engine
from safeshift.engines.mysql.connection import MySQLConnection
from safeshift.errors import ConfigError, ConnectionFailed
from safeshift.text import redact_url

if TYPE_CHECKING:
    from safeshift.dialects.mysql import MySQLDialect
    from safeshift.engines.base import IntrospectOptions, RehearsalBackend
    from safeshift.model import Schema

__all__ = ["MySQLEngine"]

#: session settings every connection gets: ANSI-free SQL as the renderer writes it, UTC, strict modes
_SESSION = ("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
            "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'", "SET SESSION time_zone = '+00:00'")

#: MySQL error numbers: lock wait timeout, deadlock, server gone, lost connection
_LOCK_TIMEOUT = 1205
_DEADLOCK = 1213
_GONE = (2006, 2013)


def _not_yet(what: str) -> ConfigError:
    return ConfigError(f"{what} is not supported on MySQL/MariaDB yet (issue 19); use a PostgreSQL or SQLite "
                       "project for it until then.")


class MySQLEngine(Engine):
    dialect: MySQLDialect

    def connect(self, url: str, *, create: bool = True) -> Any:
        try:
            import pymysql
        except ImportError as exc:
            raise ConfigError("MySQL needs the PyMySQL driver; install it with pip install 'safeshift[mysql]'.") \
                from exc
        target = parse_url(url)
        if not target.database:
            raise ConfigError(f"The URL {redact_url(url)} names no database; add one (mysql://user@host:3306/app).")
        try:
            raw = pymysql.connect(host=target.host, port=target.port, user=target.user, password=target.password,
                                  database=target.database, unix_socket=target.unix_socket, autocommit=False,
                                  charset="utf8mb4", connect_timeout=10)
        except pymysql.Error as exc:
            message = str(exc).replace(target.password, "***") if target.password else str(exc)
            raise ConnectionFailed(f"Cannot connect to {redact_url(url)}: {message}; check the host, the "
                                   "credentials and that the database exists.") from None
        conn = MySQLConnection(raw)
        for sql in _SESSION:
            conn.execute(sql)
        return conn

    def read_catalog(self, conn: Any, schemas: Sequence[str] | None = None,
                     options: IntrospectOptions | None = None) -> Schema:
        """Privileges are not read on MySQL yet: a project that opts in is refused, not answered without them."""
        if options is not None and options.privileges:
            raise _not_yet("Comparing privileges (privileges = true)")
        from safeshift.introspect import mysql

        return mysql.introspect(conn, self.dialect)

    def database_identity(self, conn: Any) -> tuple[object, ...] | None:
        row = conn.execute("SELECT @@server_uuid, @@hostname, @@port, DATABASE()").fetchone() \
            if self._has_server_uuid(conn) else conn.execute("SELECT @@hostname, @@port, DATABASE()").fetchone()
        return ("mysql", *row)

    def _has_server_uuid(self, conn: Any) -> bool:
        return conn.execute("SHOW VARIABLES LIKE 'server_uuid'").fetchone() is not None

    def server_version(self, conn: Any) -> str:
        """``10.11.19-MariaDB-...`` or ``8.0.36``: what the capabilities by version are read from."""
        return str(conn.execute("SELECT VERSION()").fetchone()[0])

    def prepare_session(self, conn: Any, *, lock_timeout_ms: int, statement_timeout_ms: int | None,
                        lock_wait_ms: int) -> None:
        """``lock_wait_timeout`` (whole seconds, at least 1) plays PostgreSQL's ``lock_timeout`` role for the
        metadata locks DDL waits for; InnoDB's row lock wait too."""
        conn.autocommit = True
        seconds = max(1, -(-int(lock_timeout_ms) // 1000))
        conn.execute(f"SET SESSION lock_wait_timeout = {seconds}")
        conn.execute(f"SET SESSION innodb_lock_wait_timeout = {seconds}")
        if statement_timeout_ms:
            conn.execute(f"SET SESSION max_statement_time = {statement_timeout_ms / 1000:.3f}")

    # -- the runner: GET_LOCK, blockers, the fingerprint of a step run alone (lock.py, blockers.py, marks.py)
    def acquire_runner_lock(self, conn: Any, wait_ms: int, lock_timeout_ms: int) -> str | None:
        from safeshift.engines.mysql import lock

        holder = lock.acquire(conn, wait_ms)
        if holder is None:
            key, ident = _lock_key(conn)
            _HELD[key] = ident
        return holder

    def release_runner_lock(self, conn: Any) -> None:
        from safeshift.engines.mysql import lock

        lock.release(conn)
        with contextlib.suppress(Exception):  # a lost connection: the server freed the lock, the entry is stale
            key, ident = _lock_key(conn)
            # GET_LOCK nests on one session (a deploy's runner takes it again to migrate): still held, still ours
            used = conn.execute("SELECT IS_USED_LOCK(%s)", (key[2],)).fetchone()[0]
            if _HELD.get(key) == ident and (used is None or int(used) != ident):
                del _HELD[key]

    def holds_runner_lock(self, conn: Any) -> bool:
        """Whether a session of this process holds the runner lock of ``conn``'s database: a restore over it
        during a deploy's ``on_failure = "restore"`` runs under that deploy's lock instead of waiting for it."""
        key, _ = _lock_key(conn)
        ident = _HELD.get(key)
        if ident is None:
            return False
        used = conn.execute("SELECT IS_USED_LOCK(%s)", (key[2],)).fetchone()[0]
        return used is not None and int(used) == ident

    def backend_pid(self, conn: Any) -> int | None:
        return int(conn.execute("SELECT CONNECTION_ID()").fetchone()[0])

    def blocking_sessions(self, conn: Any, pid: int) -> list[Blocker]:
        from safeshift.engines.mysql import blockers

        return blockers.blocking_sessions(conn, pid)

    def schema_mark(self, conn: Any) -> str | None:
        """Each DDL statement commits on its own: the fingerprint that tells a resumed run whether it did."""
        from safeshift.engines.mysql import marks

        return marks.fingerprint(conn)

    def table_exists(self, conn: Any, schema: str | None, name: str) -> bool:
        row = conn.execute("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                           "AND TABLE_NAME = %s", (name,)).fetchone()
        return row is not None

    def is_lock_timeout(self, exc: BaseException) -> bool:
        # a deadlock (1213) is a lock wait the server cut short, rolling the transaction back: retried too
        return self.error_code(exc) in (str(_LOCK_TIMEOUT), str(_DEADLOCK))

    def is_connection_lost(self, exc: BaseException, conn: Any) -> bool:
        import pymysql

        if isinstance(exc, pymysql.err.InterfaceError):  # PyMySQL's error for a connection it has closed
            return True
        return self.error_code(exc) in {str(n) for n in _GONE}

    def error_code(self, exc: BaseException) -> str | None:
        args = getattr(exc, "args", ())
        return str(args[0]) if args and isinstance(args[0], int) else None

    def table_facts(self, conn: Any) -> dict[str, tuple[int | None, int | None]]:
        """InnoDB's row estimate and data + index bytes per table, from one query."""
        rows = conn.execute("SELECT TABLE_NAME, TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES "
                            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'").fetchall()
        return {f"{self.dialect.default_schema}.{r[0]}": (None if r[1] is None else int(r[1]),
                                                          None if r[2] is None else int(r[2])) for r in rows}

    def development_url(self, state_dir: Path) -> str:
        raise ConfigError("MySQL projects have no embedded development database; give the environment a url "
                          "(mysql://user@127.0.0.1:3306/app_dev).")

    # -- scratch and shadow databases, backups, rehearsals (databases.py, backup.py, rehearse.py) ------------
    def shadow_database(self, state_dir: Path | None) -> AbstractContextManager[str]:
        raise ConfigError("A MySQL project's SQL-file schema runs on a throwaway database of a server it names: set "
                          "shadow_url in safeshift.toml (mysql://user@127.0.0.1:3306/any_database) or give the "
                          "development environment a url.")

    def scratch_database(self, url: str, state_dir: Path | None) -> AbstractContextManager[str]:
        from safeshift.engines.mysql import databases

        return databases.scratch_database(url)

    def rehearsal_backend(self) -> RehearsalBackend:
        from safeshift.engines.mysql.rehearse import MySQLRehearsal

        return MySQLRehearsal()


#: the runner locks sessions of this process hold: (server host name, port, lock name) -> connection id
_HELD: dict[tuple[str, int, str], int] = {}


def _lock_key(conn: Any) -> tuple[tuple[str, int, str], int]:
    from safeshift.engines.mysql import lock

    host, port, ident = conn.execute("SELECT @@hostname, @@port, CONNECTION_ID()").fetchone()
    return (str(host), int(port), lock.current_name(conn)), int(ident)

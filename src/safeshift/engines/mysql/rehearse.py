"""Rehearsals on MySQL/MariaDB: scratch copies built with the dump tool piped into the client (schema only,
every row, or a per-table sample), and the locks a statement takes.

MySQL commits every DDL statement on its own, so the runner runs them outside a transaction and a
rehearsal cannot look at what they held once they finished: each gets the lock the server's documentation
gives its kind and ALGORITHM/LOCK clause (marked ``documented``).  Statements inside a transaction (data
changes) show the metadata locks they hold, read from MariaDB's ``METADATA_LOCK_INFO`` plugin or MySQL 8's
``performance_schema.metadata_locks`` when the server has them; without either the report says the locks
could not be observed rather than showing none.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from safeshift.dialects.mysql.locks import (
    EXCLUSIVE,
    INSTANT,
    SERVER_CHOICE,
    SHARED_NO_WRITE,
    SHARED_UPGRADABLE,
    SHARED_WRITE,
)
from safeshift.engines import processes
from safeshift.engines.base import CopySpec, Lock, engine_for
from safeshift.engines.mysql.backup import dump_argv
from safeshift.engines.mysql.databases import connect
from safeshift.engines.mysql.tools import client_for, database_of, error_line, option_file, tool_argv

if TYPE_CHECKING:
    from safeshift.dialects.base import Dialect

__all__ = ["MySQLRehearsal", "documented_locks"]

#: one identifier as written (backquoted, ``````  inside for a backquote, or bare), possibly qualified
_IDENT = r"(?:`(?:[^`]|``)+`|[\w$]+)"
_NAME = rf"(?P<rel>{_IDENT}(?:\s*\.\s*{_IDENT})?)"
_PART = re.compile(_IDENT)


_ALTER = re.compile(rf"^\s*ALTER\s+(?:ONLINE\s+)?(?:IGNORE\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?{_NAME}", re.IGNORECASE)
_CREATE_INDEX = re.compile(rf"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:ONLINE\s+)?(?P<kind>UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?"
                           rf"INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?{_IDENT}\s+(?:USING\s+\w+\s+)?ON\s+{_NAME}",
                           re.IGNORECASE)
_DROP_INDEX = re.compile(rf"^\s*DROP\s+INDEX\s+(?:IF\s+EXISTS\s+)?{_IDENT}\s+ON\s+{_NAME}", re.IGNORECASE)
_EXCLUSIVE = re.compile(rf"^\s*(?:CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                        rf"|DROP\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?|TRUNCATE\s+(?:TABLE\s+)?"
                        rf"|RENAME\s+TABLES?\s+|OPTIMIZE\s+(?:NO_WRITE_TO_BINLOG\s+|LOCAL\s+)?TABLE\s+){_NAME}",
                        re.IGNORECASE)
_DML = re.compile(rf"^\s*(?:INSERT\s+(?:IGNORE\s+)?(?:INTO\s+)?|REPLACE\s+(?:INTO\s+)?|UPDATE\s+(?:IGNORE\s+)?"
                  rf"|DELETE\s+(?:IGNORE\s+)?FROM\s+){_NAME}", re.IGNORECASE)
_ALGORITHM = re.compile(r"\bALGORITHM\s*=?\s*(\w+)", re.IGNORECASE)
_LOCK = re.compile(r"\bLOCK\s*=?\s*(\w+)", re.IGNORECASE)


def _relation(written: str) -> str:
    """``\\`app\\`.\\`users\\``` → ``app.users``: backquotes off, as the server names tables."""
    return ".".join(p[1:-1].replace("``", "`") if p.startswith("`") else p for p in _PART.findall(written))


def _alter_mode(sql: str, default: str) -> str:
    """The lock an ALTER (or CREATE/DROP INDEX) takes by its ALGORITHM and LOCK clauses (the server refuses
    one it cannot honour rather than taking a stronger lock)."""
    algorithm = (m.group(1).upper() if (m := _ALGORITHM.search(sql)) else "")
    lock = (m.group(1).upper() if (m := _LOCK.search(sql)) else "")
    if lock == "EXCLUSIVE":
        return EXCLUSIVE
    if lock == "SHARED" or algorithm == "COPY":
        return SHARED_NO_WRITE
    if algorithm in ("INSTANT", "NOCOPY") and lock in ("", "NONE", "DEFAULT"):
        return INSTANT if algorithm == "INSTANT" else SHARED_UPGRADABLE
    if algorithm == "INPLACE" or lock == "NONE":
        return SHARED_UPGRADABLE
    return default


def documented_locks(sql: str) -> list[Lock]:
    """The metadata lock the documentation gives this kind of statement (MySQL 8's "Online DDL Operations",
    MariaDB's "InnoDB Online DDL Overview"); nothing for a statement of a kind not listed here."""
    if m := _ALTER.match(sql):
        return [Lock("metadata", _alter_mode(sql, SERVER_CHOICE), _relation(m["rel"]), documented=True)]
    if m := _CREATE_INDEX.match(sql):
        # a secondary index builds in place with writes going on; the first FULLTEXT index rebuilds the table
        default = SHARED_NO_WRITE if (m["kind"] or "").strip().upper() == "FULLTEXT" else SHARED_UPGRADABLE
        return [Lock("metadata", _alter_mode(sql, default), _relation(m["rel"]), documented=True)]
    if m := _DROP_INDEX.match(sql):
        return [Lock("metadata", _alter_mode(sql, SHARED_UPGRADABLE), _relation(m["rel"]), documented=True)]
    if m := _EXCLUSIVE.match(sql):
        return [Lock("metadata", EXCLUSIVE, _relation(m["rel"]), documented=True)]
    if m := _DML.match(sql):
        return [Lock("metadata", SHARED_WRITE, _relation(m["rel"]), documented=True)]
    return []


_MARIADB_MDL = ("SELECT LOCK_MODE, TABLE_SCHEMA, TABLE_NAME FROM information_schema.METADATA_LOCK_INFO "
                "WHERE THREAD_ID = CONNECTION_ID() AND LOCK_TYPE LIKE 'Table%'")
_MYSQL_MDL = ("SELECT m.LOCK_TYPE, m.OBJECT_SCHEMA, m.OBJECT_NAME FROM performance_schema.metadata_locks m "
              "JOIN performance_schema.threads t ON t.THREAD_ID = m.OWNER_THREAD_ID "
              "WHERE t.PROCESSLIST_ID = CONNECTION_ID() AND m.OBJECT_TYPE = 'TABLE' AND m.LOCK_STATUS = 'GRANTED'")
_SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")
#: what a statement inside a transaction is shown holding on a server that cannot list a session's locks
NOT_OBSERVABLE = ("metadata locks not observable on this server (load MariaDB's metadata_lock_info plugin, or "
                  "turn on MySQL's performance_schema, to see them)")
#: safeshift's history table in the migrated database (``history.TABLE``: the execution layer, which an engine
#: may not import; tests/rehearse/test_mysql_rehearse.py holds the two equal)
HISTORY_TABLE = "safeshift_migrations"


class MySQLRehearsal:
    def __init__(self) -> None:
        #: the query that lists a session's metadata locks on this server, once found out (None: no way to)
        self._mdl: str | bool | None = False

    def _mdl_query(self, conn: Any) -> str | None:
        """MariaDB's ``METADATA_LOCK_INFO`` plugin when it is loaded, else MySQL's ``performance_schema`` when it
        is on with the metadata lock instrument enabled; None when neither (both ship off or unloaded on
        MariaDB, and an empty ``performance_schema`` table would read as no locks at all)."""
        if self._mdl is False:
            self._mdl = None
            if conn.execute("SELECT 1 FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' "
                            "AND PLUGIN_STATUS = 'ACTIVE'").fetchone() is not None:
                self._mdl = _MARIADB_MDL
            elif conn.execute("SELECT @@performance_schema").fetchone()[0]:
                row = conn.execute("SELECT ENABLED FROM performance_schema.setup_instruments "
                                   "WHERE NAME = 'wait/lock/metadata/sql/mdl'").fetchone()
                self._mdl = _MYSQL_MDL if row is not None and str(row[0]).upper() == "YES" else None
        return self._mdl if isinstance(self._mdl, str) else None

    def locks(self, conn: Any, hidden_schemas: Collection[str] = ()) -> tuple[str | None, list[Lock]]:
        txn = _own_transaction(conn)
        query = self._mdl_query(conn)
        if query is None:
            return txn, [Lock("metadata", NOT_OBSERVABLE)]
        out = [Lock("metadata", str(mode).removeprefix("MDL_"), f"{schema}.{name}")
               for mode, schema, name in conn.execute(query).fetchall()
               if schema not in _SYSTEM_SCHEMAS and name != HISTORY_TABLE]
        return txn, sorted(out, key=lambda lk: (lk.relation or "", lk.mode))

    def documented_locks(self, sql: str) -> list[Lock]:
        return documented_locks(sql)

    def build_copy(self, dialect: Dialect, source: str, scratch: str, spec: CopySpec) -> str:
        """Dump piped into the client: everything (``data``), or the definitions (``--no-data``, programs
        included) plus the history tables whole and, for ``sample``, the first ``rows`` rows of every other
        table (``--where "1 LIMIT n"``), then the rows whose foreign keys point outside the sample deleted."""
        conn = connect(source)
        try:
            version = str(conn.execute("SELECT VERSION()").fetchone()[0])
            tables = [r[0] for r in conn.execute(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME").fetchall()]
        finally:
            conn.close()
        if spec.mode == "data":
            _pipe(source, scratch, version, ())
            return "a fresh dump of the source (mariadb-dump/mysqldump --single-transaction) loaded into it"
        history = [t for t in (HISTORY_TABLE, *(name for _, name in spec.history_tables)) if t in tables]
        _pipe(source, scratch, version, ("--no-data",))
        if history:
            _pipe(source, scratch, version, ("--no-create-info", "--skip-triggers", "--skip-routines",
                                             "--skip-events"), tables=history)
        rest = [t for t in tables if t not in history]
        if spec.mode != "sample" or not rest:
            shown = ", ".join(history) or "none yet"
            return f"a dump of the source's definitions (--no-data) with its history tables' rows ({shown})"
        _pipe(source, scratch, version, ("--no-create-info", "--skip-triggers", "--skip-routines", "--skip-events",
                                         f"--where=1 LIMIT {int(spec.rows or 0)}"), tables=rest)
        copy = engine_for(dialect).connect(scratch)
        try:
            engine_for(dialect).delete_orphans(copy, spec.schema)
            copy.commit()
        finally:
            copy.close()
        return (f"a dump of the source's definitions (--no-data), at most {spec.rows} rows per table (rows whose "
                "foreign keys point outside the sample removed)")


def _pipe(source: str, scratch: str, version: str, extra: tuple[str, ...], *, tables: list[str] | None = None) -> None:
    """``dump SOURCE [tables] | client SCRATCH`` without a file in between; both killed on an error or Ctrl-C."""
    src_target, src_db = database_of(source)
    dst_target, dst_db = database_of(scratch)
    dump_tool = client_for("dump", version)
    client = client_for("client", version)
    secrets = (src_target.password, dst_target.password)
    with option_file(src_target) as src_opts, option_file(dst_target) as dst_opts:
        cmd = dump_argv(dump_tool, src_opts, src_db, *extra)
        if tables:
            cmd += tables
        processes.pipe(
            cmd, tool_argv(client, dst_opts, "--default-character-set=utf8mb4", "--batch", "--", dst_db),
            lambda err, code: f"Could not build the scratch copy: {dump_tool.name} of the source failed: "
                              f"{error_line(err, code, *secrets)}.",
            lambda err, code: f"Could not build the scratch copy: {client.name} failed: "
                              f"{error_line(err, code, *secrets)}.")


#: how often InnoDB refreshes what ``information_schema.INNODB_TRX`` shows: a read within this long of another
#: session's read gets the earlier copy, without a transaction begun since (seen: a test's UPDATE not listed
#: while other tests read the table)
_TRX_CACHE_S = 0.1


def _own_transaction(conn: Any) -> str | None:
    """The InnoDB transaction id of ``conn``'s open transaction; None when it has none.  Not listed at first,
    it is asked again once the server's copy of the list is older than its refresh interval."""
    for wait in (0.0, _TRX_CACHE_S + 0.01):
        time.sleep(wait)
        row = conn.execute("SELECT trx_id FROM information_schema.INNODB_TRX "
                           "WHERE trx_mysql_thread_id = CONNECTION_ID()").fetchone()
        if row is not None:
            return str(row[0])
    return None

"""Backups of MySQL and MariaDB databases (``MySQLEngine.backup_engine()``): ``mariadb-dump``/``mysqldump``
into a gzip file, a completeness check, restores through the ``mariadb``/``mysql`` client, the swap that
replaces a database's tables all at once, and fingerprints that compare a restore with its source.

The dump is one consistent InnoDB snapshot (``--single-transaction``): the app keeps writing, nothing is
locked.  The server cannot hand that snapshot to another session (PostgreSQL's ``pg_export_snapshot`` has no
MySQL equivalent, and ``FLUSH TABLES WITH READ LOCK`` to line two snapshots up stalls every writer of the
server behind any long query), so the restore check fingerprints the source just before and just after the
dump: equal, they are what the dump read; different, the check says which tables were written meanwhile
instead of guessing.
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
import subprocess
import threading
import zlib
from pathlib import Path
from typing import IO, Any

from safeshift.engines import processes
from safeshift.engines.base import Dumped, Engine, Fingerprint, Manifest, engine_for, server_major
from safeshift.engines.mysql.databases import connect, scratch_database
from safeshift.engines.mysql.tools import (
    Client,
    client_for,
    database_of,
    error_line,
    is_mariadb,
    option_file,
    tool_argv,
)
from safeshift.errors import BackupError, RestoreLockTimeout, RunnerBusy
from safeshift.text import redact_url

__all__ = ["DUMP_OPTIONS", "MySQLBackup", "dump_argv", "fingerprint_conn", "load", "objects_besides_tables"]

#: what a faithful copy of one database needs: one consistent snapshot without locking the app out, the
#: stored programs too, binary data as hex (no character set conversion can touch it), utf8mb4 on the wire,
#: no tablespace statements (they need the PROCESS right and belong to the server, not the database)
DUMP_OPTIONS = ("--single-transaction", "--skip-lock-tables", "--routines", "--triggers", "--events", "--hex-blob",
                "--default-character-set=utf8mb4", "--no-tablespaces", "--quick")
#: gzip level of the dump: level 1 keeps the compression off the deploy's critical path (as pg_dump -Z1)
COMPRESS_LEVEL = 1
#: the first line of every dump either family writes, and the last one, written only when it finished
_HEADERS = (b"-- MariaDB dump", b"-- MySQL dump", b"/*M!999999")
_COMPLETED = b"-- Dump completed"
_CHUNK = 1 << 20
#: dumps tried for a restore check before giving up on a source that is written throughout
DUMP_TRIES = 3
#: MySQL error number: a lock wait (metadata or row) timed out
_LOCK_WAIT_TIMEOUT = 1205


def dump_argv(tool: Client, options: Path, database: str, *extra: str) -> list[str]:
    """The dump command for ``database``: the connection in the option file, never on the command line.

    MySQL's mysqldump also gets ``--set-gtid-purged=OFF`` (a GTID line would make the restore fail on a
    server with GTIDs of its own); MariaDB's does not know that option.
    """
    family = () if "mariadb" in tool.version.lower() else ("--set-gtid-purged=OFF",)
    return tool_argv(tool, options, *DUMP_OPTIONS, *family, *extra, "--", database)


def _tables(conn: Any) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME").fetchall()]


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def fingerprint_conn(conn: Any) -> Fingerprint:
    """Per table: the row count and an order-independent checksum (each row's CRC32, summed exactly).

    A row is hashed as ``QUOTE()`` of every column joined by commas: ``QUOTE`` spells NULL apart from the
    string 'NULL' and escapes what a separator could blur, and it reads the stored value, so a dump and
    restore that keeps every value keeps the checksum (``CHECKSUM TABLE`` depends on the row format, which a
    restore onto other server settings may change).  CRC32 rather than MD5: a third of the time on a million
    rows (1.3 s against 4.3 s here), and a changed row still changes the sum but for odds of one in 2^32.
    Read in the caller's transaction, if any.
    """
    out: Fingerprint = {}
    columns: dict[str, list[str]] = {}
    for table, column in conn.execute(
            "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
            "ORDER BY TABLE_NAME, ORDINAL_POSITION").fetchall():
        columns.setdefault(table, []).append(column)
    for table in _tables(conn):
        row = ", ".join(f"QUOTE({_quote(c)})" for c in columns.get(table, [])) or "''"
        count, total = conn.execute(
            f"SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS(',', {row}))), 0) FROM {_quote(table)}").fetchone()
        out[table] = (int(count), f"{int(total):x}")
    return out


def _snapshot_fingerprint(conn: Any) -> Fingerprint:
    conn.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
    try:
        return fingerprint_conn(conn)
    finally:
        conn.execute("COMMIT")


def objects_besides_tables(conn: Any) -> list[str]:
    """Views, triggers, routines and events of the database behind ``conn``, named (``view v``)."""
    found = conn.execute(
        "SELECT 'view', TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() "
        "UNION ALL SELECT 'trigger', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() "
        "UNION ALL SELECT LOWER(ROUTINE_TYPE), ROUTINE_NAME FROM information_schema.ROUTINES "
        "WHERE ROUTINE_SCHEMA = DATABASE() "
        "UNION ALL SELECT 'event', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()"
    ).fetchall()
    return [f"{kind} {name}" for kind, name in found]


def _empty(conn: Any) -> None:
    """Drop everything a failed load left in the database behind ``conn`` (tables, views, programs)."""
    conn.execute("SET SESSION FOREIGN_KEY_CHECKS = 0")
    try:
        for kind_name in objects_besides_tables(conn):
            kind, _, name = kind_name.partition(" ")
            if kind != "trigger":  # a trigger goes with its table
                conn.execute(f"DROP {kind.upper()} IF EXISTS {_quote(name)}")
        for table in _tables(conn):
            conn.execute(f"DROP TABLE IF EXISTS {_quote(table)}")
    finally:
        conn.execute("SET SESSION FOREIGN_KEY_CHECKS = 1")


def _running(cmd: list[str], what: str, url: str, secret: str, **popen: Any) -> contextlib.AbstractContextManager[
        subprocess.Popen[bytes]]:
    """A client tool running while the block feeds or drains it; killed if the block fails; one redacted
    sentence if it exits non-zero."""
    return processes.running(cmd, lambda err, code: f"{what} of {redact_url(url)} failed: "
                                                    f"{error_line(err, code, secret)}.", **popen)


def _copy_stream(source: IO[bytes] | gzip.GzipFile, sink: IO[bytes] | gzip.GzipFile) -> None:
    """Copy until the end of ``source``; a sink that quit early (the client died) ends the copy quietly,
    its exit code says why."""
    with contextlib.suppress(BrokenPipeError):
        shutil.copyfileobj(source, sink, _CHUNK)


#: what the client gets around the dump: each table's rows in one transaction (the dump's CREATE TABLE of the
#: next table commits the one before), which lets MariaDB 10.6+ fill an empty table in its bulk mode (the dump
#: already turns unique and foreign key checks off); and the last table's rows commit only once the whole
#: dump went through, the tail being sent only then
_LOAD_HEAD = b"SET autocommit = 0;\n"
_LOAD_TAIL = b"\nCOMMIT;\n"


def load(path: Path, url: str, server_version: str) -> None:
    """Feed a dump to the client into the database ``url`` names; stops at the first failing statement."""
    target, database = database_of(url)
    client = client_for("client", server_version)
    with option_file(target) as options:
        cmd = tool_argv(client, options, "--default-character-set=utf8mb4", "--batch", "--", database)
        with gzip.open(path, "rb") as dump, \
                _running(cmd, f"Loading {path.name} with {client.name}", url, target.password,
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL) as proc:
            assert proc.stdin is not None
            try:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.write(_LOAD_HEAD)
                _copy_stream(dump, proc.stdin)
            except (OSError, EOFError, zlib.error) as exc:
                raise BackupError(f"{path} is not a readable gzip dump ({exc}).") from None
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.write(_LOAD_TAIL)
                proc.stdin.close()


class MySQLBackup:
    check_name = "read"
    dump_tool = "mariadb-dump/mysqldump"
    check_tool = "a full read of the gzip stream and the dump's completion line"
    restore_tool = "the mariadb/mysql client"

    def server_version(self, url: str) -> tuple[int, str]:
        conn = connect(url)
        try:
            text = str(conn.execute("SELECT VERSION()").fetchone()[0])
        finally:
            conn.close()
        return server_major(text), text

    def probe(self, url: str) -> tuple[int, int, str]:
        conn = connect(url)
        try:
            size, text = conn.execute(
                "SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0), VERSION() FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE()").fetchone()
        finally:
            conn.close()
        return int(size), server_major(str(text)), str(text)

    def dump_format(self, jobs: int) -> tuple[str, str | None]:
        note = ("--jobs is ignored for MySQL/MariaDB: the dump is one stream read in one consistent snapshot."
                if jobs > 1 else None)
        return "mysqldump", note

    def dump(self, url: str, out: Path, server_major: int, *, fmt: str, jobs: int, fingerprint: bool) -> Dumped:
        """The dump, gzip-compressed as it streams; with ``fingerprint``, the source fingerprinted in a snapshot
        taken just before the dump's (read while the dump runs) and again just after it: they must agree.

        When they do not (the app wrote meanwhile), the dump is taken again, up to ``DUMP_TRIES`` times in all:
        writes in bursts leave a quiet moment; writes that never stop get the sentence naming the tables.
        """
        database_of(url)  # a URL naming no database: its sentence before anything runs
        version = self.server_version(url)[1]
        tool = client_for("dump", version)
        tools = {tool.name: f"{tool.version} ({tool.path})"}
        if not fingerprint:
            self._dump_once(url, out, tool, None)
            return Dumped(tools)
        moved: list[str] = []
        for _ in range(DUMP_TRIES):
            conn = connect(url)
            try:
                conn.autocommit = True
                before = self._dump_once(url, out, tool, conn)
                after = _snapshot_fingerprint(conn)
            finally:
                conn.close()
            moved = sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
            if not moved:
                return Dumped(tools, after)
        raise BackupError(
            f"The restore check of {redact_url(url)} cannot know what the dump holds: {', '.join(moved)} changed "
            f"while it ran, in each of {DUMP_TRIES} tries (MySQL cannot share the dump's snapshot); take the backup "
            "while the app is quiet, or check it with backup_verify = \"check\" (or without --verify-restore).")

    def _dump_once(self, url: str, out: Path, tool: Client, conn: Any | None) -> Fingerprint:
        """One dump into ``out``; with ``conn``, the source's fingerprint in a snapshot opened just before the
        dump starts, read while it runs (empty without ``conn``)."""
        target, database = database_of(url)
        found: Fingerprint = {}
        if conn is not None:
            conn.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        with option_file(target) as options, out.open("wb") as raw, \
                gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=COMPRESS_LEVEL, mtime=0) as packed, \
                _running(dump_argv(tool, options, database), f"{tool.name}", url, target.password,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE) as proc:
            assert proc.stdout is not None
            reader = threading.Thread(target=_copy_stream, args=(proc.stdout, packed), daemon=True)
            reader.start()
            try:
                if conn is not None:
                    found = fingerprint_conn(conn)
                    conn.execute("COMMIT")
            finally:
                reader.join()
        return found

    def check(self, path: Path, server_major: int) -> None:
        """Read the whole gzip stream (its CRC catches a damaged file, its end marker a cut one) and look for
        the first line the dump tool writes and the ``-- Dump completed`` line it writes last."""
        head = b""
        tail = b""
        try:
            with gzip.open(path, "rb") as f:
                while chunk := f.read(_CHUNK):
                    if not head:
                        head = chunk[:64]
                    tail = (tail + chunk)[-4096:]
        except (OSError, EOFError, zlib.error) as exc:
            raise BackupError(f"MySQL backup {path} is damaged or cut short: its gzip stream does not read to the "
                              f"end ({exc}).") from None
        if not head.startswith(_HEADERS):
            raise BackupError(f"MySQL backup {path} does not start like a mariadb-dump or mysqldump file.")
        last = [ln for ln in tail.splitlines() if ln.strip()]
        if not last or not last[-1].startswith(_COMPLETED):
            raise BackupError(f"MySQL backup {path} is incomplete: it lacks the '-- Dump completed' line its dump "
                              "tool writes last.")

    def _empty_target(self, url: str) -> str:
        """The target's server version, after checking it holds nothing."""
        conn = connect(url)
        try:
            version = str(conn.execute("SELECT VERSION()").fetchone()[0])
            held = [f"table {t}" for t in _tables(conn)] + objects_besides_tables(conn)
        finally:
            conn.close()
        if held:
            shown = ", ".join(held[:5]) + (f" and {len(held) - 5} more" if len(held) > 5 else "")
            raise BackupError(f"The restore target {redact_url(url)} already holds {shown}; restore into an empty "
                              "database.")
        return version

    def restore(self, path: Path, into_url: str, manifest: Manifest, *, jobs: int = 1) -> None:
        """Load the dump into an empty database.  MySQL commits every CREATE on its own, so a restore cannot be
        one transaction: when it fails, what it made is dropped again and the sentence says so."""
        version = self._empty_target(into_url)
        if is_mariadb(version) != is_mariadb(manifest.server_version):
            raise BackupError(f"Backup {path} is of a {_family(manifest.server_version)} server and "
                              f"{redact_url(into_url)} is {_family(version)}; restore it into a "
                              f"{_family(manifest.server_version)} server.")
        try:
            load(path, into_url, version)
        except BackupError as exc:
            conn = connect(into_url)
            try:
                conn.autocommit = True
                _empty(conn)
            finally:
                conn.close()
            raise BackupError(f"{exc.message.rstrip('.')}; MySQL cannot undo a half-made restore in a transaction, "
                              "so safeshift emptied the target database again.") from exc

    def replace(self, path: Path, url: str, manifest: Manifest, *, lock_timeout_ms: int) -> None:
        """Restore into a staging database beside ``url`` (the live one untouched meanwhile), then swap every
        table in one ``RENAME TABLE`` statement, which the server does all or nothing, and drop the old tables.

        It runs under the runner lock, so no migration moves the live tables (or writes the history table) while
        they are swapped: taken here, waiting at most ``lock_timeout``, unless a session of this process holds
        it already (a deploy's ``on_failure = "restore"``, which must not wait for its own lock).  The swap
        waits at most ``lock_timeout`` for the metadata locks of the live tables (a long transaction of the app
        holds them), then gives up with the database unchanged.  Views, triggers, routines and events cannot
        move between databases by RENAME, so a database or backup holding any is refused, naming them.
        """
        _, database = database_of(url)
        conn = connect(url)
        own = False
        try:
            conn.autocommit = True
            own = _runner_lock(conn, url, lock_timeout_ms)
            live_other = objects_besides_tables(conn)
            if live_other:
                raise BackupError(f"Restoring over {redact_url(url)} swaps tables only, and it holds "
                                  f"{', '.join(live_other)}; drop them first or restore into a new database "
                                  "with safeshift restore --into.")
            with scratch_database(url, prefix="ss_restore_") as staging_url:
                self.restore(path, staging_url, manifest)
                staged = connect(staging_url)
                try:
                    staging = str(staged.execute("SELECT DATABASE()").fetchone()[0])
                    new_tables = _tables(staged)
                    other = objects_besides_tables(staged)
                finally:
                    staged.close()
                if other:
                    raise BackupError(f"Backup {path} holds {', '.join(other)}, which restoring over a database "
                                      f"cannot swap in with its tables, so {redact_url(url)} is unchanged; restore it "
                                      "into a new database with safeshift restore --into.")
                with scratch_database(url, prefix="ss_replaced_") as old_url:
                    old = old_url.rsplit("/", 1)[1].split("?", 1)[0]
                    moves = [f"{_quote(database)}.{_quote(t)} TO {_quote(old)}.{_quote(t)}" for t in _tables(conn)]
                    moves += [f"{_quote(staging)}.{_quote(t)} TO {_quote(database)}.{_quote(t)}" for t in new_tables]
                    if not moves:
                        return
                    seconds = max(1, -(-int(lock_timeout_ms) // 1000))
                    conn.execute(f"SET SESSION lock_wait_timeout = {seconds}")
                    try:
                        conn.execute("RENAME TABLE " + ", ".join(moves))
                    except Exception as exc:
                        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
                        if code == _LOCK_WAIT_TIMEOUT:
                            raise RestoreLockTimeout(
                                f"Restoring over {redact_url(url)} gave up after lock_timeout ({lock_timeout_ms} ms) "
                                "waiting for a metadata lock another session holds (an open transaction that read "
                                "its tables), so the database is unchanged; end those sessions (or raise the "
                                "environment's lock_timeout) and try again.") from None
                        reason = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
                        raise BackupError(f"Restoring over {redact_url(url)} failed at the swap ({reason}), so the "
                                          "database is unchanged (RENAME TABLE is all or nothing).") from None
        finally:
            if own:
                with contextlib.suppress(Exception):
                    _engine().release_runner_lock(conn)
            conn.close()

    def fingerprint(self, url: str) -> Fingerprint:
        conn = connect(url)
        try:
            conn.autocommit = True
            return _snapshot_fingerprint(conn)
        finally:
            conn.close()


def _engine() -> Engine:
    """The MySQL engine, through the registry: importing the package here would make a cycle (the package
    imports its rehearsal backend, which uses this module's dump options)."""
    from safeshift.dialects import get_dialect

    return engine_for(get_dialect("mysql"))


def _runner_lock(conn: Any, url: str, wait_ms: int) -> bool:
    """Take the runner lock of ``conn``'s database for a restore over it, waiting up to ``wait_ms``; False when
    this process holds it already (a deploy restoring its pre-deploy backup), so nothing is to be released."""
    engine = _engine()
    if engine.holds_runner_lock(conn):
        return False
    holder = engine.acquire_runner_lock(conn, wait_ms, wait_ms)
    if holder is not None:
        raise RunnerBusy(f"Restoring over {redact_url(url)} waited lock_timeout ({wait_ms} ms) for the runner lock, "
                         f"which {holder} holds (a migration or deploy is running), so the database is unchanged; "
                         "try again once it has finished.")
    return True


def _family(version: str) -> str:
    return "MariaDB" if is_mariadb(version) else "MySQL"

"""Backups of SQLite databases (``SQLiteEngine.backup_engine()``): the online backup API, which
copies a consistent database while the app writes, and fingerprints over every row.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

from safeshift.engines.base import Dumped, Fingerprint, Manifest
from safeshift.errors import BackupError, RestoreLockTimeout


def _sqlite_fingerprint(conn: sqlite3.Connection) -> Fingerprint:
    """Row count and an order-independent checksum (md5 of each row's repr, summed) per table."""
    out: Fingerprint = {}
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        total = count = 0
        for row in conn.execute(f"SELECT * FROM {quoted}"):
            total += int.from_bytes(hashlib.md5(repr(row).encode()).digest(), "big")
            count += 1
        out[name] = (count, f"{total % (1 << 128):032x}")
    return out


class _Busy(Exception):
    """Raised from the backup API's progress callback to give up on a locked target."""


class SQLiteBackup:
    check_name = "integrity_check"
    dump_tool = restore_tool = "the SQLite backup API"
    check_tool = "PRAGMA integrity_check"

    @staticmethod
    def _path(url: str) -> Path:
        from safeshift.dialects.sqlite.url import url_path

        p = url_path(url)
        if p == ":memory:":
            raise BackupError("An in-memory SQLite database cannot be backed up or restored into; use a file URL.")
        return Path(p)

    def server_version(self, url: str) -> tuple[int, str]:
        return sqlite3.sqlite_version_info[0], sqlite3.sqlite_version

    def probe(self, url: str) -> tuple[int, int, str]:
        p = self._path(url)
        return p.stat().st_size if p.exists() else 0, *self.server_version(url)

    def dump_format(self, jobs: int) -> tuple[str, str | None]:
        note = ("--jobs is ignored for SQLite: its backup is one file copied by the online backup API."
                if jobs > 1 else None)
        return "sqlite", note

    @staticmethod
    def copy(src: Path, dst: Path) -> None:
        """Online backup API copy: consistent even while another connection writes."""
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        try:
            target = sqlite3.connect(dst)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()

    def dump(self, url: str, out: Path, server_major: int, *, fmt: str, jobs: int,
             fingerprint: bool) -> Dumped:
        """Backup API copy; with ``fingerprint``, fingerprint and copy inside one read transaction."""
        src = self._path(url)
        if not src.exists():
            raise BackupError(f"The SQLite database {src} does not exist.")
        tools = {"sqlite3": sqlite3.sqlite_version}
        if not fingerprint:
            self.copy(src, out)
            return Dumped(tools)
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, isolation_level=None)
        try:
            source.execute("BEGIN")
            found = _sqlite_fingerprint(source)  # the first read fixes the snapshot the copy sees
            target = sqlite3.connect(out)
            try:
                source.backup(target)
            finally:
                target.close()
            source.execute("COMMIT")
        finally:
            source.close()
        return Dumped(tools, found)

    def check(self, path: Path, server_major: int) -> None:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"SQLite backup {path} is not a readable database: {exc}.") from exc
        finally:
            conn.close()
        if not result or result[0] != "ok":
            raise BackupError(f"SQLite backup {path} fails PRAGMA integrity_check: {result[0] if result else 'no result'}.")

    def restore(self, path: Path, into_url: str, manifest: Manifest, *, jobs: int = 1) -> None:
        dst = self._path(into_url)
        if dst.exists() and dst.stat().st_size > 0:
            conn = sqlite3.connect(dst)
            try:
                n = conn.execute("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchone()[0]
            finally:
                conn.close()
            if n:
                raise BackupError(f"The restore target {dst} already holds {n} objects; restore into an empty database.")
        dst.parent.mkdir(parents=True, exist_ok=True)
        self.copy(path, dst)

    def replace(self, path: Path, url: str, manifest: Manifest, *, lock_timeout_ms: int) -> None:
        """The backup API from the dump into the live file: one write transaction, all or nothing.

        The copy waits for the target's write lock at most ``lock_timeout_ms`` (the API itself
        would retry forever).
        """
        dst = self._path(url)
        deadline = time.monotonic() + lock_timeout_ms / 1000

        def progress(status: int, remaining: int, total: int) -> None:
            if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() >= deadline:
                raise _Busy

        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            target = sqlite3.connect(dst, timeout=lock_timeout_ms / 1000)
            try:
                source.backup(target, progress=progress)
            except _Busy as exc:
                raise RestoreLockTimeout(
                    f"Restoring over {dst} gave up after lock_timeout ({lock_timeout_ms} ms) waiting for another "
                    "connection's write lock, so the database is unchanged; stop the app's writers (or raise the "
                    "environment's lock_timeout) and try again."
                ) from exc
            except sqlite3.Error as exc:
                raise BackupError(f"Restoring over {dst} failed ({exc}), so the database is unchanged.") from exc
            finally:
                target.close()
        finally:
            source.close()

    def fingerprint(self, url: str) -> Fingerprint:
        conn = sqlite3.connect(f"file:{self._path(url)}?mode=ro", uri=True)
        try:
            return _sqlite_fingerprint(conn)
        finally:
            conn.close()

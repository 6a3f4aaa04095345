"""SQLite's live side: ``SQLiteEngine`` (connections, the write lock runners wait on, foreign key checks
around a migration, development and shadow files), with backups through the online backup API
(``backup.py``) and rehearsal copies (``rehearse.py``) beside it.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safeshift.dialects.sqlite.url import url_path
from safeshift.engines.base import Engine
from safeshift.errors import ConnectionFailed, MigrationFailed
from safeshift.text import redact_url

if TYPE_CHECKING:
    from safeshift.dialects.base import Dialect
    from safeshift.engines.base import IntrospectOptions, RehearsalBackend
    from safeshift.model import Schema

__all__ = ["SQLiteEngine"]


class SQLiteEngine(Engine):
    def __init__(self, dialect: Dialect) -> None:
        super().__init__(dialect)
        #: id(connection) -> dangling references that existed before the migration began
        self._dangling_before: dict[int, Counter[tuple[str, str]] | str] = {}

    def read_catalog(self, conn: Any, schemas: Sequence[str] | None = None,
                     options: IntrospectOptions | None = None) -> Schema:
        """SQLite has no privileges: ``options`` asks for nothing it holds (a SQLite project cannot opt in)."""
        from safeshift.introspect import sqlite

        return sqlite.introspect(conn, schemas)

    def connect(self, url: str, *, create: bool = True) -> Any:
        path = url_path(url)
        if not create and path != ":memory:" and not path.startswith("file:") and not Path(path).expanduser().exists():
            path = ":memory:"  # nothing there yet: read it as the empty database it would be
        if path != ":memory:" and not path.startswith("file:"):
            folder = Path(path).expanduser().parent
            if not folder.is_dir():
                raise ConnectionFailed(
                    f"Cannot open SQLite database {path}: the folder {folder} does not exist; "
                    "create it or fix the URL.")
        try:
            conn = sqlite3.connect(path, isolation_level=None, uri=path.startswith("file:"))
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise ConnectionFailed(f"Cannot open SQLite database {redact_url(url)}: {exc}; "
                                   "check that the path is a writable SQLite file.") from exc
        return conn

    def missing_database(self, url: str) -> str | None:
        path = url_path(url)
        if path == ":memory:" or path.startswith("file:") or Path(path).expanduser().exists():
            return None
        return path

    def database_identity(self, conn: Any) -> tuple[object, ...] | None:
        """The file's device and inode (the same through a symlink, a hard link or a relative path);
        None for an in-memory database, which no other connection can reach."""
        import os

        path = next((row[2] for row in conn.execute("PRAGMA database_list").fetchall() if row[1] == "main"), "")
        if not path:
            return None
        try:
            st = os.stat(path)
        except OSError:
            return ("sqlite", os.path.realpath(path))
        return ("sqlite", st.st_dev, st.st_ino)

    def prepare_session(self, conn: Any, *, lock_timeout_ms: int, statement_timeout_ms: int | None,
                        lock_wait_ms: int) -> None:
        """Runners wait for the write lock up to the runner lock wait; SQLite has no lock queue to time out."""
        conn.isolation_level = None
        conn.execute(f"PRAGMA busy_timeout = {max(0, int(lock_wait_ms))}")

    def table_facts(self, conn: Any) -> dict[str, tuple[int | None, int | None]]:
        """Rows per table (``sqlite_stat1``, else counted within a budget: ``facts``); sizes are not known."""
        from safeshift.engines.sqlite.facts import table_facts

        return table_facts(conn, self.dialect.default_schema)

    def table_exists(self, conn: Any, schema: str | None, name: str) -> bool:
        row = conn.execute(
            f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = {self.dialect.literal(name)}").fetchone()
        return row is not None

    def is_runner_busy(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)

    def error_code(self, exc: BaseException) -> str | None:
        return getattr(exc, "sqlite_errorname", None)

    def before_migration(self, conn: Any) -> None:
        """Foreign keys off (a no-op inside a transaction, so before BEGIN) and note old violations.

        SQLite databases often hold dangling references from times foreign keys were off;
        only violations the migration adds should stop it.
        """
        conn.execute("PRAGMA foreign_keys=OFF")
        self._dangling_before[id(conn)] = _dangling(conn)

    def check_before_commit(self, conn: Any) -> None:
        before = self._dangling_before.get(id(conn), Counter())
        after = _dangling(conn)
        if isinstance(after, str):
            if after == before:  # the database could not be checked before the migration either: not its doing
                return
            raise MigrationFailed(
                f"The migration leaves a foreign key SQLite cannot check ({after}): the columns it references are "
                "not the referenced table's primary key or a unique key; it was rolled back: reference a primary "
                "key or unique column, or make the referenced columns unique.")
        added = after - before if isinstance(before, Counter) else after
        if added:
            (table, parent), count = next(iter(sorted(added.items())))
            raise MigrationFailed(
                f"The migration leaves {sum(added.values())} new row(s) with broken foreign keys (first: "
                f"{count} row(s) of {table} reference missing rows of {parent}); it was rolled back: fix the "
                "data or the constraint and run it again.")

    def after_migration(self, conn: Any) -> None:
        self._dangling_before.pop(id(conn), None)
        conn.execute("PRAGMA foreign_keys=ON")

    def development_url(self, state_dir: Path) -> str:
        state_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(state_dir / 'development.sqlite3').resolve()}"

    def existing_development_url(self, state_dir: Path) -> str | None:
        path = state_dir / "development.sqlite3"
        return f"sqlite:///{path.resolve()}" if path.is_file() else None

    def shadow_database(self, state_dir: Path | None) -> AbstractContextManager[str]:
        return _shadow()

    def rehearsal_backend(self) -> RehearsalBackend:
        from safeshift.engines.sqlite.rehearse import SQLiteRehearsal

        return SQLiteRehearsal()


def _dangling(conn: Any) -> Counter[tuple[str, str]] | str:
    """(child table, parent table) -> rows whose reference has no parent row; or SQLite's error when a foreign
    key references columns no primary or unique key covers ("foreign key mismatch"), which stops the check."""
    try:
        rows = conn.execute("PRAGMA foreign_key_check").fetchall()
    except sqlite3.OperationalError as exc:
        if "foreign key mismatch" not in str(exc):
            raise
        return str(exc)
    return Counter((str(r[0]), str(r[2])) for r in rows)


@contextmanager
def _shadow() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="safeshift-shadow-") as folder:
        yield f"sqlite:///{Path(folder) / 'shadow.sqlite3'}"

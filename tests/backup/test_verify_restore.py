"""--verify-restore: the dump restored into a scratch database equals the source *as dumped*,
even while the app keeps writing, on PostgreSQL 15, 18 and SQLite."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest

from safeshift.backup import BackupError, backup, list_backups
from safeshift.dialects import dialect_for_url
from tests.backup.data import populate

ROWS = 60_000


class Writer(threading.Thread):
    """Inserts one order per transaction until stopped, as an app would."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.inserted = 0
        self.stop = threading.Event()
        self.started_writing = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            if self.url.startswith("sqlite"):
                conn = sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
                while not self.stop.is_set():
                    conn.execute("INSERT INTO orders (customer_id, amount, note) VALUES (1, 1.5, 'live')")
                    self._tick()
                conn.close()
                return
            with psycopg.connect(self.url, autocommit=True) as pg:
                while not self.stop.is_set():
                    pg.execute("INSERT INTO orders (customer_id, amount, note) VALUES (1, 1.5, 'live')")
                    self._tick()
        except BaseException as exc:
            self.error = exc

    def _tick(self) -> None:
        self.inserted += 1
        if self.inserted >= 20:
            self.started_writing.set()


def test_verify_restore_passes_while_the_app_writes(db_url: str, tmp_path: Path) -> None:
    populate(db_url, ROWS)
    if db_url.startswith("sqlite"):
        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA journal_mode=WAL")
        conn.close()
    dialect = dialect_for_url(db_url)
    writer = Writer(db_url)
    writer.start()
    assert writer.started_writing.wait(30)
    before = writer.inserted
    try:
        made = backup(db_url, tmp_path / "bk", env_name="prod", migrations_version=None, dialect=dialect,
                      verify_restore=True, state_dir=tmp_path / ".safeshift")
        during = writer.inserted - before
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None
    assert during > 0, "the writer must have written while the backup ran"
    v = made.manifest.verification
    assert v["kind"] == "restore" and v["tables"] == 4 and isinstance(v["ms"], int)
    assert v["check"]["kind"] in ("list", "integrity_check")
    # the source as dumped: every row present before the backup started, not those written after it
    assert ROWS + before <= v["rows"] <= ROWS + writer.inserted
    assert [b.path for b in list_backups(tmp_path / "bk")] == [made.path]


def test_a_restore_mismatch_names_the_table_and_keeps_no_backup(pg_url: str, tmp_path: Path) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        # a function that claims to be IMMUTABLE but is not: its generated column comes back different
        conn.execute("""
            CREATE FUNCTION lies(x int) RETURNS double precision LANGUAGE plpgsql IMMUTABLE
              AS $$ BEGIN RETURN random(); END $$;
            CREATE TABLE honest (x int); INSERT INTO honest SELECT generate_series(1, 100);
            CREATE TABLE liar (x int, g double precision GENERATED ALWAYS AS (lies(x)) STORED);
            INSERT INTO liar (x) SELECT generate_series(1, 10);
        """)
    dest = tmp_path / "bk"
    with pytest.raises(BackupError) as exc:
        backup(pg_url, dest, env_name=None, migrations_version=None, dialect=dialect_for_url(pg_url),
               verify_restore=True, state_dir=tmp_path / ".safeshift")
    msg = str(exc.value)
    assert msg.startswith("The backup of ") and "failed its restore check, so it was not kept" in msg
    assert "1 table(s) differ from the source as dumped: public.liar (same 10 rows, different contents)." in msg
    assert "honest" not in msg and "\n" not in msg
    assert list(dest.iterdir()) == []  # no complete backup, no partial

"""A time-sized backfill killed part-way (SIGKILL of the runner's process group) and resumed: every row is
copied exactly once, and rows written while no runner ran, or while the resumed one runs, are right.

The migration is what ``generate --expand`` writes for ``users.age integer -> bigint``.  An audit trigger
the test puts on the table first counts, per row, the UPDATEs safeshift's session made: the backfill's
``IS DISTINCT FROM`` and its recorded progress must leave each row at one such update at most, and exactly
one for a row no writer touched (the sync trigger fills a written row, so the backfill skips it).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from safeshift.dialects import get_dialect
from safeshift.diff import diff
from safeshift.formats import safeshift as migrations
from safeshift.model import Column, PrimaryKey, Table, make_schema
from safeshift.plan import render
from tests.runner import _faultkit as fk

PG = get_dialect("postgresql")
ROWS = 20_000
SAFESHIFT = str(Path(sys.executable).parent / "safeshift")


def _users(age: str) -> Table:
    return Table("public", "users", (Column("id", "integer", nullable=False), Column("age", age)),
                 primary_key=PrimaryKey("users_pkey", ("id",)))


def _project(root: Path, url: str) -> Path:
    """safeshift.toml (batches aimed at 5 ms, so there are many) and two migrations: the table, its expand."""
    root.mkdir()
    (root / "safeshift.toml").write_text(f'dialect = "postgresql"\nmigrations = "migrations"\n\n'
                                         f'[environments.development]\nurl = "{url}"\nbackfill_batch_ms = 5\n')
    folder = root / "migrations"
    (folder / "meta").mkdir(parents=True)
    empty, before, after = (make_schema("postgresql", tables=t) for t in ((), (_users("integer"),),
                                                                          (_users("bigint"),)))
    for version, name, a, b, safe in (("20260101000001", "users", empty, before, False),
                                      ("20260101000002", "age_bigint", before, after, True)):
        sections = render(diff(a, b), a, b, PG, safe=safe, expand=safe)
        text = migrations.render_file(version, name, sections.up, sections.down, [])
        (folder / f"{version}_{name}.sql").write_text(text, encoding="utf-8")
    assert "BETWEEN $1 AND $2" in (folder / "20260101000002_age_bigint.sql").read_text()
    migrations.write_sum(folder)
    return root


def _migrate(root: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([SAFESHIFT, "migrate", "--yes", "--allow-hazards", *args], cwd=root,
                            env=fk.child_env(), stdout=(root / "out.txt").open("ab"),
                            stderr=(root / "err.txt").open("ab"), start_new_session=True)


def _backfilled(conn: object) -> int:
    row = conn.execute("SELECT coalesce(sum(rows_done), 0) FROM safeshift.safeshift_backfill "  # type: ignore[attr-defined]
                       "WHERE to_regclass('safeshift.safeshift_backfill') IS NOT NULL").fetchone()
    return int(row[0])


def _progress(conn: object) -> int:
    exists = conn.execute("SELECT to_regclass('safeshift.safeshift_backfill') IS NOT NULL").fetchone()[0]  # type: ignore[attr-defined]
    return _backfilled(conn) if exists else 0


def _wait_gone(conn: object, timeout: float = 20) -> None:
    """Until the killed runner's sessions are gone (a backend finishes its statement after its client died)."""
    deadline = time.monotonic() + timeout
    while conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "  # type: ignore[attr-defined]
                       "AND application_name = 'safeshift'").fetchone()[0]:
        assert time.monotonic() < deadline, f"the killed runner's session is still there {timeout} s later"
        time.sleep(0.01)


class _Writer(threading.Thread):
    """Updates random rows (age := id % 7 + 100) until stopped, as another application would."""

    def __init__(self, url: str, written: set[int], seed: int) -> None:
        super().__init__(daemon=True)
        self.url, self.written, self.rng = url, written, random.Random(seed)
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            conn = fk.connect(self.url)
            try:
                conn.execute("SET application_name = 'writer'")
                while not self.stop.is_set():
                    i = self.rng.randint(1, ROWS)
                    conn.execute("UPDATE users SET age = id %% 7 + 100 WHERE id = %s", (i,))
                    self.written.add(i)
                    time.sleep(0.001)
            finally:
                conn.close()
        except BaseException as exc:
            self.error = exc


def test_killed_backfill_resumes_copying_each_row_once(pg_url: str, tmp_path: Path) -> None:
    root = _project(tmp_path / "project", pg_url)
    first = _migrate(root, "--to", "20260101000001")
    assert first.wait(60) == 0, (root / "err.txt").read_text()
    conn = fk.connect(pg_url)
    try:
        conn.execute("INSERT INTO users SELECT g, g %% 90 FROM generate_series(1, %s) g", (ROWS,))
        conn.execute("CREATE TABLE audit (id int NOT NULL)")
        conn.execute("CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                     "IF current_setting('application_name') = 'safeshift' THEN INSERT INTO audit VALUES (NEW.id); "
                     "END IF; RETURN NEW; END $$")
        conn.execute("CREATE TRIGGER audit_row AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit_row()")
        conn.execute("ANALYZE users")

        run = _migrate(root)
        deadline = time.monotonic() + 60
        while _progress(conn) < ROWS // 5:
            assert run.poll() is None, f"the run ended before the kill: {(root / 'err.txt').read_text()}"
            assert time.monotonic() < deadline, "the backfill did not get a fifth of the way in 60 s"
            time.sleep(0.005)
        os.killpg(run.pid, signal.SIGKILL)
        assert run.wait(10) == -signal.SIGKILL
        _wait_gone(conn)
        done = _progress(conn)
        assert ROWS // 5 <= done < ROWS, f"killed at {done} rows, not part-way"
        status = conn.execute("SELECT status FROM safeshift.safeshift_migrations WHERE version = '20260101000002'"
                              ).fetchone()
        assert status is not None and status[0] == "running"

        # while no runner runs: the sync trigger keeps writes right, before and after the last copied key
        written: set[int] = set()
        for i in random.Random(7).sample(range(1, ROWS + 1), 300):
            conn.execute("UPDATE users SET age = id %% 7 + 100 WHERE id = %s", (i,))
            written.add(i)
        conn.execute("INSERT INTO users SELECT g, 5 FROM generate_series(%s::int, %s::int) g", (ROWS + 1, ROWS + 100))

        writer = _Writer(pg_url, written, seed=11)
        writer.start()
        try:
            resumed = _migrate(root)
            assert resumed.wait(120) == 0, (root / "err.txt").read_text()
        finally:
            writer.stop.set()
            writer.join(10)
        assert writer.error is None, writer.error
        out = (root / "out.txt").read_text()
        assert "resuming after key" in out and "rows/s" in out, out

        assert conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                            "WHERE attrelid = 'users'::regclass AND attname = 'age'").fetchone()[0] == "bigint"
        ages = dict(conn.execute("SELECT id, age FROM users").fetchall())
        expected = {i: (i % 7 + 100 if i in written else i % 90) for i in range(1, ROWS + 1)}
        expected.update({i: 5 for i in range(ROWS + 1, ROWS + 101)})
        wrong = {i: (ages.get(i), v) for i, v in expected.items() if ages.get(i) != v}
        assert not wrong, f"{len(wrong)} rows wrong, e.g. {list(wrong.items())[:5]}"
        assert len(ages) == ROWS + 100

        copies = dict(conn.execute("SELECT id, count(*) FROM audit GROUP BY id").fetchall())
        twice = {i: n for i, n in copies.items() if n > 1}
        assert not twice, f"{len(twice)} rows copied more than once, e.g. {list(twice.items())[:5]}"
        missed = [i for i in range(1, ROWS + 1) if i not in written and copies.get(i) != 1]
        assert not missed, f"{len(missed)} untouched rows not copied exactly once, e.g. {missed[:5]}"
        assert not [i for i in range(ROWS + 1, ROWS + 101) if i in copies]  # inserted rows: the trigger filled them
        assert _progress(conn) == 0  # the finished backfill leaves no progress row
    finally:
        conn.close()


def test_the_runner_session_writes_back_what_it_dirties(pg_url: str) -> None:
    """The runner's session asks the kernel to write its pages back as it goes (backend_flush_after), for the
    whole migration: the scans after a backfill dirty the table again (hint bits), and left in the page cache
    they made the next checkpoint's fsync, and every writer's commit behind it, wait (bench/write_stall.py)."""
    from safeshift.engines import engine_for
    from safeshift.engines.postgres import FLUSH_AFTER

    engine = engine_for(PG)
    conn = engine.connect(pg_url)
    try:
        engine.prepare_session(conn, lock_timeout_ms=1000, statement_timeout_ms=None, lock_wait_ms=1000)
        assert conn.execute("SHOW backend_flush_after").fetchone()[0] == FLUSH_AFTER == "256kB"
    finally:
        conn.close()

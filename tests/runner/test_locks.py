"""Another session holds a lock on a table a migration alters.

The migration's statement may queue for its lock only ``lock_timeout``: then it is rolled
back, retried after a backoff, and finally fails naming the blocking session (pid, query,
age).  Meanwhile the sessions queued behind it, and everyone using other tables, wait at
most ``lock_timeout``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import safeshift
from safeshift.dialects import dialect_for_url
from safeshift.engines import engine_for
from tests.runner import _faultkit as fk

LOCK_TIMEOUT_MS = 200
#: how much longer than lock_timeout a query may take on a busy test machine
SLACK_S = 0.25

_SPECS = [
    ("create_accounts_and_audit", "CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);\n"
     "INSERT INTO accounts SELECT g, 'account ' || g FROM generate_series(1, 100) g;\n"
     "CREATE TABLE audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text NOT NULL);",
     "DROP TABLE audit; DROP TABLE accounts;"),
    ("accounts_email", "ALTER TABLE accounts ADD COLUMN email text;", "ALTER TABLE accounts DROP COLUMN email;"),
]


@pytest.fixture(scope="module")
def zygote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fk.Zygote]:
    yield from fk.zygote_fixture(tmp_path_factory)


def _project(url: str, tmp_path: Path, tries: int) -> Path:
    root = tmp_path / "project"
    folder = fk.write_project(root, _SPECS, dialect="postgresql", env={
        "lock_timeout": f"{LOCK_TIMEOUT_MS}ms", "lock_tries": tries, "retry_backoff": "100ms"})
    fk.migrate(url, folder, to=fk.version(1))
    return root


class _Holder:
    """A session in an open transaction holding a lock on ``accounts``."""

    def __init__(self, url: str, sql: str) -> None:
        self.conn = engine_for(dialect_for_url(url)).connect(url)
        self.conn.execute(sql)
        self.pid = int(self.conn.info.backend_pid)
        self.sql = sql

    def close(self) -> None:
        self.conn.rollback()
        self.conn.close()


class _Probe(threading.Thread):
    """Runs one statement in a loop on its own connection and keeps the slowest time."""

    def __init__(self, url: str, sql: str) -> None:
        super().__init__(daemon=True)
        self.conn = fk.connect(url)
        # The property measured is lock queueing; a commit's WAL flush waits on the disk, which
        # another test worker's bulk load can stall for most of a second (seen in CI: 0.9 s).
        self.conn.execute("SET synchronous_commit TO off")
        self.sql = sql
        self.worst = 0.0
        self.count = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                start = time.perf_counter()
                self.conn.execute(self.sql).fetchall()
                self.worst = max(self.worst, time.perf_counter() - start)
                self.count += 1
                time.sleep(0.002)
        except BaseException as exc:  # reported by the test thread
            self.error = exc
        finally:
            self.conn.close()


def _events(runner: fk.Forked) -> list[dict[str, Any]]:
    return [json.loads(line) for line in runner.stdout.splitlines() if line.startswith("{")]


def _migrate(zygote: fk.Zygote, url: str, tmp_path: Path, root: Path) -> fk.Forked:
    return zygote.run([*fk.MIGRATE, "--url", url, "--log-json"], root, tmp_path / "out.txt",
                      tmp_path / "err.txt")


def _assert_lock_failure(runner: fk.Forked, holder: _Holder, tries: int) -> None:
    assert runner.wait() == 1, runner.stderr
    lines = runner.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in runner.stderr, runner.stderr
    message = lines[0]
    assert message.startswith(f"error: {fk.version(2)}_accounts_email.sql line 4 could not get its lock within "
                              f"lock_timeout {LOCK_TIMEOUT_MS} ms on {tries} tries; blocked by pid {holder.pid} "), message
    assert re.search(r", (idle in transaction|active) for \d+ s, running `" + re.escape(holder.sql) + "`", message), \
        message
    events = _events(runner)
    retries = [e for e in events if e["event"] == "retry"]
    assert [e["attempt"] for e in retries] == list(range(2, tries + 1)), events
    assert all(f"pid {holder.pid}" in e["message"] for e in retries), retries
    error = events[-1]
    assert (error["event"], error["error"], error["exit_code"]) == ("error", "LockTimeout", 1)


def test_lock_timeout_retries_then_names_the_blocker(zygote: fk.Zygote, pg_url: str, tmp_path: Path) -> None:
    root = _project(pg_url, tmp_path, tries=2)
    holder = _Holder(pg_url, "LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE")
    try:
        time.sleep(1.0)  # so the message's age is at least 1 s
        runner = _migrate(zygote, pg_url, tmp_path, root)
        _assert_lock_failure(runner, holder, tries=2)
        assert re.search(r"idle in transaction for [1-9]\d* s", runner.stderr), runner.stderr
    finally:
        holder.close()

    records = fk.read_history(pg_url)
    assert records[fk.version(2)].status == "failed" and "55P03" in (records[fk.version(2)].error or "")
    assert "email" not in {c.name for c in _accounts(pg_url)}
    assert fk.migrate(pg_url, root / "migrations").versions == (fk.version(2),)  # the blocker is gone
    assert "email" in {c.name for c in _accounts(pg_url)}


def _accounts(url: str) -> Any:
    table = fk.introspect(url).table("public", "accounts")
    assert table is not None
    return table.columns


def test_waiting_migration_blocks_nobody_longer_than_lock_timeout(zygote: fk.Zygote, pg_url: str,
                                                                 tmp_path: Path) -> None:
    """A reader in an open transaction holds ACCESS SHARE; the ALTER queues behind it, and
    everyone touching ``accounts`` queues behind the ALTER, but only until lock_timeout."""
    root = _project(pg_url, tmp_path, tries=3)
    holder = _Holder(pg_url, "SELECT count(*) FROM accounts")
    probes = {
        "read accounts": _Probe(pg_url, "SELECT count(*) FROM accounts"),
        "read audit": _Probe(pg_url, "SELECT count(*) FROM audit"),
        "write audit": _Probe(pg_url, "INSERT INTO audit (note) VALUES ('probe') RETURNING id"),
    }
    try:
        for p in probes.values():
            p.start()
        time.sleep(0.2)
        started = time.monotonic()
        runner = _migrate(zygote, pg_url, tmp_path, root)
        _assert_lock_failure(runner, holder, tries=3)
        waited = time.monotonic() - started
    finally:
        for p in probes.values():
            p.stop.set()
        for p in probes.values():
            p.join(10)
        holder.close()

    worst = {name: round(p.worst, 3) for name, p in probes.items()}
    print(f"\nmigration waited {waited:.2f} s for its lock on 3 tries; slowest probe queries: {worst}")
    for name, p in probes.items():
        assert p.error is None, f"{name}: {p.error}"
        assert p.count > 10, f"{name} hardly ran"
        assert p.worst <= LOCK_TIMEOUT_MS / 1000 + SLACK_S, f"{name} was blocked {p.worst:.3f} s: {worst}"
    # the readers of accounts did queue behind the waiting ALTER (else this test proves nothing)
    assert probes["read accounts"].worst >= LOCK_TIMEOUT_MS / 1000 / 2, worst
    assert waited >= 3 * LOCK_TIMEOUT_MS / 1000


def test_each_try_waits_for_the_lock_once(pg_url: str, tmp_path: Path) -> None:
    """A lock timeout inside the one-round-trip script is retried as it is, not replayed at once
    statement by statement (which would wait for the same lock a second time on every try)."""
    from safeshift.errors import LockTimeout
    from safeshift.runner import RunOptions

    root = _project(pg_url, tmp_path, tries=3)
    holder = _Holder(pg_url, "LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE")
    try:
        started = time.monotonic()
        with pytest.raises(LockTimeout) as exc:
            safeshift.migrate(pg_url, root / "migrations", allow_hazards=True, options=RunOptions(
                lock_timeout_ms=400, lock_tries=3, retry_backoff_s=0.01, lock_wait_s=5))
        waited = time.monotonic() - started
    finally:
        holder.close()
    assert "line 4" in exc.value.message  # the last try ran statement by statement
    # three tries of 0.4 s each, not six: well under the 2.4 s a replay on every try would take
    assert 1.2 <= waited < 2.0, waited

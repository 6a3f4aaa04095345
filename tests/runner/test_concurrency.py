"""Eight runners started at once against one database: every migration is applied exactly once.

PostgreSQL serialises runners with a session advisory lock; SQLite with its write lock,
each migration re-checking the history inside it.  Runners that find the work done exit
0; with a short ``--lock-wait`` the ones that give up exit 5 with one clear sentence.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safeshift.dialects import dialect_for_url
from tests.runner import _faultkit as fk

RUNNERS = 8
MIGRATIONS = 10


def _specs(url: str, sleep_s: float) -> tuple[list[fk.Spec], str]:
    if dialect_for_url(url).capabilities.advisory_lock:
        return fk.pg_folder(f"SELECT pg_sleep({sleep_s});")[:MIGRATIONS], "postgresql"
    return fk.sqlite_folder(fk.sqlite_busy(sleep_s))[:MIGRATIONS], "sqlite"


def _events(runner: fk.Forked) -> list[dict[str, Any]]:
    return [json.loads(line) for line in runner.stdout.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def zygote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fk.Zygote]:
    yield from fk.zygote_fixture(tmp_path_factory)


def _start_all(zygote: fk.Zygote, url: str, tmp_path: Path, sleep_s: float, lock_wait: float) -> list[fk.Forked]:
    """Fork the runners, each waiting for the same gate file, then open the gate: one start line."""
    specs, dialect = _specs(url, sleep_s)
    root = tmp_path / "project"
    fk.write_project(root, specs, dialect=dialect)
    gate = tmp_path / "gate"
    runners = [zygote.run([*fk.MIGRATE, "--url", url, "--log-json", "--lock-wait", str(lock_wait)], root,
                          tmp_path / f"out{i}.txt", tmp_path / f"err{i}.txt", gate=gate)
               for i in range(RUNNERS)]
    gate.touch()
    for r in runners:
        r.wait()
    return runners


def _assert_exactly_once(url: str, runners: list[fk.Forked]) -> None:
    applied = Counter(e["version"] for r in runners for e in _events(r) if e["event"] == "applied")
    assert sorted(applied) == [fk.version(i) for i in range(1, MIGRATIONS + 1)], applied
    assert set(applied.values()) == {1}, f"applied more than once: {applied}"
    records = fk.read_history(url)
    assert sorted(records) == sorted(applied) and {r.status for r in records.values()} == {"applied"}
    assert _seeded(url) == (3, 150)  # the data migration ran once


def _seeded(url: str) -> tuple[int, int]:
    conn = fk.connect(url)
    try:
        row = conn.execute("SELECT (SELECT count(*) FROM orgs), (SELECT count(*) FROM users)").fetchone()
        return int(row[0]), int(row[1])
    finally:
        conn.close()


def test_eight_runners_wait_and_apply_each_migration_once(zygote: fk.Zygote, db_url: str, tmp_path: Path) -> None:
    url = db_url
    runners = _start_all(zygote, url, tmp_path, sleep_s=0.02, lock_wait=60)
    for r in runners:
        assert r.code == 0, r.stderr
        assert r.stderr == "", r.stderr
    _assert_exactly_once(url, runners)
    done = [e for r in runners for e in _events(r) if e["event"] == "done"]
    assert len(done) == RUNNERS and sum(len(e["applied"]) for e in done) == MIGRATIONS


def test_eight_runners_with_short_lock_wait_give_up_cleanly(zygote: fk.Zygote, db_url: str, tmp_path: Path) -> None:
    url = db_url
    # each migration outlasts --lock-wait (0.2 s) on its own, so some runner must give up whatever the server:
    # SQLite's write lock is held for one migration at a time, and with 0.05 s migrations the runners took turns
    # without any waiting 0.2 s in one go; on PostgreSQL 18, with faster start-ups, all eight finished first
    busy = 0.5
    runners = _start_all(zygote, url, tmp_path, sleep_s=busy, lock_wait=0.2)
    codes = Counter(r.code for r in runners)
    assert set(codes) <= {0, 5}, {r.code: r.stderr for r in runners}
    assert codes[5] >= 1, "no runner gave up although the run outlasts --lock-wait"
    for r in runners:
        if r.code == 5:
            lines = r.stderr.strip().splitlines()
            assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
            assert re.match(r"error: Another migration runner holds the lock on \S+ \(.+\) and did not finish "
                            r"within --lock-wait 0\.2 s; wait for it, or raise --lock-wait\.$", lines[0]), lines[0]
            errors = [e for e in _events(r) if e["event"] == "error"]
            assert errors and errors[0]["exit_code"] == 5 and errors[0]["error"] == "RunnerBusy"
        else:
            assert r.stderr == "", r.stderr
    # whoever gave up left nothing half-done: one more run finishes the folder, each migration once
    finisher = zygote.run([*fk.MIGRATE, "--url", url, "--log-json"], tmp_path / "project",
                          tmp_path / "out_final.txt", tmp_path / "err_final.txt")
    assert finisher.wait() == 0, finisher.stderr
    _assert_exactly_once(url, [*runners, finisher])

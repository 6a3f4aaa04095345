"""Two deploys at once against one PostgreSQL database, and a deploy killed part-way: the runner lock
makes one wait (or give up after lock_wait), every migration runs once, and the record rewritten after
each phase shows how far a killed deploy got."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest

from tests.deploy._kit import (
    NEW,
    START,
    V1,
    V2,
    V3_LOG,
    backups,
    deploy,
    make,
    record_name,
    records,
    snapshot,
    statuses,
)
from tests.runner._project import SAFESHIFT, clean_env, connect, error_line, history_rows

SLOW_LOG = (V3_LOG[0], V3_LOG[1], V3_LOG[2] + "\nSELECT pg_sleep(2);", V3_LOG[3])


def _start(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*SAFESHIFT, "deploy", "--env", "production", "--yes", *args], cwd=root, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env=clean_env())


def _log_rows(url: str) -> int:
    conn = connect(url)
    try:
        return int(conn.execute("SELECT count(*) FROM deploy_log").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize("pg_url", ["pg15"], indirect=True)
@pytest.mark.parametrize("lock_wait", [None, "1s"])
def test_two_deploys_at_once(tmp_path: Path, pg_url: str, lock_wait: str | None) -> None:
    p = make(tmp_path, pg_url, (V1, V2, V3_LOG), env=f'lock_wait = "{lock_wait}"\n' if lock_wait else "")
    p.add(*SLOW_LOG)  # slow only now: the snapshots were taken without the sleep
    procs = [_start(p.root), _start(p.root)]
    results = [(proc.wait(60), *proc.communicate()) for proc in procs]
    codes = sorted(code for code, _, _ in results)
    assert history_rows(pg_url) == {START: "applied", V2[0]: "applied", NEW: "applied"}
    assert _log_rows(pg_url) == 1, "the migration ran exactly once"
    outcomes = sorted(json.loads(r.read_text())["outcome"] for r in records(p))
    assert len(records(p)) == 2, "each deploy writes its own record"
    assert len(backups(p)) == 1, "only the deploy that applied took a backup"
    if lock_wait is None:
        assert codes == [0, 0], results
        assert outcomes == ["nothing to deploy", "released"]
        assert any(f"nothing to deploy: production is at {NEW}" in out for _, out, _ in results)
    else:
        assert codes == [0, 5], results
        assert outcomes == ["failed", "released"]
        err = next(e for code, _, e in results if code == 5).strip()
        assert re.fullmatch(
            rf"error: Another migration runner holds the lock on {re.escape(pg_url)} \(pid \d+ \(safeshift, "
            r"connected \d+ s ago\)\) and did not finish within --lock-wait 1 s; wait for it, or raise --lock-wait\.",
            err), err


@pytest.mark.parametrize("pg_url", ["pg15"], indirect=True)
def test_killed_after_its_backup_leaves_an_in_progress_record(tmp_path: Path, pg_url: str) -> None:
    p = make(tmp_path, pg_url, (V1, V2, V3_LOG))
    p.add(*SLOW_LOG)
    proc = _start(p.root)
    deadline = time.monotonic() + 30
    doc: dict[str, object] = {}
    while time.monotonic() < deadline:  # the record is rewritten after every phase: wait for the backup's
        found = records(p)
        if found and found[-1].stat().st_size:
            doc = json.loads(found[-1].read_text())
            if statuses(doc)["backup"] == "passed":  # type: ignore[arg-type]
                break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    doc = json.loads(records(p)[-1].read_text())
    assert doc["outcome"] == "in progress" and doc["finished_at"] is None
    assert statuses(doc) == {"reviewed": "passed", "generated": "passed", "rehearsed": "skipped",  # type: ignore[arg-type]
                             "backup": "passed", "applied": "not run", "verified": "not run", "rollback": "not run"}
    assert (p.root / records(p)[-1].with_suffix(".md")).read_text().startswith(f"# Release {doc['id']}: in progress")
    (dump,) = backups(p)
    assert dump.is_file()
    # the next deploy waits for the dead one's session to go, then finishes the release
    deploy(p)
    assert history_rows(pg_url) == {START: "applied", V2[0]: "applied", NEW: "applied"}
    assert _log_rows(pg_url) == 1


@pytest.mark.parametrize("pg_url", ["pg15"], indirect=True)
def test_connection_lost_mid_migration_is_rolled_back_on_a_new_one(tmp_path: Path, pg_url: str) -> None:
    """The server ends the deploy's session in its second migration: the first is rolled back over a
    new connection, and the database is as before."""
    p = make(tmp_path, pg_url, (V1, V2, V3_LOG))
    p.add(*SLOW_LOG)
    before = snapshot(pg_url)
    database = pg_url.rsplit("/", 1)[1]

    def terminate() -> None:
        deadline = time.monotonic() + 20
        with psycopg.connect(pg_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            while time.monotonic() < deadline:
                row = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                                    "AND query LIKE '%%pg_sleep%%' AND pid <> pg_backend_pid()", (database,)).fetchone()
                if row is not None:
                    return
                time.sleep(0.02)

    killer = threading.Thread(target=terminate)
    killer.start()
    proc = deploy(p, expect=1)
    killer.join()
    assert error_line(proc) == (
        f"Deploy to production failed: The connection to {pg_url} was lost during the {V3_LOG[0]}_{V3_LOG[1]}.sql "
        "(terminating connection due to administrator command); the server rolled back the open transaction, so "
        f"nothing of it was applied; rolled back 1 migration(s) to {START} and verified the schema; release record: "
        f"{record_name(p)}.")
    assert "reconnected for the on_failure policy" in proc.stdout
    schema, rows, _ = before
    assert snapshot(pg_url)[:2] == (schema, rows)
    assert history_rows(pg_url) == {START: "applied", V3_LOG[0]: "failed"}
    doc = json.loads(records(p)[-1].read_text())
    assert doc["outcome"] == "failed, rolled back" and statuses(doc)["applied"] == "failed"

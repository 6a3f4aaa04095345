"""`safeshift deploy` when something fails after the backup: the environment's on_failure policy
(rollback, restore, stop), the database as it was before (schema introspected, rows fingerprinted),
the release record saying what happened, and one sentence naming the failure and the record."""

from __future__ import annotations

from pathlib import Path

from tests.deploy._kit import (
    HEALTH_FAIL,
    HEALTH_FAIL_LINE,
    NEW,
    START,
    V1,
    V2,
    V3,
    V3_UNIQUE,
    backups,
    columns,
    data,
    deploy,
    item,
    make,
    record,
    record_name,
    snapshot,
    statuses,
)
from tests.runner._project import error_line, history_rows, schema_of

V2_FILE, V3_FILE = f"{V2[0]}_{V2[1]}.sql", f"{V3[0]}_{V3[1]}.sql"
HEALTH_FAILED = f'the health check "{HEALTH_FAIL}" failed (exit 3): {HEALTH_FAIL_LINE}'


def _backup_hint(p_root: Path, dump: Path) -> str:
    rel = dump.relative_to(p_root)
    return f"; the pre-deploy backup is {rel} (`safeshift restore {rel} --env production`)"


def test_migration_failing_on_production_data_is_rolled_back(tmp_path: Path, db_url: str) -> None:
    """The first migration applies, the second meets duplicates: the first is rolled back, and the
    database is what it was (schema by introspection, every table's rows by fingerprint)."""
    p = make(tmp_path, db_url, (V1, V2, V3_UNIQUE), duplicate_email=True)
    schema, rows, _ = snapshot(db_url)
    proc = deploy(p, expect=1)
    unique_file = f"{V3_UNIQUE[0]}_{V3_UNIQUE[1]}.sql"
    reason = ('could not create unique index "users_email"' if db_url.startswith("postgresql")
              else "UNIQUE constraint failed: users.email")
    sqlstate = "23505" if db_url.startswith("postgresql") else "SQLITE_CONSTRAINT_UNIQUE"
    assert error_line(proc) == (
        f"Deploy to production failed: {unique_file} line 3 failed (SQLSTATE {sqlstate}): {reason}: "
        f"`CREATE UNIQUE INDEX users_email ON users (email)`; rolled back 1 migration(s) to {START} and verified "
        f"the schema; release record: {record_name(p)}.")
    assert f"rolling back {V2[0]}_{V2[1]} ..." in proc.stdout
    assert schema_of(db_url) == schema and data(db_url) == rows
    # the history keeps the failure (so `status` shows it); the rolled-back migration is gone from it
    assert history_rows(db_url) == {START: "applied", V3_UNIQUE[0]: "failed"}

    doc = record(p)
    assert doc["outcome"] == "failed, rolled back" and doc["to_version"] == START
    assert doc["error"].startswith(f"{unique_file} line 3 failed (SQLSTATE {sqlstate})")
    assert statuses(doc) == {"reviewed": "passed",  # every dialect is reviewed (issue 18)
                             "generated": "passed", "rehearsed": "skipped", "backup": "passed",
                             "applied": "failed", "verified": "not run", "rollback": "passed"}
    assert item(doc, "applied")["evidence"] == {"applied before the failure": [V2[0]]}
    assert isinstance(doc["migrations"][0]["duration_ms"], int) and "duration_ms" not in doc["migrations"][1]
    rollback = item(doc, "rollback")
    assert rollback["note"] == "performed; schema verified"
    assert rollback["evidence"] == {"policy": "rollback", "to": START, "rolled back": [V2_FILE],
                                    "drift after rollback": "none"}
    if db_url.startswith("postgresql"):
        acknowledged = item(doc, "reviewed")["evidence"]["acknowledged"]
        assert acknowledged == [f"{unique_file}:3 require-concurrent-index-creation: users holds a few hundred rows"]


def test_health_failure_rolls_back_by_default(tmp_path: Path, pg_url: str) -> None:
    p = make(tmp_path, pg_url, health=HEALTH_FAIL)
    before = snapshot(pg_url)
    proc = deploy(p, expect=1)
    assert error_line(proc) == (f"Deploy to production failed: {HEALTH_FAILED}; rolled back 2 migration(s) to "
                                f"{START} and verified the schema; release record: {record_name(p)}.")
    assert snapshot(pg_url) == before
    doc = record(p)
    assert doc["outcome"] == "failed, rolled back" and doc["error"] == HEALTH_FAILED
    assert statuses(doc)["applied"] == "passed" and statuses(doc)["verified"] == "failed"
    assert item(doc, "verified")["evidence"] == {"drift": "none", "health": {
        "command": HEALTH_FAIL, "exit code": 3, "last line": HEALTH_FAIL_LINE}}
    assert item(doc, "rollback")["evidence"]["rolled back"] == [V2_FILE, V3_FILE]


def test_health_failure_restores_the_backup(tmp_path: Path, db_url: str) -> None:
    url = db_url
    p = make(tmp_path, url, health=HEALTH_FAIL, env='on_failure = "restore"\n')
    before = snapshot(url)
    proc = deploy(p, expect=1)
    pre, safety = backups(p)  # the pre-deploy backup, then the safety backup of the failed state
    assert error_line(proc) == (f"Deploy to production failed: {HEALTH_FAILED}; the pre-deploy backup "
                                f"{pre.relative_to(p.root)} was restored; release record: {record_name(p)}.")
    assert f"restore: safety backup of the failed state: {safety.relative_to(p.root)}" in proc.stdout
    assert snapshot(url) == before, "schema, rows and history are the backup's"
    doc = record(p)
    assert doc["outcome"] == "failed, restored" and doc["to_version"] == START
    evidence = item(doc, "rollback")["evidence"]
    taken_at = evidence["backup taken at"]
    assert evidence == {
        "policy": "restore", "backup": str(pre.relative_to(p.root)), "backup taken at": taken_at,
        "backup age at restore": evidence["backup age at restore"],
        "writes lost": f"every write to production since {taken_at} (kept in the safety backup)",
        "safety backup": str(safety.relative_to(p.root)), "drift after restore": "none"}


def test_restore_without_yes_is_refused_and_recorded(tmp_path: Path, sqlite_url: str) -> None:
    """No terminal and no --yes: nothing is restored; the sentence and the record say so and where the backup is."""
    p = make(tmp_path, sqlite_url, health=HEALTH_FAIL, env='on_failure = "restore"\nconfirm = false\n')
    proc = deploy(p, expect=1, yes=False)
    (pre,) = backups(p)
    assert error_line(proc) == (
        f"Deploy to production failed: {HEALTH_FAILED}; the restore needs a typed confirmation and there was no "
        "terminal to ask on (--yes restores without asking), so the database was left as it is"
        f"{_backup_hint(p.root, pre)}; release record: {record_name(p)}.")
    assert history_rows(sqlite_url) == {START: "applied", V2[0]: "applied", NEW: "applied"}
    doc = record(p)
    assert doc["outcome"] == "failed" and doc["to_version"] == NEW
    rollback = item(doc, "rollback")
    assert rollback["status"] == "failed" and rollback["note"] == (
        "not restored: the restore needs a typed confirmation and there was no terminal to ask on (--yes restores "
        "without asking)")


def test_stop_leaves_the_new_version(tmp_path: Path, sqlite_url: str) -> None:
    p = make(tmp_path, sqlite_url, health=HEALTH_FAIL, env='on_failure = "stop"\n')
    proc = deploy(p, expect=1)
    (pre,) = backups(p)
    assert error_line(proc) == (
        f"Deploy to production failed: {HEALTH_FAILED}; the database was left as it is (on_failure = stop)"
        f"{_backup_hint(p.root, pre)}; release record: {record_name(p)}.")
    assert history_rows(sqlite_url) == {START: "applied", V2[0]: "applied", NEW: "applied"}
    assert "name" in columns(sqlite_url, "users")
    doc = record(p)
    assert doc["outcome"] == "failed, stopped" and doc["to_version"] == NEW
    assert item(doc, "rollback")["status"] == "skipped"
    assert item(doc, "rollback")["note"] == "left as it is (on_failure = stop)"


def test_no_backup_skips_the_item_and_restore_says_so(tmp_path: Path, sqlite_url: str) -> None:
    p = make(tmp_path, sqlite_url, env="backup = false\n")
    deploy(p)
    assert backups(p) == []
    backup = item(record(p), "backup")
    assert (backup["status"], backup["note"]) == ("skipped", "backup = false for production")

    q = make(tmp_path / "restore", sqlite_url.replace("test.db", "r.db"), health=HEALTH_FAIL,
             env='backup = false\non_failure = "restore"\n')
    proc = deploy(q, expect=1)
    assert error_line(proc) == (
        f"Deploy to production failed: {HEALTH_FAILED}; on_failure = restore, but there is no backup to restore "
        f"(backup = false for production), so the database was left as it is; release record: {record_name(q)}.")
    doc = record(q)
    assert doc["outcome"] == "failed" and item(doc, "rollback")["status"] == "failed"
    assert item(doc, "rollback")["note"] == "no backup to restore (backup = false for production)"


def test_rollback_that_cannot_undo_points_at_the_backup(tmp_path: Path, sqlite_url: str) -> None:
    p = make(tmp_path, sqlite_url, health=HEALTH_FAIL)
    p.add(*V3, irreversible=True)  # after the snapshots were taken: its down section is now refused
    proc = deploy(p, expect=1)
    (pre,) = backups(p)
    assert error_line(proc) == (
        f"Deploy to production failed: {HEALTH_FAILED}; rollback could not restore the schema (Cannot roll back "
        f"{V3_FILE}: it is marked `-- safeshift:irreversible`; restore a backup or write a new migration that undoes "
        f"it){_backup_hint(p.root, pre)}; release record: {record_name(p)}.")
    doc = record(p)
    assert doc["outcome"] == "failed" and item(doc, "rollback")["status"] == "failed"


def test_nothing_applied_means_nothing_undone(tmp_path: Path, sqlite_url: str) -> None:
    """The first migration fails: no rollback to run and, under restore, no restore that would throw
    away what the app wrote since the backup."""
    p = make(tmp_path, sqlite_url, (V1, V3_UNIQUE), duplicate_email=True, env='on_failure = "restore"\n')
    before = data(sqlite_url)
    proc = deploy(p, expect=1)
    assert error_line(proc).endswith(
        f"; nothing had been applied, so the database was left as it was; release record: {record_name(p)}.")
    assert data(sqlite_url) == before and len(backups(p)) == 1
    doc = record(p)
    assert doc["outcome"] == "failed" and item(doc, "rollback")["note"] == (
        "nothing was applied, so there was nothing to undo")

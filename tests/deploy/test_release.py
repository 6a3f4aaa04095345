"""`safeshift deploy` when all goes well, and `safeshift report`: the release record as the runbook's
completion checklist, each item with evidence a reviewer can check against the files and the database."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.deploy._kit import (
    NEW,
    START,
    V2,
    V3,
    backups,
    columns,
    deploy,
    item,
    make,
    record,
    record_name,
    records,
    statuses,
)
from tests.runner._project import PASSWORD, error_line, history_rows, invoke, password_pg_fixture  # noqa: F401

ALL_PASSED = {k: "passed" for k in ("reviewed", "generated", "rehearsed", "backup", "applied", "verified",
                                    "rollback")}


def test_release_on_every_backend(tmp_path: Path, db_url: str) -> None:
    p = make(tmp_path, db_url)
    p.run("rehearse", "--scratch", "--from", "production", url=False)
    proc = deploy(p, subprocess=True)
    assert f"released: production is at {NEW}" in proc.stdout
    assert proc.stdout.rstrip().endswith(f"release record: {record_name(p)}")
    assert history_rows(db_url) == {START: "applied", V2[0]: "applied", NEW: "applied"}
    assert "name" in columns(db_url, "users")

    doc = record(p)
    assert doc["outcome"] == "released" and doc["environment"] == "production" and doc["error"] is None
    assert (doc["from_version"], doc["to_version"]) == (START, NEW)
    assert statuses(doc) == ALL_PASSED  # every dialect is reviewed (SQLite's SQL by sqlglot)
    assert item(doc, "reviewed")["evidence"]["unacknowledged errors"] == []
    # each migration: file, sha256 of its content as sealed, its duration
    assert [m["file"] for m in doc["migrations"]] == [f"{V2[0]}_{V2[1]}.sql", f"{V3[0]}_{V3[1]}.sql"]
    assert all(len(m["checksum"]) == 64 and isinstance(m["duration_ms"], int) and m["lock_retries"] == 0
               for m in doc["migrations"])
    generated = item(doc, "generated")["evidence"]
    assert generated["migrations"] == [f"{m['file']} sha256:{m['checksum'][:12]}" for m in doc["migrations"]]
    rehearsed = item(doc, "rehearsed")["evidence"]
    assert (p.root / rehearsed["report"]).is_file() and rehearsed["versions"] == [V2[0], V3[0]]
    # the backup is the file on disk, with its sha256, taken at the version the deploy started from
    evidence = item(doc, "backup")["evidence"]
    (dump,) = backups(p)
    assert evidence["path"] == str(dump.relative_to(p.root))
    assert evidence["sha256"] == hashlib.sha256(dump.read_bytes()).hexdigest() and evidence["size"] == dump.stat().st_size
    assert evidence["at migration"] == START and evidence["verification"]["kind"] in ("list", "integrity_check")
    assert item(doc, "applied")["evidence"]["migrations"] == 2
    verified = item(doc, "verified")["evidence"]
    assert verified["drift"] == "none"
    assert verified["health"]["exit code"] == 0 and verified["health"]["last line"] == "healthy: 60 users, 0 named"
    rollback = item(doc, "rollback")
    assert rollback["note"] == "ready" and rollback["evidence"]["policy"] == "rollback"
    assert rollback["evidence"]["down sections"] == [m["file"] for m in doc["migrations"]]

    # report, --latest, FILE (the JSON or its markdown twin) and --json all print this record
    md = records(p)[-1].with_suffix(".md").read_text()
    assert md.startswith(f"# Release {doc['id']}: released\n")
    assert "1. [x] **Schema changes reviewed**" in md or "1. [-] **Schema changes reviewed**" in md
    assert "4. [x] **Backup of production taken**: passed" in md and f"   - sha256: {evidence['sha256']}" in md
    for args in ((), ("--latest",), (str(records(p)[-1]),), (record_name(p),)):
        shown = invoke(p.root, "report", *args)
        assert shown.stdout.startswith(md), args
    assert json.loads(invoke(p.root, "report", "--json").stdout) == doc


def test_nothing_pending_verifies_and_takes_no_backup(tmp_path: Path, pg_url: str) -> None:
    p = make(tmp_path, pg_url)
    deploy(p)
    first = records(p)
    proc = deploy(p)
    assert "nothing to deploy: every migration is applied" in proc.stdout
    assert f"nothing to deploy: production is at {NEW}" in proc.stdout
    assert len(records(p)) == 2 and records(p)[0] == first[0], "each deploy writes its own record"
    assert len(backups(p)) == 1, "nothing pending: no backup"
    doc = record(p)
    assert doc["outcome"] == "nothing to deploy" and doc["migrations"] == []
    assert statuses(doc) == {"reviewed": "skipped", "generated": "passed", "rehearsed": "skipped",
                             "backup": "skipped", "applied": "skipped", "verified": "passed", "rollback": "skipped"}
    assert item(doc, "backup")["note"] == "nothing to apply"
    assert item(doc, "verified")["evidence"]["drift"] == "none"
    assert item(doc, "verified")["evidence"]["health"]["last line"] == "healthy: 60 users, 0 named"


def test_passwords_never_reach_the_record(tmp_path: Path, password_pg: str) -> None:
    """A scram-sha-256 server: the password is needed (pg_dump, the runner, the health command) and printed nowhere."""
    import psycopg

    name = f"pw_{tmp_path.name[-20:].replace('-', '_').lower()}"
    with psycopg.connect(password_pg, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = password_pg.rsplit("/", 1)[0] + f"/{name}"
    p = make(tmp_path, url, env_url="${DATABASE_URL}", health='echo "connected to $DATABASE_URL"')
    wrong = url.replace(PASSWORD, "wr0ng-Passw0rd")
    proc = deploy(p, env={"DATABASE_URL": wrong}, expect=4)
    assert error_line(proc) == (f"Cannot connect to {url.replace(PASSWORD, '***')}: password authentication "
                                'failed for user "app".')
    assert record(p)["outcome"] == "failed" and history_rows(url) == {START: "applied"}

    proc = deploy(p, env={"DATABASE_URL": url})
    assert record(p)["outcome"] == "released"
    assert item(record(p), "verified")["evidence"]["health"]["last line"] == (
        f"connected to {url.replace(PASSWORD, '***')}")
    texts = [proc.stdout, proc.stderr, invoke(p.root, "report").stdout]
    texts += [f.read_text() for f in (p.root / ".safeshift").rglob("*") if f.suffix in (".json", ".md")]
    for text in texts:
        assert PASSWORD not in text and "wr0ng-Passw0rd" not in text

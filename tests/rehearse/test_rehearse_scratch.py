"""`safeshift rehearse --scratch` on real databases: the copy, the checks, the report, the cleanup."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeshift import api, rehearse
from safeshift.config import load_config
from safeshift.errors import RehearsalFailed
from tests.rehearse._kit import (
    COMMENTS,
    POSTS,
    USERS,
    V1,
    V2,
    V2_FORGETFUL,
    V2_UNIQUE,
    V3,
    build,
    checks,
    copy_survives,
    fill,
    report,
    smoke_cmd,
    smoke_result,
    state,
)
from tests.runner._project import error_line

PASS_ALL = {"apply": "pass", "snapshot": "pass", "reversibility": "pass", "reapply": "pass", "smoke": "pass"}


def test_with_data_passes_every_check_and_leaves_the_source_alone(tmp_path: Path, db_url: str) -> None:
    p = build(tmp_path, db_url)
    before = state(db_url)
    seen = tmp_path / "seen.json"
    proc = p.run("rehearse", "--scratch", "--with-data", "--smoke", smoke_cmd(seen))
    assert "rehearsal passed on a scratch copy of development (with data)" in proc.stdout
    assert "20260101000002_add_users_name" in proc.stdout and "20260101000003_create_tags" in proc.stdout
    doc = report(p)
    assert doc["passed"] is True and checks(doc) == PASS_ALL
    assert doc["mode"] == "scratch-data" and doc["start_version"] == V1[0]
    assert [r["version"] for r in doc["rehearsed"]] == [V2[0], V3[0]]
    assert all(len(r["checksum"]) == 64 for r in doc["rehearsed"])
    assert [m["version"] for m in doc["migrations"]] == [V2[0], V3[0]]
    assert all(m["applied"] and m["ms"] is not None for m in doc["migrations"])
    lines = [[s["line"] for s in m["statements"]] for m in doc["migrations"]]
    assert lines == [[2], [2, 3]]
    assert doc["migrations"][0]["statements"][0]["sql"] == "ALTER TABLE users ADD COLUMN name varchar(100)"
    # the smoke command ran against the copy, at the new version, with every row
    smoke = smoke_result(seen)
    assert smoke["url"] != db_url and smoke["counts"] == {"users": USERS, "posts": POSTS, "comments": COMMENTS,
                                                          "tags": 0}
    assert "name" in smoke["columns"]["users"]
    assert state(db_url) == before
    assert not copy_survives(db_url, doc)
    md = (p.root / ".safeshift" / "rehearsals").glob("*.md")
    assert "# safeshift rehearsal: passed" in next(md).read_text()


def test_postgres_report_names_the_locks_each_statement_took(tmp_path: Path, pg_url: str) -> None:
    v3 = (V3[0], V3[1], V3[2].replace("CREATE INDEX posts_title", "-- safeshift:no-transaction\n"
                                      "CREATE INDEX CONCURRENTLY posts_title"),
          V3[3].replace("DROP INDEX posts_title", "-- safeshift:no-transaction\nDROP INDEX CONCURRENTLY posts_title"))
    p = build(tmp_path, pg_url, (V1, V2, v3))
    p.run("rehearse", "--scratch")
    doc = report(p)
    assert checks(doc) == {**PASS_ALL, "smoke": "skipped"} and doc["mode"] == "scratch-schema"
    alter = doc["migrations"][0]["statements"][0]
    assert {"locktype": "relation", "mode": "AccessExclusiveLock", "relation": "public.users", "new": True,
            "documented": False} in alter["locks"]
    create, concurrent = doc["migrations"][1]["statements"]
    assert create["transactional"] and any(lk["mode"] == "AccessExclusiveLock" and lk["relation"] == "public.tags"
                                           for lk in create["locks"])
    assert not concurrent["transactional"]
    assert concurrent["locks"] == [{"locktype": "relation", "mode": "ShareUpdateExclusiveLock", "relation": "posts",
                                    "new": True, "documented": True}]
    assert any(f["rule"] for f in doc["findings"]), "the review of the pending migrations is in the report"
    assert not copy_survives(pg_url, doc)


def test_failing_migration_names_the_statement_and_leaves_the_source_untouched(tmp_path: Path, db_url: str) -> None:
    p = build(tmp_path, db_url, (V1, V2_UNIQUE), rows=False)
    fill(db_url, duplicate_email=True)
    before = state(db_url)
    proc = p.run("rehearse", "--scratch", "--with-data", expect=1)
    message = error_line(proc)
    assert message.startswith("The rehearsal on a scratch copy of development (with data) failed 1 check(s) (apply)")
    assert "20260101000002_unique_email.sql line 2 failed" in message
    assert "CREATE UNIQUE INDEX users_email ON users (email)" in message
    assert "the source database was not changed" in message and ".safeshift/rehearsals/" in message
    doc = report(p)
    assert doc["passed"] is False
    assert checks(doc) == {"apply": "fail", "snapshot": "skipped", "reversibility": "skipped", "reapply": "skipped",
                           "smoke": "skipped"}
    failure = doc["failure"]
    assert (failure["file"], failure["line"]) == ("20260101000002_unique_email.sql", 2)
    if db_url.startswith("postgresql"):
        assert failure["sqlstate"] == "23505"
    assert "20260101000002_unique_email: FAILED" in proc.stdout
    assert state(db_url) == before
    assert not copy_survives(db_url, doc)


def test_down_section_that_forgets_a_column_fails_reversibility(tmp_path: Path, db_url: str) -> None:
    p = build(tmp_path, db_url, (V1, V2), rows=False)
    p.add(*V2_FORGETFUL)  # after the snapshots were taken with the right down section
    proc = p.run("rehearse", "--scratch", expect=1)
    doc = report(p)
    assert checks(doc)["apply"] == "pass" and checks(doc)["snapshot"] == "pass"
    assert checks(doc)["reversibility"] == "fail"
    reverse = next(c for c in doc["checks"] if c["name"] == "reversibility")
    schema = "public" if db_url.startswith("postgresql") else "main"
    assert len(reverse["differences"]) == 1
    assert reverse["differences"][0].startswith(f"extra column {schema}.users.name: ")
    assert "(reversibility" in error_line(proc) and f"extra column {schema}.users.name" in error_line(proc)
    assert not copy_survives(db_url, doc)


def test_sample_limits_rows_and_keeps_foreign_keys_valid(tmp_path: Path, db_url: str) -> None:
    url = db_url
    p = build(tmp_path, url)
    seen = tmp_path / "seen.json"
    p.run("rehearse", "--scratch", "--sample", "25", "--smoke", smoke_cmd(seen))
    doc = report(p)
    assert checks(doc) == PASS_ALL and doc["mode"] == "scratch-sample" and doc["sample_rows"] == 25
    smoke = smoke_result(seen)
    assert all(n <= 25 for n in smoke["counts"].values()), smoke["counts"]
    assert smoke["counts"]["users"] == 25 and smoke["counts"]["posts"] > 0
    assert smoke["orphans"] == 0 and smoke["fks"] == 2
    assert not copy_survives(url, doc)


def test_schema_only_copy_has_the_history_but_no_rows(tmp_path: Path, db_url: str) -> None:
    p = build(tmp_path, db_url)
    seen = tmp_path / "seen.json"
    p.run("rehearse", "--scratch", "--smoke", smoke_cmd(seen))
    assert checks(report(p)) == PASS_ALL
    assert set(smoke_result(seen)["counts"].values()) == {0}


def test_with_data_uses_the_latest_backup_at_the_current_version(tmp_path: Path, pg_url: str) -> None:
    p = build(tmp_path, pg_url)
    p.run("backup")
    p.run("rehearse", "--scratch", "--with-data")
    assert report(p)["copy"].startswith("restored backup ")
    p.run("migrate", "--to", V2[0])  # the backup is now behind: a fresh dump is taken
    p.run("rehearse", "--scratch", "--with-data")
    assert report(p)["copy"] == "a fresh pg_dump of the source restored with pg_restore"


def test_smoke_failure_exits_1_with_its_last_line(tmp_path: Path, sqlite_url: str) -> None:
    p = build(tmp_path, sqlite_url, rows=False)
    proc = p.run("rehearse", "--scratch", "--smoke", "echo starting; echo app cannot start; exit 3", expect=1)
    assert '"echo starting; echo app cannot start; exit 3" exited 3: app cannot start' in error_line(proc)
    assert checks(report(p))["smoke"] == "fail"


def test_health_of_the_environment_is_the_default_smoke(tmp_path: Path, sqlite_url: str) -> None:
    p = build(tmp_path, sqlite_url, rows=False, environments='[environments.development]\nhealth = "exit 4"\n')
    proc = p.run("rehearse", "--scratch", expect=1)
    assert '"exit 4" exited 4' in error_line(proc)


def test_nothing_pending_says_so_and_writes_a_report(tmp_path: Path, db_url: str) -> None:
    p = build(tmp_path, db_url, (V1,), rows=False)
    proc = p.run("rehearse", "--scratch")
    assert "nothing pending on a scratch copy of development (schema only): nothing to rehearse" in proc.stdout
    doc = report(p)
    assert doc["passed"] is True and doc["rehearsed"] == [] and doc["copy_database"] is None
    assert set(checks(doc).values()) == {"skipped"}


def test_evidence_covers_exactly_the_rehearsed_files(tmp_path: Path, sqlite_url: str) -> None:
    p = build(tmp_path, sqlite_url, rows=False)
    result = api.rehearse(load_config(p.root, url_override=sqlite_url), scratch=True)
    wanted = {v: c for v, _, _, c in result.pending}
    found = rehearse.find_evidence(p.root, wanted)
    assert found is not None and (p.root / found["report"]) == result.report_json
    assert found["mode"] == "scratch-schema" and found["source"] == "development"
    assert rehearse.find_evidence(p.root, {V2[0]: wanted[V2[0]]}) == {**found, "versions": [V2[0]]}
    assert rehearse.find_evidence(p.root, {V2[0]: "0" * 64}) is None, "an edited file needs a new rehearsal"
    assert rehearse.find_evidence(p.root, wanted, env_name="production") is None
    with pytest.raises(RehearsalFailed) as caught:
        api.rehearse(load_config(p.root, url_override=sqlite_url), scratch=True, smoke="exit 1")
    failed = caught.value.result
    assert isinstance(failed, rehearse.Rehearsal) and failed.failed_checks[0].name == "smoke"
    assert rehearse.find_evidence(p.root, wanted) == found, "a failed rehearsal is no evidence"

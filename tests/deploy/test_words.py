"""What a release says to the people running it (issue 21): headers name the environment before its URL,
the release record's Markdown is a readable page, a restore says how old its backup is and what is lost."""

from __future__ import annotations

import re
from pathlib import Path

from safeshift.text import redact_url
from tests.deploy._kit import HEALTH_FAIL, backups, deploy, item, make, record, records
from tests.runner._project import error_line, invoke


def test_headers_name_the_environment_then_the_redacted_url(tmp_path: Path, sqlite_url: str) -> None:
    p = make(tmp_path, sqlite_url)
    where = f"production ({redact_url(sqlite_url)})"
    assert deploy(p).stdout.splitlines()[0] == f"deploying to {where}"
    status = invoke(p.root, "status", "--env", "production").stdout.splitlines()
    assert status[0] == where
    assert invoke(p.root, "migrate", "--env", "production", "--yes").stdout.splitlines()[-1] == (
        f"{where}: nothing to apply (3 already applied)")
    assert invoke(p.root, "rollback", "--env", "production", "--yes").stdout.splitlines()[-1] == (
        f"{where}: 1 rolled back")


def test_the_record_markdown_shows_findings_as_a_table_and_names_the_backup_by_environment(
        tmp_path: Path, pg_url: str) -> None:
    p = make(tmp_path, pg_url, env='health = "echo ok | cat"\n', health="")
    deploy(p)
    md = records(p)[-1].with_suffix(".md").read_text()
    assert "{" not in md.split("## Checklist", 1)[1], md  # no raw JSON left in the checklist
    assert "4. [x] **Backup of production taken**: passed" in md and "Production backup" not in md
    review = md.split("1. [x] **Schema changes reviewed**: passed\n", 1)[1].split("\n2. ", 1)[0]
    assert review.splitlines()[:6] == [
        "   - findings:",
        "",
        "     | section | error | warning | info |",
        "     | --- | --- | --- | --- |",
        f"     | up | {item(record(p), 'reviewed')['evidence']['findings']['error']} | "
        f"{item(record(p), 'reviewed')['evidence']['findings']['warning']} | "
        f"{item(record(p), 'reviewed')['evidence']['findings']['info']} |",
        "     | down | " + " | ".join(str(item(record(p), "reviewed")["evidence"]["down section findings"][s])
                                     for s in ("error", "warning", "info")) + " |",
    ]
    assert "     | echo ok \\| cat | 0 | ok |" in md  # a pipe in a cell is escaped, not a new column


def test_a_restore_says_how_old_the_backup_is_and_what_is_lost(tmp_path: Path, sqlite_url: str) -> None:
    """Before asking (and with --yes, which asks nothing), in the output and in the record."""
    p = make(tmp_path, sqlite_url, health=HEALTH_FAIL, env='on_failure = "restore"\n')
    out = deploy(p, expect=1).stdout.splitlines()
    pre = backups(p)[0].relative_to(p.root)
    doc = record(p)
    evidence = item(doc, "rollback")["evidence"]
    taken_at, age = evidence["backup taken at"], evidence["backup age at restore"]
    assert re.fullmatch(r"\d+ ms|\d+\.\d s|\d+ s", age), age
    said = (f"  restore: the backup {pre} was taken {age} ago ({taken_at}); restoring it loses every write to "
            "production made since then (a safety backup of the current state keeps them)")
    asked = next(line for line in out if line.startswith(f"  on_failure = restore: {pre} replaces everything in "))
    assert said in out, "\n".join(out)
    assert out.index(said) < out.index(asked)
    assert evidence["writes lost"] == f"every write to production since {taken_at} (kept in the safety backup)"
    md = records(p)[-1].with_suffix(".md").read_text()
    assert f"   - backup taken at: {taken_at}" in md and f"   - backup age at restore: {age}" in md
    assert (f"**Rollback ready or performed**: passed: the pre-deploy backup, taken {age} before, was restored; "
            f"writes since {taken_at} are in the safety backup only") in md


def test_backup_verify_restore_restores_the_deploys_backup_and_the_record_says_so(tmp_path: Path,
                                                                                  sqlite_url: str) -> None:
    p = make(tmp_path, sqlite_url, env='backup_verify = "restore"\n')
    deploy(p)
    evidence = item(record(p), "backup")["evidence"]
    assert evidence["verification"]["kind"] == "restore"
    rows = evidence["verification"]["rows"]
    assert evidence["verified by"] == (
        "PRAGMA integrity_check, then restored into a scratch database and compared with the source as dumped: "
        f"{evidence['verification']['tables']} table(s), {rows:,} rows equal (backup_verify = \"restore\")")
    md = records(p)[-1].with_suffix(".md").read_text()
    assert f"   - verified by: {evidence['verified by']}" in md
    assert "     | kind | tables | rows | ms | check kind | check ms |" in md  # a table, not JSON


def test_the_default_backup_check_is_named_in_the_record(tmp_path: Path, sqlite_url: str) -> None:
    p = make(tmp_path, sqlite_url)
    deploy(p)
    assert item(record(p), "backup")["evidence"]["verified by"] == (
        'PRAGMA integrity_check only (backup_verify = "check"; "restore" also restores it into a scratch database '
        "and compares)")


def test_backup_verify_takes_check_or_restore(tmp_path: Path, sqlite_url: str) -> None:
    p = make(tmp_path, sqlite_url, env='backup_verify = "full"\n')
    assert error_line(deploy(p, expect=2)) == (
        "'backup_verify' in [environments.production] in safeshift.toml must be \"check\" (the dump tool's check) or "
        "\"restore\" (restore into a scratch database and compare), not 'full'.")

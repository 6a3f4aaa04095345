"""Issue 7's "done means": a drizzle-kit project through safeshift's whole runbook.

The TypeScript schema changes five times and the real drizzle-kit writes the folder (see
``_kit``).  The first release (two migrations) is deployed; the rest is rehearsed on a
scratch copy (which must know what drizzle's table says is applied), deployed once with a
failing health check (rolled back through the drizzle down files), then for real; ``verify``
is clean and sees a hand-made index; it is rolled back step by step to empty, the database
equal to each earlier drizzle snapshot, and deployed again; drizzle's own migrator then finds
nothing pending.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from safeshift.formats import drizzle
from safeshift.model import Schema, make_schema
from tests.drizzle._kit import (
    TAGS,
    VERSIONS,
    DrizzleProject,
    app_schema,
    drizzle_rows,
    make_project,
    node_migrate,
    scalar,
    truncate_journal,
)
from tests.runner._project import connect, error_line, invoke


def _snapshot(folder: Path, index: int) -> Schema:
    if index < 0:
        return make_schema("postgresql")
    return drizzle.snapshot_schema(drizzle.snapshot_file(folder, TAGS[index]))


def _record(p: DrizzleProject) -> dict[str, Any]:
    records = sorted((p.root / ".safeshift" / "releases").glob("*.json"))
    doc: dict[str, Any] = json.loads(records[-1].read_text())
    return doc


def _item(record: dict[str, Any], key: str) -> dict[str, Any]:
    found: dict[str, Any] = next(i for i in record["items"] if i["key"] == key)
    return found


def _execute(url: str, sql: str) -> None:
    conn = connect(url)
    try:
        conn.execute(sql)
    finally:
        conn.close()


def test_deploy_rehearse_verify_roll_back_to_empty_and_deploy_again(drizzle_source: Path, tmp_path: Path,
                                                                     pg_url: str) -> None:
    p = make_project(drizzle_source, tmp_path, pg_url)
    full = tmp_path / "full"
    shutil.copytree(p.folder, full)
    truncate_journal(p.folder, 2)

    # release 1: create_tables, add_email
    out = p.run("deploy", "--yes").stdout
    assert "released" in out, out
    assert len(drizzle_rows(pg_url)) == 2
    assert app_schema(pg_url) == _snapshot(p.folder, 1)
    first = _record(p)
    assert [m["checksum"] for m in first["migrations"]] == [
        drizzle.drizzle_hash((p.folder / f"{t}.sql").read_text(encoding="utf-8")) for t in TAGS[:2]]
    assert _item(first, "generated")["evidence"]["sum file"] == "drizzle's hashes (drizzle-kit folder)"
    assert _item(first, "backup")["evidence"]["at migration"] == "empty"

    # release 2 is the whole folder: the data migration gets its down SQL by hand, as rollback asks
    shutil.rmtree(p.folder)
    shutil.copytree(full, p.folder)
    drizzle.attach_down(drizzle.read_folder(p.folder), write=True)
    custom = p.root / ".safeshift" / "drizzle-down" / "0002.sql"
    lines = [ln for ln in custom.read_text().splitlines() if "safeshift:irreversible" not in ln]
    custom.write_text("\n".join([*lines, "DELETE FROM \"audit\" WHERE \"note\" = 'seeded';", ""]))
    (p.root / "safeshift.toml").write_text('migrations = "drizzle"\n\n[environments.development]\n'
                                           "require_rehearsal = true\n", encoding="utf-8")

    # deploy wants a rehearsal of these exact files first
    assert "requires a passed rehearsal" in error_line(p.run("deploy", "--yes", "--allow-hazards", expect=1))
    rehearsal = p.run("rehearse", "--scratch").stdout
    assert "rehearsal passed" in rehearsal, rehearsal
    report = json.loads(sorted((p.root / ".safeshift" / "rehearsals").glob("*.json"))[-1].read_text())
    assert report["start_version"] == "0001", "the copy knows from drizzle's table what is applied"
    assert [r["version"] for r in report["rehearsed"]] == list(VERSIONS[2:])
    assert "drizzle.__drizzle_migrations" in report["copy"]
    checks = {c["name"]: c["status"] for c in report["checks"]}
    assert checks == {"apply": "pass", "snapshot": "pass", "reversibility": "pass", "reapply": "pass",
                      "smoke": "skipped"}, report["checks"]
    assert len(drizzle_rows(pg_url)) == 2, "the source is only read"

    # a failing health check: on_failure = rollback runs the drizzle down files of what it applied
    failed = p.run("deploy", "--yes", "--allow-hazards", "--health", "exit 3", expect=1)
    assert 'the health check "exit 3" failed' in error_line(failed)
    assert len(drizzle_rows(pg_url)) == 2
    assert app_schema(pg_url) == _snapshot(p.folder, 1)
    record = _record(p)
    assert record["outcome"] == "failed, rolled back"
    assert _item(record, "rollback")["evidence"]["drift after rollback"] == "none"
    assert _item(record, "backup")["evidence"]["at migration"] == "0001"

    out = p.run("deploy", "--yes", "--allow-hazards").stdout
    assert "released" in out, out
    record = _record(p)
    assert _item(record, "rehearsed")["status"] == "passed"
    assert _item(record, "verified")["evidence"]["drift"] == "none"
    assert [m["version"] for m in record["migrations"]] == list(VERSIONS[2:])
    assert len(drizzle_rows(pg_url)) == len(TAGS)
    assert "no drift" in p.run("verify").stdout

    # verify compares with the drizzle snapshot, so a hand-made index is drift
    _execute(pg_url, 'CREATE INDEX audit_note_idx ON "audit" ("note")')
    drift = p.run("verify", expect=1)
    assert "extra index" in drift.stdout and "audit_note_idx" in drift.stdout, drift.stdout
    _execute(pg_url, "DROP INDEX audit_note_idx")

    # step by step back to empty: each time the database is the snapshot before, and verify agrees
    for index in reversed(range(len(TAGS))):
        # require_rehearsal is development's gate for rollback too: the first two were never rehearsed
        gate = ("--skip-gates", "applied before require_rehearsal was set") if index < 2 else ()
        assert TAGS[index] in p.run("rollback", *gate).stdout
        assert app_schema(pg_url) == _snapshot(p.folder, index - 1), f"after rolling back {TAGS[index]}"
        assert "no drift" in p.run("verify", "--at-applied").stdout  # the rolled-back ones are pending
    assert drizzle_rows(pg_url) == []

    # drizzle's table is all that is left (empty), so review's gate lets everything through (no
    # --allow-hazards); a rehearsal from there rolls the copy back to that state too
    assert "rehearsal passed" in p.run("rehearse", "--scratch").stdout
    out = p.run("deploy", "--yes").stdout
    assert "released" in out, out
    assert app_schema(pg_url) == _snapshot(p.folder, len(TAGS) - 1)
    rows = drizzle_rows(pg_url)
    node_migrate(pg_url, p.folder)
    assert drizzle_rows(pg_url) == rows, "drizzle's migrator must find nothing pending"
    assert scalar(pg_url, "SELECT count(*) FROM audit") == 1


def test_generate_and_rehash_say_drizzle_kit_writes_the_folder(drizzle_source: Path, tmp_path: Path) -> None:
    p = make_project(drizzle_source, tmp_path, "")
    for args, command in ((("generate", "--name", "x"), "safeshift generate"),
                          (("generate", "--check"), "safeshift generate --check"),
                          (("generate", "--custom", "--name", "x"), "safeshift generate")):
        err = error_line(invoke(p.root, *args, expect=2))
        assert err == ("drizzle/ is a drizzle-kit folder, which drizzle-kit generates from your TypeScript schema; "
                       f"run `npx drizzle-kit generate` (`--custom` for hand-written SQL) instead of `{command}`."), err
    err = error_line(invoke(p.root, "rehash", expect=2))
    assert err.startswith("drizzle/ is a drizzle-kit folder: drizzle-kit generates it (`npx drizzle-kit generate`)")
    assert not (p.folder / "safeshift.sum").exists()
    assert sorted(f.name for f in p.folder.iterdir()) == sorted(f.name for f in (drizzle_source / "drizzle").iterdir())

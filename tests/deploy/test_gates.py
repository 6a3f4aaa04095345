"""The preflight gates of `safeshift deploy`: review, the schema source, required rehearsal.  A gate
that fails refuses before anything changes (no backup, no migration) and the record says which."""

from __future__ import annotations

import json
from pathlib import Path

from safeshift import history
from safeshift.dialects import dialect_for_url
from tests.deploy._kit import (
    NEW,
    START,
    V1,
    V2,
    V3,
    V3_DROP,
    backups,
    deploy,
    item,
    make,
    record,
    record_name,
    statuses,
)
from tests.runner._project import connect, error_line, history_rows

NOT_RUN = {k: "not run" for k in ("reviewed", "generated", "rehearsed", "backup", "applied", "verified", "rollback")}


def test_unacknowledged_hazard_refuses_until_allowed(tmp_path: Path, pg_url: str) -> None:
    p = make(tmp_path, pg_url, (V1, V2, V3_DROP))
    proc = deploy(p, expect=1)
    drop_file = f"{V3_DROP[0]}_{V3_DROP[1]}.sql"
    assert error_line(proc) == (
        f"{drop_file}:2 has an unacknowledged hazard [drop-column]: Dropping comments.body deletes its data, and "
        "running app instances that still use it fail; run `safeshift review`, then fix it or add "
        "`-- safeshift:allow drop-column <reason>` above the statement, or pass --allow-hazards.")
    assert proc.stdout.rstrip().endswith(f"release record: {record_name(p)}")
    assert backups(p) == [] and history_rows(pg_url) == {START: "applied"}
    doc = record(p)
    assert doc["outcome"] == "failed" and doc["error"] == error_line(proc)
    assert statuses(doc) == {**NOT_RUN, "reviewed": "failed"}
    assert item(doc, "reviewed")["evidence"]["unacknowledged errors"] == [f"{drop_file}:2 drop-column"]

    deploy(p, "--allow-hazards")
    doc = record(p)
    assert doc["outcome"] == "released" and item(doc, "reviewed")["note"] == "hazards let through by --allow-hazards"
    conn = connect(pg_url)
    try:
        assert history.read(dialect_for_url(pg_url), conn)[NEW].allowed_hazards == "drop-column (line 2)"
    finally:
        conn.close()


def test_required_rehearsal_of_these_exact_files(tmp_path: Path, sqlite_url: str) -> None:
    p = make(tmp_path, sqlite_url, env="require_rehearsal = true\n")
    refusal = ("Environment 'production' requires a passed rehearsal of these exact migrations and none was found; "
               "run `safeshift rehearse --scratch --from production` (or `--env staging`) first.")
    assert error_line(deploy(p, expect=1)) == refusal
    doc = record(p)
    assert statuses(doc) == {**NOT_RUN, "reviewed": "passed", "generated": "passed", "rehearsed": "failed"}
    assert item(doc, "rehearsed")["evidence"] == {"wanted": [V2[0], NEW]}
    assert backups(p) == [] and history_rows(sqlite_url) == {START: "applied"}

    p.run("rehearse", "--scratch", "--from", "production", url=False)
    # a file edited after its rehearsal is not the file that was rehearsed
    p.add(V3[0], V3[1], V3[2] + "\n-- reviewed again", V3[3])
    assert error_line(deploy(p, expect=1)) == refusal

    p.run("rehearse", "--scratch", "--from", "production", url=False)
    deploy(p)
    doc = record(p)
    rehearsed = item(doc, "rehearsed")
    reports = sorted((p.root / ".safeshift" / "rehearsals").glob("*.json"))
    assert rehearsed["status"] == "passed" and rehearsed["evidence"]["report"] == str(reports[-1].relative_to(p.root))
    assert json.loads(reports[-1].read_text())["passed"] is True
    assert rehearsed["evidence"]["versions"] == [V2[0], NEW] and rehearsed["evidence"]["source"] == "production"


MODELS = """
from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()
Table("users", metadata, Column("id", Integer, primary_key=True, autoincrement=False),
      Column("email", String(200), nullable=False), Column("name", String(100)))
Table("posts", metadata, Column("id", Integer, primary_key=True, autoincrement=False),
      Column("author_id", Integer, ForeignKey("users.id"), nullable=False), Column("title", Text))
Table("comments", metadata, Column("id", Integer, primary_key=True, autoincrement=False),
      Column("post_id", Integer, ForeignKey("posts.id")), Column("body", Text))
tags = Table("tags", metadata, Column("id", Integer, primary_key=True, autoincrement=False),
             Column("label", Text, nullable=False))
Index("tags_label", tags.c.label)
"""


def test_models_must_agree_with_the_migrations(tmp_path: Path, sqlite_url: str) -> None:
    p = make(tmp_path, sqlite_url)
    config = p.root / "safeshift.toml"
    config.write_text('schema = "models:metadata"\n' + config.read_text(), encoding="utf-8")
    # the models gained a column nobody generated a migration for
    (p.root / "models.py").write_text(MODELS.replace('Column("name", String(100))',
                                                     'Column("name", String(100)), Column("nickname", String(50))'))
    proc = deploy(p, expect=1, subprocess=True)  # a fresh interpreter imports the models anew
    assert error_line(proc) == (
        "The schema source (models:metadata) and the migrations disagree (1 change(s): add column: "
        "main.users.nickname); run `safeshift generate --name ...`, review and commit the migration, then deploy "
        "again.")
    assert backups(p) == [] and history_rows(sqlite_url) == {START: "applied"}
    doc = record(p)
    assert statuses(doc) == {**NOT_RUN, "generated": "failed"}
    assert item(doc, "generated")["evidence"] == {"schema source": "models:metadata",
                                                  "differences": ["add column: main.users.nickname"]}

    (p.root / "models.py").write_text(MODELS, encoding="utf-8")  # the models as the migrations leave the schema
    deploy(p, subprocess=True)
    assert item(record(p), "generated")["evidence"]["schema source agrees"] == "yes (models:metadata)"

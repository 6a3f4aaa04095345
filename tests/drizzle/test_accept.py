"""Acknowledging a hazard of a drizzle-kit migration without touching the file drizzle hashes (issue 17).

``safeshift review --accept RULE FILE:LINE --reason`` records the acceptance in the folder's
``safeshift.accept.toml``, for the file's present sha256; migrate's hazard gate honours it as it
honours a ``-- safeshift:allow`` comment, and an edited file blocks again.  The folder is the real
drizzle-kit's; drizzle-kit and drizzle's migrator are run beside it to show neither minds the file.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from safeshift.formats import drizzle
from tests.drizzle._kit import TAGS, drizzle_kit, drizzle_rows, make_project, node_migrate, scalar
from tests.runner._project import connect, error_line, invoke

DROP = f"drizzle/{TAGS[4]}.sql"  # ALTER TABLE "posts" DROP COLUMN "title"; on line 1


def test_rollback_then_reapply_a_drop_blocked_accepted_then_blocked_after_an_edit(
        drizzle_source: Path, tmp_path: Path, pg_url: str, pg_target: str) -> None:
    p = make_project(drizzle_source, tmp_path, pg_url)
    p.run("migrate")  # a database without tables: nothing to lose, no gate
    path = p.root / DROP
    digest = drizzle.drizzle_hash(path.read_text(encoding="utf-8"))
    assert drizzle_rows(pg_url)[-1][1] == digest
    p.run("rollback")
    conn = connect(pg_url)
    try:
        conn.execute("INSERT INTO users (name) VALUES ('a')")
        conn.execute("INSERT INTO posts (author_id, title) VALUES (1, 'kept until the drop')")
    finally:
        conn.close()

    # blocked, and told the way through that leaves drizzle's hash alone
    err = error_line(p.run("migrate", expect=1))
    assert err.startswith(f"{TAGS[4]}.sql:1 has an unacknowledged hazard [drop-column]"), err
    assert f'accept it with `safeshift review --accept drop-column {DROP}:1 --reason "..."`' in err, err
    assert "-- safeshift:allow" not in err

    # a finding review does not report there is refused, so is a safeshift-style comment's place
    wrong = error_line(invoke(p.root, "review", "--accept", "drop-table", f"{DROP}:1", "--reason", "x", expect=2))
    assert wrong.startswith(f"{DROP}:1 has no [drop-table] finding to accept (it has: ") and "drop-column" in wrong
    assert not (p.folder / "safeshift.accept.toml").exists()

    out = invoke(p.root, "review", "--accept", "drop-column", f"{DROP}:1", "--reason", "titles moved to slugs").stdout
    assert f"accepted [drop-column] at {DROP}:1 in drizzle/safeshift.accept.toml, for the file's sha256 {digest[:12]}" \
        in out
    recorded = tomllib.loads((p.folder / "safeshift.accept.toml").read_text(encoding="utf-8"))["accept"]
    assert [(a["file"], a["line"], a["rule"], a["reason"], a["sha256"]) for a in recorded] == [
        (f"{TAGS[4]}.sql", 1, "drop-column", "titles moved to slugs", digest)]
    assert drizzle.drizzle_hash(path.read_text(encoding="utf-8")) == digest, "the migration file is untouched"
    findings = json.loads(invoke(p.root, "review", DROP, "--format", "json").stdout)["findings"]
    assert [(f["rule"], f["acknowledged"], f.get("reason")) for f in findings if f["rule"] == "drop-column"] == [
        ("drop-column", True, "titles moved to slugs")]

    assert "1 applied" in p.run("migrate").stdout
    assert drizzle_rows(pg_url)[-1][1] == digest, "drizzle's row holds the hash drizzle computes"
    assert scalar(pg_url, "SELECT count(*) FROM posts") == 1
    # drizzle-kit and drizzle's migrator do not mind the file beside theirs
    drizzle_kit(p.root, "check")
    node_migrate(pg_target, p.folder)
    assert [h for _, h, _ in drizzle_rows(pg_target)] == [h for _, h, _ in drizzle_rows(pg_url)]

    # roll back again and edit the migration: the acceptance was for the text reviewed, so it blocks again
    p.run("rollback")
    path.write_text(path.read_text(encoding="utf-8") + "--> statement-breakpoint\nDELETE FROM \"audit\";\n",
                    encoding="utf-8")
    err = error_line(p.run("migrate", expect=1))
    assert err.startswith(f"{TAGS[4]}.sql:1 has an unacknowledged hazard [drop-column]"), err
    assert f"its acceptance in drizzle/safeshift.accept.toml was for an earlier text of the file, sha256 " \
           f"{digest[:12]}, and no longer holds" in err, err
    assert len(drizzle_rows(pg_url)) == len(TAGS) - 1

    # accepted again for the new text (the DELETE has a finding of its own, accepted too): it passes
    invoke(p.root, "review", "--accept", "drop-column", f"{DROP}:1", "--reason", "titles moved to slugs")
    blocked = error_line(p.run("migrate", expect=1))
    assert "[delete-without-where]" in blocked, blocked
    line = int(blocked.split(" has ", 1)[0].rsplit(":", 1)[1])
    assert line > 1
    invoke(p.root, "review", "--accept", "delete-without-where", f"{DROP}:{line}", "--reason", "audit is rebuilt")
    assert "1 applied" in p.run("migrate").stdout
    recorded = tomllib.loads((p.folder / "safeshift.accept.toml").read_text(encoding="utf-8"))["accept"]
    assert sorted((a["line"], a["rule"]) for a in recorded) == [(1, "drop-column"), (line, "delete-without-where")]


def test_accept_is_for_drizzle_folders_and_needs_a_place_and_a_reason(drizzle_source: Path, tmp_path: Path) -> None:
    p = make_project(drizzle_source, tmp_path, "")
    usage = invoke(p.root, "review", "--accept", "drop-column", f"{DROP}:1", expect=2).stderr
    assert "Give --accept RULE FILE:LINE and --reason" in usage
    err = error_line(invoke(p.root, "review", "--accept", "drop-column", DROP, "--reason", "x", expect=2))
    assert err.startswith("--accept drop-column drizzle/"), err
    assert "give the place as FILE:LINE" in err
    err = error_line(invoke(p.root, "review", "--accept", "drop-column", "drizzle/nope.sql:1", "--reason", "x",
                            expect=2))
    assert "is not a migration of drizzle/" in err

    root = tmp_path / "own"
    (root / "migrations").mkdir(parents=True)
    (root / "migrations" / "20260101000000_drop.sql").write_text(
        "-- migrate:up\nALTER TABLE posts DROP COLUMN title;\n-- migrate:down\n-- safeshift:irreversible\n")
    (root / "safeshift.toml").write_text('migrations = "migrations"\n', encoding="utf-8")
    err = error_line(invoke(root, "review", "--accept", "drop-column", "migrations/20260101000000_drop.sql:2",
                            "--reason", "x", expect=2))
    assert "add `-- safeshift:allow drop-column <reason>` directly above line 2 instead of --accept" in err, err

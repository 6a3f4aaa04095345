"""A journal whose ``when`` does not grow (a merged branch), decided per database as drizzle's migrator decides.

drizzle-orm's migrator (``pg-core/dialect.js`` ``migrate``) reads the newest row of its table
(``ORDER BY created_at DESC LIMIT 1``) once, then applies every journal entry whose ``when`` is
later than that row's ``created_at``: on a fresh database every entry, whatever the order of
their ``when``; on a database that applied a newer one, an older pending entry never.  Each
test runs the real migrator beside safeshift on the folder the real drizzle-kit generated.
Also here: ``status`` names a folder's files by their tags when drizzle-kit's prefix is a
timestamp rather than the position.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.drizzle._kit import (
    STEPS,
    TAGS,
    DrizzleProject,
    app_schema,
    drizzle_kit,
    drizzle_rows,
    journal,
    make_project,
    node_migrate,
    scalar,
    truncate_journal,
)
from tests.runner._project import error_line, invoke

#: 0002_seed_audit (drizzle-kit's custom migration, one INSERT into audit) came from a branch cut
#: before 0001_add_email was generated: its `when` is lower than its predecessor's after the merge
BRANCH = 2


def _merged(drizzle_source: Path, tmp_path: Path, url: str) -> DrizzleProject:
    """The generated project with 0002's ``when`` between 0000's and 0001's, as a merge leaves it."""
    p = make_project(drizzle_source, tmp_path, url)
    path = p.folder / "meta" / "_journal.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = data["entries"]
    entries[BRANCH]["when"] = entries[0]["when"] + 1
    assert entries[BRANCH]["when"] < entries[BRANCH - 1]["when"]
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return p


def test_fresh_database_applies_every_entry_as_drizzle_does(drizzle_source: Path, tmp_path: Path, pg_url: str,
                                                            pg_target: str) -> None:
    p = _merged(drizzle_source, tmp_path, pg_url)
    # review reads SQL only: the order of `when` is no question there
    reviewed = invoke(p.root, "review", "--format", "json", expect=None)
    assert reviewed.returncode in (0, 1), reviewed.stderr
    assert {f["file"].rsplit("/", 1)[-1] for f in json.loads(reviewed.stdout)["findings"]} >= {"0004_drop_title.sql"}

    out = p.run("migrate").stdout
    assert f"{len(TAGS)} applied" in out
    node_migrate(pg_target, p.folder)
    assert drizzle_rows(pg_url) == drizzle_rows(pg_target)
    assert [c for _, _, c in drizzle_rows(pg_url)] == [e["when"] for e in journal(p.folder)]
    assert app_schema(pg_url) == app_schema(pg_target)
    assert scalar(pg_url, "SELECT count(*) FROM audit") == scalar(pg_target, "SELECT count(*) FROM audit") == 1
    # drizzle's migrator then finds nothing pending on safeshift's database, and safeshift nothing on drizzle's
    node_migrate(pg_url, p.folder)
    assert len(drizzle_rows(pg_url)) == len(TAGS)
    assert set(p.status().values()) == {"applied"}
    assert "nothing to apply" in invoke(p.root, "migrate", "--url", pg_target).stdout


def test_an_entry_older_than_the_newest_row_is_refused_where_drizzle_skips_it(
        drizzle_source: Path, tmp_path: Path, pg_url: str, pg_target: str) -> None:
    p = _merged(drizzle_source, tmp_path, pg_url)
    # both databases applied 0000 and 0001 before the branch was merged
    early = make_project(drizzle_source, tmp_path / "early", pg_url)
    truncate_journal(early.folder, BRANCH)
    for url in (pg_url, pg_target):
        node_migrate(url, early.folder)
    before = drizzle_rows(pg_url)

    err = error_line(p.run("migrate", expect=3))
    entries = journal(p.folder)
    assert err.startswith(
        f"drizzle's migrator would skip {TAGS[BRANCH]}.sql on this database because its journal \"when\" "
        f"({entries[BRANCH]['when']}) is not later than {entries[BRANCH - 1]['when']}, the created_at of the newest "
        f"row in drizzle's table ({TAGS[BRANCH - 1]}.sql's)"), err
    assert drizzle_rows(pg_url) == before, "nothing may be applied"

    # drizzle's migrator indeed skips it there: the later entries run, the INSERT into audit never does
    node_migrate(pg_target, p.folder)
    assert [c for _, _, c in drizzle_rows(pg_target)] == [e["when"] for i, e in enumerate(entries) if i != BRANCH]
    assert scalar(pg_target, "SELECT count(*) FROM audit") == 0

    # asked for, safeshift applies it (and writes drizzle's row, which drizzle's migrator then leaves alone)
    out = p.run("migrate", "--allow-out-of-order", "--allow-hazards").stdout
    assert f"{len(TAGS) - BRANCH} applied" in out
    assert scalar(pg_url, "SELECT count(*) FROM audit") == 1
    assert sorted(c for _, _, c in drizzle_rows(pg_url)) == sorted(e["when"] for e in entries)


def test_two_entries_with_one_when_are_refused_with_a_database_only(drizzle_source: Path, tmp_path: Path,
                                                                      pg_url: str) -> None:
    p = make_project(drizzle_source, tmp_path, pg_url)
    path = p.folder / "meta" / "_journal.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["entries"][BRANCH]["when"] = data["entries"][BRANCH - 1]["when"]
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    invoke(p.root, "review", expect=None)  # no refusal without a database
    err = error_line(p.run("migrate", expect=None))
    assert f"gives {TAGS[BRANCH - 1]}.sql and {TAGS[BRANCH]}.sql the same \"when\"" in err, err
    assert drizzle_rows(pg_url) == []


TIMESTAMP_CONFIG = """import { defineConfig } from "drizzle-kit";
export default defineConfig({ dialect: "postgresql", schema: "./schema.ts", out: "./drizzle",
  migrations: { prefix: "timestamp" } });
"""


def test_status_names_timestamp_prefixed_files_by_their_tags(tmp_path: Path, pg_url: str) -> None:
    root = tmp_path / "ts"
    root.mkdir()
    (root / "drizzle.config.ts").write_text(TIMESTAMP_CONFIG, encoding="utf-8")
    for step in (STEPS[0], STEPS[1]):
        assert step.schema is not None
        (root / "schema.ts").write_text(step.schema, encoding="utf-8")
        drizzle_kit(root, "generate", "--name", step.name)
    tags = [e["tag"] for e in journal(root / "drizzle")]
    assert len(tags) == 2 and all(t[:14].isdigit() and len(t.split("_", 1)[0]) == 14 for t in tags), tags
    (root / "safeshift.toml").write_text('migrations = "drizzle"\n', encoding="utf-8")
    p = DrizzleProject(root, pg_url)
    p.run("migrate", "--to", "0000")

    data = json.loads(p.run("status", "--json").stdout)["migrations"]
    assert [(m["version"], m["name"], m["state"], m["file"]) for m in data] == [
        ("0000", tags[0], "applied", f"{tags[0]}.sql"), ("0001", tags[1], "pending", f"{tags[1]}.sql")]
    text = p.run("status").stdout
    for tag in tags:
        assert tag in text

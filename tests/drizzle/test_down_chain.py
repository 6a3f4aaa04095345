"""Down SQL of a folder built from two merged branches, by the real drizzle-kit: the "before" of a migration is
the snapshot its prevId names, and a down file never drops what its migration did not create.

Two branches are generated from one common snapshot in separate copies (timestamp prefixes, so their files do
not collide) and merged as git merges them: both SQL files and snapshots, both journal entries.  Each branch's
snapshot follows the common one, so the journal's previous entry is the other branch's.  A second folder goes
on as users must: drizzle-kit refuses to generate while two snapshots share a parent, so one snapshot's prevId
is pointed at the other and the next migration generated, its re-creations of the other branch's objects
deleted by hand; its snapshot then holds objects its SQL does not create, and its down file is refused.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from safeshift.formats import drizzle
from safeshift.formats.drizzle import BREAKPOINT
from safeshift.formats.drizzle.chain import ROOT_ID as ROOT
from safeshift.formats.safeshift import MigrationFolder
from tests.drizzle import _corpus
from tests.drizzle._kit import app_schema, drizzle_rows, node_migrate, require_node, scalar
from tests.runner._project import error_line, invoke

CONFIG_TS = """import { defineConfig } from "drizzle-kit";
export default defineConfig({ dialect: "postgresql", schema: "./schema.ts", out: "./drizzle",
  migrations: { prefix: "timestamp" } });
"""
_HEAD = 'import { pgTable, serial, text, integer } from "drizzle-orm/pg-core";\n'


def _schema(*, a: bool = False, b: bool = False, c: bool = False) -> str:
    users = ('export const users = pgTable("users", {\n  id: serial("id").primaryKey(),\n  name: text("name").notNull(),\n'
             + ('  email: text("email"),\n' if a else "") + ('  nickname: text("nickname"),\n' if b else "") + "});\n")
    out = _HEAD + users
    if a:
        out += ('export const projects = pgTable("projects", { id: serial("id").primaryKey(), '
                'ownerId: integer("owner_id").references(() => users.id) });\n')
    if b:
        out += 'export const tags = pgTable("tags", { id: serial("id").primaryKey(), label: text("label") });\n'
    if c:
        out += 'export const comments = pgTable("comments", { id: serial("id").primaryKey(), body: text("body") });\n'
    return out


def _generate(project: Path, schema: str, name: str, minute: int) -> str:
    """One ``drizzle-kit generate`` in ``project`` with its clock at ``minute`` after ``_corpus.T0`` (the
    timestamp prefix has whole seconds: two real runs in one second would give one snapshot name); the new tag."""
    project.mkdir(parents=True, exist_ok=True)
    (project / "drizzle.config.ts").write_text(CONFIG_TS, encoding="utf-8")
    (project / "schema.ts").write_text(schema, encoding="utf-8")
    _corpus.kit(project, ["generate", "--name", name], now=_corpus.T0 + minute * 60_000)
    return str(_journal(project / "drizzle")["entries"][-1]["tag"])


def _journal(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "meta" / "_journal.json").read_text(encoding="utf-8"))
    return data


def _snapshot_path(folder: Path, tag: str) -> Path:
    return drizzle.snapshot_file(folder, tag)


def _snap(project: Path, tag: str) -> Path:
    return _snapshot_path(project / "drizzle", tag)


def _git_merge(ours: Path, theirs: Path, tag: str) -> None:
    """Bring ``theirs``' migration ``tag`` into ``ours`` as a merge does: its files, and its journal entry after ours."""
    for path in (theirs / "drizzle" / f"{tag}.sql", _snapshot_path(theirs / "drizzle", tag)):
        shutil.copy(path, ours / "drizzle" / path.relative_to(theirs / "drizzle"))
    data = _journal(ours / "drizzle")
    entry = next(e for e in _journal(theirs / "drizzle")["entries"] if e["tag"] == tag)
    data["entries"].append({**entry, "idx": len(data["entries"])})
    (ours / "drizzle" / "meta" / "_journal.json").write_text(json.dumps(data, indent=2), encoding="utf-8")


@dataclass(frozen=True)
class Merged:
    #: the project after the merge: [base, branch a, branch b], both branches' snapshots following base's
    merged: Path
    #: the merged project after one more migration (c), generated once b's prevId was pointed at a
    linear: Path
    tags: tuple[str, ...]


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> Merged:
    require_node()
    root = tmp_path_factory.mktemp("drizzle-merge")
    base = root / "base"
    base_tag = _generate(base, _schema(), "create_users", 0)
    a, b = root / "a", root / "b"
    shutil.copytree(base, a)
    shutil.copytree(base, b)
    a_tag = _generate(a, _schema(a=True), "branch_a", 1)
    b_tag = _generate(b, _schema(b=True), "branch_b", 2)
    merged = root / "merged"
    shutil.copytree(a, merged)
    _git_merge(merged, b, b_tag)
    (merged / "schema.ts").write_text(_schema(a=True, b=True), encoding="utf-8")

    linear = root / "linear"
    shutil.copytree(merged, linear)
    folder = linear / "drizzle"
    b_snap = _snapshot_path(folder, b_tag)
    data = json.loads(b_snap.read_text(encoding="utf-8"))
    data["prevId"] = json.loads(_snapshot_path(folder, a_tag).read_text(encoding="utf-8"))["id"]
    b_snap.write_text(json.dumps(data, indent=2), encoding="utf-8")
    c_tag = _generate(linear, _schema(a=True, b=True, c=True), "after_merge", 3)
    c_sql = folder / f"{c_tag}.sql"
    pieces = c_sql.read_text(encoding="utf-8").split(BREAKPOINT)
    # drizzle-kit diffed against b's snapshot, so it creates a's objects again: the user deletes those statements
    kept = [p for p in pieces if "projects" not in p and '"email"' not in p]
    assert len(kept) < len(pieces) and any("comments" in p for p in kept)
    c_sql.write_text(BREAKPOINT.join(kept), encoding="utf-8")
    return Merged(merged, linear, (base_tag, a_tag, b_tag, c_tag))


def _project(source: Path, tmp_path: Path, url: str) -> Path:
    root = tmp_path / "app"
    shutil.copytree(source, root)
    (root / "safeshift.toml").write_text('migrations = "drizzle"\n', encoding="utf-8")
    return root


def _drizzle_at(source: Path, tmp_path: Path, keep: int, url: str) -> None:
    """``url`` emptied, then brought by drizzle's own migrator to the folder's first ``keep`` migrations."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS drizzle CASCADE")
        conn.execute("DROP SCHEMA IF EXISTS safeshift CASCADE")
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    if keep == 0:
        return
    copy = tmp_path / f"drizzle-at-{keep}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(source / "drizzle", copy / "drizzle")
    data = _journal(copy / "drizzle")
    data["entries"] = data["entries"][:keep]
    (copy / "drizzle" / "meta" / "_journal.json").write_text(json.dumps(data), encoding="utf-8")
    node_migrate(url, copy / "drizzle")


def _rows(url: str) -> list[tuple[object, ...]]:
    return [row[1:] for row in drizzle_rows(url)]


def test_merged_branches_roll_back_by_the_snapshot_chain(merged: Merged, tmp_path: Path, pg_url: str,
                                                         pg_target: str) -> None:
    root = _project(merged.merged, tmp_path, pg_url)
    base_tag, a_tag, b_tag, _ = merged.tags
    invoke(root, "migrate", "--url", pg_url)
    _drizzle_at(merged.merged, tmp_path, 3, pg_target)
    assert app_schema(pg_url) == app_schema(pg_target)
    assert _rows(pg_url) == _rows(pg_target), "the rows drizzle writes (hash, when), ids apart"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (name, email, nickname) VALUES ('ada', 'a@x', 'ad')")

    down = (root / ".safeshift" / "drizzle-down" / "0002.sql").read_text(encoding="utf-8")
    assert f"Its snapshot follows meta/{_snap(root, base_tag).name} (prevId)" in down
    assert 'DROP TABLE "public"."tags"' in down and '"nickname"' in down
    assert "projects" not in down and '"email"' not in down, "branch a's objects are not branch b's to drop"

    for keep, tag in ((2, b_tag), (1, a_tag), (0, base_tag)):
        assert tag in invoke(root, "rollback", "--url", pg_url).stdout
        _drizzle_at(merged.merged, tmp_path, keep, pg_target)
        assert app_schema(pg_url) == app_schema(pg_target), f"after rolling back {tag}"
        assert _rows(pg_url) == _rows(pg_target)
        if keep:
            assert scalar(pg_url, "SELECT name FROM users") == "ada", "rows of untouched tables stay"

    invoke(root, "migrate", "--url", pg_url)
    _drizzle_at(merged.merged, tmp_path, 3, pg_target)
    assert app_schema(pg_url) == app_schema(pg_target)
    assert _rows(pg_url) == _rows(pg_target), "the rows drizzle writes (hash, when), ids apart"


@pytest.mark.parametrize("pg_url", ["pg15"], indirect=True)  # a refusal: one server shows it
def test_a_down_file_that_would_drop_another_branchs_tables_is_refused(merged: Merged, tmp_path: Path,
                                                                      pg_url: str) -> None:
    root = _project(merged.linear, tmp_path, pg_url)
    _, a_tag, b_tag, c_tag = merged.tags
    invoke(root, "migrate", "--url", pg_url)
    rows = drizzle_rows(pg_url)
    assert len(rows) == 4

    err = error_line(invoke(root, "rollback", "--url", pg_url, expect=3))
    c_snap, b_snap = _snap(root, c_tag).name, _snap(root, b_tag).name
    assert err.startswith(f"Cannot roll back {c_tag}.sql: drizzle's snapshots cannot give its down SQL: diffing "
                          f"meta/{c_snap} against meta/{b_snap} would drop "), err
    assert "table public.projects" in err and "column public.users.email" in err
    assert "which its SQL does not create" in err and ".safeshift/drizzle-down/0003.sql" in err
    assert drizzle_rows(pg_url) == rows, "nothing may run before the refusal"
    assert scalar(pg_url, "SELECT to_regclass('public.projects') IS NOT NULL")

    # b's prevId now names a's snapshot, which holds a's objects b's SQL never dropped: refused too
    b_down = (root / ".safeshift" / "drizzle-down" / "0002.sql").read_text(encoding="utf-8")
    assert "-- safeshift:irreversible" in b_down
    assert f"against meta/{_snap(root, a_tag).name} would create " in b_down, b_down
    assert "table public.projects" in b_down
    assert "again, which its SQL does not drop" in b_down


def test_a_missing_snapshot_is_named(merged: Merged, tmp_path: Path) -> None:
    root = _project(merged.merged, tmp_path, "")
    base_tag, a_tag, _, _ = merged.tags
    _snap(root, base_tag).unlink()
    folder = drizzle.attach_down(drizzle.read_folder(root / "drizzle"), write=True)
    for m in folder.migrations[1:]:
        assert m.irreversible
        assert "a custom or hand-written" not in m.irreversible_reason
        assert f"meta/{_snap(root, base_tag).name}" in m.irreversible_reason, m.irreversible_reason
        assert "is missing" in m.irreversible_reason
    _snap(root, a_tag).unlink()
    (root / ".safeshift").rename(tmp_path / "old-downs")
    folder = drizzle.attach_down(drizzle.read_folder(root / "drizzle"), write=True)
    assert folder.migrations[1].irreversible_reason == (
        f"drizzle's snapshots cannot give its down SQL: its snapshot meta/{_snap(root, a_tag).name} is missing")


def _chain_folder(tmp_path: Path, links: list[tuple[str, str]]) -> MigrationFolder:
    """A hand-made folder of one-table migrations whose snapshots have the (id, prevId) ``links``."""
    from tests.drizzle._kit import write_folder

    folder = write_folder(tmp_path, {f"000{i}_m{i}": f'CREATE TABLE "t{i}" ("id" integer);' for i in range(len(links))})
    for i, (ident, prev) in enumerate(links):
        tables = {f"public.t{j}": {"name": f"t{j}", "schema": "", "columns": {
            "id": {"name": "id", "type": "integer", "primaryKey": False, "notNull": False}}} for j in range(i + 1)}
        (folder / "meta" / f"000{i}_snapshot.json").write_text(json.dumps({
            "id": ident, "prevId": prev, "version": "7", "dialect": "postgresql", "tables": tables, "enums": {},
            "schemas": {}, "sequences": {}, "_meta": {}}), encoding="utf-8")
    return drizzle.read_folder(folder)


@pytest.mark.parametrize(("links", "index", "words"), [
    ([("a", ROOT), ("b", "c"), ("c", "a")], 1, "follows meta/0002_snapshot.json, but the journal applies 0002_m2.sql "
                                               "after 0001_m1.sql"),
    ([("a", ROOT), ("b", "a"), ("b", "a")], 2, "has the same id as meta/0001_snapshot.json"),
    ([("a", ROOT), ("b", ROOT)], 1, "starts a new chain of snapshots"),
    ([("a", ROOT), ("b", "zzz")], 1, "follows a snapshot (id zzz) that is not in meta/"),
])
def test_a_chain_that_disagrees_with_the_journal_is_refused_naming_both(tmp_path: Path, links: list[tuple[str, str]],
                                                                        index: int, words: str) -> None:
    folder = _chain_folder(tmp_path, links)
    text = drizzle.down_text(folder, index)
    assert "-- safeshift:irreversible" in text
    assert words in text, text


def test_the_chain_skips_the_other_branch(tmp_path: Path) -> None:
    """[base, a, b] with b following base: b's down drops only b's table (its SQL creates only t2)."""
    folder = _chain_folder(tmp_path, [("base", ROOT), ("a", "base"), ("b", "base")])
    snap = tmp_path / "drizzle" / "meta" / "0002_snapshot.json"
    data = json.loads(snap.read_text(encoding="utf-8"))
    del data["tables"]["public.t1"]  # branch b never saw a's table
    snap.write_text(json.dumps(data), encoding="utf-8")
    text = drizzle.down_text(folder, 2)
    assert 'DROP TABLE "public"."t2";' in text and "t1" not in text.split("review it.")[1], text
    assert "leaving meta/0001_snapshot.json of the other branch applied" in text


def test_a_down_file_written_before_the_check_is_checked_when_read(merged: Merged, tmp_path: Path) -> None:
    """A down file that an earlier safeshift derived from the journal's previous snapshot (or a hand edit) and
    that drops what the migration did not create is refused when read, naming it; one as written is trusted."""
    root = _project(merged.linear, tmp_path, "")
    c_tag = merged.tags[3]
    folder = drizzle.attach_down(drizzle.read_folder(root / "drizzle"), write=True)
    m = folder.migrations[3]
    assert m.irreversible  # derived now: refused (see above)
    stale = root / ".safeshift" / "drizzle-down" / "0003.sql"
    stale.write_text(f"-- down SQL for drizzle/{c_tag}.sql (sha256 {m.sha256}), written by safeshift\n\n"
                     'DROP TABLE "public"."comments";\n\nDROP TABLE "public"."projects";\n\n'
                     'ALTER TABLE "public"."users" DROP COLUMN "email";\n', encoding="utf-8")
    m = drizzle.read_folder(root / "drizzle").migrations[3]
    assert m.irreversible
    assert m.irreversible_reason.startswith("its down file .safeshift/drizzle-down/0003.sql drops column "
                                            f"public.users.email, table public.projects, which {c_tag}.sql does not "
                                            "create"), m.irreversible_reason
    stale.write_text(stale.read_text(encoding="utf-8").split("\n\nDROP TABLE \"public\".\"projects\"")[0] + "\n")
    assert drizzle.read_folder(root / "drizzle").migrations[3].reversible, "dropping its own table is fine"
    first = (root / ".safeshift" / "drizzle-down" / "0000.sql").read_text(encoding="utf-8")
    assert "DROP TABLE" in first and first.splitlines()[-1].startswith("-- checked against the migration's SQL")
    assert drizzle.read_folder(root / "drizzle").migrations[0].reversible

"""Renames in drizzle migrations are rolled back by renaming back, never by a drop and a create.

The renames are answered in the real drizzle-kit's prompt (through a pseudo-terminal, as a person would):
drizzle-kit then writes ``ALTER TABLE .. RENAME ..`` and leaves the snapshot's ``_meta`` empty, so only the
migration's SQL says it was a rename.  Down statements that delete data say so, and review flags them.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import time
from pathlib import Path

import psycopg
import pytest

from safeshift.formats import drizzle
from safeshift.lint import review_down
from tests.drizzle._kit import (
    DRIZZLE_KIT,
    NODE_MODULES,
    app_schema,
    drizzle_kit,
    node_migrate,
    require_node,
    scalar,
)
from tests.drizzle._kit import write_folder as write_drizzle_folder
from tests.runner._project import invoke

CONFIG_TS = """import { defineConfig } from "drizzle-kit";
export default defineConfig({ dialect: "postgresql", schema: "./schema.ts", out: "./drizzle" });
"""
_HEAD = 'import { pgTable, serial, text, integer, index } from "drizzle-orm/pg-core";\n'


def _schema(users: str, name: str) -> str:
    return (_HEAD + f'export const users = pgTable("{users}", {{ id: serial("id").primaryKey(), '
            f'name: text("{name}").notNull() }});\n'
            'export const posts = pgTable("posts", { id: serial("id").primaryKey(), '
            'authorId: integer("author_id").references(() => users.id) }, (t) => [index("posts_author_idx").on('
            't.authorId)]);\n')


def generate_answering(project: Path, name: str, answers: list[int]) -> None:
    """``drizzle-kit generate`` in a pseudo-terminal, answering each "created or renamed?" prompt by moving
    down ``answers[i]`` entries (0: created; 1: renamed from the first candidate)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: drizzle-kit, with the terminal it needs for its prompts
        os.chdir(project)
        os.environ["NODE_PATH"] = str(NODE_MODULES)
        os.execvp("node", ["node", str(DRIZZLE_KIT), "generate", "--name", name])
    seen, todo, deadline = b"", list(answers), time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if not select.select([fd], [], [], 0.5)[0]:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if b"created or renamed" in chunk and todo:
                time.sleep(0.1)
                os.write(fd, b"\x1b[B" * todo.pop(0) + b"\r")
    finally:
        os.close(fd)
        status = os.waitpid(pid, 0)[1]
    assert status == 0 and not todo, seen.decode(errors="replace")


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """drizzle-kit's project: users and posts, then users renamed to people and name to full_name."""
    require_node()
    root = tmp_path_factory.mktemp("drizzle-renames") / "project"
    root.mkdir()
    (root / "drizzle.config.ts").write_text(CONFIG_TS, encoding="utf-8")
    (root / "schema.ts").write_text(_schema("users", "name"), encoding="utf-8")
    drizzle_kit(root, "generate", "--name", "create")
    (root / "schema.ts").write_text(_schema("people", "full_name"), encoding="utf-8")
    generate_answering(root, "rename", [1, 1])
    sql = next((root / "drizzle").glob("0001_*.sql")).read_text(encoding="utf-8")
    assert 'ALTER TABLE "users" RENAME TO "people"' in sql and 'RENAME COLUMN "name" TO "full_name"' in sql
    meta = json.loads((root / "drizzle" / "meta" / "0001_snapshot.json").read_text(encoding="utf-8"))["_meta"]
    assert meta["tables"] == {} and meta["columns"] == {}, "drizzle-kit keeps no rename answer in the snapshot"
    return root


def _at(source: Path, tmp_path: Path, keep: int, url: str) -> None:
    """``url`` emptied, then brought by drizzle's own migrator to the first ``keep`` migrations."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS drizzle CASCADE")
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    copy = tmp_path / f"at-{keep}" / "drizzle"
    shutil.rmtree(copy.parent, ignore_errors=True)
    shutil.copytree(source / "drizzle", copy)
    data = json.loads((copy / "meta" / "_journal.json").read_text(encoding="utf-8"))
    data["entries"] = data["entries"][:keep]
    (copy / "meta" / "_journal.json").write_text(json.dumps(data), encoding="utf-8")
    node_migrate(url, copy)


def test_a_renamed_table_and_column_roll_back_by_renaming_with_their_rows(renamed: Path, tmp_path: Path,
                                                                           pg_url: str, pg_target: str) -> None:
    root = tmp_path / "app"
    shutil.copytree(renamed, root)
    (root / "safeshift.toml").write_text('migrations = "drizzle"\n', encoding="utf-8")
    invoke(root, "migrate", "--url", pg_url, "--allow-hazards")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO people (full_name) VALUES ('ada')")
        conn.execute("INSERT INTO posts (author_id) SELECT id FROM people")

    down = (root / ".safeshift" / "drizzle-down" / "0001.sql").read_text(encoding="utf-8")
    assert 'ALTER TABLE "public"."people" RENAME COLUMN "full_name" TO "name";' in down
    assert 'ALTER TABLE "public"."people" RENAME TO "users";' in down
    assert "DROP TABLE" not in down and "CREATE TABLE" not in down

    invoke(root, "rollback", "--url", pg_url)
    _at(renamed, tmp_path, 1, pg_target)
    assert app_schema(pg_url) == app_schema(pg_target)
    assert scalar(pg_url, "SELECT name FROM users") == "ada", "the rows stay"
    assert scalar(pg_url, "SELECT count(*) FROM posts JOIN users ON users.id = posts.author_id") == 1

    invoke(root, "migrate", "--url", pg_url, "--allow-hazards")
    _at(renamed, tmp_path, 2, pg_target)
    assert app_schema(pg_url) == app_schema(pg_target)
    assert scalar(pg_url, "SELECT full_name FROM people") == "ada"


def test_a_down_statement_that_deletes_data_says_so_and_review_flags_it(renamed: Path, tmp_path: Path) -> None:
    root = tmp_path / "app"
    shutil.copytree(renamed, root)
    folder = drizzle.attach_down(drizzle.read_folder(root / "drizzle"), write=True)
    text = (root / ".safeshift" / "drizzle-down" / "0000.sql").read_text(encoding="utf-8")
    assert '-- data loss: table public.users and all its rows are deleted\nDROP TABLE "public"."users"' in text
    found = review_down(folder.migrations[0].down_statements, text, file="0000.sql")
    assert {f.rule for f in found} >= {"drop-table"} and all(f.section == "down" for f in found)


def test_constraint_and_index_renames_in_the_sql_are_renamed_back(tmp_path: Path, renamed: Path) -> None:
    """A hand-edited rename of a key and an index: the down file renames them back, drops nothing."""
    root = tmp_path / "app"
    shutil.copytree(renamed, root)
    folder_path = root / "drizzle"
    snap = json.loads((folder_path / "meta" / "0001_snapshot.json").read_text(encoding="utf-8"))
    posts = snap["tables"]["public.posts"]
    fk = next(iter(posts["foreignKeys"].values()))
    posts["foreignKeys"] = {"posts_author_fk": {**fk, "name": "posts_author_fk"}}
    index = posts["indexes"].pop("posts_author_idx")
    posts["indexes"]["posts_author_id_idx"] = {**index, "name": "posts_author_id_idx"}
    (folder_path / "meta" / "0001_snapshot.json").write_text(json.dumps(snap), encoding="utf-8")
    sql_path = next(folder_path.glob("0001_*.sql"))
    sql_path.write_text(drizzle.BREAKPOINT.join([
        'ALTER TABLE "users" RENAME TO "people";', 'ALTER TABLE "people" RENAME COLUMN "name" TO "full_name";',
        'ALTER TABLE "posts" RENAME CONSTRAINT "posts_author_id_users_id_fk" TO "posts_author_fk";',
        'ALTER INDEX "posts_author_idx" RENAME TO "posts_author_id_idx";']), encoding="utf-8")
    folder = drizzle.read_folder(folder_path)
    text = drizzle.down_text(folder, 1)
    assert 'RENAME CONSTRAINT "posts_author_fk" TO' in text, text
    assert 'ALTER INDEX "public"."posts_author_id_idx" RENAME TO "posts_author_idx"' in text, text
    assert "DROP INDEX" not in text and "DROP CONSTRAINT" not in text and "DROP TABLE" not in text


def _enum_folder(tmp_path: Path, files: dict[str, str], states: list[dict[str, object]]) -> Path:
    """A hand-made folder: a table ``t`` with a column ``m`` of the one enum of each state (name, values, schema)."""
    folder = write_drizzle_folder(tmp_path, files)
    for i, e in enumerate(states):
        schema = str(e.get("schema", "public"))
        column = {"name": "m", "type": e["name"], "typeSchema": schema, "primaryKey": False, "notNull": False,
                  "default": "'ok'"}
        (folder / "meta" / f"000{i}_snapshot.json").write_text(json.dumps({
            "id": f"id-{i}", "prevId": "00000000-0000-0000-0000-000000000000" if i == 0 else f"id-{i - 1}",
            "version": "7", "dialect": "postgresql", "sequences": {}, "views": {}, "policies": {}, "roles": {},
            "schemas": {} if schema == "public" else {schema: schema}, "_meta": {},
            "enums": {f"{schema}.{e['name']}": {"name": e["name"], "schema": schema, "values": e["values"]}},
            "tables": {"public.t": {"name": "t", "schema": "", "columns": {
                "id": {"name": "id", "type": "integer", "primaryKey": False, "notNull": False}, "m": column}}}}),
            encoding="utf-8")
    (tmp_path / "safeshift.toml").write_text('migrations = "drizzle"\n', encoding="utf-8")
    return folder


def test_a_renamed_enum_and_label_roll_back_by_renaming_with_their_rows(tmp_path: Path, pg_url: str) -> None:
    folder = _enum_folder(tmp_path, {
        "0000_mood": 'CREATE TYPE "public"."mood" AS ENUM(\'ok\', \'sad\');\n--> statement-breakpoint\n'
                     'CREATE TABLE "t" ("id" integer, "m" "mood" DEFAULT \'ok\');',
        "0001_feeling": 'ALTER TYPE "public"."mood" RENAME TO "feeling";\n--> statement-breakpoint\n'
                        'ALTER TYPE "public"."feeling" RENAME VALUE \'sad\' TO \'blue\';',
    }, [{"name": "mood", "values": ["ok", "sad"]}, {"name": "feeling", "values": ["ok", "blue"]}])
    invoke(tmp_path, "migrate", "--url", pg_url, "--allow-hazards")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO t (id, m) VALUES (1, 'blue'), (2, 'ok')")
    down = (tmp_path / ".safeshift" / "drizzle-down" / "0001.sql").read_text(encoding="utf-8")
    assert down.index("RENAME VALUE 'blue' TO 'sad'") < down.index('ALTER TYPE "public"."feeling" RENAME TO "mood"')
    assert "DROP TYPE" not in down and "CREATE TYPE" not in down, down

    invoke(tmp_path, "rollback", "--url", pg_url)
    assert app_schema(pg_url) == drizzle.snapshot_schema(folder / "meta" / "0000_snapshot.json")
    assert scalar(pg_url, "SELECT string_agg(m::text, ',' ORDER BY id) FROM t") == "sad,ok", "the rows follow"
    invoke(tmp_path, "migrate", "--url", pg_url, "--allow-hazards")
    assert app_schema(pg_url) == drizzle.snapshot_schema(folder / "meta" / "0001_snapshot.json")


def test_a_rename_the_snapshots_cannot_undo_is_refused_by_name(tmp_path: Path) -> None:
    folder = _enum_folder(tmp_path, {
        "0000_mood": 'CREATE SCHEMA "app";\n--> statement-breakpoint\n'
                     'CREATE TYPE "app"."mood" AS ENUM(\'ok\');\n--> statement-breakpoint\n'
                     'CREATE TABLE "t" ("id" integer, "m" "app"."mood" DEFAULT \'ok\');',
        "0001_schema": 'ALTER SCHEMA "app" RENAME TO "core";',
    }, [{"name": "mood", "values": ["ok"], "schema": "app"}, {"name": "mood", "values": ["ok"], "schema": "core"}])
    m = drizzle.attach_down(drizzle.read_folder(folder), write=True).migrations[1]
    assert m.irreversible
    assert m.irreversible_reason == ("drizzle's snapshots cannot give its down SQL: line 1 renames schema app to core, "
                                     "which safeshift cannot yet undo from the snapshots (undo it with the inverse "
                                     "statement)")


def test_a_renamed_policy_comes_back_under_its_old_name(tmp_path: Path) -> None:
    """A policy holds no rows: the snapshots' drop and create of it undo ``ALTER POLICY .. RENAME``."""
    folder = write_drizzle_folder(tmp_path, {
        "0000_docs": 'CREATE TABLE "docs" ("id" integer);\n--> statement-breakpoint\n'
                     'ALTER TABLE "docs" ENABLE ROW LEVEL SECURITY;\n--> statement-breakpoint\n'
                     'CREATE POLICY "readable" ON "docs" AS PERMISSIVE FOR SELECT TO public USING (true);',
        "0001_rename_policy": 'ALTER POLICY "readable" ON "docs" RENAME TO "visible";',
    })
    for i, name in enumerate(("readable", "visible")):
        (folder / "meta" / f"000{i}_snapshot.json").write_text(json.dumps({
            "id": f"id-{i}", "prevId": "00000000-0000-0000-0000-000000000000" if i == 0 else "id-0", "version": "7",
            "dialect": "postgresql", "enums": {}, "schemas": {}, "sequences": {}, "views": {}, "policies": {},
            "roles": {}, "_meta": {}, "tables": {"public.docs": {
                "name": "docs", "schema": "", "isRLSEnabled": True,
                "columns": {"id": {"name": "id", "type": "integer", "primaryKey": False, "notNull": False}},
                "policies": {name: {"name": name, "as": "PERMISSIVE", "for": "SELECT", "to": ["public"],
                                    "using": "true"}}}}}), encoding="utf-8")
    text = drizzle.down_text(drizzle.read_folder(folder), 1)
    assert "-- safeshift:irreversible" not in text, text
    assert 'DROP POLICY "visible"' in text and 'CREATE POLICY "readable"' in text, text

"""`safeshift review` reads down sections too: deploy runs them on failure and `rollback` on request.

Their findings are marked as the down section's, in every output format, and inform without
blocking: `review` still exits 0 and migrate's gate lets the migration through (a down drops what
its up added, by design).  Allow directives in the down section acknowledge its findings only.
"""

from __future__ import annotations

import json
from pathlib import Path

from safeshift.formats import drizzle
from tests.drizzle._kit import write_folder
from tests.runner._project import connect, history_rows, invoke, make_project

V = "20261201000000"
#: the up adds an enum value; the down is what safeshift generates for it: a type swap that rewrites
#: every column of the type (ACCESS EXCLUSIVE on each table) and fails on rows holding the new value
ENUM_UP = "ALTER TYPE \"public\".\"order_status\" ADD VALUE 'shipped' AFTER 'paid';"
ENUM_DOWN = """\
ALTER TYPE "public"."order_status" RENAME TO "order_status_old";
CREATE TYPE "public"."order_status" AS ENUM ('new', 'paid');
DO $safeshift$ BEGIN EXECUTE 'ALTER TABLE orders ALTER COLUMN status TYPE "public"."order_status" USING status::text::"public"."order_status"'; END $safeshift$;
DROP TYPE "public"."order_status_old";"""


def test_review_reports_the_down_section_without_blocking(tmp_path: Path) -> None:
    p = make_project(tmp_path, "postgresql://postgres@127.0.0.1:5432/never_connected")
    path = p.add(V, "add_shipped", ENUM_UP, ENUM_DOWN)
    shown = f"migrations/{path.name}"
    text = p.run("review", url=False).stdout
    assert f"{shown}:8 (down): warning [drop-enum-value] (data-loss)" in text
    assert "of them in down sections (run only on rollback; they do not block)." in text
    assert "1 file(s) reviewed" in text and "0 unacknowledged error(s); marked reviewed" in text

    doc = json.loads(p.run("review", shown, "--format", "json", url=False).stdout)
    sections = {(f["line"], f["rule"]): f["section"] for f in doc["findings"]}
    assert all(section == ("down" if line > 4 else "up") for (line, _), section in sections.items())
    assert sections[(8, "drop-enum-value")] == "down"
    assert sections[(5, "renaming-object")] == "down"

    md = p.run("review", shown, "--format", "markdown", url=False).stdout
    assert f"| warning | `drop-enum-value` | {shown}:8 (down) |" in md
    gh = p.run("review", shown, "--format", "github", url=False).stdout
    assert f"::notice file={shown},line=8,title=drop-enum-value (down)::In the down section (runs on rollback): " in gh


def test_down_errors_never_block_review_or_migrate(tmp_path: Path, pg_url: str) -> None:
    p = make_project(tmp_path, pg_url)
    conn = connect(pg_url)
    try:
        conn.execute("CREATE TABLE orders (id integer PRIMARY KEY)")
        conn.execute("INSERT INTO orders SELECT g FROM generate_series(1, 1000) g")
        conn.execute("ANALYZE orders")
    finally:
        conn.close()
    path = p.add(V, "add_note", "ALTER TABLE orders ADD COLUMN note text;",
                 "ALTER TABLE orders DROP COLUMN note;")
    shown = f"migrations/{path.name}"
    doc = json.loads(p.run("review", "--format", "json").stdout)  # with live facts: orders has 1,000 rows
    down = {f["rule"]: f for f in doc["findings"] if f["section"] == "down"}
    assert down["drop-column"]["severity"] == "error" and not down["drop-column"]["acknowledged"]
    assert down["drop-column"]["file"] == shown and down["drop-column"]["line"] == 5
    assert "1,000 rows" in down["drop-column"]["table_facts"]
    p.run("migrate")  # the gate reviews the same file with live facts: a down finding does not stop it
    assert history_rows(pg_url) == {V: "applied"}


def test_allow_in_the_down_section_acknowledges_down_findings_only(tmp_path: Path) -> None:
    from safeshift.lint import review_file

    path = tmp_path / "migrations" / f"{V}_swap.sql"
    path.parent.mkdir()
    path.write_text("-- migrate:up\nALTER TABLE t DROP COLUMN a;\n\n-- migrate:down\n"
                    "-- safeshift:allow drop-column the up added b, nothing else writes it\n"
                    "ALTER TABLE t DROP COLUMN b;\n", encoding="utf-8")
    found = {(f.section, f.rule): f for f in review_file(path) if f.rule == "drop-column"}
    assert not found[("up", "drop-column")].acknowledged, "the down section's allow does not cover the up"
    assert found[("down", "drop-column")].acknowledged
    assert found[("down", "drop-column")].reason == "the up added b, nothing else writes it"


def test_a_drizzle_folders_down_file_is_reviewed(tmp_path: Path) -> None:
    root = tmp_path / "app"
    folder = write_folder(root, {"0000_orders": "CREATE TABLE orders (id integer PRIMARY KEY, note text);",
                                 "0001_index": 'CREATE INDEX "orders_note_idx" ON "orders" ("note");'})
    (root / "safeshift.toml").write_text('migrations = "drizzle"\nformat = "drizzle"\n', encoding="utf-8")
    text = (folder / "0001_index.sql").read_text(encoding="utf-8")
    down = root / ".safeshift" / drizzle.DOWN_DIR / "0001.sql"
    down.parent.mkdir(parents=True)
    down.write_text(f"-- down SQL for drizzle/0001_index.sql (sha256 {drizzle.drizzle_hash(text)}), written by "
                    'safeshift\nALTER TABLE "orders" DROP COLUMN "note";\n', encoding="utf-8")
    doc = json.loads(invoke(root, "review", "--format", "json", expect=1).stdout)  # the up's index blocks
    [dropped] = [f for f in doc["findings"] if f["rule"] == "drop-column"]
    assert (dropped["file"], dropped["line"], dropped["section"]) == (".safeshift/drizzle-down/0001.sql", 2, "down")
    assert {f["section"] for f in doc["findings"] if f["file"] == "drizzle/0001_index.sql"} == {"up"}

"""`safeshift review` from the command line: files, formats, acknowledgements, live table facts."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from tests.cli.test_generate_cli import run

SIX_HAZARDS = """\
ALTER TABLE "users" ALTER COLUMN "name" SET DATA TYPE varchar(100);
--> statement-breakpoint
ALTER TABLE "users" ALTER COLUMN "age" SET DATA TYPE bigint;
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "email_verified" boolean NOT NULL;
--> statement-breakpoint
ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id");
--> statement-breakpoint
CREATE INDEX "users_name_idx" ON "users" USING btree ("name");
--> statement-breakpoint
ALTER TABLE "posts" DROP COLUMN "title";
"""


def project(tmp_path: Path) -> Path:
    (tmp_path / "safeshift.toml").write_text('schema = "models:metadata"\ndialect = "postgresql"\n')
    (tmp_path / "0000_six.sql").write_text(SIX_HAZARDS)
    return tmp_path


def test_the_six_drizzle_kit_hazards_are_errors(tmp_path: Path) -> None:
    proc = run(project(tmp_path), "review", "0000_six.sql", "--format", "json", expect=1)
    data = json.loads(proc.stdout)
    errors = {f["line"] for f in data["findings"] if f["severity"] == "error"}
    assert errors == {1, 3, 5, 7, 9, 11}
    assert set(data["findings"][0]) >= {"rule", "category", "severity", "file", "line", "statement", "message", "fix"}
    assert {f["category"] for f in data["findings"]} >= {"data-loss", "lock", "data"}


def test_acknowledged_hazards_pass(tmp_path: Path) -> None:
    p = project(tmp_path)
    (p / "drop.sql").write_text("-- safeshift:allow drop-column title moved to post_bodies in release 41\n"
                                'ALTER TABLE "posts" DROP COLUMN "title";\n')
    proc = run(p, "review", "drop.sql")
    assert "acknowledged: title moved to post_bodies" in proc.stdout
    gh = run(p, "review", "0000_six.sql", "--format", "github", expect=1).stdout
    assert "::error file=0000_six.sql,line=11,title=drop-column::" in gh


def test_live_facts_grade_an_empty_table(tmp_path: Path, pg_url: str) -> None:
    p = project(tmp_path)
    (p / "index.sql").write_text('CREATE INDEX "t_a_idx" ON "t" ("a");\n')
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (a int)")
        conn.execute("ANALYZE t")
    empty = json.loads(run(p, "review", "index.sql", "--format", "json", "--url", pg_url).stdout)
    assert [f["severity"] for f in empty["findings"] if f["rule"] == "require-concurrent-index-creation"] == ["info"]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO t SELECT g FROM generate_series(1, 1000) g")
        conn.execute("ANALYZE t")
    full = json.loads(run(p, "review", "index.sql", "--format", "json", "--url", pg_url, expect=1).stdout)
    hit = [f for f in full["findings"] if f["rule"] == "require-concurrent-index-creation"]
    assert hit[0]["severity"] == "error" and "1,000 rows" in json.dumps(hit[0])


def test_a_migration_with_an_unacknowledged_error_is_not_marked_reviewed(tmp_path: Path) -> None:
    """Findings name files relative to where the command runs; the reviewed set must still see them."""
    from safeshift.formats import safeshift as migrations

    (tmp_path / "safeshift.toml").write_text('dialect = "postgresql"\n')
    folder = tmp_path / "migrations"
    (folder / "meta").mkdir(parents=True)
    (folder / "20260101000001_drop_users.sql").write_text(
        "-- migrate:up\nDROP TABLE users;\n\n-- migrate:down\nCREATE TABLE users (id int);\n")
    (folder / "20260101000002_add_tags.sql").write_text(
        "-- migrate:up\nCREATE TABLE tags (id bigint PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE tags;\n")
    migrations.write_sum(folder)
    run(tmp_path, "review", expect=1)
    reviewed = json.loads((folder / "meta" / "reviewed.json").read_text())
    assert [k for k in reviewed if "drop_users" in k] == [] and [k for k in reviewed if "add_tags" in k]
    again = run(tmp_path, "review", expect=1).stdout  # still unreviewed, so reviewed again
    assert "drop_users" in again and "add_tags" not in again


def test_a_safeshift_folder_holding_a_journal_is_marked_as_configured(tmp_path: Path) -> None:
    """``format = "safeshift"`` wins over a stray meta/_journal.json when review remembers what passed."""
    (tmp_path / "safeshift.toml").write_text('schema = "models:metadata"\ndialect = "postgresql"\n'
                                             'format = "safeshift"\n')
    folder = tmp_path / "migrations"
    (folder / "meta").mkdir(parents=True)
    (folder / "meta" / "_journal.json").write_text('{"version": "7", "dialect": "postgresql", "entries": []}')
    (folder / "20260101000000_init.sql").write_text(
        "-- migrate:up\nCREATE TABLE t (id int PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE t;\n")
    run(tmp_path, "review")
    marks = json.loads((folder / "meta" / "reviewed.json").read_text())
    assert list(marks) == ["20260101000000_init"]

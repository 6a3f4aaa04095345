"""The words people read (issue 21): each message, header and record says exactly what happened, naming the
user's file and line, the environment and what to do, on real databases and through the real CLI."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG15_ADMIN, _fresh_pg_database
from tests.runner._project import MIGRATIONS, SAFESHIFT, clean_env, error_line, make_project, run

BOOM = '''import sqlalchemy as sa

metadata = sa.MetaData()


def helper() -> None:
    raise RuntimeError("boom")


helper()
'''


@pytest.fixture
def broken_models(tmp_path: Path) -> Path:
    (tmp_path / "safeshift.toml").write_text('schema = "models:metadata"\nmigrations = "migrations"\n'
                                              'dialect = "sqlite"\n', encoding="utf-8")
    (tmp_path / "models.py").write_text(BOOM, encoding="utf-8")
    return tmp_path


def test_models_raising_on_import_name_the_file_and_line(broken_models: Path) -> None:
    line = error_line(run(broken_models, "generate", "--name", "x", expect=2))
    assert line == ("Cannot import 'models' named by schema = \"models:metadata\": RuntimeError: boom (raised at "
                    "models.py:7); check the module path (relative to the folder of safeshift.toml) and that it "
                    "imports cleanly (SAFESHIFT_DEBUG=1 prints the traceback).")


def test_models_raising_on_import_show_the_traceback_with_safeshift_debug(broken_models: Path) -> None:
    proc = subprocess.run([*SAFESHIFT, "generate", "--name", "x"], cwd=broken_models, capture_output=True, text=True,
                          env=clean_env({"SAFESHIFT_DEBUG": "1"}), stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("Traceback (most recent call last):")
    assert f'File "{broken_models / "models.py"}", line 10, in <module>' in proc.stderr
    assert 'raise RuntimeError("boom")' in proc.stderr
    assert proc.stderr.rstrip().splitlines()[-1].startswith("error: Cannot import 'models'")


def test_a_syntax_error_names_its_line(broken_models: Path) -> None:
    (broken_models / "models.py").write_text("import sqlalchemy as sa\nmetadata = sa.MetaData(\n", encoding="utf-8")
    assert "(raised at models.py:2)" in error_line(run(broken_models, "generate", "--name", "x", expect=2))


def test_a_missing_folder_beside_applied_migrations_says_it_is_elsewhere(tmp_path: Path) -> None:
    """The folder moved (or `migrations` names the wrong one) while the database has applied migrations:
    "run generate first" would write a new initial migration recreating everything; it says where things
    stand instead, and generate refuses for the active environment's database."""
    p = make_project(tmp_path, f"sqlite:///{tmp_path / 'app.db'}",
                     f'[environments.development]\nurl = "sqlite:///{tmp_path / "app.db"}"\n')
    (p.root / "models.py").write_text("import sqlalchemy as sa\n\nmetadata = sa.MetaData()\n"
                                      'sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True))\n')
    (p.root / "safeshift.toml").write_text('schema = "models:metadata"\n' + (p.root / "safeshift.toml").read_text())
    p.add_all(MIGRATIONS[:3])
    p.run("migrate", "--yes")
    p.folder.rename(p.root / "db_migrations")
    said = (f"There is no migrations folder at {p.folder}, but the database has 3 applied migration(s): the folder "
            "is not where the configuration points; point `migrations` in the configuration at the folder that "
            "holds them (or run the command from the project's folder).")
    assert error_line(p.run("migrate", "--yes", expect=2)) == said
    assert error_line(p.run("status", expect=2)) == said
    assert error_line(run(p.root, "generate", "--name", "initial", expect=2)) == said.replace(
        "the database", f"the database of environment development (sqlite:///{tmp_path / 'app.db'})")
    assert not p.folder.exists()
    # a database that has applied nothing: the folder is simply not made yet
    (tmp_path / "empty.db").touch()
    assert error_line(p.run("status", "--url", f"sqlite:///{tmp_path / 'empty.db'}", url=False, expect=2)) == (
        f"There is no migrations folder at {p.folder}; run `safeshift generate` first.")


SCORES = '''import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("score", sa.{type}, nullable=False), sa.CheckConstraint("score >= 0", name="score_positive"))
'''


def test_expand_blocked_by_a_check_says_what_blocks_and_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "safeshift.toml").write_text('schema = "models:metadata"\nmigrations = "migrations"\n'
                                              'dialect = "postgresql"\n', encoding="utf-8")
    (tmp_path / "models.py").write_text(SCORES.format(type="Integer"), encoding="utf-8")
    run(tmp_path, "generate", "--name", "initial")
    (tmp_path / "models.py").write_text(SCORES.format(type="BigInteger"), encoding="utf-8")
    lines = run(tmp_path, "generate", "--name", "widen", "--expand", expect=1).stderr.splitlines()
    assert lines == [
        "error: 1 change(s) have no lock-safe form on a table that holds rows; nothing was written:",
        "  public.users.score: integer -> bigint rewrites the whole table; the expand plan is blocked by CHECK "
        "score_positive (score >= 0) on score, which its swap would drop with the old column; drop the check in a "
        "migration before this one, run `safeshift generate --expand` again, and add the check back after (NOT "
        "VALID, then VALIDATE CONSTRAINT), or move the column by hand in a custom migration "
        "(docs/expand-contract.md).",
        "--expand cannot write these: do what each line says, or use --no-safe for the plain form (empty tables "
        "only).",
    ]
    plain = run(tmp_path, "generate", "--name", "widen", expect=1).stderr.splitlines()
    assert plain[-1] == "Use --expand for the expand sequence, or --no-safe for the plain form (empty tables only)."
    assert not list((tmp_path / "migrations").glob("*_widen.sql"))


def test_review_pending_names_itself_in_the_rehash_advice(tmp_path: Path) -> None:
    p = make_project(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")
    p.add_all(MIGRATIONS[:2])
    first = p.file(MIGRATIONS[0][0])
    first.write_text(first.read_text() + "\n-- edited\n")
    line = error_line(p.run("review", "--pending", expect=2))
    assert "before `safeshift review --pending`" in line, line
    assert "migrate --dry-run" not in line


INDEXED = '''import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("email", sa.Text{index}))
'''


@pytest.fixture
def pg15_database() -> Iterator[str]:
    yield from _fresh_pg_database(PG15_ADMIN)


def test_diff_says_generate_writes_the_concurrent_drop_index(tmp_path: Path, pg15_database: str) -> None:
    (tmp_path / "safeshift.toml").write_text('schema = "models:metadata"\nmigrations = "migrations"\n'
                                              'dialect = "postgresql"\n', encoding="utf-8")
    (tmp_path / "models.py").write_text(INDEXED.format(index=", index=True"), encoding="utf-8")
    run(tmp_path, "generate", "--name", "initial")
    run(tmp_path, "migrate", "--url", pg15_database, "--yes")
    (tmp_path / "models.py").write_text(INDEXED.format(index=""), encoding="utf-8")
    shown = run(tmp_path, "diff", "--url", pg15_database).stdout.splitlines()
    assert shown == [
        "-- The plain form, as for empty tables: `safeshift generate` writes the lock-safe form for tables that hold "
        "rows (CONCURRENTLY, NOT VALID then VALIDATE, steps in their own transactions).",
        'DROP INDEX "public"."ix_users_email";',
    ]
    run(tmp_path, "generate", "--name", "drop_index")
    written = next((tmp_path / "migrations").glob("*_drop_index.sql")).read_text()
    assert 'DROP INDEX CONCURRENTLY IF EXISTS "public"."ix_users_email";' in written


TEAMS = '''import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True))
sa.Table("teams", metadata, sa.Column("id", sa.Integer, primary_key=True))
'''
POSTS = '''sa.Table("posts", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id")),
         sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id")))
'''


def test_a_dropped_table_says_its_data_loss_once_above_the_drop_table(tmp_path: Path) -> None:
    (tmp_path / "safeshift.toml").write_text('schema = "models:metadata"\nmigrations = "migrations"\n'
                                              'dialect = "postgresql"\n', encoding="utf-8")
    (tmp_path / "models.py").write_text(TEAMS + POSTS, encoding="utf-8")
    run(tmp_path, "generate", "--name", "initial")
    (tmp_path / "models.py").write_text(TEAMS, encoding="utf-8")
    run(tmp_path, "generate", "--name", "drop_posts")
    text = next((tmp_path / "migrations").glob("*_drop_posts.sql")).read_text()
    up = [line for line in text.split("-- migrate:up", 1)[1].split("-- migrate:down", 1)[0].splitlines() if line]
    assert up == [
        "SET LOCAL lock_timeout = '5s';",
        'ALTER TABLE "public"."posts" DROP CONSTRAINT "posts_author_id_fkey";',
        'ALTER TABLE "public"."posts" DROP CONSTRAINT "posts_team_id_fkey";',
        "-- data loss: table public.posts and all its rows are deleted",
        'DROP TABLE "public"."posts";',
    ]

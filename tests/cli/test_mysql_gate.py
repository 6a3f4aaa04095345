"""On MariaDB, `safeshift migrate` gates pending migrations on review as on PostgreSQL and SQLite: an
unacknowledged DROP COLUMN or DROP TABLE of a table with rows is refused, `-- safeshift:allow` lets it
through, `--allow-hazards` is recorded in the history row, and a change to tables the migration creates (or
that hold no rows) does not block.  `generate` writes the online DDL clauses and refuses, with the recipe,
a change only a table copy can make.  Real subprocesses, a real MariaDB database."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeshift.dialects import dialect_for_url
from safeshift.engines import engine_for
from tests.cli.test_generate_cli import make_project, run, write_models

MODELS = """
    import sqlalchemy as sa
    metadata = sa.MetaData()
    users = sa.Table(
        "users", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("fullname", sa.String(100), nullable=False),
        sa.Column("age", sa.Integer),
    )
    tags = sa.Table("tags", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("label", sa.Text))
"""
WITHOUT_AGE = MODELS.replace('        sa.Column("age", sa.Integer),\n', "")


def _sql(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = engine_for(dialect_for_url(url))
    conn = engine.connect(url)
    try:
        cur = conn.execute(sql)
        rows = list(cur.fetchall()) if sql.lstrip().upper().startswith("SELECT") else []
        conn.commit()
        return rows
    finally:
        conn.close()


def test_migrate_gates_mysql_drops(tmp_path: Path, mysql_url: str) -> None:
    project = make_project(tmp_path, "mysql", MODELS)
    run(project, "generate", "--name", "initial")
    run(project, "migrate", "--url", mysql_url)  # CREATE TABLE only: nothing to gate
    _sql(mysql_url, "INSERT INTO users (fullname, age) VALUES ('Ada', 36)")
    _sql(mysql_url, "INSERT INTO tags (label) VALUES ('x')")

    # DROP COLUMN of a table with rows, written with its online clause: refused until acknowledged
    write_models(project, WITHOUT_AGE)
    run(project, "generate", "--name", "drop_age")
    migration = next((project / "migrations").glob("*_drop_age.sql"))
    text = migration.read_text()
    # no server to ask at generate time: the clause every supported server honours (MariaDB still drops INSTANT)
    assert "ALTER TABLE `users` DROP COLUMN `age`, ALGORITHM=INPLACE, LOCK=NONE;" in text
    refused = run(project, "migrate", "--url", mysql_url, expect=1).stderr
    assert "unacknowledged hazard [drop-column]" in refused and "--allow-hazards" in refused
    migration.write_text(text.replace("ALTER TABLE `users` DROP COLUMN",
                                      "-- safeshift:allow drop-column age was unused since 2.3\n"
                                      "ALTER TABLE `users` DROP COLUMN", 1))
    run(project, "rehash")
    assert "1 applied" in run(project, "migrate", "--url", mysql_url).stdout
    assert _sql(mysql_url, "SELECT fullname FROM users") == [("Ada",)]

    # DROP TABLE of a table with rows: refused, then let through by --allow-hazards, which the history records
    write_models(project, WITHOUT_AGE.split("    tags =")[0])
    run(project, "generate", "--name", "drop_tags")
    assert "unacknowledged hazard [drop-table]" in run(project, "migrate", "--url", mysql_url, expect=1).stderr
    run(project, "migrate", "--url", mysql_url, "--allow-hazards")
    recorded = _sql(mysql_url, "SELECT name, allowed_hazards FROM safeshift_migrations WHERE name = 'drop_tags'")
    assert recorded and "drop-table" in str(recorded[0][1])


def test_generate_refuses_a_table_copy_with_the_recipe(tmp_path: Path) -> None:
    project = make_project(tmp_path, "mysql", MODELS)
    run(project, "generate", "--name", "initial")
    write_models(project, MODELS.replace('sa.Column("age", sa.Integer)', 'sa.Column("age", sa.BigInteger)'))
    refused = run(project, "generate", "--name", "age_bigint", expect=1).stderr
    assert "users.age" in refused and "ALGORITHM=COPY" in refused
    assert "pt-online-schema-change --alter" in refused and "Traceback" not in refused
    # the plain form, for a table known to be small, is what --no-safe writes; review names the copy
    run(project, "generate", "--name", "age_bigint", "--no-safe")
    migration = next((project / "migrations").glob("*_age_bigint.sql"))
    assert "ALTER TABLE `users` MODIFY COLUMN `age` bigint NULL;" in migration.read_text()
    assert "mysql-table-copy" in run(project, "review", str(migration)).stdout


def _posts_user_fk(tmp_path: Path, url: str, posts: str) -> Path:
    """A project whose ``posts`` (rows ``posts``: ``(id, user_id)`` values) and one user are applied, with the
    migration that gives ``posts.user_id`` a foreign key to ``users`` generated, not applied."""
    models = MODELS + '    posts = sa.Table("posts", metadata, sa.Column("id", sa.Integer, primary_key=True), ' \
        'sa.Column("user_id", sa.Integer))\n'
    project = make_project(tmp_path, "mysql", models)
    run(project, "generate", "--name", "initial")
    run(project, "migrate", "--url", url)
    _sql(url, "INSERT INTO users (id, fullname) VALUES (1, 'Ada')")
    _sql(url, f"INSERT INTO posts (id, user_id) VALUES {posts}")
    write_models(project, models.replace('sa.Column("user_id", sa.Integer))',
                                         'sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")))'))
    run(project, "generate", "--name", "posts_user_fk")
    return project


def test_foreign_key_added_online_after_its_orphan_check(tmp_path: Path, mysql_url: str) -> None:
    """The lock-safe foreign key: a row referencing nothing stops the migration before anything changes (the
    server's own check is skipped by the in-place ALTER); once it is fixed the key is added in place and the
    session's foreign_key_checks is back on."""
    project = _posts_user_fk(tmp_path, mysql_url, "(1, 1), (2, NULL), (3, 42)")
    text = next((project / "migrations").glob("*_posts_user_fk.sql")).read_text()
    assert "SET SESSION foreign_key_checks = 0;" in text and "ALGORITHM=INPLACE, LOCK=NONE;" in text
    failed = run(project, "migrate", "--url", mysql_url, expect=1).stderr  # the gate passes safeshift's own form
    assert "Subquery returns more than 1 row" in failed
    assert not _sql(mysql_url, "SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() "
                               "AND CONSTRAINT_TYPE = 'FOREIGN KEY'")
    _sql(mysql_url, "DELETE FROM posts WHERE id = 3")
    run(project, "migrate", "--url", mysql_url)
    assert _sql(mysql_url, "SELECT CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = "
                           "DATABASE() AND CONSTRAINT_TYPE = 'FOREIGN KEY'") == [("posts_user_id_fk",)]


def test_a_foreign_key_blocked_after_its_check_is_undone_to_nothing_and_runs_whole_next_time(
        tmp_path: Path, mysql_url: str) -> None:
    """The check and the session setting commit as a step before the ALTER: when the ALTER then fails (its lock
    never comes), that step has nothing to undo, so nothing stays applied, and the next run starts again at the
    check, in the session that then runs the ALTER (a resumed ALTER without the setting would be refused)."""
    import safeshift
    from safeshift.runner import RunOptions

    project = _posts_user_fk(tmp_path, mysql_url, "(1, 1)")
    dialect = dialect_for_url(mysql_url)
    blocker = engine_for(dialect).connect(mysql_url)
    try:
        blocker.execute("BEGIN")
        blocker.execute("SELECT count(*) FROM posts").fetchone()  # a metadata lock the ALTER cannot pass
        with pytest.raises(safeshift.errors.LockTimeout) as failed:
            safeshift.migrate(mysql_url, project / "migrations", options=RunOptions(
                lock_timeout_ms=300, lock_tries=1, retry_backoff_s=0.1, lock_wait_s=5))
        assert "its 1 committed step(s) were undone" in failed.value.message, failed.value.message
    finally:
        blocker.close()
    row = _sql(mysql_url, "SELECT status, progress FROM safeshift_migrations WHERE name = 'posts_user_fk'")
    assert row == [("failed", 0)]
    run(project, "migrate", "--url", mysql_url)
    assert _sql(mysql_url, "SELECT CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = "
                           "DATABASE() AND CONSTRAINT_TYPE = 'FOREIGN KEY'") == [("posts_user_id_fk",)]

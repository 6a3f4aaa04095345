"""A migration that commits in several steps and fails after some of them: its `-- safeshift:undoes`
blocks take back exactly the committed steps (schema introspected, rows fingerprinted), a failed undo is
finished by `safeshift rollback`, and without blocks the committed steps stay and the message says so.
Also: the history is read under the runner lock, and `status` shows the real duration."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import psycopg

from tests.deploy._kit import data
from tests.runner._project import (
    SAFESHIFT,
    Project,
    clean_env,
    connect,
    error_line,
    history_rows,
    make_project,
    schema_of,
)

USERS = ("20260101000001", "create_users",
         "CREATE TABLE users (id integer PRIMARY KEY, email varchar(200) NOT NULL);\n"
         "INSERT INTO users (id, email) VALUES (1, 'a@example.com'), (2, 'a@example.com'), (3, 'b@example.com');",
         "DROP TABLE users;")
#: three steps; the third meets the duplicated email
STEPS_UP = ("CREATE TABLE audit (id integer PRIMARY KEY);\n"
            "-- safeshift:new-transaction\nALTER TABLE users ADD COLUMN nick varchar(50);\n"
            "-- safeshift:new-transaction\n"
            "-- safeshift:allow require-concurrent-index-creation users holds three rows\n"
            "CREATE UNIQUE INDEX users_email_u ON users (email);")
BLOCKS_DOWN = ("-- safeshift:undoes 3\nDROP INDEX users_email_u;\n"
               "-- safeshift:undoes 2\nALTER TABLE users DROP COLUMN nick;\n"
               "-- safeshift:undoes 1\nDROP TABLE audit;")
PLAIN_DOWN = "DROP INDEX users_email_u;\nALTER TABLE users DROP COLUMN nick;\nDROP TABLE audit;"
V2 = "20260101000002"


def _project(tmp_path: Path, url: str, down: str) -> Project:
    p = make_project(tmp_path, url)
    p.add(*USERS, seal=False)
    p.add(V2, "three_steps", STEPS_UP, down)
    p.run("migrate", "--to", USERS[0])
    return p


def _rollback_while_sleeping(p: Project, url: str, sleep: str) -> subprocess.Popen[str]:
    """`safeshift rollback` in a subprocess, returned once its down section runs ``SELECT pg_sleep(sleep)``
    (so it holds the runner lock and is busy)."""
    proc = subprocess.Popen([*SAFESHIFT, "rollback", "--url", url], cwd=p.root, env=clean_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline and not conn.execute(
                f"SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep({sleep})%' AND pid <> pg_backend_pid()"
                ).fetchone():
            time.sleep(0.02)
    assert proc.poll() is None, "the rollback finished before it could be caught sleeping"
    return proc


def test_failure_at_the_third_step_undoes_the_two_committed_steps(tmp_path: Path, db_url: str) -> None:
    p = _project(tmp_path, db_url, BLOCKS_DOWN)
    schema, rows = schema_of(db_url), data(db_url)
    proc = p.run("migrate", expect=1)
    line = error_line(proc)
    assert line.startswith(f"{V2}_three_steps.sql line 7 failed") and line.endswith(
        "The migration was rolled back (nothing of it was applied; its 2 committed step(s) were undone); fix it and "
        "run the command again."), line
    assert "undoing the 2 committed step(s)" in proc.stdout
    assert schema_of(db_url) == schema and data(db_url) == rows
    assert history_rows(db_url) == {USERS[0]: "applied", V2: "failed"}
    status = json.loads(p.run("status", "--json").stdout)["migrations"]
    assert status[1]["state"] == "failed" and status[1]["progress"] == 0

    # fixed data: the same file applies from the start and rolls back through the same blocks
    conn = connect(db_url)
    try:
        conn.execute("UPDATE users SET email = 'c@example.com' WHERE id = 2")
    finally:
        conn.close()
    rows = data(db_url)
    p.run("migrate")
    assert history_rows(db_url)[V2] == "applied"
    p.run("rollback")
    assert schema_of(db_url) == schema and data(db_url) == rows


def test_an_undo_that_fails_is_finished_by_rollback(tmp_path: Path, db_url: str) -> None:
    down = BLOCKS_DOWN.replace("DROP TABLE audit;", "DROP TABLE audit;\nDROP TABLE guard;")
    p = _project(tmp_path, db_url, down)
    schema, rows = schema_of(db_url), data(db_url)
    line = error_line(p.run("migrate", expect=1))
    assert "had committed and undoing them failed" in line and "run `safeshift rollback` to finish undoing them" \
        in line, line
    assert history_rows(db_url)[V2] == "rolling_back"
    conn = connect(db_url)
    try:
        conn.execute("CREATE TABLE guard (id integer)")
    finally:
        conn.close()
    p.run("rollback")
    assert schema_of(db_url) == schema and data(db_url) == rows
    assert history_rows(db_url) == {USERS[0]: "applied"}


def test_without_undo_blocks_the_committed_steps_stay_and_the_message_says_so(tmp_path: Path,
                                                                              sqlite_url: str) -> None:
    p = _project(tmp_path, sqlite_url, PLAIN_DOWN)
    line = error_line(p.run("migrate", expect=1))
    assert ("step(s) 1-2 of 3 had committed and stay applied (the down section has no `-- safeshift:undoes` "
            "blocks to undo them alone): run migrate again to resume") in line, line
    assert "nick" in [c.name for c in schema_of(sqlite_url).tables[-1].columns]
    line = error_line(p.run("rollback", expect=3))
    assert "has no `-- safeshift:undoes` blocks to undo just those" in line, line


def test_status_shows_the_real_duration_of_a_one_transaction_migration(tmp_path: Path, pg_url: str) -> None:
    p = make_project(tmp_path, pg_url)
    p.add("20260101000001", "slow", "CREATE TABLE t (id integer);\nSELECT pg_sleep(0.4);", "DROP TABLE t;")
    p.run("migrate")
    row = json.loads(p.run("status", "--json").stdout)["migrations"][0]
    assert row["duration_ms"] >= 400, row


def test_migrate_started_during_a_rollback_waits_for_it(tmp_path: Path, pg_url: str) -> None:
    """The rollback holds the runner lock while its down section sleeps; a migrate started meanwhile must
    wait and then apply what the rollback took back, not report "nothing to apply" from the old history."""
    p = make_project(tmp_path, pg_url)
    p.add("20260101000001", "create_t", "CREATE TABLE t (id integer);", "SELECT pg_sleep(1.5);\nDROP TABLE t;")
    p.run("migrate")
    rollback = _rollback_while_sleeping(p, pg_url, "1.5")
    migrate = p.run("migrate")
    assert rollback.wait(timeout=30) == 0
    assert "applying 20260101000001_create_t" in migrate.stdout, migrate.stdout
    assert history_rows(pg_url) == {"20260101000001": "applied"}


def test_interrupted_rollback_says_how_far_it_got_and_rollback_finishes_it(tmp_path: Path, pg_url: str) -> None:
    p = make_project(tmp_path, pg_url)
    p.add("20260101000001", "two_tables", "CREATE TABLE t1 (id integer);\nCREATE TABLE t2 (id integer);",
          "DROP TABLE t2;\n-- safeshift:new-transaction\nSELECT pg_sleep(5);\n"
          "-- safeshift:new-transaction\nDROP TABLE t1;")
    p.run("migrate")
    proc = _rollback_while_sleeping(p, pg_url, "5")
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err.strip() == ("error: Interrupted (SIGINT) while rolling back 20260101000001_two_tables.sql: 1 of the 3 "
                           "steps of its down section had committed; run `safeshift rollback` to finish it; nothing "
                           "after it was started.")
    assert history_rows(pg_url) == {"20260101000001": "rolling_back"}
    assert {t.name for t in schema_of(pg_url).tables} == {"t1"}
    p.run("rollback")
    assert history_rows(pg_url) == {} and schema_of(pg_url).tables == ()


def test_a_migration_a_running_rollback_takes_back_is_reviewed_before_it_is_applied_again(tmp_path: Path,
                                                                                        pg_url: str) -> None:
    """migrate waits for the rollback, and what it then finds pending goes through review's gate: a data-loss
    change applied earlier with --allow-hazards is refused, not re-applied unreviewed."""
    p = make_project(tmp_path, pg_url)
    p.add(*USERS, seal=False)
    p.add("20260101000002", "drop_email", "ALTER TABLE users DROP COLUMN email;",
          "SELECT pg_sleep(1.5);\nALTER TABLE users ADD COLUMN email varchar(200);")
    p.run("migrate", "--allow-hazards")
    rollback = _rollback_while_sleeping(p, pg_url, "1.5")
    line = error_line(p.run("migrate", expect=1))
    assert rollback.wait(timeout=30) == 0
    assert "20260101000002_drop_email.sql:2 has an unacknowledged hazard [drop-column]" in line, line
    assert history_rows(pg_url) == {USERS[0]: "applied"}

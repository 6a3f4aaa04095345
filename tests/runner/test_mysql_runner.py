"""migrate, rollback and status on MariaDB, where every DDL statement commits on its own.

Each DDL statement is a step of its own, recorded in the history row as it commits; plain DML shares a
transaction with its history write.  A failure part-way is undone through the down section's
``-- safeshift:undoes`` blocks (or, without them, stops saying how many steps stay applied); ``--atomic``
is refused; the runner lock is ``GET_LOCK``; a session holding a metadata lock is retried against and
then named; and the crash window between a DDL statement's own commit and its history write is closed by
the schema fingerprint noted before the statement (set up exactly here; random kills are in
test_mysql_kill.py).
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import safeshift
from safeshift import history
from safeshift.dialects import dialect_for_url
from safeshift.engines import engine_for
from safeshift.engines.mysql import lock, marks
from safeshift.runner import RunOptions
from tests.runner._project import Project, connect, error_line, make_project, schema_of, table_names

_USERS = ("20260101000001", "create_users",
          "CREATE TABLE users (id int PRIMARY KEY, email varchar(200) NOT NULL);\n"
          "INSERT INTO users VALUES (1, 'a@x.io'), (2, 'b@x.io');\n"
          "ALTER TABLE users ADD COLUMN name varchar(100);",
          "ALTER TABLE users DROP COLUMN name;\nDROP TABLE users;")
_POSTS = ("20260101000002", "create_posts",
          "CREATE TABLE posts (id int PRIMARY KEY, author_id int NOT NULL);\n"
          "CREATE INDEX posts_author ON posts (author_id);\n"
          "ALTER TABLE posts ADD CONSTRAINT posts_author_fk FOREIGN KEY (author_id) REFERENCES users (id);",
          "DROP TABLE posts;")


def _project(tmp_path: Path, url: str, env: str = "") -> Project:
    p = make_project(tmp_path, url, env)
    p.add(*_USERS, seal=False)
    p.add(*_POSTS, seal=False)
    p.seal()
    return p


def _rows(url: str) -> dict[str, history.Record]:
    conn = connect(url)
    try:
        return history.read(dialect_for_url(url), conn)
    finally:
        conn.close()


def _count(url: str, sql: str) -> int:
    conn = connect(url)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_migrate_status_rollback_through_the_cli(mysql_url: str, tmp_path: Path) -> None:
    p = _project(tmp_path, mysql_url)
    dry = p.run("migrate", "--dry-run")
    assert "-- no transaction: CREATE TABLE users" in dry.stdout and "INSERT INTO users" in dry.stdout
    assert table_names(mysql_url) == set()

    out = p.run("migrate")
    assert "step 3 of 3 started: ALTER TABLE users ADD COLUMN name" in out.stdout
    assert table_names(mysql_url) == {"users", "posts"}
    assert {v: r.status for v, r in _rows(mysql_url).items()} == {_USERS[0]: "applied", _POSTS[0]: "applied"}
    assert _count(mysql_url, "SELECT count(*) FROM users") == 2
    assert _count(mysql_url, "SELECT count(step_mark) FROM safeshift_migrations") == 0  # cleared once recorded

    status = json.loads(p.run("status", "--json").stdout)
    assert {m["version"]: (m["state"], m["steps"]) for m in status["migrations"]} == \
        {_USERS[0]: ("applied", 3), _POSTS[0]: ("applied", 3)}

    p.run("rollback")
    assert table_names(mysql_url) == {"users"}
    p.run("rollback")
    assert table_names(mysql_url) == set()
    assert _rows(mysql_url) == {}
    p.run("migrate")
    assert table_names(mysql_url) == {"users", "posts"}


def test_the_python_api_migrates_reports_and_rolls_back(mysql_url: str, tmp_path: Path) -> None:
    p = _project(tmp_path, mysql_url)
    events: list[Any] = []
    result = safeshift.migrate(mysql_url, p.folder, to=_USERS[0], on_event=events.append)
    assert result.versions == (_USERS[0],)
    assert [e.step for e in events if e.kind == "step_start"] == [0, 1, 2]  # CREATE, INSERT (+ history), ALTER
    states = {s.version: s.state for s in safeshift.status(mysql_url, p.folder)}
    assert states == {_USERS[0]: "applied", _POSTS[0]: "pending"}
    assert safeshift.migrate(mysql_url, p.folder).versions == (_POSTS[0],)
    back = safeshift.rollback(mysql_url, p.folder, to="0")
    assert [a.version for a in back.rolled_back] == [_POSTS[0], _USERS[0]]
    assert table_names(mysql_url) == set()


#: undo blocks are numbered by the steps the file marks, as generate writes them for MySQL
_BROKEN_WITH_UNDO = """-- migrate:up
-- safeshift:no-transaction
CREATE TABLE items (id int PRIMARY KEY);
-- safeshift:no-transaction
ALTER TABLE items ADD COLUMN sku varchar(40);
-- safeshift:no-transaction
ALTER TABLE missing_table ADD COLUMN x int;

-- migrate:down
-- safeshift:undoes 3
-- safeshift:no-transaction
ALTER TABLE missing_table DROP COLUMN x;
-- safeshift:undoes 2
-- safeshift:no-transaction
ALTER TABLE items DROP COLUMN sku;
-- safeshift:undoes 1
-- safeshift:no-transaction
DROP TABLE items;
"""


def test_a_failing_statement_midway_is_undone_through_the_undo_blocks(mysql_url: str, tmp_path: Path) -> None:
    p = make_project(tmp_path, mysql_url)
    (p.folder / "20260101000001_items.sql").write_text(_BROKEN_WITH_UNDO, encoding="utf-8")
    p.seal()
    before = schema_of(mysql_url)
    message = error_line(p.run("migrate", expect=1))
    assert message.startswith("20260101000001_items.sql line 7 failed (SQLSTATE 1146)"), message
    assert "its 2 committed step(s) were undone" in message, message
    assert schema_of(mysql_url) == before
    row = _rows(mysql_url)["20260101000001"]
    assert (row.status, row.progress) == ("failed", 0) and "missing_table" in (row.error or "")
    # nothing of it stays applied, so the file may still be fixed
    (p.folder / "20260101000001_items.sql").write_text(
        _BROKEN_WITH_UNDO.replace("ALTER TABLE missing_table ADD COLUMN x int;", "ALTER TABLE items ADD COLUMN x int;")
        .replace("ALTER TABLE missing_table DROP COLUMN x;", "ALTER TABLE items DROP COLUMN x;"), encoding="utf-8")
    p.seal()
    p.run("migrate")
    assert {c.name for c in next(t for t in schema_of(mysql_url).tables if t.name == "items").columns} == \
        {"id", "sku", "x"}


def test_an_undo_that_fails_leaves_the_row_rolling_back_never_applied(mysql_url: str, tmp_path: Path) -> None:
    """The undo of a part-way migration fails at its first down step: the history must not call the migration
    applied (a rollback's failing first step would); it is rolling back with no down step of its own done, so
    `migrate` does not skip it as applied, and `rollback` finishes the undo once the cause is fixed."""
    p = make_project(tmp_path, mysql_url)
    # the failing step 3 has no undo block of its own, so the undo's first down step is the file's first
    (p.folder / "20260101000001_items.sql").write_text(_BROKEN_WITH_UNDO.replace(
        "-- safeshift:undoes 3\n-- safeshift:no-transaction\nALTER TABLE missing_table DROP COLUMN x;\n", "").replace(
        "-- safeshift:undoes 2\n", "-- safeshift:undoes 2\n-- safeshift:no-transaction\n"
        "ALTER TABLE audit_log ADD COLUMN undone int;\n"), encoding="utf-8")
    p.seal()
    message = error_line(p.run("migrate", expect=1))
    assert "undoing them failed" in message and "audit_log" in message and "safeshift rollback" in message, message
    assert "still applied" not in message, message
    row = _rows(mysql_url)["20260101000001"]
    assert (row.status, row.progress) == ("rolling_back", 0), row
    again = error_line(p.run("migrate", expect=3))
    assert "part-way through a rollback" in again and "safeshift rollback" in again, again
    conn = connect(mysql_url)
    try:
        conn.execute("CREATE TABLE audit_log (id int PRIMARY KEY)")
    finally:
        conn.close()
    p.run("rollback")
    assert table_names(mysql_url) == {"audit_log"} and "20260101000001" not in _rows(mysql_url)


def test_without_undo_blocks_a_failure_says_what_stays_applied_and_migrate_finishes(mysql_url: str,
                                                                                     tmp_path: Path) -> None:
    p = make_project(tmp_path, mysql_url)
    p.add("20260101000001", "items", "CREATE TABLE items (id int PRIMARY KEY);\n"
          "ALTER TABLE items ADD COLUMN sku varchar(40);\nALTER TABLE later ADD COLUMN x int;",
          "DROP TABLE items;")
    message = error_line(p.run("migrate", expect=1))
    assert "step(s) 1-2 of 3 had committed and stay applied" in message and "run migrate again" in message, message
    row = _rows(mysql_url)["20260101000001"]
    assert (row.status, row.progress) == ("failed", 2)
    status = p.run("status").stdout
    assert "failed" in status
    conn = connect(mysql_url)
    try:
        conn.execute("CREATE TABLE later (id int PRIMARY KEY)")
    finally:
        conn.close()
    out = p.run("migrate")
    assert "applied 20260101000001_items" in out.stdout
    assert "sku" in {c.name for t in schema_of(mysql_url).tables if t.name == "items" for c in t.columns}


def test_atomic_is_refused_before_anything_runs(mysql_url: str, tmp_path: Path) -> None:
    p = _project(tmp_path, mysql_url)
    for args in (("migrate", "--atomic"), ("migrate", "--atomic", "--dry-run")):
        proc = p.run(*args, expect=None)
        assert proc.returncode != 0
        message = error_line(proc)
        assert re.fullmatch(r"--atomic cannot be used on ss_test_\w+: mysql commits every DDL statement on its own "
                            r"and cannot roll it back, .+\.", message), message
    assert _count(mysql_url, "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()") == 0


def test_a_second_runner_waits_for_the_lock_then_names_its_holder(mysql_url: str, tmp_path: Path) -> None:
    p = _project(tmp_path, mysql_url)
    holder = connect(mysql_url)
    try:
        name = lock.current_name(holder)
        assert holder.execute("SELECT GET_LOCK(%s, 0)", (name,)).fetchone()[0] == 1
        ident = int(holder.execute("SELECT CONNECTION_ID()").fetchone()[0])
        start = time.monotonic()
        proc = p.run("migrate", "--lock-wait", "0.5", expect=5)
        assert time.monotonic() - start >= 0.5
        message = error_line(proc)
        assert re.fullmatch(rf"Another migration runner holds the lock on \S+ \(connection {ident}, root@\S+, in its "
                            r"current state for \d+ s\) and did not finish within --lock-wait 0\.5 s; wait for it, "
                            r"or raise --lock-wait\.", message), message
        assert table_names(mysql_url) == set()
    finally:
        holder.close()  # the server frees a user lock with its connection
    p.run("migrate")
    assert table_names(mysql_url) == {"users", "posts"}


def test_a_metadata_lock_is_retried_then_the_blocking_session_named(mysql_url: str, tmp_path: Path) -> None:
    p = _project(tmp_path, mysql_url)
    p.run("migrate")
    p.add("20260101000003", "users_age", "CREATE TABLE audit (id int PRIMARY KEY);\n"
          "ALTER TABLE users ADD COLUMN age int;", "ALTER TABLE users DROP COLUMN age;\nDROP TABLE audit;")
    blocker = connect(mysql_url)
    try:
        blocker.execute("BEGIN")
        blocker.execute("SELECT count(*) FROM users").fetchone()  # holds a metadata lock until it ends
        ident = int(blocker.execute("SELECT CONNECTION_ID()").fetchone()[0])
        events: list[Any] = []
        with pytest.raises(safeshift.errors.LockTimeout) as failed:
            safeshift.migrate(mysql_url, p.folder, on_event=events.append, options=RunOptions(
                lock_timeout_ms=1000, lock_tries=2, retry_backoff_s=0.1, lock_wait_s=5))
        retries = [e.message for e in events if e.kind == "retry"]
        assert len(retries) == 1 and f"held by connection {ident} (root@" in retries[0], retries
        message = failed.value.message
        assert re.match(rf"20260101000003_users_age\.sql line 3 could not get its lock within lock_timeout 1000 ms "
                        rf"on 2 tries; blocked by connection {ident} \(root@\S+\), idle in transaction for \d+ s\. ",
                        message), message
        assert "step(s) 1-1 of 2 had committed and stay applied" in message, message
        row = _rows(mysql_url)["20260101000003"]
        assert (row.status, row.progress) == ("failed", 1)
    finally:
        blocker.close()
    # the step before the blocked one committed (recorded): the rest runs now
    safeshift.migrate(mysql_url, p.folder)
    assert "age" in {c.name for t in schema_of(mysql_url).tables if t.name == "users" for c in t.columns}


# -- the crash window of a statement that commits on its own, set up exactly ---------------------

def _stopped_at(url: str, p: Project, version: str, step: int, *, ran: bool, sql: str) -> None:
    """The history a runner killed right after noting step ``step`` (0-based) of ``version`` leaves: the row
    says ``running`` with that progress and the fingerprint before the step; with ``ran`` the statement's
    own commit happened too (the runner died before writing the history)."""
    d = dialect_for_url(url)
    conn = connect(url)
    try:
        history.ensure(d, conn)
        m = next(m for m in safeshift.formats.safeshift.read_folder(p.folder).migrations if m.version == version)
        history.write(d, conn, version=version, name=m.name, checksum=safeshift.formats.safeshift.checksum(m),
                      status="running", duration_ms=0, progress=step)
        history.set_mark(d, conn, version, step, marks.fingerprint(conn))
        if ran:
            conn.execute(sql)
    finally:
        conn.close()


@pytest.mark.parametrize("ran", [True, False], ids=["committed-unrecorded", "noted-not-run"])
def test_a_resumed_run_tells_a_committed_unrecorded_step_by_the_fingerprint(mysql_url: str, tmp_path: Path,
                                                                           ran: bool) -> None:
    p = _project(tmp_path, mysql_url)
    safeshift.migrate(mysql_url, p.folder, to=_USERS[0])
    conn = connect(mysql_url)
    try:  # steps 1 (CREATE TABLE) and 2 (CREATE INDEX) of create_posts committed and were recorded
        conn.execute("CREATE TABLE posts (id int PRIMARY KEY, author_id int NOT NULL)")
        conn.execute("CREATE INDEX posts_author ON posts (author_id)")
    finally:
        conn.close()
    _stopped_at(mysql_url, p, _POSTS[0], 2, ran=ran, sql="ALTER TABLE posts ADD CONSTRAINT posts_author_fk "
                                                          "FOREIGN KEY (author_id) REFERENCES users (id)")
    events: list[Any] = []
    result = safeshift.migrate(mysql_url, p.folder, on_event=events.append)
    assert result.versions == (_POSTS[0],)
    counted = [e.message for e in events if e.kind == "note" and "counted, not run again" in (e.message or "")]
    assert len(counted) == (1 if ran else 0), counted
    posts = next(t for t in schema_of(mysql_url).tables if t.name == "posts")
    assert [fk.name for fk in posts.foreign_keys] == ["posts_author_fk"]
    assert _rows(mysql_url)[_POSTS[0]].status == "applied"


def test_a_rollback_of_a_killed_run_undoes_exactly_what_committed(mysql_url: str, tmp_path: Path) -> None:
    p = make_project(tmp_path, mysql_url)
    (p.folder / "20260101000001_items.sql").write_text(_BROKEN_WITH_UNDO.replace(
        "missing_table", "items"), encoding="utf-8")
    p.seal()
    conn = connect(mysql_url)
    try:
        conn.execute("CREATE TABLE items (id int PRIMARY KEY)")
    finally:
        conn.close()
    # killed after step 2's own commit, before its history write: only the fingerprint says it ran
    _stopped_at(mysql_url, p, "20260101000001", 1, ran=True, sql="ALTER TABLE items ADD COLUMN sku varchar(40)")
    back = safeshift.rollback(mysql_url, p.folder)
    assert [a.version for a in back.rolled_back] == ["20260101000001"]
    assert table_names(mysql_url) == set() and _rows(mysql_url) == {}


def test_generate_writes_each_ddl_statement_as_a_step_with_its_undo_block() -> None:
    from safeshift import changes as ch
    from safeshift.model import Column, Table, make_schema
    from safeshift.plan import render

    d = dialect_for_url("mysql://root@127.0.0.1/app")
    users = Table("default", "users", (Column("id", "int", nullable=False),))
    old = make_schema("mysql", tables=(users,))
    wider = Table("default", "users", (Column("id", "int", nullable=False), Column("email", "varchar(200)")))
    tags = Table("default", "tags", (Column("id", "int", nullable=False),))
    new = make_schema("mysql", tables=(wider, tags))
    sections = render([ch.AddColumn("default", "users", Column("email", "varchar(200)")), ch.CreateTable(tags)],
                      old, new, d)
    assert [s.transactional for s in sections.up] == [False, False]
    assert [s.undoes for s in sections.down] == [2, 1]
    assert all(not s.transactional for s in sections.down)
    engine_for(d)  # the engine pairs with the dialect by name


def test_statements_that_commit_implicitly() -> None:
    d = dialect_for_url("mysql://root@127.0.0.1/app")
    assert d.commits_implicitly("-- note\nALTER TABLE t ADD COLUMN x int")
    assert d.commits_implicitly("/* c */ create index i on t (x)")
    assert d.commits_implicitly("RENAME TABLE a TO b") and d.commits_implicitly("TRUNCATE t")
    assert not d.commits_implicitly("INSERT INTO t VALUES (1)")
    assert not d.commits_implicitly("UPDATE t SET x = 1") and not d.commits_implicitly("SET @a = 1")
    assert lock.lock_name("app") == "safeshift:app"
    assert len(lock.lock_name("x" * 64)) <= 64


def test_the_watcher_thread_sees_the_blocker_while_the_wait_is_on(mysql_url: str) -> None:
    """``blocking_sessions`` from a third connection, while an ALTER waits for the metadata lock."""
    e = engine_for(dialect_for_url(mysql_url))
    setup = connect(mysql_url)
    setup.execute("CREATE TABLE t (id int PRIMARY KEY)")
    holder, waiter, watcher = connect(mysql_url), connect(mysql_url), connect(mysql_url)
    try:
        holder.execute("BEGIN")
        holder.execute("SELECT * FROM t").fetchall()
        hid = int(holder.execute("SELECT CONNECTION_ID()").fetchone()[0])
        wid = e.backend_pid(waiter)
        assert wid is not None
        waiter.execute("SET SESSION lock_wait_timeout = 3")
        failed: list[BaseException] = []

        def alter() -> None:
            try:
                waiter.execute("ALTER TABLE t ADD COLUMN x int")
            except Exception as exc:
                failed.append(exc)

        thread = threading.Thread(target=alter)
        thread.start()
        time.sleep(0.5)
        found = e.blocking_sessions(watcher, wid)
        holder.execute("ROLLBACK")
        thread.join()
        assert [b.pid for b in found] == [hid], found
        assert found[0].describe().startswith(f"connection {hid} (root@") and "idle in transaction" in \
            found[0].describe()
        assert not failed  # released in time, the ALTER went through
    finally:
        for c in (holder, waiter, watcher, setup):
            c.close()


_SLOW_SECOND_STEP = """-- migrate:up
-- safeshift:no-transaction
CREATE TABLE a (id int PRIMARY KEY);
-- safeshift:no-transaction
CREATE TABLE b AS SELECT SLEEP(1.5) AS s;
-- safeshift:no-transaction
CREATE TABLE c (id int PRIMARY KEY);

-- migrate:down
-- safeshift:undoes 3
-- safeshift:no-transaction
DROP TABLE c;
-- safeshift:undoes 2
-- safeshift:no-transaction
DROP TABLE b;
-- safeshift:undoes 1
-- safeshift:no-transaction
DROP TABLE a;
"""


def test_sigterm_during_a_ddl_statement_counts_it_if_it_committed_and_undoes_what_did(mysql_url: str,
                                                                                    tmp_path: Path) -> None:
    """The server finishes a statement whose client was interrupted; the runner waits for that session's end
    (its runner lock), sees by the fingerprint that the statement committed, and undoes it with the step before."""
    import signal
    import subprocess
    import sys

    from tests.runner._project import clean_env

    p = make_project(tmp_path, mysql_url)
    (p.folder / "20260101000001_slow.sql").write_text(_SLOW_SECOND_STEP, encoding="utf-8")
    p.seal()
    proc = subprocess.Popen([sys.executable, "-m", "safeshift.cli", "migrate", "--url", mysql_url, "--yes"],
                            cwd=p.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
    assert proc.stdout is not None
    seen = ""
    for line in proc.stdout:
        seen += line
        if "step 2 of 3 started" in line:
            break
    time.sleep(0.4)  # inside the SLEEP(1.5) of CREATE TABLE b
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0, seen + out + err
    message = [ln for ln in err.splitlines() if ln.strip()][-1]
    assert message == ("error: Interrupted (SIGTERM) during 20260101000001_slow.sql; its 2 committed step(s) were "
                       "undone: nothing of it is applied, and nothing after it was started."), seen + out + err
    assert table_names(mysql_url) == set()
    row = _rows(mysql_url)["20260101000001"]
    assert (row.status, row.progress) == ("failed", 0)

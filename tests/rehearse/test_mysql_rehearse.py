"""`safeshift rehearse --scratch` on MariaDB (issue 19): a scratch copy beside the source (schema only, with every
row, or a sample), each statement's time and the lock its kind takes as documented, the snapshot, down and up
again; the copy dropped after, the source untouched."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pymysql
import pytest

from safeshift import history
from safeshift.dialects.mysql.url import parse_url
from safeshift.engines.base import Lock
from safeshift.engines.mysql import rehearse
from safeshift.engines.mysql.rehearse import documented_locks
from tests.cli.test_generate_cli import run

V1 = """\
CREATE TABLE users (id bigint AUTO_INCREMENT PRIMARY KEY, email varchar(200) NOT NULL);
CREATE TABLE posts (id bigint AUTO_INCREMENT PRIMARY KEY, user_id bigint NOT NULL, body text,
  CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id));
"""
V2 = """\
CREATE TABLE users (id bigint AUTO_INCREMENT PRIMARY KEY, email varchar(200) NOT NULL, name varchar(100));
CREATE TABLE posts (id bigint AUTO_INCREMENT PRIMARY KEY, user_id bigint NOT NULL, body text,
  CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id));
CREATE INDEX users_email ON users (email);
CREATE TABLE tags (id int PRIMARY KEY, label varchar(40) NOT NULL);
"""


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    t = parse_url(url)
    with contextlib.closing(pymysql.connect(host=t.host, port=t.port, user=t.user, database=t.database or None,
                                            autocommit=True)) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


def _exists(database: str) -> bool:
    return bool(_query("mysql://root@127.0.0.1:3306/", "SELECT COUNT(*) FROM information_schema.SCHEMATA "
                       f"WHERE SCHEMA_NAME = '{database}'")[0][0])


@pytest.fixture
def project(tmp_path: Path, mysql_url: str) -> Path:
    """V1 applied to prod with 300 users and 900 posts, V2 generated and pending."""
    root = tmp_path / "app"
    root.mkdir()
    (root / "schema.sql").write_text(V1)
    (root / "safeshift.toml").write_text(f'schema = "schema.sql"\ndialect = "mysql"\nshadow_url = "{mysql_url}"\n\n'
                                         f'[environments.prod]\nurl = "{mysql_url}"\nconfirm = false\n')
    run(root, "generate", "--name", "init")
    run(root, "migrate", "--env", "prod")
    _query(mysql_url, "INSERT INTO users (email) SELECT CONCAT('u', seq, '@x.io') FROM seq_1_to_300")
    _query(mysql_url, "INSERT INTO posts (user_id, body) SELECT 1 + seq % 300, CONCAT('p', seq) FROM seq_1_to_900")
    (root / "schema.sql").write_text(V2)
    run(root, "generate", "--name", "names_and_tags")
    return root


def _report(root: Path) -> dict[str, Any]:
    found = sorted((root / ".safeshift" / "rehearsals").glob("*.json"))
    doc: dict[str, Any] = json.loads(found[-1].read_text())
    return doc


def test_rehearse_on_scratch_copies(project: Path, mysql_url: str) -> None:
    source_history = _query(mysql_url, f"SELECT version, status FROM {history.TABLE}")

    for flags, mode in ((), "schema"), (("--with-data",), "data"), (("--sample", "10"), "sample"):
        out = run(project, "rehearse", "--scratch", "--from", "prod", *flags).stdout
        assert "rehearsal passed" in out, out
        assert "strongest lock EXCLUSIVE metadata lock (everything waits while it runs) on tags (documented)" in out
        doc = _report(project)
        assert doc["mode"] == f"scratch-{mode}"
        assert {c["name"]: c["status"] for c in doc["checks"]} == {
            "apply": "pass", "snapshot": "pass", "reversibility": "pass", "reapply": "pass", "smoke": "skipped"}
        statements = doc["migrations"][0]["statements"]
        assert len(statements) == 3 and all(s["ms"] >= 0 for s in statements)
        locks = {lk["relation"]: lk for s in statements for lk in s["locks"]}
        assert set(locks) == {"users", "tags"} and all(lk["documented"] for lk in locks.values())
        assert locks["tags"]["mode"].startswith("EXCLUSIVE metadata lock")
        if mode == "data":
            assert "fresh dump of the source" in doc["copy"]
        elif mode == "sample":
            assert "at most 10 rows per table" in doc["copy"]
        else:
            assert f"history tables' rows ({history.TABLE})" in doc["copy"]
        assert doc["copy_database"].startswith("ss_scratch_") and not _exists(doc["copy_database"]), "dropped"

    # the source was only read: V2 still pending, no column added
    assert _query(mysql_url, f"SELECT version, status FROM {history.TABLE}") == source_history
    assert _query(mysql_url, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                             "AND TABLE_NAME = 'users' AND COLUMN_NAME = 'name'") == [(0,)]


def test_a_sample_keeps_only_rows_whose_parents_were_sampled(project: Path, mysql_url: str) -> None:
    from safeshift.dialects import get_dialect
    from safeshift.engines import engine_for
    from safeshift.engines.base import CopySpec

    dialect = get_dialect("mysql")
    engine = engine_for(dialect)
    conn = engine.connect(mysql_url)
    try:
        schema = engine.introspect(conn)
    finally:
        conn.close()
    with engine.scratch_database(mysql_url, None) as scratch:
        how = rehearse.MySQLRehearsal().build_copy(dialect, mysql_url, scratch, CopySpec("sample", 50, schema))
        assert "at most 50 rows per table" in how
        counts = dict(_query(scratch, "SELECT 'users', COUNT(*) FROM users UNION ALL SELECT 'posts', COUNT(*) FROM posts "
                                      f"UNION ALL SELECT 'history', COUNT(*) FROM {history.TABLE}"))
        orphans = _query(scratch, "SELECT COUNT(*) FROM posts p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL")
    assert counts["users"] == 50 and 0 < counts["posts"] <= 50 and counts["history"] == 1 and orphans == [(0,)]


def test_documented_locks_by_statement_kind() -> None:
    def mode(sql: str) -> tuple[str, str | None]:
        (lock,) = documented_locks(sql)
        assert lock.documented and lock.locktype == "metadata"
        return lock.mode.split(" (")[0].split(",")[0], lock.relation

    assert mode("ALTER TABLE `users` ADD COLUMN `name` varchar(100), ALGORITHM=INSTANT") == \
        ("EXCLUSIVE metadata lock", "users")
    assert mode("ALTER TABLE users ADD INDEX i (email), ALGORITHM=INPLACE, LOCK=NONE") == \
        ("SHARED_UPGRADABLE metadata lock", "users")
    assert mode("ALTER TABLE app.users MODIFY name text, ALGORITHM=COPY") == \
        ("SHARED_NO_WRITE metadata lock", "app.users")
    assert mode("ALTER TABLE users ADD COLUMN z int")[0] == "EXCLUSIVE metadata lock at the start and the end; writes " \
                                                             "wait throughout if the server copies the table"
    assert mode("CREATE INDEX users_email ON `users` (`email`)") == ("SHARED_UPGRADABLE metadata lock", "users")
    assert mode("CREATE FULLTEXT INDEX ft ON posts (body)") == ("SHARED_NO_WRITE metadata lock", "posts")
    assert mode("DROP INDEX users_email ON users") == ("SHARED_UPGRADABLE metadata lock", "users")
    assert mode("DROP TABLE IF EXISTS `tags`") == ("EXCLUSIVE metadata lock", "tags")
    assert mode("RENAME TABLE a TO b") == ("EXCLUSIVE metadata lock", "a")
    assert mode("UPDATE users SET name = email WHERE id BETWEEN 1 AND 1000") == \
        ("SHARED_WRITE metadata lock and InnoDB row locks", "users")
    assert documented_locks("SELECT 1") == []


def test_the_history_table_name_matches() -> None:
    assert rehearse.HISTORY_TABLE == history.TABLE


def test_a_statement_in_a_transaction_shows_its_locks_or_says_they_cannot_be_seen(mysql_url: str) -> None:
    from safeshift.dialects import get_dialect
    from safeshift.engines import engine_for

    _query(mysql_url, "CREATE TABLE t (id int PRIMARY KEY, v int)")
    _query(mysql_url, "INSERT INTO t VALUES (1, 1)")
    conn = engine_for(get_dialect("mysql")).connect(mysql_url)
    try:
        conn.execute("UPDATE t SET v = 2 WHERE id = 1")
        backend = rehearse.MySQLRehearsal()
        txn, locks = backend.locks(conn, ("safeshift",))
        assert txn is not None
        # this MariaDB ships without the metadata_lock_info plugin and with performance_schema off
        assert locks == [Lock("metadata", rehearse.NOT_OBSERVABLE)]
        conn.rollback()
    finally:
        conn.close()

"""`safeshift deploy` on MariaDB (issue 19) with its policies: confirm, a restore-checked backup, migrate, verify
and the health command; on failure the down sections (rollback) or the pre-deploy backup (restore); a rehearsal
required first."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import pymysql

from safeshift import history
from safeshift.backup import table_fingerprint
from safeshift.dialects import get_dialect
from safeshift.dialects.mysql.url import parse_url
from tests.cli.test_generate_cli import run

V1 = """\
CREATE TABLE users (id bigint AUTO_INCREMENT PRIMARY KEY, email varchar(200) NOT NULL);
CREATE TABLE posts (id bigint AUTO_INCREMENT PRIMARY KEY, user_id bigint NOT NULL, body text,
  CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id));
"""
#: a new column, then a unique key over emails production holds twice
V2_UNIQUE = V1.replace("email varchar(200) NOT NULL)", "email varchar(200) NOT NULL, name varchar(100), "
                                                      "UNIQUE KEY users_email (email))")
V2_NAME = V1.replace("email varchar(200) NOT NULL)", "email varchar(200) NOT NULL, name varchar(100))")
HEALTH = """\
import os, sys
from safeshift.dialects import dialect_for_url
from safeshift.engines import engine_for
url = os.environ["DATABASE_URL"]
conn = engine_for(dialect_for_url(url)).connect(url, create=False)
print("users", conn.execute("SELECT count(*) FROM users").fetchone()[0])
sys.exit(int(os.environ.get("HEALTH_EXIT", "0")))
"""
MYSQL = get_dialect("mysql")


def _query(url: str, *sql: str) -> list[tuple[Any, ...]]:
    t = parse_url(url)
    with contextlib.closing(pymysql.connect(host=t.host, port=t.port, user=t.user, database=t.database,
                                            autocommit=True)) as conn, conn.cursor() as cur:
        for s in sql:
            cur.execute(s)
        return list(cur.fetchall())


def _project(root: Path, url: str, env: str) -> Path:
    root.mkdir()
    (root / "schema.sql").write_text(V1)
    (root / "health.py").write_text(HEALTH)
    (root / "safeshift.toml").write_text(
        f'schema = "schema.sql"\ndialect = "mysql"\nshadow_url = "{url}"\n\n[environments.prod]\nurl = "{url}"\n'
        f'health = "{sys.executable} health.py"\n{env}')
    run(root, "generate", "--name", "init")
    return root


def _state(url: str, *, with_history: bool = True) -> tuple[Any, ...]:
    columns = _query(url, "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
                          "WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1, 2")
    keys = _query(url, "SELECT TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS "
                       "WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1, 2")
    rows = {k: v for k, v in table_fingerprint(url, MYSQL).items() if with_history or k != history.TABLE}
    return tuple(columns), tuple(keys), rows


def _record(root: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(sorted((root / ".safeshift" / "releases").glob("*.json"))[-1].read_text())
    return doc


def _statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {i["key"]: i["status"] for i in doc["items"]}


def _history(url: str) -> dict[str, str]:
    return dict(_query(url, f"SELECT version, status FROM {history.TABLE}"))


def test_deploy_confirms_backs_up_applies_and_rolls_a_failure_back(tmp_path: Path, mysql_url: str) -> None:
    root = _project(tmp_path / "app", mysql_url, 'confirm = true\nbackup_verify = "restore"\n')
    asked = run(root, "deploy", "--env", "prod", expect=2).stderr
    assert "pass --yes to go ahead" in asked and _query(mysql_url, "SHOW TABLES") == [(history.TABLE,)]

    done = run(root, "deploy", "--env", "prod", "--yes").stdout
    assert "released: prod is at" in done
    doc = _record(root)
    assert doc["outcome"] == "released"
    assert {k: v for k, v in _statuses(doc).items() if k != "rehearsed"} == {
        "reviewed": "passed", "generated": "passed", "backup": "passed", "applied": "passed", "verified": "passed",
        "rollback": "passed"}
    backups = sorted((root / ".safeshift" / "backups" / "prod").glob("*.dump"))
    assert len(backups) == 1
    manifest = json.loads(backups[0].with_suffix(".json").read_text())
    assert manifest["format"] == "mysqldump" and manifest["verification"]["kind"] == "restore"

    _query(mysql_url, "INSERT INTO users (email) VALUES ('a@x.io'), ('b@x.io'), ('a@x.io')",
           "INSERT INTO posts (user_id, body) VALUES (1, 'hello'), (3, 'again')")
    before = _state(mysql_url, with_history=False)
    (root / "schema.sql").write_text(V2_UNIQUE)
    run(root, "generate", "--name", "name_and_unique_email")
    failed = run(root, "deploy", "--env", "prod", "--yes", expect=1)
    line = failed.stderr.strip().splitlines()[-1]
    assert line.startswith("error: Deploy to prod failed: ") and "Duplicate entry 'a@x.io'" in line
    assert "so the database is as it was" in line, line
    assert _state(mysql_url, with_history=False) == before
    assert sorted(_history(mysql_url).values()) == ["applied", "failed"]
    doc = _record(root)
    assert doc["outcome"].startswith("failed") and _statuses(doc)["applied"] == "failed", doc["outcome"]


def test_a_failed_health_check_restores_the_pre_deploy_backup(tmp_path: Path, mysql_url: str) -> None:
    root = _project(tmp_path / "app", mysql_url, 'confirm = false\non_failure = "restore"\n')
    run(root, "deploy", "--env", "prod")
    _query(mysql_url, "INSERT INTO users (email) SELECT CONCAT('u', seq, '@x.io') FROM seq_1_to_500",
           "INSERT INTO posts (user_id, body) SELECT 1 + seq % 500, CONCAT('p', seq) FROM seq_1_to_800")
    before = _state(mysql_url)
    (root / "schema.sql").write_text(V2_NAME)
    run(root, "generate", "--name", "add_name")

    failed = run(root, "deploy", "--env", "prod", "--yes", expect=1, env={"HEALTH_EXIT": "3"})
    line = failed.stderr.strip().splitlines()[-1]
    assert "the pre-deploy backup" in line and "was restored" in line
    assert "restore: safety backup of the failed state: " in failed.stdout
    assert _state(mysql_url) == before, "schema, rows and history are the backup's"
    doc = _record(root)
    assert doc["outcome"] == "failed, restored" and _statuses(doc)["rollback"] == "passed"
    evidence = next(i for i in doc["items"] if i["key"] == "rollback")["evidence"]
    assert evidence["policy"] == "restore" and evidence["drift after restore"] == "none"


def test_a_required_rehearsal_gates_the_deploy(tmp_path: Path, mysql_url: str) -> None:
    root = _project(tmp_path / "app", mysql_url, 'confirm = false\nrequire_rehearsal = true\nbackup = false\n')
    refused = run(root, "deploy", "--env", "prod", expect=1).stderr
    assert "requires a passed rehearsal" in refused and _query(mysql_url, "SHOW TABLES") == [(history.TABLE,)]
    run(root, "rehearse", "--scratch", "--from", "prod")
    run(root, "deploy", "--env", "prod")
    assert list(_history(mysql_url).values()) == ["applied"]
    assert _statuses(_record(root))["backup"] == "skipped"

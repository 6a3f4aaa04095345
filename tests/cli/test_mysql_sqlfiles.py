"""A MySQL project whose schema is a SQL file (issue 19): generate runs it on a shadow database made beside the
configured server, migrate applies what it wrote, and verify says "no drift" until a hand-made change, which it
names."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pymysql

from safeshift.dialects.mysql.url import parse_url
from tests.cli.test_generate_cli import run

SCHEMA_V1 = """\
# MySQL's own comment style, a string with a semicolon and a backslash escape: the server splits the file
CREATE TABLE users (
  id bigint AUTO_INCREMENT PRIMARY KEY,
  email varchar(200) NOT NULL,
  note varchar(40) NOT NULL DEFAULT 'a;b\\'c',
  UNIQUE KEY users_email (email)
) ENGINE=InnoDB;
CREATE TABLE posts (
  id bigint AUTO_INCREMENT PRIMARY KEY,
  user_id bigint NOT NULL,
  body text,
  CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
);
"""


def _execute(url: str, *statements: str) -> None:
    t = parse_url(url)
    with contextlib.closing(pymysql.connect(host=t.host, port=t.port, user=t.user, database=t.database,
                                            autocommit=True)) as conn, conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


def test_sql_file_schema_generates_migrates_and_verifies(tmp_path: Path, mysql_url: str) -> None:
    project = tmp_path / "app"
    project.mkdir()
    (project / "schema.sql").write_text(SCHEMA_V1)
    (project / "safeshift.toml").write_text(
        f'schema = "schema.sql"\ndialect = "mysql"\nshadow_url = "{mysql_url}"\n\n'
        f'[environments.prod]\nurl = "{mysql_url}"\nconfirm = false\n')
    made = run(project, "generate", "--name", "init").stdout
    assert "2 created, 0 altered, 0 dropped" in made
    files = sorted((project / "migrations").glob("*_init.sql"))
    assert len(files) == 1
    written = files[0].read_text()
    assert "CREATE TABLE `users`" in written and "`note` varchar(40) NOT NULL DEFAULT 'a;b''c'" in written
    run(project, "generate", "--check")  # the file and the migrations agree

    run(project, "migrate", "--env", "prod")
    clean = run(project, "verify", "--env", "prod").stdout
    assert "no drift:" in clean and "matches the migrations' snapshot" in clean

    _execute(mysql_url, "CREATE INDEX posts_body ON posts (body(20))", "ALTER TABLE users ADD COLUMN extra int")
    drift = run(project, "verify", "--env", "prod", expect=1)
    out = drift.stdout + drift.stderr
    assert "extra index" in out and "posts_body" in out
    assert "extra column" in out and "users.extra" in out

    _execute(mysql_url, "DROP INDEX posts_body ON posts", "ALTER TABLE users DROP COLUMN extra")
    assert "no drift:" in run(project, "verify", "--env", "prod").stdout


def test_a_sql_file_schema_needs_a_server_for_its_shadow(tmp_path: Path) -> None:
    (tmp_path / "schema.sql").write_text(SCHEMA_V1)
    (tmp_path / "safeshift.toml").write_text('schema = "schema.sql"\ndialect = "mysql"\n')
    err = run(tmp_path, "generate", "--name", "init", expect=2).stderr
    assert "set shadow_url in safeshift.toml" in err and "give the development environment a url" in err
    assert err.count("\n") == 1


def test_a_failing_statement_in_the_file_is_named(tmp_path: Path, mysql_url: str) -> None:
    (tmp_path / "schema.sql").write_text(SCHEMA_V1 + "CREATE TABLE oops (id int,);\nCREATE TABLE never (id int);\n")
    (tmp_path / "safeshift.toml").write_text(
        f'schema = "schema.sql"\ndialect = "mysql"\n\n[environments.development]\nurl = "{mysql_url}"\n')
    err = run(tmp_path, "generate", "--name", "init", expect=2).stderr
    assert "schema.sql failed on the shadow database" in err and "error in your SQL syntax" in err
    assert "near ')" in err and err.count("\n") == 1

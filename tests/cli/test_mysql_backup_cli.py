"""`safeshift backup` and `safeshift restore` on MariaDB as a user runs them (issue 19): the restore check's
line, a restore into another database, a non-empty target refused, and the password in no output."""

from __future__ import annotations

import contextlib
import re
import secrets
from pathlib import Path
from urllib.parse import quote

import pymysql

from safeshift.dialects.mysql.url import parse_url
from tests.cli.test_generate_cli import run


def _execute(url: str, *statements: str) -> list[tuple[object, ...]]:
    t = parse_url(url)
    with contextlib.closing(pymysql.connect(host=t.host, port=t.port, user=t.user, password=t.password,
                                            database=t.database, autocommit=True)) as conn, conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
        return list(cur.fetchall())


def test_backup_then_restore_from_the_command_line(tmp_path: Path, mysql_url: str) -> None:
    database = parse_url(mysql_url).database
    user, password = f"ss_cli_{secrets.token_hex(4)}", "pw:@/" + secrets.token_hex(6)
    target = f"{database}_copy"
    _execute(mysql_url, f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
    try:
        _execute(mysql_url, f"GRANT ALL ON `{database}`.* TO '{user}'@'%'", f"GRANT ALL ON `{target}`.* TO '{user}'@'%'",
                 f"GRANT ALL ON `ss\\_scratch\\_%`.* TO '{user}'@'%'", f"CREATE DATABASE `{target}`")
        url = f"mysql://{user}:{quote(password, safe='')}@127.0.0.1:3306/{database}"
        into = url.rsplit("/", 1)[0] + f"/{target}"
        _execute(url, "CREATE TABLE t (id int PRIMARY KEY, v varchar(20), b varbinary(4))",
                 "INSERT INTO t SELECT seq, CONCAT('row ', seq), UNHEX('00FF27') FROM seq_1_to_5000")
        (tmp_path / "safeshift.toml").write_text('schema = "schema.sql"\ndialect = "mysql"\n')

        made = run(tmp_path, "backup", "--url", url, "--verify-restore")
        out = made.stdout + made.stderr
        m = re.search(r"to (\S+\.dump) \(([\d,]+) bytes, sha256 [0-9a-f]{12}", out)
        assert m, out
        assert "verified: restored into a scratch database, 1 table(s) and 5,000 rows equal the source" in out
        restored = run(tmp_path, "restore", m.group(1), "--into", into)
        assert "restored" in restored.stdout
        assert _execute(into, "SELECT COUNT(*), SUM(id), HEX(MIN(b)) FROM t") == [(5000, 12502500, "00FF27")]
        again = run(tmp_path, "restore", m.group(1), "--into", into, expect=2)
        assert "already holds table t; restore into an empty database." in again.stderr
        for proc in (made, restored, again):
            assert password not in proc.stdout + proc.stderr and quote(password, safe="") not in proc.stdout + proc.stderr
    finally:
        _execute(mysql_url, f"DROP USER '{user}'@'%'", f"DROP DATABASE IF EXISTS `{target}`")

"""`safeshift backup` and `safeshift restore` as a user runs them."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

from tests.cli.test_generate_cli import run


def test_backup_then_restore_into_an_empty_database(tmp_path: Path, pg_url: str, pg_target: str) -> None:
    (tmp_path / "safeshift.toml").write_text('schema = "models:metadata"\ndialect = "postgresql"\n')
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 5000) g")
    made = run(tmp_path, "backup", "--url", pg_url).stdout
    m = re.search(r"to (\S+\.dump) \(([\d,]+) bytes, sha256 [0-9a-f]{12}", made)
    assert m, made
    dump = tmp_path / m.group(1)
    assert dump.exists() and (dump.stat().st_mode & 0o777) == 0o600
    target = pg_target
    restored = run(tmp_path, "restore", str(dump), "--into", target).stdout
    assert "restored" in restored
    with psycopg.connect(target) as conn:
        assert conn.execute("SELECT count(*), sum(id) FROM t").fetchone() == (5000, 12502500)
    again = run(tmp_path, "restore", str(dump), "--into", target, expect=2).stderr
    assert "already holds" in again
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    corrupt = run(tmp_path, "restore", str(dump), "--into", target, expect=2).stderr
    assert "is corrupt: its sha256 is" in corrupt

"""A backup killed midway, and a pg_dump too old for the server: neither leaves anything that looks complete."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from safeshift import cli
from safeshift.backup import (
    BackupError,
    backup,
    list_backups,
    prune,
    restore,
)
from safeshift.dialects import get_dialect
from safeshift.engines.postgres import embedded
from safeshift.engines.postgres.backup import PostgresBackup
from safeshift.engines.postgres.tools import tool_major
from safeshift.errors import ToolMissing
from tests.cli.test_generate_cli import run

PG = get_dialect("postgresql")


def _writing(partial: Path) -> bool:
    """pg_dump has started writing table data into the unfinished dump (a file, or a -Fd directory)."""
    try:
        if partial.is_dir():
            return any(f.name != "toc.dat" and f.stat().st_size > 0 for f in partial.iterdir())
        return partial.stat().st_size > 0
    except FileNotFoundError:
        return False


def _group_gone(pgid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


def test_a_backup_killed_midway_is_never_taken_as_complete(pg_url: str, tmp_path: Path) -> None:
    jobs = 2 if PostgresBackup().server_version(pg_url)[0] >= 18 else 1  # -Fd directory on 18, -Fc file on 15
    dest = tmp_path / "bk"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE small (x int); INSERT INTO small VALUES (1)")
    earlier = backup(pg_url, dest, env_name=None, migrations_version=None, dialect=PG)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # enough for pg_dump to run > 1 s
        conn.execute("CREATE TABLE big (id int, a text); "
                     "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 1000000) g")

    proc = subprocess.Popen([sys.executable, "-m", "safeshift", "backup", "--url", pg_url, "--dir", str(dest),
                             "--jobs", str(jobs)], cwd=tmp_path, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial: Path | None = None
    deadline = time.monotonic() + 60
    while partial is None and time.monotonic() < deadline and proc.poll() is None:
        partial = next((p for p in dest.glob(".*.dump.partial") if _writing(p)), None)
        time.sleep(0.005)
    assert partial is not None and proc.poll() is None, "the backup must be killed while pg_dump writes"
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: safeshift and pg_dump with its workers
    proc.wait()
    assert _group_gone(proc.pid), "pg_dump outlived the kill"
    assert partial.exists()

    assert [b.path for b in list_backups(dest)] == [earlier.path]
    leftovers = [p for p in dest.iterdir() if p.name not in (earlier.path.name, earlier.path.name[:-5] + ".json")]
    assert leftovers == [partial]
    for p in leftovers:
        with pytest.raises(BackupError) as exc:
            restore(p, pg_url, dialect=PG.name)
        assert str(exc.value) == (f"{p} is an unfinished backup (its backup was interrupted or is still running); "
                                  "restore a complete .dump that has its .json manifest beside it.")
    refused = run(tmp_path, "restore", str(partial), "--into", pg_url, expect=2).stderr
    assert "is an unfinished backup" in refused
    assert prune(dest, 1) == []  # retention does not count it: the one complete backup stays

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("TRUNCATE big")  # the next backup need not dump the million rows again
    after = backup(pg_url, dest, env_name=None, migrations_version=None, dialect=PG, jobs=jobs, keep=2)
    assert after.removed == (partial,) and after.pruned == ()
    assert not partial.exists()
    assert [b.path for b in list_backups(dest)] == [earlier.path, after.path]


def test_a_pg_dump_older_than_the_server_is_refused(pg18_admin_url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    pg15 = Path("/usr/lib/postgresql/15/bin")
    if not (pg15 / "pg_dump").is_file():
        pytest.skip("needs the machine's PostgreSQL 15 client tools")
    if any((tool_major(p) or 0) >= 18 for p in glob.glob("/usr/lib/postgresql/*/bin/pg_dump")):
        pytest.skip("a pg_dump 18 is installed system-wide")
    only = tmp_path / "bin"
    only.mkdir()
    for tool in ("pg_dump", "pg_restore", "psql"):
        (only / tool).symlink_to(pg15 / tool)
    monkeypatch.setenv("PATH", str(only))
    monkeypatch.setattr(embedded, "embedded_bin_dir", lambda: None)
    monkeypatch.chdir(tmp_path)
    dest = tmp_path / "bk"

    with pytest.raises(ToolMissing) as exc:
        backup(pg18_admin_url, dest, env_name=None, migrations_version=None, dialect=PG)
    msg = str(exc.value)
    assert msg.startswith("pg_dump 18 or newer is needed for this PostgreSQL 18 server (found versions: 15); ")
    assert list(dest.iterdir()) == []

    result = CliRunner().invoke(cli.main, ["backup", "--url", pg18_admin_url, "--dir", str(dest)])
    assert result.exit_code == 2
    assert "pg_dump 18 or newer is needed" in result.output
    assert list(dest.iterdir()) == []

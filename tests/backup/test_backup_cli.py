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


def _project(root: Path, url: str, extra: str = "") -> Path:
    dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
    root.mkdir(exist_ok=True)
    (root / "safeshift.toml").write_text(
        f'dialect = "{dialect}"\nbackups = "bk"\n\n[environments.prod]\nurl = "{url}"\n{extra}')
    return root


def test_backup_flags_retention_and_notes(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "app.db"
    sqlite3.connect(db).executescript("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a'), ('b');")
    project = _project(tmp_path / "app", f"sqlite:///{db}", "keep = 1\n")
    first = run(project, "backup", "--env", "prod").stdout
    assert re.search(r"to bk/prod/\S+\.dump \(", first) and "removed" not in first
    second = run(project, "backup", "--env", "prod", "--jobs", "3", "--verify-restore").stdout
    assert "note: --jobs is ignored for SQLite: its backup is one file copied by the online backup API." in second
    assert "verified: restored into a scratch database, 1 table(s) and 2 rows equal the source as dumped (" in second
    m = re.search(r"removed old backup (bk/prod/\S+\.dump) \(keep = 1\)", second)
    assert m and m.group(1) in first and not (project / m.group(1)).exists()
    assert len(list((project / "bk" / "prod").glob("*.dump"))) == 1
    bad = run(project, "backup", "--env", "prod", "--jobs", "0", expect=2).stderr
    assert "--jobs" in bad


def test_restore_over_an_environment_from_the_command_line(db_url: str, tmp_path: Path) -> None:
    from tests.backup.data import populate
    from tests.backup.test_restore_over import mutate, state

    populate(db_url, 2_000)
    project = _project(tmp_path / "app", db_url, 'lock_timeout = "2s"\n')
    made = re.search(r"to (\S+\.dump) \(", run(project, "backup", "--env", "prod").stdout)
    assert made
    dump = made.group(1)
    before = state(db_url)
    mutate(db_url)
    changed = state(db_url)

    usage = run(project, "restore", dump, expect=2).stderr
    assert "Give exactly one of --into URL (a new, empty database) or --env NAME" in usage
    run(project, "restore", dump, "--env", "prod", "--into", db_url, expect=2)
    no_tty = run(project, "restore", dump, "--env", "prod", expect=2).stderr
    assert ("Restoring over environment 'prod' replaces everything in its database and there is no terminal to "
            "ask on; pass --yes to go ahead.") in no_tty
    assert state(db_url) == changed and len(list((project / "bk" / "prod").glob("*.dump"))) == 1

    done = run(project, "restore", dump, "--env", "prod", "--yes").stdout
    safety = re.search(r"safety backup of the current state: (bk/prod/\S+\.dump)", done)
    assert safety and (project / safety.group(1)).exists()
    assert re.search(rf"restored {re.escape(dump)} \(taken \S+ at migration none\) over .* in \d+ ms", done)
    assert state(db_url) == before

    again = run(project, "restore", dump, "--env", "prod", "--yes", "--no-backup").stdout
    assert "safety backup" not in again and "restored" in again

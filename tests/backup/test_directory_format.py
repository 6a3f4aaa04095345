"""Directory dumps (pg_dump -Fd -j N), corrupted dumps of both PostgreSQL formats, --jobs on SQLite."""

from __future__ import annotations

import hashlib
import shutil
import stat
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from safeshift.backup import (
    BackupError,
    backup,
    list_backups,
    manifest_path,
    restore,
    table_fingerprint,
    verify,
)
from safeshift.dialects import get_dialect
from safeshift.engines.postgres import embedded
from tests.backup.data import populate_pg
from tests.conftest import PG15_ADMIN

PG = get_dialect("postgresql")
SQLITE = get_dialect("sqlite")


def _listing_sha256(folder: Path) -> str:
    """The documented tree hash, computed independently: sha256 of ``<file sha256>  <relative path>\\n`` lines."""
    lines = []
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        lines.append(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.relative_to(folder).as_posix()}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def test_directory_dump_round_trip(pg_url: str, pg_target: str, tmp_path: Path) -> None:
    populate_pg(pg_url, 20_000)
    dest = tmp_path / "bk"
    made = backup(pg_url, dest, env_name="prod", migrations_version="0002", dialect=PG, jobs=2)

    assert made.path.is_dir() and made.path.name.endswith("_0002.dump")
    m = made.manifest
    assert m.format == "directory" and m.verification["kind"] == "list"
    assert (made.path / "toc.dat").is_file()
    assert m.sha256 == _listing_sha256(made.path)
    assert m.size == sum(f.stat().st_size for f in made.path.iterdir())
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in made.path.iterdir())
    assert [b.path for b in list_backups(dest)] == [made.path]
    assert sorted(p.name for p in dest.iterdir()) == sorted([made.path.name, manifest_path(made.path).name])
    assert verify(made.path) == m

    restore(made.path, pg_target, dialect=PG.name, jobs=2)
    assert table_fingerprint(pg_target, PG) == table_fingerprint(pg_url, PG)


def _flip(f: Path) -> None:
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))


def _truncate(f: Path) -> None:
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])


def _data_file(dump: Path) -> Path:
    return next(f for f in sorted(dump.iterdir()) if f.name != "toc.dat" and f.stat().st_size > 1000)


DIR_DAMAGE: dict[str, Callable[[Path], None]] = {
    "flip a byte": lambda d: _flip(_data_file(d)),
    "truncate a data file": lambda d: _truncate(_data_file(d)),
    "truncate toc.dat": lambda d: _truncate(d / "toc.dat"),
    "delete a file": lambda d: _data_file(d).unlink(),
    "add a file": lambda d: (d / "9999.dat.gz").write_bytes(b"extra"),
}


def _copy_backup(dump: Path, into: Path) -> Path:
    into.mkdir()
    target = into / dump.name
    if dump.is_dir():
        shutil.copytree(dump, target)
    else:
        shutil.copy2(dump, target)
    shutil.copy2(manifest_path(dump), manifest_path(target))
    return target


def test_corrupt_dumps_of_both_formats_fail_verify_and_restore(pg_url: str, pg_target: str, tmp_path: Path) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g")
    directory = backup(pg_url, tmp_path / "d", env_name=None, migrations_version=None, dialect=PG, jobs=2).path
    custom = backup(pg_url, tmp_path / "c", env_name=None, migrations_version=None, dialect=PG).path
    cases: list[tuple[str, Path, Callable[[Path], None]]] = [
        (name, directory, damage) for name, damage in DIR_DAMAGE.items()
    ] + [("flip a byte (custom)", custom, _flip), ("truncate (custom)", custom, _truncate)]
    for i, (name, original, damage) in enumerate(cases):
        dump = _copy_backup(original, tmp_path / f"case{i}")
        expected = verify(dump).sha256
        damage(dump)
        with pytest.raises(BackupError) as exc:
            verify(dump)
        msg = str(exc.value)
        assert msg.startswith(f"Backup {dump} is corrupt: its sha256 is "), name
        assert msg.endswith(f"but its manifest records {expected}."), name
        with pytest.raises(BackupError, match="is corrupt"):
            restore(dump, pg_target, dialect=PG.name, jobs=2)
    with psycopg.connect(pg_target) as conn:  # nothing was restored by any of them
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)


@pytest.fixture
def pg18_and_15_databases(pg18_admin_url: str) -> Iterator[tuple[str, str]]:
    """An empty database on the embedded PostgreSQL 18 and one on the machine's 15."""
    name = f"ss_test_{uuid.uuid4().hex[:12]}"
    admins = (pg18_admin_url, PG15_ADMIN)
    for admin in admins:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield embedded.database_url(pg18_admin_url, name), embedded.database_url(PG15_ADMIN, name)
    finally:
        for admin in admins:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_failed_parallel_restore_empties_the_target_and_says_so(pg18_and_15_databases: tuple[str, str],
                                                                  tmp_path: Path) -> None:
    source, target = pg18_and_15_databases
    with psycopg.connect(source, autocommit=True) as conn:  # a virtual generated column: PostgreSQL 18 only
        conn.execute("CREATE TABLE a_first (x int); INSERT INTO a_first SELECT generate_series(1, 100);"
                     "CREATE TABLE v (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL); INSERT INTO v (a) VALUES (1)")
    made = backup(source, tmp_path, env_name=None, migrations_version=None, dialect=PG, jobs=2)
    with pytest.raises(BackupError) as exc:
        restore(made.path, target, dialect=PG.name, jobs=2)
    msg = str(exc.value)
    assert msg.startswith(f"pg_restore -j 2 of {made.path} for {target} failed: ")
    assert msg.endswith("parallel workers cannot share one transaction, so safeshift emptied the target database "
                        "again.")
    with psycopg.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                            "WHERE n.nspname = 'public'").fetchone() == (0,)
        assert conn.execute("SELECT has_schema_privilege('public', 'USAGE')").fetchone() == (True,)


def test_sqlite_ignores_jobs_with_a_note(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a'), ('b');")
    conn.close()
    made = backup(f"sqlite:///{db}", tmp_path / "bk", env_name=None, migrations_version=None, dialect=SQLITE, jobs=4)
    assert made.path.is_file() and made.manifest.format == "sqlite"
    assert made.notes == ("--jobs is ignored for SQLite: its backup is one file copied by the online backup API.",)
    assert made.manifest.verification["kind"] == "integrity_check"
    assert backup(f"sqlite:///{db}", tmp_path / "bk", env_name=None, migrations_version=None,
                  dialect=SQLITE).notes == ()

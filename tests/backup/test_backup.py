"""Backup → restore round trips on real PostgreSQL 15, embedded 18 and SQLite."""

from __future__ import annotations

import sqlite3
import stat
import uuid
from pathlib import Path

import psycopg
import pytest

from safeshift.backup import (
    BackupError,
    backup,
    list_backups,
    restore,
    table_fingerprint,
    verify,
)
from safeshift.dialects import get_dialect
from safeshift.engines.postgres import embedded
from safeshift.engines.postgres.tools import find_pg_tool
from safeshift.errors import ConnectionFailed, ToolMissing

PG = get_dialect("postgresql")
SQLITE = get_dialect("sqlite")
ROWS = 50_000

PG_SCHEMA = f"""
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE SEQUENCE ticket_seq START 100;
CREATE TABLE customer (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, mood mood);
CREATE TABLE orders (id serial PRIMARY KEY, customer_id bigint REFERENCES customer(id),
                     amount numeric(10, 2), note text, ticket bigint DEFAULT nextval('ticket_seq'));
INSERT INTO customer (name, mood)
  SELECT 'c' || g, (ARRAY['sad','ok','happy']::mood[])[1 + g % 3] FROM generate_series(1, 1000) g;
INSERT INTO orders (customer_id, amount, note)
  SELECT 1 + g % 1000, g / 7.0, CASE WHEN g % 5 = 0 THEN NULL ELSE 'n' || g END FROM generate_series(1, {ROWS}) g;
CREATE TABLE empty_one (x int);
"""


def _populate_pg(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(PG_SCHEMA)


def test_pg_backup_restore_round_trip(pg_url: str, pg_target: str, tmp_path: Path) -> None:
    _populate_pg(pg_url)
    dest = tmp_path / "backups"
    made = backup(pg_url, dest, env_name="production", migrations_version="0003", dialect=PG)

    assert made.path.name.endswith("_0003.dump")
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
    assert [b.path for b in list_backups(dest)] == [made.path]
    assert sorted(p.name for p in dest.iterdir()) == sorted([made.path.name, made.path.name[:-5] + ".json"])
    m = made.manifest
    assert m.size == made.path.stat().st_size and len(m.sha256) == 64 and m.migrations_version == "0003"
    assert "pg_dump" in m.tools and m.server_version.split(".")[0] in m.tools["pg_dump"]
    assert verify(made.path) == m

    restore(made.path, pg_target, dialect=PG.name)
    source, copy = table_fingerprint(pg_url, PG), table_fingerprint(pg_target, PG)
    assert source["public.orders"][0] == ROWS and source["public.customer"][0] == 1000
    assert "sequence public.ticket_seq" in source
    assert copy == source

    with pytest.raises(BackupError, match="already holds"):
        restore(made.path, pg_target, dialect=PG.name)


def test_sqlite_backup_restore_round_trip(sqlite_url: str, tmp_path: Path) -> None:
    src = Path(sqlite_url.removeprefix("sqlite:///"))
    conn = sqlite3.connect(src)
    conn.executescript(
        "CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);"
        "CREATE TABLE b (k TEXT PRIMARY KEY, n REAL);"
        "CREATE INDEX a_v ON a(v);"
    )
    conn.executemany("INSERT INTO a (v) VALUES (?)", [(f"v{i}",) for i in range(ROWS)])
    conn.executemany("INSERT INTO b VALUES (?, ?)", [(f"k{i}", i / 3) for i in range(100)])
    conn.commit()
    conn.close()

    made = backup(sqlite_url, tmp_path / "bk", env_name=None, migrations_version=None, dialect=SQLITE)
    assert made.path.name.endswith("_empty.dump")
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    restore(made.path, target, dialect=SQLITE.name)
    source = table_fingerprint(sqlite_url, SQLITE)
    assert source["a"][0] == ROWS
    assert table_fingerprint(target, SQLITE) == source


def _sqlite_backup(tmp_path: Path) -> tuple[Path, Path]:
    db = tmp_path / "small.db"
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('hello'), ('world');")
    conn.close()
    dest = tmp_path / "bk"
    made = backup(f"sqlite:///{db}", dest, env_name="dev", migrations_version="0001", dialect=SQLITE)
    return dest, made.path


def test_partial_and_orphan_files_are_not_listed(tmp_path: Path) -> None:
    dest, good = _sqlite_backup(tmp_path)
    (dest / ".20260101T000000000Z_0002.dump.partial").write_bytes(b"half a dump")
    (dest / "20260101T000000000Z_0002.dump").write_bytes(b"orphan without manifest")
    truncated = dest / "20270101T000000000Z_0003.dump"  # manifest claims a size the file lacks
    truncated.write_bytes(good.read_bytes()[:100])
    (dest / "20270101T000000000Z_0003.json").write_text(
        (dest / (good.name[:-5] + ".json")).read_text().replace(good.name, truncated.name)
    )
    assert [b.path for b in list_backups(dest)] == [good]


def test_corrupt_dump_fails_verification_and_restore(tmp_path: Path) -> None:
    _dest, dump = _sqlite_backup(tmp_path)
    expected = verify(dump).sha256
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    with pytest.raises(BackupError) as exc:
        verify(dump)
    msg = str(exc.value)
    assert msg.startswith(f"Backup {dump} is corrupt: its sha256 is ")
    assert expected in msg and msg.count(".") >= 1 and "\n" not in msg
    with pytest.raises(BackupError, match="is corrupt"):
        restore(dump, f"sqlite:///{tmp_path / 'new.db'}", dialect=SQLITE.name)
    assert not (tmp_path / "new.db").exists()


def test_tool_finder_picks_a_new_enough_pg_dump() -> None:
    bin_dir = embedded.embedded_bin_dir()
    assert bin_dir is not None
    assert find_pg_tool("pg_dump", 18).parent.resolve() == bin_dir.resolve()
    assert find_pg_tool("pg_restore", 18).parent.resolve() == bin_dir.resolve()
    assert find_pg_tool("pg_dump", 15).parent.resolve() != bin_dir.resolve()  # same major preferred
    with pytest.raises(ToolMissing) as exc:
        find_pg_tool("pg_dump", 99)
    msg = str(exc.value)
    assert msg.startswith("pg_dump 99 or newer is needed for this PostgreSQL 99 server")
    assert "install postgresql-client-99" in msg and msg.endswith(".") and msg.count(";") == 1


def test_password_never_in_manifest_or_messages(tmp_path: Path) -> None:
    from tests.conftest import PG15_ADMIN

    name = f"ss_pw_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG15_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = embedded.database_url(PG15_ADMIN, name).replace("postgres@", "postgres:s3cr3t-pw@", 1)
        with psycopg.connect(embedded.database_url(PG15_ADMIN, name), autocommit=True) as conn:
            conn.execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
        made = backup(url, tmp_path, env_name="prod", migrations_version="0001", dialect=PG)
        assert "s3cr3t" not in made.path.with_suffix(".json").read_text()
        assert "***" in made.manifest.database
        missing = url.replace(name, name + "_nope")
        with pytest.raises(ConnectionFailed) as exc:
            backup(missing, tmp_path, env_name="prod", migrations_version="0001", dialect=PG)
        assert "s3cr3t" not in str(exc.value) and "***" in str(exc.value)
    finally:
        with psycopg.connect(PG15_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize(("url", "conninfo", "password"), [
    ("postgresql://u:p%40ss@h:5/db?sslmode=require", "postgresql://u@h:5/db?sslmode=require", "p@ss"),
    ("postgresql+psycopg://u:pw@h/db", "postgresql://u@h/db", "pw"),
    ("postgres://h/db?password=x&application_name=a%20b", "postgres://h/db?application_name=a%20b", "x"),
    ("host=/tmp user=u password='a b\\'c' dbname=d", "host=/tmp user=u dbname=d", "a b'c"),
    ("postgresql:///db?host=/var/run/postgresql", "postgresql:///db?host=/var/run/postgresql", None),
    ("postgresql://postgres:@/dev?host=/x/y", "postgresql://postgres@/dev?host=/x/y", None),
    ("postgresql://u:p@h1:5,h2:6/db", "postgresql://u@h1:5,h2:6/db", "p"),
])
def test_pg_tools_get_the_password_through_the_environment_only(url: str, conninfo: str, password: str | None) -> None:
    from safeshift.engines.postgres.tools import pg_tool_conninfo

    got, env = pg_tool_conninfo(url)
    assert got == conninfo
    assert env.get("PGPASSWORD") == password


def test_a_password_in_the_url_reaches_every_connection_and_no_file(pg_url: str, tmp_path: Path) -> None:
    """pg tools get it through PGPASSWORD, psycopg as a parameter; the manifest keeps it redacted."""
    import re

    secret = "s3cret-pw"
    url = re.sub(r"//postgres:?@", f"//postgres:{secret}@", pg_url, count=1)
    assert secret in url
    _populate_pg(url)
    made = backup(url, tmp_path / "b", env_name="production", migrations_version=None, dialect=PG,
                  verify_restore=True, state_dir=tmp_path / ".safeshift")
    assert made.manifest.verification["kind"] == "restore"  # type: ignore[index]
    assert all(secret not in p.read_text(errors="replace") for p in (tmp_path / "b").glob("*.json"))

"""`restore --env`: replacing an environment's database with a backup, all or nothing."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from safeshift import api
from safeshift.backup import (
    BackupError,
    backup,
    list_backups,
    table_fingerprint,
)
from safeshift.config import Config, load_config
from safeshift.dialects import dialect_for_url, get_dialect
from safeshift.engines.postgres.backup import PostgresBackup, replace_script
from safeshift.engines.postgres.tools import find_pg_tool
from safeshift.errors import ConfirmationRequired, RestoreLockTimeout
from tests.backup.data import populate

ROWS = 5_000


def project(root: Path, url: str, lock_timeout: str = "5s") -> Config:
    dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
    root.mkdir(exist_ok=True)
    (root / "safeshift.toml").write_text(
        f'dialect = "{dialect}"\n\n[environments.prod]\nurl = "{url}"\nlock_timeout = "{lock_timeout}"\n'
    )
    return load_config(root, env="prod")


def mutate(url: str) -> None:
    """What happened after the backup: rows gone, a column, a table and (PostgreSQL) a schema added."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.executescript("DELETE FROM orders WHERE id % 2 = 0; ALTER TABLE customer ADD COLUMN z TEXT;"
                           "CREATE TABLE extra (x INTEGER); INSERT INTO extra VALUES (1);")
        conn.close()
        return
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM orders WHERE id % 2 = 0; ALTER TABLE customer ADD COLUMN z text;"
                     "CREATE TABLE extra (x int); INSERT INTO extra VALUES (1);"
                     "CREATE SCHEMA other; CREATE TABLE other.y (z int); SELECT nextval('ticket_seq');"
                     "ALTER TYPE mood ADD VALUE 'angry'")


def state(url: str) -> tuple[Any, dict[str, tuple[int, str]]]:
    dialect = dialect_for_url(url)
    return api.introspect_url(dialect, url), table_fingerprint(url, dialect)


def test_restore_over_an_environment_brings_back_schema_and_data(db_url: str, tmp_path: Path) -> None:
    populate(db_url, ROWS)
    config = project(tmp_path / "app", db_url)
    made = api.backup(config, db_url)
    before = state(db_url)
    mutate(db_url)
    changed = state(db_url)
    assert changed != before

    asked: list[str] = []
    taken: list[Any] = []
    result = api.restore_over(config, made.path, confirm=lambda name: asked.append(name) is None,
                              on_safety_backup=taken.append)
    assert asked == [dialect_for_url(db_url).database_name(db_url)] == [result.database]
    assert state(db_url) == before
    assert result.manifest == made.manifest and result.duration_ms >= 0
    # the safety backup holds the state just replaced, beside the others, and nothing was pruned
    assert result.safety is not None and taken == [result.safety]
    assert [b.path for b in list_backups(config.backups_dir)] == [made.path, result.safety.path]
    if not db_url.startswith("sqlite"):
        with _empty_beside(db_url) as scratch:
            api.restore(config, result.safety.path, scratch)
            assert table_fingerprint(scratch, get_dialect("postgresql")) == changed[1]


@contextlib.contextmanager
def _empty_beside(url: str) -> Iterator[str]:
    from safeshift.engines.postgres import with_database

    name = f"ss_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield with_database(url, name)
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restore_blocked_by_a_lock_leaves_the_database_exactly_as_it_was(db_url: str, tmp_path: Path) -> None:
    populate(db_url, ROWS)
    config = project(tmp_path / "app", db_url, lock_timeout="300ms")
    made = backup(db_url, tmp_path / "bk", env_name="prod", migrations_version=None, dialect=dialect_for_url(db_url))
    mutate(db_url)
    before = state(db_url)

    holder: Any
    if db_url.startswith("sqlite"):  # another connection holds the write lock
        holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:  # an app transaction that read the table holds ACCESS SHARE on it
        holder = psycopg.connect(db_url)
        holder.execute("SELECT count(*) FROM orders").fetchone()
    try:
        with pytest.raises(RestoreLockTimeout) as exc:
            api.restore_over(config, made.path, safety_backup=False)
    finally:
        holder.rollback()
        holder.close()
    msg = str(exc.value)
    assert "gave up after lock_timeout (300 ms)" in msg and "so the database is unchanged;" in msg
    assert msg.endswith("try again.") and "\n" not in msg and exc.value.exit_code == 1
    assert state(db_url) == before

    api.restore_over(config, made.path, safety_backup=False)  # with the lock gone it goes through
    assert state(db_url) != before


def test_input_cut_short_rolls_back_instead_of_committing_half(pg_url: str, tmp_path: Path) -> None:
    """If safeshift dies mid-stream psql reaches the end of its input and commits: the guard refuses."""
    populate(pg_url, ROWS)
    made = backup(pg_url, tmp_path, env_name=None, migrations_version=None, dialect=get_dialect("postgresql"))
    mutate(pg_url)
    before = state(pg_url)
    major = PostgresBackup().server_version(pg_url)[0]
    tool = find_pg_tool("pg_restore", major)
    script = subprocess.run([str(tool), "--no-owner", "--no-acl", "-f", "-", str(made.path)], capture_output=True,
                            check=True).stdout
    cut = script.index(b"\n\\.\n") + 4  # just after the first table's data: a tidy statement boundary
    head, tail = replace_script(5000)
    psql = [str(tool.parent / "psql"), "-X", "-q", "--single-transaction", "-v", "ON_ERROR_STOP=1", "-d", pg_url,
            "-f", "-"]
    cut_short = subprocess.run(psql, input=head.encode() + script[:cut], capture_output=True, check=False)
    assert cut_short.returncode != 0
    assert b"safeshift_restore_guard" in cut_short.stderr
    assert state(pg_url) == before

    whole = subprocess.run(psql, input=head.encode() + script + tail.encode(), capture_output=True, check=False)
    assert whole.returncode == 0, whole.stderr
    assert state(pg_url) != before


def test_restore_over_checks_before_it_asks_and_asks_before_it_acts(pg_url: str, tmp_path: Path) -> None:
    populate(pg_url, 1_000)
    config = project(tmp_path / "app", pg_url)

    def never(name: str) -> bool:
        raise AssertionError("asked before the backup was checked")

    lite = tmp_path / "lite.db"
    sqlite3.connect(lite).executescript("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
    other = backup(f"sqlite:///{lite}", tmp_path / "lite", env_name=None, migrations_version=None,
                   dialect=get_dialect("sqlite"))
    with pytest.raises(BackupError) as exc:
        api.restore_over(config, other.path, confirm=never)
    assert str(exc.value) == (f"Backup {other.path} is of a sqlite database and cannot be restored into postgresql; "
                              "pick a postgresql backup.")

    made = api.backup(config, pg_url)
    corrupt = bytearray(made.path.read_bytes())
    corrupt[len(corrupt) // 2] ^= 0xFF
    bad = tmp_path / "bad" / made.path.name
    bad.parent.mkdir()
    bad.write_bytes(bytes(corrupt))
    bad.with_suffix(".json").write_text(made.path.with_suffix(".json").read_text())
    with pytest.raises(BackupError, match="is corrupt: its sha256 is"):
        api.restore_over(config, bad, confirm=never)

    mutate(pg_url)
    before = state(pg_url)
    with pytest.raises(ConfirmationRequired) as declined:
        api.restore_over(config, made.path, confirm=lambda name: False)
    assert str(declined.value) == (f"Nothing was restored over {dialect_for_url(pg_url).database_name(pg_url)}: "
                                   "the operator did not confirm.")
    assert state(pg_url) == before
    assert [b.path for b in list_backups(config.backups_dir)] == [made.path]  # no safety backup either

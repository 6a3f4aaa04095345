"""The Python API: ``safeshift.migrate(url, folder)`` like drizzle's migrator, with typed errors."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path

import pytest

import safeshift
import safeshift.errors as errors
from safeshift.errors import (
    AppliedMigrationEdited,
    ConfigError,
    ConfirmationRequired,
    ConnectionFailed,
    HistoryConflict,
    MigrationFailed,
    MissingMigration,
    NotReversible,
    OutOfOrder,
    SafeshiftError,
)
from safeshift.runner import Event
from safeshift.sections import Migration
from tests.runner._project import MIGRATIONS, VERSIONS, history_rows, make_project, table_names

V1, V2, V3, V4 = VERSIONS


def test_migrate_status_rollback(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    p = make_project(tmp_path, db_url)
    p.add_all()
    events: list[Event] = []
    result = safeshift.migrate(db_url, p.folder, to=V2, on_event=events.append)
    assert result.versions == (V1, V2) and result.already == 0
    assert all(isinstance(a.duration_ms, int) and a.duration_ms >= 0 for a in result.applied)
    assert result.duration_ms == sum(a.duration_ms for a in result.applied)
    assert [(e.kind, e.version) for e in events if e.kind == "applied"] == [("applied", V1), ("applied", V2)]

    monkeypatch.chdir(p.root)  # the default folder is "migrations", relative to the working folder
    result = safeshift.migrate(db_url)
    assert result.versions == (V3, V4) and result.already == 2
    assert safeshift.migrate(db_url, "migrations").applied == ()

    rows = safeshift.status(db_url, p.folder)
    assert [(r.version, r.state) for r in rows] == [(v, "applied") for v in VERSIONS]
    assert all(r.applied_at and r.duration_ms is not None and r.file is not None for r in rows)

    assert safeshift.rollback(db_url, p.folder).versions == (V4,)
    assert safeshift.rollback(db_url, p.folder, steps=2).versions == (V3, V2)
    assert safeshift.rollback(db_url, p.folder, to="0").versions == (V1,)
    assert [r.state for r in safeshift.status(db_url, p.folder)] == ["pending"] * 4
    assert table_names(db_url) == set()


def test_every_error_is_a_safeshift_error() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__]
    assert len(classes) > 10
    for cls in classes:
        assert issubclass(cls, SafeshiftError)
        # 130: a run stopped by SIGINT/SIGTERM, as shells report an interrupted command
        assert cls.exit_code in (1, 2, 3, 4, 5) or (cls is errors.Interrupted and cls.exit_code == 130)
    assert issubclass(AppliedMigrationEdited, HistoryConflict) and AppliedMigrationEdited.exit_code == 3
    assert ConnectionFailed.exit_code == 4 and MigrationFailed.exit_code == 1


def test_history_conflicts_are_typed(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add_all([MIGRATIONS[0], MIGRATIONS[2]])
    safeshift.migrate(db_url, p.folder)

    merged = p.add(*MIGRATIONS[1])
    with pytest.raises(OutOfOrder, match=merged.name):
        safeshift.migrate(db_url, p.folder)
    merged.unlink()
    p.seal()

    edited = p.file(V1)
    edited.write_text(edited.read_text() + "-- edited\n")
    with pytest.raises(AppliedMigrationEdited, match="git checkout"):  # not sealed: the history speaks first
        safeshift.migrate(db_url, p.folder)
    p.seal()
    with pytest.raises(AppliedMigrationEdited, match=r"recorded checksum [0-9a-f]{12}, file [0-9a-f]{12}") as info:
        safeshift.migrate(db_url, p.folder)
    assert info.value.exit_code == 3 and edited.name in info.value.message

    edited.unlink()
    p.seal()
    with pytest.raises(MissingMigration, match=f"{V1}_create_users"):
        safeshift.migrate(db_url, p.folder)
    assert history_rows(db_url) == {V1: "applied", V3: "applied"}


def test_not_reversible_and_failed_migration(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add(*MIGRATIONS[0])
    p.add(V2, "no_way_back", "CREATE TABLE kept (id integer);", "DROP TABLE kept;", irreversible=True)
    bad = p.add(V3, "broken", "CREATE TABLE broken (id integer);\nINSERT INTO no_such_table VALUES (1);")
    with pytest.raises(MigrationFailed) as info:
        safeshift.migrate(db_url, p.folder)
    failure = info.value
    assert failure.file == bad.name and failure.line == 3
    if db_url.startswith("postgresql"):
        assert failure.sqlstate == "42P01"
    assert history_rows(db_url) == {V1: "applied", V2: "applied", V3: "failed"}
    assert "broken" not in table_names(db_url)
    with pytest.raises(NotReversible, match="no_way_back"):
        safeshift.rollback(db_url, p.folder)


def test_confirm_callback_and_dialect_check(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add_all(MIGRATIONS[:2])
    asked: list[tuple[str, list[str]]] = []

    def refuse(database: str, todo: Sequence[Migration]) -> bool:
        asked.append((database, [m.version for m in todo]))
        return False

    with pytest.raises(ConfirmationRequired, match="did not confirm"):
        safeshift.migrate(db_url, p.folder, confirm=refuse)
    assert asked and asked[0][1] == [V1, V2]
    assert history_rows(db_url) == {}

    other = "sqlite" if db_url.startswith("postgresql") else "postgresql"
    with pytest.raises(ConfigError, match=f"migrations are for {other}"):
        safeshift.migrate(db_url, p.folder, dialect=other)


def test_connection_errors_are_typed_and_redacted(tmp_path: Path) -> None:
    url = "postgresql://app:s3cret-pw@127.0.0.1:1/app"
    p = make_project(tmp_path, url)
    p.add(*MIGRATIONS[0])
    for call in (safeshift.migrate, safeshift.status, safeshift.rollback):
        with pytest.raises(ConnectionFailed) as info:
            call(url, p.folder)
        assert "app:***@127.0.0.1:1" in str(info.value) and "s3cret-pw" not in str(info.value)


_EXPECT_LOCK_TIMEOUT = """DO $check$ BEGIN
  IF current_setting('lock_timeout') <> '{want}' THEN
    RAISE EXCEPTION 'lock_timeout is %, not {want}', current_setting('lock_timeout');
  END IF;
END $check$;"""


@pytest.mark.parametrize("atomic", [False, True])
def test_a_files_lock_timeout_never_exceeds_the_environments(tmp_path: Path, pg_url: str, atomic: bool) -> None:
    """generate writes SET LOCAL lock_timeout with the generating environment's value; the running
    environment's lock_timeout caps it (a stricter value in the file stays)."""
    from safeshift.runner import RunOptions

    p = make_project(tmp_path, pg_url)
    p.add(V1, "looser", f"SET LOCAL lock_timeout = '30s';\n{_EXPECT_LOCK_TIMEOUT.format(want='200ms')}",
          "SELECT 1;")
    p.add(V2, "stricter", f"SET LOCAL lock_timeout = '100ms';\n{_EXPECT_LOCK_TIMEOUT.format(want='100ms')}",
          "SELECT 1;")
    result = safeshift.migrate(pg_url, p.folder, options=RunOptions(lock_timeout_ms=200, atomic=atomic))
    assert result.versions == (V1, V2)

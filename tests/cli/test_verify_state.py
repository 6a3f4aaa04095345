"""`safeshift verify` tells the whole truth (issue 16): the history state first, and exit 1 when the
database is not at the folder's last migration, even with no drift from what is applied.

Real CLI (in-process), real databases: the embedded PostgreSQL 18 and SQLite.  Migrations are the
runner tests' hand-written ones; each one's snapshot is the live schema right after it applied, as
`safeshift generate` would have written it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from safeshift.errors import DriftDetected, MissingMigration
from safeshift.formats import safeshift as migrations
from safeshift.formats.safeshift import MigrationFolder
from safeshift.history import Record, Status
from safeshift.sections import Migration, parse_migration
from safeshift.verify import history_of
from tests.conftest import _url_for
from tests.drizzle._kit import TAGS
from tests.drizzle._kit import make_project as make_drizzle_project
from tests.drizzle.conftest import drizzle_source  # noqa: F401  (the session's drizzle-kit folder)
from tests.runner._project import MIGRATIONS, Project, connect, error_line, make_project, schema_of

LABELS = tuple(f"{v}_{n}" for v, n, _, _ in MIGRATIONS[:3])


@pytest.fixture(params=["pg18", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _url_for(request.param, request, tmp_path)


def _released(tmp_path: Path, url: str) -> Project:
    """Three migrations applied one by one, each with its snapshot."""
    p = make_project(tmp_path, url)
    for version, name, up, down in MIGRATIONS[:3]:
        p.add(version, name, up, down)
        p.run("migrate")
        migrations.write_snapshot(migrations.snapshot_path(p.folder, version), schema_of(url))
    p.seal()
    return p


def _history(p: Project, *args: str, expect: int) -> dict[str, object]:
    doc = json.loads(p.run("verify", "--json", *args, expect=expect).stdout)
    history: dict[str, object] = doc["history"]
    return history


def test_released_pending_and_at_applied(tmp_path: Path, url: str) -> None:
    p = _released(tmp_path, url)
    out = p.run("verify").stdout.splitlines()
    assert out[0] == f"history: all 3 migration(s) applied, the last is {LABELS[2]}"
    assert out[1].startswith("no drift: ")
    assert _history(p, expect=0) == {
        "recorded": True, "migrations": 3, "applied": 3, "last_applied": LABELS[2], "last": LABELS[2],
        "pending": [], "failed": [], "missing_files": [], "edited": [], "at_last": True}

    p.run("rollback")  # 2 of 3 applied, and the database is exactly the second snapshot
    behind = p.run("verify", expect=1)
    lines = behind.stdout.splitlines()
    assert lines[0] == f"history: 2 of 3 migration(s) applied; 1 pending ({LABELS[2]})"
    assert lines[1].endswith(f"matches the snapshot of {LABELS[1]}") and lines[1].startswith(
        "no drift from what is applied: "), lines[1]
    assert not any(line.startswith("no drift: ") for line in lines)
    said = error_line(behind)
    assert f"is not at the folder's last migration ({LABELS[2]}): 1 migration(s) pending" in said
    assert "--at-applied" in said
    assert "history: 2 of 3" in p.run("verify", "--at-applied").stdout
    history = _history(p, expect=1)
    assert history["pending"] == [LABELS[2]] and history["applied"] == 2 and history["at_last"] is False
    assert _history(p, "--at-applied", expect=0)["at_last"] is False

    # drift still fails --at-applied, and drift is what the error then names
    conn = connect(url)
    try:
        conn.execute("CREATE INDEX by_hand ON users (email)")
    finally:
        conn.close()
    drift = p.run("verify", "--at-applied", expect=1)
    assert "extra index" in drift.stdout and "by_hand" in drift.stdout
    assert "1 difference(s)" in error_line(drift)


def test_failed_migration_is_reported(tmp_path: Path, url: str) -> None:
    p = _released(tmp_path, url)
    p.add("20260101000009", "broken", "CREATE TABLE users (id integer PRIMARY KEY);", "DROP TABLE users;")
    p.run("migrate", expect=1)
    proc = p.run("verify", expect=1)
    first = proc.stdout.splitlines()[0]
    assert first.startswith("history: 3 of 4 migration(s) applied; 20260101000009_broken failed: "), first
    assert "users" in first  # the database's own reason, first line
    assert "20260101000009_broken failed; see `safeshift status` for what stopped it" in error_line(proc)
    history = _history(p, expect=1)
    assert history["pending"] == [] and history["at_last"] is False
    assert history["failed"] == [{"migration": "20260101000009_broken", "status": "failed", "progress": 0,
                                  "steps": 1, "error": history["failed"][0]["error"]}]  # type: ignore[index]
    # its transaction was rolled back: nothing of it is drift
    assert "no drift from what is applied" in p.run("verify", "--at-applied").stdout


def test_applied_file_missing_from_the_folder(tmp_path: Path, url: str) -> None:
    """A database ahead of the checkout: exit 3, as every command that has the database says it."""
    p = _released(tmp_path, url)
    seed = p.add("20260101000009", "seed", "INSERT INTO users (id, email) VALUES (1, 'a@example.com');",
                 "DELETE FROM users WHERE id = 1;")  # data only: no snapshot, no drift
    p.run("migrate")
    seed.unlink()
    p.seal()
    proc = p.run("verify", expect=3)
    assert proc.stdout.splitlines()[0] == ("history: 3 of 3 migration(s) applied; 1 applied but missing from the "
                                           "folder (20260101000009_seed)")
    assert "has applied 20260101000009_seed, which the folder does not hold" in error_line(proc)
    assert _history(p, "--at-applied", expect=0)["missing_files"] == ["20260101000009_seed"]


def test_nothing_applied_and_no_history_table(tmp_path: Path, url: str) -> None:
    p = _released(tmp_path, url)
    p.run("rollback", "--to", "0")
    proc = p.run("verify", expect=1)
    lines = proc.stdout.splitlines()
    assert lines[0] == f"history: nothing applied; 3 pending ({', '.join(LABELS)})"
    assert lines[1].endswith("matches an empty schema, as nothing is applied")
    assert "3 migration(s) pending" in error_line(proc)
    assert p.run("verify", "--at-applied").returncode == 0

    conn = connect(url)  # as if safeshift never ran here
    try:
        conn.execute("DROP TABLE safeshift_migrations" if url.startswith("sqlite")
                     else "DROP SCHEMA safeshift CASCADE")
    finally:
        conn.close()
    proc = p.run("verify", expect=1)
    table = "safeshift_migrations" if url.startswith("sqlite") else "safeshift.safeshift_migrations"
    assert proc.stdout.splitlines()[0] == (f"history: no history table ({table}): this database was never "
                                           f"migrated, nothing is applied; 3 pending ({', '.join(LABELS)})")
    assert "it has no history table, so nothing is applied" in error_line(proc)
    history = _history(p, "--at-applied", expect=0)
    assert history["recorded"] is False and history["applied"] == 0 and len(history["pending"]) == 3  # type: ignore[arg-type]


def test_drizzle_folder(drizzle_source: Path, tmp_path: Path, pg18_url: str) -> None:  # noqa: F811
    """The state comes through the folder abstraction: drizzle's table, drizzle's tags."""
    p = make_drizzle_project(drizzle_source, tmp_path, pg18_url)
    proc = p.run("verify", expect=1)
    assert proc.stdout.splitlines()[0] == (f"history: no history table (drizzle.__drizzle_migrations): this "
                                           f"database was never migrated, nothing is applied; {len(TAGS)} pending "
                                           f"({', '.join(TAGS)})")
    p.run("migrate")
    out = p.run("verify").stdout.splitlines()
    assert out[0] == f"history: all {len(TAGS)} migration(s) applied, the last is {TAGS[-1]}"
    assert out[1].startswith("no drift: ")
    p.run("rollback")
    proc = p.run("verify", expect=1)
    assert proc.stdout.splitlines()[0] == (f"history: {len(TAGS) - 1} of {len(TAGS)} migration(s) applied; "
                                           f"1 pending ({TAGS[-1]})")
    assert "no drift from what is applied" in p.run("verify", "--at-applied").stdout
    history = json.loads(p.run("verify", "--json", expect=1).stdout)["history"]
    assert history["pending"] == [TAGS[-1]] and history["last_applied"] == TAGS[-2]


@pytest.fixture
def pg18_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _url_for("pg18", request, tmp_path)


def _record(version: str, name: str, checksum: str, status: Status = "applied", progress: int = 0,
            error: str | None = None) -> Record:
    return Record(version, name, checksum, status, "2026-01-01T00:00:00", 1, "test", progress, error)


def test_history_of_missing_edited_and_partway() -> None:
    """Rows the folder cannot account for and part-way runs, as plain history rows (no database needed)."""
    def migration(version: str, name: str, up: str) -> Migration:
        return parse_migration(Path(f"migrations/{version}_{name}.sql"), f"-- migrate:up\n{up}\n".encode())

    one = migration("20260101000001", "a", "CREATE TABLE a (id int);")
    two = migration("20260101000002", "b", "CREATE TABLE b (id int);\n-- safeshift:no-transaction\n"
                    "CREATE INDEX CONCURRENTLY b_id ON b (id);\n-- safeshift:no-transaction\n"
                    "CREATE INDEX CONCURRENTLY b_id2 ON b (id);")
    folder = MigrationFolder(Path("migrations"), (one, two))
    records = {"20260101000001": _record("20260101000001", "a", "edited since"),
               "20260101000002": _record("20260101000002", "b", two.sha256, "failed", 1, "ERROR: boom\nLINE 1"),
               "20260101000003": _record("20260101000003", "gone", "x"),
               "20260101000004": _record("20260101000004", "never", "y", "failed")}
    state = history_of(folder, records)
    assert state.render() == ("history: 1 of 2 migration(s) applied; 20260101000002_b failed at step 2 of 3 "
                              "(1 of 3 step(s) committed): ERROR: boom; 1 applied but missing from the folder "
                              "(20260101000003_gone); 1 edited since applied (20260101000001_a)")
    assert not state.at_last
    said = state.not_released("postgresql://u:secret@h/db")
    assert isinstance(said, MissingMigration) and said.exit_code == 3  # the folder does not fit, as migrate says
    assert "secret" not in said.message and "has applied 20260101000003_gone, which the folder does not hold" \
        in said.message
    without = history_of(folder, {v: r for v, r in records.items() if v != "20260101000003"})
    assert isinstance(without.not_released("sqlite:///x"), DriftDetected)
    assert "20260101000002_b failed at step 2 of 3 (1 of 3 step(s) committed); see `safeshift status`" in \
        without.not_released("sqlite:///x").message
    running = history_of(folder, {**records, "20260101000002": _record("20260101000002", "b", two.sha256,
                                                                       "running", 2)})
    assert "20260101000002_b was left part-way at step 3 of 3 (2 of 3 step(s) committed)" in running.render()
    only_missing = history_of(MigrationFolder(Path("migrations"), (one,)),
                              {"20260101000001": _record("20260101000001", "a", one.sha256),
                               "20260101000003": _record("20260101000003", "gone", "x")})
    assert only_missing.pending == () and not only_missing.at_last
    assert history_of(MigrationFolder(Path("migrations"), ()), {}).render() == (
        "history: nothing applied and the folder holds no migration")
    assert history_of(MigrationFolder(Path("migrations"), ()), {}).at_last

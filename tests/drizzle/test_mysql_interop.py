"""Interoperability with drizzle-orm's own MySQL migrator (mysql2 driver), both ways, on MariaDB 10.11.

The folder is the real drizzle-kit's (``_mysql_kit.STEPS``: tables with an enum, a boolean, a decimal,
JSON, ``onUpdateNow``, a CHECK, unique and composite keys, indexes and a foreign key; a hand-written
data migration; then added and dropped columns, a new table and index, a dropped foreign key).
drizzle's ``__drizzle_migrations`` table is the record both tools read: whichever applied a migration,
the other sees it applied and runs nothing twice (the seeded row in ``users`` is the witness).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from safeshift import verify
from safeshift.dialects import get_dialect
from safeshift.formats import drizzle
from tests.drizzle import _mysql_kit as kit
from tests.drizzle._kit import DrizzleProject, scalar, truncate_journal
from tests.runner._project import connect, invoke, schema_of

TOML = 'migrations = "drizzle"\ndialect = "mysql"\n'


@pytest.fixture(scope="module")
def mysql_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kit.source(tmp_path_factory)


def _project(source: Path, root: Path, url: str, toml: str = TOML) -> DrizzleProject:
    shutil.copytree(source, root)
    (root / "safeshift.toml").write_text(toml, encoding="utf-8")
    return DrizzleProject(root, url)


def _files(folder: Path) -> list[tuple[str, int]]:
    """(drizzle's hash, when) of every journal entry: the rows drizzle's migrator writes."""
    entries = json.loads((folder / "meta" / "_journal.json").read_text())["entries"]
    return [(hashlib.sha256((folder / f"{e['tag']}.sql").read_bytes()).hexdigest(), e["when"]) for e in entries]


def _no_drift(url: str, folder: Path) -> None:
    """Introspection equals the schema of the folder's last snapshot (the whole folder applied)."""
    found = drizzle.read_folder(folder)
    expected = drizzle.expected_schema(found, found.versions)
    assert expected is not None
    drift = verify.drift_between(schema_of(url), expected, "default", found.history_table,
                                 dialect=get_dialect("mysql"))
    assert drift.differences == ()


def test_safeshift_first_then_drizzles_migrator_applies_nothing(mysql_source: Path, tmp_path: Path,
                                                                 mysql_url: str) -> None:
    p = _project(mysql_source, tmp_path / "app", mysql_url)
    out = p.run("migrate").stdout
    assert f"{len(kit.TAGS)} applied" in out
    assert p.status() == dict.fromkeys(kit.VERSIONS, "applied")
    ours = kit.drizzle_rows(mysql_url)
    assert [r[1:] for r in ours] == _files(p.folder), "exactly the rows drizzle's migrator writes"
    assert "no drift" in p.run("verify").stdout
    _no_drift(mysql_url, p.folder)

    kit.node_migrate(mysql_url, p.folder)
    assert kit.drizzle_rows(mysql_url) == ours, "drizzle's migrator must find nothing pending"
    assert scalar(mysql_url, "SELECT count(*) FROM users") == 1, "a statement ran twice"


def test_drizzle_first_then_safeshift_sees_everything_applied(mysql_source: Path, tmp_path: Path,
                                                              mysql_url: str) -> None:
    p = _project(mysql_source, tmp_path / "app", mysql_url)
    kit.node_migrate(mysql_url, p.folder)
    before = kit.drizzle_rows(mysql_url)
    assert len(before) == len(kit.TAGS)
    assert p.status() == dict.fromkeys(kit.VERSIONS, "applied")
    assert f"nothing to apply ({len(kit.TAGS)} already applied)" in p.run("migrate").stdout
    assert kit.drizzle_rows(mysql_url) == before
    assert "no drift" in p.run("verify").stdout
    _no_drift(mysql_url, p.folder)


def test_drizzle_applies_the_first_safeshift_the_rest_then_drizzle_nothing(mysql_source: Path, tmp_path: Path,
                                                                           mysql_url: str) -> None:
    p = _project(mysql_source, tmp_path / "app", mysql_url)
    early = _project(mysql_source, tmp_path / "early", mysql_url)
    truncate_journal(early.folder, 2)
    kit.node_migrate(mysql_url, early.folder)
    assert len(kit.drizzle_rows(mysql_url)) == 2

    assert p.status() == {v: ("applied" if i < 2 else "pending") for i, v in enumerate(kit.VERSIONS)}
    out = p.run("migrate", "--allow-hazards").stdout
    assert f"{len(kit.TAGS) - 2} applied" in out and "2 were already applied" in out
    rows = kit.drizzle_rows(mysql_url)
    assert [r[1:] for r in rows] == _files(p.folder)

    kit.node_migrate(mysql_url, p.folder)
    assert kit.drizzle_rows(mysql_url) == rows
    assert scalar(mysql_url, "SELECT count(*) FROM users") == 1
    _no_drift(mysql_url, p.folder)


def test_a_rollback_by_safeshift_is_applied_again_by_drizzle(mysql_source: Path, tmp_path: Path,
                                                             mysql_url: str) -> None:
    """safeshift's rollback runs the down file derived from the snapshots and deletes drizzle's row, so drizzle's
    migrator applies the migration again, to the same schema."""
    p = _project(mysql_source, tmp_path / "app", mysql_url)
    p.run("migrate")
    out = p.run("rollback", "--steps", "1", "--yes").stdout
    assert "1 rolled back" in out
    assert p.status()[kit.VERSIONS[-1]] == "pending"
    assert len(kit.drizzle_rows(mysql_url)) == len(kit.TAGS) - 1
    kit.node_migrate(mysql_url, p.folder)
    assert [r[1:] for r in kit.drizzle_rows(mysql_url)] == _files(p.folder)
    assert p.status() == dict.fromkeys(kit.VERSIONS, "applied")
    _no_drift(mysql_url, p.folder)


def test_a_custom_migrations_table(mysql_source: Path, tmp_path: Path, mysql_url: str) -> None:
    """``[drizzle] migrations_table`` is drizzle's ``migrationsTable``, in the URL's database."""
    toml = TOML + 'format = "drizzle"\n\n[drizzle]\nmigrations_table = "applied_migrations"\n'
    p = _project(mysql_source, tmp_path / "app", mysql_url, toml)
    p.run("migrate")
    rows = kit.drizzle_rows(mysql_url, "applied_migrations")
    assert [r[1:] for r in rows] == _files(p.folder)
    assert kit.drizzle_rows(mysql_url) == [], "nothing in drizzle's default table"
    kit.node_migrate(mysql_url, p.folder, "applied_migrations")
    assert kit.drizzle_rows(mysql_url, "applied_migrations") == rows
    assert "no drift" in p.run("verify").stdout


def test_rehearse_and_deploy_run_the_folder(mysql_source: Path, tmp_path: Path, mysql_url: str) -> None:
    """The runbook on a drizzle MySQL folder: a scratch rehearsal (down files included) passes, then a deploy
    (backup, migrate, verify) releases it, and drizzle's migrator agrees with what was released."""
    p = _project(mysql_source, tmp_path / "app", mysql_url)
    p.run("migrate", "--to", kit.VERSIONS[1])
    rehearsed = p.run("rehearse", "--scratch").stdout
    assert "pass    reversibility" in rehearsed and "rehearsal passed" in rehearsed, rehearsed
    released = p.run("deploy", "--yes", "--allow-hazards").stdout
    assert f"is at {kit.VERSIONS[-1]}" in released, released
    assert [r[1:] for r in kit.drizzle_rows(mysql_url)] == _files(p.folder)
    kit.node_migrate(mysql_url, p.folder)
    assert len(kit.drizzle_rows(mysql_url)) == len(kit.TAGS)
    assert scalar(mysql_url, "SELECT count(*) FROM users") == 1


def test_a_hazard_is_held_back_until_accepted_beside_the_files(mysql_source: Path, tmp_path: Path,
                                                               mysql_url: str) -> None:
    """The MySQL rules read the folder's SQL: dropping a column of a table with rows stops migrate until it is
    accepted in safeshift.accept.toml (drizzle hashes the .sql files, so no comment can go in them)."""
    p = _project(mysql_source, tmp_path / "app", mysql_url)
    p.run("migrate", "--to", kit.VERSIONS[2])
    conn = connect(mysql_url)
    try:
        conn.execute("INSERT INTO posts (author_id, title, slug) VALUES (1, 't', 's')")
        conn.execute("COMMIT")
    finally:
        conn.close()
    held = p.run("migrate", expect=1).stderr
    assert f"{kit.TAGS[3]}.sql:3 has an unacknowledged hazard [drop-column]" in held, held
    where = f"drizzle/{kit.TAGS[3]}.sql:3"
    said = invoke(p.root, "review", "--accept", "drop-column", where, "--reason", "title moved to slug").stdout
    assert f"accepted [drop-column] at {where}" in said, said
    assert "1 applied" in p.run("migrate").stdout
    assert [r[1:] for r in kit.drizzle_rows(mysql_url)] == _files(p.folder)

"""The migrations folder can never make CI pass while a change is never shipped (issue 13).

* A snapshot whose migration file is gone (a deleted pending migration) is an error naming it in
  every command that reads snapshots or seals the folder, until `safeshift drop` removes it.
* `safeshift drop VERSION` removes the newest unapplied migration (file, snapshot, sum lines) and
  refuses one that a known environment's database has applied.
* A file the database has applied is judged by the history (exit 3, put it back) before the sum
  file (exit 2, rehash), which is right only for pending files.

Real CLI, real databases (PostgreSQL and SQLite); generate reads SQLAlchemy models.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from safeshift.formats import safeshift as migrations
from safeshift.model import make_schema
from tests.runner._project import (
    MIGRATIONS,
    VERSIONS,
    Outcome,
    Project,
    dialect_name,
    error_line,
    history_rows,
    make_project,
    run,
    schema_of,
)

V1, V2, V3, V4 = VERSIONS

MODELS = """
    import sqlalchemy as sa
    metadata = sa.MetaData()
    users = sa.Table(
        "users", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),{extra}
    )
"""


def _models(root: Path, extra: str = "") -> None:
    (root / "models.py").write_text(textwrap.dedent(MODELS.format(extra=extra)), encoding="utf-8")
    for cached in (root / "__pycache__").glob("*.pyc"):
        cached.unlink()


def _schema_project(tmp_path: Path, dialect: str) -> Path:
    root = tmp_path / "app"
    (root / "migrations" / "meta").mkdir(parents=True)
    (root / "safeshift.toml").write_text(f'schema = "models:metadata"\nmigrations = "migrations"\n'
                                         f'dialect = "{dialect}"\n', encoding="utf-8")
    _models(root)
    return root


def _only(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def _orphan_message(version: str) -> str:
    return (f"migrations/meta/{version}_snapshot.json has no migration file {version}_*.sql beside it, so generate "
            "would diff against a change that is never shipped; put the migration back, or run "
            f"`safeshift drop {version}` to remove the snapshot too.")


# -- orphaned snapshots ------------------------------------------------------------------------

@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_a_deleted_pending_migration_cannot_pass_ci(tmp_path: Path, dialect: str) -> None:
    root = _schema_project(tmp_path, dialect)
    folder = root / "migrations"
    run(root, "generate", "--name", "initial")
    _models(root, '\n        sa.Column("age", sa.Integer),')
    run(root, "generate", "--name", "add_age")
    added = _only(folder, "*_add_age.sql")
    version = added.name[:14]
    added.unlink()  # the pending migration is deleted; its snapshot stays in meta/

    # the sum check names the orphan (it advised rehash), and rehash refuses to seal it (it sealed it before)
    assert error_line(run(root, "generate", "--check", expect=2)) == _orphan_message(version)
    assert error_line(run(root, "rehash", expect=2)) == _orphan_message(version)
    # a folder an older safeshift sealed with the orphan: every reader of snapshots refuses it
    sum_path = folder / migrations.SUM_FILE
    kept = [line for line in sum_path.read_text().splitlines()
            if not line.startswith(("chain ", added.name))]
    sum_path.write_text("".join(f"{line}\n" for line in kept) + f"chain {migrations._chain(kept)}\n")
    assert error_line(run(root, "generate", "--check", expect=2)) == _orphan_message(version)
    assert error_line(run(root, "generate", "--name", "again", expect=2)) == _orphan_message(version)

    dropped = run(root, "drop", version)
    assert dropped.stdout.splitlines() == [
        f"removed migrations/meta/{version}_snapshot.json",
        f"re-sealed migrations/safeshift.sum without its 1 line(s) of {version}",
    ]
    assert migrations.verify_sum(folder) == []
    assert "add column: " in run(root, "generate", "--check", expect=1).stderr  # the change is not shipped
    run(root, "generate", "--name", "add_age")
    run(root, "generate", "--check")
    assert not (root / ".safeshift").exists(), "drop checked no database it would have had to start"


def test_orphans_are_refused_where_the_folder_is_read_or_sealed(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    (folder / "meta").mkdir(parents=True)
    for version, name, up, down in MIGRATIONS[:2]:
        (folder / f"{version}_{name}.sql").write_text(f"-- migrate:up\n{up}\n-- migrate:down\n{down}\n")
        migrations.write_snapshot(migrations.snapshot_path(folder, version), make_schema("sqlite"))
    migrations.write_sum(folder)
    assert migrations.latest_snapshot(folder) is not None
    next(folder.glob(f"{V2}_*.sql")).unlink()
    for call in (lambda: migrations.latest_snapshot(folder), lambda: migrations.write_sum(folder),
                 lambda: migrations.check_sealed(folder, "safeshift migrate")):
        with pytest.raises(migrations.OrphanedSnapshot) as info:
            call()
        assert str(info.value) == _orphan_message(V2)
    from safeshift.verify import expected_schema

    with pytest.raises(migrations.OrphanedSnapshot):
        expected_schema(folder, [V1])
    # drizzle-kit's own snapshots (meta/0000_snapshot.json) are not safeshift's: no orphan there
    assert migrations.snapshot_files(tmp_path / "nothing") == []


def test_verify_refuses_an_orphaned_snapshot(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    for version, name, up, down in MIGRATIONS[:2]:
        p.add(version, name, up, down)
        p.run("migrate")
        migrations.write_snapshot(migrations.snapshot_path(p.folder, version), schema_of(db_url))
    p.add(*MIGRATIONS[2], seal=False)
    migrations.write_snapshot(migrations.snapshot_path(p.folder, V3), make_schema(dialect_name(db_url)))
    p.seal()
    p.run("verify", "--at-applied")  # V3 is pending: only drift from what is applied
    p.file(V3).unlink()  # pending, deleted; its snapshot stays
    assert error_line(p.run("verify", expect=2)) == _orphan_message(V3)
    assert "applied" in p.run("status").stdout  # the diagnostic command still reads the folder
    p.run("drop", V3, url=False)
    p.run("verify")


# -- safeshift drop ----------------------------------------------------------------------------------

def _unreachable(url: str, tmp_path: Path) -> str:
    if dialect_name(url) == "postgresql":
        return "postgresql://postgres@127.0.0.1:1/nothing_here"
    (tmp_path / "a_folder").mkdir()  # not a file SQLite can open (a missing file is an empty database)
    return f"sqlite:///{tmp_path / 'a_folder'}"


def test_drop_checks_every_environment(tmp_path: Path, db_url: str) -> None:
    envs = (f'[environments.staging]\nurl = "{db_url}"\n\n[environments.production]\nurl = "${{PROD_URL}}"\n'
            f'confirm = true\n\n[environments.qa]\nurl = "{_unreachable(db_url, tmp_path)}"\n')
    p = make_project(tmp_path, db_url, envs)
    p.add_all(MIGRATIONS[:3])
    for version in (V1, V2, V3):
        migrations.write_snapshot(migrations.snapshot_path(p.folder, version), make_schema("sqlite"))
    p.seal()
    p.run("migrate", "--env", "staging", "--to", V2, url=False)

    assert error_line(p.run("drop", "20990101000000", url=False, expect=2)) == (
        "There is no migration 20990101000000 in migrations/ (no file, no snapshot, no line in safeshift.sum); "
        "check the version with `safeshift status`.")
    assert error_line(p.run("drop", "123", url=False, expect=2)) == (
        "Migration version '123' is invalid; use a 14-digit UTC timestamp yyyymmddHHMMSS.")
    assert error_line(p.run("drop", V2, url=False, expect=2)) == (
        f"Cannot drop {V2}: it is not the newest migration, and later ones were generated on top of it ({V3}); "
        f"drop those first, newest first (`safeshift drop {V3}`).")

    dropped = p.run("drop", V3, url=False)
    notes = dropped.stderr.splitlines()
    assert notes[0] == ("note: could not check production: The url of environment 'production' uses ${PROD_URL}, "
                        "which is not set; export it or add it to .env.")
    assert notes[1].startswith("note: could not check qa: Cannot ") and len(notes) == 2
    assert dropped.stdout.splitlines() == [
        f"checked staging: none has applied {V3}",
        f"removed migrations/{V3}_add_users_name.sql",
        f"removed migrations/meta/{V3}_snapshot.json",
        f"re-sealed migrations/safeshift.sum without its 2 line(s) of {V3}",
    ]
    assert migrations.verify_sum(p.folder) == []

    sealed = (p.folder / migrations.SUM_FILE).read_text()
    refused = p.run("drop", V2, url=False, expect=3)
    assert error_line(Outcome(3, "", "\n".join(line for line in refused.stderr.splitlines()
                                               if not line.startswith("note: ")))) == (
        f"Cannot drop {V2}: the database of environment staging ({db_url}) has applied it; roll it back there "
        "first (`safeshift rollback --env staging`), or keep it and write a new migration instead.")
    assert p.file(V2).exists() and migrations.snapshot_path(p.folder, V2).exists()
    assert (p.folder / migrations.SUM_FILE).read_text() == sealed

    p.run("rollback", "--env", "staging", url=False)
    p.run("drop", V2, url=False)
    assert [m.version for m in migrations.read_folder(p.folder)] == [V1]
    assert migrations.verify_sum(p.folder) == []
    assert history_rows(db_url) == {V1: "applied"}


def test_drop_keeps_other_unsealed_edits_detected(tmp_path: Path) -> None:
    p = make_project(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")
    p.add_all(MIGRATIONS[:2])
    edited = p.file(V1)
    edited.write_text(edited.read_text() + "-- edited, not re-sealed\n")
    p.run("drop", V2, url=False)
    assert migrations.verify_sum(p.folder) == [migrations.SumProblem("edited", edited.name)]


def test_drop_checks_the_development_database_only_if_it_exists(tmp_path: Path) -> None:
    p = make_project(tmp_path / "lite", "sqlite:///unused.db")
    p.add_all(MIGRATIONS[:2])
    p.run("migrate", url=False)  # the development database: .safeshift/development.sqlite3
    dev = (p.root / ".safeshift" / "development.sqlite3").resolve()
    assert dev.is_file()
    assert error_line(p.run("drop", V2, url=False, expect=3)) == (
        f"Cannot drop {V2}: the database of environment development (sqlite:///{dev}) has applied it; roll it back "
        "there first (`safeshift rollback --env development`), or keep it and write a new migration instead.")

    pg = make_project(tmp_path / "pg", "postgresql://postgres@127.0.0.1:5432/postgres")
    pg.add_all(MIGRATIONS[:2])
    assert pg.run("drop", V2, url=False).stdout.splitlines()[0] == f"removed migrations/{V2}_create_posts.sql"
    assert not (pg.root / ".safeshift").exists(), "the embedded server was not started to check development"


def test_drop_refuses_a_drizzle_folder(tmp_path: Path) -> None:
    p = make_project(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")
    (p.folder / "meta").mkdir()
    (p.folder / "meta" / "_journal.json").write_text('{"version": "7", "dialect": "postgresql", "entries": []}')
    assert error_line(p.run("drop", V1, url=False, expect=2)) == (
        "migrations/ is a drizzle-kit folder, which drizzle-kit owns: remove its last migration with "
        "`npx drizzle-kit drop` instead of `safeshift drop`.")


# -- the history before the sum file ------------------------------------------------------------------

def _applied_project(tmp_path: Path, url: str) -> Project:
    p = make_project(tmp_path, url)
    p.add_all(MIGRATIONS[:2])
    p.run("migrate")
    return p


def _edited_message(p: Project, version: str, recorded: str) -> str:
    import hashlib

    path = p.file(version)
    now = hashlib.sha256(path.read_bytes()).hexdigest()
    return (f"{path.name} was edited after it was applied (recorded checksum {recorded[:12]}, file {now[:12]}); "
            f"put the file back as it was (`git checkout -- migrations/{path.name}`) and write a new migration for "
            "the change.")


def test_an_edited_applied_file_is_judged_by_the_history_first(tmp_path: Path, db_url: str) -> None:
    import hashlib

    p = _applied_project(tmp_path, db_url)
    path = p.file(V1)
    recorded = hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_text(path.read_text().replace("varchar(200)", "varchar(300)"))  # unsealed: the sum check fails too
    message = _edited_message(p, V1, recorded)
    for args in (["migrate"], ["migrate", "--dry-run"], ["rollback"], ["rehearse", "--scratch"],
                 ["deploy", "--yes"]):
        assert error_line(p.run(*args, expect=3)) == message, args
    assert "edited since applied" in p.run("status").stdout  # the diagnostic command shows it, exit 0
    assert history_rows(db_url) == {V1: "applied", V2: "applied"}

    path.unlink()  # deleted instead: missing, still exit 3
    for args in (["migrate"], ["rollback"]):
        assert error_line(p.run(*args, expect=3)) == (
            f"The database has applied {V1}_create_users, but migrations/ has no such file; put the file back (e.g. "
            "`git checkout` it), or deploy from a checkout that contains it."), args
    assert "applied, file missing" in p.run("status").stdout


def test_an_edited_pending_file_still_asks_for_rehash(tmp_path: Path, db_url: str) -> None:
    p = _applied_project(tmp_path, db_url)
    pending = p.add(*MIGRATIONS[2])
    pending.write_text(pending.read_text() + "-- reviewed hand edit\n")
    assert error_line(p.run("migrate", expect=2)) == (
        f"migrations/{pending.name} was edited after it was sealed; review the change and run `safeshift rehash` "
        "before `safeshift migrate`.")
    p.run("rehash", url=False)
    assert "1 applied" in p.run("migrate").stdout

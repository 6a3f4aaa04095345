"""`safeshift baseline`: adopt a database another tool built (Alembic, Django, Prisma, drizzle-kit, hand-written SQL).

The live database becomes safeshift's first migration without anything being run on it: its schema
is introspected (``Engine.introspect``, so other tools' bookkeeping tables and the project's
``ignore`` list stay out and stay untouched), the migration from nothing to that schema is rendered
by the same machinery ``generate`` uses, written with its snapshot and sum, and recorded as applied
in the database's history in one transaction.  From then on ``generate`` diffs the models against a
snapshot that *is* the database, and ``migrate`` brings a fresh database (CI, a new developer) to it.

Nothing is written unless three things hold, each checked before the first file appears:

* the folder holds no migration and the database no safeshift history (a baseline is the first
  migration of both, never one in the middle);
* the project's schema source, when it has one, says what the database holds (else its differences
  are shown and ``from_database`` is needed: the next ``generate`` then holds them);
* the rendered baseline, applied to a throwaway database beside the live one, introspects equal to
  the live database: a baseline that would rebuild something else is worse than none.

The other environments that already hold the schema (staging, built by the same old tool) adopt the
same baseline: with the baseline as the folder's first migration, ``baseline`` writes nothing and only
records it there, once that database is found to hold exactly the baseline's snapshot.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safeshift import history
from safeshift.engines.base import IntrospectOptions, engine_for
from safeshift.errors import ConfigError, ConfirmationRequired, MigrationFailed, MigrationsError, RunnerBusy
from safeshift.formats import safeshift as migrations
from safeshift.generate import diff_database, empty_schema, not_for_drizzle, privileges_baseline
from safeshift.project import dialect_for, state_dir
from safeshift.text import duration_ms, first_line, redact_url, utc_now
from safeshift.version import __version__

if TYPE_CHECKING:
    from safeshift.changes import Change
    from safeshift.config import Config
    from safeshift.dialects import Dialect
    from safeshift.dialects.base import Statement
    from safeshift.model import Schema
    from safeshift.plan import Sections
    from safeshift.sections import Migration

__all__ = ["NAME", "BaselineResult", "SourceDiffers", "baseline", "initial_sections", "rebuild_differences",
           "statement_lines"]

#: the baseline's migration name: ``<version>_baseline.sql``
NAME = "baseline"

#: how many differences a refusal names before "and N more"
_SHOWN = 8

#: the typed confirmation of a protected environment: (database, the baseline) -> go ahead?
Confirm = Callable[[str, Sequence["Migration"]], bool]


class SourceDiffers(ConfigError):
    """The schema source and the live database differ: the baseline is refused until they agree (or
    ``from_database`` is given).  ``statements``: what ``safeshift diff --url`` would print for them."""

    def __init__(self, message: str, statements: tuple[str, ...]) -> None:
        super().__init__(message)
        self.statements = statements


@dataclass(frozen=True)
class BaselineResult:
    """What ``baseline`` wrote and recorded."""

    version: str
    path: Path
    snapshot: Path
    #: the database it was recorded on, redacted
    database: str
    #: objects the baseline creates (the changes from an empty database)
    objects: int
    #: with ``from_database``: "<kind>: <target>" of each difference from the schema source, which the next
    #: ``generate`` will hold
    source_differences: tuple[str, ...] = ()
    #: what introspection left out (bookkeeping tables, the ``ignore`` list), as verify says it; None: nothing
    ignored: str | None = None
    #: False: the folder's baseline already existed and was only recorded on this database
    written: bool = True


def initial_sections(dialect: Dialect, live: Schema) -> tuple[list[Change], Sections]:
    """The changes and plain (not lock-safe: they run on an empty database) statements that build ``live``
    from nothing, as ``generate`` would write them for a first migration."""
    from safeshift.diff import diff
    from safeshift.plan import render

    current = privileges_baseline(empty_schema(dialect), live, dialect.default_schema)
    changes = diff(current, live, None, None, dialect.default_schema, dialect.view_dependencies)
    return changes, render(changes, current, live, dialect, safe=False)


def statement_lines(statements: Sequence[Statement]) -> tuple[str, ...]:
    """Statements as ``safeshift diff --url`` prints them: comment lines, then the SQL."""
    out: list[str] = []
    for st in statements:
        if st.comment:
            out += [f"-- {line}" for line in st.comment.splitlines()]
        out.append(st.sql)
    return tuple(out)


def rebuild_differences(rebuilt: Schema, live: Schema, dialect: Dialect, ignore: Sequence[str] = ()) -> list[str]:
    """How ``rebuilt`` (what some SQL made of an empty database) differs from ``live``, one line per object
    as ``safeshift verify`` words it ("missing table ...": the rebuild lacks it); empty when equal."""
    from safeshift.verify import drift_between

    return [d.render() for d in drift_between(rebuilt, live, dialect.default_schema, ignore=ignore).differences]


def _shown(lines: Sequence[str]) -> str:
    more = f"; and {len(lines) - _SHOWN} more" if len(lines) > _SHOWN else ""
    return "; ".join(lines[:_SHOWN]) + more


def baseline(config: Config, url: str, *, from_database: bool = False, confirm: Confirm | None = None,
             now: datetime | None = None) -> BaselineResult:
    """Write the live database at ``url`` as the project's first migration and snapshot, and record that
    migration as applied there without running it.

    Refuses (nothing written, nothing recorded) a folder that holds migrations, a database with safeshift
    history, a database holding nothing to baseline, a schema source that differs from the database
    (``SourceDiffers``, unless ``from_database``), and a baseline that would not rebuild the database
    exactly.  ``confirm``: asked once before anything is written (a protected environment's typed
    confirmation); False refuses.

    One exception to the first refusal: when the folder's first migration is a baseline (written on another
    environment's database), nothing is written and that baseline is recorded here, if this database holds
    exactly its snapshot; ``migrate`` then applies the migrations after it as usual.
    """
    not_for_drizzle(config, "safeshift baseline")
    folder = config.migrations_dir
    existing = _existing_baseline(folder)
    dialect = dialect_for(url, config.declared_dialect)
    from safeshift import guard

    guard.check_target(config, url, dialect)
    engine = engine_for(dialect)
    env = config.environment()
    lock_timeout = duration_ms(env.lock_timeout)
    conn = engine.connect(url, create=False)  # a SQLite file that is not there is not made: it holds nothing
    try:
        engine.prepare_session(conn, lock_timeout_ms=lock_timeout, statement_timeout_ms=None,
                               lock_wait_ms=duration_ms(env.lock_wait))
        # held from the history check to the history row: a migrate meanwhile would record under our feet
        holder = engine.acquire_runner_lock(conn, duration_ms(env.lock_wait), lock_timeout)
        if holder is not None:
            raise RunnerBusy(f"Another migration runner holds the lock on {redact_url(url)} ({holder}); wait for "
                             "it to finish, then run `safeshift baseline` again.")
        try:
            if existing is not None:
                return _record_existing(config, dialect, url, conn, existing, confirm)
            return _locked(config, dialect, url, conn, from_database=from_database, confirm=confirm, now=now)
        finally:
            with suppress(Exception):
                engine.release_runner_lock(conn)
    finally:
        with suppress(Exception):
            conn.close()


def _existing_baseline(folder: Path) -> Migration | None:
    """The folder's baseline to record on another database (its first migration, named so), None for an empty
    folder; any other folder is refused (a baseline is only ever the first migration)."""
    versions = migrations.migration_versions(folder)
    if not versions:
        stray = migrations.snapshot_files(folder)
        if stray:
            raise MigrationsError(
                f"{folder.name}/{migrations.META_DIR}/{stray[0][1].name} is a snapshot without a migration; remove "
                "it before `safeshift baseline` writes the first migration.")
        return None
    migrations.check_sealed(folder, "safeshift baseline")
    first = migrations.read_folder(folder).migrations[0]
    if first.name != NAME:
        raise MigrationsError(
            f"{folder.name}/ already holds {len(versions)} migration(s) (the first {first.path.name}); a baseline "
            "can only be the first migration: run it on a project with an empty migrations folder, or use "
            "`safeshift generate` to add to this one.")
    return first


def _refuse_history(dialect: Dialect, conn: Any, store: history.SafeshiftStore, where: str) -> None:
    recorded = store.read(dialect, conn)
    if recorded:
        raise ConfigError(
            f"{where} already has safeshift history ({len(recorded)} migration(s) recorded, the newest "
            f"{max(recorded)}); a baseline is only for a database safeshift has never migrated: use "
            "`safeshift status` and `safeshift migrate` instead.")


def _record_existing(config: Config, dialect: Dialect, url: str, conn: Any, migration: Migration,
                     confirm: Confirm | None) -> BaselineResult:
    """Record the folder's baseline on another database that holds its schema (staging, once production was
    baselined): compared with the baseline's snapshot as ``verify`` compares, nothing written."""
    store = history.DEFAULT_STORE
    where = redact_url(url)
    _refuse_history(dialect, conn, store, where)
    folder = config.migrations_dir
    snapshot = migrations.snapshot_path(folder, migration.version)
    expected = migrations.read_snapshot(snapshot)
    options = config.introspect_options
    kept = engine_for(dialect).introspect_kept(conn, options=options)
    lines = rebuild_differences(kept.schema, expected, dialect, options.ignore)
    if lines:
        raise MigrationsError(
            f"{where} does not hold the schema of {folder.name}/{migration.path.name} ({_shown(lines)}), so it "
            "cannot be recorded as applied there; make the database match it, or build an empty database with "
            "`safeshift migrate` instead.")
    if confirm is not None and not confirm(dialect.database_name(url), [migration]):
        raise ConfirmationRequired(f"Nothing was recorded for {where}: the operator did not confirm.")
    _record(dialect, url, conn, store, migration)
    objects = len(initial_sections(dialect, expected)[0])
    return BaselineResult(migration.version, migration.path, snapshot, where, objects, (), kept.describe(),
                          written=False)


def _locked(config: Config, dialect: Dialect, url: str, conn: Any, *, from_database: bool,
            confirm: Confirm | None, now: datetime | None) -> BaselineResult:
    from safeshift.sections import parse_migration

    engine = engine_for(dialect)
    store = history.DEFAULT_STORE
    where = redact_url(url)
    _refuse_history(dialect, conn, store, where)
    options = config.introspect_options
    kept = engine.introspect_kept(conn, options=options)
    live = kept.schema
    changes, sections = initial_sections(dialect, live)
    if not changes:
        raise ConfigError(f"{where} holds no tables or other objects to baseline; write the schema and run "
                          "`safeshift generate --name initial` instead.")
    differences = _source_differences(config, url, from_database, where)
    version = migrations.new_version(now or utc_now(), [])
    header = [
        f"{version}_{NAME}: the schema of database {dialect.database_name(url)} as safeshift {__version__} found it "
        f"({dialect.name})",
        "Recorded as applied there by `safeshift baseline` without running; `safeshift migrate` runs it on",
        "a new, empty database.",
    ]
    text = migrations.render_file(version, NAME, sections.up, sections.down, header)
    _check_rebuild(config, dialect, url, version, text, live, options)
    folder = config.migrations_dir
    path = folder / f"{version}_{NAME}.sql"
    migration = parse_migration(path, text.encode("utf-8"))
    if confirm is not None and not confirm(dialect.database_name(url), [migration]):
        raise ConfirmationRequired(f"Nothing was written or recorded for {where}: the operator did not confirm.")
    snapshot = migrations.snapshot_path(folder, version)
    undo = _write_files(folder, path, text, snapshot, live)
    try:
        _record(dialect, url, conn, store, migration)
    except BaseException:
        undo()
        raise
    return BaselineResult(version, path, snapshot, where, len(changes), differences, kept.describe())


def _source_differences(config: Config, url: str, from_database: bool, where: str) -> tuple[str, ...]:
    """The schema source's differences from the database ("<kind>: <target>"), found as ``safeshift diff --url``
    finds them (so the two never disagree); refused unless ``from_database``."""
    if not config.schema:
        return ()
    from safeshift.renames import AssumeNew

    changes, sections = diff_database(config, url, questioner=AssumeNew())
    if not changes:
        return ()
    if not from_database:
        raise SourceDiffers(
            f"The schema source ({config.schema}) and {where} differ ({len(changes)} change(s), the SQL above would "
            "bring the database to the source); make the source match the database, or pass --from-database to "
            "write the baseline from the database anyway (the next `safeshift generate` then holds these changes).",
            statement_lines(sections.up))
    return tuple(f"{c.kind.replace('_', ' ')}: {c.target}" for c in changes)


def _check_rebuild(config: Config, dialect: Dialect, url: str, version: str, text: str, live: Schema,
                   options: IntrospectOptions) -> None:
    """Run the baseline file as ``migrate`` would on an empty database beside ``url`` and compare what it
    built with ``live``: "refuse when the live database and the baseline would differ"."""
    from safeshift.runner import Runner

    engine = engine_for(dialect)
    where = redact_url(url)
    with tempfile.TemporaryDirectory(prefix="safeshift-baseline-") as tmp:
        folder = Path(tmp) / "migrations"
        folder.mkdir()
        (folder / f"{version}_{NAME}.sql").write_text(text, encoding="utf-8", newline="\n")
        with engine.scratch_database(url, state_dir(config)) as scratch:
            try:
                with Runner(dialect, scratch, migrations.read_folder(folder)) as runner:
                    runner.migrate()
            except MigrationFailed as exc:
                raise MigrationsError(
                    f"The baseline of {where} does not run on an empty database ({first_line(exc)}); nothing was "
                    "written: if it refers to an object the `ignore` list leaves out, stop ignoring that object, "
                    "else report this as a safeshift bug.") from exc
            conn = engine.connect(scratch, create=False)
            try:
                rebuilt = engine.introspect(conn, options=options)
            finally:
                conn.close()
    lines = rebuild_differences(rebuilt, live, dialect, options.ignore)
    if lines:
        raise MigrationsError(
            f"The baseline would differ from {where} ({_shown(lines)}); nothing was written: safeshift cannot yet "
            "rebuild those objects exactly, so leave them out with `ignore` in safeshift.toml or report this as a "
            "safeshift bug.")


def _write_files(folder: Path, path: Path, text: str, snapshot: Path, live: Schema) -> Callable[[], None]:
    """Write the migration, its snapshot and the sum; returns what takes them back out (the recording failed)."""
    sum_path = folder / migrations.SUM_FILE
    made_folder = not folder.exists()
    old_sum = sum_path.read_bytes() if sum_path.is_file() else None

    def undo() -> None:
        for p in (path, snapshot):
            p.unlink(missing_ok=True)
        if old_sum is None:
            sum_path.unlink(missing_ok=True)
        else:
            sum_path.write_bytes(old_sum)
        if made_folder:
            with suppress(OSError):
                (folder / migrations.META_DIR).rmdir()
                folder.rmdir()

    try:
        (folder / migrations.META_DIR).mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        migrations.write_snapshot(snapshot, live)
        migrations.write_sum(folder)
    except BaseException:
        undo()
        raise
    return undo


def _record(dialect: Dialect, url: str, conn: Any, store: history.SafeshiftStore, migration: Migration) -> None:
    """The history row migrate writes when the baseline's last step commits, with the history table, in one
    transaction: after it the database has applied the baseline, before it nothing changed."""
    from safeshift.schedule import steps

    conn.execute(dialect.begin_sql)
    try:
        # again inside the transaction: a database without session locks (SQLite) serialises runners only here
        _refuse_history(dialect, conn, store, redact_url(url))
        store.ensure(dialect, conn)
        store.write(dialect, conn, version=migration.version, name=migration.name,
                    checksum=migrations.checksum(migration), status="applied", duration_ms=0,
                    progress=len(steps(migration.up_statements)), replace=False)
        conn.execute("COMMIT")
    except BaseException:
        with suppress(Exception):
            conn.execute("ROLLBACK")
        raise

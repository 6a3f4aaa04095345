"""`safeshift generate` and its check: the schema source diffed against the migrations' last snapshot.

``generate`` writes the next migration (up and down sections, its snapshot, the re-sealed sum);
``check`` is the same diff for CI (``generate --check``) and for deploy's preflight;
``diff_database`` diffs a live database instead of the snapshot.  They need only the project's
configuration and the folder, never a runner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from safeshift.config import Config
from safeshift.dialects import Dialect
from safeshift.engines.base import IntrospectOptions, engine_for
from safeshift.errors import ConfigError, DiffCheckFailed, MigrationsError
from safeshift.project import (
    active_database,
    applied_count,
    dialect_for,
    dialect_of,
    history_of,
    no_folder_error,
    shadow_database,
)
from safeshift.text import redact_url, utc_now
from safeshift.version import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from safeshift.changes import Change
    from safeshift.formats.safeshift import MigrationFolder
    from safeshift.lint import Finding
    from safeshift.model import Schema
    from safeshift.plan import Sections
    from safeshift.renames import Questioner
    from safeshift.validate import Apart, Locator


_NAME_OK = "lowercase letters, digits and underscores, starting with a letter or digit"


@dataclass(frozen=True)
class GenerateResult:
    version: str | None
    path: Path | None
    changes: tuple[Change, ...]
    created: int = 0
    altered: int = 0
    dropped: int = 0
    warnings: tuple[str, ...] = field(default_factory=tuple)
    #: what the operator must do next (an expand step left a column nullable)
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: the hazards of the migration written (``lint.review_generated``), told before anyone applies it
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.changes and self.path is None


def load_source_schema(config: Config) -> Schema:
    """The desired schema named by ``schema`` in the config, in canonical form, without what the
    comparison leaves out (``safeshift.ignore``: an ignored table declared in the models is not created)."""
    from safeshift.ignore import leave_out
    from safeshift.validate import refuse_invalid

    dialect = dialect_of(config)
    source, locate, apart = _source_schema(config)
    schema = leave_out(source, config.ignore, dialect.default_schema).schema
    refuse_invalid(schema, dialect, locate, apart)  # before anything is written for a schema the database cannot build
    return schema


def _source_schema(config: Config) -> tuple[Schema, Locator, Apart | None]:
    """The source's schema, where its objects are declared and which indexes it declares apart for other
    databases (for the refusals of ``safeshift.validate``)."""
    from safeshift.sources import sqlfiles

    if not config.schema:
        raise ConfigError("safeshift.toml has no `schema`; set it to \"package.module:attr\" or a glob of .sql files.")
    dialect = dialect_of(config)
    if sqlfiles.is_sql_glob(config.schema):
        if config.objects:
            raise ConfigError("`objects` (alembic_utils entities) goes with SQLAlchemy models, and `schema` names "
                              ".sql files; write those objects in the SQL files instead.")
        files = sqlfiles.sql_files(config.schema, config.root)
        schema = sqlfiles.schema_from_sql_files(files, dialect, lambda: shadow_database(config),
                                                config.introspect_options)
        if config.privileges and schema.grants is None:  # the database kind has no privileges to read
            raise ConfigError(f"`privileges = true` in {config.config_name} compares GRANTs, which {dialect.name} "
                              "does not have; remove the key.")
        return schema, sqlfiles.sql_locator(files), None
    if config.privileges:
        raise ConfigError(f"`privileges = true` in {config.config_name} compares GRANTs, which SQLAlchemy models "
                          "cannot declare; set `schema` to .sql files that hold them, or remove the key.")
    from safeshift.sources.listeners import load_entities
    from safeshift.sources.sqlalchemy import (  # SQLAlchemy: only when needed
        load_metadata,
        options_elsewhere,
        schema_from_metadata,
        source_locator,
    )
    from safeshift.validate import refuse_invalid

    metadata = load_metadata(config.schema, config.root)
    entities = load_entities(config.objects, config.root) if config.objects else ()
    locate = source_locator(metadata, dialect.default_schema)
    # the shadow opens only if the models declare DDL listeners or entities; the rules every database shares
    # see the models' tables first, and the dialect's too if the shadow refuses them, so the server's bare
    # error is not how a problem these rules can name is told
    apart = options_elsewhere(metadata, dialect)

    def check(declared: Schema, complete: bool) -> None:
        refuse_invalid(declared, dialect if complete else None, locate, apart)

    schema = schema_from_metadata(metadata, dialect, shadow=lambda: shadow_database(config), entities=entities,
                                  check=check)
    return schema, locate, apart


def empty_schema(dialect: Dialect) -> Schema:
    from safeshift.model import make_schema

    return make_schema(dialect.name)


def migrated_schema(config: Config) -> Schema:
    """The schema the migrations folder produces: the newest snapshot, or empty; without what the comparison
    leaves out (a snapshot written before an object was ignored still holds it: no DROP for it)."""
    from safeshift.formats import safeshift as migrations
    from safeshift.ignore import leave_out

    latest = migrations.latest_snapshot(config.migrations_dir)
    if latest is None:
        return empty_schema(dialect_of(config))
    return leave_out(latest, config.ignore, dialect_of(config).default_schema).schema


def privileges_baseline(current: Schema, target: Schema, default_schema: str) -> Schema:
    """``current`` with privileges to compare when the source has them and ``current`` does not.

    A snapshot written before the project opted in (``privileges = true``), or the empty schema, says
    nothing of privileges.  The objects it already has are taken to hold what the source declares on
    them: a migration must not REVOKE in its down section what the database held before (the public
    schema's USAGE for PUBLIC, grants made by hand), and verify compares the next snapshot with the
    database anyway.  Objects the migration creates get their privileges as usual.
    """
    if current.grants is not None or target.grants is None:
        return current
    from dataclasses import replace

    from safeshift.diff import grant_objects

    existing = grant_objects(current, default_schema)
    return replace(current, grants=tuple(g for g in target.grants if g.object_key in existing))


def _validate_name(name: str) -> None:
    import re

    if not re.fullmatch(r"[a-z0-9][a-z0-9_]{0,99}", name):
        raise MigrationsError(f"Migration name {name!r} is invalid; use {_NAME_OK} (at most 100 characters).")


def _changes_to(config: Config, target: Schema, *, renames: Iterable[str], no_renames: Iterable[str],
                questioner: Questioner | None) -> tuple[Schema, list[Change]]:
    from safeshift.diff import diff
    from safeshift.renames import parse_hints

    dialect = dialect_of(config)
    current = privileges_baseline(migrated_schema(config), target, dialect.default_schema)
    hints = parse_hints(renames, no_renames, dialect.default_schema,
                        lambda s, n: current.table(s, n) is not None)
    return current, diff(current, target, hints, questioner, dialect.default_schema, dialect.view_dependencies,
                         dialect.same_column)


def _refuse_folder_elsewhere(config: Config) -> None:
    """No migrations folder: if the active environment's database has applied migrations, the folder is
    elsewhere, and a new initial migration recreating everything would fail there (or worse, be applied
    to a new database beside the real one); refuse naming how many it applied.  Only the active
    environment's database is asked, and only if it is configured or exists: nothing is started, and one
    that cannot be reached does not stop a first `generate`."""
    from safeshift.errors import ConnectionFailed

    try:
        url = active_database(config)
        if url is None:
            return
        applied = applied_count(config.migrations_dir, config.folder_settings, history_of(url, config.declared_dialect))
    except (ConnectionFailed, ConfigError):
        return
    if applied:
        raise no_folder_error(config.migrations_dir, applied,
                              f"the database of environment {config.env_name} ({redact_url(url)})")


def generate(config: Config, name: str, *, renames: Iterable[str] = (), no_renames: Iterable[str] = (),
             questioner: Questioner | None = None, custom: bool = False,
             now: datetime | None = None, safe: bool = True, expand: bool = False) -> GenerateResult:
    """Diff the schema source against the last snapshot and write the next migration.

    ``safe`` writes the lock-safe form of changes to tables that hold rows (PostgreSQL) and
    refuses those without one; ``expand`` writes their expand sequence instead.
    """
    from safeshift.formats import folder as formats
    from safeshift.formats import safeshift as migrations
    from safeshift.plan import Sections, expand_added_columns, render

    drizzle_folder = formats.drizzle_folder(config.migrations_dir, config.folder_settings)
    if drizzle_folder is not None and formats.DrizzleFolder().writes_next(drizzle_folder):
        return _generate_drizzle(config, drizzle_folder, name, renames=renames, no_renames=no_renames,
                                 questioner=questioner, custom=custom, now=now, safe=safe)
    not_for_drizzle(config, "safeshift generate")
    _validate_name(name)
    folder = config.migrations_dir
    if not folder.is_dir():
        _refuse_folder_elsewhere(config)
    versions = migrations.migration_versions(folder)
    if versions:
        migrations.check_sealed(folder, "safeshift generate")
    dialect = dialect_of(config)
    notes: list[str] = []
    if custom:
        current = migrated_schema(config)
        changes: list[Change] = []
        sections = Sections([], [])
        target = current
    else:
        target = load_source_schema(config)
        current, changes = _changes_to(config, target, renames=renames, no_renames=no_renames,
                                       questioner=questioner)
        if not changes:
            return GenerateResult(None, None, ())
        if safe and expand:
            changes, target, notes = expand_added_columns(changes, current, target)
        sections = render(changes, current, target, dialect, safe=safe, expand=expand,
                          lock_timeout=config.environment().lock_timeout)
    version = migrations.new_version(now or utc_now(), versions)
    header = [
        f"{version}_{name}: generated by safeshift {__version__} for {dialect.name}",
        "Read the up section before applying it; hand edits are fine until it is applied anywhere",
        "(then run `safeshift rehash`).",
    ]
    if custom:
        header[0] = f"{version}_{name}: hand-written migration (safeshift {__version__}, {dialect.name})"
        header[1] = "Write the up section and, if it can be undone, the down section."
    warnings = tuple(f"{c.target}: {loss}" for c in changes if (loss := dialect.data_loss(c)))
    header += [f"WARNING data loss: {w}" for w in warnings]
    text = migrations.render_file(version, name, sections.up, sections.down, header)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta").mkdir(exist_ok=True)
    path = folder / f"{version}_{name}.sql"
    path.write_text(text, encoding="utf-8")
    migrations.write_snapshot(folder / "meta" / f"{version}_snapshot.json", target)
    migrations.write_sum(folder)
    counts = {"create": 0, "alter": 0, "drop": 0}
    for c in changes:
        counts[c.verb] += 1
    from safeshift.lint import review_generated  # pglast and sqlglot: only once a file is written

    findings = () if custom else tuple(review_generated(dialect.name, changes, path, before=current, locks=not safe))
    return GenerateResult(version, path, tuple(changes), counts["create"], counts["alter"], counts["drop"],
                          warnings, tuple(notes), findings)


def _generate_drizzle(config: Config, folder: MigrationFolder, name: str, *, renames: Iterable[str],
                      no_renames: Iterable[str], questioner: Questioner | None, custom: bool, now: datetime | None,
                      safe: bool) -> GenerateResult:
    """The next migration of a drizzle-kit folder whose snapshot format safeshift writes (MySQL), in drizzle-kit's
    form (``formats.drizzle.mysql_write``): diffed from the schema its snapshots make, so drizzle-kit and
    safeshift can take turns generating; its down SQL comes from the snapshots, as for drizzle-kit's own."""
    from safeshift.diff import diff
    from safeshift.formats import drizzle
    from safeshift.formats import folder as formats
    from safeshift.plan import render
    from safeshift.renames import parse_hints

    if custom:
        raise ConfigError(f"{folder.path.name}/ is a drizzle-kit folder: write a hand-written migration with "
                          "`npx drizzle-kit generate --custom`, which keeps its snapshot chain.")
    _validate_name(name)
    dialect = dialect_of(config)
    formats.DrizzleFolder().check_declared(folder, dialect, config.config_name)
    target = load_source_schema(config)
    made = drizzle.expected_schema(folder, folder.versions, dialect) or empty_schema(dialect)
    current = _drizzle_schema(config, folder, dialect, made)
    hints = parse_hints(renames, no_renames, dialect.default_schema, lambda s, n: current.table(s, n) is not None)
    changes = diff(current, target, hints, questioner, dialect.default_schema, dialect.view_dependencies,
                   dialect.same_column)
    if not changes:
        return GenerateResult(None, None, ())
    sections = render(changes, current, target, dialect, safe=safe, lock_timeout=config.environment().lock_timeout)
    moment = now or utc_now()
    # the tables the `ignore` list leaves out of the comparison stay in drizzle's snapshot as they were
    kept = [t for t in made.tables if current.table(t.schema, t.name) is None and target.table(t.schema, t.name) is None]
    snapshot = replace(target, tables=tuple(sorted((*target.tables, *kept), key=lambda t: t.key))) if kept else target
    written = drizzle.write_next(folder.path, name, sections.up, snapshot, dialect, int(moment.timestamp() * 1000))
    counts = {"create": 0, "alter": 0, "drop": 0}
    for c in changes:
        counts[c.verb] += 1
    warnings = tuple(f"{c.target}: {loss}" for c in changes if (loss := dialect.data_loss(c)))
    from safeshift.lint import review_generated

    findings = (tuple(review_generated(dialect.name, changes, written.path, before=current, locks=not safe))
                if dialect.capabilities.hazard_review else ())  # as `review` and `migrate` judge it
    return GenerateResult(written.tag.split("_", 1)[0], written.path, tuple(changes), counts["create"],
                          counts["alter"], counts["drop"], warnings, (), findings)


def _drizzle_schema(config: Config, folder: MigrationFolder, dialect: Dialect, made: Schema | None = None) -> Schema:
    """The schema a drizzle-kit folder's snapshots make (``made``, when the caller has it), without what the
    comparison leaves out (as ``migrated_schema`` for safeshift's folders: an ignored table gets no DROP)."""
    from safeshift.formats import drizzle
    from safeshift.ignore import leave_out

    if made is None:
        made = drizzle.expected_schema(folder, folder.versions, dialect) or empty_schema(dialect)
    return leave_out(made, config.ignore, dialect.default_schema).schema


def check(config: Config) -> None:
    """Raise DiffCheckFailed when the schema source and the migrations disagree (for CI)."""
    from safeshift.diff import diff
    from safeshift.formats import folder as formats
    from safeshift.formats import safeshift as migrations
    from safeshift.renames import AssumeNew

    drizzle_folder = formats.drizzle_folder(config.migrations_dir, config.folder_settings)
    written = drizzle_folder is not None and formats.DrizzleFolder().writes_next(drizzle_folder)
    if not written:
        not_for_drizzle(config, "safeshift generate --check")
    elif drizzle_folder is not None:
        formats.DrizzleFolder().check_declared(drizzle_folder, dialect_of(config), config.config_name)
    folder = config.migrations_dir
    if not written and migrations.migration_versions(folder):
        migrations.check_sealed(folder, "safeshift generate --check")
    target = load_source_schema(config)
    dialect = dialect_of(config)
    default_schema = dialect.default_schema
    if drizzle_folder is not None and written:  # the schema drizzle-kit's snapshots make (``_generate_drizzle``)
        current = _drizzle_schema(config, drizzle_folder, dialect)
    else:
        current = privileges_baseline(migrated_schema(config), target, default_schema)
    changes = diff(current, target, None, AssumeNew(), default_schema, same_column=dialect.same_column)
    if changes:
        found = tuple(f"{c.kind.replace('_', ' ')}: {c.target}" for c in changes)
        lines = "\n".join(f"  {line}" for line in found)
        raise DiffCheckFailed(
            f"The schema source and the migrations disagree ({len(changes)} change(s)); "
            f"run `safeshift generate --name ...` and commit the result:\n{lines}", found
        )


def diff_database(config: Config, url: str, *, renames: Iterable[str] = (), no_renames: Iterable[str] = (),
                  questioner: Questioner | None = None, say_form: bool = False) -> tuple[list[Change], Sections]:
    """What it takes to bring the live database at ``url`` to the schema source, in the plain form.

    ``say_form``: when `generate` would write something else for these changes (the lock-safe form:
    ``DROP INDEX CONCURRENTLY``, ``NOT VALID`` and ``VALIDATE``; or a refusal), the first statement's
    comment says so, so that nobody takes the plain SQL for what the migration will run."""
    from safeshift.diff import diff
    from safeshift.plan import render
    from safeshift.renames import parse_hints

    dialect = dialect_for(url, config.declared_dialect)
    target = load_source_schema(config)
    live = introspect_url(dialect, url, config.introspect_options)
    hints = parse_hints(renames, no_renames, dialect.default_schema, lambda s, n: live.table(s, n) is not None)
    changes = diff(live, target, hints, questioner, dialect.default_schema, dialect.view_dependencies,
                   dialect.same_column)
    sections = render(changes, live, target, dialect)
    if say_form and sections.up:
        note = _safe_form_note(changes, live, target, dialect, sections)
        if note:
            first = sections.up[0]
            comment = f"{note}\n{first.comment}" if first.comment else note
            sections = replace(sections, up=[replace(first, comment=comment), *sections.up[1:]])
    return changes, sections


def _safe_form_note(changes: list[Change], live: Schema, target: Schema, dialect: Dialect, plain: Sections) -> str:
    """What `generate` would write instead of ``plain`` for tables that hold rows; empty when the same."""
    from safeshift.errors import UnsafeChange
    from safeshift.plan import render

    try:
        safe = render(changes, live, target, dialect, safe=True)
    except UnsafeChange as exc:
        return (f"The plain form, as for empty tables: `safeshift generate` refuses {', '.join(exc.targets)} on "
                "tables that hold rows (no lock-safe form; its message says what to do).")
    if [st.sql for st in safe.up] == [st.sql for st in plain.up]:
        return ""
    return ("The plain form, as for empty tables: `safeshift generate` writes the lock-safe form for tables that "
            "hold rows (CONCURRENTLY, NOT VALID then VALIDATE, steps in their own transactions).")


def introspect_url(dialect: Dialect, url: str, options: IntrospectOptions | None = None) -> Schema:
    conn = engine_for(dialect).connect(url)
    try:
        return engine_for(dialect).introspect(conn, options=options)
    finally:
        conn.close()


def not_for_drizzle(config: Config, command: str) -> None:
    """``command`` writes safeshift's folder: refused for a drizzle-kit folder (see ``formats.folder``)."""
    from safeshift.formats import folder as formats

    formats.refuse_safeshift_writes(config.migrations_dir, config.folder_settings, command)

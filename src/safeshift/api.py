"""The Python API: everything the CLI does, callable from code.

The CLI formats; this module decides.  Functions take a loaded Config (see
``load_config``) or plain arguments, return result values, and raise
``safeshift.errors`` subclasses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from safeshift import project
from safeshift.config import (
    Config,
    FolderSettings,
    load_config,
    missing_url_error,
    resolve_url,
    write_default_config,
)
from safeshift.dialects import get_dialect
from safeshift.engines.base import engine_for
from safeshift.errors import ConfigError, MigrationsError
from safeshift.project import (  # the public names of the façade
    NO_PROJECT,
    database_url,
    development_url,
    dialect_for,
    dialect_name_for,
    dialect_of,
    run_options,
    shadow_database,
    state_dir,
    status,
)
from safeshift.text import display_path, redact_url

if TYPE_CHECKING:  # the schema side (SQLAlchemy, the diff) and the runner load only for commands that use them
    from safeshift import sections
    from safeshift.backup import Backup, RestoreResult
    from safeshift.backup import take as backup
    from safeshift.engines.base import Manifest
    from safeshift.generate import (
        GenerateResult,
        check,
        diff_database,
        generate,
        introspect_url,
        load_source_schema,
    )
    from safeshift.progress import Progress
    from safeshift.rehearse import Rehearsal
    from safeshift.release import Release
    from safeshift.review import ReviewResult
    from safeshift.review_picture import Picture
    from safeshift.runner import ApplyResult, Confirm, EventSink, RollbackResult, RunOptions
    from safeshift.schedule import Pending
    from safeshift.verify import Drift

__all__ = [
    "NO_PROJECT",
    "GenerateResult",
    "RestoreResult",
    "backup",
    "check",
    "database_url",
    "development_url",
    "dialect_for",
    "dialect_name_for",
    "dialect_of",
    "diff_database",
    "drop",
    "generate",
    "introspect_url",
    "load_config",
    "load_source_schema",
    "migrate",
    "rehash",
    "restore_over",
    "rollback",
    "run_options",
    "shadow_database",
    "state_dir",
    "status",
]

#: the façade's names from generate (the schema side) and backup (the dump tools), which most commands never
#: use: imported on first access, so `safeshift verify` does not load either (issue 20's start-up budget)
_LAZY = {
    "GenerateResult": ("safeshift.generate", "GenerateResult"), "check": ("safeshift.generate", "check"),
    "diff_database": ("safeshift.generate", "diff_database"), "generate": ("safeshift.generate", "generate"),
    "introspect_url": ("safeshift.generate", "introspect_url"),
    "load_source_schema": ("safeshift.generate", "load_source_schema"),
    "RestoreResult": ("safeshift.backup", "RestoreResult"), "backup": ("safeshift.backup", "take"),
}


def __getattr__(name: str) -> object:
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home[0]), home[1])
    globals()[name] = value  # found directly from now on
    return value



# -- schema sources ---------------------------------------------------------------------


# -- the embedded default database and shadow databases ----------------------------------


def check_target(config: Config, url: str) -> None:
    """Refuse to change ``url`` when the server says it is the database of a protected environment
    (confirm or gates) other than the active one, however its URL was given (--url, DATABASE_URL, a url)."""
    from safeshift import guard

    guard.check_target(config, url, dialect_for(url, config.declared_dialect))


def guarded(config: Config, url: str, command: str, confirm: Confirm | None, *, skip_gates: str | None = None,
            say: Callable[[str], None] | None = None) -> tuple[Confirm | None, str | None]:
    """What ``migrate``, ``rollback`` or ``rehearse`` (``command``) of the active environment's database must
    be given: (the confirm hook, the note for the history).  ``check_target`` runs first.

    The environment's gates run in the hook, which the runner calls once it knows what will run and
    before anything changes: ``require_rehearsal`` (a passed rehearsal of exactly those files, or
    GateRefused), then the operator's ``confirm``, then ``backup`` (a verified backup, as deploy
    takes).  ``skip_gates`` (a reason) lets them through instead; the note saying so is printed
    (``say``) and, for migrate, kept in each applied migration's history row.
    """
    from safeshift import guard

    guard.check_skip_reason(skip_gates)
    check_target(config, url)
    say = say or (lambda _: None)
    gates = config.environment().gates
    if not gates:
        return confirm, None
    if skip_gates is not None:
        note = guard.skipped_note(gates, skip_gates)
        say(note)
        return confirm, note

    def gate(database: str, todo: Sequence[sections.Migration]) -> bool:
        guard.require_rehearsal(config, todo, command)
        if confirm is not None and not confirm(database, todo):
            return False
        if "backup" in gates:
            say(f"backup = true for {config.env_name}: dumping and verifying before the {command}")
            from safeshift.backup import take as backup

            made = backup(config, url)
            say(f"backup: {made.path} ({made.manifest.size:,} bytes, sha256 {made.manifest.sha256[:12]})")
        return True

    return gate, None


def _project(config: Config) -> Path:
    folder = state_dir(config)
    if folder is None:
        raise ConfigError(f"{NO_PROJECT}, and `safeshift dev` works on a project's development database: run "
                          "`safeshift init` to start a project.")
    return folder


def dev_url(config: Config) -> tuple[str, str]:
    """``safeshift dev url``: the URL commands use for the development environment, and where it came
    from: "url" (development's own), "DATABASE_URL", else "embedded" (the embedded default database or
    SQLite file, started or created if needed).  Refuses outside a project."""
    import os

    from safeshift.config import URL_VAR

    _project(config)
    dev = dataclasses.replace(config, env_name="development", url_override=None)
    url = database_url(dev)
    source = "url" if dev.environment().url else "DATABASE_URL" if os.environ.get(URL_VAR) else "embedded"
    return url, source


def dev_stop(config: Config) -> tuple[Path, bool]:
    """``safeshift dev stop``: stop the project's embedded server; (its folder, whether one was running).

    Safe to repeat; refuses outside a project.  The next command that needs the development
    database starts it again, with its data.
    """
    from safeshift.engines.postgres import embedded

    folder = embedded.server_dir(_project(config))
    return folder, embedded.stop_server(folder)


# -- generate ----------------------------------------------------------------------------


def rehash(config: Config) -> Path:
    """Re-seal safeshift.sum after reviewed hand edits."""
    from safeshift.formats import safeshift as migrations

    folder = config.migrations_dir
    if not folder.exists():
        raise MigrationsError(f"There is no migrations folder at {folder}; run `safeshift init` first.")
    from safeshift.generate import not_for_drizzle

    not_for_drizzle(config, "safeshift rehash")
    migrations.read_folder(folder)  # refuse to seal a malformed folder
    migrations.write_sum(folder)  # refuses an orphaned snapshot: `safeshift drop` removes it
    return folder / "safeshift.sum"


@dataclass(frozen=True)
class DropResult:
    """What ``safeshift drop`` removed, and which databases it read first."""

    version: str
    #: the migration file and its snapshot (those that existed)
    removed: tuple[Path, ...]
    #: the version's entries taken out of safeshift.sum, which is re-chained without them
    sum_entries: tuple[str, ...]
    #: environments whose database was read and has not applied it
    checked: tuple[str, ...]
    #: "could not check production: ..." for each environment whose database could not be read
    notes: tuple[str, ...]


#: what a history row in each state means for ``drop``, and what to do about it there
_TOUCHED = {
    "applied": ("has applied it", "roll it back there first (`safeshift rollback --env {env}`)"),
    "edited": ("has applied it", "roll it back there first (`safeshift rollback --env {env}`)"),
    "missing": ("has applied it", "put the file back and roll it back there first (`safeshift rollback --env {env}`)"),
    "failed": ("has a failed run of it recorded", "see `safeshift status --env {env}` and settle that run first"),
    "running": ("has it part-way applied", "finish or undo that run there first (`safeshift status --env {env}`)"),
    "rolling_back": ("is part-way through rolling it back", "finish that with `safeshift rollback --env {env}` first"),
}


def drop(config: Config, version: str) -> DropResult:
    """Remove the unapplied migration ``version``: its file, its snapshot and its lines in safeshift.sum.

    Refuses a drizzle-kit folder, an unknown version, one that is not the newest (later ones were
    generated on top of it), and one that any known environment's database has touched (a
    history row in any state but pending).  Known: every environment of the configuration whose
    URL resolves, plus the development database when it already exists (nothing is started for
    this).  An environment whose URL does not resolve or whose database cannot be reached is
    named in a note and does not block: drop changes files only, and a later ``migrate`` there
    still refuses an applied file that is gone.
    """
    from safeshift.errors import ConnectionFailed, HistoryConflict
    from safeshift.formats import safeshift as migrations

    folder = config.migrations_dir
    if not folder.is_dir():
        raise MigrationsError(f"There is no migrations folder at {folder}; run `safeshift init` first.")
    from safeshift.generate import not_for_drizzle

    not_for_drizzle(config, "safeshift drop")
    plan = migrations.plan_drop(folder, version)
    checked: list[str] = []
    notes: list[str] = []
    for names, url in _known_databases(config, notes):
        label = ", ".join(names)
        try:
            rows = status(url, folder, dialect=config.declared_dialect, settings=config.folder_settings)
        except (ConnectionFailed, ConfigError) as exc:
            notes.append(f"could not check {label}: {exc.message}")
            continue
        row = next((r for r in rows if r.version == version), None)
        if row is not None and row.state != "pending":
            what, advice = _TOUCHED[row.state]
            where = "the database of " + (f"environment {label}" if len(names) == 1 else f"environments {label}")
            raise HistoryConflict(f"Cannot drop {version}: {where} ({redact_url(url)}) {what}; "
                                  f"{advice.format(env=names[0])}, or keep it and write a new migration instead.")
        checked += names
    migrations.drop(folder, plan)
    return DropResult(version, plan.files, plan.sum_entries, tuple(checked), tuple(redact_url(n) for n in notes))


def _known_databases(config: Config, notes: list[str]) -> list[tuple[list[str], str]]:
    """(environment names, URL) of every database the configuration knows, one entry per URL.

    An environment's URL as its commands resolve it (its url, else DATABASE_URL); development
    without one: its database only if it exists already (never started here).  An environment
    whose URL cannot be resolved gets a note in ``notes`` instead.
    """
    from safeshift.errors import ConnectionFailed

    names = list(config.environments)
    if "development" not in names:
        names.insert(0, "development")
    by_url: dict[str, list[str]] = {}
    for name in names:
        env_config = dataclasses.replace(config, env_name=name, url_override=None)
        try:
            url = resolve_url(env_config)
            if url is None and name == "development":
                state = config.root / ".safeshift" if config.config_file is not None else None
                url = engine_for(dialect_of(config)).existing_development_url(state) if state is not None else None
                if url is None:  # no development database yet: it has applied nothing
                    continue
            elif url is None:
                raise missing_url_error(env_config)
        except (ConfigError, ConnectionFailed) as exc:
            notes.append(f"could not check {name}: {exc.message}")
            continue
        by_url.setdefault(url, []).append(name)
    return [(found, url) for url, found in by_url.items()]


def init(folder: Path, *, schema: str, dialect: str) -> Path:
    """Write safeshift.toml and an empty migrations folder; returns the config file."""
    get_dialect(dialect)
    path = write_default_config(folder, schema=schema, dialect=dialect)
    (folder / "migrations" / "meta").mkdir(parents=True, exist_ok=True)
    return path


def migrate(url: str, folder: str | Path = "migrations", *, to: str | None = None, dialect: str | None = None,
            options: RunOptions | None = None, on_event: EventSink | None = None,
            confirm: Confirm | None = None, allow_hazards: bool = False,
            settings: FolderSettings | None = None, skipped_gates: str | None = None) -> ApplyResult:
    """Apply every pending migration in ``folder`` to ``url`` (drizzle's ``migrate(db, {migrationsFolder})``).

    Refuses (HazardBlocked) a pending migration with an unacknowledged error finding of
    ``safeshift review`` unless ``allow_hazards``.  Returns the applied versions with their
    durations; raises ``safeshift.errors`` types.  ``settings``: the folder's, from a loaded
    ``Config.folder_settings`` (None: looked up from the folder, as drizzle's migrator is given only it).
    ``skipped_gates``: what ``guarded`` let through, kept in each applied migration's history row.
    """
    from safeshift.runner import Event

    with project.runner(url, folder, "safeshift migrate", dialect, options, on_event, settings=settings) as r:
        from safeshift import review

        gated: list[tuple[str, ...]] = []

        def gate(planned: Sequence[Pending]) -> None:
            """The review gate over what will run; asked before the lock (a refusal then leaves no trace) and
            again under it when the plan changed meanwhile (a rollback finished while this run waited)."""
            key = tuple(p.migration.version for p in planned)
            if gated and gated[-1] == key:
                return
            gated.append(key)
            todo = [p.migration for p in planned if not p.resume_from]
            blocking = review.gate(todo, r.dialect, url, history_table=r.folder.history_table)
            if blocking and not allow_hazards:
                raise review.refuse(blocking, r.folder)
            allowed = review.allowed_by_version(todo, blocking) if blocking else {}
            for version, what in allowed.items():
                r.emit(Event("note", version, message=f"hazards allowed by --allow-hazards: {what}"))
            if skipped_gates:
                for v in key:  # resumed ones too
                    allowed[v] = f"{allowed[v]}; {skipped_gates}" if v in allowed else skipped_gates
            if allowed or len(gated) > 1:  # a second verdict replaces the first
                r.options = dataclasses.replace(r.options, allowed_hazards=tuple(allowed.items()))

        gate(r.plan(to))
        return r.migrate(to, confirm, check=gate)


def plan(url: str, folder: str | Path = "migrations", *, to: str | None = None, dialect: str | None = None,
         options: RunOptions | None = None, settings: FolderSettings | None = None,
         command: str = "safeshift migrate --dry-run") -> list[Pending]:
    """What ``migrate`` would run, step by step; reads the history and changes nothing (``command``: the
    command being run, which a refusal tells the user to run again)."""
    with project.runner(url, folder, command, dialect, options, None, read_only=True, settings=settings) as r:
        return r.plan(to)


def rollback(url: str, folder: str | Path = "migrations", *, steps: int | None = None, to: str | None = None,
             dialect: str | None = None, options: RunOptions | None = None, on_event: EventSink | None = None,
             confirm: Confirm | None = None, settings: FolderSettings | None = None) -> RollbackResult:
    """Run down sections newest first: the last ``steps`` (default 1), or everything after ``to``."""
    with project.runner(url, folder, "safeshift rollback", dialect, options, on_event, settings=settings) as r:
        return r.rollback(steps, to, confirm)


def review(config: Config, files: Iterable[Path] = (), *, pending: bool = False,
           live: bool = False) -> ReviewResult:
    """Review ``files``, else the database's pending migrations, else those not yet reviewed
    (``review.ReviewResult``); ``live`` grades them with the database's table sizes.  Files
    without an unacknowledged error are remembered as reviewed.
    """
    from safeshift import review as rv

    dialect = dialect_of(config)
    paths = list(files)
    if not dialect.capabilities.hazard_review:
        raise ConfigError(f"safeshift review cannot read {dialect.name} SQL yet; review the migrations by hand and "
                          "pass --allow-hazards to migrate and deploy.")
    url = database_url(config) if live or pending else None
    facts = rv.live_facts(dialect, url) if url and dialect.capabilities.hazard_review else None
    from safeshift.formats import folder as formats

    drizzle_folder = formats.drizzle_folder(config.migrations_dir, config.folder_settings)
    if drizzle_folder is not None:
        formats.DrizzleFolder().check_declared(drizzle_folder, dialect, config.config_name)
    if not paths and pending and url:
        paths = [p.migration.path for p in plan(url, config.migrations_dir, dialect=config.declared_dialect,
                                                settings=config.folder_settings, command="safeshift review --pending")]
    elif not paths and drizzle_folder is not None:
        paths = [m.path for m in rv.drizzle_unreviewed(drizzle_folder, config.root / ".safeshift")]
    elif not paths and config.migrations_dir.exists():
        paths = [m.path for m in rv.unreviewed(config.migrations_dir)]
    if drizzle_folder is not None:
        # drizzle-kit takes every JSON file in meta/ for a snapshot: the marks live in .safeshift/
        result = rv.review_drizzle_paths(drizzle_folder, [Path(display_path(p)) for p in paths], facts=facts,
                                         settings=config.folder_settings, dialect=dialect)
        rv.mark_drizzle_reviewed(drizzle_folder, result, config.root / ".safeshift")
        return result
    result = rv.review_files([Path(display_path(p)) for p in paths], facts=facts, dialect=dialect.name)
    if config.migrations_dir.exists():
        rv.mark_reviewed(config.migrations_dir, result)
    return result


def review_picture(config: Config, result: ReviewResult) -> Picture:
    """The diagram of what the reviewed files change (``review_picture.Picture``): the tables they touch and
    their neighbours by foreign key, from the folder's snapshots around them."""
    from safeshift import review_picture as rp

    dialect = dialect_of(config)
    return rp.picture_of(result.files, config.migrations_dir, default_schema=dialect.default_schema,
                         dialect=dialect.name, settings=config.folder_settings)


def write_review_page(config: Config, result: ReviewResult, target: Path) -> Path:
    """``safeshift review --format html FILE``: the review as one self-contained HTML page at ``target``."""
    from safeshift import review_picture as rp

    return rp.write_page(target, root=config.root, paths=result.files, findings=result.findings,
                         picture=review_picture(config, result), folder_path=config.migrations_dir,
                         settings=config.folder_settings)


def accept_hazard(config: Config, rule: str, where: str, reason: str) -> tuple[Path, str]:
    """``safeshift review --accept RULE FILE:LINE --reason``: record a reviewed hazard of a drizzle-kit folder
    beside its files (``review.accept``); returns the file written and the accepted text's sha256."""
    from safeshift import review as rv
    from safeshift.formats import folder as formats

    found = formats.drizzle_folder(config.migrations_dir, config.folder_settings)
    if found is not None:
        formats.DrizzleFolder().check_declared(found, dialect_of(config), config.config_name)
    folder = found if found is not None else formats.read(config.migrations_dir, settings=config.folder_settings)
    return rv.accept(folder, rule, where, reason, dialect_of(config).name)


def verify(config: Config, url: str, health: str | None = None) -> tuple[Drift, tuple[int, str] | None]:
    """Drift between ``url`` and its last applied migration's snapshot (``verify.Drift``), then, if
    there is none, the app's ``health`` command with DATABASE_URL set: (drift, (exit code, output) or None).

    Raises DriftDetected on drift or a failing health command, after the caller has the result.
    """
    from safeshift import early
    from safeshift.engines.base import read_ahead

    name = dialect_name_for(url, config.declared_dialect)
    # first: the server reads the catalog while the rest is imported (begun at start-up for `verify --url`)
    reader = early.take(name, url) or read_ahead(name, url)
    try:
        from safeshift import verify as vf

        d = get_dialect(name)
    except BaseException:
        if reader is not None:
            reader.close()
        raise
    found = vf.verify(d, url, config.migrations_dir, config.folder_settings, reader)
    checked = vf.run_health(health, {"DATABASE_URL": url}) if health and found.clean else None
    return found, checked


def verify_verdict(url: str, health: str | None, found: Drift, checked: tuple[int, str] | None,
                   at_applied: bool = False) -> None:
    """Raise DriftDetected for drift, a failed health command, or (unless ``at_applied``: drift from what is
    applied is all that is asked) a database not at the folder's last migration; one sentence, URL redacted."""
    from safeshift.errors import DriftDetected

    if not found.clean:
        raise DriftDetected(f"{len(found.differences)} difference(s) between {redact_url(url)} and the "
                            "snapshot of its last applied migration; see above, then fix the database or add a "
                            "migration.")
    if checked is not None and checked[0] != 0:
        from safeshift.verify import health_failed

        raise health_failed(health or "", *checked)
    if not at_applied and found.history is not None and not found.history.at_last:
        raise found.history.not_released(url)


def rehearse(config: Config, *, scratch: bool, mode: str = "schema", sample_rows: int | None = None,
             smoke: str | None = None, options: RunOptions | None = None, confirm: Confirm | None = None,
             allow_hazards: bool = False, progress: Progress | None = None, skip_gates: str | None = None,
             say: Callable[[str], None] | None = None) -> Rehearsal:
    """Rehearse the pending migrations of the active environment's database (``rehearse.Rehearsal``).

    ``scratch``: on a throwaway copy beside it (``mode`` "schema", "data" or "sample" with
    ``sample_rows``), which is always dropped; else on the database itself through ``migrate``'s
    gates (review, ``confirm``).  ``smoke`` defaults to the environment's ``health``.  The report
    is written under ``.safeshift/rehearsals/`` first; then RehearsalFailed is raised if a check
    failed (its ``result`` is the rehearsal).  On the database itself the environment's gates run as
    for ``migrate`` (``guarded``: ``skip_gates``, ``say``).
    """
    from safeshift import rehearse as rh

    if mode not in ("schema", "data", "sample"):
        raise ConfigError(f"Unknown rehearsal mode {mode!r}; use schema, data or sample.")
    url = database_url(config)
    d = dialect_for(url, config.declared_dialect)
    skipped = None
    if not scratch:  # a scratch copy changes only the copy
        confirm, skipped = guarded(config, url, "rehearse", confirm, skip_gates=skip_gates, say=say)
    env = config.environment()
    settings = config.folder_settings
    checked = project.checked_folder(config.migrations_dir, "safeshift rehearse", settings,
                                     project.history_of(url, config.declared_dialect))
    folder, opts = project.prepare_run(checked, d, url, options or run_options(env), settings)
    command = smoke or env.health
    if scratch:
        result = rh.rehearse_scratch(d, url, folder, env_name=config.env_name, mode=cast("rh.Mode", mode),
                                     sample_rows=sample_rows, smoke=command, options=opts,
                                     state_dir=state_dir(config), root=config.root,
                                     backups_dir=config.backups_dir, progress=progress)
    else:
        def apply(run: RunOptions, sink: EventSink) -> ApplyResult:
            return migrate(url, config.migrations_dir, dialect=config.declared_dialect, options=run, on_event=sink,
                           confirm=confirm, allow_hazards=allow_hazards, settings=settings, skipped_gates=skipped)

        result = rh.rehearse_env(d, url, folder, env_name=config.env_name, smoke=command, options=opts,
                                 root=config.root, apply=apply, progress=progress)
    rh.verdict(result)
    return result


def restore(config: Config, path: Path, into_url: str, *, jobs: int | None = 1,
            progress: Progress | None = None) -> Manifest:
    """Restore a backup (sha256 checked against its manifest first) into the empty database ``into_url``;
    ``jobs`` None: as many workers as CPUs, at most 4."""
    import os

    from safeshift import backup as bk

    workers = jobs if jobs is not None else max(1, min(4, os.cpu_count() or 1))
    return bk.restore(path, into_url, dialect=dialect_name_for(into_url, config.declared_dialect), jobs=workers,
                      progress=progress)


def restore_over(config: Config, path: Path, url: str | None = None, *, confirm: Callable[[str], bool] | None = None,
                 safety_backup: bool = True, on_safety_backup: Callable[[Backup], None] | None = None,
                 progress: Progress | None = None) -> RestoreResult:
    """Replace the database at ``url`` (default: the active environment's) with a backup, atomically
    (``backup.restore_over``), after the same-database guard: a protected environment's database is
    restored over only as that environment."""
    from safeshift import backup as bk

    url = url or database_url(config)
    check_target(config, url)
    return bk.restore_over(config, path, url, confirm=confirm, safety_backup=safety_backup,
                           on_safety_backup=on_safety_backup, progress=progress)


def deploy(config: Config, url: str | None = None, *, say: Callable[[str], None] | None = None,
           confirm: Confirm | None = None, confirm_restore: Callable[[str, str], bool] | None = None,
           on_event: EventSink | None = None, allow_hazards: bool = False, health: str | None = None,
           lock_wait_s: float | None = None, on_record: Callable[[Path], None] | None = None,
           progress: Progress | None = None) -> Release:
    """The runbook as one call (``release.Release``): preflight, backup, migrate, verify, the environment's
    on_failure policy, and the release record under ``.safeshift/releases/``.  Raises DeployFailed
    (after writing the record) when a gate fails; ``on_record`` hears the record's path as soon as it exists."""
    from safeshift.deploy import Deploy

    url = url or database_url(config)
    check_target(config, url)
    run = Deploy(config, url, say or (lambda _: None), confirm, confirm_restore, on_event,
                 allow_hazards, health, lock_wait_s=lock_wait_s, on_record=on_record, progress=progress)
    return run.run()


def report(config: Config, path: Path | None = None) -> tuple[Path, Release]:
    """A release record (``release.Release``): ``path``, else the newest under ``.safeshift/releases/``."""
    from safeshift import release

    if path is None:
        found = release.list_records(config.root)
        if not found:
            raise ConfigError(f"There is no release record under {config.root / release.RELEASES_DIR}; "
                              "run `safeshift deploy` first.")
        path = found[-1]
    return path, release.read_record(path)



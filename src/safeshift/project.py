"""A project as commands see it: its configuration and a URL turned into a dialect, a folder and a runner.

The Python API (api.py) and the orchestrators (deploy, rehearse) both need "this configuration and
this URL: which dialect, which database, which migrations folder in which format, and a runner over
them, with the environment's settings".  That answer lives here once, below the façade, so an
orchestrator never imports the API to get it.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safeshift.config import (
    DEFAULT_ENV,
    Config,
    Environment,
    FolderSettings,
    expand_vars,
    folder_settings,
    missing_url_error,
    resolve_url,
)
from safeshift.dialects import (
    URL_FORMS,
    Dialect,
    canonical_name,
    get_dialect,
    name_for_url,
    takes_conninfo,
    url_scheme,
)
from safeshift.engines.base import engine_for
from safeshift.errors import ConfigError, MigrationsError
from safeshift.text import duration_ms, redact_url

if TYPE_CHECKING:
    from safeshift.formats import safeshift as migrations
    from safeshift.history import Record
    from safeshift.runner import EventSink, Runner, RunOptions
    from safeshift.schedule import MigrationStatus


def dialect_of(config: Config) -> Dialect:
    return get_dialect(config.dialect)


def dialect_for(url: str, dialect: str | None) -> Dialect:
    """The dialect for ``url``; when the project names one too, the URL must be of that kind."""
    return get_dialect(dialect_name_for(url, dialect))


def dialect_name_for(url: str, dialect: str | None) -> str:
    """``dialect_for``'s name alone, without importing the dialect (backup and restore need only its engine).

    Without this check a PostgreSQL URL given to a SQLite project would be opened as a file path.
    A libpq string without a scheme (``host=... dbname=...``) is taken for a PostgreSQL project only;
    anything else without a scheme is a typo, refused naming the forms a URL takes.
    """
    if not dialect:
        return name_for_url(url)
    named = canonical_name(dialect)
    if url_scheme(url) is None:
        if takes_conninfo(named, url):
            return named
        # the URL mid-sentence, unquoted: redaction takes a password up to the next space, a quote included
        raise ConfigError(f"The URL {redact_url(url)} has no scheme, so it is not a {named} database URL; use "
                          f"{URL_FORMS[named]}.")
    by_url = name_for_url(url)
    if by_url != named:
        raise ConfigError(
            f"{redact_url(url)} is a {by_url} URL, but the migrations are for {named} (`dialect` in the "
            f"project's configuration); give a {named} URL, or change the dialect."
        )
    return named


#: said by every refusal to start the embedded server outside a project
NO_PROJECT = "There is no safeshift.toml here or in any parent folder"


def state_dir(config: Config) -> Path | None:
    """The project's ``.safeshift/`` folder, where its embedded server and development database live;
    None outside a project, so that nothing starts a server in whatever folder a command ran in."""
    return config.root / ".safeshift" if config.config_file is not None else None


def database_url(config: Config, *, create: bool = True) -> str:
    """The active environment's URL; development falls back to the embedded default database.

    Commands that change the database check it with ``check_target`` (or ``guarded``) too.
    ``create=False`` (migrate, rollback, status): a URL given with --url must name a database that
    exists, so that a typo in a file name does not migrate (or report on) a new empty database; the
    URL is checked against the project's dialect here, before anything is read or opened.
    """
    url = resolve_url(config)
    if url:
        if config.url_override and not create:
            d = get_dialect(dialect_name_for(url, config.declared_dialect))
            missing = engine_for(d).missing_database(url)
            if missing is not None:
                raise ConfigError(f"There is no such database file: {missing}; check the path in --url, or "
                                  "create the empty file first (`touch` it) to start a new database there.")
        return url
    if config.env_name == "development":
        return development_url(config)
    raise missing_url_error(config)


def development_url(config: Config) -> str:
    """The embedded default database of the project (a SQLite file for SQLite projects), started if needed.

    Only a project has one: outside a project (no configuration file) this refuses before any
    ``.safeshift/`` folder or server is made, since the command was most likely run in the wrong folder.
    """
    folder = state_dir(config)
    if folder is None:
        raise ConfigError(f"{NO_PROJECT}, so there is no development database to start: run `safeshift init` to "
                          "start a project, or give the database with --url or DATABASE_URL.")
    return engine_for(dialect_of(config)).development_url(folder)


def shadow_database(config: Config) -> contextlib.AbstractContextManager[str]:
    """A throwaway database of the project's dialect, dropped on exit, where SQL-file sources run.

    On the server most like the target's, so that what the catalog prints (view and function text) and
    what the SQL may use (extensions, ICU collations) match: ``shadow_url``'s server if configured, else
    the development environment's server if it has a URL, else the embedded server.
    """
    engine = engine_for(dialect_of(config))
    state = state_dir(config)
    if config.shadow_url is not None:
        return engine.scratch_database(expand_vars(config.shadow_url, "", what="shadow_url"), state)
    development = config.environments.get(DEFAULT_ENV)
    if development is not None and development.url and not development.protected:
        with contextlib.suppress(ConfigError):  # an unset variable: the embedded server stands in
            return engine.scratch_database(expand_vars(development.url, development.name), state)
    return engine.shadow_database(state)


def run_options(env: Environment, **overrides: Any) -> RunOptions:
    """The runner's options from an environment's settings, with command-line overrides on top."""
    from safeshift.runner import RunOptions

    values: dict[str, Any] = {
        "lock_wait_s": duration_ms(env.lock_wait) / 1000,
        "lock_timeout_ms": duration_ms(env.lock_timeout),
        "statement_timeout_ms": duration_ms(env.statement_timeout) if env.statement_timeout else None,
        "lock_tries": env.lock_tries,
        "retry_backoff_s": duration_ms(env.retry_backoff) / 1000,
        "backfill_batch_ms": env.backfill_batch_ms,
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return RunOptions(**values)


def settings_for(folder: str | Path, settings: FolderSettings | None) -> FolderSettings:
    """The folder's settings: a loaded Config's, else the configuration above ``folder`` (the Python API
    gets only a path) found now, once, and handed to every reader of the folder."""
    return settings if settings is not None else folder_settings(Path(folder))


def read_folder(path: Path, settings: FolderSettings) -> migrations.MigrationFolder:
    """The folder in its format: the configuration's ``format``, else detected (drizzle's journal)."""
    from safeshift.formats import drizzle, folder

    return folder.read(path, drizzle.resolve_format(path, settings), settings)


def history_of(url: str, dialect: str | None) -> Callable[[migrations.MigrationFolder], Mapping[str, Record]]:
    """The history rows of ``url`` for a folder, read without changing anything; none when the database
    cannot be opened (a database that does not exist yet has applied nothing)."""
    from safeshift.errors import ConnectionFailed
    from safeshift.runner import Runner

    def read(found: migrations.MigrationFolder) -> Mapping[str, Record]:
        try:
            with Runner(dialect_for(url, dialect), url, found, read_only=True) as r:
                return r.records()
        except ConnectionFailed:
            return {}

    return read


def checked_folder(folder: str | Path, command: str, settings: FolderSettings,
                   history: Callable[[migrations.MigrationFolder], Mapping[str, Record]] | None = None
                   ) -> migrations.MigrationFolder:
    """The folder, read and checked against its sum file (``command`` names what to run after `rehash`).

    ``history``: the database's history rows, asked only when the sum check fails.  A file the
    database has applied is judged by the history first (exit 3: put the file back) and
    never by the sum file, whose advice (re-seal it with `rehash`) is wrong for it.
    """
    from safeshift import schedule

    path = Path(folder)
    if not path.is_dir():
        raise no_folder(path, settings, history)
    result = read_folder(path, settings)
    if result.migrations:
        from safeshift.formats import folder as formats

        try:
            formats.of(result).check_sealed(result, command)
        except MigrationsError:
            if history is not None:
                schedule.check_applied(result, history(result))
            raise
    return result


def no_folder(path: Path, settings: FolderSettings,
              history: Callable[[migrations.MigrationFolder], Mapping[str, Record]] | None,
              database: str = "the database") -> MigrationsError:
    """The refusal for a migrations folder that is not there (``history``: the database's rows, if known)."""
    return no_folder_error(path, applied_count(path, settings, history) if history is not None else 0, database)


def no_folder_error(path: Path, applied: int, database: str = "the database") -> MigrationsError:
    """When the database has applied migrations the folder is not missing but elsewhere (a wrong
    `migrations` key, a command run from another folder), and "run generate first" would have the user
    write a new initial migration recreating everything it holds; so the refusal says how many it applied."""
    if applied:
        return MigrationsError(
            f"There is no migrations folder at {path}, but {database} has {applied} applied migration(s): the "
            "folder is not where the configuration points; point `migrations` in the configuration at the folder "
            "that holds them (or run the command from the project's folder).")
    return MigrationsError(f"There is no migrations folder at {path}; run `safeshift generate` first.")


def applied_count(path: Path, settings: FolderSettings,
                  history: Callable[[migrations.MigrationFolder], Mapping[str, Record]]) -> int:
    """How many migrations the database's history records as applied, read for an empty folder at ``path``
    in the configured format (whose history table it names)."""
    from safeshift.formats import folder as formats

    return sum(1 for r in history(formats.empty(path, settings)).values() if r.status == "applied")


def active_database(config: Config) -> str | None:
    """The active environment's database URL if one is configured or already exists, starting and creating
    nothing (the development database only when it is there); None otherwise, or when its URL names an
    unset variable."""
    try:
        url = resolve_url(config)
    except ConfigError:
        return None
    if url is None and config.env_name == DEFAULT_ENV:
        state = state_dir(config)
        return engine_for(dialect_of(config)).existing_development_url(state) if state is not None else None
    return url


def runner(url: str, folder: str | Path, command: str, dialect: str | None, options: RunOptions | None,
           on_event: EventSink | None, *, read_only: bool = False, settings: FolderSettings | None = None) -> Runner:
    from safeshift.runner import Runner, RunOptions

    settings = settings_for(folder, settings)
    found = checked_folder(folder, command, settings, history_of(url, dialect))
    d = dialect_for(url, dialect)
    found, options = prepare_run(found, d, url, options or RunOptions(), settings, read_only=read_only)
    return Runner(d, url, found, options, on_event, read_only=read_only)


def prepare_run(found: migrations.MigrationFolder, d: Dialect, url: str, options: RunOptions,
                settings: FolderSettings, *, read_only: bool = False
                ) -> tuple[migrations.MigrationFolder, RunOptions]:
    """The folder and options a runner needs, as the folder's format says: every runner of a folder (migrate,
    rollback, rehearse, deploy) goes through here, so none applies a drizzle folder other than in one
    transaction, on a dialect that cannot run it, or rolls one back without its down SQL."""
    from safeshift.formats import folder as formats

    fmt = formats.of(found)
    fmt.check_dialect(d, url, found)
    if fmt.one_transaction and d.capabilities.transactional_ddl:  # MySQL commits each DDL statement anyway
        options = dataclasses.replace(options, atomic=True)
    if not read_only:
        found = fmt.with_down_sql(found, settings)
    return found, options


def status(url: str, folder: str | Path = "migrations", *, dialect: str | None = None,
           settings: FolderSettings | None = None) -> list[MigrationStatus]:
    """Each migration as applied, pending, failed, edited since applied, or missing from the folder
    (``settings``: as for ``migrate``)."""
    from safeshift.runner import Runner

    d = dialect_for(url, dialect)
    path = Path(folder)
    if not path.is_dir():
        raise no_folder(path, settings_for(path, settings), history_of(url, dialect))
    found = read_folder(path, settings_for(path, settings))
    from safeshift.formats import folder as formats

    formats.of(found).check_dialect(d, url, found)
    with Runner(d, url, found, read_only=True) as r:
        return r.status()

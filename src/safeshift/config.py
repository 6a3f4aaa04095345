"""Configuration: safeshift.toml / [tool.safeshift], environments, .env, URL redaction.

Everything a command needs to know about the project is resolved here once, into a
frozen ``Config``, so that the API never reads files or environment variables on its
own and every mistake in the configuration is reported with the file it came from.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, cast

from safeshift.errors import ConfigError
from safeshift.text import DURATION, display_path, redact_url

if TYPE_CHECKING:
    from safeshift.engines.base import IntrospectOptions

CONFIG_FILE = "safeshift.toml"
PYPROJECT_FILE = "pyproject.toml"
DEFAULT_ENV = "development"
ENV_VAR = "SAFESHIFT_ENV"
URL_VAR = "DATABASE_URL"

OnFailure = Literal["rollback", "restore", "stop"]
BackupVerify = Literal["check", "restore"]
_ON_FAILURE: tuple[OnFailure, ...] = ("rollback", "restore", "stop")
#: how the migrations folder is laid out: safeshift's own, or a drizzle-kit ``out`` folder
Format = Literal["safeshift", "drizzle"]
_FORMATS: tuple[Format, ...] = ("safeshift", "drizzle")
#: drizzle-orm's migrator defaults (``migrationsSchema`` / ``migrationsTable``)
DRIZZLE_SCHEMA = "drizzle"
DRIZZLE_TABLE = "__drizzle_migrations"

_VAR_REF = re.compile(r"\$\{(?P<name>[^}]*)\}")
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOML_LINE = re.compile(r"^(?P<msg>.*?)\s*\(at line (?P<line>\d+), column \d+\)$", re.DOTALL)


@dataclass(frozen=True)
class Environment:
    """One ``[environments.NAME]`` table: where a database is and how carefully to treat it."""

    name: str
    url: str | None = None
    confirm: bool = False
    #: None (not set): deploy takes a backup, other commands do not; true: a gate every command that
    #: changes the database honours; false: nobody takes one
    backup: bool | None = None
    lock_timeout: str = "5s"
    statement_timeout: str | None = None
    #: attempts of a step whose lock wait hit lock_timeout, and the first pause between them
    lock_tries: int = 3
    retry_backoff: str = "1s"
    #: how long a runner waits for another runner on the same database
    lock_wait: str = "60s"
    on_failure: OnFailure = "rollback"
    health: str | None = None
    require_rehearsal: bool = False
    #: how many complete backups ``safeshift backup`` keeps in the environment's folder; None keeps all
    keep: int | None = None
    #: what each batch of an expand backfill aims to take, in ms (a writer waits about this long at most)
    backfill_batch_ms: int = 20
    #: how this environment's backups are verified: "check" (pg_restore --list / PRAGMA integrity_check) or
    #: "restore" (restored into a scratch database and compared table by table, as `backup --verify-restore`)
    backup_verify: BackupVerify = "check"

    @classmethod
    def default(cls, name: str) -> Environment:
        """An environment nobody configured: production asks before it acts, others do not."""
        return cls(name=name, confirm=name == "production")

    @property
    def gates(self) -> tuple[str, ...]:
        """What must happen before anything changes this database, whichever command changes it:
        ``backup`` (set to true in the file) and ``require_rehearsal``."""
        named = ("backup" if self.backup is True else None,
                 "require_rehearsal" if self.require_rehearsal else None)
        return tuple(g for g in named if g is not None)

    @property
    def protected(self) -> bool:
        """Whether reaching this database as another environment would skip something: its typed
        confirmation or its gates."""
        return self.confirm or bool(self.gates)


@dataclass(frozen=True)
class Config:
    root: Path
    config_file: Path | None
    schema: str | None
    migrations_dir: Path
    dialect: str
    environments: Mapping[str, Environment] = field(default_factory=lambda: MappingProxyType({}))
    env_name: str = DEFAULT_ENV
    #: the ``--url`` flag; wins over everything in the file and the environment
    url_override: str | None = None
    #: the ``backups`` key: the folder holding ``<env>/`` backup folders, relative to ``root``
    backups: str = ".safeshift/backups"
    #: the ``format`` key; None: detected from the folder (``meta/_journal.json`` means drizzle)
    format: Format | None = None
    #: ``[drizzle] migrations_schema`` / ``migrations_table``: where drizzle's migrator records what it applied
    drizzle_schema: str = DRIZZLE_SCHEMA
    drizzle_table: str = DRIZZLE_TABLE
    #: the ``shadow_url`` key as written (``${VARS}`` expanded when used): where SQL-file sources are run
    shadow_url: str | None = None
    #: the ``objects`` key: modules whose module-level alembic_utils entities join a SQLAlchemy schema
    objects: tuple[str, ...] = ()
    #: the ``privileges`` key: GRANTs are read from every source and database, diffed and verified
    privileges: bool = False
    #: the ``ignore`` key: patterns of objects left out of every comparison (``safeshift.ignore``)
    ignore: tuple[str, ...] = ()

    def environment(self) -> Environment:
        """The active environment (development exists even when the file does not define it)."""
        env = self.environments.get(self.env_name)
        return env if env is not None else Environment.default(self.env_name)

    def backups_for(self, env_name: str) -> Path:
        """Where ``env_name``'s backups go: ``<backups>/<env>/`` (``backups`` is relative to ``root``)."""
        return self.root / Path(self.backups).expanduser() / env_name

    @property
    def backups_dir(self) -> Path:
        """Where the active environment's backups go."""
        return self.backups_for(self.env_name)

    @property
    def declared_dialect(self) -> str | None:
        """The dialect a database URL must be of: the configuration's; None without a configuration
        file, where each URL names its own (``dialect`` is then only the embedded default's)."""
        return self.dialect if self.config_file is not None else None

    @property
    def folder_settings(self) -> FolderSettings:
        """The migrations folder's settings as loaded here, so that the folder's readers need not parse
        the configuration again (``folder_settings(folder)`` is for callers that hold only a path)."""
        return FolderSettings(self.format, self.drizzle_schema, self.drizzle_table, self.root, self.privileges,
                              self.ignore)

    @property
    def introspect_options(self) -> IntrospectOptions:
        """What every reader of a database (live, shadow, rehearsal copy) reads for this project."""
        from safeshift.engines.base import IntrospectOptions

        return IntrospectOptions(privileges=self.privileges, ignore=self.ignore)

    @property
    def config_name(self) -> str:
        """How messages name the configuration: the file's name, or safeshift.toml if there is none."""
        return self.config_file.name if self.config_file else CONFIG_FILE


# -- finding and parsing the file -----------------------------------------------------------

def _parse_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot read {display_path(path)}: {exc.strerror}; check the file's permissions.") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_LINE.match(str(exc))
        where = f"{display_path(path)} line {m['line']}" if m else display_path(path)
        msg = m["msg"] if m else str(exc)
        raise ConfigError(f"{where}: {msg}; fix the file and try again.") from exc


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest configuration from ``start`` upwards, with its safeshift table.

    In each folder ``safeshift.toml`` wins over ``pyproject.toml``; a pyproject.toml
    without a ``[tool.safeshift]`` table is not a configuration and the search goes on.
    """
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate, _parse_toml(candidate)
        candidate = folder / PYPROJECT_FILE
        if candidate.is_file():
            tool = _parse_toml(candidate).get("tool")
            table = tool.get("safeshift") if isinstance(tool, dict) else None
            if isinstance(table, dict):
                return candidate, table
    return None


def _where(path: Path, table: str | None = None) -> str:
    base = display_path(path)
    if path.name == PYPROJECT_FILE:
        inner = "tool.safeshift" + (f".{table}" if table else "")
        return f"[{inner}] in {base}"
    return f"[{table}] in {base}" if table else base


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"expected one of: {', '.join(sorted(allowed))}."
            raise ConfigError(f"Unknown key '{key}' in {where}; {hint}")


def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, what: str) -> Any:
    if key not in data:
        return None
    value = data[key]
    # bool is an int in Python; a string key must not accept true, nor a bool key 1
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ConfigError(f"'{key}' in {where} must be {what}, not {value!r}.")
    return value


_TOP_KEYS = ("schema", "migrations", "dialect", "environments", "backups", "format", "drizzle", "shadow_url",
             "objects", "privileges", "ignore")
_DRIZZLE_KEYS = ("migrations_schema", "migrations_table")
_ENV_KEYS = ("url", "confirm", "backup", "lock_timeout", "statement_timeout", "lock_tries", "retry_backoff",
             "lock_wait", "on_failure", "health",
             "require_rehearsal", "keep", "backfill_batch_ms", "backup_verify")


def _duration(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value: str | None = _get(data, key, str, where, 'a duration such as "5s" or "500ms"')
    if value is not None and not DURATION.fullmatch(value.strip()):
        raise ConfigError(f"'{key}' in {where} must be a duration such as \"5s\" or \"500ms\", not {value!r}.")
    return value.strip() if value is not None else None


def _environment(name: str, data: Any, path: Path) -> Environment:
    where = _where(path, f"environments.{name}")
    if not isinstance(data, dict):
        raise ConfigError(f"'{name}' in {_where(path, 'environments')} must be a table ([environments.{name}]).")
    _check_keys(data, _ENV_KEYS, where)
    env = Environment.default(name)
    on_failure = _get(data, "on_failure", str, where, '"rollback", "restore" or "stop"')
    if on_failure is not None and on_failure not in _ON_FAILURE:
        raise ConfigError(f"'on_failure' in {where} must be \"rollback\", \"restore\" or \"stop\", not {on_failure!r}.")
    url = _get(data, "url", str, where, "a string")
    confirm = _get(data, "confirm", bool, where, "true or false")
    backup = _get(data, "backup", bool, where, "true or false")
    rehearse = _get(data, "require_rehearsal", bool, where, "true or false")
    lock_timeout = _duration(data, "lock_timeout", where)
    tries = _get(data, "lock_tries", int, where, "a whole number of attempts (at least 1)")
    if tries is not None and (isinstance(tries, bool) or tries < 1):
        raise ConfigError(f"'lock_tries' in {where} must be a whole number of attempts (at least 1), not {tries!r}.")
    keep = _get(data, "keep", int, where, "a whole number (at least 1)")
    if keep is not None and keep < 1:
        raise ConfigError(f"'keep' in {where} must be a whole number (at least 1), not {keep!r}.")
    batch_ms = _get(data, "backfill_batch_ms", int, where, "a whole number of milliseconds (1 to 10000)")
    if batch_ms is not None and (isinstance(batch_ms, bool) or not 1 <= batch_ms <= 10_000):
        raise ConfigError(f"'backfill_batch_ms' in {where} must be a whole number of milliseconds from 1 to 10000, "
                          f"not {batch_ms!r}.")
    verify = _get(data, "backup_verify", str, where, '"check" or "restore"')
    if verify is not None and verify not in ("check", "restore"):
        raise ConfigError(f"'backup_verify' in {where} must be \"check\" (the dump tool's check) or \"restore\" "
                          f"(restore into a scratch database and compare), not {verify!r}.")
    return Environment(
        name=name,
        url=url,
        confirm=env.confirm if confirm is None else confirm,
        backup=env.backup if backup is None else backup,
        lock_timeout=lock_timeout or env.lock_timeout,
        statement_timeout=_duration(data, "statement_timeout", where),
        lock_tries=tries or env.lock_tries,
        retry_backoff=_duration(data, "retry_backoff", where) or env.retry_backoff,
        lock_wait=_duration(data, "lock_wait", where) or env.lock_wait,
        on_failure=cast(OnFailure, on_failure or env.on_failure),
        health=_get(data, "health", str, where, "a shell command (a string)"),
        require_rehearsal=bool(rehearse),
        keep=keep,
        backfill_batch_ms=batch_ms or env.backfill_batch_ms,
        backup_verify=cast(BackupVerify, verify or env.backup_verify),
    )


def _distinct_urls(environments: Mapping[str, Environment], path: Path) -> None:
    """Two environments with the same url text are one database under two names: a command run as the
    unprotected one (``migrate --env staging``) would change the other without its confirmation or gates."""
    seen: dict[str, str] = {}
    for env in environments.values():
        if env.url is None:
            continue
        text = env.url.strip()
        if text in seen:
            first, second = seen[text], env.name
            other = first if second == "production" else second
            var = re.sub(r"[^A-Z0-9_]", "_", other.upper()) + "_DATABASE_URL"
            raise ConfigError(
                f"Environments '{first}' and '{second}' in {display_path(path)} both have url = "
                f"{_toml_str(redact_url(text))}, so they are one database under two names; give each its own, "
                f"e.g. url = \"${{{var}}}\" for {other}.")
        seen[text] = env.name


def _dialect_name(value: str, where: str) -> str:
    from safeshift.dialects import canonical_name  # the name alone: importing the dialect costs ~0.1 s

    try:
        return canonical_name(value)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc.message}") from exc


def load_dotenv_file(root: Path) -> None:
    """Load ``root/.env`` into the process environment; variables already set win."""
    path = root / ".env"
    if path.is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def load_config(start: Path | None = None, *, env: str | None = None, url_override: str | None = None) -> Config:
    """Find and validate the project's configuration; defaults apply when there is none."""
    start = (start or Path.cwd()).resolve()
    found = find_config(start)
    if found is None:
        root = start
        load_dotenv_file(root)
        name = env or os.environ.get(ENV_VAR) or DEFAULT_ENV
        if name != DEFAULT_ENV:
            raise ConfigError(
                f"Unknown environment '{name}' (there is no {CONFIG_FILE} here or in any parent folder); "
                "run `safeshift init` or define the environment."
            )
        return Config(root=root, config_file=None, schema=None, migrations_dir=root / "migrations",
                      dialect="postgresql", env_name=name, url_override=url_override)

    path, data = found
    root = path.parent
    where = _where(path)
    _check_keys(data, _TOP_KEYS, where)
    schema = _get(data, "schema", str, where, 'a string ("package.module:attr" or a glob of .sql files)')
    migrations = _get(data, "migrations", str, where, "a folder path (a string)") or "migrations"
    dialect = _dialect_name(_get(data, "dialect", str, where, '"postgresql" or "sqlite"') or "postgresql", where)
    raw_envs = _get(data, "environments", dict, where, "a table of [environments.NAME] tables") or {}
    shadow_url = _get(data, "shadow_url", str, where, "a database URL (a string)")
    objects = _objects(data, where)
    backups = _get(data, "backups", str, where, "a folder path (a string)")
    if backups is not None and not backups.strip():
        raise ConfigError(f"'backups' in {where} must be a folder path, not an empty string.")
    environments = {n: _environment(n, t, path) for n, t in raw_envs.items()}
    _distinct_urls(environments, path)
    folder = _folder_keys(data, path)

    load_dotenv_file(root)
    name = env or os.environ.get(ENV_VAR) or DEFAULT_ENV
    if name not in environments and name != DEFAULT_ENV:
        defined = ", ".join(sorted({DEFAULT_ENV, *environments}))
        raise ConfigError(f"Unknown environment '{name}' ({path.name} defines: {defined}).")
    return Config(
        root=root,
        config_file=path,
        schema=schema,
        migrations_dir=(root / migrations).resolve(),
        dialect=dialect,
        environments=MappingProxyType(environments),
        env_name=name,
        url_override=url_override,
        backups=backups.strip() if backups else ".safeshift/backups",
        format=folder.format,
        drizzle_schema=folder.drizzle_schema,
        drizzle_table=folder.drizzle_table,
        shadow_url=shadow_url.strip() if shadow_url and shadow_url.strip() else None,
        objects=objects,
        privileges=folder.privileges,
        ignore=folder.ignore,
    )


def _objects(data: Mapping[str, Any], where: str) -> tuple[str, ...]:
    """The ``objects`` key: module paths ("myapp.db.entities"), checked here so a typo is a configuration
    error before anything is imported."""
    what = 'a list of module paths, such as ["myapp.db.entities"]'
    value = _get(data, "objects", list, where, what)
    if value is None:
        return ()
    if not all(isinstance(v, str) and v.strip() and ":" not in v for v in value):
        raise ConfigError(f"'objects' in {where} must be {what}, not {value!r}.")
    return tuple(v.strip() for v in value)


# -- the migrations folder's format ------------------------------------------------------------

@dataclass(frozen=True)
class FolderSettings:
    """How a migrations folder is read and where its history lives: ``format`` and ``[drizzle]``.

    ``root`` is the project folder (where ``.safeshift/`` is); None when no configuration owns
    the folder.
    """

    format: Format | None = None
    drizzle_schema: str = DRIZZLE_SCHEMA
    drizzle_table: str = DRIZZLE_TABLE
    root: Path | None = None
    #: the ``privileges`` key: the folder's snapshots record privileges, and verify compares them
    privileges: bool = False
    #: the ``ignore`` key: patterns of objects verify and rehearse leave out, like every comparison
    ignore: tuple[str, ...] = ()

    @property
    def introspect_options(self) -> IntrospectOptions:
        """What verify and rehearse read from a database of this folder (``Config.introspect_options``)."""
        from safeshift.engines.base import IntrospectOptions

        return IntrospectOptions(privileges=self.privileges, ignore=self.ignore)


def _folder_keys(data: Mapping[str, Any], path: Path) -> FolderSettings:
    where = _where(path)
    fmt = _get(data, "format", str, where, '"safeshift" or "drizzle"')
    if fmt is not None and fmt not in _FORMATS:
        raise ConfigError(f"'format' in {where} must be \"safeshift\" or \"drizzle\", not {fmt!r}.")
    table = _get(data, "drizzle", dict, where, "a table ([drizzle] with migrations_schema, migrations_table)") or {}
    inner = _where(path, "drizzle")
    _check_keys(table, _DRIZZLE_KEYS, inner)
    names: dict[str, str] = {}
    for key, default in (("migrations_schema", DRIZZLE_SCHEMA), ("migrations_table", DRIZZLE_TABLE)):
        value = _get(table, key, str, inner, "a name (a string)")
        if value is not None and not value.strip():
            raise ConfigError(f"'{key}' in {inner} must be a name, not an empty string.")
        names[key] = value or default
    privileges = _get(data, "privileges", bool, where, "true or false")
    return FolderSettings(cast("Format | None", fmt), names["migrations_schema"], names["migrations_table"],
                          privileges=bool(privileges), ignore=_ignore(data, where))


def _ignore(data: Mapping[str, Any], where: str) -> tuple[str, ...]:
    """The ``ignore`` key: patterns checked here, so a typo is a configuration error, not an object compared."""
    from safeshift.ignore import pattern_problem

    what = 'a list of patterns, such as ["tmp_*", "audit.*_2023", "auth.*"]'
    value = _get(data, "ignore", list, where, what)
    if value is None:
        return ()
    for v in value:
        if not isinstance(v, str):
            raise ConfigError(f"'ignore' in {where} must be {what}, not {value!r}.")
        problem = pattern_problem(v)
        if problem is not None:
            raise ConfigError(f"'ignore' in {where}: {v!r} is not a pattern; {problem}.")
    return tuple(value)


def folder_settings(folder: Path) -> FolderSettings:
    """The ``format`` and ``[drizzle]`` settings of the configuration whose ``migrations`` is ``folder``.

    The Python API and the runner get only a folder path; this finds the project
    configuration above it, so ``format = "drizzle"`` holds however the folder is reached.  A
    configuration that does not parse, or names another folder, is not this folder's: defaults.
    """
    folder = Path(folder).resolve()
    try:
        found = find_config(folder)
    except ConfigError:
        return FolderSettings()
    if found is None:
        return FolderSettings()
    path, data = found
    migrations = data.get("migrations", "migrations")
    if not isinstance(migrations, str) or (path.parent / migrations).resolve() != folder:
        return FolderSettings()
    return replace(_folder_keys(data, path), root=path.parent)


# -- database URL ---------------------------------------------------------------------------

def expand_vars(text: str, env_name: str, *, what: str | None = None) -> str:
    """Expand ``${VAR}`` references only; a bare ``$`` (common in passwords) is left alone.

    ``what`` names the setting in messages (default: the url of environment ``env_name``)."""
    label = what or f"The url of environment '{env_name}'"

    def sub(m: re.Match[str]) -> str:
        var = m["name"]
        if not _VAR_NAME.fullmatch(var):
            raise ConfigError(f"{label} has an invalid reference ${{{var}}}; "
                              "use ${NAME} with letters, digits and underscores.")
        value = os.environ.get(var)
        if value is None:
            raise ConfigError(f"{label} uses ${{{var}}}, which is not set; export it or add it to .env.")
        return value

    return _VAR_REF.sub(sub, text)


def resolve_url(config: Config) -> str | None:
    """The database URL: --url, else the environment's url, else DATABASE_URL; None if none."""
    if config.url_override:
        return config.url_override
    load_dotenv_file(config.root)
    env = config.environment()
    if env.url:
        return expand_vars(env.url, env.name)
    return os.environ.get(URL_VAR) or None


def environment_url(env: Environment) -> str | None:
    """``env``'s own url with its variables expanded; None when it has none or a variable is unset
    (such an environment's database cannot be the one a command is about to change)."""
    if not env.url:
        return None
    try:
        return expand_vars(env.url, env.name)
    except ConfigError:
        return None


def missing_url_error(config: Config) -> ConfigError:
    return ConfigError(
        f"{URL_VAR} is not defined (and environment '{config.env_name}' has no url in {config.config_name})."
    )


# -- safeshift init ------------------------------------------------------------------------

def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c >= " " else f"\\u{ord(c):04x}" for c in escaped) + '"'


def write_default_config(folder: Path, *, schema: str, dialect: str) -> Path:
    """Write a commented safeshift.toml for ``safeshift init``; never overwrite one."""
    path = folder / CONFIG_FILE
    if path.exists():
        raise ConfigError(f"{display_path(path)} already exists; edit it instead of running `safeshift init` again.")
    dialect = _dialect_name(dialect, "safeshift init")
    text = f"""\
# safeshift configuration: https://github.com/safeshift/safeshift
#
# schema: where the desired schema lives, either "package.module:attr" (SQLAlchemy
#         MetaData or declarative Base) or a glob of .sql files such as "schema/*.sql".
schema = {_toml_str(schema)}
# migrations: the folder of migration files, relative to this file.
migrations = "migrations"
# dialect: "postgresql" or "sqlite".
dialect = {_toml_str(dialect)}
# backups: the folder for `safeshift backup` (each environment gets <backups>/<env>/).
# backups = ".safeshift/backups"
# shadow_url: a server like production's where .sql schema files (and SQLAlchemy DDL listeners) are run
# to be read (default: the development environment's server when it has a url, else the local embedded server).
# shadow_url = "${{SHADOW_DATABASE_URL}}"
# privileges: compare GRANTs on tables, views, sequences, functions and schemas (PostgreSQL; .sql sources).
# privileges = true
# objects: with SQLAlchemy models, modules whose module-level alembic_utils entities (PGFunction,
# PGTrigger, PGPolicy, PGView, ...) belong to the schema; read on the shadow server too.
# objects = ["myapp.db.entities"]

# Environments: pick one with --env NAME or SAFESHIFT_ENV (default: development).
# url may reference ${{VARIABLES}}; a .env file next to this one is loaded first.
# Other keys: confirm, backup, lock_timeout, statement_timeout, lock_tries, retry_backoff, lock_wait, on_failure
# ("rollback", "restore" or "stop"), health (a smoke-test command), require_rehearsal, keep (how many
# complete backups `safeshift backup` keeps for the environment; default: all), backfill_batch_ms (how
# long each batch of an expand backfill aims to take, in milliseconds; default: 20), backup_verify
# ("restore": each backup is restored into a scratch database and compared; default: "check").

# Each environment reads its own variable: two environments must never share a source.
# Before migrate, rollback, deploy, restore --env or rehearse --env changes a database, safeshift asks
# the server which database it is and refuses one that belongs to a protected environment other
# than the active one (confirm = true, backup = true or require_rehearsal = true).

[environments.development]
# No url: safeshift uses a local database under .safeshift/ (or DATABASE_URL if set).

[environments.staging]
url = "${{STAGING_DATABASE_URL}}"

[environments.production]
url = "${{DATABASE_URL}}"
confirm = true
backup = true
lock_timeout = "5s"
on_failure = "rollback"
# keep = 10
"""
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path

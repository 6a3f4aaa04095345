"""Which environment a database belongs to, asked of the server, and the gates an environment sets.

A URL names a route, not a database: ``localhost`` and ``127.0.0.1``, another parameter order,
``?sslmode=prefer`` or a symlinked SQLite path all reach the same database under different text.
So before a command changes a database, its identity (``Dialect.database_identity``: the
PostgreSQL server and database, the SQLite file) is compared with that of every protected
environment (``confirm``, ``backup`` or ``require_rehearsal`` set) other than the active one; a
match is refused, because changing it as another environment would skip that environment's
confirmation and gates.

Gates belong to the environment, not to the command: ``migrate`` and ``rollback`` honour an
environment's ``require_rehearsal`` and ``backup`` as ``deploy`` does, unless ``--skip-gates
REASON`` lets them through, which is printed and kept in the history row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from safeshift.config import Config, Environment, environment_url
from safeshift.engines.base import engine_for
from safeshift.errors import ConfigError, GateRefused, SafeshiftError
from safeshift.text import redact_url

if TYPE_CHECKING:
    from safeshift.dialects import Dialect
    from safeshift.sections import Migration


def owner(config: Config, url: str, dialect: Dialect) -> Environment | None:
    """The protected environment, other than the active one, whose database ``url`` is; else None.

    Environments whose url has an unset variable, is of another dialect or cannot be reached are
    skipped: they cannot be the database this command is about to change.  Identical URL text
    needs no connection; otherwise both ends are asked who they are (read-only: a SQLite file that
    is not there is not created).
    """
    from safeshift.dialects import name_for_url

    others = [env for env in config.environments.values() if env.protected and env.name != config.env_name]
    target: tuple[object, ...] | None = None
    asked = False
    for env in others:
        theirs = environment_url(env)
        if theirs is None:
            continue
        if theirs.strip() == url.strip():
            return env
        try:
            if name_for_url(theirs) != dialect.name:
                continue
        except ConfigError:
            if "://" in theirs:
                continue  # a scheme no dialect knows: no database of this kind
            # libpq's "host=... dbname=..." names no scheme: it takes the project's dialect, as commands do
        if not asked:
            target, asked = identity(dialect, url), True
            if target is None:
                return None
        if identity(dialect, theirs) == target:
            return env
    return None


def identity(dialect: Dialect, url: str) -> tuple[object, ...] | None:
    """``Dialect.database_identity`` of the database at ``url``; None when it cannot be reached."""
    try:
        conn = engine_for(dialect).connect(url, create=False)
    except SafeshiftError:
        return None
    try:
        return engine_for(dialect).database_identity(conn)
    except Exception:  # a server that answers but not this question: it cannot be compared
        return None
    finally:
        with contextlib.suppress(Exception):  # closing a connection that failed is best effort
            conn.close()


def check_target(config: Config, url: str, dialect: Dialect) -> None:
    """Refuse to change ``url`` when it is another protected environment's database."""
    env = owner(config, url, dialect)
    if env is None:
        return
    raise ConfigError(
        f"{redact_url(url)} is the database of environment '{env.name}' ({_why(env)}), but the active "
        f"environment is '{config.env_name}'; pass --env {env.name}.")


def _why(env: Environment) -> str:
    what = (["confirm = true"] if env.confirm else []) + [f"{g} = true" for g in env.gates]
    return ", ".join(what)


def skipped_note(gates: Sequence[str], reason: str) -> str:
    """What ``--skip-gates REASON`` let through, as printed and kept in the history row."""
    return f"gates skipped: {', '.join(gates)} (reason: {reason.strip()})"


def check_skip_reason(reason: str | None) -> None:
    if reason is not None and not reason.strip():
        raise ConfigError('--skip-gates needs a reason, e.g. --skip-gates "hotfix for incident 42"; it is printed '
                          "and kept in the history.")


def require_rehearsal(config: Config, todo: Sequence[Migration], command: str) -> None:
    """The environment's ``require_rehearsal`` gate for ``migrate`` and ``rollback``: a passed rehearsal of
    exactly these files (rehearsals run every down section too), found as deploy finds it."""
    from safeshift import rehearse
    from safeshift.formats import safeshift as migrations

    env = config.environment()
    if not env.require_rehearsal or not todo:
        return
    if rehearse.find_evidence(config.root, {m.version: migrations.checksum(m) for m in todo}) is not None:
        return
    if command == "rollback":
        raise GateRefused(
            f"Environment '{env.name}' requires a passed rehearsal (require_rehearsal = true) of the migrations to "
            "roll back, whose down sections every rehearsal runs, and none was found in .safeshift/rehearsals/; "
            'pass --skip-gates "REASON" to roll back without one.')
    raise GateRefused(
        f"Environment '{env.name}' requires a passed rehearsal of these exact migrations (require_rehearsal = true) "
        f"and none was found; run `safeshift rehearse --scratch --from {env.name}` first, or pass "
        '--skip-gates "REASON".')

"""What every command shares: the flags that name a database, loading the configuration, naming the
database in messages, and turning errors into one sentence and an exit code.

Kept apart from the commands so each command module holds only its own flags and output; nothing
here decides anything (the API does).  Every SafeshiftError becomes one redacted sentence on stderr
and its exit code; no traceback for anything the user can cause.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from safeshift import api
from safeshift.config import Config, load_config, resolve_url
from safeshift.errors import ConfigError, SafeshiftError
from safeshift.terminal import err, escape, warm
from safeshift.text import redact_url

F = TypeVar("F", bound=Callable[..., Any])


def plain_output(fn: F) -> F:
    """Mark a command that prints only plain text (``say``), so ``handle_errors`` does not import rich for it
    in the background: the drift check's time budget (issue 20) has no room for a library it never uses.
    An error still goes through rich's console, which imports it then."""
    fn._plain_output = True  # type: ignore[attr-defined]
    return fn


def say(text: str) -> None:
    """One line of plain text on stdout, as written (no markup, no wrapping, nothing to escape)."""
    sys.stdout.write(text + "\n")


def handle_errors(fn: F) -> F:
    plain = getattr(fn, "_plain_output", False)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from safeshift import interrupts

        # first: SIGTERM (CI cancelling a job, `kill`) takes Ctrl-C's careful path, and neither is lost in a
        # callback of the imports from here on (rich's in the background, the command's own)
        interrupts.install()
        if not plain:
            warm()
        try:
            return fn(*args, **kwargs)
        except SafeshiftError as exc:
            if os.environ.get("SAFESHIFT_DEBUG") and exc.__cause__ is not None:
                _print_cause(exc.__cause__)
            # escaped: "[environments.production]" in a message is text, not rich markup
            err.print(f"[red]error:[/] {escape(redact_url(exc.message))}", markup=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Exit:
            raise
        except (click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug in safeshift, not the user's doing: short message, no traceback
            if os.environ.get("SAFESHIFT_DEBUG"):
                raise
            err.print(f"[red]internal error:[/] {type(exc).__name__}: {escape(redact_url(str(exc)))}; this is a safeshift "
                      "bug: please report it (set SAFESHIFT_DEBUG=1 to see the traceback).", markup=True)
            sys.exit(70)
        except KeyboardInterrupt:
            err.print("interrupted; nothing further was changed.")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _print_cause(cause: BaseException) -> None:
    """With SAFESHIFT_DEBUG set, the traceback of what caused an error (the user's module raising on
    import, a driver's exception), redacted, above the one-sentence message."""
    import traceback

    sys.stderr.write(redact_url("".join(traceback.format_exception(cause))))


def env_options(fn: F) -> F:
    fn = click.option("--url", "url", metavar="URL", help="Database URL; overrides the environment's.")(fn)
    fn = click.option("--env", "env", metavar="NAME", help="Environment from safeshift.toml (default: "
                      "$SAFESHIFT_ENV, else development).")(fn)
    return fn


def skip_gates_option(fn: F) -> F:
    return click.option(
        "--skip-gates", "skip_gates", metavar="REASON",
        help="Change the database without the environment's gates (require_rehearsal, backup = true); the "
             "reason is printed and kept in the history.")(fn)


def runner_options(fn: F) -> F:
    fn = click.option("--lock-wait", "lock_wait", type=click.FloatRange(min=0), metavar="SECONDS",
                      help="How long to wait for another runner on the same database (default 60, or the "
                           "environment's lock_wait).")(fn)
    fn = click.option("--log-json", "log_json", is_flag=True,
                      help="Write one JSON object per event to stdout instead of text.")(fn)
    fn = click.option("--yes", "-y", "yes", is_flag=True,
                      help="Do not ask for the typed confirmation a protected environment needs.")(fn)
    return fn


def database_label(config: Config, url: str) -> str:
    """How messages name the database (``database_name``), escaped for rich's markup."""
    return escape(database_name(config, url))


def database_name(config: Config, url: str) -> str:
    """How messages name the database: the environment first (whose settings and gates apply, and which
    a person recognises before a URL), then the redacted URL or the embedded default database by name."""
    if resolve_url(config) is None:
        return f"{config.env_name} (embedded default database {api.dialect_of(config).database_name(url)})"
    return f"{config.env_name} ({redact_url(url)})"


def project_config(env: str | None = None, url: str | None = None) -> Config:
    if url is not None and not url.strip():
        # `--url "$PROD_URL"` with the variable unset must not fall back to another database
        raise ConfigError("--url is empty (an unset variable?); give the database URL, or leave --url out to use "
                          "the environment's.")
    return load_config(Path.cwd(), env=env, url_override=url)

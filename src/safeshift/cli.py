"""The command line: a thin layer over ``safeshift.api`` that parses flags and formats results.

Every SafeshiftError becomes one redacted sentence on stderr and its exit code; no
traceback for anything the user can cause.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from safeshift import __version__, api
from safeshift.config import Config, load_config, redact_url
from safeshift.errors import SafeshiftError

F = TypeVar("F", bound=Callable[..., Any])

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


class TerminalQuestioner:
    """Asks on the terminal whether a look-alike is a rename, like drizzle-kit's prompt."""

    def choose(self, kind: str, container: str, added: str, candidates: Sequence[str]) -> str | None:
        out.print(f"\n[bold]{kind.capitalize()} {added}[/] in {container} is new. Is it created, or renamed from:")
        out.print("  0) created (new, empty)")
        for i, c in enumerate(candidates, 1):
            out.print(f"  {i}) renamed from {c} (keeps its data)")
        choice = click.prompt("Answer", type=click.IntRange(0, len(candidates)), default=0)
        return None if choice == 0 else candidates[choice - 1]


def handle_errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SafeshiftError as exc:
            err.print(f"[red]error:[/] {redact_url(exc.message)}", markup=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Exit:
            raise
        except (click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug in safeshift, not the user's doing: short message, no traceback
            if os.environ.get("SAFESHIFT_DEBUG"):
                raise
            err.print(f"[red]internal error:[/] {type(exc).__name__}: {redact_url(str(exc))}; this is a safeshift "
                      "bug: please report it (set SAFESHIFT_DEBUG=1 to see the traceback).", markup=True)
            sys.exit(70)
        except KeyboardInterrupt:
            err.print("interrupted; nothing further was changed.")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def env_options(fn: F) -> F:
    fn = click.option("--url", "url", metavar="URL", help="Database URL; overrides the environment's.")(fn)
    fn = click.option("--env", "env", metavar="NAME", help="Environment from safeshift.toml (default: "
                      "$SAFESHIFT_ENV, else development).")(fn)
    return fn


def _config(env: str | None = None, url: str | None = None) -> Config:
    return load_config(Path.cwd(), env=env, url_override=url)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="safeshift")
def main() -> None:
    """safeshift: safe, fast, boring production schema changes."""


@main.command()
@click.option("--schema", default="models:metadata", show_default=True,
              help='"package.module:attr" naming SQLAlchemy metadata, or a glob of .sql files.')
@click.option("--dialect", default="postgresql", show_default=True, help="postgresql or sqlite.")
@handle_errors
def init(schema: str, dialect: str) -> None:
    """Write safeshift.toml and an empty migrations/ folder."""
    path = api.init(Path.cwd(), schema=schema, dialect=dialect)
    out.print(f"wrote {path.name} and migrations/; next: `safeshift generate --name initial`")


@main.command()
@click.option("--name", "name", help="What the migration does, e.g. add_user_email_verification.")
@click.option("--rename", "renames", multiple=True, metavar="OLD=NEW",
              help="Answer a rename up front: table old=new, or column table.old=new. Repeatable.")
@click.option("--no-rename", "no_renames", multiple=True, metavar="OLD",
              help="Say a dropped table or table.column is really dropped, not renamed. Repeatable.")
@click.option("--custom", is_flag=True, help="Write an empty migration for hand-written SQL.")
@click.option("--check", is_flag=True, help="Exit 1 if the schema source and the migrations disagree.")
@handle_errors
def generate(name: str | None, renames: tuple[str, ...], no_renames: tuple[str, ...], custom: bool,
             check: bool) -> None:
    """Diff the schema source against the last migration's snapshot and write the next migration."""
    config = _config()
    if check:
        api.check(config)
        out.print("schema source and migrations agree")
        return
    if not name:
        raise click.UsageError("--name is required (e.g. --name add_user_email_verification).")
    questioner = TerminalQuestioner() if _interactive() else None
    result = api.generate(config, name, renames=renames, no_renames=no_renames, questioner=questioner,
                          custom=custom)
    if result.path is None:
        out.print("no changes")
        return
    rel = _rel(result.path)
    if custom:
        out.print(f"wrote {rel} (empty: write your SQL in the up and down sections, then `safeshift rehash`)")
        return
    out.print(f"wrote {rel}: {result.created} created, {result.altered} altered, {result.dropped} dropped")
    for w in result.warnings:
        out.print(f"[yellow]warning: data loss:[/] {w}")


@main.command("diff")
@env_options
@click.option("--rename", "renames", multiple=True, metavar="OLD=NEW")
@click.option("--no-rename", "no_renames", multiple=True, metavar="OLD")
@handle_errors
def diff_cmd(env: str | None, url: str | None, renames: tuple[str, ...], no_renames: tuple[str, ...]) -> None:
    """Print the SQL that would bring a live database to the schema source."""
    config = _config(env, url)
    target_url = api.database_url(config)
    questioner = TerminalQuestioner() if _interactive() else None
    changes, sections = api.diff_database(config, target_url, renames=renames, no_renames=no_renames,
                                          questioner=questioner)
    if not changes:
        out.print("-- no changes")
        return
    for st in sections.up:
        if st.comment:
            for line in st.comment.splitlines():
                out.print(f"-- {line}")
        out.print(st.sql)


@main.command()
@handle_errors
def rehash() -> None:
    """Re-seal migrations/safeshift.sum after reviewed hand edits."""
    path = api.rehash(_config())
    out.print(f"sealed {_rel(path)}")


@main.command()
@env_options
@handle_errors
def migrate(env: str | None, url: str | None) -> None:
    """Apply pending migrations, each in its own transaction, recording them in the history table."""
    config = _config(env, url)
    target, result = api.migrate_config(config)
    where = redact_url(target)
    if not result.applied:
        out.print(f"{where}: nothing to apply ({result.already} already applied)")
        return
    for a in result.applied:
        out.print(f"applied {a.version}_{a.name} in {a.duration_ms} ms")
    out.print(f"{where}: {len(result.applied)} applied, {result.already} were already applied")


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":  # pragma: no cover
    main()

"""Commands about the project itself: init (safeshift.toml and an empty folder) and the development
database (`dev url`, `dev stop`).

Neither touches the migrations or a deployed database: they set up where a developer works, so they
stand apart from the commands that author or run migrations.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from safeshift import api
from safeshift.cli.common import handle_errors, project_config
from safeshift.terminal import err, escape, out
from safeshift.text import display_path, redact_url


@click.command()
@click.option("--schema", default="models:metadata", show_default=True,
              help='"package.module:attr" naming SQLAlchemy metadata, or a glob of .sql files.')
@click.option("--dialect", default="postgresql", show_default=True, help="postgresql or sqlite.")
@handle_errors
def init(schema: str, dialect: str) -> None:
    """Write safeshift.toml and an empty migrations/ folder."""
    path = api.init(Path.cwd(), schema=schema, dialect=dialect)
    out.print(f"wrote {path.name} and migrations/; next: `safeshift generate --name initial`")


@click.group("dev")
def dev() -> None:
    """The project's development database: its URL, and stopping its embedded server."""


@dev.command("url")
@handle_errors
def dev_url() -> None:
    """Print the development database's URL (starting the embedded server if needed).

    A URL with a password prints with *** in its place; the embedded database and SQLite
    files have none, so `DATABASE_URL=$(safeshift dev url)` works for them.
    """
    url, source = api.dev_url(project_config("development", None))
    sys.stdout.write(redact_url(url) + "\n")
    if source == "DATABASE_URL":
        err.print("note: this is DATABASE_URL (the development environment has no url of its own); unset it to "
                  "use the embedded default database.", markup=False)
    if redact_url(url) != url:
        err.print("note: the password is shown as ***; the full URL is in "
                  + ("DATABASE_URL." if source == "DATABASE_URL" else "the development environment's url."),
                  markup=False)


@dev.command("stop")
@handle_errors
def dev_stop() -> None:
    """Stop this project's embedded PostgreSQL server (it starts again when a command needs it)."""
    folder, stopped = api.dev_stop(project_config("development", None))
    where = escape(display_path(folder))
    if stopped:
        out.print(f"stopped the embedded database server ({where}); its data stays there")
    else:
        out.print(f"no embedded database server is running for this project ({where})")

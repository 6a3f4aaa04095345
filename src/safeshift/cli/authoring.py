"""Commands that write the migrations folder: generate (and its live-database twin diff), rehash, drop.

They change files, not databases; each turns the API's result into a line or two (what was written,
what to do next).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from safeshift import api
from safeshift.cli.common import env_options, handle_errors, project_config
from safeshift.cli.prompts import TerminalQuestioner, interactive
from safeshift.terminal import err, escape, out
from safeshift.text import display_path

if TYPE_CHECKING:
    from safeshift.lint import Finding


@click.command()
@click.option("--name", "name", help="What the migration does, e.g. add_user_email_verification.")
@click.option("--rename", "renames", multiple=True, metavar="OLD=NEW",
              help="Answer a rename up front: table old=new, or column table.old=new. Repeatable.")
@click.option("--no-rename", "no_renames", multiple=True, metavar="OLD",
              help="Say a dropped table or table.column is really dropped, not renamed. Repeatable.")
@click.option("--custom", is_flag=True, help="Write an empty migration for hand-written SQL.")
@click.option("--check", is_flag=True, help="Exit 1 if the schema source and the migrations disagree.")
@click.option("--no-safe", "no_safe", is_flag=True,
              help="Write the plain form (no CONCURRENTLY, NOT VALID or split steps), e.g. for empty databases.")
@click.option("--expand", is_flag=True,
              help="Write the expand sequence for changes that have no lock-safe form instead of refusing them.")
@handle_errors
def generate(name: str | None, renames: tuple[str, ...], no_renames: tuple[str, ...], custom: bool,
             check: bool, no_safe: bool, expand: bool) -> None:
    """Diff the schema source against the last migration's snapshot and write the next migration."""
    config = project_config()
    if check:
        api.check(config)
        out.print("schema source and migrations agree")
        return
    if not name:
        raise click.UsageError("--name is required (e.g. --name add_user_email_verification).")
    questioner = TerminalQuestioner() if interactive() else None
    result = api.generate(config, name, renames=renames, no_renames=no_renames, questioner=questioner,
                          custom=custom, safe=not no_safe, expand=expand)
    if result.path is None:
        out.print("no changes")
        return
    rel = display_path(result.path)
    if custom:
        out.print(f"wrote {rel} (empty: write your SQL in the up and down sections, then `safeshift rehash`)")
        return
    out.print(f"wrote {rel}: {result.created} created, {result.altered} altered, {result.dropped} dropped")
    for w in result.warnings:
        out.print(f"[yellow]warning: data loss:[/] {w}")
    for note in result.notes:
        out.print(f"next: {note}")
    _hazards(result.findings, rel)


def _hazards(findings: Sequence[Finding], rel: str) -> None:
    """The written migration's errors and warnings, one line each, before anyone applies it; ``review`` says more."""
    shown = [f for f in findings if f.severity in ("error", "warning")]
    if not shown:
        return
    for f in shown:
        colour = "red" if f.severity == "error" else "yellow"
        out.print(f"[{colour}]{f.severity}:[/] {escape(f'[{f.rule}] {f.message}')}")
    errors = sum(f.severity == "error" for f in shown)
    gate = ("; `safeshift migrate` refuses it until each error is fixed or acknowledged"
            if errors else "")
    out.print(escape(f"review: {errors} error(s), {len(shown) - errors} warning(s){gate}: run `safeshift review "
                     f"{rel}` for the fixes and how to acknowledge them"))


@click.command("diff")
@env_options
@click.option("--rename", "renames", multiple=True, metavar="OLD=NEW")
@click.option("--no-rename", "no_renames", multiple=True, metavar="OLD")
@handle_errors
def diff_cmd(env: str | None, url: str | None, renames: tuple[str, ...], no_renames: tuple[str, ...]) -> None:
    """Print the SQL that would bring a live database to the schema source."""
    config = project_config(env, url)
    target_url = api.database_url(config)
    questioner = TerminalQuestioner() if interactive() else None
    changes, sections = api.diff_database(config, target_url, renames=renames, no_renames=no_renames,
                                          questioner=questioner, say_form=True)
    if not changes:
        out.print("-- no changes")
        return
    for st in sections.up:
        if st.comment:
            for line in st.comment.splitlines():
                out.print(f"-- {line}")
        out.print(st.sql)


@click.command()
@handle_errors
def rehash() -> None:
    """Re-seal migrations/safeshift.sum after reviewed hand edits."""
    path = api.rehash(project_config())
    out.print(f"sealed {display_path(path)}")


@click.command()
@click.argument("version")
@handle_errors
def drop(version: str) -> None:
    """Remove an unapplied migration: its file, its snapshot and its lines in safeshift.sum.

    Only the newest can go, and only if no environment's database has applied it.
    """
    config = project_config()
    result = api.drop(config, version)
    for note in result.notes:
        err.print(f"note: {escape(note)}")
    if result.checked:
        out.print(f"checked {escape(', '.join(result.checked))}: none has applied {version}")
    for path in result.removed:
        out.print(f"removed {escape(display_path(path))}")
    if result.sum_entries:
        out.print(f"re-sealed {escape(display_path(config.migrations_dir / 'safeshift.sum'))} without its "
                  f"{len(result.sum_entries)} line(s) of {version}")

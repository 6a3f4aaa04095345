"""Commands that adopt a database another tool built: baseline (the live schema becomes the first
migration, recorded as applied) and pull (the live schema becomes the SQL-file schema source).

They format what ``safeshift.baseline`` and ``safeshift.pull`` decide; both are imported inside the
commands so that loading the command tree stays cheap.
"""

from __future__ import annotations

import click

from safeshift import api
from safeshift.cli.common import database_label, env_options, handle_errors, project_config
from safeshift.cli.prompts import confirmer
from safeshift.terminal import err, escape, out
from safeshift.text import display_path


@click.command("baseline")
@env_options
@click.option("--from-database", "from_database", is_flag=True,
              help="Write the baseline from the database even where the schema source differs from it; the next "
                   "`safeshift generate` then holds those differences.")
@click.option("--yes", "-y", "yes", is_flag=True,
              help="Do not ask for the typed confirmation a protected environment needs.")
@handle_errors
def baseline_cmd(env: str | None, url: str | None, from_database: bool, yes: bool) -> None:
    """Write a live database's schema as the first migration and record it as applied there, without running it.

    When the folder's first migration is already a baseline, record that one on this database instead (it must
    hold exactly the baseline's schema)."""
    from safeshift import baseline

    config = project_config(env, url)
    target = api.database_url(config)
    try:
        result = baseline.baseline(config, target, from_database=from_database,
                                   confirm=confirmer(config, yes, "Record as applied"))
    except baseline.SourceDiffers as exc:
        for line in exc.statements:
            out.print(line, markup=False)
        raise
    where = database_label(config, target)
    if result.ignored:
        out.print(escape(result.ignored))
    for difference in result.source_differences:
        err.print(f"note: the schema source differs: {escape(difference)}")
    if result.written:
        out.print(f"wrote {escape(display_path(result.path))} ({result.objects} object(s)) and its snapshot")
        out.print(f"{where}: recorded {result.version} as applied, without running it")
    else:
        out.print(f"{where} holds the schema of {escape(display_path(result.path))}: recorded {result.version} as "
                  "applied, without running it; `safeshift migrate` applies the migrations after it")
    if result.source_differences:
        out.print(f"next: `safeshift generate --name ...` writes the {len(result.source_differences)} change(s) "
                  "the schema source holds")


@click.command("pull")
@env_options
@click.option("--force", is_flag=True, help="Replace SQL the schema files already hold.")
@handle_errors
def pull_cmd(env: str | None, url: str | None, force: bool) -> None:
    """Write a live database's schema as the SQL files `schema` names (for projects without models)."""
    from safeshift import pull

    config = project_config(env, url)
    target = api.database_url(config)
    result = pull.pull(config, target, force=force)
    if result.ignored:
        out.print(escape(result.ignored))
    for path in result.removed:
        out.print(f"removed {escape(display_path(path))}")
    out.print(f"wrote {escape(display_path(result.path))}: {result.objects} object(s) from "
              f"{database_label(config, target)}")

"""Commands that copy a database out and back: backup and restore.

`safeshift restore` must start fast and stay a thin wrapper around the restore tool
(tests/backup/test_restore_imports.py): nothing here imports the change model, the dialects' rendering,
SQLAlchemy or psycopg; the API loads what a restore needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from safeshift import api
from safeshift.cli.common import database_label, env_options, handle_errors, project_config
from safeshift.cli.prompts import restore_confirmer
from safeshift.terminal import ProgressDisplay, escape, out
from safeshift.text import display_path, redact_url


@click.command("backup")
@env_options
@click.option("--dir", "dest", type=click.Path(path_type=Path), metavar="FOLDER",
              help="Where to write it (default: <backups>/<env>/, backups = \".safeshift/backups\").")
@click.option("--jobs", "jobs", type=click.IntRange(min=1), default=1, metavar="N",
              help="PostgreSQL: pg_dump -Fd -j N, a directory dump written by N workers (large databases).")
@click.option("--verify-restore", "verify_restore", is_flag=True,
              help="Also restore it into a scratch database and compare every table with the source as dumped "
                   "(the default where the environment says backup_verify = \"restore\").")
@handle_errors
def backup_cmd(env: str | None, url: str | None, dest: Path | None, jobs: int, verify_restore: bool) -> None:
    """Dump the database (pg_dump of the server's version / SQLite backup API), verify it, write its manifest."""
    config = project_config(env, url)
    target = api.database_url(config)
    made = api.backup(config, target, dest, jobs=jobs, verify_restore=verify_restore or None,
                      progress=ProgressDisplay())
    for path in made.removed:
        out.print(f"removed {escape(display_path(path))}: an unfinished backup whose run was interrupted")
    for note in made.notes:
        out.print(f"note: {escape(note)}")
    m = made.manifest
    out.print(f"backed up {database_label(config, target)} to {escape(display_path(made.path))} ({m.size:,} bytes, sha256 "
              f"{m.sha256[:12]}, {m.duration_ms} ms, at migration {m.migrations_version or 'none'})")
    v = m.verification
    if v.get("kind") == "restore":
        out.print(f"verified: restored into a scratch database, {v['tables']} table(s) and {v['rows']:,} rows equal "
                  f"the source as dumped ({v['ms']} ms)")
    for path in made.pruned:
        out.print(f"removed old backup {escape(display_path(path))} (keep = {config.environment().keep})")


@click.command("restore")
@click.argument("backup_file", type=click.Path(path_type=Path))
@click.option("--into", "into", metavar="URL", help="A new, empty database to restore into (e.g. a scratch copy).")
@click.option("--env", "env", metavar="NAME",
              help="Restore over this environment's database, atomically, after you type its name.")
@click.option("--yes", "-y", "yes", is_flag=True, help="With --env: do not ask for the typed confirmation.")
@click.option("--no-backup", "no_backup", is_flag=True,
              help="With --env: do not take a safety backup of the current state first.")
@click.option("--jobs", "jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="With --into: pg_restore -j N workers (default: the CPUs, at most 4; on failure the target is "
                   "emptied again); 1 restores in one transaction.")
@handle_errors
def restore_cmd(backup_file: Path, into: str | None, env: str | None, yes: bool, no_backup: bool,
                jobs: int | None) -> None:
    """Restore a backup into an empty database, or over an environment's, after checking its sha256."""
    if (into is None) == (env is None):
        raise click.UsageError("Give exactly one of --into URL (a new, empty database) or --env NAME (restore over "
                               "that environment's database).")
    if into is None and jobs is not None and jobs > 1:
        raise click.UsageError("--jobs applies to --into only: restoring over an environment runs in one transaction.")
    if into is not None:
        m = api.restore(project_config(None, None), backup_file, into, jobs=jobs, progress=ProgressDisplay())
        out.print(f"restored {escape(display_path(backup_file))} (taken {m.created_at} at migration "
                  f"{m.migrations_version or 'none'}) into {escape(redact_url(into))}")
        return
    config = project_config(env, None)
    target = api.database_url(config)

    def safety_taken(made: Any) -> None:
        out.print(f"safety backup of the current state: {escape(display_path(made.path))}")

    result = api.restore_over(config, backup_file, confirm=restore_confirmer(config, yes),
                              safety_backup=not no_backup, on_safety_backup=safety_taken,
                              progress=ProgressDisplay())
    m = result.manifest
    out.print(f"restored {escape(display_path(backup_file))} (taken {m.created_at} at migration "
              f"{m.migrations_version or 'none'}) over {database_label(config, target)} in {result.duration_ms} ms")

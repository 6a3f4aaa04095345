"""Commands of a release: deploy (the whole runbook against one environment) and report (its record).

deploy reports through the same event sink as migrate, and says where the release record of a
failed run is before the error sentence.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from safeshift import api
from safeshift.cli.common import database_label, env_options, handle_errors, project_config
from safeshift.cli.prompts import confirmer, restore_confirmer
from safeshift.cli.reporter import Reporter
from safeshift.errors import SafeshiftError
from safeshift.terminal import ProgressDisplay, escape, out
from safeshift.text import display_path, redact_url


@click.command()
@env_options
@click.option("--yes", "-y", "yes", is_flag=True,
              help="Do not ask for typed confirmations (applying to a protected environment, and restoring under "
                   "on_failure = \"restore\").")
@click.option("--health", "health", metavar="CMD", help="The app's check after apply (default: the environment's "
              "health).")
@click.option("--allow-hazards", "allow_hazards", is_flag=True,
              help="Deploy although review found unacknowledged errors (recorded in the history and the record).")
@click.option("--lock-wait", "lock_wait", type=click.FloatRange(min=0), metavar="SECONDS",
              help="How long to wait for another runner on the same database (default: the environment's "
                   "lock_wait, 60 s).")
@handle_errors
def deploy(env: str | None, url: str | None, yes: bool, health: str | None, allow_hazards: bool,
           lock_wait: float | None) -> None:
    """The whole runbook: preflight, backup, migrate, verify, the failure policy, and the release record."""
    config = project_config(env, url)
    target = api.database_url(config)
    out.print(f"[bold]deploying to {database_label(config, target)}[/]")
    restore_confirm = restore_confirmer(config, yes)

    def confirm_restore(database: str, backup: str) -> bool:
        out.print(f"  on_failure = restore: {escape(backup)} replaces everything in {escape(database)}")
        return restore_confirm is None or restore_confirm(database)

    report = Reporter(False, "applying")

    def on_event(event: Any) -> None:  # a failed deploy's rollback reports through the same sink
        if event.kind == "start":
            report.verb = "rolling back" if event.message == "rollback" else "applying"
        report(event)

    written: list[Path] = []
    try:
        release = api.deploy(config, target, say=lambda text: out.print(f"  {escape(redact_url(text))}"),
                             confirm=confirmer(config, yes, "Deploy"), confirm_restore=confirm_restore,
                             on_event=on_event, allow_hazards=allow_hazards, health=health,
                             lock_wait_s=lock_wait, on_record=written.append, progress=ProgressDisplay())
    except SafeshiftError as exc:
        # the error is one sentence on stderr; where the record of the failed run is goes to stdout
        shown = display_path(written[0].with_suffix(".md")) if written else None
        if shown and shown not in exc.message:
            out.print(f"release record: {escape(shown)}")
        raise
    out.print(f"{release.outcome}: {escape(release.environment)} is at {release.to_version or 'the empty schema'}"
              f" ({release.duration_ms} ms)")
    from safeshift.release import RELEASES_DIR

    out.print(f"release record: {escape(display_path(config.root / RELEASES_DIR / f'{release.id}.md'))}")


@click.command()
@click.argument("record", required=False, type=click.Path(path_type=Path))
@click.option("--latest", is_flag=True, help="The newest release record (the default).")
@click.option("--json", "as_json", is_flag=True, help="The record as JSON.")
@handle_errors
def report(record: Path | None, latest: bool, as_json: bool) -> None:
    """Print a release record: the runbook's checklist with the evidence for each step."""
    if record is not None and latest:
        raise click.UsageError("Give a record file or --latest, not both.")
    config = project_config(None, None)
    path, release = api.report(config, record)
    if as_json:
        sys.stdout.write(release.to_json())
        return
    sys.stdout.write(release.to_markdown())
    out.print(f"({escape(display_path(path))})")

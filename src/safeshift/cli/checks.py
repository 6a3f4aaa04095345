"""Commands that check before and after a change: review (hazards in the SQL), verify (the live
schema against the snapshot, and the app's health) and rehearse (the pending migrations on a copy).

Each exits 1 when its check fails; the findings and reports are formatted here, decided in the API.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from safeshift import api
from safeshift.cli.common import (
    database_name,
    env_options,
    handle_errors,
    plain_output,
    project_config,
    say,
    skip_gates_option,
)
from safeshift.cli.prompts import confirmer
from safeshift.terminal import ProgressDisplay, escape, out
from safeshift.text import display_path, redact_url


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@env_options
@click.option("--pending", is_flag=True, help="Review the migrations the database has not applied yet.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "github", "html"]), default="text",
              show_default=True, help="github: workflow annotations for pull requests; markdown: with a Mermaid "
              "diagram of the tables changed; html: a self-contained page written to the FILE that ends in .html.")
@click.option("--accept", "accept", nargs=2, metavar="RULE FILE:LINE",
              help="drizzle-kit folders: record that this finding was reviewed and is accepted (in the folder's "
                   "safeshift.accept.toml, for the file's present text; editing the file voids it).")
@click.option("--reason", "reason", metavar="TEXT", help="With --accept: why the hazard is acceptable.")
@handle_errors
def review(files: tuple[Path, ...], env: str | None, url: str | None, pending: bool, fmt: str,
           accept: tuple[str, str] | None, reason: str | None) -> None:
    """Flag changes that can lose data, take long locks, fail on existing rows or break the running app.

    With no FILE: the migrations not yet reviewed.  With --url/--env/--pending, table sizes from
    that database grade the findings (a new or empty table cannot stall anyone).
    """
    from safeshift.lint import render

    if accept is not None or reason is not None:
        if accept is None or reason is None or files or pending:
            raise click.UsageError('Give --accept RULE FILE:LINE and --reason "..." together, without FILE or '
                                   "--pending.")
        found, digest = api.accept_hazard(project_config(env, url), accept[0], accept[1], reason)
        out.print(f"accepted [{accept[0]}] at {accept[1]} in {display_path(found)}, for the file's sha256 "
                  f"{digest[:12]} (editing the file voids it)", markup=False)
        return
    page, files = _page_target(fmt, files)
    config = project_config(env, url)
    result = api.review(config, files, pending=pending, live=pending or env is not None or url is not None)
    if page is not None:
        written = api.write_review_page(config, result, page)
        out.print(f"wrote {display_path(written)}: {len(result.files)} file(s), {len(result.findings)} finding(s)",
                  markup=False)
    elif fmt == "markdown":
        sys.stdout.write(render(list(result.findings), fmt) + api.review_picture(config, result).markdown())
    else:
        sys.stdout.write(render(list(result.findings), fmt))
    if fmt == "text":
        blocking = len(result.blocking)
        out.print(f"{len(result.files)} file(s) reviewed, {len(result.findings)} finding(s), {blocking} "
                  "unacknowledged error(s)" + ("" if blocking else "; marked reviewed"))
    if result.blocking:
        sys.exit(1)


def _page_target(fmt: str, files: tuple[Path, ...]) -> tuple[Path | None, tuple[Path, ...]]:
    """With ``--format html``, the FILE ending in .html is where the page goes; the others are reviewed."""
    pages = [f for f in files if f.suffix.lower() in (".html", ".htm")]
    if fmt != "html":
        if pages:
            raise click.UsageError(f"{pages[0]} is an HTML file, not SQL; to write the review there, add "
                                   "--format html.")
        return None, files
    if len(pages) != 1:
        raise click.UsageError("--format html writes one page: name exactly one FILE ending in .html "
                               "(e.g. `safeshift review --format html review.html`).")
    return pages[0], tuple(f for f in files if f not in pages)


@click.command("verify")
@env_options
@click.option("--health", "health", metavar="CMD",
              help="The app's own check, run with DATABASE_URL set after the schema check; non-zero fails.")
@click.option("--at-applied", "at_applied", is_flag=True,
              help="Check only drift from the applied migrations: pending or failed ones do not fail the check.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON document: the differences, the history state and the health result.")
@handle_errors
@plain_output
def verify_cmd(env: str | None, url: str | None, health: str | None, at_applied: bool, as_json: bool) -> None:
    """Compare the live database with the snapshot of its last applied migration; exit 1 on drift, or when
    the database is not at the folder's last migration (unless --at-applied).

    The history state (applied, pending, failed) comes first, so that a database matching an older
    snapshot is never reported as if the release were done.
    """
    import json

    config = project_config(env, url)
    target = api.database_url(config)
    found, checked = api.verify(config, target, health)
    where = database_name(config, target)
    released = found.history is None or found.history.at_last
    if as_json:
        doc: dict[str, object] = json.loads(found.to_json())
        if checked is not None:
            doc["health"] = {"cmd": health, "exit_code": checked[0], "output": redact_url(checked[1])}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        if found.history is not None:
            say(found.history.render())
        if not found.clean:
            sys.stdout.write(found.render_text() + "\n")
        elif released:
            say(f"no drift: {where} matches the migrations' snapshot")
        else:  # matching an older snapshot is not a release: say which one it matches
            last = found.history.last_applied if found.history else None
            say(f"no drift from what is applied: {where} matches "
                + (f"the snapshot of {last}" if last else "an empty schema, as nothing is applied"))
    if found.ignored and not as_json:  # what was not compared is said, never silent
        say(found.ignored)
    if checked is not None and checked[0] == 0 and not as_json:  # said even when the history fails the check
        say(f'health check "{health or ""}" passed')
    api.verify_verdict(target, health, found, checked, at_applied)


@click.command("rehearse")
@env_options
@click.option("--scratch", is_flag=True, help="Rehearse on a throwaway copy of the database, dropped afterwards.")
@click.option("--from", "source", metavar="ENV",
              help="With --scratch: the environment whose database is copied (default: the active one).")
@click.option("--with-data", "with_data", is_flag=True,
              help="With --scratch: copy every row (the latest backup at the current version, else a fresh dump).")
@click.option("--sample", "sample", type=click.IntRange(min=1), metavar="ROWS",
              help="With --scratch: copy at most ROWS rows per table, keeping foreign keys valid.")
@click.option("--smoke", "smoke", metavar="CMD",
              help="The app's check, run with DATABASE_URL set to the rehearsed database (default: the "
                   "environment's health).")
@click.option("--yes", "-y", "yes", is_flag=True,
              help="Without --scratch: do not ask for the typed confirmation a protected environment needs.")
@click.option("--allow-hazards", is_flag=True,
              help="Without --scratch: apply even if `safeshift review` finds unacknowledged errors.")
@skip_gates_option
@handle_errors
def rehearse_cmd(env: str | None, url: str | None, scratch: bool, source: str | None, with_data: bool,
                 sample: int | None, smoke: str | None, yes: bool, allow_hazards: bool,
                 skip_gates: str | None) -> None:
    """Rehearse the pending migrations on a throwaway copy (--scratch) or on an environment (--env staging).

    The copy gets every pending migration (each statement timed, its locks recorded), the
    snapshot check, the down sections back to the start, the up sections again and --smoke.
    A report goes to .safeshift/rehearsals/; exit 1 when a check fails.
    """
    from safeshift.errors import RehearsalFailed

    if not scratch and (source or with_data or sample is not None):
        raise click.UsageError("--from, --with-data and --sample need --scratch.")
    if scratch and skip_gates is not None:
        raise click.UsageError("--skip-gates applies without --scratch: a scratch copy has no gates.")
    if not scratch and env is None and url is None:
        raise click.UsageError("Give --env NAME to rehearse on that environment's database, or --scratch to "
                               "rehearse on a throwaway copy.")
    if with_data and sample is not None:
        raise click.UsageError("Give --with-data or --sample, not both.")
    if source and env and source != env:
        raise click.UsageError("Give --from or --env, not both: with --scratch both name the database copied.")
    config = project_config(source or env, url)
    mode = "data" if with_data else "sample" if sample is not None else "schema"
    try:
        result = api.rehearse(config, scratch=scratch, mode=mode, sample_rows=sample, smoke=smoke,
                              confirm=None if scratch else confirmer(config, yes, "Rehearse"),
                              allow_hazards=allow_hazards, progress=ProgressDisplay(), skip_gates=skip_gates,
                              say=lambda text: out.print(escape(redact_url(text))))
    except RehearsalFailed as exc:
        _print_rehearsal(exc.result)
        raise
    _print_rehearsal(result)


def _print_rehearsal(r: Any) -> None:
    """The short text summary of a ``rehearse.Rehearsal``; the report files have the rest."""
    if r is None:
        return
    report = f"{display_path(r.report_md)} (JSON: {display_path(r.report_json)})"
    if r.nothing_pending:
        out.print(f"nothing pending on {r.where}: nothing to rehearse; report {report}", markup=False)
        return
    out.print(f"rehearsal on {r.where} ({r.source}, server {r.server_version}): {len(r.pending)} pending "
              "migration(s)", markup=False)
    if r.copy:
        out.print(f"  copy: {r.copy}", markup=False)
    failed_file = r.failure.file if r.failure else None
    for m in r.migrations:
        state = f"{m.ms} ms" if m.applied else "FAILED" if m.file == failed_file else "not applied"
        lock = r.strongest_lock(m)
        out.print(f"  {m.label}: {state}, {len(m.statements)} statement(s)"
                  + (f", strongest lock {lock.render()}" if lock else ""), markup=False)
    if r.findings:
        from safeshift.lint import unacknowledged_errors

        errors = len(unacknowledged_errors(r.findings))  # a down section's never count: they do not block
        out.print(f"  review: {len(r.findings)} finding(s), {errors} unacknowledged error(s)", markup=False)
    colour = {"pass": "green", "fail": "red", "skipped": "yellow"}
    for c in r.checks:
        timing = f" ({c.ms} ms)" if c.ms is not None else ""
        out.print(f"  [{colour[c.status]}]{c.status:<7}[/] {escape(c.name)}{escape(timing)}: {escape(c.detail)}")
    out.print(f"report: {report}", markup=False)
    if r.passed:
        out.print(f"rehearsal passed on {r.where}", markup=False)

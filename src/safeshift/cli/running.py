"""Commands that run the migrations folder against a database: migrate, rollback, status.

They share the runner's flags (--yes, --log-json, --lock-wait), its event reporter and the
environment's gates; the dry run's plan text comes from the runner, imported only when asked for.
"""

from __future__ import annotations

import sys

import click

from safeshift import api
from safeshift.cli.common import (
    database_label,
    env_options,
    handle_errors,
    project_config,
    runner_options,
    skip_gates_option,
)
from safeshift.cli.prompts import confirmer
from safeshift.cli.reporter import Reporter, json_errors, sayer
from safeshift.terminal import escape, out
from safeshift.text import redact_url


@click.command()
@env_options
@runner_options
@click.option("--to", "to", metavar="VERSION", help="Apply up to and including this version.")
@click.option("--dry-run", is_flag=True, help="Print each migration, statement and transaction; change nothing.")
@click.option("--atomic", is_flag=True, help="Apply all pending migrations in one transaction.")
@click.option("--allow-out-of-order", is_flag=True,
              help="Apply a pending migration older than the newest applied one (a merged branch).")
@click.option("--allow-hazards", is_flag=True,
              help="Apply even if `safeshift review` finds unacknowledged errors in a pending migration.")
@skip_gates_option
@handle_errors
@json_errors
def migrate(env: str | None, url: str | None, yes: bool, log_json: bool, lock_wait: float | None, to: str | None,
            dry_run: bool, atomic: bool, allow_out_of_order: bool, allow_hazards: bool,
            skip_gates: str | None) -> None:
    """Apply pending migrations, each in its own transaction, recording them in the history table."""
    config = project_config(env, url)
    target = api.database_url(config, create=False)
    options = api.run_options(config.environment(), lock_wait_s=lock_wait, atomic=atomic or None,
                              allow_out_of_order=allow_out_of_order or None)
    where = database_label(config, target)
    if dry_run:
        from safeshift.runner import atomic_dry_run_plan, dry_run_plan

        plan = api.plan(target, config.migrations_dir, to=to, dialect=config.declared_dialect, options=options,
                        settings=config.folder_settings)
        if log_json:
            for p in plan:
                Reporter(True, "").json("planned", version=p.migration.version, name=p.migration.name,
                                        steps=len(p.steps), resume_from=p.resume_from or None)
            return
        if not plan:
            out.print(f"{where}: nothing to apply")
            return
        out.print(f"{where}: {len(plan)} migration(s) would be applied" + (" in one transaction" if atomic else ""))
        for line in atomic_dry_run_plan(plan) if atomic else dry_run_plan(plan):
            out.print(line, markup=False)
        out.print("dry run: nothing was changed")
        return

    report = Reporter(log_json, "applying")
    confirm, skipped = api.guarded(config, target, "migrate", confirmer(config, yes, "Apply"),
                                   skip_gates=skip_gates, say=sayer(report))
    result = api.migrate(target, config.migrations_dir, to=to, dialect=config.declared_dialect, options=options,
                         on_event=report, confirm=confirm, allow_hazards=allow_hazards,
                         settings=config.folder_settings, skipped_gates=skipped)
    if log_json:
        report.json("done", applied=list(result.versions), already=result.already,
                    duration_ms=result.duration_ms)
    elif not result.applied:
        out.print(f"{where}: nothing to apply ({result.already} already applied)")
    else:
        out.print(f"{where}: {len(result.applied)} applied in {result.duration_ms} ms, "
                  f"{result.already} were already applied")


@click.command()
@env_options
@runner_options
@click.option("--steps", "steps", type=click.IntRange(min=1), help="How many applied migrations to undo "
              "(default 1).")
@click.option("--to", "to", metavar="VERSION", help="Undo every migration after VERSION (0: all of them).")
@skip_gates_option
@handle_errors
@json_errors
def rollback(env: str | None, url: str | None, yes: bool, log_json: bool, lock_wait: float | None,
             steps: int | None, to: str | None, skip_gates: str | None) -> None:
    """Run down sections newest first, each in its own transaction, updating the history."""
    if steps is not None and to is not None:
        raise click.UsageError("Give --steps or --to, not both.")
    config = project_config(env, url)
    target = api.database_url(config, create=False)
    options = api.run_options(config.environment(), lock_wait_s=lock_wait)

    report = Reporter(log_json, "rolling back")
    confirm, _ = api.guarded(config, target, "rollback", confirmer(config, yes, "Roll back"),
                             skip_gates=skip_gates, say=sayer(report))
    result = api.rollback(target, config.migrations_dir, steps=steps, to=to, dialect=config.declared_dialect,
                          options=options, on_event=report, confirm=confirm, settings=config.folder_settings)
    if log_json:
        report.json("done", rolled_back=list(result.versions))
    elif not result.rolled_back:
        out.print(f"{database_label(config, target)}: nothing to roll back")
    else:
        out.print(f"{database_label(config, target)}: {len(result.rolled_back)} rolled back")


@click.command()
@env_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@handle_errors
def status(env: str | None, url: str | None, as_json: bool) -> None:
    """Each migration as applied, pending, failed, edited since applied, or missing from the folder."""
    config = project_config(env, url)
    target = api.database_url(config, create=False)
    rows = api.status(target, config.migrations_dir, dialect=config.declared_dialect, settings=config.folder_settings)
    if as_json:
        import json

        data = {
            "database": redact_url(target),
            "migrations": [
                {"version": r.version, "name": r.name, "state": r.state,
                 "file": r.file.name if r.file else None, "applied_at": r.applied_at,
                 "duration_ms": r.duration_ms, "applied_by": r.applied_by,
                 "progress": r.progress if r.state in ("failed", "running", "rolling_back") else None,
                 "steps": r.steps, "error": redact_url(r.error) if r.error else None}
                for r in rows
            ],
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    if not rows:
        out.print(f"{database_label(config, target)}: no migrations")
        return
    colour = {"applied": "green", "pending": "cyan", "failed": "red", "running": "yellow",
              "rolling_back": "yellow", "edited": "red", "missing": "red"}
    header = ("version", "name", "state", "applied at", "ms", "note")
    cells: list[tuple[str, ...]] = []
    for r in rows:
        label = {"edited": "edited since applied", "missing": "applied, file missing",
                 "rolling_back": "rolling back"}.get(r.state, r.state)
        note = ""
        if r.state in ("failed", "running", "rolling_back") and r.steps > 1:
            note = f"{r.progress}/{r.steps} steps. "
        if r.error and r.state != "applied":
            note += redact_url(r.error)
        cells.append((r.version, r.name, label, (r.applied_at or "")[:19].replace("T", " "),
                      "" if r.duration_ms is None or r.state == "pending" else str(r.duration_ms), note))
    widths = [max(len(c[i]) for c in [header, *cells]) for i in range(len(header) - 1)]
    out.print(database_label(config, target))
    out.print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=False)) + "  note", markup=False)
    for r, c in zip(rows, cells, strict=True):
        padded = [v.ljust(w) for v, w in zip(c, widths, strict=False)]
        padded[2] = f"[{colour[r.state]}]{escape(padded[2])}[/]"
        out.print("  ".join([escape(padded[0]), escape(padded[1]), padded[2], *map(escape, padded[3:])])
                  + "  " + escape(c[5]))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.state] = counts.get(r.state, 0) + 1
    out.print(", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items()))

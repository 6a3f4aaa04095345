"""The command line: a thin layer over ``safeshift.api`` that parses flags and formats results.

Every SafeshiftError becomes one redacted sentence on stderr and its exit code; no
traceback for anything the user can cause.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from safeshift import api
from safeshift.config import Config, load_config, resolve_url
from safeshift.errors import ConfigError, ConfirmationRequired, SafeshiftError
from safeshift.terminal import LiveLine, ProgressDisplay, err, escape, out, warm
from safeshift.text import display_path, elapsed, redact_url, utc_iso
from safeshift.version import __version__

F = TypeVar("F", bound=Callable[..., Any])

def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


class TerminalQuestioner:
    """Asks on the terminal whether a look-alike is a rename, like drizzle-kit's prompt.

    There is no default answer: "created" drops the old object with its data, so a stray Enter
    must not choose it (an empty answer asks again).
    """

    def choose(self, kind: str, container: str, added: str, candidates: Sequence[str]) -> str | None:
        out.print(f"\n[bold]{kind.capitalize()} {added}[/] in {container} is new. Is it created, or renamed from:")
        out.print("  0) created (new and empty: no data is carried over)")
        for i, c in enumerate(candidates, 1):
            out.print(f"  {i}) renamed from {c} (keeps its data)")
        choice = click.prompt(f"Answer (0-{len(candidates)})", type=click.IntRange(0, len(candidates)))
        return None if choice == 0 else candidates[choice - 1]


def handle_errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        warm()
        from safeshift import interrupts

        interrupts.install()  # SIGTERM (CI cancelling a job, `kill`) takes Ctrl-C's careful path
        try:
            return fn(*args, **kwargs)
        except SafeshiftError as exc:
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


def _where(config: Config, url: str) -> str:
    """How messages name the database: the redacted URL, or the embedded default database by name."""
    if resolve_url(config) is None:
        return escape(f"{config.env_name} (embedded default database {api.dialect_of(config).database_name(url)})")
    return escape(redact_url(url))


def _config(env: str | None = None, url: str | None = None) -> Config:
    if url is not None and not url.strip():
        # `--url "$PROD_URL"` with the variable unset must not fall back to another database
        raise ConfigError("--url is empty (an unset variable?); give the database URL, or leave --url out to use "
                          "the environment's.")
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
@click.option("--no-safe", "no_safe", is_flag=True,
              help="Write the plain form (no CONCURRENTLY, NOT VALID or split steps), e.g. for empty databases.")
@click.option("--expand", is_flag=True,
              help="Write the expand sequence for changes that have no lock-safe form instead of refusing them.")
@handle_errors
def generate(name: str | None, renames: tuple[str, ...], no_renames: tuple[str, ...], custom: bool,
             check: bool, no_safe: bool, expand: bool) -> None:
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


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@env_options
@click.option("--pending", is_flag=True, help="Review the migrations the database has not applied yet.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "github"]), default="text",
              show_default=True, help="github: workflow annotations for pull requests.")
@handle_errors
def review(files: tuple[Path, ...], env: str | None, url: str | None, pending: bool, fmt: str) -> None:
    """Flag changes that can lose data, take long locks, fail on existing rows or break the running app.

    With no FILE: the migrations not yet reviewed.  With --url/--env/--pending, table sizes from
    that database grade the findings (a new or empty table cannot stall anyone).
    """
    from safeshift.lint import render

    config = _config(env, url)
    result = api.review(config, files, pending=pending, live=pending or env is not None or url is not None)
    sys.stdout.write(render(list(result.findings), fmt))
    if fmt == "text":
        blocking = len(result.blocking)
        out.print(f"{len(result.files)} file(s) reviewed, {len(result.findings)} finding(s), {blocking} "
                  "unacknowledged error(s)" + ("" if blocking else "; marked reviewed"))
    if result.blocking:
        sys.exit(1)


@main.command("verify")
@env_options
@click.option("--health", "health", metavar="CMD",
              help="The app's own check, run with DATABASE_URL set after the schema check; non-zero fails.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document: the differences and the health result.")
@handle_errors
def verify_cmd(env: str | None, url: str | None, health: str | None, as_json: bool) -> None:
    """Compare the live database with the snapshot of its last applied migration; exit 1 on drift."""
    import json

    config = _config(env, url)
    target = api.database_url(config)
    found, checked = api.verify(config, target, health)
    where = _where(config, target)
    if as_json:
        doc: dict[str, object] = json.loads(found.to_json())
        if checked is not None:
            doc["health"] = {"cmd": health, "exit_code": checked[0], "output": redact_url(checked[1])}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    elif found.clean:
        out.print(f"no drift: {where} matches the migrations' snapshot")
    else:
        sys.stdout.write(found.render_text() + "\n")
    api.verify_verdict(target, health, found, checked)
    if checked is not None and not as_json:
        out.print(f'health check "{escape(health or "")}" passed')


@main.command("rehearse")
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
    config = _config(source or env, url)
    mode = "data" if with_data else "sample" if sample is not None else "schema"
    try:
        result = api.rehearse(config, scratch=scratch, mode=mode, sample_rows=sample, smoke=smoke,
                              confirm=None if scratch else _confirmer(config, yes, "Rehearse"),
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


@main.command("backup")
@env_options
@click.option("--dir", "dest", type=click.Path(path_type=Path), metavar="FOLDER",
              help="Where to write it (default: <backups>/<env>/, backups = \".safeshift/backups\").")
@click.option("--jobs", "jobs", type=click.IntRange(min=1), default=1, metavar="N",
              help="PostgreSQL: pg_dump -Fd -j N, a directory dump written by N workers (large databases).")
@click.option("--verify-restore", "verify_restore", is_flag=True,
              help="Also restore it into a scratch database and compare every table with the source as dumped.")
@handle_errors
def backup_cmd(env: str | None, url: str | None, dest: Path | None, jobs: int, verify_restore: bool) -> None:
    """Dump the database (pg_dump of the server's version / SQLite backup API), verify it, write its manifest."""
    config = _config(env, url)
    target = api.database_url(config)
    made = api.backup(config, target, dest, jobs=jobs, verify_restore=verify_restore, progress=ProgressDisplay())
    for path in made.removed:
        out.print(f"removed {escape(display_path(path))}: an unfinished backup whose run was interrupted")
    for note in made.notes:
        out.print(f"note: {escape(note)}")
    m = made.manifest
    out.print(f"backed up {_where(config, target)} to {escape(display_path(made.path))} ({m.size:,} bytes, sha256 "
              f"{m.sha256[:12]}, {m.duration_ms} ms, at migration {m.migrations_version or 'none'})")
    v = m.verification
    if v.get("kind") == "restore":
        out.print(f"verified: restored into a scratch database, {v['tables']} table(s) and {v['rows']:,} rows equal "
                  f"the source as dumped ({v['ms']} ms)")
    for path in made.pruned:
        out.print(f"removed old backup {escape(display_path(path))} (keep = {config.environment().keep})")


def _restore_confirmer(config: Config, yes: bool) -> Callable[[str], bool] | None:
    """Restoring over a database always asks for its name to be typed, unless --yes."""
    if yes:
        return None

    def confirm(database: str) -> bool:
        if not _interactive():
            raise ConfirmationRequired(
                f"Restoring over environment '{config.env_name}' replaces everything in its database and there is "
                "no terminal to ask on; pass --yes to go ahead."
            )
        typed = click.prompt(f"This replaces everything in {database} ({config.env_name}) with the backup: type the "
                             f"database name ({database}) to go ahead", default="", show_default=False)
        return bool(typed.strip() == database)

    return confirm


@main.command("restore")
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
        m = api.restore(_config(None, None), backup_file, into, jobs=jobs, progress=ProgressDisplay())
        out.print(f"restored {escape(display_path(backup_file))} (taken {m.created_at} at migration "
                  f"{m.migrations_version or 'none'}) into {escape(redact_url(into))}")
        return
    config = _config(env, None)
    target = api.database_url(config)

    def safety_taken(made: Any) -> None:
        out.print(f"safety backup of the current state: {escape(display_path(made.path))}")

    result = api.restore_over(config, backup_file, confirm=_restore_confirmer(config, yes),
                              safety_backup=not no_backup, on_safety_backup=safety_taken,
                              progress=ProgressDisplay())
    m = result.manifest
    out.print(f"restored {escape(display_path(backup_file))} (taken {m.created_at} at migration "
              f"{m.migrations_version or 'none'}) over {_where(config, target)} in {result.duration_ms} ms")


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
    out.print(f"sealed {display_path(path)}")


@main.command()
@click.argument("version")
@handle_errors
def drop(version: str) -> None:
    """Remove an unapplied migration: its file, its snapshot and its lines in safeshift.sum.

    Only the newest can go, and only if no environment's database has applied it.
    """
    config = _config()
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


def runner_options(fn: F) -> F:
    fn = click.option("--lock-wait", "lock_wait", type=click.FloatRange(min=0), metavar="SECONDS",
                      help="How long to wait for another runner on the same database (default 60, or the "
                           "environment's lock_wait).")(fn)
    fn = click.option("--log-json", "log_json", is_flag=True,
                      help="Write one JSON object per event to stdout instead of text.")(fn)
    fn = click.option("--yes", "-y", "yes", is_flag=True,
                      help="Do not ask for the typed confirmation a protected environment needs.")(fn)
    return fn


class Reporter:
    """Turns runner events into lines for people, or JSON lines for machines.

    What runs right now is shown too, so a long statement (a concurrent index build) is never a
    silent wait: on a terminal, a live line with the step's statement and its elapsed time;
    off a terminal (a CI log), a line when each step of a migration with several steps (the
    lock-safe form) starts and one when it is committed, with its duration.  A migration of one
    step gets no extra line there: its start and ``applied ... in N ms`` lines say it all, so a
    run of 500 migrations does not flood the log.  The JSON log is unchanged (no step_start).
    """

    def __init__(self, log_json: bool, verb: str) -> None:
        self.log_json = log_json
        self.verb = verb
        # into a file or a CI log, progress lines skip rich's markup pass (a run of 500 migrations
        # spent a quarter of a second there)
        self.plain = not out.is_terminal
        #: the step running now: (number, of how many, what, started at)
        self._open: tuple[int, int, str, float] | None = None
        self._live: LiveLine | None = None

    def line(self, rich_text: str, plain_text: str) -> None:
        if self.plain:
            sys.stdout.write(plain_text + "\n")
            sys.stdout.flush()  # a CI log shows what started while it runs
        else:
            out.print(rich_text)

    def _step_started(self, event: Any) -> None:
        self._step_ended(committed=True)
        number, total = (event.step or 0) + 1, event.steps or 1
        statement = redact_url(event.message)
        what = f"step {number} of {total}: {statement}" if total > 1 else statement
        self._open = (number, total, what, time.monotonic())
        if not self.plain:
            self._live = self._live or LiveLine(out)
            self._live.push(f"  {what}")
        elif total > 1:
            self.line("", f"  step {number} of {total} started: {statement}")

    def _step_ended(self, *, committed: bool, announced: bool = False) -> None:
        """Close the open step; ``announced``: the runner said it committed (a step that ran alone)."""
        if self._open is None:
            return
        number, total, what, started = self._open
        self._open = None
        if self._live is not None:
            self._live.pop(f"  {what}")
        if committed and total > 1 and (self.plain or announced):
            text = f"  step {number} of {total} committed in {elapsed(time.monotonic() - started)}"
            self.line(escape(text), text)

    def __call__(self, event: Any) -> None:
        if self.log_json:
            if event.kind == "step_start":  # progress only: the JSON log keeps its events
                return
            self.json(event.kind, version=event.version or None, name=event.name or None,
                      duration_ms=event.duration_ms, message=redact_url(event.message) or None, step=event.step,
                      steps=event.steps, attempt=event.attempt)
            return
        if event.kind == "step_start":
            self._step_started(event)
            return
        if event.kind in ("step", "applied", "rolled_back", "failed", "skipped", "start"):
            self._step_ended(committed=event.kind in ("step", "applied", "rolled_back"),
                             announced=event.kind == "step")
        label = f"{event.version}_{event.name}"
        if event.kind == "start":
            resume = f" (resuming at step {event.step + 1} of {event.steps})" if event.step else ""
            text = f"{self.verb} {label}{resume} ..."
            self.line(escape(text), text)
        elif event.kind in ("applied", "rolled_back"):
            retries = f", after {event.attempt} lock retr{'y' if event.attempt == 1 else 'ies'}" if event.attempt else ""
            done = "applied" if event.kind == "applied" else "rolled back"
            tail = f" {label} in {event.duration_ms} ms{retries}"
            self.line(f"  [green]{done}[/]{escape(tail)}", f"  {done}{tail}")
        elif event.kind == "step":
            pass  # said when the step was closed above, with its duration
        elif event.kind == "retry":
            out.print(f"  [yellow]lock timeout[/]: {escape(redact_url(event.message))} (try {event.attempt})")
        elif event.kind == "skipped":
            out.print(f"  skipped {label}: {escape(redact_url(event.message))}")
        elif event.kind == "note":
            out.print(f"  {escape(redact_url(event.message))}")

    def json(self, event: str, **fields: Any) -> None:
        import json

        record = {"ts": utc_iso(zulu=False), "event": event}
        record.update({k: v for k, v in fields.items() if v is not None})
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


def _confirmer(config: Config, yes: bool, action: str) -> Any:
    """The typed confirmation a protected environment asks for, or None where none is needed."""
    env = config.environment()
    if not env.confirm or yes:
        return None

    def confirm(database: str, todo: Sequence[Any]) -> bool:
        if not _interactive():
            raise ConfirmationRequired(
                f"Environment '{env.name}' asks for confirmation before it changes and there is no terminal to "
                "ask on; pass --yes to go ahead."
            )
        for m in todo:
            out.print(f"  {m.path.name}")
        typed = click.prompt(f"{action} {len(todo)} migration(s) on {env.name}: type the database name "
                             f"({database}) to go ahead", default="", show_default=False)
        return bool(typed.strip() == database)

    return confirm


def _sayer(report: Reporter) -> Callable[[str], None]:
    """Lines about the environment's gates: text, or JSON "note" events with --log-json."""

    def say(text: str) -> None:
        if report.log_json:
            report.json("note", message=redact_url(text))
        else:
            out.print(escape(redact_url(text)))

    return say


def json_errors(fn: F) -> F:
    """With --log-json every failure (a missing URL as much as a failed migration) is also one JSON line
    on stdout, so a pipeline reading only stdout sees it."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        warm()
        try:
            return fn(*args, **kwargs)
        except SafeshiftError as exc:
            if kwargs.get("log_json"):
                Reporter(True, "").json("error", message=redact_url(exc.message), exit_code=exc.exit_code,
                                        error=type(exc).__name__)
            raise

    return wrapper  # type: ignore[return-value]


@main.command()
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
    config = _config(env, url)
    target = api.database_url(config)
    options = api.run_options(config.environment(), lock_wait_s=lock_wait, atomic=atomic or None,
                              allow_out_of_order=allow_out_of_order or None)
    where = _where(config, target)
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
    confirm, skipped = api.guarded(config, target, "migrate", _confirmer(config, yes, "Apply"),
                                   skip_gates=skip_gates, say=_sayer(report))
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


@main.command()
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
    config = _config(env, url)
    target = api.database_url(config)
    options = api.run_options(config.environment(), lock_wait_s=lock_wait)

    report = Reporter(log_json, "rolling back")
    confirm, _ = api.guarded(config, target, "rollback", _confirmer(config, yes, "Roll back"),
                             skip_gates=skip_gates, say=_sayer(report))
    result = api.rollback(target, config.migrations_dir, steps=steps, to=to, dialect=config.declared_dialect,
                          options=options, on_event=report, confirm=confirm, settings=config.folder_settings)
    if log_json:
        report.json("done", rolled_back=list(result.versions))
    elif not result.rolled_back:
        out.print(f"{_where(config, target)}: nothing to roll back")
    else:
        out.print(f"{_where(config, target)}: {len(result.rolled_back)} rolled back")


@main.command()
@env_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@handle_errors
def status(env: str | None, url: str | None, as_json: bool) -> None:
    """Each migration as applied, pending, failed, edited since applied, or missing from the folder."""
    config = _config(env, url)
    target = api.database_url(config)
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
        out.print(f"{_where(config, target)}: no migrations")
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
    out.print(_where(config, target))
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


@main.command()
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
    config = _config(env, url)
    target = api.database_url(config)
    out.print(f"[bold]deploying to {_where(config, target)}[/]")
    restore_confirm = _restore_confirmer(config, yes)

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
                             confirm=_confirmer(config, yes, "Deploy"), confirm_restore=confirm_restore,
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


@main.command()
@click.argument("record", required=False, type=click.Path(path_type=Path))
@click.option("--latest", is_flag=True, help="The newest release record (the default).")
@click.option("--json", "as_json", is_flag=True, help="The record as JSON.")
@handle_errors
def report(record: Path | None, latest: bool, as_json: bool) -> None:
    """Print a release record: the runbook's checklist with the evidence for each step."""
    if record is not None and latest:
        raise click.UsageError("Give a record file or --latest, not both.")
    config = _config(None, None)
    path, release = api.report(config, record)
    if as_json:
        sys.stdout.write(release.to_json())
        return
    sys.stdout.write(release.to_markdown())
    out.print(f"({escape(display_path(path))})")


@main.group("dev")
def dev() -> None:
    """The project's development database: its URL, and stopping its embedded server."""


@dev.command("url")
@handle_errors
def dev_url() -> None:
    """Print the development database's URL (starting the embedded server if needed).

    A URL with a password prints with *** in its place; the embedded database and SQLite
    files have none, so `DATABASE_URL=$(safeshift dev url)` works for them.
    """
    url, source = api.dev_url(_config("development", None))
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
    folder, stopped = api.dev_stop(_config("development", None))
    where = escape(display_path(folder))
    if stopped:
        out.print(f"stopped the embedded database server ({where}); its data stays there")
    else:
        out.print(f"no embedded database server is running for this project ({where})")


if __name__ == "__main__":  # pragma: no cover
    main()

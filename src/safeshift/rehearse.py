"""Rehearse the pending migrations before they meet production (runbook step 3).

Two ways: on a throwaway copy of a database (``--scratch``: schema only, all data, or a
per-table sample), where the migrations are applied while every statement's duration and
the locks it took are recorded, then checked against the expected snapshot, rolled back
(the schema must come back exactly), applied again and smoke-tested, and the copy dropped
whatever happens; or on a staging environment itself, through the normal runner and its
gates.  Either way a report (JSON for deploy's ``require_rehearsal``, Markdown for people)
is written under ``.safeshift/rehearsals/`` before a failed check is raised.

How a copy is built and how locks are seen differ per database; each dialect provides that
(``engine_for(dialect).rehearsal_backend()``: engines/postgres/rehearse.py, engines/sqlite/rehearse.py).
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safeshift import history
from safeshift.engines.base import CopySpec, IntrospectOptions, Lock, Mode, RehearsalBackend, engine_for
from safeshift.errors import ConfigError, MigrationFailed, NotReversible
from safeshift.files import write_atomic
from safeshift.formats import safeshift as migrations
from safeshift.formats.safeshift import MigrationFolder
from safeshift.progress import Progress, Work, timed, timed_exit
from safeshift.rehearse_report import (
    CHECKS,
    REPORT_DIR,
    Check,
    CheckName,
    Failure,
    MigrationRun,
    Rehearsal,
    StatementRun,
    find_evidence,
    verdict,
)
from safeshift.runner import ApplyResult, Event, EventSink, Runner, RunOptions
from safeshift.sections import Migration, SqlStatement
from safeshift.text import display_path, first_line, ms_since, redact_url, shorten, stamp_id, utc_iso

if TYPE_CHECKING:
    from safeshift.backup import Backup
    from safeshift.dialects.base import Dialect
    from safeshift.lint import Finding
    from safeshift.model import Schema

__all__ = ["Check", "Lock", "MigrationRun", "Mode", "Rehearsal", "StatementRun", "find_evidence", "rehearse_env",
           "rehearse_scratch", "verdict"]

# -- recording statements while the runner applies ----------------------------------------

class _Recorder:
    """The runner's ``observe`` hook and event sink: which migration runs, each statement's time and locks."""

    def __init__(self, backend: RehearsalBackend) -> None:
        self.backend = backend
        self.current: str | None = None
        #: version -> line -> statement (a retried step overwrites its earlier tries)
        self.statements: dict[str, dict[int, StatementRun]] = {}
        self._held: tuple[str | None, frozenset[tuple[str, str, str | None]]] = (None, frozenset())

    def on_event(self, event: Event) -> None:
        if event.kind == "start":
            self.current = event.version
            self.statements.setdefault(event.version, {})

    def observe(self, conn: Any, st: SqlStatement, ms: float) -> None:
        if st.transactional:
            txn, held = self.backend.locks(conn, (history.SCHEMA,))
            before = self._held[1] if txn is not None and self._held[0] == txn else frozenset()
            locks = tuple(dataclasses.replace(lk, new=(lk.locktype, lk.mode, lk.relation) not in before)
                          for lk in held)
            self._held = (txn, frozenset((lk.locktype, lk.mode, lk.relation) for lk in held))
        else:
            locks = tuple(self.backend.documented_locks(st.sql))
            self._held = (None, frozenset())
        run = StatementRun(st.line, shorten(st.sql), round(ms, 2), st.transactional, locks)
        self.statements.setdefault(self.current or "", {})[st.line] = run

    def runs(self, pending: Sequence[Migration], result: ApplyResult | None) -> tuple[MigrationRun, ...]:
        done = {a.version: a.duration_ms for a in (result.applied if result else ())}
        out = []
        for m in pending:
            stmts = tuple(v for _, v in sorted(self.statements.get(m.version, {}).items()))
            out.append(MigrationRun(m.version, m.name, m.path.name, migrations.checksum(m), m.version in done,
                                    done.get(m.version), stmts))
        return tuple(out)


class _Steps:
    """The runner's events as detail progress: each step's statement while it runs, so a long one on a
    copy with every row (an index build, a rewrite) shows on a terminal's live line."""

    def __init__(self, progress: Progress, also: EventSink | None = None) -> None:
        self.progress = progress
        self.also = also
        self._open: tuple[str, float] | None = None

    def __call__(self, event: Event) -> None:
        if self.also is not None:
            self.also(event)
        if event.kind == "step_start":
            self._close()
            what = f"{event.version}_{event.name} step {(event.step or 0) + 1} of {event.steps}: {event.message}"
            self.progress(Work(what, detail=True))
            self._open = (what, time.monotonic())
        elif event.kind in ("step", "applied", "rolled_back", "failed", "skipped", "start"):
            self._close(failed=event.kind == "failed")

    def _close(self, *, failed: bool = False) -> None:
        if self._open is not None:
            what, started = self._open
            self._open = None
            self.progress(Work(what, time.monotonic() - started, failed=failed, detail=True))


# -- the two ways to rehearse ------------------------------------------------------------------

@dataclass(frozen=True)
class _Setup:
    """What both ways share: the project's folder, where reports go, the runner's options."""

    dialect: Dialect
    folder: MigrationFolder
    report_dir: Path
    env_name: str
    options: RunOptions
    smoke: str | None
    progress: Progress
    root: Path


def rehearse_scratch(dialect: Dialect, source_url: str, folder: MigrationFolder, *, env_name: str, mode: Mode,
                     sample_rows: int | None, smoke: str | None, options: RunOptions, state_dir: Path | None,
                     root: Path, backups_dir: Path | None = None, progress: Progress | None = None) -> Rehearsal:
    """Rehearse the pending migrations of ``source_url`` on a throwaway copy beside it; never changes the source.

    ``--with-data`` starts from the newest backup in ``backups_dir`` (default ``.safeshift/backups/<env>``)
    taken of this database at its current version, else from a fresh dump.

    Returns the rehearsal (its report written); ``verdict`` raises RehearsalFailed when a check failed.
    """
    if mode == "sample" and (sample_rows is None or sample_rows < 1):
        raise ConfigError("--sample needs a number of rows of at least 1, e.g. --sample 1000.")
    setup = _Setup(dialect, folder, root / ".safeshift" / REPORT_DIR, env_name, options, smoke,
                   progress or (lambda _: None), root)
    backend = engine_for(dialect).rehearsal_backend()
    t0 = time.perf_counter()
    base, plan, source_schema = _start(setup, source_url, mode, sample_rows)
    applied = base.start_version
    if not plan:
        return _finish(setup, dataclasses.replace(base, checks=_nothing_pending()), t0)

    backups = backups_dir or root / ".safeshift" / "backups" / env_name
    chosen = _usable_backup(dialect, source_url, backups, applied) if mode == "data" else None
    # dropping the copy can wait on its connections: its end is reported too
    with timed_exit(setup.progress, "dropping the scratch copy",
                    engine_for(dialect).scratch_database(source_url, state_dir)) as scratch_url:
        with timed(setup.progress, f"building {base.where}"):
            if chosen is not None:  # --with-data from a backup of this very database at its current version
                from safeshift import backup

                backup.restore(chosen.path, scratch_url, dialect=dialect.name, progress=setup.progress)
                m = chosen.manifest
                how = (f"restored backup {chosen.path.name} (taken {m.created_at} at migration "
                       f"{m.migrations_version or 'none'})")
            else:
                spec = CopySpec(mode, sample_rows if mode == "sample" else None, source_schema,
                                (folder.history_table,) if folder.history_table else (), history.SCHEMA)
                how = backend.build_copy(dialect, source_url, scratch_url, spec)
        base = dataclasses.replace(base, copy=how, copy_database=dialect.database_name(scratch_url))
        result = _run_checks(setup, backend, scratch_url, plan, base)
    return _finish(setup, result, t0)


def rehearse_env(dialect: Dialect, url: str, folder: MigrationFolder, *, env_name: str, smoke: str | None,
                 options: RunOptions, root: Path, apply: Callable[[RunOptions, EventSink], ApplyResult],
                 progress: Progress | None = None) -> Rehearsal:
    """Apply the pending migrations to an environment's own database (staging) with ``apply`` (the
    gated ``api.migrate``), then check the snapshot and run the smoke command.

    Nothing is rolled back here: staging keeps what it applied, as production will.
    """
    setup = _Setup(dialect, folder, root / ".safeshift" / REPORT_DIR, env_name, options, smoke,
                   progress or (lambda _: None), root)
    backend = engine_for(dialect).rehearsal_backend()
    t0 = time.perf_counter()
    base, plan, _ = _start(setup, url, "env", None)
    if not plan:
        return _finish(setup, dataclasses.replace(base, checks=_nothing_pending()), t0)
    recorder = _Recorder(backend)
    checks: list[Check] = []
    with timed(setup.progress, f"rehearsing {len(plan)} migration(s) on {env_name}"):
        apply_check, result, failure = _apply(lambda: apply(dataclasses.replace(options, observe=recorder.observe),
                                                            _Steps(setup.progress, recorder.on_event)), plan, "apply")
    checks.append(apply_check)
    if apply_check.status == "pass":
        checks.append(_snapshot(dialect, url, folder))
        checks.append(Check("reversibility", "skipped", "not run on an environment's own database: it keeps "
                                                        "what it applied (use --scratch to test the down sections)"))
        checks.append(Check("reapply", "skipped", "not run on an environment's own database"))
        checks.append(_smoke(setup, url))
    else:
        checks += [Check(n, "skipped", "not run: the apply check failed") for n in CHECKS[1:]]
    runs = recorder.runs(plan, result)
    return _finish(setup, dataclasses.replace(base, migrations=runs, checks=tuple(checks), failure=failure), t0)


def _start(setup: _Setup, url: str, mode: Mode, sample_rows: int | None) -> tuple[Rehearsal, list[Migration], Schema]:
    """The rehearsal's starting point: server, applied version, pending plan, review findings, live schema."""
    d = setup.dialect
    started = utc_iso()
    server = engine_for(d).backup_engine().server_version(url)[1]
    with Runner(d, url, setup.folder, setup.options, read_only=True) as r:
        records = r.records()
        plan = [p.migration for p in r.plan()]
        schema = engine_for(d).introspect(r.conn)
    applied = max((v for v, rec in records.items() if rec.status == "applied"), default=None)
    base = Rehearsal(setup.env_name, redact_url(url), mode, server, started, sample_rows, start_version=applied,
                     pending=_pending(plan), findings=_findings(d, url, plan, setup.root, setup.folder),
                     lock_modes=d.lock_modes)
    return base, plan, schema


def _run_checks(setup: _Setup, backend: RehearsalBackend, url: str, plan: Sequence[Migration], base: Rehearsal) -> Rehearsal:
    """apply (recording statements) → snapshot → down to the start → same schema? → up again → smoke."""
    d, folder, options = setup.dialect, setup.folder, setup.options
    recorder = _Recorder(backend)
    with Runner(d, url, folder, options) as r:
        start = max((v for v, rec in r.records().items() if rec.status == "applied"), default=None)
        before = engine_for(d).introspect(r.conn, options=_introspect_options(folder))
    checks: list[Check] = []

    def migrate() -> ApplyResult:
        with Runner(d, url, folder, dataclasses.replace(options, observe=recorder.observe),
                    _Steps(setup.progress, recorder.on_event)) as r:
            return r.migrate()

    with timed(setup.progress, f"applying {len(plan)} migration(s) to the copy"):
        apply_check, result, failure = _apply(migrate, plan, "apply")
    checks.append(apply_check)
    runs = recorder.runs(plan, result)
    if apply_check.status != "pass":
        checks += [Check(n, "skipped", "not run: the apply check failed") for n in CHECKS[1:]]
        return dataclasses.replace(base, migrations=runs, checks=tuple(checks), failure=failure)

    checks.append(_snapshot(d, url, folder))
    with timed(setup.progress, f"rolling the copy back to {start or 'the empty schema'}"):
        reverse = _reversibility(d, url, folder, options, plan, start, before, _Steps(setup.progress))
    checks.append(reverse)
    if reverse.status == "skipped":  # declared irreversible: nothing was rolled back, the copy is still applied
        checks.append(Check("reapply", "skipped", "not needed: nothing was rolled back"))
        reapply_ok = True
    elif reverse.status == "fail" and not reverse.differences:
        checks.append(Check("reapply", "skipped", "not run: the down sections did not run to the start"))
        reapply_ok = False
    else:
        def again() -> ApplyResult:
            with Runner(d, url, folder, options, _Steps(setup.progress)) as r:
                return r.migrate()

        with timed(setup.progress, "applying again"):
            reapply, _, second = _apply(again, plan, "reapply")
        checks.append(reapply)
        failure = failure or second
        reapply_ok = reapply.status == "pass"
    if reapply_ok:
        checks.append(_smoke(setup, url))
    else:
        checks.append(Check("smoke", "skipped", "not run: the copy is not at the new version"))
    return dataclasses.replace(base, migrations=runs, checks=tuple(checks), failure=failure)


def _apply(run: Callable[[], ApplyResult], plan: Sequence[Migration],
           name: CheckName) -> tuple[Check, ApplyResult | None, Failure | None]:
    t = time.perf_counter()
    try:
        result = run()
    except MigrationFailed as exc:
        failure = _failure(exc, plan, name)
        return Check(name, "fail", failure.render(), ms_since(t)), None, failure
    return (Check(name, "pass", f"{len(result.applied)} migration(s) applied in {result.duration_ms} ms", ms_since(t)),
            result, None)


def _failure(exc: MigrationFailed, plan: Sequence[Migration], check: CheckName) -> Failure:
    """Name the failing statement: file, line, SQLSTATE, the database's reason and the statement itself."""
    cause = exc.__cause__
    reason = redact_url(first_line(cause) if cause is not None else exc.message)
    sql = None
    for m in plan:
        if m.path.name == exc.file:
            st = next((s for s in (*m.up_statements, *m.down_statements) if s.line == exc.line), None)
            sql = shorten(st.sql) if st is not None else None
    return Failure(check, exc.file, exc.line, exc.sqlstate, reason, sql)


def _snapshot(dialect: Dialect, url: str, folder: MigrationFolder) -> Check:
    from safeshift import verify

    if not folder.snapshot_versions:
        return Check("snapshot", "skipped", f"{folder.path.name}/meta/ holds no snapshot (hand-written migrations "
                                            "only), so there is no expected schema to compare with")
    t = time.perf_counter()
    found = verify.verify(dialect, url, folder)
    if found.clean:
        return Check("snapshot", "pass", "the schema equals the snapshot of the last migration", ms_since(t))
    diffs = tuple(d.render() for d in found.differences)
    return Check("snapshot", "fail", f"{len(diffs)} difference(s) from the snapshot of the last migration: "
                                     f"{diffs[0]}", ms_since(t), diffs)


def _introspect_options(folder: MigrationFolder) -> IntrospectOptions:
    """The project's introspection options, from the configuration owning ``folder``: with ``privileges = true``
    the reversibility check also holds the down sections to the privileges the copy started with."""
    from safeshift.config import folder_settings

    return folder_settings(folder.path).introspect_options


def _reversibility(dialect: Dialect, url: str, folder: MigrationFolder, options: RunOptions,
                   plan: Sequence[Migration], start: str | None, before: Schema,
                   on_event: EventSink | None = None) -> Check:
    from safeshift import verify

    t = time.perf_counter()
    declared = [m for m in plan if m.irreversible]
    if declared:
        return Check("reversibility", "skipped", f"{declared[0].path.name} is marked `-- safeshift:irreversible`, "
                                                 "so the down sections were not run", ms_since(t))
    try:
        with Runner(dialect, url, folder, options, on_event) as r:
            r.rollback(to=start or "0")
            after = engine_for(dialect).introspect(r.conn, options=_introspect_options(folder))
    except NotReversible as exc:
        return Check("reversibility", "fail", exc.message, ms_since(t))
    except MigrationFailed as exc:
        return Check("reversibility", "fail", "the down section " + _failure(exc, plan, "reversibility").render(),
                     ms_since(t))
    drift = verify.drift_between(after, before, dialect.default_schema, folder.history_table)
    if drift.clean:
        return Check("reversibility", "pass", f"the down sections restored the schema of {start or 'the empty database'}",
                     ms_since(t))
    diffs = tuple(d.render() for d in drift.differences)
    return Check("reversibility", "fail", f"after the down sections the schema differs from the start in "
                                          f"{len(diffs)} place(s): {diffs[0]} (compared with the start)", ms_since(t), diffs)


def _smoke(setup: _Setup, url: str) -> Check:
    from safeshift import verify

    if not setup.smoke:
        return Check("smoke", "skipped", "no --smoke command and no `health` for the environment")
    t = time.perf_counter()
    with timed(setup.progress, f'running the smoke command "{setup.smoke}"'):
        code, output = verify.run_health(setup.smoke, {"DATABASE_URL": url})
    if code == 0:
        return Check("smoke", "pass", f'"{setup.smoke}" exited 0', ms_since(t))
    return Check("smoke", "fail", f'"{setup.smoke}" exited {code}: {verify.last_line(output)}', ms_since(t))


def _nothing_pending() -> tuple[Check, ...]:
    return tuple(Check(n, "skipped", "nothing pending") for n in CHECKS)


def _pending(plan: Sequence[Migration]) -> tuple[tuple[str, str, str, str], ...]:
    return tuple((m.version, m.name, m.path.name, migrations.checksum(m)) for m in plan)


def _findings(dialect: Dialect, url: str, plan: Sequence[Migration], root: Path,
              folder: MigrationFolder) -> tuple[Finding, ...]:
    """The review of the pending migrations, graded with the source's table sizes (informational here).

    A drizzle folder's findings carry fixes that work there (see ``drizzle.drizzle_fix``).
    """
    if not plan or not dialect.capabilities.hazard_review:
        return ()
    from safeshift import review
    from safeshift.formats import folder as formats
    facts = review.live_facts(dialect, url)
    out: list[Finding] = []
    for m in plan:
        found = review.review_migration_of(m, dialect, file=display_path(m.path, root), facts=facts)
        out += formats.of(folder).fix_findings(found)
    return tuple(out)


def _usable_backup(dialect: Dialect, url: str, folder: Path, version: str | None) -> Backup | None:
    """The newest complete backup of this very database at its current migration version, if any."""
    from safeshift import backup

    for b in reversed(backup.list_backups(folder)):
        m = b.manifest
        if m.dialect == dialect.name and m.database == redact_url(url) and m.migrations_version == version:
            return b
    return None


def _finish(setup: _Setup, result: Rehearsal, t0: float) -> Rehearsal:
    """Write the JSON and Markdown reports (mode 0600: they name the database) and return the result."""
    result = dataclasses.replace(result, duration_ms=ms_since(t0))
    folder = setup.report_dir
    folder.mkdir(parents=True, exist_ok=True)
    stem = stamp_id(datetime.fromisoformat(result.started_at), re.sub(r'[^A-Za-z0-9_.-]', '_', setup.env_name))
    paths = folder / f"{stem}.json", folder / f"{stem}.md"
    result = dataclasses.replace(result, report_json=paths[0], report_md=paths[1])
    for path, text in zip(paths, (result.to_json(), result.to_markdown()), strict=True):
        write_atomic(path, text)
    return result

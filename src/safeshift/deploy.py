"""``safeshift deploy``: the runbook as one command, and the release record that proves it ran.

Preflight → backup → migrate → verify (drift + the app's health command) → on failure the
environment's ``on_failure`` policy → the release record.  The first failed gate stops the
run.  The whole deploy holds the runner lock, so a second deploy (or migrate) against the
same database waits for it, or gives up after ``lock_wait`` with one sentence.

The record (``release.py``: ``.safeshift/releases/<UTC time>_<env>.json`` and ``.md``) is
rewritten after every phase, so a deploy that is killed still leaves the checklist of what it had done.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safeshift import sections
from safeshift.config import Config
from safeshift.errors import (
    ConfirmationRequired,
    DeployFailed,
    DiffCheckFailed,
    Interrupted,
    MigrationFailed,
    SafeshiftError,
)
from safeshift.formats import safeshift as migrations
from safeshift.interrupts import shielded
from safeshift.progress import Progress
from safeshift.release import Outcome, Release, checklist, reserve_id, write_record
from safeshift.text import display_path, elapsed, ms_since, redact_url, utc_iso, utc_now

if TYPE_CHECKING:
    from safeshift.runner import Confirm

# -- the deploy -------------------------------------------------------------------------------

Say = Callable[[str], None]
#: asks the operator before the protected environment changes: (database, what) -> go ahead?
Ask = Callable[[str, str], bool]


@dataclass
class Deploy:
    """One run of the runbook against one environment; ``run`` returns the finished record."""

    config: Config
    url: str
    say: Say = lambda text: None
    #: typed confirmation before anything changes, asked once before the backup (None: do not ask)
    confirm: Confirm | None = None
    #: typed confirmation before restoring over the environment (None: go ahead, e.g. --yes); it may
    #: raise ConfirmationRequired (no terminal), which refuses the restore like a "no"
    confirm_restore: Ask | None = None
    on_event: Any = None
    allow_hazards: bool = False
    health: str | None = None
    #: seconds to wait for another runner on the same database (None: the environment's lock_wait)
    lock_wait_s: float | None = None
    #: hears the record's path as soon as it exists, so a caller can name it whatever happens next
    on_record: Callable[[Path], None] | None = None
    #: hears when the backup, and a restore under on_failure, start and end (they can take minutes)
    progress: Progress | None = None
    release: Release = field(init=False)
    _started: float = field(init=False, default=0.0)
    _record: Path | None = field(init=False, default=None)
    #: apply and verify passed: an interrupt now only cuts the record short, so it is finished as released
    _released: bool = field(init=False, default=False)
    #: closes the runner(s) and gives their lock back when the run ends
    _stack: contextlib.ExitStack = field(init=False, default_factory=contextlib.ExitStack)

    def run(self) -> Release:
        from safeshift import project

        env = self.config.environment()
        self._started = time.monotonic()
        with shielded():  # a record file, once claimed, always holds a record
            self.release = Release(
                id=reserve_id(self.config.root, env.name), environment=env.name, database=redact_url(self.url),
                started_at=utc_iso(timespec="seconds"), items=checklist(env.name))
            self._save()
        if self.on_record is not None and self._record is not None:
            self.on_record(self._record)
        try:
            prepared = project.runner(self.url, self.config.migrations_dir, "safeshift deploy",
                                      self.config.declared_dialect, project.run_options(env, lock_wait_s=self.lock_wait_s),
                                      self.on_event, settings=self.config.folder_settings)
            with contextlib.ExitStack() as self._stack:
                runner = self._stack.enter_context(prepared)
                self._stack.enter_context(runner.locked())
                return self._run(runner, env)
        except SafeshiftError as exc:
            if self.release.outcome == "in progress":  # a gate failed before anything changed
                self._finish("failed", exc.message)
            raise
        except KeyboardInterrupt as exc:
            # outside apply and verify (which run on_failure themselves): before the first migration
            # started nothing changed; after verify passed the release is done and only its record remained
            with shielded():
                if self._released:
                    return self._finish("released")
                why = f"interrupted ({str(exc) or 'SIGINT'}) before anything was applied"
                if self.release.outcome == "in progress":
                    self._finish("failed", why)
                raise Interrupted(f"Deploy to {env.name} {why}; the database was left as it was"
                                  + (f"; release record: {display_path(self._record.with_suffix('.md'), self.config.root)}"
                                     if self._record else "") + ".") from None

    # -- phases ------------------------------------------------------------------------------
    def _run(self, runner: Any, env: Any) -> Release:
        statuses = runner.status()
        start = max((s.version for s in statuses if s.state == "applied"), default=None)
        todo = [p.migration for p in runner.plan()]
        self.release = dataclasses.replace(self.release, from_version=start, to_version=start, migrations=tuple(
            {"version": m.version, "file": m.path.name, "checksum": migrations.checksum(m)} for m in todo))
        if todo:
            self.release = dataclasses.replace(self.release, picture=self._picture(runner, todo))
        self._preflight(runner, todo)
        backup = None
        if todo:
            self._confirm(runner, todo)
            backup = self._backup(env, start)
        else:
            self.say("nothing to deploy: every migration is applied")
            for key in ("backup", "applied"):
                self.release = self.release.with_item(key, "skipped", note="nothing to apply")
        try:
            try:
                if todo:
                    self._apply(runner)
                self._verify(runner, env)
            except KeyboardInterrupt as signal_exc:  # between migrations, or in verify: on_failure decides
                raise Interrupted(f"interrupted ({str(signal_exc) or 'SIGINT'})") from None
        except SafeshiftError as exc:
            with shielded():
                return self._on_failure(runner, env, start, backup, exc)
        self._released = True
        self._rollback_ready(env, todo, backup)
        return self._finish("released" if todo else "nothing to deploy")

    def _picture(self, runner: Any, todo: Sequence[sections.Migration]) -> str:
        """The record's diagram of what ``todo`` changes; a snapshot it cannot read is said, never a failed deploy."""
        from safeshift import review_picture

        try:
            return review_picture.picture_of([m.path for m in todo], runner.folder.path,
                                             default_schema=runner.dialect.default_schema, dialect=runner.dialect.name,
                                             settings=self.config.folder_settings).markdown()
        except SafeshiftError as exc:
            return f"\n### The change, as a diagram\n\nNo diagram: {exc}\n"

    def _preflight(self, runner: Any, todo: Sequence[sections.Migration]) -> None:
        from safeshift import review
        from safeshift.lint import unacknowledged_errors

        self.say(f"preflight: {len(todo)} pending migration(s)")
        from safeshift.formats import folder as formats

        drizzle = not formats.of(runner.folder).written_by_safeshift
        if not drizzle:  # drizzle-kit generates a drizzle folder from the TypeScript schema
            self._check_source()
        if not todo:
            self.release = self.release.with_item("reviewed", "skipped", note="nothing to review")
        elif not runner.dialect.capabilities.hazard_review:
            # no reviewer reads this dialect's SQL: counting findings here would claim a review nobody did
            self.release = self.release.with_item("reviewed", "skipped",
                                                  note=f"safeshift review does not read {runner.dialect.name} SQL")
        else:
            # once: the counts, the gate and the history
            written = {m: review.review_migration_of(m, runner.dialect) for m in todo}
            findings = [f for m in todo for f in written[m]]
            blocking = review.gate(todo, runner.dialect, self.url, history_table=runner.folder.history_table,
                                   written=written)
            # what blocks is in the up sections; the down sections' findings (they run on rollback) are counted apart
            counts = {s: sum(1 for f in findings if f.severity == s and f.section != "down")
                      for s in ("error", "warning", "info")}
            down_counts = {s: sum(1 for f in findings if f.severity == s and f.section == "down")
                           for s in ("error", "warning", "info")}
            acknowledged = [f"{Path(f.file or '').name}:{f.line} {f.rule}: {f.reason}"
                            for f in findings if f.acknowledged]
            # the counts are of the files as written; live table facts may grade an error down (an empty
            # table cannot be locked for long), which is why the blocking list can be shorter
            evidence = {"findings": counts, "down section findings": down_counts, "acknowledged": acknowledged,
                        "errors graded down by live table facts":
                            len(unacknowledged_errors(findings)) - len(blocking),
                        "unacknowledged errors": [f"{Path(f.file or '').name}:{f.line} {f.rule}" for f in blocking]}
            if blocking and not self.allow_hazards:
                self.release = self.release.with_item("reviewed", "failed", evidence)
                raise review.refuse(blocking, runner.folder)
            self.release = self.release.with_item("reviewed", "passed", evidence,
                                                  "hazards let through by --allow-hazards" if blocking else "")
            if blocking:
                allowed = review.allowed_by_version(todo, blocking)
                runner.options = dataclasses.replace(runner.options, allowed_hazards=tuple(allowed.items()))
        self.release = self.release.with_item("generated", "passed", {
            "migrations": [f"{m.path.name} sha256:{migrations.checksum(m)[:12]}" for m in todo],
            "sum file": "drizzle's hashes (drizzle-kit folder)" if drizzle else "sealed",
            "schema source agrees": "drizzle-kit generates the folder from the TypeScript schema" if drizzle
            else f"yes ({self.config.schema})" if self.config.schema else "no schema source configured"})
        self._rehearsal_evidence(todo)
        self._save()

    def _check_source(self) -> None:
        """The schema source must agree with the migrations: a model changed without its migration
        would otherwise reach production in some later release that nobody reviewed for it."""
        from safeshift import generate

        if not self.config.schema:
            return
        try:
            generate.check(self.config)
        except DiffCheckFailed as exc:
            changes = list(exc.changes)
            self.release = self.release.with_item("generated", "failed", {
                "schema source": self.config.schema, "differences": changes})
            shown = ", ".join(changes[:3]) + (f" and {len(changes) - 3} more" if len(changes) > 3 else "")
            raise DiffCheckFailed(
                f"The schema source ({self.config.schema}) and the migrations disagree ({len(changes)} change(s): "
                f"{shown}); run `safeshift generate --name ...`, review and commit the migration, then deploy "
                "again.", exc.changes) from exc
        except SafeshiftError as exc:
            self.release = self.release.with_item("generated", "failed", {"schema source": self.config.schema},
                                                  exc.message)
            raise

    def _rehearsal_evidence(self, todo: Sequence[sections.Migration]) -> None:
        from safeshift import rehearse

        env = self.config.environment()
        if not todo:
            self.release = self.release.with_item("rehearsed", "skipped", note="nothing to apply")
            return
        wanted = {m.version: migrations.checksum(m) for m in todo}
        found = rehearse.find_evidence(self.config.root, wanted)
        if found is not None:
            self.release = self.release.with_item("rehearsed", "passed", found)
            return
        if env.require_rehearsal:
            self.release = self.release.with_item("rehearsed", "failed", {"wanted": sorted(wanted)})
            raise DeployFailed(
                f"Environment '{env.name}' requires a passed rehearsal of these exact migrations and none was found; "
                f"run `safeshift rehearse --scratch --from {env.name}` (or `--env staging`) first.")
        self.release = self.release.with_item("rehearsed", "skipped",
                                              note="no passed rehearsal of these migrations (not required here)")

    def _confirm(self, runner: Any, todo: Sequence[sections.Migration]) -> None:
        """A protected environment's typed confirmation, before the backup: once the deploy has begun
        to change things it must not stop half-way waiting for an answer."""
        if self.confirm is not None and not self.confirm(runner.database, todo):
            raise ConfirmationRequired(f"Nothing was deployed to {runner.database}: the operator did not confirm.")

    def _backup(self, env: Any, start: str | None) -> Any:
        from safeshift import backup as bk

        if env.backup is False:  # None (not set): deploy still takes one
            self.release = self.release.with_item("backup", "skipped", note=f"backup = false for {env.name}")
            self._save()
            return None
        self.say("backup: dumping and verifying")
        try:
            made = bk.take(self.config, self.url, progress=self.progress)
        except SafeshiftError as exc:
            self.release = self.release.with_item("backup", "failed", note=exc.message)
            raise
        m = made.manifest
        from safeshift import project

        self.release = self.release.with_item("backup", "passed", {
            "path": display_path(made.path, self.config.root), "size": m.size, "sha256": m.sha256,
            "verified by": bk.verified_by(made, project.dialect_for(self.url, self.config.declared_dialect)),
            "verification": getattr(m, "verification", None) or "pg_restore --list / integrity check",
            "duration_ms": m.duration_ms, "at migration": m.migrations_version or start or "empty"})
        self.say(f"backup: {display_path(made.path, self.config.root)} ({m.size:,} bytes, sha256 {m.sha256[:12]})")
        self._save()
        return made

    def _apply(self, runner: Any) -> None:
        self.say("migrate: applying")
        try:
            result = runner.migrate()  # confirmed before the backup
        except SafeshiftError as exc:
            done = self._history(runner)
            applied = {v: r for v, r in (done or {}).items() if r.status == "applied"}
            ours = [m["version"] for m in self.release.migrations if m["version"] in applied]
            rows = tuple({**m, "duration_ms": applied[m["version"]].duration_ms} if m["version"] in applied
                         else dict(m) for m in self.release.migrations)
            self.release = dataclasses.replace(self.release, migrations=rows,
                                               to_version=max(ours, default=self.release.from_version))
            self.release = self.release.with_item("applied", "failed", {"applied before the failure": ours},
                                                  _cause(exc))
            raise
        by_version = {a.version: a for a in result.applied}
        rows = tuple({**m, "duration_ms": by_version[m["version"]].duration_ms,
                      "lock_retries": by_version[m["version"]].lock_retries}
                     if m["version"] in by_version else dict(m) for m in self.release.migrations)
        self.release = dataclasses.replace(self.release, migrations=rows,
                                           to_version=max(result.versions, default=self.release.from_version))
        self.release = self.release.with_item("applied", "passed", {
            "migrations": len(result.applied), "duration_ms": result.duration_ms,
            "lock retries": sum(a.lock_retries for a in result.applied)})
        self._save()

    def _verify(self, runner: Any, env: Any) -> None:
        from safeshift import verify as vf
        from safeshift.errors import DriftDetected

        self.say("verify: schema against the snapshot, then the health command")
        found = vf.verify(runner.dialect, self.url, runner.folder)
        evidence: dict[str, Any] = {"drift": "none" if found.clean else found.render_text().splitlines()}
        if not found.clean:
            self.release = self.release.with_item("verified", "failed", evidence)
            raise DriftDetected(f"{len(found.differences)} difference(s) between the database and the migrations' "
                                f"snapshot after apply: {found.differences[0].render()}")
        cmd = self.health or env.health
        if cmd:
            code, output = vf.run_health(cmd, {"DATABASE_URL": self.url})
            evidence["health"] = {"command": cmd, "exit code": code, "last line": vf.last_line(output)}
            if code != 0:
                self.release = self.release.with_item("verified", "failed", evidence)
                raise vf.health_failed(cmd, code, output)
        else:
            evidence["health"] = "no health command configured"
        self.release = self.release.with_item("verified", "passed", evidence)
        self._save()

    def _rollback_ready(self, env: Any, todo: Sequence[sections.Migration], backup: Any) -> None:
        if not todo:
            self.release = self.release.with_item("rollback", "skipped", {"policy": env.on_failure},
                                                  "nothing was applied")
            return
        reversible = [m.path.name for m in todo if m.reversible]
        irreversible = [m.path.name for m in todo if not m.reversible]
        evidence: dict[str, Any] = {"policy": env.on_failure, "down sections": reversible}
        if irreversible:
            evidence["no down section"] = irreversible
        if backup is not None:
            evidence["backup"] = display_path(backup.path, self.config.root)
        self.release = self.release.with_item("rollback", "passed" if not irreversible or backup else "failed",
                                              evidence, "ready" if not irreversible else
                                              "some migrations cannot be rolled back; the backup covers them"
                                              if backup else "some migrations cannot be rolled back and there is "
                                              "no backup")

    # -- failure -------------------------------------------------------------------------------
    def _on_failure(self, runner: Any, env: Any, start: str | None, backup: Any, exc: SafeshiftError) -> Release:
        policy = env.on_failure
        self.say(f"failed: {_cause(exc)}; on_failure = {policy}")
        try:  # a signal or a lost server may have left the session unusable: settle replaces it then
            if runner.settle():
                self.say("reconnected for the on_failure policy")
        except SafeshiftError:
            pass  # the server cannot be reached: _history finds that out and says so
        records = self._history(runner)
        if records is None:  # the connection died with the migration: the policy needs a new one
            runner = self._reconnect(runner)
            records = self._history(runner) if runner is not None else None
        if records is None:
            # the server is gone: neither a rollback nor a restore can run, and what the server kept is
            # for `status` to tell once it is back
            self.release = self.release.with_item("rollback", "failed", {"policy": policy},
                                                  f"the connection was lost, so on_failure = {policy} could not run")
            self._finish("failed", exc.message)
            raise DeployFailed(self._sentence(
                exc, f"on_failure = {policy} could not run without the connection: run `safeshift status --env "
                     f"{env.name}` to see what was applied", backup))
        if not self._changed(records):
            # undoing nothing is a no-op for rollback, but a restore would throw away what the app wrote
            # since the backup: the database is exactly as the deploy found it, so leave it
            undone_steps = exc.undone if isinstance(exc, MigrationFailed) else 0
            self.release = self.release.with_item(
                "rollback", "passed" if undone_steps else "skipped", {"policy": policy},
                f"the failed migration's {undone_steps} committed step(s) were undone by the runner" if undone_steps
                else "nothing was applied, so there was nothing to undo")
            self._finish("failed", exc.message)
            undone = exc.undone if isinstance(exc, MigrationFailed) else 0
            what = (f"the {undone} step(s) of it that had committed were undone, so the database is as it was"
                    if undone else "nothing had been applied, so the database was left as it was")
            raise DeployFailed(self._sentence(exc, what, None))
        if policy == "stop":
            self.release = self.release.with_item("rollback", "skipped", {"policy": "stop", "backup": display_path(
                backup.path, self.config.root) if backup else None}, "left as it is (on_failure = stop)")
            self._finish("failed, stopped", exc.message)
            raise DeployFailed(self._sentence(exc, "the database was left as it is (on_failure = stop)", backup))
        if policy == "restore":
            return self._restore(runner, env, backup, exc)
        return self._rollback(runner, start, backup, exc)

    def _history(self, runner: Any) -> dict[str, Any] | None:
        """The history rows now, or None when the runner's connection is gone.

        Only a lost connection (as the dialect tells it) means None, which sends on_failure to a new
        session; any other failure to read the history is a bug, and is raised as one rather than
        reported as a connection that was lost.
        """
        try:
            return dict(runner.records())
        except Exception as exc:  # the connection died with the migration (ConnectionLost): the driver's own error
            if runner.engine.is_connection_lost(exc, runner.conn):
                return None
            raise

    def _reconnect(self, runner: Any) -> Any:
        """A new runner (and the runner lock, which the lost session gave up) for the on_failure policy,
        or None if the database cannot be reached."""
        from safeshift.runner import Runner

        # the old session may still be alive and hold the runner lock: the new one would wait for it
        with contextlib.suppress(Exception):
            runner.conn.close()
        try:
            fresh = self._stack.enter_context(Runner(runner.dialect, self.url, runner.folder, runner.options,
                                                     self.on_event))
            self._stack.enter_context(fresh.locked())
        except SafeshiftError:
            return None
        self.say("reconnected for the on_failure policy")
        return fresh

    def _changed(self, records: Mapping[str, Any]) -> bool:
        """Whether this deploy changed the database: a migration it applied, or a step of one committed."""
        ours = {m["version"] for m in self.release.migrations}
        return any(v in ours and (r.status in ("applied", "rolling_back") or r.progress > 0)
                   for v, r in records.items())

    def _rollback(self, runner: Any, start: str | None, backup: Any, exc: SafeshiftError) -> Release:
        from safeshift import verify as vf

        self.say(f"rollback: running down sections back to {start or 'the empty schema'}")
        evidence: dict[str, Any] = {"policy": "rollback", "to": start or "0"}
        try:
            result = runner.rollback(to=start or "0")
            evidence["rolled back"] = [m.path.name for m in runner.folder.migrations if m.version in result.versions]
            found = vf.verify(runner.dialect, self.url, runner.folder)
        except SafeshiftError as rb_exc:
            evidence["error"] = rb_exc.message
            return self._cannot_roll_back(evidence, backup, exc, rb_exc.message)
        if not found.clean:
            evidence["drift after rollback"] = found.render_text().splitlines()
            return self._cannot_roll_back(evidence, backup, exc, f"{len(found.differences)} difference(s) remain")
        evidence["drift after rollback"] = "none"
        self.release = dataclasses.replace(self.release, to_version=start)
        self.release = self.release.with_item("rollback", "passed", evidence, "performed; schema verified")
        self._finish("failed, rolled back", exc.message)
        raise DeployFailed(self._sentence(exc, f"rolled back {len(result.versions)} migration(s) to "
                                               f"{start or 'the empty schema'} and verified the schema", None))

    def _cannot_roll_back(self, evidence: dict[str, Any], backup: Any, exc: SafeshiftError, why: str) -> Release:
        self.release = self.release.with_item("rollback", "failed", evidence, f"rollback could not restore the schema: "
                                              f"{why}")
        self._finish("failed", exc.message)
        raise DeployFailed(self._sentence(exc, f"rollback could not restore the schema ({why.rstrip('.')})", backup))

    def _restore(self, runner: Any, env: Any, backup: Any, exc: SafeshiftError) -> Release:
        from safeshift import backup as bk
        from safeshift import verify as vf

        if backup is None:
            self.release = self.release.with_item("rollback", "failed", {"policy": "restore"},
                                                  f"no backup to restore (backup = false for {env.name})")
            self._finish("failed", exc.message)
            raise DeployFailed(self._sentence(
                exc, f"on_failure = restore, but there is no backup to restore (backup = false for {env.name}), so "
                     "the database was left as it is", None))
        where = display_path(backup.path, self.config.root)
        name = runner.database
        taken_at = backup.manifest.created_at
        age = _age(taken_at)
        # said before the question (and with --yes, which asks none): what the restore throws away
        lost = {"backup taken at": taken_at, "backup age at restore": age,
                "writes lost": f"every write to {env.name} since {taken_at} (kept in the safety backup)"}
        self.say(f"restore: the backup {where} was taken {age} ago ({taken_at}); restoring it loses every write to "
                 f"{env.name} made since then (a safety backup of the current state keeps them)")
        try:
            confirmed = self.confirm_restore is None or self.confirm_restore(name, where)
            refusal = "the operator did not confirm the restore"
        except ConfirmationRequired:
            confirmed = False
            refusal = "the restore needs a typed confirmation and there was no terminal to ask on (--yes restores " \
                      "without asking)"
        if not confirmed:
            self.release = self.release.with_item("rollback", "failed", {"policy": "restore", "backup": where,
                                                                          **lost}, f"not restored: {refusal}")
            self._finish("failed", exc.message)
            raise DeployFailed(self._sentence(exc, f"{refusal}, so the database was left as it is", backup))
        self.say(f"restore: replacing the database with {where} (a safety backup of its current state first)")
        safety: list[str] = []

        def taken(made: Any) -> None:
            safety.append(display_path(made.path, self.config.root))
            self.say(f"restore: safety backup of the failed state: {safety[0]}")

        try:
            bk.restore_over(self.config, backup.path, self.url, on_safety_backup=taken, progress=self.progress)
        except SafeshiftError as rs_exc:
            self.release = self.release.with_item("rollback", "failed", {"policy": "restore", "backup": where,
                                                                          **lost}, f"restore failed: {rs_exc.message}")
            self._finish("failed", exc.message)
            raise DeployFailed(self._sentence(exc, f"restoring {where} failed too ({rs_exc.message.rstrip('.')})",
                                              backup)) from rs_exc
        found = vf.verify(runner.dialect, self.url, runner.folder)
        self.release = dataclasses.replace(self.release, to_version=self.release.from_version)
        self.release = self.release.with_item("rollback", "passed", {
            "policy": "restore", "backup": where, **lost, "safety backup": safety[0] if safety else None,
            "drift after restore": "none" if found.clean else found.render_text().splitlines()},
            f"the pre-deploy backup, taken {age} before, was restored; writes since {taken_at} are in the safety "
            "backup only")
        self._finish("failed, restored", exc.message)
        raise DeployFailed(self._sentence(exc, f"the pre-deploy backup {where} was restored", None))

    def _sentence(self, exc: SafeshiftError, what: str, backup: Any) -> str:
        hint = (f"; the pre-deploy backup is {display_path(backup.path, self.config.root)} "
                f"(`safeshift restore {display_path(backup.path, self.config.root)} --env {self.release.environment}`)"
                if backup is not None else "")
        record = (f"; release record: {display_path(self._record.with_suffix('.md'), self.config.root)}"
                  if self._record else "")
        return f"Deploy to {self.release.environment} failed: {_cause(exc)}; {what}{hint}{record}."

    # -- record --------------------------------------------------------------------------------
    def _save(self) -> None:
        self._record = write_record(self.config.root, self.release)

    def _finish(self, outcome: Outcome, error: str | None = None) -> Release:
        self.release = dataclasses.replace(
            self.release, outcome=outcome, finished_at=utc_iso(timespec="seconds"), error=redact_url(error) if error else None,
            duration_ms=ms_since(self._started, time.monotonic))
        self._save()
        return self.release



def _cause(exc: SafeshiftError) -> str:
    """What failed, without the advice that follows it: a failed migration's message goes on with
    what migrate did and advises running it again, which is not what a deploy that then applied its
    on_failure policy should say, so it is cut at its first sentence end (outside `quoted SQL`)."""
    text = redact_url(exc.message)
    if not isinstance(exc, MigrationFailed):
        return text.rstrip(".")
    quoted = False
    for i, ch in enumerate(text):
        if ch == "`":
            quoted = not quoted
        elif ch == "." and not quoted and text[i + 1:i + 2] == " " and text[i + 2:i + 3].isupper():
            return text[:i]
    return text.rstrip(".")


def _age(created_at: str) -> str:
    """How long ago a backup's manifest says it was taken (``2 min 05 s``), for "taken ... ago"."""
    from datetime import datetime

    try:
        taken = datetime.fromisoformat(created_at)
    except ValueError:
        return "an unknown time"
    return elapsed(max(0.0, (utc_now() - taken).total_seconds()))

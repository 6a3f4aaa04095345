"""What a rehearsal found, and where it is kept: the report's values (statements run, locks taken, checks
passed or failed), its JSON and Markdown forms under ``.safeshift/rehearsals/``, the verdict raised from
it, and the search deploy makes for a passed rehearsal of exactly the files it ships.

Apart from ``rehearse.py`` (which runs a rehearsal) so that deploy and the API can read and judge
reports without importing the machinery that makes them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from safeshift.engines.base import Lock, Mode
from safeshift.errors import RehearsalFailed
from safeshift.text import display_path
from safeshift.version import __version__

if TYPE_CHECKING:
    from safeshift.lint import Finding

CheckName = Literal["apply", "snapshot", "reversibility", "reapply", "smoke"]
CheckStatus = Literal["pass", "fail", "skipped"]
CHECKS: tuple[CheckName, ...] = ("apply", "snapshot", "reversibility", "reapply", "smoke")
REPORT_DIR = "rehearsals"
REPORT_FORMAT = 1


# -- what a rehearsal found ------------------------------------------------------------------

@dataclass(frozen=True)
class StatementRun:
    line: int
    sql: str
    ms: float
    transactional: bool
    locks: tuple[Lock, ...] = ()


@dataclass(frozen=True)
class MigrationRun:
    version: str
    name: str
    file: str
    checksum: str
    applied: bool = False
    ms: int | None = None
    statements: tuple[StatementRun, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.version}_{self.name}"

    def strongest_lock(self, modes: Sequence[str] = ()) -> Lock | None:
        """The strongest lock its statements took, by ``modes`` (the dialect's lock modes, weakest first);
        a mode not among them counts as the weakest, and of equals the first taken wins."""
        locks = [lk for st in self.statements for lk in st.locks]
        return max(locks, key=lambda lk: modes.index(lk.mode) if lk.mode in modes else -1, default=None)


@dataclass(frozen=True)
class Check:
    name: CheckName
    status: CheckStatus
    detail: str = ""
    ms: int | None = None
    #: the differences a snapshot or reversibility check found, one line each
    differences: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failure:
    """The statement that failed, as the report and the error message name it."""

    check: CheckName
    file: str | None
    line: int | None
    sqlstate: str | None
    reason: str
    sql: str | None = None

    def render(self) -> str:
        where = f"{self.file} line {self.line}" if self.file and self.line else (self.file or "a migration")
        code = f" (SQLSTATE {self.sqlstate})" if self.sqlstate else ""
        statement = f" in `{self.sql}`" if self.sql else ""
        return f"{where} failed{code}: {self.reason}{statement}"


@dataclass(frozen=True)
class Rehearsal:
    """Everything one rehearsal did and found; ``to_json`` is the report deploy reads."""

    source_env: str
    #: redacted URL of the database the copy was taken from (env mode: the database migrated)
    source: str
    mode: Mode
    server_version: str
    started_at: str
    sample_rows: int | None = None
    #: how the copy was built, and the name of the copy's database ("" in env mode)
    copy: str = ""
    copy_database: str = ""
    start_version: str | None = None
    #: the pending migrations rehearsed, as (version, name, file, checksum)
    pending: tuple[tuple[str, str, str, str], ...] = ()
    migrations: tuple[MigrationRun, ...] = ()
    findings: tuple[Finding, ...] = ()
    checks: tuple[Check, ...] = ()
    failure: Failure | None = None
    duration_ms: int = 0
    report_json: Path | None = None
    report_md: Path | None = None
    #: the database's lock modes, weakest first (``Dialect.lock_modes``); not part of the report
    lock_modes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failed_checks

    @property
    def failed_checks(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == "fail")

    @property
    def nothing_pending(self) -> bool:
        return not self.pending

    def check(self, name: CheckName) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def strongest_lock(self, m: MigrationRun) -> Lock | None:
        """The strongest lock migration ``m`` took, as this database orders its lock modes."""
        return m.strongest_lock(self.lock_modes)

    @property
    def where(self) -> str:
        """How messages name what was rehearsed on: "a scratch copy of staging (schema only)", "staging"."""
        if self.mode == "env":
            return self.source_env
        kind = {"schema": "schema only", "data": "with data",
                "sample": f"at most {self.sample_rows} rows per table"}[self.mode]
        return f"a scratch copy of {self.source_env} ({kind})"

    def to_json(self) -> str:
        doc: dict[str, Any] = {
            "format": REPORT_FORMAT,
            "safeshift_version": __version__,
            "started_at": self.started_at,
            "duration_ms": self.duration_ms,
            "passed": self.passed,
            "source": {"env": self.source_env, "database": self.source},
            "mode": self.mode if self.mode == "env" else f"scratch-{self.mode}",
            "sample_rows": self.sample_rows,
            "copy": self.copy or None,
            "copy_database": self.copy_database or None,
            "server_version": self.server_version,
            "start_version": self.start_version,
            "rehearsed": [{"version": v, "name": n, "file": f, "checksum": c} for v, n, f, c in self.pending],
            "migrations": [dataclasses.asdict(m) for m in self.migrations],
            "findings": [f.to_json() for f in self.findings],
            "checks": [dataclasses.asdict(c) for c in self.checks],
            "failure": dataclasses.asdict(self.failure) if self.failure else None,
        }
        return json.dumps(doc, indent=2) + "\n"

    def to_markdown(self) -> str:
        verdict_text = "passed" if self.passed else f"FAILED ({', '.join(c.name for c in self.failed_checks)})"
        out = [f"# safeshift rehearsal: {verdict_text}", "",
               f"- on: {self.where}", f"- source: {self.source} (environment {self.source_env})",
               f"- server: {self.server_version}", f"- started: {self.started_at}, took {self.duration_ms} ms"]
        if self.copy:
            out.append(f"- copy: {self.copy}")
        out.append(f"- starting version: {self.start_version or 'none'}")
        if self.nothing_pending:
            out += ["", "Nothing pending: there was nothing to rehearse."]
        out += ["", "## Checks", "", "| check | result | ms | detail |", "|---|---|---|---|"]
        for c in self.checks:
            out.append(f"| {c.name} | {c.status} | {'' if c.ms is None else c.ms} | {_md(c.detail)} |")
        for c in self.checks:
            if c.differences:
                out += ["", f"{c.name} differences:", ""] + [f"- {_md(d)}" for d in c.differences]
        if self.failure:
            out += ["", f"**Failing statement**: {_md(self.failure.render())}"]
        for m in self.migrations:
            total = "not applied" if not m.applied else f"{m.ms} ms"
            out += ["", f"## {m.label} ({total})", "", f"file `{m.file}`, sha256 `{m.checksum}`", ""]
            if m.statements:
                out += ["| line | statement | ms | locks |", "|---|---|---|---|"]
                out += [f"| {s.line} | `{_md(s.sql)}` | {s.ms:.1f} | "
                        f"{_md(', '.join(lk.render() for lk in s.locks if lk.new) or '-')} |" for s in m.statements]
        if self.findings:
            out += ["", "## Review findings", ""]
            out += [f"- {f.severity} [{f.rule}] {Path(f.file).name if f.file else ''}:{f.line}"
                    f"{' (down)' if f.section == 'down' else ''}: {_md(f.message)}"
                    + (" (acknowledged)" if f.acknowledged else "") for f in self.findings]
        return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def verdict(result: Rehearsal, root: Path | None = None) -> None:
    """Raise RehearsalFailed (exit 1) naming the first failed check, the failing statement and the report."""
    if result.passed:
        return
    failed = result.failed_checks
    first = failed[0]
    names = ", ".join(c.name for c in failed)
    report = display_path(result.report_md, root) if result.report_md else "no report"
    untouched = "; the source database was not changed" if result.mode != "env" else ""
    raise RehearsalFailed(
        f"The rehearsal on {result.where} failed {len(failed)} check(s) ({names}): {first.name}: "
        f"{first.detail.rstrip('.')}{untouched}; see {report}.", result)


def find_evidence(root: Path, wanted: Mapping[str, str], env_name: str | None = None) -> dict[str, Any] | None:
    """The newest passed rehearsal that covered every ``version -> checksum`` in ``wanted``, as evidence.

    For deploy's ``require_rehearsal``: a report counts only for the exact files it rehearsed
    (same versions, same sha256), on a scratch copy of any environment or on staging itself,
    unless ``env_name`` asks for one source environment.  Returns what the release record keeps
    (the report's path relative to ``root``, when, where, mode) or None.
    """
    folder = root / ".safeshift" / REPORT_DIR
    if not folder.is_dir():
        return None
    need = set(wanted.items())
    for path in sorted(folder.glob("*.json"), reverse=True):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict) or doc.get("passed") is not True:
            continue
        source: dict[str, Any] = doc["source"] if isinstance(doc.get("source"), dict) else {}
        if env_name is not None and source.get("env") != env_name:
            continue
        done = {(r.get("version"), r.get("checksum")) for r in doc.get("rehearsed", []) if isinstance(r, dict)}
        if need <= done:
            return {"report": display_path(path, root), "started_at": doc.get("started_at"), "mode": doc.get("mode"),
                    "source": source.get("env"), "database": source.get("database"),
                    "versions": sorted(wanted)}
    return None

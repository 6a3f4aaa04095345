"""The release record: what a deploy did, step by step, with the evidence for each step.

``.safeshift/releases/<UTC time>_<env>.json`` (for machines) and ``.md`` (for people, and for a
pull-request comment), written atomically and rewritten after every phase of a deploy, so a deploy
that is killed still leaves the checklist of what it had done.  ``safeshift report`` reads them.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from safeshift.errors import ConfigError
from safeshift.files import write_atomic
from safeshift.text import redact_url, stamp_id, utc_now
from safeshift.version import __version__

ItemStatus = Literal["passed", "failed", "skipped", "not run"]
Outcome = Literal["in progress", "released", "nothing to deploy", "failed", "failed, rolled back",
                  "failed, restored", "failed, stopped"]

RELEASES_DIR = Path(".safeshift") / "releases"

#: the runbook's completion checklist, in order
CHECKLIST: tuple[tuple[str, str], ...] = (
    ("reviewed", "Schema changes reviewed"),
    ("generated", "Migration files generated and reviewed"),
    ("rehearsed", "Rehearsed on staging or a scratch copy"),
    ("backup", "Backup of {environment} taken"),
    ("applied", "Applied"),
    ("verified", "App verified after apply"),
    ("rollback", "Rollback ready or performed"),
)


def checklist(environment: str) -> tuple[Item, ...]:
    """The checklist's items, not run yet, with titles naming the environment (a staging deploy's backup is
    the backup of staging, not of production)."""
    return tuple(Item(key, title.format(environment=environment)) for key, title in CHECKLIST)


@dataclass(frozen=True)
class Item:
    """One checklist line with its evidence."""

    key: str
    title: str
    status: ItemStatus = "not run"
    evidence: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Release:
    """What a deploy did, for people (markdown) and machines (JSON)."""

    id: str
    environment: str
    database: str
    started_at: str
    outcome: Outcome = "in progress"
    finished_at: str | None = None
    duration_ms: int | None = None
    from_version: str | None = None
    to_version: str | None = None
    migrations: tuple[Mapping[str, Any], ...] = ()
    items: tuple[Item, ...] = ()
    error: str | None = None
    safeshift_version: str = __version__
    #: the Markdown section picturing what the migrations change (a Mermaid diagram), "" when none
    picture: str = ""

    def with_item(self, key: str, status: ItemStatus, evidence: Mapping[str, Any] | None = None,
                  note: str = "") -> Release:
        items = tuple(dataclasses.replace(i, status=status, evidence=dict(evidence or {}), note=redact_url(note))
                      if i.key == key else i for i in self.items)
        return dataclasses.replace(self, items=items)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, default=str) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Release:
        data = json.loads(text)
        data["items"] = tuple(Item(**i) for i in data.get("items", ()))
        data["migrations"] = tuple(data.get("migrations", ()))
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_markdown(self) -> str:
        mark = {"passed": "x", "failed": "!", "skipped": "-", "not run": " "}
        lines = [f"# Release {self.id}: {self.outcome}", "",
                 f"- environment: {self.environment} ({self.database})",
                 f"- started {self.started_at}" + (f", finished {self.finished_at} ({self.duration_ms} ms)"
                                                   if self.finished_at else ""),
                 f"- schema version: {self.from_version or 'empty'} -> {self.to_version or 'empty'}",
                 f"- safeshift {self.safeshift_version}"]
        if self.error:
            lines += [f"- error: {self.error}"]
        if self.migrations:
            lines += ["", "| migration | checksum | ms | lock retries |", "| --- | --- | --- | --- |"]
            lines += [f"| {m['file']} | {str(m['checksum'])[:12]} | {m.get('duration_ms', '')} | "
                      f"{m.get('lock_retries', '')} |" for m in self.migrations]
        if self.picture:
            lines += [self.picture.rstrip("\n")]
        lines += ["", "## Checklist", ""]
        for n, i in enumerate(self.items, 1):
            lines.append(f"{n}. [{mark[i.status]}] **{i.title}**: {i.status}" + (f": {i.note}" if i.note else ""))
            lines += _evidence_lines(i.evidence)
        return "\n".join(lines) + "\n"


#: review's evidence: the findings of the up sections and of the down sections, shown as one table
_FINDINGS = ("findings", "down section findings")


def _evidence_lines(evidence: Mapping[str, Any]) -> list[str]:
    """An item's evidence as Markdown a person reads: counts as a short table, lists as bullets, never JSON
    unless a value is nested deeper than that."""
    lines: list[str] = []
    tabled = [k for k in _FINDINGS if isinstance(evidence.get(k), Mapping)]
    counts = {"up" if k == "findings" else "down": evidence[k] for k in tabled}
    if counts:
        severities = list(dict.fromkeys(s for row in counts.values() for s in row))
        lines += ["   - findings:", "",
                  "     | section | " + " | ".join(map(_cell, severities)) + " |",
                  "     | --- | " + " | ".join("---" for _ in severities) + " |"]
        lines += [f"     | {label} | " + " | ".join(_cell(row.get(s, 0)) for s in severities) + " |"
                  for label, row in counts.items()]
        lines.append("")
    for k, v in evidence.items():
        if k in tabled:
            continue
        if isinstance(v, list | tuple) and all(not isinstance(x, list | tuple | dict) for x in v):
            lines += [f"   - {k}: none"] if not v else [f"   - {k}:", *(f"     - {x}" for x in v)]
        elif isinstance(v, Mapping) and v and all(not isinstance(x, list | tuple | dict) for x in _flat(v).values()):
            v = _flat(v)
            lines += [f"   - {k}:", "", "     | " + " | ".join(map(_cell, v)) + " |",
                      "     | " + " | ".join("---" for _ in v) + " |",
                      "     | " + " | ".join(map(_cell, v.values())) + " |", ""]
        else:
            shown = json.dumps(v, default=str) if isinstance(v, list | tuple | dict) else str(v)
            lines.append(f"   - {k}: {shown}")
    return lines


def _flat(value: Mapping[str, Any]) -> dict[str, Any]:
    """One level of nesting as "outer inner" keys (a restore check's ``check: {kind, ms}``), for one table row."""
    flat: dict[str, Any] = {}
    for k, v in value.items():
        if isinstance(v, Mapping):
            flat.update({f"{k} {inner}": x for inner, x in v.items()})
        else:
            flat[k] = v
    return flat


def _cell(value: object) -> str:
    """A table cell: a ``|`` in the value (a shell pipe in a health command) would end the cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def write_record(root: Path, release: Release) -> Path:
    """Write (or rewrite) the record's JSON and markdown atomically; return the JSON path."""
    folder = root / RELEASES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{release.id}.json"
    for target, text in ((path, release.to_json()), (path.with_suffix(".md"), release.to_markdown())):
        write_atomic(target, redact_url(text))
    return path


def list_records(root: Path) -> list[Path]:
    folder = root / RELEASES_DIR
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def read_record(path: Path) -> Release:
    """The record at ``path`` (its JSON, or the markdown twin that messages name)."""
    if path.suffix == ".md":
        path = path.with_suffix(".json")
    try:
        return Release.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"There is no release record {path}; `safeshift report` with no FILE shows the newest.") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigError(f"{path} is not a safeshift release record ({exc}).") from exc


def reserve_id(root: Path, env_name: str) -> str:
    """A record id no other deploy has: UTC time to the millisecond (sorts by time, as backups do),
    claimed by creating its JSON file exclusively, so two deploys started at once never share a record."""
    folder = root / RELEASES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    now = utc_now()
    while True:
        rid = stamp_id(now, env_name)
        try:
            os.close(os.open(folder / f"{rid}.json", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            return rid
        except FileExistsError:
            now += timedelta(milliseconds=1)

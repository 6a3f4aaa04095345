"""The values the lint layer produces: a Finding per hazard, and the live Facts that grade it.

A Finding is what a reviewer reads: which rule, how bad, where, why (one sentence) and what
to write instead.  Facts come from a live database (``--url``); without them every table a
file does not create is assumed to be big and busy, which is the safe assumption.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

Category = Literal["data-loss", "lock", "data", "compat"]
Severity = Literal["error", "warning", "info"]
#: which section of a migration a statement stands in; plain SQL files are all "up"
Section = Literal["up", "down"]

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
CATEGORIES: tuple[Category, ...] = ("data-loss", "lock", "data", "compat")


@dataclass(frozen=True)
class Facts:
    """What a live database says about one table; lock findings on new or empty tables become ``info``."""

    exists: bool = True
    #: pg_class.reltuples; None when unknown (reltuples < 0: never vacuumed or analysed)
    row_estimate: int | None = None
    size_bytes: int | None = None
    created_in_this_migration: bool = False

    @property
    def harmless_locks(self) -> bool:
        """Whether locking this table cannot stall anyone: it is new, or known to be empty."""
        return not self.exists or self.created_in_this_migration or self.row_estimate == 0

    def describe(self) -> str | None:
        """``"about 2,000,000 rows, 312 MB"``, or None when nothing is known."""
        parts: list[str] = []
        if not self.exists or self.created_in_this_migration:
            return "created by this migration"
        if self.row_estimate is not None and self.row_estimate >= 0:
            parts.append(f"about {self.row_estimate:,} rows")
        if self.size_bytes is not None:
            parts.append(_size(self.size_bytes))
        return ", ".join(parts) or None


def _size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.0f} {unit}"
        value /= 1024
    return f"{value:.0f} TB"  # pragma: no cover - loop always returns


@dataclass(frozen=True)
class Finding:
    """One hazard in one statement."""

    rule: str
    category: Category
    severity: Severity
    file: str | None
    line: int | None
    statement: str
    #: one sentence: why this statement is a hazard
    message: str
    #: the safe alternative: SQL or steps
    fix: str
    #: a ``-- safeshift:allow RULE reason`` covers it
    acknowledged: bool = False
    reason: str | None = None
    #: the table the finding is about (as written), and what live facts say about it
    table: str | None = None
    table_facts: str | None = field(default=None, compare=False)
    #: "down": in a migration's down section, which runs only on rollback (or deploy's on_failure);
    #: reported so the reviewer sees what a rollback would do, never blocking (a down drops what its
    #: up added by design)
    section: Section = "up"

    def to_json(self) -> dict[str, object]:
        """The documented JSON shape: the eight keys first, then acknowledgement, section and table facts."""
        out: dict[str, object] = {
            "rule": self.rule,
            "category": self.category,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "statement": self.statement,
            "message": self.message,
            "fix": self.fix,
            "acknowledged": self.acknowledged,
            "section": self.section,
        }
        if self.reason is not None:
            out["reason"] = self.reason
        if self.table is not None:
            out["table"] = self.table
        if self.table_facts is not None:
            out["table_facts"] = self.table_facts
        return out

    def acknowledge(self, reason: str) -> Finding:
        return replace(self, acknowledged=True, reason=reason)


def unacknowledged_errors(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that block ``review`` (exit 1) and ``migrate``: errors nobody accepted.

    Down-section findings never block: they describe a rollback, not the change being shipped.
    """
    return [f for f in findings if f.severity == "error" and not f.acknowledged and f.section == "up"]


def lookup_facts(facts: Mapping[str, Facts] | None, schema: str | None, table: str) -> Facts | None:
    """Facts for a table written as ``schema.table`` or bare ``table`` (then ``public.table`` too)."""
    if not facts:
        return None
    if schema:
        keys = [f"{schema}.{table}", table] if schema == "public" else [f"{schema}.{table}"]
    else:
        keys = [table, f"public.{table}"]
    for key in keys:
        if key in facts:
            return facts[key]
    return None

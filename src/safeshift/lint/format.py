"""Findings rendered for people (text, markdown), machines (json) and CI (GitHub annotations)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal

from safeshift.errors import ConfigError
from safeshift.lint.finding import SEVERITIES, Finding
from safeshift.text import shorten

Format = Literal["text", "json", "markdown", "github"]
FORMATS: tuple[Format, ...] = ("text", "json", "markdown", "github")


def summary(findings: Sequence[Finding]) -> dict[str, int]:
    """Counts per severity (acknowledged ones included), acknowledged, and files with findings."""
    out: dict[str, int] = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    out["acknowledged"] = sum(1 for f in findings if f.acknowledged)
    out["files"] = len({f.file for f in findings if f.file is not None})
    return out


def _where(f: Finding) -> str:
    """``file:line``, with ``(down)`` for a migration's down section (it runs on rollback only)."""
    place = f"{f.file}:{f.line}" if f.file and f.line else f.file or (f"line {f.line}" if f.line else "<sql>")
    return f"{place} (down)" if f.section == "down" else place


def _totals(findings: Sequence[Finding]) -> str:
    s = summary(findings)
    down = sum(1 for f in findings if f.section == "down")
    tail = (f"; {down} of them in down sections (run only on rollback; they do not block)" if down else "")
    return (f"{s['error']} error(s), {s['warning']} warning(s), {s['info']} info, "
            f"{s['acknowledged']} acknowledged{tail}.")


def render_text(findings: Sequence[Finding]) -> str:
    if not findings:
        return "No hazards found.\n"
    lines: list[str] = []
    for f in findings:
        ack = f" (acknowledged: {f.reason or 'no reason given'})" if f.acknowledged else ""
        lines.append(f"{_where(f)}: {f.severity} [{f.rule}] ({f.category}){ack}")
        lines.append(f"  {shorten(f.statement, 120)}")
        lines.append(f"  why: {f.message}")
        if f.table_facts:
            lines.append(f"  table: {f.table} ({f.table_facts})")
        lines.append(f"  fix: {f.fix}")
        lines.append("")
    lines.append(_totals(findings))
    return "\n".join(lines) + "\n"


def render_json(findings: Sequence[Finding]) -> str:
    return json.dumps({"findings": [f.to_json() for f in findings], "summary": summary(findings)}, indent=2) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(findings: Sequence[Finding]) -> str:
    if not findings:
        return "**safeshift review**: no hazards found.\n"
    out = [f"**safeshift review**: {_totals(findings)}", "",
           "| Severity | Rule | Where | Statement | Why | Fix |", "|---|---|---|---|---|---|"]
    for f in findings:
        sev = f"{f.severity} (acknowledged)" if f.acknowledged else f.severity
        out.append(f"| {sev} | `{f.rule}` | {_md(_where(f))} | `{_md(shorten(f.statement, 80))}` | "
                   f"{_md(f.message)} | {_md(f.fix)} |")
    return "\n".join(out) + "\n"


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(findings: Sequence[Finding]) -> str:
    """GitHub Actions workflow commands: one annotation per finding (acknowledged ones as notices).

    A down-section finding never fails the check, so it is annotated one level lower (an error
    as a warning) and its title and message say it runs on rollback.
    """
    level = {"error": "error", "warning": "warning", "info": "notice"}
    lower = {"error": "warning", "warning": "notice", "info": "notice"}
    out: list[str] = []
    for f in findings:
        down = f.section == "down"
        kind = "notice" if f.acknowledged else (lower if down else level)[f.severity]
        props = [f"file={_gh_escape(f.file, True)}"] if f.file else []
        if f.line:
            props.append(f"line={f.line}")
        props.append(f"title={_gh_escape(f.rule + (' (down)' if down else ''), True)}")
        message = f"In the down section (runs on rollback): {f.message}" if down else f.message
        out.append(f"::{kind} {','.join(props)}::{_gh_escape(message)}")
    return "\n".join(out) + ("\n" if out else "")


def render(findings: Sequence[Finding], fmt: str = "text") -> str:
    if fmt == "text":
        return render_text(findings)
    if fmt == "json":
        return render_json(findings)
    if fmt == "markdown":
        return render_markdown(findings)
    if fmt == "github":
        return render_github(findings)
    raise ConfigError(f"unknown review format {fmt!r}; use one of {', '.join(FORMATS)}")

"""The review as one self-contained HTML page: the diagram before and after, the SQL with its findings
inline, and the last rehearsal's timings and locks.

Self-contained means it opens from a file, offline, years later: the style is inline, the
diagrams are inline SVG (``svg.py``), there is no script and nothing is fetched (no fonts, no
images).  Every text that came from a migration, a finding or a report is escaped.  Each SQL line
has an anchor (``#f<n>-L<line>``) that the findings list links to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from safeshift.lint.finding import Finding
from safeshift.picture import svg
from safeshift.picture.diagram import Diagram
from safeshift.picture.mermaid import LEGEND


@dataclass(frozen=True)
class SqlFile:
    """A reviewed file as findings name it (``label``) and its text."""

    label: str
    text: str


@dataclass(frozen=True)
class StatementTiming:
    line: int
    sql: str
    ms: float
    #: the locks it took, as the report renders them (``ACCESS EXCLUSIVE on public.posts``)
    locks: tuple[str, ...]


@dataclass(frozen=True)
class MigrationTiming:
    label: str
    applied: bool
    ms: int | None
    statements: tuple[StatementTiming, ...]
    #: the rehearsal ran the file's present text (same sha256)
    same_text: bool


@dataclass(frozen=True)
class RehearsalView:
    """What the page shows of a rehearsal report (read by orchestration, ``review_picture``)."""

    report: str
    started_at: str
    where: str
    passed: bool
    migrations: tuple[MigrationTiming, ...]


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#24292f;margin:24px;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #d0d7de}
.diagrams{display:flex;flex-wrap:wrap;gap:24px}.diagrams figure{margin:0;border:1px solid #d0d7de;padding:8px;
overflow:auto;max-width:100%}figcaption{font-weight:600;margin-bottom:4px}
.sql{font:13px/1.5 monospace;border:1px solid #d0d7de;background:#f6f8fa;overflow-x:auto}
.line{display:flex;white-space:pre}.line:target{background:#fff8c5}.ln{display:inline-block;min-width:4em;
padding-right:1em;text-align:right;color:#6e7781;text-decoration:none;user-select:none}
.flagged{background:#fff1f1}.finding{margin:2px 0 6px 5em;padding:4px 8px;border-left:4px solid;
font:13px/1.4 system-ui,sans-serif;white-space:normal;background:#fff}
.error{border-color:#cf222e}.warning{border-color:#bf8700}.info{border-color:#0969da}.acknowledged{opacity:.7}
table.timings{border-collapse:collapse}table.timings td,table.timings th{border:1px solid #d0d7de;padding:3px 8px;
text-align:left;vertical-align:top}code{font-family:monospace}.note{color:#57606a}
"""


def _finding_html(f: Finding) -> str:
    ack = f" (acknowledged: {escape(f.reason or 'no reason given')})" if f.acknowledged else ""
    down = " (down section: runs on rollback)" if f.section == "down" else ""
    cls = f"finding {escape(f.severity)}" + (" acknowledged" if f.acknowledged else "")
    return (f'<div class="{cls}"><strong>{escape(f.severity)} [{escape(f.rule)}]</strong> '
            f"({escape(f.category)}){down}{ack}: {escape(f.message)}<br><em>fix:</em> {escape(f.fix)}</div>")


def _sql_html(n: int, file: SqlFile, findings: Sequence[Finding]) -> str:
    by_line: dict[int, list[Finding]] = {}
    for f in findings:
        by_line.setdefault(f.line or 1, []).append(f)
    lines = file.text.splitlines() or [""]
    out = [f'<h3 id="f{n}">{escape(file.label)}</h3>', '<div class="sql">']
    for i, text in enumerate(lines, 1):
        flagged = " flagged" if i in by_line else ""
        out.append(f'<div class="line{flagged}" id="f{n}-L{i}"><a class="ln" href="#f{n}-L{i}">{i}</a>'
                   f"<code>{escape(text)}</code></div>")
        out += [_finding_html(f) for f in by_line.get(i, ())]
    beyond = [f for line, fs in sorted(by_line.items()) if line > len(lines) for f in fs]
    out += [_finding_html(f) for f in beyond]
    out.append("</div>")
    return "\n".join(out)


def _rehearsal_html(r: RehearsalView | None) -> str:
    if r is None:
        return ('<p class="note">No rehearsal of these migrations was found under .safeshift/rehearsals/; '
                "<code>safeshift rehearse</code> records one.</p>")
    verdict = "passed" if r.passed else "FAILED"
    out = [f"<p>{escape(r.report)}: {verdict}, on {escape(r.where)}, started {escape(r.started_at)}.</p>"]
    for m in r.migrations:
        total = f"{m.ms} ms" if m.applied and m.ms is not None else "not applied"
        stale = "" if m.same_text else " <em>(rehearsed an earlier text of this file)</em>"
        out.append(f"<h3>{escape(m.label)} ({total}){stale}</h3>")
        if not m.statements:
            continue
        out.append('<table class="timings"><tr><th>line</th><th>statement</th><th>ms</th><th>locks taken</th></tr>')
        out += [f"<tr><td>{s.line}</td><td><code>{escape(s.sql)}</code></td><td>{s.ms:.1f}</td>"
                f"<td>{escape(', '.join(s.locks) or '-')}</td></tr>" for s in m.statements]
        out.append("</table>")
    return "\n".join(out)


def render_page(*, title: str, diagram: Diagram, files: Sequence[SqlFile], findings: Sequence[Finding],
                rehearsal: RehearsalView | None, notes: Sequence[str] = ()) -> str:
    """The whole page; ``notes`` say what the picture could not show exactly (a file without a snapshot)."""
    index = {f.label: n for n, f in enumerate(files, 1)}
    errors = sum(1 for f in findings if f.severity == "error" and not f.acknowledged and f.section == "up")
    head = (f"<p>{len(files)} file(s), {len(findings)} finding(s), {errors} unacknowledged error(s).</p>")
    listing = ["<ul>"]
    for f in findings:
        n = index.get(f.file or "")
        where = f"{f.file or '<sql>'}:{f.line}" if f.line else (f.file or "<sql>")
        link = f'<a href="#f{n}-L{f.line or 1}">{escape(where)}</a>' if n else escape(where)
        down = " (down section: runs on rollback)" if f.section == "down" else ""
        ack = " (acknowledged)" if f.acknowledged else ""
        listing.append(f"<li>{link}{down}: {escape(f.severity)}{ack} [{escape(f.rule)}] {escape(f.message)}</li>")
    listing.append("</ul>")
    if not diagram.changed:
        pictures = '<p class="note">The reviewed migrations change no table.</p>'
    else:
        pictures = ('<div class="diagrams">'
                    f"<figure><figcaption>Before</figcaption>{svg.render(diagram, 'before')}</figure>"
                    f"<figure><figcaption>After</figcaption>{svg.render(diagram, 'after')}</figure></div>")
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>", head,
        "<h2>The change</h2>", f'<p class="note">{escape(LEGEND.replace("`", ""))}</p>', pictures,
        *[f'<p class="note">{escape(diagram.label(b.key))}: {escape(", ".join(b.notes))}</p>'
          for b in diagram.changed if b.notes],
        *[f'<p class="note">{escape(n)}</p>' for n in notes],
        "<h2>Findings</h2>", "\n".join(listing) if findings else "<p>No hazards found.</p>",
        "<h2>SQL</h2>", *[_sql_html(n, f, [x for x in findings if x.file == f.label]) for n, f in enumerate(files, 1)],
        "<h2>Last rehearsal</h2>", _rehearsal_html(rehearsal),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


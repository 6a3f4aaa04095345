"""A ``Diagram`` drawn as inline SVG, one side of the change at a time, by a small layout of its own.

No layout library and no script: the page must open offline, the same bytes every time.  Tables
are boxes (a title bar, one row per column) placed on a grid in the diagram's order (changed
tables first), each grid column as wide as its widest box; a foreign key is a curve from the
referencing column's row to the referenced column's row, ending in an arrow.  Text widths are
estimated from a monospace font's advance (about 0.6 em), generously, so a name never spills out
of its box.  Every identifier is escaped; each table's group carries ``data-table`` (its
qualified name) so a browser test can find it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Literal

from safeshift.picture.diagram import Attr, Box, Diagram, Edge, Face

Side = Literal["before", "after"]

FONT_PX = 13
CHAR_PX = 8.0  # a 13 px monospace glyph is ~7.8 px wide
ROW_PX = 20
TITLE_PX = 26
PAD_PX = 10
GAP_X = 90
GAP_Y = 44
MARGIN = 16
MIN_WIDTH = 150

#: fill of a title bar and stroke of a box, by the table's mark; a neighbour or untouched table is grey
COLOURS = {"added": ("#d5f5dd", "#1a7f37"), "dropped": ("#ffe0e0", "#cf222e"), "changed": ("#fff1c7", "#9a6700"),
           "touched": ("#ddeeff", "#0969da"), "neighbour": ("#eeeeee", "#6e7781")}
TEXT_COLOURS = {"added": "#1a7f37", "dropped": "#cf222e", "changed": "#9a6700", "same": "#24292f"}
SIGNS = {"added": "+", "dropped": "-", "changed": "~", "same": " "}


@dataclass(frozen=True)
class _Placed:
    box: Box
    rows: tuple[Attr, ...]
    x: float
    y: float
    w: float
    h: float


def _face(a: Attr, side: Side) -> Face | None:
    return a.before if side == "before" else a.after


def _row_text(a: Attr, face: Face, side: Side) -> str:
    """``~ name  type KEYS``; after the change, a changed column also says how (``(NOT NULL; +FK)``)."""
    keys = f" {','.join(face.keys)}" if face.keys else ""
    how = f"  ({'; '.join(a.notes())})" if side == "after" and a.mark == "changed" else ""
    return f"{SIGNS[a.mark]} {a.name}  {face.type}{keys}{how}"


def _title(d: Diagram, b: Box) -> str:
    how = {"added": " (new)", "dropped": " (dropped)", "changed": " (changed)", "same": ""}[b.mark]
    return d.label(b.key) + (" (touched)" if b.role == "touched" else how if b.role == "changed" else "")


def _visible(b: Box, side: Side) -> bool:
    return not (side == "before" and b.mark == "added") and not (side == "after" and b.mark == "dropped")


def layout(d: Diagram, side: Side) -> tuple[list[_Placed], float, float]:
    """Boxes placed on the grid for ``side``; with the drawing's width and height."""
    boxes = [b for b in d.boxes if _visible(b, side)]
    sized: list[tuple[Box, tuple[Attr, ...], float, float]] = []
    for b in boxes:
        rows = tuple(a for a in b.attrs if _face(a, side) is not None)
        texts = [_title(d, b)] + [_row_text(a, f, side) for a in rows if (f := _face(a, side)) is not None]
        w = max(MIN_WIDTH, max(len(t) for t in texts) * CHAR_PX + 2 * PAD_PX)
        sized.append((b, rows, w, TITLE_PX + ROW_PX * max(len(rows), 1) + PAD_PX / 2))
    cols = max(1, math.ceil(math.sqrt(len(sized))))
    widths = [max((s[2] for s in sized[c::cols]), default=0.0) for c in range(cols)]
    placed: list[_Placed] = []
    y = float(MARGIN)
    for r in range(0, len(sized), cols):
        line = sized[r:r + cols]
        x = float(MARGIN)
        for c, (b, rows, w, h) in enumerate(line):
            placed.append(_Placed(b, rows, x, y, w, h))
            x += widths[c] + GAP_X
        y += max(s[3] for s in line) + GAP_Y
    width = max(MARGIN * 2 + sum(widths) + GAP_X * (len(widths) - 1) + GAP_X / 2, 320.0)
    height = max(y - GAP_Y + MARGIN, 80.0)
    return placed, width, height


def _row_y(p: _Placed, columns: tuple[str, ...]) -> float:
    for i, a in enumerate(p.rows):
        if a.name in columns:
            return p.y + TITLE_PX + ROW_PX * i + ROW_PX / 2
    return p.y + TITLE_PX / 2


def _edge(e: Edge, at: dict[tuple[str, str], _Placed], side: Side) -> str:
    c, p = at[e.child], at[e.parent]
    y1, y2 = _row_y(c, e.columns), _row_y(p, e.ref_columns)
    if p.x > c.x + c.w / 2:
        x1, x2, d1, d2 = c.x + c.w, p.x, 1, -1
    elif p.x + p.w < c.x + c.w / 2:
        x1, x2, d1, d2 = c.x, p.x + p.w, -1, 1
    else:  # one above the other (or a table referencing itself): out of the right sides and back
        x1, x2, d1, d2 = c.x + c.w, p.x + p.w, 1, 1
    bend = max(40.0, abs(x2 - x1) / 2)
    c1, c2 = x1 + d1 * bend, x2 + d2 * bend
    if d1 == d2:  # both out of the right sides: bend past the wider box, not through it
        c1 = c2 = max(x1, x2) + 50.0
    stroke = TEXT_COLOURS[e.mark] if e.mark != "same" else "#6e7781"
    dash = ' stroke-dasharray="6 4"' if e.mark == "dropped" else ""
    path = f"M{x1:.1f},{y1:.1f} C{c1:.1f},{y1:.1f} {c2:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    title = escape(f"{'.'.join(e.child)} ({', '.join(e.columns)}) -> {'.'.join(e.parent)} ({', '.join(e.ref_columns)})")
    return (f'<path class="fk fk-{e.mark}" d="{path}" fill="none" stroke="{stroke}" stroke-width="1.6"{dash} '
            f'marker-end="url(#{side}-arrow-{e.mark})"><title>{title}</title></path>')


def _box(d: Diagram, p: _Placed, side: Side) -> str:
    b = p.box
    kind = b.role if b.role != "changed" else b.mark if b.mark != "same" else "changed"
    fill, stroke = COLOURS.get(kind, COLOURS["neighbour"])
    out = [f'<g class="table table-{kind}" data-table="{escape(b.qualname)}">',
           f'<rect x="{p.x:.1f}" y="{p.y:.1f}" width="{p.w:.1f}" height="{p.h:.1f}" rx="4" fill="#ffffff" '
           f'stroke="{stroke}" stroke-width="1.5"/>',
           f'<rect x="{p.x:.1f}" y="{p.y:.1f}" width="{p.w:.1f}" height="{TITLE_PX}" rx="4" fill="{fill}" '
           f'stroke="{stroke}" stroke-width="1.5"/>',
           f'<text x="{p.x + PAD_PX:.1f}" y="{p.y + TITLE_PX - 8:.1f}" font-weight="bold">{escape(_title(d, b))}</text>']
    for i, a in enumerate(p.rows):
        face = _face(a, side)
        assert face is not None
        y = p.y + TITLE_PX + ROW_PX * (i + 1) - 5
        strike = ' text-decoration="line-through"' if a.mark == "dropped" else ""
        out.append(f'<text x="{p.x + PAD_PX:.1f}" y="{y:.1f}" fill="{TEXT_COLOURS[a.mark]}"{strike}>'
                   f"{escape(_row_text(a, face, side))}</text>")
    if not p.rows:
        out.append(f'<text x="{p.x + PAD_PX:.1f}" y="{p.y + TITLE_PX + ROW_PX - 5:.1f}" fill="#6e7781">'
                   "(no columns)</text>")
    out.append("</g>")
    return "\n".join(out)


def render(d: Diagram, side: Side) -> str:
    """One ``<svg>`` element: the tables as they are ``side`` of the change."""
    placed, width, height = layout(d, side)
    at = {p.box.key: p for p in placed}
    markers = "".join(
        f'<marker id="{side}-arrow-{mark}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour if mark != "same" else "#6e7781"}"/>'
        f"</marker>" for mark, colour in TEXT_COLOURS.items())
    edges = [_edge(e, at, side) for e in d.edges
             if e.child in at and e.parent in at and not (side == "before" and e.mark == "added")
             and not (side == "after" and e.mark == "dropped")]
    body = [_box(d, p, side) for p in placed]
    if not placed:
        body = [f'<text x="{MARGIN}" y="{MARGIN + 20}" fill="#6e7781">'
                f"{'No tables before the change.' if side == 'before' else 'No tables after the change.'}</text>"]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram diagram-{side}" width="{width:.0f}" '
            f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" font-family="monospace" '
            f'font-size="{FONT_PX}" role="img" aria-label="tables {side} the change">'
            f"<defs>{markers}</defs>\n" + "\n".join(edges + body) + "\n</svg>")

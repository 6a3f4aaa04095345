"""A ``Diagram`` as a Mermaid ``erDiagram``, for the Markdown a pull-request comment shows.

GitHub, GitLab and most Markdown viewers draw a ```mermaid block with no server.  Viewers run
different Mermaid versions, so only the oldest grammar is used: quoted entity names, attribute
words of ``[A-Za-z0-9_-]`` (types also keep ``()[]``; a column or type spelled otherwise is written as
such a word, and its real spelling goes in the attribute's comment), the key markers PK/FK/UK, and quoted comments.
Characters a quoted string cannot hold (and ``<``/``>``, which a viewer could take for HTML) are
written as Mermaid entity codes (``#quot;``), which Mermaid turns back into the character when it
draws, so every identifier survives.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from safeshift.picture.diagram import Attr, Box, Diagram, Edge

#: a word Mermaid's erDiagram lexer reads as one attribute type or name in every version since 9
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
#: words the lexer takes for something else inside an entity block (case-insensitively)
_RESERVED = {"PK", "FK", "UK"}
_TABLE_WORD = {"added": "new", "dropped": "dropped", "changed": "changed", "same": ""}
_SIGN = {"added": "+", "dropped": "-", "changed": "~", "same": ""}

LEGEND = ("Tables the change alters are marked (new), (changed) or (dropped); their columns `+` added, "
          "`~` changed, `-` dropped. Tables joined to them by a foreign key are shown with their key columns.")


def quoted(text: str) -> str:
    """``text`` as a Mermaid quoted string: entity codes for what the quotes cannot hold."""
    codes = {'"': "#quot;", "%": "#37;", "\\": "#92;", "#": "#35;", "<": "#lt;", ">": "#gt;"}
    body = "".join(codes.get(ch, ch) for ch in " ".join(text.split()))
    return f'"{body}"'


def word(text: str) -> str:
    """``text`` as one attribute word: itself when the lexer reads it so, else a close spelling that it does."""
    if _WORD.fullmatch(text) and text.upper() not in _RESERVED:
        return text
    out = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "x"
    if not re.match(r"[A-Za-z_]", out):
        out = f"_{out}"
    return f"{out}_" if out.upper() in _RESERVED else out


def type_word(text: str) -> str:
    """A column type as one attribute word: spaces become ``_`` and parentheses and brackets stay
    (``character_varying(100)``, ``integer[]``); anything else the lexer cannot read becomes ``_``."""
    out = re.sub(r"[^A-Za-z0-9_()\[\]-]+", "_", "_".join(text.split())) or "x"
    return out if re.match(r"[A-Za-z_]", out) and out.upper() not in _RESERVED else f"t_{out}"


def entity(d: Diagram, box: Box) -> str:
    """The quoted entity name: the table's label, and for a table the change alters, how."""
    label = d.label(box.key)
    how = "touched" if box.role == "touched" else _TABLE_WORD[box.mark] if box.role == "changed" else ""
    return quoted(f"{label} ({how})" if how else label)


def _attribute(a: Attr, whole: bool) -> str:
    """One attribute line; ``whole``: the table itself is new or dropped, so its columns need no sign."""
    face = a.after or a.before
    assert face is not None  # an Attr always has one side
    parts = [type_word(face.type), word(a.name)]
    if a.keys:
        parts.append(", ".join(a.keys))
    comment: list[str] = []
    if word(a.name) != a.name:
        comment.append(f"column {a.name}")
    if type_word(face.type) != "_".join(face.type.split()):
        comment.append(f"type {face.type}")
    if whole:
        pass
    elif a.mark == "added":
        comment.insert(0, "+ added")
    elif a.mark == "dropped":
        comment.insert(0, "- dropped")
    elif a.mark == "changed":
        comment.insert(0, "~ " + "; ".join(a.notes()))
    if comment:
        parts.append(quoted(": ".join(comment[:1]) if len(comment) == 1 else f"{comment[0]} ({'; '.join(comment[1:])})"))
    return " ".join(parts)


def _relationship(d: Diagram, e: Edge, names: dict[tuple[str, str], str]) -> str:
    parent_end = "o|" if e.optional else "||"
    line = ".." if e.mark == "dropped" else "--"
    label = ", ".join(e.columns)
    if e.mark != "same":
        label = f"{_SIGN[e.mark]} {label} ({'new' if e.mark == 'added' else 'dropped'})"
    return f"  {names[e.child]} }}o{line}{parent_end} {names[e.parent]} : {quoted(label)}"


def mermaid(d: Diagram) -> str:
    """The ``erDiagram`` text (no fences)."""
    names = {b.key: entity(d, b) for b in d.boxes}
    lines = ["erDiagram"]
    for b in d.boxes:
        if not b.attrs:
            lines.append(f"  {names[b.key]}")
            continue
        lines.append(f"  {names[b.key]} {{")
        lines += [f"    {_attribute(a, b.mark in ('added', 'dropped'))}" for a in b.attrs]
        lines.append("  }")
    lines += [_relationship(d, e, names) for e in d.edges]
    return "\n".join(lines) + "\n"


def markdown_section(d: Diagram, notes: Sequence[str] = ()) -> str:
    """The Markdown a review or a release record appends: a heading, the legend, the diagram, and
    ``notes`` (what the picture could not show exactly, e.g. a migration without a snapshot)."""
    out = ["", "### The change, as a diagram", ""]
    if not d.changed:
        out += ["The reviewed migrations change no table."]
    else:
        out += [LEGEND, "", "```mermaid", mermaid(d).rstrip("\n"), "```"]
        table_notes = [f"- {d.label(b.key)}: {', '.join(b.notes)}" for b in d.changed if b.notes]
        if table_notes:
            out += ["", "Changes the diagram does not draw:", "", *table_notes]
    if notes:
        out += [""] + [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"

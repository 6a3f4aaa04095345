"""The keys of a ``CREATE INDEX`` statement written as text (a source's ``Index("ix", text("score DESC"))``),
as MySQL/MariaDB introspection reports them: a column, a column with ``DESC``, or a prefix ``col(10)`` kept as
the expression ``\\`col\\`(10)``."""

from __future__ import annotations

import re

from safeshift.model import IndexElement

_KEY = re.compile(r"^\s*(`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_$]*)\s*(?:\(\s*(\d+)\s*\))?\s*(ASC|DESC)?\s*$",
                  re.IGNORECASE)


def index_keys(create_index_sql: str) -> tuple[IndexElement, ...]:
    inner = create_index_sql[create_index_sql.index("(") + 1:create_index_sql.rindex(")")]
    out = []
    for part in _split(inner):
        m = _KEY.match(part)
        if m is None:
            raise ValueError(f"the expression key {part.strip()!r} (MariaDB indexes columns only; MySQL 8's "
                             "functional key parts are not modelled yet)")
        name = m.group(1)
        name = name[1:-1].replace("``", "`") if name.startswith("`") else name
        desc = (m.group(3) or "").upper() == "DESC"
        if m.group(2):
            out.append(IndexElement(f"`{name.replace('`', '``')}`({m.group(2)})", is_expression=True, descending=desc))
        else:
            out.append(IndexElement(name, descending=desc))
    return tuple(out)


def _split(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts

"""One SQLite statement as the rules see it: sqlglot's tree, or the few statement kinds it does not model.

sqlglot (its SQLite dialect) parses the DDL and DML a migration holds.  A handful of SQLite statements it
only recognises as opaque commands (``CREATE TRIGGER ... BEGIN ... END``, ``SAVEPOINT``, ``RELEASE``,
``VACUUM``, ``REINDEX``, ``REPLACE INTO``, ``END [TRANSACTION]``): those are classified by their leading
words here, as ``Parsed.head``, so a rule can still judge them.  Anything else sqlglot rejects, or keeps
only as an opaque command, is ``Parsed.error``: the reviewer reports it (``unparsed-statement``) instead of
passing it in silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from safeshift.lint.glot import parse_one

#: statements sqlglot keeps as opaque commands, by their leading words (after comments), in the order tried
_HEADS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("create trigger", re.compile(r"CREATE\s+(?:TEMP(?:ORARY)?\s+)?TRIGGER\b", re.IGNORECASE)),
    ("commit", re.compile(r"END(?:\s+TRANSACTION)?\s*;?\s*$", re.IGNORECASE)),
    ("savepoint", re.compile(r"(?:SAVEPOINT|RELEASE)\b", re.IGNORECASE)),
    ("vacuum", re.compile(r"VACUUM\b", re.IGNORECASE)),
    ("reindex", re.compile(r"REINDEX\b", re.IGNORECASE)),
    ("insert", re.compile(r"REPLACE\s+INTO\b", re.IGNORECASE)),
)
#: ``ALTER TABLE t DROP c`` (COLUMN is optional in SQLite; sqlglot wants it)
_DROP_BARE = re.compile(r"(ALTER\s+TABLE\s+\S+\s+DROP)\s+(?!COLUMN\b)", re.IGNORECASE)
_COMMENTS = re.compile(r"^(?:\s*(?:--[^\n]*\n|/\*.*?\*/))*\s*", re.DOTALL)


@dataclass(frozen=True)
class Parsed:
    """A statement's tree (``tree``), or its kind by leading words (``head``), or why neither (``error``)."""

    tree: exp.Expression | None = None
    head: str | None = None
    error: str | None = None


def parse(sql: str) -> Parsed:
    """The statement ``sql`` (one statement, as safeshift's splitter cut it) for the rules."""
    body = _COMMENTS.sub("", sql, count=1)
    for head, pattern in _HEADS:
        if pattern.match(body):
            return Parsed(head=head)
    text = _DROP_BARE.sub(r"\1 COLUMN ", body, count=1)
    tree, error = parse_one(text, "sqlite")
    if error is not None:
        return Parsed(error=error)
    return Parsed(tree=tree)

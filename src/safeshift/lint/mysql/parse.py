"""One MySQL statement as the rules see it: sqlglot's tree (its ``mysql`` dialect), or the few statement forms it
does not model, told apart by their leading words.

sqlglot reads the DDL and DML migrations hold, ``ALGORITHM``/``LOCK`` clauses of ALTER TABLE included.  The
forms it keeps only as opaque commands are recognised here instead (``Parsed.head`` with what the rules need):
``RENAME TABLE a TO b, ...``, ``ALTER TABLE t CONVERT TO CHARACTER SET ...``, ``CREATE FULLTEXT|SPATIAL
INDEX``, ``OPTIMIZE TABLE``, and ``CREATE INDEX``/``DROP INDEX`` with ``ALGORITHM``/``LOCK`` options or a
trailing ``USING BTREE`` (parsed again without them; the options are kept in ``Parsed.options``);
``REPLACE INTO``, ``LOCK TABLES`` and ``CREATE TRIGGER`` are told by their leading words, and no rule judges
them.  Anything else sqlglot rejects, or keeps as an opaque command, is ``Parsed.error``: the reviewer reports it
(``unparsed-statement``) instead of passing it in silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from safeshift.lint.glot import parse_one

_COMMENTS = re.compile(r"^(?:\s*(?:--[^\n]*\n|#[^\n]*\n|/\*.*?\*/))*\s*", re.DOTALL)
_NAME = r"(?:`(?:[^`]|``)+`|[\w$]+)"
_RENAME_TABLE = re.compile(rf"RENAME\s+TABLES?\s+((?:{_NAME}\.)?{_NAME}\s+TO\s+(?:{_NAME}\.)?{_NAME}"
                           rf"(?:\s*,\s*(?:{_NAME}\.)?{_NAME}\s+TO\s+(?:{_NAME}\.)?{_NAME})*)\s*;?\s*$",
                           re.IGNORECASE | re.DOTALL)
_PAIR = re.compile(rf"(?:{_NAME}\.)?({_NAME})\s+TO\s+(?:{_NAME}\.)?({_NAME})", re.IGNORECASE)
_CONVERT = re.compile(rf"ALTER\s+(?:ONLINE\s+|IGNORE\s+)*TABLE\s+(?:{_NAME}\.)?({_NAME})\s+CONVERT\s+TO\s+"
                      r"(?:CHARACTER\s+SET|CHARSET)\s+(\w+)", re.IGNORECASE)
_BLOCKING_INDEX = re.compile(rf"CREATE\s+(FULLTEXT|SPATIAL)\s+INDEX\s+({_NAME})\s+ON\s+(?:{_NAME}\.)?({_NAME})",
                             re.IGNORECASE)
_OPTIMIZE = re.compile(rf"OPTIMIZE\s+(?:NO_WRITE_TO_BINLOG\s+|LOCAL\s+)?TABLES?\s+(?:{_NAME}\.)?({_NAME})", re.IGNORECASE)
#: statements sqlglot keeps as opaque commands that no rule judges, by their leading words
_HEADS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("insert", re.compile(r"REPLACE\s+(?:LOW_PRIORITY\s+|DELAYED\s+)?INTO\b", re.IGNORECASE)),
    ("lock tables", re.compile(r"(?:UN)?LOCK\s+TABLES?\b", re.IGNORECASE)),
    ("create trigger", re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:DEFINER\s*=\s*\S+\s+)?TRIGGER\b",
                                  re.IGNORECASE)),
)
#: ``ALGORITHM=...`` / ``LOCK=...`` after CREATE INDEX's key list (sqlglot reads them only inside ALTER TABLE)
_INDEX_OPTIONS = re.compile(r"\s+(ALGORITHM|LOCK)\s*=?\s*(\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class Parsed:
    """A statement's tree (``tree``), or its kind by leading words (``head`` and ``names``), or why neither
    (``error``); ``options``: ALGORITHM and LOCK as written (upper case), wherever they stood."""

    tree: exp.Expression | None = None
    head: str | None = None
    names: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    error: str | None = None


def unquote(name: str) -> str:
    return name[1:-1].replace("``", "`") if name.startswith("`") else name


def parse(sql: str) -> Parsed:
    """The statement ``sql`` (one statement, as safeshift's splitter cut it) for the rules."""
    body = _COMMENTS.sub("", sql, count=1).strip()
    if m := _RENAME_TABLE.match(body):
        return Parsed(head="rename table", names=tuple(unquote(n) for pair in _PAIR.findall(m[1]) for n in pair))
    if m := _CONVERT.match(body):
        return Parsed(head="convert charset", names=(unquote(m[1]), m[2].lower()))
    if m := _BLOCKING_INDEX.match(body):
        return Parsed(head="blocking index", names=(unquote(m[2]), unquote(m[3]), m[1].upper()))
    if m := _OPTIMIZE.match(body):
        return Parsed(head="optimize", names=(unquote(m[1]),))
    for head, pattern in _HEADS:
        if pattern.match(body):
            return Parsed(head=head)
    options: tuple[tuple[str, str], ...] = ()
    if re.match(r"(?:CREATE\s+(?:UNIQUE\s+)?|DROP\s+)INDEX\b", body, re.IGNORECASE):
        options = tuple((k.upper(), v.upper()) for k, v in _INDEX_OPTIONS.findall(body))
        body = _INDEX_OPTIONS.sub("", body)
        body = re.sub(r"\)\s*USING\s+(?:BTREE|HASH)\s*(;?)\s*$", r")\1", body, flags=re.IGNORECASE)
    tree, error = parse_one(body, "mysql")
    if error is not None:
        return Parsed(error=error)
    for prop in tree.args.get("options") or ():
        if isinstance(prop, exp.AlgorithmProperty | exp.LockProperty):
            key = "ALGORITHM" if isinstance(prop, exp.AlgorithmProperty) else "LOCK"
            options += ((key, prop.name.upper()),)
    return Parsed(tree=tree, options=options)

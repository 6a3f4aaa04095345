"""The tables a migration's SQL names, for a migration that has no snapshot to compare.

Only a fallback for the picture (hazards are found by the dialects' real parsers in ``lint``):
a hand-written migration, or a SQL file outside the folder, says which tables it creates, alters,
drops, indexes or writes, and those are drawn as touched, without column marks.  The scan knows
the statement heads that name a table (CREATE/ALTER/DROP TABLE, CREATE INDEX .. ON, INSERT INTO,
UPDATE, DELETE FROM, TRUNCATE, REFERENCES) and every quoting style ("..", `..`, [..]); comments
and string literals are blanked first so a name inside them is never taken.
"""

from __future__ import annotations

import re

_IDENT = r'(?:"(?:[^"]|"")+"|`(?:[^`]|``)+`|\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_$]*)'
_NAME = rf"(?P<name>{_IDENT}(?:\s*\.\s*{_IDENT})?)"
_HEADS = (
    r"\bCREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?",
    r"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?",
    r"\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?",
    r"\bCREATE\s+(?:UNIQUE\s+)?INDEX\b[^;(]*?\bON\s+(?:ONLY\s+)?",
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\b[^;]*?\bON\s+",
    r"\bINSERT\s+(?:OR\s+\w+\s+)?INTO\s+",
    r"\bUPDATE\s+(?:ONLY\s+)?",
    r"\bDELETE\s+FROM\s+(?:ONLY\s+)?",
    r"\bTRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?",
    r"\bREFERENCES\s+",
)
_PATTERN = re.compile(rf"(?:{'|'.join(_HEADS)}){_NAME}", re.IGNORECASE)
#: after DROP TABLE a, b: the further names of the list
_MORE = re.compile(rf"\s*,\s*{_NAME}")
_BLANK = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'", re.DOTALL)
#: words that can follow a head without being a table (DO UPDATE SET, FOR UPDATE SKIP LOCKED, ...)
_NOT_TABLES = {"conflict", "delete", "update", "commit", "each", "all", "schema", "database", "function",
               "column", "constraint", "table", "set", "on", "of", "or", "skip", "nowait"}


def _unquote(part: str) -> str:
    part = part.strip()
    if part[:1] == '"':
        return part[1:-1].replace('""', '"')
    if part[:1] == "`":
        return part[1:-1].replace("``", "`")
    if part[:1] == "[":
        return part[1:-1]
    return part.lower()


def _split(name: str) -> list[str]:
    return [_unquote(m.group(0)) for m in re.finditer(_IDENT, name)]


def tables_named(sql: str, default_schema: str) -> set[tuple[str, str]]:
    """Every ``(schema, table)`` the statements of ``sql`` name; an unqualified name is in ``default_schema``.
    Unquoted names are folded to lower case, as PostgreSQL folds them and as SQLite and MySQL compare them."""
    text = _BLANK.sub(lambda m: " " * len(m.group(0)), sql)
    out: set[tuple[str, str]] = set()
    for m in _PATTERN.finditer(text):
        names = [m.group("name")]
        if m.group(0).upper().lstrip().startswith("DROP"):
            pos = m.end()
            while (more := _MORE.match(text, pos)) is not None:
                names.append(more.group("name"))
                pos = more.end()
        for name in names:
            parts = _split(name)
            if not parts or (len(parts) == 1 and name.strip()[0] not in "\"`[" and parts[0] in _NOT_TABLES):
                continue
            out.add((parts[0], parts[1]) if len(parts) == 2 else (default_schema, parts[0]))
    return out

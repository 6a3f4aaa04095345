"""Canonical spellings of MySQL/MariaDB expressions and defaults: what the server prints back.

MariaDB keeps a CHECK clause, a generated column's expression and an expression default as it re-prints them:
identifiers in backticks, keywords and function names in lower case, no space after a comma or inside
parentheses, ``!=`` as ``<>``.  Sources spell the same expression otherwise (``CHECK (age >= 0)``); both sides
pass through ``normalize_expression`` so they compare equal, and it is idempotent on the server's own text.

A default is stored by the column's type: a number without quotes and with the column's scale (``1.50`` on a
``decimal(10,2)``), a boolean as ``0``/``1``, text and dates quoted, ``CURRENT_TIMESTAMP``/``now()`` as
``current_timestamp()`` with its precision.  An ``ON UPDATE CURRENT_TIMESTAMP`` clause is not part of the
default: a source writes it in the default's text (SQLAlchemy has no other way to say it), ``split_on_update``
takes it out into ``Column.on_update``, and a column may have either without the other (``datetime NOT NULL ON
UPDATE current_timestamp()`` has no default; a NULL default stays none).

The two servers report a column's default differently in ``information_schema.COLUMNS`` (``column_default``):
MariaDB (10.2.7+) quotes a literal (``'abc'``, ``'NULL'`` for a default of NULL) and leaves an expression bare;
MySQL 8 prints a literal bare (``abc``, ``0``), a default of NULL as SQL NULL, and marks an expression with
``DEFAULT_GENERATED`` in EXTRA (``CURRENT_TIMESTAMP``, ``(`a` + 1)``, string literals inside it with a
character set introducer and backslash-escaped quotes: ``concat(_utf8mb4\\'a\\',`b`)``).  MySQL 8 also
writes string literals in CHECK clauses and generated columns with introducers (``_utf8mb4'a'``), which
``normalize_expression`` drops: the column's character set decides, as it does on MariaDB.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^'\\]|''|\\.)*')
  | (?P<dq>"(?:[^"\\]|""|\\.)*")
  | (?P<ident>`(?:[^`]|``)*`)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)
  | (?P<word>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<op><=>|<>|!=|<=|>=|<<|>>|&&|\|\||:=|[-+*/%=<>!~^&|.])
  | (?P<open>\()
  | (?P<close>\))
  | (?P<comma>,)
""", re.VERBOSE)

#: words that are SQL, not column names (lower-cased and left unquoted)
KEYWORDS = frozenset(["and", "or", "not", "xor", "in", "is", "null", "like", "between", "true", "false", "case", "when", "then", "else", "end", "as", "div", "mod", "regexp", "rlike", "interval", "collate", "binary", "distinct", "exists", "escape", "unknown", "sounds", "current_timestamp", "current_date", "current_time", "localtime", "localtimestamp", "utc_timestamp", "utc_date", "utc_time", "date", "time", "timestamp", "char", "signed", "unsigned", "integer", "decimal", "day", "hour", "minute", "second", "month", "year", "week", "quarter", "microsecond", "using"])

_NOW = re.compile(r"^(?:current_timestamp|now|localtimestamp|localtime)\s*(?:\(\s*(\d*)\s*\))?$", re.IGNORECASE)
_ON_UPDATE = re.compile(r"\s+on\s+update\s+", re.IGNORECASE)


def tokens(sql: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(sql):
        m = _TOKEN.match(sql, pos)
        if m is None:
            out.append(("other", sql[pos]))
            pos += 1
            continue
        kind = m.lastgroup or "other"
        if kind != "space":
            out.append((kind, m.group(0)))
        pos = m.end()
    return out


_INTRODUCER = re.compile(r"_[a-z0-9]+$", re.IGNORECASE)


def normalize_expression(sql: str) -> str:
    """An expression as MariaDB prints it back (see the module's docstring); idempotent."""
    toks = tokens(sql.strip().rstrip(";"))
    # MySQL 8's character set introducers (``_utf8mb4'a'``): the literal is the column's character set's anyway
    toks = [t for i, t in enumerate(toks) if not (t[0] == "word" and _INTRODUCER.match(t[1]) and i + 1 < len(toks)
                                                   and toks[i + 1][0] == "string")]
    toks = _strip_outer(toks)
    parts: list[str] = []
    prev = ""
    for i, (kind, text) in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else ("", "")
        if kind == "word":
            low = text.lower()
            text = low if nxt[0] == "open" or low in KEYWORDS else f"`{text}`"
        elif kind in ("string", "dq"):  # one spelling of a literal: MariaDB's ('it\\'s', not 'it''s')
            text = string_literal(text)
        elif kind == "op" and text == "!=":
            text = "<>"
        elif kind == "op" and text == "&&":
            text = "and"
        elif kind == "op" and text == "||":
            text = "or"
        if kind == "close" or kind == "comma" or prev == "open" or prev == "comma" or not parts or (kind == "open" and prev in ("word", "ident")) or text == "." or prev == "dot" or prev == "unary":
            parts.append(text)
        else:
            parts.append(" " + text)
        if kind == "op" and text in "-+" and prev in ("", "op", "open", "comma", "keyword_op"):
            prev = "unary"
        elif text == ".":
            prev = "dot"
        elif kind == "word" and text in ("and", "or", "not", "in", "is", "like", "between", "when", "then", "else"):
            prev = "keyword_op"
        else:
            prev = kind
    return "".join(parts)


_UNESCAPE = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "Z": "\x1a", "b": "\b"}
_ESCAPE = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def string_literal(token: str) -> str:
    """A quoted string (single or double quotes, quotes doubled or backslash-escaped) as MariaDB prints one
    in a CHECK clause or a generated column: single quotes, a quote and a backslash escaped by a backslash."""
    quote, body = token[0], token[1:-1]
    chars: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            chars.append(_UNESCAPE.get(body[i + 1], body[i + 1]))
            i += 2
            continue
        if ch == quote and body[i + 1:i + 2] == quote:
            i += 1
        chars.append(ch)
        i += 1
    return "'" + "".join(_ESCAPE.get(c, c) for c in chars) + "'"


def _strip_outer(toks: list[tuple[str, str]]) -> list[tuple[str, str]]:
    while len(toks) >= 2 and toks[0][0] == "open" and toks[-1][0] == "close":
        depth = 0
        for i, (kind, _) in enumerate(toks):
            depth += kind == "open"
            depth -= kind == "close"
            if depth == 0 and i < len(toks) - 1:
                return toks
        toks = toks[1:-1]
    return toks


def normalize_default(default_sql: str, column_type: str) -> str:
    """A column default as the server stores it for a column of ``column_type`` (canonical spelling)."""
    text = default_sql.strip()
    head, on_update = text, None
    split = _ON_UPDATE.split(text, maxsplit=1)
    if len(split) == 2:
        head, on_update = split[0].strip(), split[1].strip()
    value = _value(head, column_type)
    if on_update is not None:
        return f"{value} ON UPDATE {_value(on_update, column_type)}"
    return value


def _value(text: str, column_type: str) -> str:
    toks = _strip_outer(tokens(text))
    text = "".join(t for _, t in toks) if len(toks) == 1 else text.strip()
    if len(toks) != 1 and len(toks) > 1 and toks[0][1] in ("-", "+") and len(toks) == 2 and toks[1][0] == "number":
        text = toks[0][1] + toks[1][1]
    m = _NOW.match(text)
    if m:
        return f"current_timestamp({m.group(1) or ''})"
    if text.upper() == "NULL":
        return "NULL"
    base = column_type.split("(", 1)[0].split(" ", 1)[0]
    literal = text
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        literal = text[1:-1].replace(text[0] * 2, text[0])
    elif text.lower() in ("true", "false"):
        literal = "1" if text.lower() == "true" else "0"
    elif not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text):
        return normalize_expression(text)
    if base in ("tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "float", "double"):
        if literal.lower() in ("true", "false"):
            literal = "1" if literal.lower() == "true" else "0"
        try:
            number = Decimal(literal)
        except InvalidOperation:
            return "'" + literal.replace("'", "''") + "'"
        if base == "decimal":
            scale = re.search(r",\s*(\d+)\)", column_type)
            return str(number.quantize(Decimal(1).scaleb(-int(scale.group(1))))) if scale and int(scale.group(1)) \
                else str(number.quantize(Decimal(1)))
        if base in ("float", "double"):
            return _plain(number)
        return str(int(number))
    if base == "bit":
        return literal
    return "'" + literal.replace("'", "''") + "'"


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


def split_on_update(default: str | None) -> tuple[str | None, str | None]:
    """``(default, on_update)`` of a canonical default that still carries an ``ON UPDATE`` clause (a source's
    ``server_default=text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP")``); a ``NULL`` default is none."""
    if default is None:
        return None, None
    split = _ON_UPDATE.split(default, maxsplit=1)
    if len(split) != 2:
        return default, None
    head = split[0].strip()
    return (None if head.upper() == "NULL" else head), split[1].strip()


def column_default(raw: str | None, extra: str, column_type: str, *, quoted_literals: bool) -> str | None:
    """The canonical default of a column as ``information_schema.COLUMNS`` reports it (None: no default).

    ``quoted_literals`` is MariaDB's way (10.2.7+): text and dates in quotes, ``NULL`` as the text ``NULL``,
    expressions bare.  Otherwise MySQL 8's: a literal bare, an expression marked ``DEFAULT_GENERATED`` in
    ``extra`` (lower case here), with its string literals' quotes escaped by backslashes."""
    if raw is None:
        return None
    if quoted_literals:
        return None if raw == "NULL" else normalize_default(raw, column_type)
    if "default_generated" in extra:
        return normalize_default(raw.replace("\\'", "'"), column_type)
    base = column_type.split("(", 1)[0].split(" ", 1)[0]
    if base in ("tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "float", "double", "bit"):
        return normalize_default(raw, column_type)
    return "'" + raw.replace("'", "''") + "'"

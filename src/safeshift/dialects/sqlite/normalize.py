"""SQLite's canonical spellings: declared types, defaults and expressions, re-spelled from their tokens.

Canonical model decisions for SQLite, chosen so that ``create_all`` of SQLAlchemy
metadata, read back by ``safeshift.introspect.sqlite``, equals the same metadata
converted by ``safeshift.sources.sqlalchemy``:

- one namespace, ``main``; no enums, sequences, comments or identity columns; the table
  options ``STRICT`` and ``WITHOUT ROWID`` in ``Table.options``;
- types are the declared type text (SQLite keeps it verbatim and applies affinity rules
  at run time), upper-cased with single spaces and no blanks around ``(``, ``)`` and
  ``,``: ``numeric(10, 2)`` is ``NUMERIC(10,2)``; aliases are *not* merged
  (``VARCHAR(100)`` stays ``VARCHAR(100)``, ``INT`` stays ``INT``) because the declared
  text is what the database reports and what a rebuild must reproduce.  The diff compares
  them as SQLite enforces them, by affinity (``affinity.py``, the dialect's ``same_column``).
  A trailing ``COLLATE x`` is not part of the type: it is the column's ``collation``;
- constraint names are not significant: SQLite keeps a name only when the DDL says
  ``CONSTRAINT name`` and SQLAlchemy's ``create_all`` emits most constraints unnamed, so
  PK, unique, check and foreign-key names are always ``None`` (``named_constraints`` is
  False).  Index names are kept: ``CREATE INDEX`` needs one;
- a single-column ``INTEGER`` primary key is the rowid alias and is never NULL.  It is
  ``serial=True`` only when declared ``AUTOINCREMENT`` (SQLAlchemy's
  ``sqlite_autoincrement=True``); a plain rowid alias is ``serial=False``, since its
  auto-assigned values follow from its type and key alone;
- defaults and expressions (CHECK, partial-index WHERE, index expressions, generated
  columns) are re-spelled from their tokens: keywords upper case, function names lower
  case, one canonical spacing, redundant outer parentheses removed, ``==`` as ``=`` and
  ``!=`` as ``<>``, and quoted identifiers unquoted unless they need the quotes (SQLite
  quotes the names RENAME COLUMN rewrites); strings, numbers and bare identifiers are kept
  as written;
- index keys cannot carry NULLS FIRST/LAST on SQLite, so ``nulls_first`` is always None;
- a generated column without STORED is VIRTUAL (SQLite's default).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from safeshift.dialects.sqlite.tokens import SqlTokenError, Token, matching_paren, tokenize, unquote

#: words spelled upper case in canonical expressions
KEYWORDS = frozenset({
    "AND", "OR", "NOT", "IS", "NULL", "IN", "LIKE", "GLOB", "REGEXP", "MATCH", "BETWEEN", "CASE", "WHEN",
    "THEN", "ELSE", "END", "CAST", "AS", "COLLATE", "ESCAPE", "EXISTS", "TRUE", "FALSE", "CURRENT_TIMESTAMP",
    "CURRENT_DATE", "CURRENT_TIME", "DISTINCT", "ISNULL", "NOTNULL", "SELECT", "FROM", "WHERE",
})
#: keywords that are values: an operator after them is binary
_VALUE_KEYWORDS = frozenset({"NULL", "TRUE", "FALSE", "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME",
                             "END"})
_OP_ALIASES = {"==": "=", "!=": "<>"}
_LITERAL_WORDS = frozenset({"NULL", "TRUE", "FALSE", "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"})


#: SQLite's keywords (https://www.sqlite.org/lang_keywords.html) plus TRUE/FALSE: these stay quoted
RESERVED = frozenset("""
ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEFORE BEGIN BETWEEN BY
CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE
CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP
EACH ELSE END ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM
FULL GENERATED GLOB GROUP GROUPS HAVING IF IGNORE IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT
INSTEAD INTERSECT INTO IS ISNULL JOIN KEY LAST LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING
NOTNULL NULL NULLS OF OFFSET ON OR ORDER OTHERS OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY
RAISE RANGE RECURSIVE REFERENCES REGEXP REINDEX RELEASE RENAME REPLACE RESTRICT RETURNING RIGHT ROLLBACK
ROW ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER UNBOUNDED UNION
UNIQUE UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT TRUE FALSE
""".split())  # noqa: SIM905
_PLAIN_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def spell_identifier(name: str) -> str:
    """An identifier inside an expression: bare when it can be, else double-quoted.

    SQLite quotes the names it rewrites (RENAME COLUMN turns ``age >= 0`` into
    ``"years" >= 0``), SQLAlchemy quotes mixed-case names; identifiers are
    case-insensitive, so both spellings are the same expression.
    """
    if _PLAIN_IDENT.match(name) and name.upper() not in RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def strip_outer_parens(tokens: Sequence[Token]) -> list[Token]:
    out = list(tokens)
    while len(out) >= 2 and out[0].is_punct("(") and matching_paren(out, 0) == len(out) - 1:
        out = out[1:-1]
    return out


def spell(tokens: Sequence[Token]) -> str:
    """Canonical text of an expression's tokens (see the module docstring)."""
    toks = strip_outer_parens(tokens)
    pieces: list[str] = []
    prev: Token | None = None
    prev_unary = False
    for i, t in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        text = t.text
        is_keyword = t.kind == "word" and t.upper in KEYWORDS
        if is_keyword:
            text = t.upper
        elif t.kind == "word" and nxt is not None and nxt.is_punct("("):
            text = t.text.lower()
        elif t.kind == "quoted":
            text = spell_identifier(unquote(t))
        elif t.kind == "op":
            text = _OP_ALIASES.get(t.text, t.text)
        glue = prev is not None and (
            t.is_punct(")") or t.is_punct(",") or t.is_punct(".") or prev.is_punct("(") or prev.is_punct(".")
            or prev_unary
            or (t.is_punct("(") and (prev.kind == "quoted" or (prev.kind == "word" and prev.upper not in KEYWORDS)))
        )
        if pieces and not glue:
            pieces.append(" ")
        pieces.append(text)
        prev_unary = t.kind == "op" and t.text in "+-~" and (
            prev is None or prev.kind == "op" or prev.is_punct("(") or prev.is_punct(",")
            or (prev.kind == "word" and prev.upper in KEYWORDS and prev.upper not in _VALUE_KEYWORDS))
        prev = t
    return "".join(pieces)


def normalize_sql_expression(sql: str) -> str:
    try:
        return spell(tokenize(sql))
    except SqlTokenError:
        return " ".join(sql.split())


def is_literal(sql: str) -> bool:
    """Whether a default is a constant SQLite accepts bare after DEFAULT (else it needs parens)."""
    try:
        toks = strip_outer_parens(tokenize(sql))
    except SqlTokenError:
        return False
    if len(toks) == 2 and toks[0].kind == "op" and toks[0].text in "+-":
        toks = toks[1:]
        return toks[0].kind == "number"
    return len(toks) == 1 and (toks[0].kind in ("string", "number", "blob") or toks[0].upper in _LITERAL_WORDS)


def is_constant(sql: str) -> bool:
    """Whether ALTER TABLE ADD COLUMN accepts this default (no CURRENT_*, no expression)."""
    return is_literal(sql) and normalize_sql_expression(sql) not in (
        "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME")


def normalize_type_text(type_sql: str) -> str:
    try:
        toks = tokenize(type_sql)
    except SqlTokenError:
        return " ".join(type_sql.upper().split())
    cut = next((i for i, t in enumerate(toks) if t.is_word("COLLATE")), len(toks))
    pieces: list[str] = []
    prev: Token | None = None
    for t in toks[:cut]:
        glue = prev is not None and (t.kind == "punct" or (prev.kind == "punct" and not prev.is_punct(")"))
                                     or (prev.kind == "op" and prev.text in "+-"))
        if pieces and not glue:
            pieces.append(" ")
        pieces.append(t.text.upper() if t.kind == "word" else t.text)
        prev = t
    return "".join(pieces)

"""The keys of a ``CREATE INDEX`` statement in the form SQLite's introspection gives them.

SQLite's catalog keeps the statement's text; ``safeshift.introspect.sqlite`` reads a key as a
column only when it is one (possibly quoted) name with at most ASC/DESC after it, and as an
expression otherwise (``email COLLATE NOCASE`` included).  A source that writes keys as text
(SQLAlchemy's ``text("col DESC")``, ``col.asc()``) is read by the same rule, so both sides agree.
``NULLS FIRST``/``NULLS LAST`` cannot be used in a SQLite index ("unsupported use of NULLS"): that is
an error rather than a key the database would refuse to build.
"""

from __future__ import annotations

from safeshift.dialects.sqlite.normalize import spell
from safeshift.dialects.sqlite.tokens import (
    SqlTokenError,
    Token,
    matching_paren,
    split_top_level,
    tokenize,
    unquote,
)
from safeshift.model import IndexElement


def index_keys(create_index_sql: str) -> tuple[IndexElement, ...]:
    """The keys of ``create_index_sql``; ValueError says what SQLite cannot build or read."""
    try:
        toks = tokenize(create_index_sql)
        on = next(i for i, t in enumerate(toks) if t.is_word("ON"))
        start = next(i for i in range(on, len(toks)) if toks[i].is_punct("("))
        end = matching_paren(toks, start)
    except (SqlTokenError, StopIteration) as exc:
        raise ValueError("index text that is not one CREATE INDEX statement") from exc
    return tuple(_key(part) for part in split_top_level(toks[start + 1:end]) if part)


def _key(part: list[Token]) -> IndexElement:
    toks = list(part)
    if len(toks) >= 2 and toks[-2].is_word("NULLS") and toks[-1].is_word("FIRST", "LAST"):
        raise ValueError(f"NULLS {toks[-1].upper} on an index key (SQLite cannot build it)")
    descending = False
    if toks and toks[-1].is_word("ASC", "DESC"):
        descending = toks[-1].is_word("DESC")
        toks = toks[:-1]
    if len(toks) == 1 and toks[0].kind in ("word", "quoted"):
        return IndexElement(unquote(toks[0]), descending=descending)
    return IndexElement(spell(toks), is_expression=True, descending=descending)

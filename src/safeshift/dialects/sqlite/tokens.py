"""SQLite's SQL text as tokens (``tokenize``), and the small helpers that walk them.

No parser is shipped for SQLite, and its catalog stores the CREATE statements as written, so both the
normalisers (``normalize``) and introspection (which reads those statements back) work from this
tokenizer.  It lives apart from the dialect so introspection needs none of its rendering code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


class SqlTokenError(ValueError):
    """The text is not lexically valid SQL (an unterminated string, quote or comment)."""


@dataclass(frozen=True)
class Token:
    """One lexical token; ``start``/``end`` index the source text so callers can slice it."""

    kind: str  # word, quoted, string, blob, number, op, punct
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words

    def is_punct(self, text: str) -> bool:
        return self.kind == "punct" and self.text == text


_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*")
_OPS = ("->>", "||", "->", "<=", ">=", "<>", "!=", "==", "<<", ">>")
_CLOSERS = {'"': '"', "`": "`", "[": "]"}


def tokenize(sql: str) -> list[Token]:
    """Split SQL into tokens, dropping whitespace and comments; quoted text is kept whole."""
    out: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        ch_ = sql[i]
        if ch_.isspace():
            i += 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif ch_ == "'":
            j = _end_of_quoted(sql, i, "'")
            out.append(Token("string", sql[i:j], i, j))
            i = j
        elif ch_ in _CLOSERS:
            j = _end_of_quoted(sql, i, _CLOSERS[ch_])
            out.append(Token("quoted", sql[i:j], i, j))
            i = j
        elif ch_ in "xX" and i + 1 < n and sql[i + 1] == "'":
            j = _end_of_quoted(sql, i + 1, "'")
            out.append(Token("blob", sql[i:j], i, j))
            i = j
        elif (m := _NUMBER.match(sql, i)) and (ch_.isdigit() or ch_ == "."):
            out.append(Token("number", m.group(), i, m.end()))
            i = m.end()
        elif m := _WORD.match(sql, i):
            out.append(Token("word", m.group(), i, m.end()))
            i = m.end()
        elif ch_ in "(),;.":
            out.append(Token("punct", ch_, i, i + 1))
            i += 1
        else:
            op = next((o for o in _OPS if sql.startswith(o, i)), ch_)
            out.append(Token("op", op, i, i + len(op)))
            i += len(op)
    return out


def _end_of_quoted(sql: str, i: int, closer: str) -> int:
    """Index just past the quoted text starting at ``i`` (a doubled closer is an escape)."""
    j = i + 1
    while True:
        k = sql.find(closer, j)
        if k < 0:
            raise SqlTokenError(f"unterminated {sql[i]} quote at offset {i}")
        if closer != "]" and sql.startswith(closer * 2, k):
            j = k + 2
            continue
        return k + 1


def unquote(token: Token) -> str:
    """The identifier a word, quoted identifier or string token names."""
    t = token.text
    if token.kind == "quoted" or token.kind == "string":
        inner = t[1:-1]
        if t[0] == "[":
            return inner
        return inner.replace(t[0] * 2, t[0])
    return t


def matching_paren(tokens: Sequence[Token], i: int) -> int:
    """Index of the ``)`` that closes the ``(`` at ``tokens[i]``."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].is_punct("("):
            depth += 1
        elif tokens[j].is_punct(")"):
            depth -= 1
            if depth == 0:
                return j
    raise SqlTokenError("unbalanced parentheses")


def split_top_level(tokens: Sequence[Token], sep: str = ",") -> list[list[Token]]:
    """Split on ``sep`` outside parentheses."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for t in tokens:
        if t.is_punct("("):
            depth += 1
        elif t.is_punct(")"):
            depth -= 1
        if depth == 0 and t.is_punct(sep):
            parts.append([])
        else:
            parts[-1].append(t)
    return parts

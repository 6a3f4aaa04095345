"""PostgreSQL's names: how it spells an identifier (``quote_ident``), and the names it gives the objects
it creates without being told one — its ``makeObjectName`` and ``ChooseIndexNameAddition``, byte for
byte, so a constraint or index safeshift names matches the one the server would have named (and a long
name is shortened as the server shortens it).  Normalisation, rendering and introspection all ask
these questions, so they live apart from each of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

#: PostgreSQL's NAMEDATALEN: identifiers are at most 63 bytes
NAMEDATALEN = 64
_SAFE_IDENT = re.compile(r"^[a-z_][a-z0-9_$]*$")


def quote_ident(ident: str) -> str:
    """Quote like PostgreSQL's quote_ident: only when the bare name would not round-trip."""
    if _SAFE_IDENT.match(ident) and ident not in _keywords():
        return ident
    return '"' + ident.replace('"', '""') + '"'


@lru_cache(maxsize=1)
def _keywords() -> frozenset[str]:
    """The keywords a bare identifier cannot be; pglast's lists, read on first use (pglast is slow to import)."""
    from pglast import keywords

    every = (keywords.RESERVED_KEYWORDS | keywords.COL_NAME_KEYWORDS | keywords.TYPE_FUNC_NAME_KEYWORDS)
    return frozenset(every - keywords.UNRESERVED_KEYWORDS)


def _clip(text: str, nbytes: int) -> str:
    return text.encode("utf-8")[:nbytes].decode("utf-8", errors="ignore")


def make_object_name(name1: str, name2: str | None, label: str | None) -> str:
    """PostgreSQL's makeObjectName: shorten the longer of the two parts first, to fit 63 bytes."""
    n1 = len(name1.encode("utf-8"))
    n2 = len(name2.encode("utf-8")) if name2 else 0
    overhead = (1 if name2 else 0) + (len(label.encode("utf-8")) + 1 if label else 0)
    avail = NAMEDATALEN - 1 - overhead
    while n1 + n2 > avail:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    out = _clip(name1, n1)
    if name2:
        out += "_" + _clip(name2, n2)
    if label:
        out += "_" + label
    return out


def _name_addition(columns: Sequence[str]) -> str:
    """ChooseIndexNameAddition: column names joined by '_', stopping once past NAMEDATALEN bytes."""
    buf = b""
    for col in columns:
        if buf:
            buf += b"_"
        buf += _clip(col, NAMEDATALEN - 1).encode("utf-8")
        if len(buf) >= NAMEDATALEN:
            break
    return buf.decode("utf-8", errors="ignore")

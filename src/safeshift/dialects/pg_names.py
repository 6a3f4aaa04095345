"""PostgreSQL's names for the objects it creates without being told one: its ``makeObjectName`` and
``ChooseIndexNameAddition``, byte for byte, so a constraint or index safeshift names matches the
one the server would have named (and a long name is shortened as the server shortens it).
"""

from __future__ import annotations

from collections.abc import Sequence

#: PostgreSQL's NAMEDATALEN: identifiers are at most 63 bytes
NAMEDATALEN = 64


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

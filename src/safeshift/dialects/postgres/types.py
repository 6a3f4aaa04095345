"""PostgreSQL's column types as the rules and the planner compare them: a canonical base name, its
modifiers and array-ness (``PgType``), and the verdicts over a change from one type to another —
changed in place or rewritten, widened or narrowed, bounded, of the same family.

One algebra for everyone who asks: ``review``'s rules (lint/), ``generate``'s lock-safe forms
(dialects/postgres/safe.py) and the dialect's data-loss verdicts.  It is the dialect's pure
knowledge, so it lives with the dialect and imports nothing above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PgType:
    """A column type reduced to what the rules compare: canonical base name, modifiers, array."""

    base: str
    mods: tuple[int, ...] = ()
    array: bool = False
    serial: bool = False

    def __str__(self) -> str:
        mods = f"({', '.join(str(m) for m in self.mods)})" if self.mods else ""
        return f"{self.base}{mods}{'[]' if self.array else ''}"


def _names(names: Any) -> list[str]:
    from pglast import ast  # the parser loads only for what parses SQL (~50 ms)

    return [n.sval or "" for n in names or () if isinstance(n, ast.String)]


#: the types whose defaults are compared as numbers (``0`` and ``'0'::bigint`` alike)
NUMERIC_TYPES = re.compile(r"^(integer|bigint|smallint|numeric.*|real|double precision)$")

_TYPE_ALIASES = {
    "int": "integer", "int4": "integer", "integer": "integer", "int8": "bigint", "bigint": "bigint",
    "int2": "smallint", "smallint": "smallint", "float4": "real", "real": "real",
    "float8": "double precision", "decimal": "numeric", "numeric": "numeric", "varchar": "varchar",
    "bpchar": "character", "character": "character", "text": "text", "timestamp": "timestamp",
    "timestamptz": "timestamptz", "date": "date", "time": "time", "timetz": "timetz", "bool": "boolean",
    "boolean": "boolean", "json": "json", "jsonb": "jsonb", "uuid": "uuid", "bytea": "bytea", "bit": "bit",
    "varbit": "varbit", "inet": "inet", "cidr": "cidr",
}
_SERIALS = {"serial": "integer", "serial4": "integer", "bigserial": "bigint", "serial8": "bigint",
            "smallserial": "smallint", "serial2": "smallint"}


def pg_type(tn: Any) -> PgType:
    from pglast import ast

    names = _names(tn.names)
    raw = names[-1] if names else "?"
    if raw == "char" and len(names) == 1:  # the one-byte "char" type, not character(n)
        base, serial = '"char"', False
    elif raw in _SERIALS:
        base, serial = _SERIALS[raw], True
    else:
        base, serial = _TYPE_ALIASES.get(raw, raw), False
    mods: list[int] = []
    for m in tn.typmods or ():
        if isinstance(m, ast.A_Const) and isinstance(m.val, ast.Integer):
            mods.append(m.val.ival or 0)
    if base == "character" and not mods:
        mods = [1]
    return PgType(base, tuple(mods), bool(tn.arrayBounds), serial)


_TEXTLIKE = {"text", "varchar", "character"}
_INT_RANK = {"smallint": 1, "integer": 2, "bigint": 3}
#: the range of each integer type: a sequence's default bounds, what an int4 constant may hold
INT_BOUNDS = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
_FAMILIES = {
    **{t: "text" for t in _TEXTLIKE}, **{t: "int" for t in _INT_RANK}, "numeric": "num", "real": "num",
    "double precision": "num", "date": "time", "timestamp": "time", "timestamptz": "time",
}


#: types whose last modifier is a fractional-seconds precision that can grow in place (default 6, the most)
_PRECISION = {"timestamp", "timestamptz", "time", "timetz", "interval"}


def _binary_compatible(old: PgType, new: PgType) -> bool:
    """PostgreSQL changes these in place, without rewriting the table (or its indexes).

    Checked against real servers in tests/lint/test_ground_truth.py; an array column is
    rewritten by any change of its element type.
    """
    if old == new:
        return True
    if old.array or new.array:
        return False
    if old.base == new.base and old.base in _PRECISION:
        if old.mods and new.mods and old.mods[:-1] != new.mods[:-1]:
            return False  # interval's field range (DAY TO SECOND, ...) changed
        return not new.mods or (bool(old.mods) and new.mods[-1] >= old.mods[-1])
    if old.base in ("varchar", "text") and new.base == "text":
        return True
    if old.base in ("varchar", "text") and new.base == "varchar":
        return not new.mods or (old.base == "varchar" and bool(old.mods) and new.mods[0] >= old.mods[0])
    if old.base == new.base == "numeric":
        return not new.mods or (len(old.mods) >= 1 and new.mods[0] >= old.mods[0]
                                and (new.mods[1:] or (0,)) == (old.mods[1:] or (0,)))
    if old.base == new.base == "varbit":
        return not new.mods or (bool(old.mods) and new.mods[0] >= old.mods[0])
    return old.base == "cidr" and new.base == "inet"


def _bounded(t: PgType) -> bool:
    """Types that cannot hold every value of a wider type in their family."""
    if t.base in ("varchar", "character", "bit", "varbit", "numeric"):
        return bool(t.mods)
    return t.base in ("smallint", "integer", "real")


def _widens(old: PgType, new: PgType) -> bool:
    if _binary_compatible(old, new):
        return True
    if old.base in _INT_RANK and new.base in _INT_RANK:
        return _INT_RANK[new.base] >= _INT_RANK[old.base]
    if old.base in _INT_RANK and new.base == "numeric":
        return not new.mods or new.mods[0] - (new.mods[1] if len(new.mods) > 1 else 0) >= 19
    if old.base in ("character",) and new.base in ("varchar", "text"):
        return not new.mods or new.mods[0] >= old.mods[0]
    return old.base == "real" and new.base == "double precision"


def parse_type(text: str) -> PgType | None:
    """A type as the model spells it (``character varying(100)``) reduced to a PgType."""
    from pglast import ast, parse_sql

    try:
        stmt: Any = parse_sql(f"SELECT NULL::{text}")[0].stmt
        cast = stmt.targetList[0].val
    except Exception:
        return None
    return pg_type(cast.typeName) if isinstance(cast, ast.TypeCast) else None


def binary_compatible(old: PgType, new: PgType) -> bool:
    return _binary_compatible(old, new)


def widens(old: PgType, new: PgType) -> bool:
    return _widens(old, new)


def bounded(t: PgType) -> bool:
    return _bounded(t)


def same_family(old: PgType, new: PgType) -> bool:
    return _FAMILIES.get(old.base, old.base) == _FAMILIES.get(new.base, new.base) or new.base in _TEXTLIKE

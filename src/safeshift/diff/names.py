"""Names a source leaves to the database, taken from a database that holds the same constraints."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from safeshift.model import Schema, canonical_table


def named_like(declared: Schema, live: Schema) -> Schema:
    """``declared`` with each constraint it leaves unnamed (name None) given the name ``live`` gave the
    constraint of the same content, for comparisons that must be exact (``==``) rather than by the diff,
    which already matches such constraints by content.  Constraints with no match keep None."""
    present = {t.key: t for t in live.tables}

    def fill(wanted: tuple[Any, ...], there: tuple[Any, ...]) -> tuple[Any, ...]:
        left = list(there)
        out = []
        for w in wanted:
            match = next((g for g in left if w.name is None and replace(g, name=None) == w), None)
            if match is not None:
                left.remove(match)
            out.append(match if match is not None else w)
        return tuple(out)

    tables = []
    for t in declared.tables:
        g = present.get(t.key)
        if g is not None:
            pk = t.primary_key
            if pk is not None and pk.name is None and g.primary_key is not None \
                    and replace(g.primary_key, name=None) == pk:
                pk = g.primary_key
            t = canonical_table(replace(t, primary_key=pk, uniques=fill(t.uniques, g.uniques),
                                        checks=fill(t.checks, g.checks),
                                        foreign_keys=fill(t.foreign_keys, g.foreign_keys)))
        tables.append(t)
    return replace(declared, tables=tuple(tables))

"""A serial column's own sequence made free-standing, and back: one sequence handed over, never dropped
and created again, so the next key it hands out is still past every key the table holds."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from safeshift.changes import (
    AdoptSequence,
    AlterColumn,
    Change,
    CreateSequence,
    DropSequence,
    ReleaseSequence,
)
from safeshift.diff.base import DiffState
from safeshift.diff.types import type_names
from safeshift.model import Column, Sequence

#: a default that reads a sequence: ``nextval('name'::regclass)`` as the catalog prints it
_NEXTVAL = re.compile(r"^nextval\('((?:[^']|'')+)'(?:::regclass)?\)$")


class SequencesDiff(DiffState):
    def hand_over_sequences(self) -> None:
        """A column that stops being serial while the sequence its new default reads is created in the same
        migration (or starts being serial while the one its old default reads is dropped) becomes one
        Release/AdoptSequence: the column's change and the sequence's creation or drop, merged."""
        created = {c.sequence.key: c for c in self.out if isinstance(c, CreateSequence)}
        dropped = {c.sequence.key: c for c in self.out if isinstance(c, DropSequence)}
        merged: set[int] = set()
        out: list[Change] = []
        for c in self.out:
            if isinstance(c, AlterColumn) and c.old.serial != c.new.serial:
                plain, serial = (c.new, c.old) if c.old.serial else (c.old, c.new)
                candidates = created if c.old.serial else dropped
                found = _read_sequence(plain, c.schema, candidates.keys())
                if found is not None and replace(serial, serial=False, default=plain.default) == plain:
                    seq_change = candidates[found]
                    merged.add(id(seq_change))
                    seq: Sequence = seq_change.sequence
                    kind = ReleaseSequence if c.old.serial else AdoptSequence
                    out.append(kind(c.schema, c.table, c.old, c.new, seq))
                    continue
            out.append(c)
        self.out[:] = [c for c in out if id(c) not in merged]


def _read_sequence(column: Column, schema: str, keys: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """The key of the sequence among ``keys`` (schema, name) that ``column``'s default reads, if any."""
    m = _NEXTVAL.match(column.default or "")
    if m is None:
        return None
    spelled = m.group(1).replace("''", "'")
    for key in keys:
        if key[0] == schema and spelled in type_names(*key):
            return (key[0], key[1])
    return None

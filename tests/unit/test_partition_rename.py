"""A partition renamed is offered as a rename like any look-alike table (its columns are its parent's, so
the column rule alone never matched it, and the rename became a drop and a create: its rows lost)."""

from __future__ import annotations

from collections.abc import Sequence

from safeshift import changes as ch
from safeshift.diff import diff
from safeshift.model import Column, PartitionOf, Table, make_schema

PARENT = Table("public", "events", (Column("id", "bigint", nullable=False), Column("at", "date", nullable=False)),
               partition_by="RANGE (at)")
BOUND = "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"


class _Asked:
    def __init__(self) -> None:
        self.questions: list[tuple[str, Sequence[str]]] = []

    def choose(self, kind: str, container: str, added: str, candidates: Sequence[str]) -> str | None:
        self.questions.append((added, candidates))
        return candidates[0] if candidates else None


def _partition(name: str, bound: str = BOUND) -> Table:
    return Table("public", name, (), partition_of=PartitionOf("public", "events", bound))


def test_a_partition_with_the_same_parent_and_bound_is_offered_as_a_rename() -> None:
    asked = _Asked()
    changes = diff(make_schema("postgres", tables=[PARENT, _partition("events_2024")]),
                   make_schema("postgres", tables=[PARENT, _partition("events_y2024")]), questioner=asked)
    assert asked.questions == [("events_y2024", ["events_2024"])]
    assert changes == [ch.RenameTable("public", "events_2024", "events_y2024")]


def test_another_bound_is_not_a_look_alike() -> None:
    asked = _Asked()
    other = _partition("events_2025", "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')")
    changes = diff(make_schema("postgres", tables=[PARENT, _partition("events_2024")]),
                   make_schema("postgres", tables=[PARENT, other]), questioner=asked)
    assert [c.kind for c in changes] == ["create_table", "drop_table"]

"""What a dialect's lock-safe renderer is told, and what it answers.

The planner decides nothing about locks; it hands each change and this context to the
dialect, which either keeps the plain form, returns a safer sequence, or refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safeshift.dialects.statement import Statement
    from safeshift.model import Schema, Table


@dataclass(frozen=True)
class SafeContext:
    """What the safe renderer needs to know about one direction of one migration."""

    #: the schema before this direction runs: a table found here already holds rows
    before: Schema
    #: tables this direction creates (empty, so exempt)
    created: frozenset[tuple[str, str]]
    #: write the expand sequence for changes that have no lock-safe form
    expand: bool = False
    #: False for down sections: fall back to the plain form with a comment instead of refusing
    refuse: bool = True
    #: the schema this direction leaves: which partitions a partitioned table will have (an index built
    #: partition by partition must reach those the same migration creates too)
    after: Schema | None = None
    #: the target server's ``VERSION()`` text (``10.11.9-MariaDB``, ``8.0.36``) where the caller has a live
    #: server to ask; None: the lock-safe form must suit every server version the dialect supports
    server_version: str | None = None

    def existing(self, schema: str, table: str) -> Table | None:
        if (schema, table) in self.created:
            return None
        return self.before.table(schema, table)


@dataclass(frozen=True)
class Refusal:
    """A change that has no lock-safe form: what it is and how to do it safely."""

    target: str
    reason: str
    recipe: str


@dataclass(frozen=True)
class SafeRender:
    statements: list[Statement]
    refusal: Refusal | None = None
    #: for statements that commit in more than one step: what takes the database back to before the
    #: change from after any of its steps (every statement tolerates what is already undone), so a
    #: migration that fails or is interrupted part-way through the change can be undone exactly;
    #: None: the change's plain inverse is exact from anywhere (one step, or steps that each undo alike)
    undo: list[Statement] | None = None
    #: the other way to the same end, where no statement can tolerate both states (MySQL has no DROP FOREIGN
    #: KEY IF EXISTS): what undoes each statement exactly, by position in ``statements`` (empty: nothing to
    #: undo, a check or a session setting); each goes in the undo block of the step its statement is in
    undo_each: list[list[Statement]] | None = None

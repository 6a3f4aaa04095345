"""A keyset backfill as the runner sees it: the one-batch statement a migration file carries and the
queries that find each batch's bounds, all as SQL text (pure; no connection).

An expand sequence copies a column into its replacement in many short transactions.  The file shows
exactly what one batch runs, its keyset bounds as ``$1`` and ``$2``; the runner picks the bounds,
sizes each batch by the time the last ones took, and records how far it got (engines and
``runner/backfill.py``).  A dialect that can read such a statement back hands out this value
(``Dialect.backfill``); the rest of the code asks it, never the SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backfill:
    """One batched copy ``SET target = value`` over ``table``, keyset on its single-column primary key."""

    #: schema and name of the table, and the column being filled
    schema: str
    table: str
    target: str
    key: str
    #: the statement as the file has it: one batch, rows with ``$1 <= key <= $2`` (inclusive keyset bounds)
    batch_sql: str
    #: the first and last key (as text) and the row count of the first ``$1`` rows by key
    first_bounds_sql: str
    #: the same for the ``$1`` rows after key ``$2`` (the last key of the batch before)
    next_bounds_sql: str

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.table}.{self.target}"


__all__ = ["Backfill"]

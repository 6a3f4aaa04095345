"""A rendered SQL statement and how it runs: the value every renderer hands back.

It sits below the dialect classes and the lock-safe renderer's context (``safe.py``), which both
name it, so neither has to import the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a migration section.

    ``transactional=False`` marks a statement that must run outside a transaction
    (CREATE INDEX CONCURRENTLY); the file writer puts it under a
    ``-- safeshift:no-transaction`` directive.  ``new_transaction`` commits what came before
    it first (``-- safeshift:new-transaction``), so a lock taken earlier is not held on.
    """

    sql: str
    transactional: bool = True
    comment: str | None = None
    new_transaction: bool = False
    #: in a down section: this statement starts what undoes up step N (1-based;
    #: ``-- safeshift:undoes N``), so a migration that failed part-way can undo just its committed steps
    undoes: int | None = None

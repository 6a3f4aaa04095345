"""Where a section's statements commit: the one rule both the planner and the runner follow.

A section runs as a series of steps.  A step is either one statement run alone (outside a
transaction: ``-- safeshift:no-transaction``) or a run of transactional statements that
commit together; ``-- safeshift:new-transaction`` commits what came before it.  The planner
needs the same split as the runner to say which down statements undo which up step, so the
rule lives here, below both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Runnable(Protocol):
    """What the split needs of a statement (a rendered ``Statement`` or a parsed ``SqlStatement``)."""

    @property
    def transactional(self) -> bool: ...

    @property
    def new_transaction(self) -> bool: ...


def step_numbers(statements: Sequence[Runnable]) -> list[int]:
    """The 0-based step of each statement, in order (an empty section has no statements, and one empty step)."""
    out: list[int] = []
    step = -1
    open_batch = False  # a transactional batch is collecting statements
    for st in statements:
        if not st.transactional:
            step += 1
            open_batch = False
        elif not open_batch or st.new_transaction:
            step += 1
            open_batch = True
        out.append(step)
    return out

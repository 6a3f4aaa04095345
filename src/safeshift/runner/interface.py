"""What callers hand the runner and what it hands back: how carefully to run (RunOptions), what
happened as it ran (Event, for the caller to format), and what was applied or rolled back.

Kept apart from the machinery so that the orchestration layer, the API and the CLI can name these
types without loading how a step runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from safeshift.sections import Migration, SqlStatement


@dataclass(frozen=True)
class RunOptions:
    """How carefully to run: timeouts, retries and ordering rules."""

    #: how long a second runner waits for the runner lock before giving up
    lock_wait_s: float = 60.0
    #: how long one statement may queue for a table lock (blocking everyone behind it)
    lock_timeout_ms: int = 5000
    statement_timeout_ms: int | None = None
    #: attempts per step when lock_timeout fires
    lock_tries: int = 3
    #: first backoff after a lock timeout; doubles each try
    retry_backoff_s: float = 1.0
    allow_out_of_order: bool = False
    #: all pending migrations in one transaction
    atomic: bool = False
    #: version -> review findings the operator let through (--allow-hazards), kept in the history row
    allowed_hazards: tuple[tuple[str, str], ...] = ()
    #: what each batch of a backfill aims to take (runner/backfill.py): a writer waits at most about this long
    #: for a row the backfill is copying
    backfill_batch_ms: int = 20
    #: called after each statement on the runner's connection (inside its transaction, if any) with
    #: the statement and its duration in ms; set, every step runs statement by statement (rehearse)
    observe: Callable[[Any, SqlStatement, float], None] | None = None


EventKind = Literal["plan", "start", "step_start", "step", "retry", "applied", "failed", "rolled_back", "skipped",
                    "note"]


@dataclass(frozen=True)
class Event:
    kind: EventKind
    version: str = ""
    name: str = ""
    duration_ms: int | None = None
    message: str = ""
    step: int | None = None
    steps: int | None = None
    attempt: int | None = None


EventSink = Callable[[Event], None]
#: asked before a protected database changes: (database name, what will run) -> go ahead?
Confirm = Callable[[str, Sequence[Migration]], bool]


@dataclass(frozen=True)
class Applied:
    version: str
    name: str
    duration_ms: int
    lock_retries: int = 0


@dataclass(frozen=True)
class ApplyResult:
    applied: tuple[Applied, ...]
    already: int
    database: str = ""

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(a.version for a in self.applied)

    @property
    def duration_ms(self) -> int:
        return sum(a.duration_ms for a in self.applied)


@dataclass(frozen=True)
class RollbackResult:
    rolled_back: tuple[Applied, ...]
    database: str = ""

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(a.version for a in self.rolled_back)

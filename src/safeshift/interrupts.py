"""Ctrl-C and SIGTERM, made deterministic.

An interrupt may land anywhere: inside a statement (psycopg then cancels it on the server),
between a step's COMMIT and the next step, or in the middle of undoing a failed step.  The
runner and deploy catch ``KeyboardInterrupt`` where they can still make the database's state
true (finish or undo the current step, run deploy's on_failure policy, write the record) and
do that work ``shielded``: a second signal is noted, not raised, so the clean-up itself cannot
be cut in half.  SIGTERM (what CI runners and `kill` send) is turned into the same
``KeyboardInterrupt``, so both take one path.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def install() -> None:
    """SIGTERM raises KeyboardInterrupt as SIGINT does (the CLI calls this once, in its main thread)."""
    if _main_thread():
        signal.signal(signal.SIGTERM, _interrupt)


@contextmanager
def shielded() -> Iterator[list[int]]:
    """Run a clean-up that must not be cut short: SIGINT/SIGTERM are recorded in the yielded list
    instead of raising.  Outside the main thread signals are not ours to handle, so nothing changes."""
    seen: list[int] = []
    if not _main_thread():
        yield seen
        return
    previous = {s: signal.getsignal(s) for s in _SIGNALS}

    def note(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)

    for s in _SIGNALS:
        signal.signal(s, note)
    try:
        yield seen
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)

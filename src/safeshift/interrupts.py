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

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


#: how soon a signal that arrived where it could not be raised is sent again
_RETRY_S = 0.01


def _swallowed_at(frame: FrameType | None) -> bool:
    """Whether an exception raised at ``frame`` would be swallowed: inside a weakref callback or a ``__del__``,
    Python prints "Exception ignored in ..." with a traceback and carries on, so a Ctrl-C would be lost and
    a traceback shown.  Seen: the callback that frees an import's module lock (a signal during start-up's
    imports, while a deploy began)."""
    while frame is not None:
        code = frame.f_code
        if code.co_name == "__del__" or (code.co_name == "cb" and code.co_filename.startswith("<frozen importlib")):
            return True
        frame = frame.f_back
    return False


def _resend(signum: int) -> None:
    os.kill(os.getpid(), signum)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """KeyboardInterrupt where it can be caught; where it would be swallowed, the same signal again a moment
    later, once that callback has returned."""
    if _swallowed_at(frame):
        timer = threading.Timer(_RETRY_S, _resend, (signum,))
        timer.daemon = True
        timer.start()
        return
    raise KeyboardInterrupt(signal.Signals(signum).name)


def while_starting(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C while the command is still being loaded: nothing has run, so say so and leave (no traceback
    from the middle of an import; a loaded machine can spend seconds here)."""
    os.write(2, b"interrupted while starting; nothing was done.\n")
    os._exit(130)


def install() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt, never inside a callback that would swallow it (each command
    calls this in its main thread as it begins; before that, ``safeshift.cli`` handles a Ctrl-C while starting)."""
    if _main_thread():
        for s in _SIGNALS:
            signal.signal(s, _interrupt)


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

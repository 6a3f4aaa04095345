"""Long work, reported while it runs: what is running, and once it ends, for how long.

A copy, a dump or a restore can take minutes with nothing to show for it, so the API says when
each starts and ends through a ``Progress`` callback; lower layers never print.  The CLI turns
the reports into a live line on a terminal and into a start and an end line in a log (see
``terminal.ProgressDisplay``); Python callers may pass any callable or nothing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Work:
    """One piece of long work: started (``seconds`` None) or ended after ``seconds``."""

    what: str
    seconds: float | None = None
    #: it ended with an error (the error itself is the caller's to report)
    failed: bool = False
    #: fine-grained (one statement of a migration): worth a live line, not a log line each
    detail: bool = False

    @property
    def ended(self) -> bool:
        return self.seconds is not None


Progress = Callable[[Work], None]


@contextlib.contextmanager
def timed(progress: Progress | None, what: str) -> Iterator[None]:
    """Report ``what`` as started, run the block, then report it ended (failed, if the block raised)."""
    if progress is None:
        yield
        return
    progress(Work(what))
    start = time.monotonic()
    try:
        yield
    except BaseException:
        progress(Work(what, time.monotonic() - start, failed=True))
        raise
    progress(Work(what, time.monotonic() - start))


@contextlib.contextmanager
def timed_exit(progress: Progress | None, what: str, manager: AbstractContextManager[T]) -> Iterator[T]:
    """``manager`` entered as usual, its exit reported as ``what`` (dropping a scratch database can wait)."""
    value = manager.__enter__()
    try:
        yield value
    except BaseException as exc:
        with timed(progress, what):
            suppressed = manager.__exit__(type(exc), exc, exc.__traceback__)
        if not suppressed:
            raise
    else:
        with timed(progress, what):
            manager.__exit__(None, None, None)

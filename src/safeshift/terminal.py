"""The CLI's two rich consoles and markup escaping, with rich imported on first use.

Importing rich is about a fifth of the CLI's start-up.  Commands that spend their time waiting
on a pg tool or a database (backup, restore) print only at the end, so ``warm`` imports it on
a background thread while the main thread parses flags and then blocks on the subprocess.
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from safeshift.progress import Work
from safeshift.text import elapsed

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live


class LazyConsole:
    """A ``rich.console.Console`` built on first attribute access with the given keyword arguments."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)

    def get(self) -> Console:
        """The console itself, for rich classes that need a real one (``Live``)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console


def escape(text: str) -> str:
    """``text`` with anything rich would read as markup escaped."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _import_rich() -> None:
    import rich.console  # noqa: F401  (it imports rich.markup too)


def warm() -> None:
    """Start importing rich in the background (once); the first print then finds it loaded."""
    if "rich.console" not in sys.modules and not any(t.name == "safeshift-warm" for t in threading.enumerate()):
        threading.Thread(target=_import_rich, name="safeshift-warm", daemon=True).start()


class _ErrorConsole(LazyConsole):
    """stderr: a live line on stdout is taken away first, so a message (an error) is never drawn into it."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        stop_live()
        self.get().print(*objects, **kwargs)


out = LazyConsole(highlight=False, soft_wrap=True)
err = _ErrorConsole(stderr=True, highlight=False, soft_wrap=True)


#: a spinner's frames (rich's "dots"), one per tenth of a second
_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class LiveLine:
    """A line at the bottom of a terminal naming what runs and for how long, redrawn while it runs
    (and a line below it, indented, for each piece of work running inside it).

    Lines printed meanwhile through the same console appear above it; it disappears when
    nothing runs any more (or the process ends), leaving only what was printed.  Each line is
    cut to the terminal's width before its time, so the time always shows.
    """

    def __init__(self, console: Any) -> None:
        self.console = console
        #: (what, started at), outermost first
        self.running: list[tuple[str, float]] = []
        self._live: Live | None = None

    def push(self, what: str) -> None:
        self.running.append((what, time.monotonic()))
        if self._live is None:
            from rich.live import Live

            console = self.console.get() if isinstance(self.console, LazyConsole) else self.console
            # what is printed meanwhile (an error on stderr too) goes above the line, never under it
            self._live = Live(_Redrawn(self), console=console, transient=True, refresh_per_second=4)
            self._live.start()
            _LIVE.add(self)
            atexit.register(self.stop)

    def pop(self, what: str) -> float | None:
        """Take ``what`` (the newest of that name) off the line, with whatever started inside it and was
        never ended (an error cut it short); the seconds it ran, None if it was not there."""
        for i in range(len(self.running) - 1, -1, -1):
            if self.running[i][0] == what:
                started = self.running[i][1]
                if i == 0:
                    self.stop()  # its last redraw still shows what ran; then the line goes
                else:
                    del self.running[i:]
                return time.monotonic() - started
        return None

    def stop(self) -> None:
        _LIVE.discard(self)
        if self._live is not None:
            live, self._live = self._live, None
            live.stop()
        self.running.clear()

    def render(self) -> RenderableType:
        from rich.console import Group
        from rich.text import Text

        now = time.monotonic()
        width = max(20, int(self.console.width) - 1)
        lines = []
        for depth, (what, started) in enumerate(self.running):
            head = f"{_FRAMES[int(now * 10) % len(_FRAMES)]} " if depth == 0 else "  " * (depth + 1)
            tail = f" ({elapsed(now - started)})"
            room = width - len(head) - len(tail)
            shown = what if len(what) <= room else what[: max(0, room - 3)] + "..."
            lines.append(Text(head + shown + tail, no_wrap=True, overflow="crop"))
        return Group(*lines)


#: the live lines on the screen now
_LIVE: set[LiveLine] = set()


def stop_live() -> None:
    """Take every live line off the screen (before an error is printed, or when the process ends)."""
    for line in list(_LIVE):
        line.stop()


class _Redrawn:
    """What ``Live`` draws: the running list as it is at each refresh (so the elapsed times move)."""

    def __init__(self, line: LiveLine) -> None:
        self.line = line

    def __rich__(self) -> RenderableType:
        return self.line.render()


class ProgressDisplay:
    """Shows ``progress.Work`` reports (a copy, a dump, a restore) as they happen.

    On a terminal: a live line with what runs and for how long, and a line for each piece once
    it ends.  Elsewhere (a CI log, a file): a line when a piece starts and one when it ends, with
    its duration; nothing is redrawn, so a log keeps every line.  Detail (a statement of a
    migration) shows on the live line only.
    """

    def __init__(self, console: Any = None, *, live: bool | None = None) -> None:
        self.console = console if console is not None else out
        self.live = self.console.is_terminal if live is None else live
        self.line = LiveLine(self.console) if self.live else None

    def __call__(self, work: Work) -> None:
        if work.detail:
            if self.line is not None:
                if work.seconds is None:
                    self.line.push(work.what)
                else:
                    self.line.pop(work.what)
            return
        if work.seconds is None:
            if self.line is not None:
                self.line.push(work.what)
            else:
                _write(f"{work.what} ...")
            return
        if self.line is not None:
            self.line.pop(work.what)
        ended = f"{work.what} {'failed after' if work.failed else 'took'} {elapsed(work.seconds)}"
        if self.line is not None:
            self.console.print(ended, markup=False, highlight=False)
        else:
            _write(ended)

    def close(self) -> None:
        if self.line is not None:
            self.line.stop()


def _write(text: str) -> None:
    """A plain line on stdout, flushed: a CI log shows it while the work runs, not when it ends."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()

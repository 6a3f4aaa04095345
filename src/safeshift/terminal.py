"""The CLI's two rich consoles and markup escaping, with rich imported on first use.

Importing rich is about a fifth of the CLI's start-up.  Commands that spend their time waiting
on a pg tool or a database (backup, restore) print only at the end, so ``warm`` imports it on
a background thread while the main thread parses flags and then blocks on the subprocess.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


class LazyConsole:
    """A ``rich.console.Console`` built on first attribute access with the given keyword arguments."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


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


out = LazyConsole(highlight=False, soft_wrap=True)
err = LazyConsole(stderr=True, highlight=False, soft_wrap=True)

"""Importing the user's own modules (the `schema` models, the `objects` modules) and saying where they failed.

A module that raises while it is imported is the user's bug, not safeshift's: the refusal names the
file and line of the user's code that raised (the last traceback frame inside the project folder, not
inside a virtual environment in it), since "RuntimeError: boom" alone sends them searching.  The
exception stays chained, so `SAFESHIFT_DEBUG=1` prints its whole traceback.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path
from types import ModuleType

from safeshift.errors import SourceError
from safeshift.model import collector_paused
from safeshift.text import display_path

#: folders inside a project that hold other people's code, never the user's
_NOT_THE_USERS = frozenset({"site-packages", "dist-packages", ".venv", "venv", ".tox", "node_modules"})


def import_user_module(name: str, root: Path, named_by: str, *, freeze: bool = True) -> ModuleType:
    """Import ``name`` with ``root`` on the path; any exception it raises becomes a SourceError naming
    ``named_by`` (what in the configuration names the module) and the user's file and line."""
    root_str = str(root.resolve())
    if root_str not in sys.path:
        sys.path.insert(0, root_str)
    try:
        with collector_paused(freeze=freeze):
            return importlib.import_module(name)
    except Exception as exc:  # any import-time failure is the user's module, not us
        where = raised_at(exc, root)
        at = f" (raised at {where})" if where else ""
        raise SourceError(
            f"Cannot import '{name}' named by {named_by}: {type(exc).__name__}: {exc}{at}; check the module path "
            "(relative to the folder of safeshift.toml) and that it imports cleanly (SAFESHIFT_DEBUG=1 prints "
            "the traceback)."
        ) from exc


def raised_at(exc: BaseException, root: Path) -> str | None:
    """``file:line`` of the last frame of ``exc``'s traceback inside ``root`` (a syntax error: the line the
    parser stopped at), relative to ``root``; None when no frame is the project's."""
    found: str | None = None
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        return _inside(Path(exc.filename), exc.lineno, root)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.lineno is not None:
            found = _inside(Path(frame.filename), frame.lineno, root) or found
    return found


def _inside(path: Path, line: int, root: Path) -> str | None:
    try:
        relative = path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return None
    if _NOT_THE_USERS.intersection(relative.parts):
        return None
    return f"{display_path(path, root)}:{line}"

"""Generated Python code, compiled once per interpreter instead of once per process.

Why: every frozen dataclass writes its methods (``__init__``, ``__eq__``, ``__hash__``, ``__repr__``,
``__setattr__``, ``__delattr__``) as source text and compiles it when its module is imported.  The model, the
engines, the history and the configuration are 64 such classes on the path of ``safeshift verify``: about 380
small sources compiled by every run, a fifth of the command's own CPU time (callgrind: 1.33 G instructions
per run at 1,000 tables, of which 0.28 G in compiling strings), more than reading the catalog's rows.  Python
keeps the bytecode of a module in ``__pycache__``; this keeps the bytecode of that generated code beside it,
in one file per interpreter version (``exec`` of a code object is what ``exec`` of its text does after
compiling it, with the same file name and no inherited flags).

``install`` is called by the ``safeshift`` script alone, before anything else is imported: it sends the
``exec`` calls of the ``dataclasses`` module through ``cached_exec`` (a name in that module's globals, which
shadows the builtin; nothing else changes), and at exit writes what was compiled anew.  A program that
imports safeshift as a library keeps its ``dataclasses`` as they are.  The file is written only where Python
writes its own bytecode (not with ``PYTHONDONTWRITEBYTECODE``; under ``PYTHONPYCACHEPREFIX`` when set), and a
file that cannot be read (missing, truncated, another interpreter's) is ignored: the code is then compiled as
before.  It is trusted as ``__pycache__``'s ``.pyc`` files beside it are.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from types import CodeType
from typing import Any

#: the interpreter the code was compiled by (marshal's format and bytecode differ between versions) and its
#: optimisation level (``-O`` compiles asserts away)
_STAMP = (sys.implementation.cache_tag, sys.hexversion, sys.flags.optimize)
#: past this many entries the file starts again (texts change when safeshift or Python is upgraded)
_MAX_ENTRIES = 5000

#: source text -> its code, from the file and from this process
_known: dict[str, CodeType] = {}
#: compiled by this process and not yet written
_new: dict[str, CodeType] = {}
_path: str | None = None


def _file() -> str | None:
    """The cache file beside safeshift's own bytecode (None where Python keeps none)."""
    cached = getattr(sys.modules["safeshift"].__spec__, "cached", None)
    if not cached:
        return None
    return os.path.join(os.path.dirname(cached), f"generated-code.{sys.implementation.cache_tag}.marshal")


def cached_exec(source: Any, globals: dict[str, Any] | None = None, locals: Any = None) -> None:
    """``exec(source, globals, locals)``, with a text's compiled code kept."""
    if type(source) is str:
        code = _known.get(source)
        if code is None:
            code = _known[source] = _new[source] = compile(source, "<string>", "exec", dont_inherit=True)
        source = code
    exec(source, globals, locals)


def install() -> None:
    """Read the cache file and send ``dataclasses``' generated code through ``cached_exec`` (once)."""
    global _path
    if _path is not None:
        return
    _path = _file() or ""
    if _path:
        try:
            with open(_path, "rb") as f:
                stamp, entries = marshal.load(f)
            if stamp == _STAMP and type(entries) is dict:
                _known.update(entries)
        except (OSError, EOFError, ValueError, TypeError):
            pass  # missing or unreadable: compiled as without the cache, and written anew at exit
    import atexit
    import dataclasses

    dataclasses.exec = cached_exec  # type: ignore[attr-defined]
    atexit.register(save)


def save() -> None:
    """Write the code compiled by this process, with what the file held, where Python writes bytecode."""
    if not _new or not _path or sys.dont_write_bytecode:
        return
    entries = _known if len(_known) <= _MAX_ENTRIES else dict(_new)
    temporary = f"{_path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "wb") as f:
            marshal.dump((_STAMP, entries), f)
        os.replace(temporary, _path)  # whole or not at all, whichever process writes last
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return
    _new.clear()

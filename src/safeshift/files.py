"""Writing files that may hold secrets: owner-only modes and atomic replacement.

Backups, their manifests, release records and rehearsal reports name databases (and a dump holds
their data), so they are created 0600 (folders 0700) and replaced by rename, never left half
written for a reader to find.  Ground layer: imports nothing from safeshift.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

#: owner-only modes for files and folders that hold database names or data
FILE_MODE = 0o600
DIR_MODE = 0o700


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and rename, mode 0600."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def restrict(path: Path) -> None:
    """Owner-only access: 0600 files, 0700 directories (pg_dump -Fd creates files by the umask)."""
    if path.is_dir():
        os.chmod(path, DIR_MODE)
        for f in path.rglob("*"):
            os.chmod(f, DIR_MODE if f.is_dir() else FILE_MODE)
    else:
        os.chmod(path, FILE_MODE)

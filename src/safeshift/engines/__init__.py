"""Everything that talks to a live server, per database (``engines/postgres/``, ``engines/sqlite/``).

The protocols the engines implement, and the values they hand back, live at the bottom of this layer
(``engines/base.py``), so the orchestrators that use them (backup, rehearse) and the dialects that hand
them out never need to import each other to name a type.  This package imports nothing at import time
(the registry below imports an engine's module on first use): a restore, which only runs the client
tools, must not pay for what it does not use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safeshift.engines.base import BackupEngine

__all__ = ["backup_engine"]

#: Backup engines live in modules of their own so that backup and restore, which only run the
#: client tools, do not pay for importing the dialect's rendering and change model (~0.1 s).
_BACKUP_ENGINES = {
    "postgresql": ("safeshift.engines.postgres.backup", "PostgresBackup"),
    "sqlite": ("safeshift.engines.sqlite.backup", "SQLiteBackup"),
}


def backup_engine(name: str) -> BackupEngine:
    """How the named dialect's databases are dumped, checked, restored and fingerprinted."""
    from safeshift.dialects import canonical_name

    key = canonical_name(name)
    if key not in _BACKUP_ENGINES:
        from safeshift.errors import ToolMissing

        raise ToolMissing(f"Backups of {key} databases are not supported yet.")
    module, cls = _BACKUP_ENGINES[key]
    engine: BackupEngine = getattr(importlib.import_module(module), cls)()
    return engine

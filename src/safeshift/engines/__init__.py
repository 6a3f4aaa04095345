"""Everything that talks to a live server, per database (``engines/postgres/``, ``engines/sqlite/``).

The protocols the engines implement, and the values they hand back, live at the bottom of this layer
(``engines/base.py``), so the orchestrators that use them (backup, rehearse) and the dialects that hand
them out never need to import each other to name a type.  This package imports only engines/base.py at import time
(its registry imports an engine's module on first use): a restore, which only runs the client
tools, must not pay for what it does not use.
"""

from __future__ import annotations

from safeshift.engines.base import backup_engine, engine_for

__all__ = ["backup_engine", "engine_for"]

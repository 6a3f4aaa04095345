"""safeshift: safe, fast, boring production schema changes.

``safeshift.migrate(url, "migrations")`` applies pending migrations from code, like
drizzle's ``migrate(db, { migrationsFolder })``; ``rollback`` and ``status`` sit beside
it, and every deliberate failure is a ``safeshift.errors.SafeshiftError``.  They are
imported on first use so that ``import safeshift`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from safeshift.version import __version__

__all__ = ["__version__", "migrate", "rollback", "status"]

if TYPE_CHECKING:
    from safeshift.api import migrate, rollback, status


def __getattr__(name: str) -> Any:
    if name in ("migrate", "rollback", "status"):
        from safeshift import api

        return getattr(api, name)
    raise AttributeError(f"module 'safeshift' has no attribute {name!r}")

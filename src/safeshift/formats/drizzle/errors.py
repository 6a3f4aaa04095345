"""The error of a drizzle-kit snapshot the model cannot express, shared by the PostgreSQL and MySQL converters
(``snapshot.py``, ``mysql_snapshot.py``) without either importing the other for it."""

from __future__ import annotations

from safeshift.errors import MigrationsError


class SnapshotError(MigrationsError):
    """A drizzle snapshot holds something safeshift's model cannot express (so no down SQL from it)."""

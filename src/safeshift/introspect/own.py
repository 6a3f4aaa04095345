"""The tables safeshift itself keeps in a user's database, by exact name, so introspection leaves out those
and only those.

A prefix rule (every ``safeshift_*`` table) would also leave out a user's own ``safeshift_notes``, and a
table nobody compares is drift nobody sees.  So the names live here, below both their users: the history
layer (``history.TABLE``, ``history.SCHEMA``) and the engines' batched backfill take them from this module,
and introspection (the same layer as the engines) leaves out exactly these.  On PostgreSQL all of them sit in
the ``safeshift`` schema, which its introspection leaves out whole; a database without schemas (SQLite,
MySQL) holds them beside the user's tables, under these names.
"""

from __future__ import annotations

__all__ = ["BACKFILL_TABLE", "DRIZZLE_FACTS_TABLE", "HISTORY_TABLE", "OWN_SCHEMA", "OWN_TABLES", "is_own_table"]

#: the history of a safeshift migrations folder (one row per version)
HISTORY_TABLE = "safeshift_migrations"
#: how far a batched backfill got, so a killed run resumes where it stopped
BACKFILL_TABLE = "safeshift_backfill"
#: what drizzle's table cannot hold of a drizzle-kit folder's runs (duration, who, failures, step marks), on a
#: server without schemas (``formats.drizzle``; with schemas it is ``safeshift."<schema>.<table>"``)
DRIZZLE_FACTS_TABLE = "safeshift_drizzle_migrations"
#: where a server with schemas keeps all of safeshift's tables
OWN_SCHEMA = "safeshift"

OWN_TABLES: frozenset[str] = frozenset({HISTORY_TABLE, BACKFILL_TABLE, DRIZZLE_FACTS_TABLE})


def is_own_table(name: str) -> bool:
    """Whether ``name`` is one of safeshift's own tables (exactly: ``safeshift_notes`` is the user's)."""
    return name in OWN_TABLES

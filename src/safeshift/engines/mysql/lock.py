"""The runner lock on MySQL and MariaDB: a named user lock (``GET_LOCK``) held by the runner's session.

A user lock belongs to the connection that took it: the server frees it when that connection ends, also
when the runner is killed with SIGKILL (the server notices the closed socket once the statement it was
running, if any, has finished), so a crash never wedges the database.  The name is derived from the
database, so runners of two databases on one server never wait for each other; lock names are server-wide
and at most 64 characters, so a long database name is replaced by its hash.
"""

from __future__ import annotations

import hashlib
from typing import Any

_PREFIX = "safeshift:"
_MAX_NAME = 64

_HOLDER = """
SELECT p.ID, p.USER, p.HOST, p.TIME
FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK(%s)
"""


def lock_name(database: str) -> str:
    """``safeshift:<database>``, or ``safeshift:<sha1 of it>`` when that would be longer than a lock name may be."""
    name = _PREFIX + database
    if len(name.encode("utf-8")) <= _MAX_NAME:
        return name
    return _PREFIX + hashlib.sha1(database.encode("utf-8")).hexdigest()


def current_name(conn: Any) -> str:
    database = conn.execute("SELECT DATABASE()").fetchone()[0]
    return lock_name(str(database or ""))


def acquire(conn: Any, wait_ms: int) -> str | None:
    """Take the lock, waiting up to ``wait_ms`` in the server; None when taken, else who holds it.

    ``GET_LOCK`` waits inside the server (no polling), and the waiting session holds no other lock and
    no snapshot, so it cannot stand in the holder's way.  The timeout is in seconds (fractions allowed)."""
    name = current_name(conn)
    got = conn.execute("SELECT GET_LOCK(%s, %s)", (name, max(0.0, wait_ms / 1000))).fetchone()[0]
    if got == 1:
        return None
    row = conn.execute(_HOLDER, (name,)).fetchone()
    if row is None:
        return "another safeshift runner, which had just finished"
    ident, user, host, seconds = row
    return f"connection {ident}, {user}@{host}, in its current state for {int(seconds or 0)} s"


def release(conn: Any) -> None:
    conn.execute("SELECT RELEASE_LOCK(%s)", (current_name(conn),))

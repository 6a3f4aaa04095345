"""Who holds the lock a migration's statement waits for, on MySQL and MariaDB.

``lock_wait_timeout`` (metadata locks: what DDL waits for) and ``innodb_lock_wait_timeout`` (row locks)
both end a wait with error 1205; the runner retries and, when it gives up, names the session in its way.
The servers expose that differently, so each source is tried in turn, from the most exact:

1. MySQL 8: ``performance_schema.metadata_locks``, where the waiting statement's lock is ``PENDING`` and
   the holders of the same object are ``GRANTED`` (only when ``performance_schema`` is on);
2. MariaDB: ``information_schema.METADATA_LOCK_INFO`` (the ``metadata_lock_info`` plugin, often not
   installed): the other sessions holding metadata locks on tables of this database;
3. everywhere: ``information_schema.INNODB_TRX`` with ``PROCESSLIST`` - the sessions using this database
   with an open transaction, oldest first (an open transaction that read a table keeps its metadata lock
   until it ends, which is what makes an ALTER queue), and failing that the oldest statement still
   running in this database that is not itself waiting.  Sessions of other databases are never named.

Every query runs on the watcher's own connection, never the runner's.
"""

from __future__ import annotations

from typing import Any

from safeshift.engines.base import Blocker

_PERFORMANCE_SCHEMA = """
SELECT DISTINCT t.PROCESSLIST_ID
FROM performance_schema.metadata_locks w
JOIN performance_schema.threads tw ON tw.THREAD_ID = w.OWNER_THREAD_ID
JOIN performance_schema.metadata_locks g
  ON g.OBJECT_TYPE = w.OBJECT_TYPE AND g.OBJECT_SCHEMA <=> w.OBJECT_SCHEMA AND g.OBJECT_NAME <=> w.OBJECT_NAME
 AND g.LOCK_STATUS = 'GRANTED' AND g.OWNER_THREAD_ID <> w.OWNER_THREAD_ID
JOIN performance_schema.threads t ON t.THREAD_ID = g.OWNER_THREAD_ID
WHERE w.LOCK_STATUS = 'PENDING' AND tw.PROCESSLIST_ID = %s AND t.PROCESSLIST_ID IS NOT NULL
"""

_METADATA_LOCK_INFO = """
SELECT DISTINCT m.THREAD_ID FROM information_schema.METADATA_LOCK_INFO m
WHERE m.TABLE_SCHEMA = DATABASE() AND m.THREAD_ID NOT IN (%s, CONNECTION_ID())
"""

_OPEN_TRANSACTIONS = """
SELECT p.ID FROM information_schema.INNODB_TRX x JOIN information_schema.PROCESSLIST p ON p.ID = x.trx_mysql_thread_id
WHERE p.ID NOT IN (%s, CONNECTION_ID()) AND p.DB = DATABASE() ORDER BY x.trx_started, p.ID
"""

_RUNNING = """
SELECT p.ID FROM information_schema.PROCESSLIST p
WHERE p.ID NOT IN (%s, CONNECTION_ID()) AND p.DB = DATABASE() AND p.COMMAND = 'Query'
  AND coalesce(p.STATE, '') NOT LIKE 'Waiting for%%' ORDER BY p.TIME DESC, p.ID
"""

#: one row per session: the transaction's age when it has one, else how long its current state lasted
_DESCRIBE = """
SELECT p.ID, p.USER, p.HOST, p.COMMAND, p.STATE, p.INFO,
       coalesce(timestampdiff(SECOND, x.trx_started, convert_tz(now(), @@session.time_zone, 'SYSTEM')), p.TIME),
       x.trx_started IS NOT NULL
FROM information_schema.PROCESSLIST p LEFT JOIN information_schema.INNODB_TRX x ON x.trx_mysql_thread_id = p.ID
WHERE p.ID IN ({ids})
"""


def blocking_sessions(conn: Any, pid: int) -> list[Blocker]:
    """The sessions in the way of session ``pid``'s statement, best source first (module docstring)."""
    for query in (_PERFORMANCE_SCHEMA, _METADATA_LOCK_INFO, _OPEN_TRANSACTIONS, _RUNNING):
        try:
            ids = [int(r[0]) for r in conn.execute(query, (pid,)).fetchall()]
        except Exception:  # not on this server (no performance_schema, no plugin): the next source
            continue
        if ids:
            return describe(conn, ids)
    return []


def describe(conn: Any, ids: list[int]) -> list[Blocker]:
    """The sessions ``ids`` as the failure message names them, in the order given."""
    marks = ", ".join("%s" for _ in ids)
    rows = {int(r[0]): r for r in conn.execute(_DESCRIBE.format(ids=marks), tuple(ids)).fetchall()}
    out: list[Blocker] = []
    for ident in ids:
        r = rows.get(ident)
        if r is None:  # it ended meanwhile
            continue
        _, user, host, command, state, info, age, in_transaction = r
        if command == "Sleep":
            what = "idle in transaction" if in_transaction else "idle"
        else:
            what = (state or command or "active").lower()
            if in_transaction:
                what = f"in a transaction, {what}"
        out.append(Blocker(ident, what, info or "", float(age or 0), f"{user}@{host}", kind="connection"))
    return out

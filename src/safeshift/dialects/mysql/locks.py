"""The metadata locks MySQL and MariaDB document for each kind of DDL and ALGORITHM/LOCK clause, weakest first.

Pure knowledge of the servers (their "Online DDL Operations" / "InnoDB Online DDL Overview" pages), kept with
the dialect so a rehearsal report can rank what a migration took (``MySQLDialect.lock_modes``) and the engine
can name the lock a statement that commits on its own took (``engines/mysql/rehearse.py``).
"""

from __future__ import annotations

__all__ = ["EXCLUSIVE", "INSTANT", "LOCK_MODES", "SERVER_CHOICE", "SHARED_NO_WRITE", "SHARED_UPGRADABLE",
           "SHARED_WRITE"]

SHARED_WRITE = "SHARED_WRITE metadata lock and InnoDB row locks (reads and writes of other rows go on)"
SHARED_UPGRADABLE = ("SHARED_UPGRADABLE metadata lock, EXCLUSIVE briefly at the start and the end (reads and "
                     "writes go on: in place, LOCK=NONE)")
SHARED_NO_WRITE = "SHARED_NO_WRITE metadata lock, then EXCLUSIVE (writes wait for the whole table copy)"
EXCLUSIVE = "EXCLUSIVE metadata lock (everything waits while it runs)"
INSTANT = "EXCLUSIVE metadata lock, briefly (INSTANT: only the table's metadata changes)"
SERVER_CHOICE = ("EXCLUSIVE metadata lock at the start and the end; writes wait throughout if the server copies the "
                 "table (no ALGORITHM/LOCK clause: the server picks)")
#: weakest first: a rehearsal's strongest lock is the last of these a migration took
LOCK_MODES = (SHARED_WRITE, SHARED_UPGRADABLE, INSTANT, SERVER_CHOICE, SHARED_NO_WRITE, EXCLUSIVE)

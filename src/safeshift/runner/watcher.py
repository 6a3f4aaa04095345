"""The lock watcher: who blocks the runner's statement while it waits for a lock.

A thread of its own with a connection of its own, because the blocker has to be seen while the wait
is on; the failure message then names it (see failure.py).
"""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from typing import Any

from safeshift.dialects.base import Dialect
from safeshift.engines.base import Blocker, engine_for


class LockWatcher:
    """Notes the sessions blocking the runner's statement while it waits for a lock.

    Once the lock times out the blocker may be gone from pg_locks' point of view, so it
    has to be seen while the wait is on: a daemon thread checks, from its own
    connection, whenever a statement has run longer than a third of lock_timeout.
    """

    def __init__(self, dialect: Dialect, url: str, pid: int, lock_timeout_ms: int) -> None:
        self.dialect, self.url, self.pid = dialect, url, pid
        self.engine = engine_for(dialect)
        self.threshold = max(lock_timeout_ms, 30) / 3000
        self.started: float | None = None
        self.seen: list[Blocker] = []
        self._stop = threading.Event()
        self._conn: Any = None
        self._thread = threading.Thread(target=self._run, name="safeshift-lock-watcher", daemon=True)
        self._thread.start()

    def begin(self) -> None:
        self.seen = []
        self.started = time.monotonic()

    def end(self) -> None:
        self.started = None

    def _run(self) -> None:
        while not self._stop.wait(self.threshold / 2):
            started = self.started
            if started is None or time.monotonic() - started < self.threshold:
                continue
            try:
                if self._conn is None:
                    self._conn = self.engine.connect(self.url)
                    self._conn.autocommit = True
                found = self.engine.blocking_sessions(self._conn, self.pid)
            except Exception:  # the watcher only ever adds detail to a message
                continue
            if found and self.started is not None:
                self.seen = found

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        if self._conn is not None:
            with suppress(Exception):
                self._conn.close()

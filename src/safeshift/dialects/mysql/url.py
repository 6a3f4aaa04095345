"""MySQL URLs to connection settings (``mysql://user:password@host:3306/db?charset=utf8mb4``), apart from
the dialect so the engine's connection code and the backup tools need not import the rendering.  Also
``mysql+pymysql://`` (SQLAlchemy's spelling) and ``mariadb://``; ``?unix_socket=/path`` for a socket."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class MySQLTarget:
    host: str
    port: int
    user: str
    password: str
    database: str
    unix_socket: str | None = None


def parse_url(url: str) -> MySQLTarget:
    """The settings in ``url``; ValueError names what is missing."""
    parts = urlsplit(url.strip())
    database = unquote(parts.path.lstrip("/"))
    query = parse_qs(parts.query)
    socket = query.get("unix_socket", [None])[0]
    return MySQLTarget(host=parts.hostname or "localhost", port=parts.port or 3306,
                       user=unquote(parts.username or "root"), password=unquote(parts.password or ""),
                       database=database, unix_socket=socket)

"""SQLite URLs to file paths, apart from the dialect (and the package imports nothing on its own) so
that backup and restore, which import only their engine, need not import the dialect's rendering code."""

from __future__ import annotations

import re


def url_path(url: str) -> str:
    """The file path (or ``:memory:``) of an SQLAlchemy-style sqlite URL."""
    rest = re.sub(r"^sqlite[0-9]*(?:\+[A-Za-z0-9_]+)?:", "", url.strip(), flags=re.IGNORECASE)
    rest = rest.split("?", 1)[0]
    if rest.startswith("///"):
        path = rest[3:]
    elif rest.startswith("//"):
        path = rest[2:]
    else:
        path = rest
    return path or ":memory:"

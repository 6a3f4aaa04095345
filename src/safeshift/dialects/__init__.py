"""Dialect registry: one module per database, looked up by name or URL scheme."""

from __future__ import annotations

import importlib
import re

from safeshift.dialects.base import Capabilities, Dialect, Statement
from safeshift.errors import ConfigError
from safeshift.text import redact_url

__all__ = ["URL_FORMS", "Capabilities", "Dialect", "Statement", "canonical_name", "dialect_for_url", "get_dialect",
           "is_conninfo", "name_for_url", "takes_conninfo",
           "url_scheme"]

_ALIASES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "pg": "postgresql",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "mysql": "mysql",
    "mariadb": "mysql",
}

#: (module, class) per dialect, imported on first use
_DIALECTS = {
    "postgresql": ("safeshift.dialects.postgres", "PostgresDialect"),
    "sqlite": ("safeshift.dialects.sqlite", "SQLiteDialect"),
    "mysql": ("safeshift.dialects.mysql", "MySQLDialect"),
}

_cache: dict[str, Dialect] = {}


def canonical_name(name: str) -> str:
    """``postgres``/``pg`` → ``postgresql``, ``sqlite3`` → ``sqlite``; an unknown name is a ConfigError."""
    key = _ALIASES.get(name.lower().strip())
    if key is None:
        raise ConfigError(f"Unknown dialect '{name}'; use \"postgresql\", \"sqlite\" or \"mysql\".")
    return key


def get_dialect(name: str) -> Dialect:
    key = canonical_name(name)
    if key not in _cache:
        module, cls = _DIALECTS[key]
        _cache[key] = getattr(importlib.import_module(module), cls)()
    return _cache[key]


#: the forms a URL of each dialect takes, named by every refusal of a URL
URL_FORMS = {
    "postgresql": "postgresql://user@host:5432/dbname (or a libpq string: host=... dbname=...)",
    "sqlite": "sqlite:///relative/path.db or sqlite:////absolute/path.db",
    "mysql": "mysql://user:password@host:3306/dbname (also mysql+pymysql:// and mariadb://)",
}

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
#: a libpq connection string starts with ``keyword=`` (``host=db dbname=app``)
_CONNINFO = re.compile(r"^\s*[A-Za-z_]+\s*=")


def url_scheme(url: str) -> str | None:
    """The URL's scheme without a driver (``postgresql+psycopg://`` → ``postgresql``); None when it has none."""
    found = _SCHEME.match(url.strip())
    return found.group(1).split("+", 1)[0].lower() if found else None


def is_conninfo(url: str) -> bool:
    """Whether ``url`` is a libpq ``keyword=value`` string rather than a URL (or a typo)."""
    return url_scheme(url) is None and _CONNINFO.match(url) is not None


def takes_conninfo(name: str, url: str) -> bool:
    """Whether a project of dialect ``name`` takes ``url``, which has no scheme, as a libpq connection string
    (PostgreSQL's ``host=db dbname=app``); no other dialect has such strings."""
    return name == "postgresql" and is_conninfo(url)


def name_for_url(url: str) -> str:
    """The dialect's canonical name from the URL's scheme (``postgresql+psycopg://`` → ``postgresql``).

    A string without a scheme is not guessed at: a typo (``--url 'not a url'``) would otherwise be
    opened as a new SQLite file or handed to libpq."""
    scheme = url_scheme(url)
    if scheme is None:
        raise ConfigError(f"The URL {redact_url(url)} has no scheme (such as postgresql:// or sqlite:///), so it is not "
                          f"a database URL; use {' or '.join(URL_FORMS.values())}.")
    if scheme not in _ALIASES:
        raise ConfigError(
            f"Cannot tell the database kind from URL scheme '{scheme}:'; "
            "use postgresql://..., mysql://... or sqlite:///path/to/file.db."
        )
    return _ALIASES[scheme]


def dialect_for_url(url: str) -> Dialect:
    return get_dialect(name_for_url(url))

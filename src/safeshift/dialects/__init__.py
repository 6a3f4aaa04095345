"""Dialect registry: one module per database, looked up by name or URL scheme."""

from __future__ import annotations

import importlib

from safeshift.dialects.base import Capabilities, Dialect, Statement
from safeshift.errors import ConfigError

__all__ = ["Capabilities", "Dialect", "Statement", "canonical_name", "dialect_for_url", "get_dialect",
           "name_for_url"]

_ALIASES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "pg": "postgresql",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
}

#: (module, class) per dialect, imported on first use
_DIALECTS = {
    "postgresql": ("safeshift.dialects.postgres", "PostgresDialect"),
    "sqlite": ("safeshift.dialects.sqlite", "SQLiteDialect"),
}

_cache: dict[str, Dialect] = {}


def canonical_name(name: str) -> str:
    """``postgres``/``pg`` → ``postgresql``, ``sqlite3`` → ``sqlite``; an unknown name is a ConfigError."""
    key = _ALIASES.get(name.lower().strip())
    if key is None:
        raise ConfigError(f"Unknown dialect '{name}'; use \"postgresql\" or \"sqlite\".")
    return key


def get_dialect(name: str) -> Dialect:
    key = canonical_name(name)
    if key not in _cache:
        module, cls = _DIALECTS[key]
        _cache[key] = getattr(importlib.import_module(module), cls)()
    return _cache[key]


def name_for_url(url: str) -> str:
    """The dialect's canonical name from the URL's scheme (``postgresql+psycopg://`` → ``postgresql``)."""
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme not in _ALIASES:
        raise ConfigError(
            f"Cannot tell the database kind from URL scheme '{scheme}:'; "
            "use postgresql://... or sqlite:///path/to/file.db."
        )
    return _ALIASES[scheme]


def dialect_for_url(url: str) -> Dialect:
    return get_dialect(name_for_url(url))

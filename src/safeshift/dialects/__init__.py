"""Dialect registry: one module per database, looked up by name or URL scheme."""

from __future__ import annotations

from safeshift.dialects.base import Capabilities, Dialect, Statement
from safeshift.errors import ConfigError

__all__ = ["Capabilities", "Dialect", "Statement", "dialect_for_url", "get_dialect"]

_ALIASES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "pg": "postgresql",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
}

_cache: dict[str, Dialect] = {}


def get_dialect(name: str) -> Dialect:
    key = _ALIASES.get(name.lower().strip())
    if key is None:
        raise ConfigError(f"Unknown dialect '{name}'; use \"postgresql\" or \"sqlite\".")
    if key not in _cache:
        if key == "postgresql":
            from safeshift.dialects.postgres import PostgresDialect

            _cache[key] = PostgresDialect()
        else:
            from safeshift.dialects.sqlite import SQLiteDialect

            _cache[key] = SQLiteDialect()
    return _cache[key]


def dialect_for_url(url: str) -> Dialect:
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme not in _ALIASES:
        raise ConfigError(
            f"Cannot tell the database kind from URL scheme '{scheme}:'; "
            "use postgresql://... or sqlite:///path/to/file.db."
        )
    return get_dialect(scheme)

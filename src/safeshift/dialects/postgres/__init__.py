"""PostgreSQL's SQL knowledge, one facet per module: ``dialect`` (``PostgresDialect``), ``clauses`` and
``render`` (DDL), ``alter_column``, ``safe`` (lock-safe forms), ``normalize`` and ``expressions``
(canonical spellings), ``types`` (the type algebra), ``names`` (identifiers and generated names) and
``filters`` (catalog conditions).

The package imports none of them on its own: the engine imports ``filters`` for a backup or a restore,
the rules import ``types``, and neither should load the dialect's rendering and change model with
them.  The names below are resolved on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safeshift.dialects.postgres.dialect import PostgresDialect
    from safeshift.dialects.postgres.names import make_object_name, quote_ident

__all__ = ["PostgresDialect", "make_object_name", "quote_ident"]

#: exported name -> the module that defines it
_HOME = {
    "PostgresDialect": "safeshift.dialects.postgres.dialect",
    "make_object_name": "safeshift.dialects.postgres.names",
    "quote_ident": "safeshift.dialects.postgres.names",
}


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)

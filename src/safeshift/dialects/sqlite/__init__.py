"""SQLite's SQL knowledge, one facet per module: ``dialect`` (``SQLiteDialect``), ``render`` (DDL and
table rebuilds), ``normalize`` (canonical spellings), ``affinity`` (what SQLite enforces of a declared
type), ``tokens`` (the tokenizer introspection shares) and ``url`` (a URL's database file).

The package imports none of them on its own: backup and restore import ``url`` through their engine,
and should not load the dialect's rendering and change model with it.  The names below are resolved
on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safeshift.dialects.sqlite.affinity import STRICT, WITHOUT_ROWID
    from safeshift.dialects.sqlite.dialect import SQLiteDialect
    from safeshift.dialects.sqlite.normalize import is_constant, is_literal
    from safeshift.dialects.sqlite.tokens import (
        SqlTokenError,
        Token,
        matching_paren,
        split_top_level,
        tokenize,
        unquote,
    )
    from safeshift.dialects.sqlite.url import url_path

__all__ = ["STRICT", "WITHOUT_ROWID", "SQLiteDialect", "SqlTokenError", "Token", "is_constant", "is_literal",
           "matching_paren", "split_top_level", "tokenize", "unquote", "url_path"]

#: exported name -> the module that defines it
_HOME = {
    "STRICT": "safeshift.dialects.sqlite.affinity",
    "WITHOUT_ROWID": "safeshift.dialects.sqlite.affinity",
    "SQLiteDialect": "safeshift.dialects.sqlite.dialect",
    "is_constant": "safeshift.dialects.sqlite.normalize",
    "is_literal": "safeshift.dialects.sqlite.normalize",
    "SqlTokenError": "safeshift.dialects.sqlite.tokens",
    "Token": "safeshift.dialects.sqlite.tokens",
    "matching_paren": "safeshift.dialects.sqlite.tokens",
    "split_top_level": "safeshift.dialects.sqlite.tokens",
    "tokenize": "safeshift.dialects.sqlite.tokens",
    "unquote": "safeshift.dialects.sqlite.tokens",
    "url_path": "safeshift.dialects.sqlite.url",
}


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)

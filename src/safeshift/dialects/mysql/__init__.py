"""MySQL's and MariaDB's SQL knowledge, one facet per module: ``dialect`` (``MySQLDialect``), ``types``
(canonical column types), ``normalize`` (defaults and expressions as the server prints them), ``render``
(the DDL of each Change) and ``url`` (a URL's connection settings, for the engine).  Pure: no module here
opens a connection."""

from __future__ import annotations

from safeshift.dialects.mysql.dialect import MySQLDialect

__all__ = ["MySQLDialect"]

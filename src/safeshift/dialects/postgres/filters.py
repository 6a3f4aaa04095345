"""The catalog condition "a schema users own", shared by the PostgreSQL modules.

It lives apart from the dialect (and the package imports nothing on its own) so that backup and
restore, which import only their engine, can use it without the dialect's rendering code.
"""

from __future__ import annotations

#: holds for a ``pg_namespace`` row aliased ``n`` unless it is pg_catalog, information_schema, a
#: TOAST schema or a session's temporary schema (the backslashes make ``_`` literal in LIKE)
USER_SCHEMA = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') "
    r"AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'"
)

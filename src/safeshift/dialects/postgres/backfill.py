"""The SQL of an expand sequence's backfill on PostgreSQL, and reading it back from a migration file.

One batch is a plain UPDATE with inclusive keyset bounds ``$1`` and ``$2`` on the primary key, so a
reader of the file sees exactly what each committed transaction does; ``IS DISTINCT FROM`` leaves
rows the sync trigger (or an earlier run) already filled untouched, so a resumed or repeated batch
copies nothing twice.  How large a batch is, is decided while it runs (``runner/backfill.py``).
"""

from __future__ import annotations

import re

from safeshift.dialects.backfill import Backfill

#: an identifier as the renderer writes it: double-quoted (quotes doubled inside) or a bare word
_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'

_BATCH = re.compile(
    rf"UPDATE\s+(?P<schema>{_IDENT})\s*\.\s*(?P<table>{_IDENT})\s+SET\s+(?P<target>{_IDENT})\s*=\s*(?P<value>.+?)\s+"
    rf"WHERE\s+(?P<key>{_IDENT})\s+BETWEEN\s+\$1\s+AND\s+\$2\s+"
    rf"AND\s+(?P=target)\s+IS\s+DISTINCT\s+FROM\s+(?P=value)\s*;?",
    re.IGNORECASE | re.DOTALL)


def batch_sql(rel: str, target: str, value: str, key: str) -> str:
    """One batch: the rows of ``rel`` whose ``key`` lies in ``[$1, $2]`` and whose ``target`` differs from
    ``value`` (all quoted SQL)."""
    return f"UPDATE {rel} SET {target} = {value} WHERE {key} BETWEEN $1 AND $2 AND {target} IS DISTINCT FROM {value};"


def parse(sql: str) -> Backfill | None:
    """The backfill a no-transaction statement of a migration runs, or None when it is not one."""
    m = _BATCH.fullmatch(sql.strip())
    if m is None:
        return None
    rel = f"{m['schema']}.{m['table']}"
    key = m["key"]
    inner = f"SELECT {key} AS k FROM {rel}"
    bounds = "SELECT min(b.k)::text, max(b.k)::text, count(*) FROM ({} ORDER BY {} LIMIT $1) b"
    return Backfill(
        schema=_unquote(m["schema"]), table=_unquote(m["table"]), target=_unquote(m["target"]), key=_unquote(key),
        batch_sql=sql.strip().rstrip(";").strip(),
        first_bounds_sql=bounds.format(inner, key),
        next_bounds_sql=bounds.format(f"{inner} WHERE {key} > $2", key),
    )


def _unquote(ident: str) -> str:
    return ident[1:-1].replace('""', '"') if ident.startswith('"') else ident.lower()


__all__ = ["batch_sql", "parse"]

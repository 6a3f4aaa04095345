"""The index InnoDB keeps for a foreign key, which nobody declares: what rendering must do around it.

InnoDB needs an index whose first columns are a foreign key's columns, in order.  Adding the key when no
index of the table is one makes an index named after the constraint; creating such an index later drops
that one silently; and an index a key still needs cannot be dropped (error 1553).  The model leaves the
implicit index out (introspection hides an index named after a foreign key on exactly its columns), so the
renderer works out from the table whether it is there:

- dropping a foreign key drops its implicit index too when the table held it (no other index served the
  key), never with MariaDB's ``DROP INDEX IF EXISTS``, which MySQL 8 does not have;
- dropping the index a remaining foreign key relies on adds the implicit one back in the same statement,
  where the server would otherwise refuse the drop.  A key that relied on none of the declared indexes has
  its implicit one already; a key that several dropped indexes served gets it back from one of them only
  (the last by name), whatever order the drops run in: before that drop another of them still serves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from safeshift.model import ForeignKey, Table


def implicit_index_name(table: str, fk_name: str, columns: Sequence[str]) -> str:
    """The name of the index InnoDB makes for a foreign key: the constraint's name, but for a key the server
    named itself (``<table>_ibfk_<n>``: the models, create_all or hand DDL gave it none), whose index is named
    after its first column."""
    if re.fullmatch(re.escape(table) + r"_ibfk_\d+", fk_name) and columns:
        return columns[0]
    return fk_name


def _leading(table: Table, skip: str | None = None) -> list[tuple[str, tuple[str, ...]]]:
    """Each declared index of the table (primary key, unique keys, indexes) but ``skip``, by name, with its
    plain leading key columns."""
    keys: list[tuple[str, tuple[str, ...]]] = []
    if table.primary_key is not None:
        keys.append(("PRIMARY", table.primary_key.columns))
    # an unnamed unique key is named after its first column (``MySQLDialect.default_constraint_name``)
    keys += [(u.name or u.columns[0], u.columns) for u in table.uniques if (u.name or u.columns[0]) != skip]
    for ix in table.indexes:
        if ix.name == skip or ix.method not in ("btree", "hash"):
            continue
        plain = []
        for e in ix.elements:
            if e.is_expression:
                break
            plain.append(e.value)
        keys.append((ix.name, tuple(plain)))
    return keys


def serves(columns: Sequence[str], fk_columns: Sequence[str]) -> bool:
    """Whether an index on ``columns`` can serve a foreign key on ``fk_columns`` (they lead it, in order)."""
    return len(columns) >= len(fk_columns) and tuple(columns[:len(fk_columns)]) == tuple(fk_columns)


def has_implicit_index(table: Table, fk: ForeignKey, name: str) -> bool:
    """Whether InnoDB holds an index ``name`` for ``fk`` on ``table``: no declared index serves the key."""
    return not any(serves(k, fk.columns) for _, k in _leading(table, skip=name))


def left_without_index(before: Table | None, after: Table, dropped: str) -> list[ForeignKey]:
    """The foreign keys of ``after`` that relied on the declared index ``dropped`` and that no index kept from
    ``before`` serves: the drop must give each its own index back.  Without ``before`` (not known), the keys
    no index of ``after`` serves."""
    if before is None:
        rest = _leading(after, skip=dropped)
        return [fk for fk in after.foreign_keys if not any(serves(k, fk.columns) for _, k in rest)]
    kept = {(name, cols) for name, cols in _leading(after)}
    out = []
    for fk in after.foreign_keys:
        served_by = sorted(name for name, cols in _leading(before) if serves(cols, fk.columns))
        if fk not in before.foreign_keys or not served_by:
            continue  # a key added later gets its index from the server; none served it: its own is there
        if any((name, cols) in kept for name, cols in _leading(before) if name in served_by):
            continue
        if served_by[-1] == dropped:
            out.append(fk)
    return out

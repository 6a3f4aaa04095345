"""The index InnoDB keeps for a foreign key, which nobody declares: what rendering must do around it.

InnoDB needs an index whose first columns are a foreign key's columns, in order.  Adding the key when no
index of the table is one makes an index named after the constraint; creating such an index later drops
that one silently; and an index a key still needs cannot be dropped (error 1553).  The model leaves the
implicit index out (introspection hides an index named after a foreign key on exactly its columns), so the
renderer works out from the table whether it is there:

- dropping a foreign key drops its implicit index too when the table held it (no other index served the
  key), never with MariaDB's ``DROP INDEX IF EXISTS``, which MySQL 8 does not have;
- dropping the index a remaining foreign key relies on adds the implicit one back in the same statement,
  where the server would otherwise refuse the drop.
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


def _leading(table: Table, skip: str | None = None) -> list[tuple[str, ...]]:
    """The plain key columns of each index the table holds (primary key, unique keys, indexes), but ``skip``."""
    keys: list[tuple[str, ...]] = []
    if table.primary_key is not None:
        keys.append(table.primary_key.columns)
    keys += [u.columns for u in table.uniques if u.name != skip]
    for ix in table.indexes:
        if ix.name == skip or ix.method not in ("btree", "hash"):
            continue
        plain = []
        for e in ix.elements:
            if e.is_expression:
                break
            plain.append(e.value)
        keys.append(tuple(plain))
    return keys


def serves(columns: Sequence[str], fk_columns: Sequence[str]) -> bool:
    """Whether an index on ``columns`` can serve a foreign key on ``fk_columns`` (they lead it, in order)."""
    return len(columns) >= len(fk_columns) and tuple(columns[:len(fk_columns)]) == tuple(fk_columns)


def has_implicit_index(table: Table, fk: ForeignKey, name: str) -> bool:
    """Whether InnoDB holds an index ``name`` for ``fk`` on ``table``: no declared index serves the key."""
    return not any(serves(k, fk.columns) for k in _leading(table, skip=name))


def left_without_index(table: Table, dropped: str) -> list[ForeignKey]:
    """The foreign keys of ``table`` (as it is after the change) that relied on index ``dropped`` and that no
    remaining index serves: the drop must give each its own index back."""
    rest = _leading(table, skip=dropped)
    return [fk for fk in table.foreign_keys if not any(serves(k, fk.columns) for k in rest)]

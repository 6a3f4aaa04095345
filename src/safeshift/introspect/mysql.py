"""A live MySQL/MariaDB database → Schema, from six bulk ``information_schema`` queries for the whole
database (``queries/mysql/*.sql``), never one per table.

Rows are mapped to the dialect's canonical forms (``dialects/mysql``): display widths dropped, a ``longtext``
with MariaDB's ``json_valid`` CHECK named after the column read as ``json`` (and the CHECK left out), the
default's ``NULL`` read as no default (MariaDB's quoted and MySQL 8's bare literals alike), ``on update`` from
EXTRA as the column's ``on_update``, collations kept only where they differ from the table's (a table's only
where it differs from the database's), and the index InnoDB makes for a foreign key (on exactly its columns,
named after it, or after its first column where the server named the key: ``fk_index``) left out: the
constraint implies it.  safeshift's own tables (``own``: the history table by its exact name, not every ``safeshift_*``
table, so a user's ``safeshift_notes`` is compared) are not read.
"""

from __future__ import annotations

import re
from collections import defaultdict
from importlib import resources
from typing import Any

from safeshift.dialects.mysql import fk_index
from safeshift.dialects.mysql.dialect import DEFAULT_SCHEMA, MySQLDialect, fold_table
from safeshift.dialects.mysql.normalize import column_default
from safeshift.engines.mysql.tools import is_mariadb
from safeshift.errors import UnsupportedConstruct
from safeshift.introspect import own
from safeshift.model import (
    Check,
    Column,
    FkAction,
    ForeignKey,
    Generated,
    Index,
    IndexElement,
    PrimaryKey,
    Schema,
    Table,
    Unique,
    make_schema,
)

__all__ = ["introspect"]

_ACTIONS: dict[str, FkAction] = {"NO ACTION": "NO ACTION", "RESTRICT": "RESTRICT", "CASCADE": "CASCADE",
                                 "SET NULL": "SET NULL", "SET DEFAULT": "SET DEFAULT"}


def _query(name: str) -> str:
    return resources.files("safeshift.introspect").joinpath(f"queries/mysql/{name}.sql").read_text("utf-8")


def _rows(conn: Any, name: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(_query(name)).fetchall()]


def introspect(conn: Any, dialect: MySQLDialect) -> Schema:
    unmodelled = [f"{kind} {name}" for kind, name in _rows(conn, "unmodelled") if not own.is_own_table(name)]
    if unmodelled:
        raise UnsupportedConstruct(", ".join(unmodelled), "objects safeshift does not read on MySQL/MariaDB yet "
                                   "(views, triggers, routines, events, sequences, partitioning, system versioning)",
                                   "Comparing the database without them could hide real differences, so safeshift "
                                   "stops here (issue 19).")
    tables = [r for r in _rows(conn, "tables") if not own.is_own_table(r[0])]
    columns: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for r in _rows(conn, "columns"):
        columns[r[0]].append(r)
    indexes: dict[str, dict[str, list[tuple[Any, ...]]]] = defaultdict(lambda: defaultdict(list))
    cur = conn.execute(_query("indexes"))
    names = [d[0].upper() for d in cur.description]
    hidden = [(i, value) for i, name in enumerate(names) for key, value in (("IS_VISIBLE", "NO"), ("IGNORED", "YES"))
              if name == key]
    for r in cur.fetchall():
        if any(str(r[i]).upper() == value for i, value in hidden) and not own.is_own_table(r[0]):
            raise UnsupportedConstruct(f"index {r[0]}.{r[1]}", "an invisible (MySQL 8) or ignored (MariaDB) index",
                                       "safeshift's model has no invisible indexes yet; make it visible, or "
                                       "leave the table out with the `ignore` list.")
        indexes[r[0]][r[1]].append(tuple(r))
    fks: dict[str, dict[str, list[tuple[Any, ...]]]] = defaultdict(lambda: defaultdict(list))
    for r in _rows(conn, "foreign_keys"):
        fks[r[0]][r[1]].append(r)
    checks: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for table, name, clause in check_rows(conn.execute(_query("checks"))):
        checks[table].append((name, clause))
    # MariaDB quotes a literal default in information_schema, MySQL 8 does not (normalize.column_default)
    quoted = is_mariadb(str(conn.execute("SELECT VERSION()").fetchone()[0]))
    out = [_table(dialect, t, columns[t[0]], indexes[t[0]], fks[t[0]], checks[t[0]], quoted) for t in tables]
    return make_schema(dialect.name, tables=out)


def check_rows(cur: Any) -> list[tuple[str, str, str]]:
    """``(table, name, clause)`` of each CHECK from ``checks.sql``'s cursor, on MySQL 8 and MariaDB alike.

    The query's ``cc.*`` is read by column name: where the server's CHECK_CONSTRAINTS has a TABLE_NAME
    (MariaDB), a row pairing a constraint with another table's same-named one is left out."""
    names = [d[0].upper() for d in cur.description]
    clause = names.index("CHECK_CLAUSE")
    own_table = names.index("TABLE_NAME", 2) if "TABLE_NAME" in names[2:] else None
    return [(r[0], r[1], r[clause]) for r in cur.fetchall() if own_table is None or r[own_table] == r[0]]


def _table(d: MySQLDialect, row: tuple[Any, ...], cols: list[tuple[Any, ...]], ixs: dict[str, list[tuple[Any, ...]]],
           fks: dict[str, list[tuple[Any, ...]]], checks: list[tuple[str, str]], quoted: bool) -> Table:
    name, engine, collation, comment, db_collation = row
    json_checks = {c for c, clause in checks if clause.replace(" ", "") == f"json_valid(`{c}`)"}
    columns = tuple(_column(d, r, collation, r[1] in json_checks, quoted) for r in cols)
    keep_checks = tuple(Check(n, d.normalize_expression(clause)) for n, clause in checks if n not in json_checks)
    foreign_keys = tuple(_foreign_key(n, rows) for n, rows in fks.items())
    implicit: dict[str, tuple[str, ...]] = {}
    for fk, rows in fks.items():  # named after the key, or after its column where the server named the key
        implicit[fk] = implicit[fk_index.implicit_index_name(name, fk, [r[2] for r in rows])] = \
            tuple(r[2] for r in rows)
    pk = None
    uniques: list[Unique] = []
    indexes: list[Index] = []
    for ix_name, rows in ixs.items():
        if ix_name == "PRIMARY":
            pk = PrimaryKey(None, tuple(r[4] for r in rows))
            continue
        index = _index(ix_name, rows)
        if not index.unique and index.method == "btree" and ix_name in implicit \
                and tuple(e.value for e in index.elements) == implicit[ix_name]:
            continue  # InnoDB's own index for a foreign key (named after it, or after its column if unnamed)
        indexes.append(index)
    options = []
    if engine and engine.lower() != "innodb":
        options.append(f"engine={engine}")
    if collation and db_collation and collation != db_collation:
        options.append(f"collate={collation}")
    table = Table(DEFAULT_SCHEMA, name, columns, pk, tuple(uniques), keep_checks, foreign_keys, tuple(indexes),
                  comment or None, options=tuple(sorted(options)))
    return fold_table(table)


#: the zero date MariaDB gives a NOT NULL column with ON UPDATE but no default (``'0000-00-00 00:00:00.000'``)
_ZERO_DATE = re.compile(r"'0000-00-00 00:00:00(\.0+)?'")


def _column(d: MySQLDialect, r: tuple[Any, ...], table_collation: str | None, json: bool, quoted: bool) -> Column:
    table, name, column_type, nullable, default, extra, generation, collation, comment = r
    typ = "json" if json and column_type == "longtext" else d.normalize_type(column_type)
    extra = (extra or "").lower()
    if "invisible" in extra:
        raise UnsupportedConstruct(f"column {table}.{name}", "an INVISIBLE column",
                                   "safeshift's model has no invisible columns yet; make it visible or leave "
                                   "the table out with the `ignore` list.")
    generated = None
    if generation and "generated" in extra and "default_generated" not in extra.replace(" ", ""):
        generated = Generated(d.normalize_expression(generation),
                              stored="stored" in extra or "persistent" in extra)
    value = None if generated is not None else column_default(default, extra, typ, quoted_literals=quoted)
    on_update = None
    if "on update" in extra:  # 'on update current_timestamp()' (MariaDB), 'on update CURRENT_TIMESTAMP(3)' (MySQL)
        on_update = d.normalize_default(extra.split("on update", 1)[1].strip(), typ)
        if nullable == "NO" and value is not None and _ZERO_DATE.fullmatch(value):
            value = None  # MariaDB's own default for NOT NULL ... ON UPDATE without one: the same column
    keep_collation = collation if collation and collation != table_collation and typ != "json" else None
    return Column(name, typ, nullable == "YES", value, serial="auto_increment" in extra, generated=generated,
                  collation=keep_collation, comment=comment or None, on_update=on_update)


def _index(name: str, rows: list[tuple[Any, ...]]) -> Index:
    kind = (rows[0][7] or "BTREE").lower()
    method = kind if kind in ("fulltext", "spatial", "hash") else "btree"
    elements = []
    for r in rows:
        column, sub_part, order = r[4], r[5], r[6]
        if column is None:  # MySQL 8.0.13+'s functional key part (STATISTICS.EXPRESSION): not in the model yet
            raise UnsupportedConstruct(f"index {r[0]}.{name}", "a functional key part (an expression)",
                                       "safeshift reads index keys that are columns only on MySQL; leave the "
                                       "table out with the `ignore` list until it does.")
        if sub_part is not None:
            elements.append(IndexElement(f"`{column.replace('`', '``')}`({sub_part})", is_expression=True,
                                         descending=order == "D"))
        else:
            elements.append(IndexElement(column, descending=order == "D"))
    return Index(name, tuple(elements), unique=not int(rows[0][2]), method=method)


def _foreign_key(name: str, rows: list[tuple[Any, ...]]) -> ForeignKey:
    first = rows[0]
    return ForeignKey(name, tuple(r[2] for r in rows), DEFAULT_SCHEMA, first[4], tuple(r[5] for r in rows),
                      on_delete=_ACTIONS.get(first[7], "NO ACTION"), on_update=_ACTIONS.get(first[6], "NO ACTION"))

"""MySQL and MariaDB (``MySQLDialect``): one dialect, named ``mysql``.  MariaDB is the same dialect; what
differs by server and version (INSTANT column operations, CHECK enforcement, JSON storage) is asked of the
live server by the engine, never decided here by name.

Canonical forms (the model holds nothing MySQL-specific, so a few MySQL ideas ride in its general fields):
- the database a URL names is the one namespace, called ``default`` in the model (``capabilities.schemas``
  is off): a schema compared across two databases compares equal;
- types: ``types.normalize_type``; ``AUTO_INCREMENT`` is ``Column.serial``; ``ON UPDATE CURRENT_TIMESTAMP`` is
  ``Column.on_update`` (``fold`` splits it out of a source's default text); a column's collation is kept only
  where it differs from its table's, a table's only where it differs from the database's (``Table.options``:
  ``collate=...``, ``engine=...`` when not InnoDB);
- the primary key has no name (MySQL calls every one ``PRIMARY``); a unique index on plain columns is a
  ``Unique`` (the server cannot tell a UNIQUE constraint from a unique index: ``fold``);
- an index key with a prefix length is the expression ``\\`col\\`(n)``; FULLTEXT and SPATIAL are index methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from safeshift.dialects.base import Capabilities, ConstraintKind
from safeshift.dialects.mysql.locks import LOCK_MODES
from safeshift.dialects.mysql.normalize import normalize_default, normalize_expression, split_on_update
from safeshift.dialects.mysql.render import MySQLRender
from safeshift.dialects.mysql.types import normalize_type, table_options
from safeshift.model import Column, Index, IndexElement, Schema, Table, Unique, canonical_table

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SADialect

    from safeshift.changes import Change
    from safeshift.dialects.base import Statement
    from safeshift.dialects.safe import SafeContext, SafeRender

#: the model's name for the one database a URL names
DEFAULT_SCHEMA = "default"


class MySQLDialect(MySQLRender):
    name = "mysql"
    default_schema = DEFAULT_SCHEMA
    capabilities = Capabilities(
        transactional_ddl=False, concurrent_index=False, not_valid=False, advisory_lock=True,
        alter_column=True, alter_constraints=True, named_constraints=True, schemas=False, enums=False,
        sequences=False, comments=True, identity=False, hazard_review=True, one_round_trip=False,
        rename_index=True, drizzle_folders=True,
    )
    max_identifier_length = 64
    lock_modes = LOCK_MODES
    serial_types = {t: t for t in ("tinyint", "smallint", "mediumint", "int", "bigint", "int unsigned",
                                   "bigint unsigned", "smallint unsigned", "mediumint unsigned", "tinyint unsigned")}
    #: ``GENERATED ALWAYS AS (...)`` without STORED/PERSISTENT is VIRTUAL on both servers
    generated_stored_default = False

    def normalize_type(self, type_sql: str) -> str:
        return normalize_type(type_sql)

    def normalize_default(self, default_sql: str, column_type: str) -> str:
        return normalize_default(default_sql, column_type)

    def normalize_expression(self, sql: str) -> str:
        return normalize_expression(sql)

    def table_options(self, options: Any, where: str) -> list[str]:
        return table_options(dict(options), where)

    def index_keys(self, create_index_sql: str) -> tuple[IndexElement, ...]:
        """Keys written as text: ``col``, ``col DESC``, ``col(10)`` (a prefix); an expression key is refused
        (MariaDB has none; MySQL 8.0.13+ has functional keys, not modelled yet)."""
        from safeshift.dialects.mysql.keys import index_keys

        return index_keys(create_index_sql)

    def default_constraint_name(self, kind: ConstraintKind, table: str, columns: Sequence[str]) -> str | None:
        """A unique key without a name is named after its first column; the primary key is ``PRIMARY``; a
        foreign key safeshift creates unnamed gets ``<table>_<columns>_fk`` (the server's own ``<table>_ibfk_n``
        depends on what else the table has); a CHECK's ``CONSTRAINT_n`` cannot be foreseen (None)."""
        if kind == "unique" and columns:
            return columns[0]
        if kind == "pk":
            return "PRIMARY"
        if kind == "fk":  # safeshift names the foreign keys it creates, so their drop can name them too
            return f"{table}_{'_'.join(columns)}_fk"[:64]
        return None

    # -- steps: every DDL statement commits on its own (dialects/mysql/commits.py) -----------------
    def commits_implicitly(self, sql: str) -> bool:
        from safeshift.dialects.mysql.commits import commits_implicitly

        return commits_implicitly(sql)

    def render(self, change: Change) -> list[Statement]:
        """Each DDL statement marked to run alone: the server commits it whatever transaction it is in."""
        from safeshift.dialects.mysql.commits import mark_commits

        return mark_commits(super().render(change))

    def render_safe(self, change: Change, ctx: SafeContext) -> SafeRender | None:
        from safeshift.dialects.mysql.commits import mark_commits

        safe = super().render_safe(change, ctx)
        if safe is None:
            return None
        return replace(safe, statements=mark_commits(safe.statements),
                       undo=None if safe.undo is None else mark_commits(safe.undo),
                       undo_each=None if safe.undo_each is None else [mark_commits(u) for u in safe.undo_each])

    def upsert_sql(self, key: str, columns: Sequence[str]) -> str:
        """``ON DUPLICATE KEY UPDATE`` with ``VALUES(col)``: both servers accept it (MySQL 8.0.20+ warns that
        it prefers a row alias, which MariaDB does not have)."""
        return " ON DUPLICATE KEY UPDATE " + ", ".join(f"{c} = VALUES({c})" for c in columns if c != key)

    def sqlalchemy_dialect(self) -> SADialect:
        from sqlalchemy.dialects.mysql import pymysql

        return pymysql.dialect()  # type: ignore[no-untyped-call]

    def fold(self, schema: Schema) -> Schema:
        """``schema`` as the server would hold it: unique indexes on plain columns as Unique keys, primary
        keys unnamed.  Applied to every source's schema (and by introspection to its own)."""
        return replace(schema, tables=tuple(fold_table(t) for t in schema.tables))


def fold_table(t: Table) -> Table:
    uniques = list(t.uniques)
    indexes: list[Index] = []
    for ix in t.indexes:
        plain = ix.method == "btree" and not ix.where and not ix.include and all(
            not e.is_expression and not e.descending for e in ix.elements)
        if ix.unique and plain:
            uniques.append(Unique(ix.name, tuple(e.value for e in ix.elements)))
        else:
            indexes.append(ix)
    pk = replace(t.primary_key, name=None) if t.primary_key is not None and t.primary_key.name else t.primary_key
    # InnoDB treats RESTRICT and NO ACTION alike (checked at once) and reports the default as RESTRICT
    fks = tuple(replace(fk, on_delete="NO ACTION" if fk.on_delete == "RESTRICT" else fk.on_delete,
                        on_update="NO ACTION" if fk.on_update == "RESTRICT" else fk.on_update)
                for fk in t.foreign_keys)
    # a source writes ON UPDATE inside the default's text (SQLAlchemy's only way): the model keeps it apart
    columns = tuple(_on_update_apart(c) for c in t.columns)
    if pk is t.primary_key and len(uniques) == len(t.uniques) and fks == t.foreign_keys and columns == t.columns:
        return t
    return canonical_table(replace(t, columns=columns, primary_key=pk, uniques=tuple(uniques),
                                   indexes=tuple(indexes), foreign_keys=fks))


def _on_update_apart(c: Column) -> Column:
    default, on_update = split_on_update(c.default)
    if on_update is None:
        return c
    return replace(c, default=default, on_update=on_update)

"""The SQL fragments PostgreSQL's DDL is built from: a column definition, each constraint clause, an
index, a comment, identity options.

Rendering a Change, rewriting it into its lock-safe form (``safe``) and changing a column
(``alter_column``) all spell the same clauses, so they are written once here, as the first layer of
the dialect class (``PgClauses``, which ``render.PgRender`` and then ``PostgresDialect`` extend).
"""

from __future__ import annotations

from collections.abc import Sequence

from safeshift.dialects.base import ConstraintKind, Dialect, Statement
from safeshift.dialects.postgres.names import _name_addition, make_object_name
from safeshift.dialects.postgres.normalize import SERIAL_TYPES
from safeshift.model import Check, Column, ForeignKey, Identity, Index, IndexElement, PrimaryKey, Unique


class PgClauses(Dialect):
    """PostgreSQL's DDL clauses; the dialect's rendering builds on them."""

    def default_constraint_name(self, kind: ConstraintKind, table: str, columns: Sequence[str]) -> str | None:
        if kind == "pk":
            return make_object_name(table, None, "pkey")
        if kind == "check":
            return make_object_name(table, columns[0] if len(columns) == 1 else None, "check")
        label = {"unique": "key", "fk": "fkey", "index": "idx"}[kind]
        return make_object_name(table, _name_addition(columns) or None, label)

    # -- tables and columns --------------------------------------------------------------
    def _table(self, schema: str, table: str) -> str:
        return self.qualify(schema, table)

    def _alter(self, schema: str, table: str, action: str) -> Statement:
        return Statement(f"ALTER TABLE {self._table(schema, table)} {action};")

    def _type_sql(self, type_name: str) -> str:
        return type_name

    def _collate(self, collation: str | None) -> str:
        # the model spells a collation outside public and pg_catalog already quoted: "schema"."name"
        if not collation:
            return ""
        return " COLLATE " + (collation if collation.startswith('"') else self.quote(collation))

    def _identity_options(self, ident: Identity, type_name: str) -> str:
        opts: list[str] = []
        if ident.start is not None:
            opts.append(f"START WITH {ident.start}")
        if ident.increment is not None:
            opts.append(f"INCREMENT BY {ident.increment}")
        if ident.minvalue is not None:
            opts.append(f"MINVALUE {ident.minvalue}")
        if ident.maxvalue is not None:
            opts.append(f"MAXVALUE {ident.maxvalue}")
        if ident.cache is not None:
            opts.append(f"CACHE {ident.cache}")
        if ident.cycle:
            opts.append("CYCLE")
        return f" ({' '.join(opts)})" if opts else ""

    def _identity_clause(self, ident: Identity, type_name: str) -> str:
        mode = "ALWAYS" if ident.always else "BY DEFAULT"
        return f"GENERATED {mode} AS IDENTITY{self._identity_options(ident, type_name)}"

    def column_sql(self, column: Column) -> str:
        """One column definition as CREATE TABLE / ADD COLUMN spell it."""
        serial = SERIAL_TYPES.get(column.type) if column.serial else None
        parts = [self.quote(column.name), serial or self._type_sql(column.type)]
        if column.collation:
            parts.append(self._collate(column.collation).strip())
        if column.identity is not None:
            parts.append(self._identity_clause(column.identity, column.type))
        if column.generated is not None:
            kind = "STORED" if column.generated.stored else "VIRTUAL"
            parts.append(f"GENERATED ALWAYS AS ({column.generated.expression}) {kind}")
        if column.default is not None and column.identity is None and column.generated is None:
            parts.append(f"DEFAULT {column.default_sql}")
        if not column.nullable:
            parts.append("NOT NULL")
        return " ".join(parts)

    # -- constraints ---------------------------------------------------------------------
    def _deferrable(self, deferrable: bool, initially_deferred: bool) -> str:
        if not deferrable:
            return ""
        return " DEFERRABLE INITIALLY DEFERRED" if initially_deferred else " DEFERRABLE"

    def _cols(self, columns: Sequence[str]) -> str:
        return ", ".join(self.quote(c) for c in columns)

    def _cname(self, name: str | None, kind: ConstraintKind, table: str, columns: Sequence[str]) -> str:
        return self.quote(name or self.default_constraint_name(kind, table, columns) or "")

    def pk_sql(self, table: str, pk: PrimaryKey) -> str:
        return (f"CONSTRAINT {self._cname(pk.name, 'pk', table, pk.columns)} PRIMARY KEY ({self._cols(pk.columns)})"
                + self._deferrable(pk.deferrable, pk.initially_deferred))

    def unique_sql(self, table: str, u: Unique) -> str:
        nnd = " NULLS NOT DISTINCT" if u.nulls_not_distinct else ""
        return (f"CONSTRAINT {self._cname(u.name, 'unique', table, u.columns)} UNIQUE{nnd} "
                f"({self._cols(u.columns)}){self._deferrable(u.deferrable, u.initially_deferred)}")

    def check_sql(self, table: str, c: Check) -> str:
        return f"CONSTRAINT {self._cname(c.name, 'check', table, ())} CHECK ({c.sql})"

    def fk_sql(self, table: str, fk: ForeignKey) -> str:
        sql = (f"CONSTRAINT {self._cname(fk.name, 'fk', table, fk.columns)} FOREIGN KEY ({self._cols(fk.columns)}) "
               f"REFERENCES {self.qualify(fk.ref_schema, fk.ref_table)} ({self._cols(fk.ref_columns)})")
        if fk.match_full:
            sql += " MATCH FULL"
        if fk.on_delete != "NO ACTION":
            sql += f" ON DELETE {fk.on_delete}"
        if fk.on_update != "NO ACTION":
            sql += f" ON UPDATE {fk.on_update}"
        return sql + self._deferrable(fk.deferrable, fk.initially_deferred)

    # -- comments and serial sequences ---------------------------------------------------
    def _comment(self, what: str, target: str, comment: str | None) -> Statement:
        value = self.literal(comment) if comment is not None else "NULL"
        return Statement(f"COMMENT ON {what} {target} IS {value};")

    def _column_target(self, schema: str, table: str, column: str) -> str:
        return f"{self._table(schema, table)}.{self.quote(column)}"

    def _serial_sequence(self, schema: str, table: str, column: str) -> str:
        return self.qualify(schema, make_object_name(table, column, "seq"))

    # -- indexes -------------------------------------------------------------------------
    def index_element_sql(self, e: IndexElement) -> str:
        sql = f"({e.value})" if e.is_expression else self.quote(e.value)
        if e.collation:
            sql += self._collate(e.collation)
        if e.opclass:
            sql += f" {e.opclass}"
        if e.descending:
            sql += " DESC"
        if e.nulls_first is not None and e.nulls_first != e.descending:
            sql += " NULLS FIRST" if e.nulls_first else " NULLS LAST"
        return sql

    def index_sql(self, schema: str, table: str, ix: Index, *, concurrently: bool = False,
                  if_not_exists: bool = False, only: bool = False) -> str:
        """``only``: ``ON ONLY`` a partitioned table, leaving its partitions' indexes to be attached one by one."""
        unique = "UNIQUE " if ix.unique else ""
        conc = "CONCURRENTLY " if concurrently else ""
        conc += "IF NOT EXISTS " if if_not_exists else ""
        using = f" USING {ix.method}" if ix.method != "btree" else ""
        elements = ", ".join(self.index_element_sql(e) for e in ix.elements)
        sql = f"CREATE {unique}INDEX {conc}{self.quote(ix.name)} ON {'ONLY ' if only else ''}{self._table(schema, table)}{using} ({elements})"
        if ix.include:
            sql += f" INCLUDE ({self._cols(ix.include)})"
        if ix.nulls_not_distinct:
            sql += " NULLS NOT DISTINCT"
        if ix.where:
            sql += f" WHERE {ix.where}"
        return sql + ";"


def default_start(start: int | None, increment: int | None, minvalue: int | None, maxvalue: int | None) -> int:
    """The value a sequence or identity restarts from when its START WITH is left out."""
    if start is not None:
        return start
    if (increment or 1) > 0:
        return minvalue if minvalue is not None else 1
    return maxvalue if maxvalue is not None else -1

"""How MySQL and MariaDB run each kind of Change: the ``render_<kind>`` methods (``MySQLRender``).

Every statement is plain DDL both servers accept (MariaDB 10.5+, MySQL 8.0.19+).  Up and down sections come
from the same methods, given a Change and its inverse.  What the servers cannot do, or the model cannot
say for them (schemas other than the connected database, partial indexes, INCLUDE columns, deferrable
constraints, MATCH FULL, renaming a constraint), is refused by name (``UnsupportedConstruct``).

Things particular to these servers that the rendering accounts for:
- a column's whole definition is restated by ``MODIFY COLUMN`` (no ALTER of one attribute);
- an index key with a prefix length is kept as the expression ``\\`col\\`(n)`` and written as is;
- a foreign key's index: InnoDB creates one named after the constraint when no index covers its columns, and
  leaves it behind when the constraint is dropped; ``between`` gives the renderer the schemas a migration
  goes between, so a drop removes that index exactly where the table held it and an index drop gives a key
  that relied on it its own index back (``fk_index``; MySQL 8 has no ``DROP INDEX IF EXISTS``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from safeshift import changes as ch
from safeshift.dialects.base import Dialect, Statement
from safeshift.dialects.mysql import fk_index
from safeshift.errors import UnsupportedConstruct
from safeshift.model import Check, Column, ForeignKey, Index, IndexElement, Schema, Table, Unique

if TYPE_CHECKING:
    from safeshift.dialects.safe import SafeContext, SafeRender

#: the time a row is written, bare in DEFAULT (a source's CURRENT_TIMESTAMP too: in parentheses it would be an
#: expression default, which MySQL 8 takes only from 8.0.13 and not beside ON UPDATE)
_NOW = re.compile(r"(?:current_timestamp|now|localtimestamp|localtime)\s*(?:\(\s*\d*\s*\))?", re.IGNORECASE)
_LITERAL_DEFAULT = ("'", "-", "+", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ".")


class MySQLRender(Dialect):
    """Every Change MySQL/MariaDB renders, one ``render_<kind>`` method each (``Dialect.render`` dispatches)."""

    default_schema = ""
    #: the table of the foreign key being written (its default name is made from it)
    _fk_table = ""
    #: the schemas a migration goes between (``between``): what a foreign key's implicit index needs
    _before: Schema | None = None
    _after: Schema | None = None

    def between(self, before: Schema, after: Schema) -> MySQLRender:
        known = copy.copy(self)
        known._before, known._after = before, after
        return known

    def _fk_indexes_back(self, schema: str, table_name: str, dropped: str) -> str:
        """``, ADD INDEX fk (cols)`` for each foreign key that relied on index ``dropped`` (``fk_index``)."""
        table = self._after.table(schema, table_name) if self._after is not None else None
        if table is None:
            return ""
        before = self._before.table(schema, table_name) if self._before is not None else None
        out = ""
        for fk in fk_index.left_without_index(before, table, dropped):
            name = fk.name or self.default_constraint_name("fk", table_name, fk.columns) or ""
            out += f", ADD INDEX {self.quote(name)} ({self._columns(fk.columns)})"
        return out

    # -- identifiers ---------------------------------------------------------------------
    def quote(self, ident: str) -> str:
        return "`" + ident.replace("`", "``") + "`"

    def qualify(self, schema: str, name: str) -> str:
        """Tables are named bare: a migration runs in the database its URL names (one namespace)."""
        return self.quote(name)

    def literal(self, value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"

    def _columns(self, cols: Sequence[str]) -> str:
        return ", ".join(self.quote(c) for c in cols)

    def _alter(self, table: str, action: str) -> Statement:
        return Statement(f"ALTER TABLE {self.quote(table)} {action};")

    # -- pieces --------------------------------------------------------------------------
    def default_clause(self, default: str) -> str:
        value = default
        if not (value.startswith(_LITERAL_DEFAULT) or value == "NULL" or _NOW.fullmatch(value)):
            value = f"({value})"  # an expression default (MariaDB 10.2+, MySQL 8.0.13+)
        return f"DEFAULT {value}"

    def column_sql(self, c: Column) -> str:
        if c.identity is not None:
            raise UnsupportedConstruct(f"column {c.name}", "an identity column",
                                       "Use an AUTO_INCREMENT (autoincrement) integer column.")
        parts = [self.quote(c.name), c.type]
        if c.collation:
            parts.append(f"COLLATE {c.collation}")
        if c.generated is not None:
            parts.append(f"AS ({c.generated.expression}) {'STORED' if c.generated.stored else 'VIRTUAL'}")
        else:
            parts.append("NULL" if c.nullable else "NOT NULL")
            default = c.default_sql
            if default is not None:
                parts.append(self.default_clause(default))
            if c.on_update is not None:  # with or without a default (Column.on_update)
                parts.append(f"ON UPDATE {c.on_update}")
            if c.serial:
                parts.append("AUTO_INCREMENT")
        if c.comment:
            parts.append(f"COMMENT {self.literal(c.comment)}")
        return " ".join(parts)

    def foreign_key_sql(self, fk: ForeignKey) -> str:
        if fk.deferrable or fk.match_full:
            raise UnsupportedConstruct(f"foreign key {fk.name or fk.columns}", "DEFERRABLE or MATCH FULL",
                                       "MySQL and MariaDB check foreign keys at once and only MATCH SIMPLE.")
        name = fk.name or self.default_constraint_name("fk", self._fk_table, fk.columns)
        named = f"CONSTRAINT {self.quote(name)} " if name else ""
        out = (f"{named}FOREIGN KEY ({self._columns(fk.columns)}) REFERENCES {self.quote(fk.ref_table)} "
               f"({self._columns(fk.ref_columns)})")
        if fk.on_delete not in ("NO ACTION", "RESTRICT"):
            out += f" ON DELETE {fk.on_delete}"
        if fk.on_update not in ("NO ACTION", "RESTRICT"):
            out += f" ON UPDATE {fk.on_update}"
        return out

    def unique_sql(self, u: Unique) -> str:
        if u.deferrable or u.nulls_not_distinct:
            raise UnsupportedConstruct(f"unique constraint {u.name or u.columns}", "DEFERRABLE or NULLS NOT DISTINCT")
        named = f"{self.quote(u.name)} " if u.name else ""
        return f"UNIQUE KEY {named}({self._columns(u.columns)})"

    def check_sql(self, c: Check) -> str:
        named = f"CONSTRAINT {self.quote(c.name)} " if c.name else ""
        return f"{named}CHECK ({c.sql})"

    def element_sql(self, e: IndexElement) -> str:
        if e.opclass or e.collation or e.nulls_first is not None:
            raise UnsupportedConstruct(f"index key {e.value}", "an operator class, collation or NULLS FIRST/LAST")
        text = e.value if e.is_expression else self.quote(e.value)
        return text + (" DESC" if e.descending else "")

    def index_sql(self, table: str, ix: Index) -> str:
        if ix.where or ix.include or ix.nulls_not_distinct:
            raise UnsupportedConstruct(f"index {ix.name}", "a partial index, INCLUDE or NULLS NOT DISTINCT",
                                       "MySQL and MariaDB indexes cover whole tables and key columns only.")
        kind = {"btree": "", "fulltext": "FULLTEXT ", "spatial": "SPATIAL "}.get(ix.method)
        using = " USING HASH" if ix.method == "hash" else ""
        if kind is None and not using:
            raise UnsupportedConstruct(f"index {ix.name}", f"index method {ix.method}",
                                       "Use a b-tree, FULLTEXT or SPATIAL index.")
        unique = "UNIQUE " if ix.unique else ""
        keys = ", ".join(self.element_sql(e) for e in ix.elements)
        return f"CREATE {unique}{kind or ''}INDEX {self.quote(ix.name)} ON {self.quote(table)} ({keys}){using};"

    def table_sql(self, t: Table) -> str:
        """CREATE TABLE with its columns, keys, checks and foreign keys; indexes come as CreateIndex."""
        if t.partition_by or t.partition_of or t.exclusions or t.unlogged or t.row_security:
            raise UnsupportedConstruct(f"table {t.name}", "partitioning, exclusion constraints, UNLOGGED or RLS")
        lines = [self.column_sql(c) for c in t.columns]
        if t.primary_key is not None:
            lines.append(f"PRIMARY KEY ({self._columns(t.primary_key.columns)})")
        lines += [self.unique_sql(u) for u in t.uniques]
        lines += [self.check_sql(c) for c in t.checks]
        self._fk_table = t.name
        lines += [self.foreign_key_sql(fk) for fk in t.foreign_keys]
        options = "".join(f" {o.replace('=', ' = ', 1).upper()}" if "=" in o else f" {o}" for o in t.options)
        comment = f" COMMENT = {self.literal(t.comment)}" if t.comment else ""
        body = ",\n    ".join(lines)
        return f"CREATE TABLE {self.quote(t.name)} (\n    {body}\n){options}{comment};"

    # -- lock-safe forms: the online DDL clauses (dialects/mysql/safe.py) ---------------------
    def render_safe(self, change: ch.Change, ctx: SafeContext) -> SafeRender | None:
        from safeshift.dialects.mysql import safe

        return safe.render(self, change, ctx)

    # -- renderers -----------------------------------------------------------------------
    def render_create_table(self, change: ch.CreateTable) -> list[Statement]:
        return [Statement(self.table_sql(change.table))]

    def render_drop_table(self, change: ch.DropTable) -> list[Statement]:
        return [Statement(f"DROP TABLE {self.quote(change.table.name)};")]

    def render_rename_table(self, change: ch.RenameTable) -> list[Statement]:
        return [Statement(f"RENAME TABLE {self.quote(change.old)} TO {self.quote(change.new)};")]

    def render_set_table_storage(self, change: ch.SetTableStorage) -> list[Statement]:
        """The table's engine (``engine=`` in ``Table.options``); its collation is refused by name: ALTER TABLE
        ... COLLATE changes only the default for new columns, and CONVERT TO rewrites every text value."""
        old, new = dict(o.split("=", 1) for o in change.old[1]), dict(o.split("=", 1) for o in change.new[1])
        if old.get("collate") != new.get("collate"):
            raise UnsupportedConstruct(f"table {change.table}", "changing a table's collation or character set",
                                       "Run ALTER TABLE ... CONVERT TO CHARACTER SET ... COLLATE ... yourself (it "
                                       "rewrites every text value), then generate again.")
        return [self._alter(change.table, f"ENGINE = {new.get('engine', 'InnoDB')}")]

    def render_set_table_comment(self, change: ch.SetTableComment) -> list[Statement]:
        return [self._alter(change.table, f"COMMENT = {self.literal(change.new or '')}")]

    def render_add_column(self, change: ch.AddColumn) -> list[Statement]:
        return [self._alter(change.table, f"ADD COLUMN {self.column_sql(change.column)}")]

    def render_drop_column(self, change: ch.DropColumn) -> list[Statement]:
        return [self._alter(change.table, f"DROP COLUMN {self.quote(change.column.name)}")]

    def render_rename_column(self, change: ch.RenameColumn) -> list[Statement]:
        return [self._alter(change.table, f"RENAME COLUMN {self.quote(change.old)} TO {self.quote(change.new)}")]

    def render_alter_column(self, change: ch.AlterColumn) -> list[Statement]:
        """The whole new definition (``MODIFY COLUMN``): MySQL has no ALTER of one attribute but the default."""
        old, new = change.old, change.new
        if (old.generated is None) != (new.generated is None):
            raise UnsupportedConstruct(f"column {change.table}.{new.name}",
                                       "turning a column into a generated one or back",
                                       "Add a new column and drop the old one.")
        return [self._alter(change.table, f"MODIFY COLUMN {self.column_sql(new)}")]

    def render_create_index(self, change: ch.CreateIndex) -> list[Statement]:
        return [Statement(self.index_sql(change.table, change.index))]

    def render_drop_index(self, change: ch.DropIndex) -> list[Statement]:
        if restore := self._fk_indexes_back(change.schema, change.table, change.index.name):
            return [self._alter(change.table, f"DROP INDEX {self.quote(change.index.name)}{restore}")]
        return [Statement(f"DROP INDEX {self.quote(change.index.name)} ON {self.quote(change.table)};")]

    def render_rename_index(self, change: ch.RenameIndex) -> list[Statement]:
        return [self._alter(change.table, f"RENAME INDEX {self.quote(change.old)} TO {self.quote(change.new)}")]

    def render_add_primary_key(self, change: ch.AddPrimaryKey) -> list[Statement]:
        return [self._alter(change.table, f"ADD PRIMARY KEY ({self._columns(change.primary_key.columns)})")]

    def render_drop_primary_key(self, change: ch.DropPrimaryKey) -> list[Statement]:
        return [self._alter(change.table, "DROP PRIMARY KEY")]

    def render_add_unique(self, change: ch.AddUnique) -> list[Statement]:
        return [self._alter(change.table, f"ADD {self.unique_sql(change.unique)}")]

    def render_drop_unique(self, change: ch.DropUnique) -> list[Statement]:
        u = change.unique
        name = u.name or self.default_constraint_name("unique", change.table, u.columns) or ""
        return [self._alter(change.table, f"DROP INDEX {self.quote(name)}{self._fk_indexes_back(change.schema, change.table, name)}")]

    def render_add_check(self, change: ch.AddCheck) -> list[Statement]:
        return [self._alter(change.table, f"ADD {self.check_sql(change.check)}")]

    def render_drop_check(self, change: ch.DropCheck) -> list[Statement]:
        if change.check.name is None:
            raise UnsupportedConstruct(f"check ({change.check.expression}) on {change.table}", "dropping an unnamed CHECK",
                                       "The server named it (CONSTRAINT_n); name the constraint in the models.")
        return [self._alter(change.table, f"DROP CONSTRAINT {self.quote(change.check.name)}")]

    def render_add_foreign_key(self, change: ch.AddForeignKey) -> list[Statement]:
        self._fk_table = change.table
        return [self._alter(change.table, f"ADD {self.foreign_key_sql(change.foreign_key)}")]

    def render_drop_foreign_key(self, change: ch.DropForeignKey) -> list[Statement]:
        fk = change.foreign_key
        name = fk.name or self.default_constraint_name("fk", change.table, fk.columns) or ""
        drop = [self._alter(change.table, f"DROP FOREIGN KEY {self.quote(name)}")]
        table = self._before.table(change.schema, change.table) if self._before is not None else None
        if table is None:  # no schema to tell: MariaDB's conditional form (docs/mysql.md)
            return [*drop, self._alter(change.table, f"DROP INDEX IF EXISTS {self.quote(name)}")]
        index = fk_index.implicit_index_name(change.table, name, fk.columns)
        if fk_index.has_implicit_index(table, fk, index):
            return [*drop, self._alter(change.table, f"DROP INDEX {self.quote(index)}")]
        return drop

    def render_rename_constraint(self, change: ch.RenameConstraint) -> list[Statement]:
        raise UnsupportedConstruct(f"constraint {change.target}", "renaming a constraint",
                                   "MySQL and MariaDB cannot rename a CHECK or foreign key; drop and add it.")

"""SQLite's dialect (``SQLiteDialect``): what it can do, and the questions the rest of safeshift asks of it.

The class is assembled from its facets: ``render`` (the DDL, table rebuilds included) by inheritance,
``normalize`` (canonical spellings) and ``url`` (the database file) through the methods below.  What
SQLite's ALTER TABLE can do natively (``can_apply``) is decided here; the planner folds the rest into a
table rebuild.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from safeshift import changes as ch
from safeshift.dialects.base import Capabilities, ConstraintKind
from safeshift.dialects.sqlite.affinity import affinity, same_type, stored_default
from safeshift.dialects.sqlite.normalize import is_constant, normalize_sql_expression, normalize_type_text
from safeshift.dialects.sqlite.render import SQLiteRender
from safeshift.dialects.sqlite.url import url_path

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SADialect

    from safeshift.model import Column, IndexElement, Table


_ALWAYS = (ch.CreateTable, ch.DropTable, ch.RenameTable, ch.RenameColumn, ch.CreateIndex, ch.DropIndex,
           ch.CreateView, ch.DropView)


class SQLiteDialect(SQLiteRender):
    name = "sqlite"
    default_schema = "main"
    capabilities = Capabilities(
        transactional_ddl=True, concurrent_index=False, not_valid=False, advisory_lock=False,
        alter_column=False, alter_constraints=False, named_constraints=False, schemas=False,
        enums=False, sequences=False, comments=False, identity=False, rename_index=False, hazard_review=True,
    )
    max_identifier_length = 1_000_000
    serial_types: dict[str, str] = {}
    #: ``GENERATED ALWAYS AS (...)`` without STORED is VIRTUAL on SQLite
    generated_stored_default = False

    # -- normalisation -------------------------------------------------------------------
    def normalize_type(self, type_sql: str) -> str:
        return normalize_type_text(type_sql)

    def normalize_default(self, default_sql: str, column_type: str) -> str:
        return stored_default(normalize_sql_expression(default_sql), column_type)

    def normalize_expression(self, sql: str) -> str:
        return normalize_sql_expression(sql)

    def same_column(self, old_table: Table, old: Column, new_table: Table, new: Column) -> bool:
        """Equal but for declared types SQLite treats alike (see ``affinity``): ``VARCHAR(40)`` and ``TEXT``
        are one column to SQLite, so no rebuild; the model keeps each side's text."""
        return old == new or (same_type(old_table, old, new_table, new) and replace(old, type=new.type) == new)

    def index_keys(self, create_index_sql: str) -> tuple[IndexElement, ...]:
        from safeshift.dialects.sqlite.index_keys import index_keys

        return index_keys(create_index_sql)

    def default_constraint_name(self, kind: ConstraintKind, table: str, columns: Sequence[str]) -> str | None:
        return None

    def sqlalchemy_dialect(self) -> SADialect:
        from sqlalchemy.dialects import sqlite

        return sqlite.dialect()  # type: ignore[no-untyped-call]

    # -- running migrations ----------------------------------------------------------------
    #: take the database's write lock at BEGIN, so two runners serialise on it (no advisory locks)
    begin_sql = "BEGIN IMMEDIATE"

    def database_name(self, url: str) -> str:
        path = url_path(url)
        return Path(path).name if path != ":memory:" else path

    def data_loss(self, change: ch.Change) -> str | None:
        """A column whose type keeps its affinity loses nothing to the type (SQLite stores every value as
        before); an ``INTEGER`` on either side may be the rowid, so that one keeps its warning."""
        if isinstance(change, ch.AlterColumn) and change.old.type != change.new.type \
                and "INTEGER" not in (change.old.type, change.new.type) \
                and affinity(change.old.type) == affinity(change.new.type):
            return replace(change, new=replace(change.new, type=change.old.type)).data_loss
        return change.data_loss

    # -- what ALTER TABLE can do ---------------------------------------------------------
    def can_apply(self, change: ch.Change) -> bool:
        """Only what SQLite's ALTER TABLE does natively; the planner rebuilds the table for the rest.

        DropColumn always rebuilds: the change does not say whether the column is indexed,
        constrained or referenced (where DROP COLUMN fails), and SQLite's DROP COLUMN
        rewrites the whole table anyway, so a rebuild costs the same.
        """
        if isinstance(change, _ALWAYS):
            return True
        if isinstance(change, ch.AddColumn):
            c = change.column
            if c.serial or (c.generated is not None and c.generated.stored):
                return False
            if c.default is not None and not is_constant(c.default):
                return False
            return c.nullable or (c.default is not None and normalize_sql_expression(c.default) != "NULL")
        return False

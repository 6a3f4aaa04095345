"""Change operations: what the diff says must happen, independent of any SQL dialect.

Modelled on Alembic's operation objects: each change is a frozen value that knows its
inverse, so down sections are derived, never hand-maintained.  A change whose forward
direction destroys data says why in ``data_loss``; its inverse restores the structure
only, and the renderer says so in the down section.

Renderers dispatch on ``kind`` (``render_<kind>`` on the dialect), so adding a change
means adding a class here and a method in each dialect, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from safeshift.model import (
    Check,
    Column,
    Enum,
    ForeignKey,
    Index,
    PrimaryKey,
    Sequence,
    Table,
    Unique,
    View,
)


@dataclass(frozen=True)
class Change:
    kind: ClassVar[str] = "change"
    #: "create", "alter" or "drop": how the summary counts it
    verb: ClassVar[str] = "alter"

    def inverse(self) -> Change:
        raise NotImplementedError

    @property
    def data_loss(self) -> str | None:
        """One sentence when applying this change destroys data, else None."""
        return None

    @property
    def target(self) -> str:
        """Human name of the object changed, e.g. ``public.users.email``."""
        raise NotImplementedError


# -- namespaces ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CreateSchema(Change):
    kind = "create_schema"
    verb = "create"
    name: str

    def inverse(self) -> Change:
        return DropSchema(self.name)

    @property
    def target(self) -> str:
        return self.name


@dataclass(frozen=True)
class DropSchema(Change):
    kind = "drop_schema"
    verb = "drop"
    name: str

    def inverse(self) -> Change:
        return CreateSchema(self.name)

    @property
    def target(self) -> str:
        return self.name


# -- enums and sequences -----------------------------------------------------------------

@dataclass(frozen=True)
class CreateEnum(Change):
    kind = "create_enum"
    verb = "create"
    enum: Enum

    def inverse(self) -> Change:
        return DropEnum(self.enum)

    @property
    def target(self) -> str:
        return f"{self.enum.schema}.{self.enum.name}"


@dataclass(frozen=True)
class DropEnum(Change):
    kind = "drop_enum"
    verb = "drop"
    enum: Enum

    def inverse(self) -> Change:
        return CreateEnum(self.enum)

    @property
    def target(self) -> str:
        return f"{self.enum.schema}.{self.enum.name}"


@dataclass(frozen=True)
class AlterEnum(Change):
    """Values added, removed or reordered; the dialect picks ADD VALUE or a type swap."""

    kind = "alter_enum"
    old: Enum
    new: Enum

    def inverse(self) -> Change:
        return AlterEnum(self.new, self.old)

    @property
    def removed_values(self) -> tuple[str, ...]:
        return tuple(v for v in self.old.values if v not in self.new.values)

    @property
    def data_loss(self) -> str | None:
        gone = self.removed_values
        if gone:
            return f"rows holding enum value(s) {', '.join(gone)} of {self.target} fail or lose that value"
        return None

    @property
    def target(self) -> str:
        return f"{self.new.schema}.{self.new.name}"


@dataclass(frozen=True)
class CreateSequence(Change):
    kind = "create_sequence"
    verb = "create"
    sequence: Sequence

    def inverse(self) -> Change:
        return DropSequence(self.sequence)

    @property
    def target(self) -> str:
        return f"{self.sequence.schema}.{self.sequence.name}"


@dataclass(frozen=True)
class DropSequence(Change):
    kind = "drop_sequence"
    verb = "drop"
    sequence: Sequence

    def inverse(self) -> Change:
        return CreateSequence(self.sequence)

    @property
    def data_loss(self) -> str | None:
        return f"sequence {self.target} loses its current value"

    @property
    def target(self) -> str:
        return f"{self.sequence.schema}.{self.sequence.name}"


@dataclass(frozen=True)
class AlterSequence(Change):
    kind = "alter_sequence"
    old: Sequence
    new: Sequence

    def inverse(self) -> Change:
        return AlterSequence(self.new, self.old)

    @property
    def target(self) -> str:
        return f"{self.new.schema}.{self.new.name}"


# -- tables ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CreateTable(Change):
    """A new table with everything it carries; the planner splits out indexes and FKs."""

    kind = "create_table"
    verb = "create"
    table: Table

    def inverse(self) -> Change:
        return DropTable(self.table)

    @property
    def target(self) -> str:
        return self.table.qualname


@dataclass(frozen=True)
class DropTable(Change):
    kind = "drop_table"
    verb = "drop"
    table: Table

    def inverse(self) -> Change:
        return CreateTable(self.table)

    @property
    def data_loss(self) -> str | None:
        return f"table {self.target} and all its rows are deleted"

    @property
    def target(self) -> str:
        return self.table.qualname


@dataclass(frozen=True)
class RenameTable(Change):
    kind = "rename_table"
    schema: str
    old: str
    new: str

    def inverse(self) -> Change:
        return RenameTable(self.schema, self.new, self.old)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.old} -> {self.new}"


@dataclass(frozen=True)
class SetTableComment(Change):
    kind = "set_table_comment"
    schema: str
    table: str
    old: str | None
    new: str | None

    def inverse(self) -> Change:
        return SetTableComment(self.schema, self.table, self.new, self.old)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}"


@dataclass(frozen=True)
class RebuildTable(Change):
    """Recreate a table and copy its rows: how dialects without rich ALTER TABLE change one.

    ``column_map`` pairs each new column with the old column its data comes from
    (None for a new column).  Produced by the planner, never by the diff.
    """

    kind = "rebuild_table"
    old: Table
    new: Table
    column_map: tuple[tuple[str, str | None], ...]
    #: new NOT NULL columns without a default whose rows get a placeholder (see AddColumn.backfill)
    backfill: tuple[str, ...] = ()

    def inverse(self) -> Change:
        back = {src: dst for dst, src in self.column_map if src is not None}
        cmap = tuple((c.name, back.get(c.name)) for c in self.old.columns)
        return RebuildTable(self.new, self.old, cmap)

    @property
    def data_loss(self) -> str | None:
        kept = {src for _, src in self.column_map if src}
        lost = [c.name for c in self.old.columns if c.name not in kept]
        if lost:
            return f"column(s) {', '.join(lost)} of {self.old.qualname} are dropped with their data"
        return None

    @property
    def target(self) -> str:
        return self.new.qualname


# -- columns -----------------------------------------------------------------------------

@dataclass(frozen=True)
class AddColumn(Change):
    """Add a column.  ``backfill``: existing rows get a placeholder value so a NOT NULL
    column without a default can be re-created (only the down section of a dropped column
    sets it; the placeholder stands where the lost data was, and the file says so)."""

    kind = "add_column"
    verb = "create"
    schema: str
    table: str
    column: Column
    backfill: bool = False

    def inverse(self) -> Change:
        return DropColumn(self.schema, self.table, self.column)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.column.name}"


@dataclass(frozen=True)
class DropColumn(Change):
    kind = "drop_column"
    verb = "drop"
    schema: str
    table: str
    column: Column

    def inverse(self) -> Change:
        return AddColumn(self.schema, self.table, self.column)

    @property
    def data_loss(self) -> str | None:
        return f"column {self.target} and its data are deleted"

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.column.name}"


@dataclass(frozen=True)
class RenameColumn(Change):
    kind = "rename_column"
    schema: str
    table: str
    old: str
    new: str
    #: whether the column may own a serial sequence (renamed along with it); False for other columns
    serial: bool = field(default=True, compare=False)

    def inverse(self) -> Change:
        return RenameColumn(self.schema, self.table, self.new, self.old, self.serial)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.old} -> {self.new}"


@dataclass(frozen=True)
class AlterColumn(Change):
    """Any in-place change to one column; the renderer emits only the aspects that differ."""

    kind = "alter_column"
    schema: str
    table: str
    old: Column
    new: Column

    def inverse(self) -> AlterColumn:
        return AlterColumn(self.schema, self.table, self.new, self.old)

    @property
    def type_changed(self) -> bool:
        return self.old.type != self.new.type or self.old.collation != self.new.collation

    @property
    def data_loss(self) -> str | None:
        if self.old.type != self.new.type:
            return (f"column {self.target} changes type from {self.old.type} to {self.new.type}; "
                    "values that do not fit fail or are changed")
        if self.old.generated is None and self.new.generated is not None:
            return f"column {self.target} becomes generated; its stored values are replaced"
        return None

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.new.name}"


# -- constraints and indexes -------------------------------------------------------------

@dataclass(frozen=True)
class AddPrimaryKey(Change):
    kind = "add_primary_key"
    verb = "create"
    schema: str
    table: str
    primary_key: PrimaryKey

    def inverse(self) -> Change:
        return DropPrimaryKey(self.schema, self.table, self.primary_key)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.primary_key.name or 'primary key'}"


@dataclass(frozen=True)
class DropPrimaryKey(Change):
    kind = "drop_primary_key"
    verb = "drop"
    schema: str
    table: str
    primary_key: PrimaryKey

    def inverse(self) -> Change:
        return AddPrimaryKey(self.schema, self.table, self.primary_key)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.primary_key.name or 'primary key'}"


@dataclass(frozen=True)
class AddUnique(Change):
    kind = "add_unique"
    verb = "create"
    schema: str
    table: str
    unique: Unique

    def inverse(self) -> Change:
        return DropUnique(self.schema, self.table, self.unique)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.unique.name or '(' + ', '.join(self.unique.columns) + ')'}"


@dataclass(frozen=True)
class DropUnique(Change):
    kind = "drop_unique"
    verb = "drop"
    schema: str
    table: str
    unique: Unique

    def inverse(self) -> Change:
        return AddUnique(self.schema, self.table, self.unique)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.unique.name or '(' + ', '.join(self.unique.columns) + ')'}"


@dataclass(frozen=True)
class AddCheck(Change):
    kind = "add_check"
    verb = "create"
    schema: str
    table: str
    check: Check

    def inverse(self) -> Change:
        return DropCheck(self.schema, self.table, self.check)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.check.name or 'check'}"


@dataclass(frozen=True)
class DropCheck(Change):
    kind = "drop_check"
    verb = "drop"
    schema: str
    table: str
    check: Check

    def inverse(self) -> Change:
        return AddCheck(self.schema, self.table, self.check)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.check.name or 'check'}"


@dataclass(frozen=True)
class AddForeignKey(Change):
    kind = "add_foreign_key"
    verb = "create"
    schema: str
    table: str
    foreign_key: ForeignKey

    def inverse(self) -> Change:
        return DropForeignKey(self.schema, self.table, self.foreign_key)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.foreign_key.name or 'foreign key'}"


@dataclass(frozen=True)
class DropForeignKey(Change):
    kind = "drop_foreign_key"
    verb = "drop"
    schema: str
    table: str
    foreign_key: ForeignKey

    def inverse(self) -> Change:
        return AddForeignKey(self.schema, self.table, self.foreign_key)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.foreign_key.name or 'foreign key'}"


@dataclass(frozen=True)
class RenameConstraint(Change):
    kind = "rename_constraint"
    schema: str
    table: str
    old: str
    new: str

    def inverse(self) -> Change:
        return RenameConstraint(self.schema, self.table, self.new, self.old)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.old} -> {self.new}"


@dataclass(frozen=True)
class CreateIndex(Change):
    kind = "create_index"
    verb = "create"
    schema: str
    table: str
    index: Index

    def inverse(self) -> Change:
        return DropIndex(self.schema, self.table, self.index)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.index.name}"


@dataclass(frozen=True)
class DropIndex(Change):
    kind = "drop_index"
    verb = "drop"
    schema: str
    table: str
    index: Index

    def inverse(self) -> Change:
        return CreateIndex(self.schema, self.table, self.index)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.index.name}"


@dataclass(frozen=True)
class RenameIndex(Change):
    kind = "rename_index"
    schema: str
    table: str
    old: str
    new: str

    def inverse(self) -> Change:
        return RenameIndex(self.schema, self.table, self.new, self.old)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.old} -> {self.new}"


# -- views -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CreateView(Change):
    kind = "create_view"
    verb = "create"
    view: View

    def inverse(self) -> Change:
        return DropView(self.view)

    @property
    def target(self) -> str:
        return f"{self.view.schema}.{self.view.name}"


@dataclass(frozen=True)
class DropView(Change):
    kind = "drop_view"
    verb = "drop"
    view: View

    def inverse(self) -> Change:
        return CreateView(self.view)

    @property
    def data_loss(self) -> str | None:
        if self.view.materialized:
            return f"materialized view {self.target} must be refreshed after it is recreated"
        return None

    @property
    def target(self) -> str:
        return f"{self.view.schema}.{self.view.name}"


def strip_table(table: Table) -> Table:
    """The table as CREATE TABLE makes it before its indexes and foreign keys are added."""
    return replace(table, indexes=(), foreign_keys=())


def invert(changes: list[Change]) -> list[Change]:
    """The changes that undo ``changes``, in the reverse order."""
    return [c.inverse() for c in reversed(changes)]

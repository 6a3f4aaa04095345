"""Changes to whole tables and to their columns: create, drop, rename, rebuild, comment, add/drop/alter column."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from safeshift.changes.base import Change
from safeshift.model import (
    Column,
    PartitionOf,
    Sequence,
    Table,
)

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
        of = self.table.partition_of
        if of is not None:
            return f"partition {self.target} and all its rows are deleted (they are gone from {of.qualname} too)"
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


@dataclass(frozen=True)
class ReleaseSequence(Change):
    """A serial column's own sequence becomes the free-standing ``sequence`` its new default names: released
    from the column (``OWNED BY NONE``), renamed and given ``sequence``'s options where they differ.  The
    same sequence, so it keeps its current value: dropping it and creating the new one would start again
    at 1 and hand out keys the table already holds (and collide on the name when it is the same)."""

    kind = "release_sequence"
    schema: str
    table: str
    old: Column
    new: Column
    sequence: Sequence

    def inverse(self) -> AdoptSequence:
        return AdoptSequence(self.schema, self.table, self.new, self.old, self.sequence)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.new.name}"


@dataclass(frozen=True)
class AdoptSequence(Change):
    """The free-standing ``sequence`` a column's default reads becomes the column's own as it turns serial:
    given the serial's name and options, owned by the column, which then reads it; its value is kept."""

    kind = "adopt_sequence"
    schema: str
    table: str
    old: Column
    new: Column
    sequence: Sequence

    def inverse(self) -> ReleaseSequence:
        return ReleaseSequence(self.schema, self.table, self.new, self.old, self.sequence)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.new.name}"


def strip_table(table: Table) -> Table:
    """The table as CREATE TABLE makes it before its indexes and foreign keys are added."""
    return replace(table, indexes=(), foreign_keys=())


@dataclass(frozen=True)
class SetTableStorage(Change):
    """``ALTER TABLE ... SET LOGGED|UNLOGGED`` and ``SET (...)``/``RESET (...)`` of storage parameters.

    Switching between logged and unlogged rewrites the whole table under an ACCESS EXCLUSIVE lock
    (review says so); storage parameters change the catalog only."""

    kind = "set_table_storage"
    schema: str
    table: str
    #: (unlogged, storage parameters) before and after
    old: tuple[bool, tuple[str, ...]]
    new: tuple[bool, tuple[str, ...]]

    def inverse(self) -> Change:
        return SetTableStorage(self.schema, self.table, self.new, self.old)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}"


# -- partitions --------------------------------------------------------------------------

@dataclass(frozen=True)
class AttachPartition(Change):
    """``ALTER TABLE parent ATTACH PARTITION table bound``: the table's rows become the parent's.

    PostgreSQL scans the table (and a DEFAULT partition of the parent) to prove every row fits the bound;
    a row that does not makes the statement fail, nothing is moved or lost.  A table created together with
    its parent is a CreateTable with ``partition_of`` instead; this change re-attaches an existing one
    (with a new bound, the second half of a bound change)."""

    kind = "attach_partition"
    schema: str
    table: str
    partition_of: PartitionOf

    def inverse(self) -> Change:
        return DetachPartition(self.schema, self.table, self.partition_of)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}"


@dataclass(frozen=True)
class DetachPartition(Change):
    """``ALTER TABLE parent DETACH PARTITION table``: the table stays, with its rows, as a table of its own;
    queries on the parent stop seeing those rows.  The first half of a bound change."""

    kind = "detach_partition"
    schema: str
    table: str
    partition_of: PartitionOf

    def inverse(self) -> Change:
        return AttachPartition(self.schema, self.table, self.partition_of)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}"

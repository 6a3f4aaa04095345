"""Changes to a table's keys, constraints and indexes (each with its inverse; renames stay cheap renames)."""

from __future__ import annotations

from dataclasses import dataclass

from safeshift.changes.base import Change
from safeshift.model import (
    Check,
    Exclusion,
    ForeignKey,
    Index,
    PrimaryKey,
    Unique,
)

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


@dataclass(frozen=True)
class AddExclusion(Change):
    kind = "add_exclusion"
    verb = "create"
    schema: str
    table: str
    exclusion: Exclusion

    def inverse(self) -> Change:
        return DropExclusion(self.schema, self.table, self.exclusion)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.exclusion.name}"


@dataclass(frozen=True)
class DropExclusion(Change):
    kind = "drop_exclusion"
    verb = "drop"
    schema: str
    table: str
    exclusion: Exclusion

    def inverse(self) -> Change:
        return AddExclusion(self.schema, self.table, self.exclusion)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}.{self.exclusion.name}"

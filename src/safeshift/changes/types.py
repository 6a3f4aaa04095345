"""Changes to namespaces and to the types and sequences tables use (schemas, enums, sequences)."""

from __future__ import annotations

from dataclasses import dataclass

from safeshift.changes.base import Change
from safeshift.model import (
    Enum,
    Sequence,
)

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

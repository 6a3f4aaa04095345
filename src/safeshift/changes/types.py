"""Changes to namespaces and to the types and sequences tables use (schemas, enums, sequences, domains,
stand-alone composite types, collations)."""

from __future__ import annotations

from dataclasses import dataclass

from safeshift.changes.base import Change
from safeshift.model import (
    Check,
    Collation,
    CompositeType,
    Domain,
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
class RenameEnum(Change):
    """An enum renamed in place (its columns follow it); made from a migration's SQL, never by the diff,
    which cannot tell a renamed enum from a new one."""

    kind = "rename_enum"
    schema: str
    old: str
    new: str

    def inverse(self) -> Change:
        return RenameEnum(self.schema, self.new, self.old)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.old} -> {self.new}"


@dataclass(frozen=True)
class RenameEnumValue(Change):
    """One enum label renamed in place (rows holding it follow); made from a migration's SQL, as RenameEnum."""

    kind = "rename_enum_value"
    schema: str
    enum: str
    old: str
    new: str

    def inverse(self) -> Change:
        return RenameEnumValue(self.schema, self.enum, self.new, self.old)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.enum}: {self.old} -> {self.new}"


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


# -- domains -------------------------------------------------------------------------------

def _qualified(schema: str, name: str) -> str:
    return f"{schema}.{name}"


@dataclass(frozen=True)
class CreateDomain(Change):
    """The domain with its default, NOT NULL and collation; the plan adds its checks as AddDomainCheck steps
    after the functions (a check may call one, and a function may take the domain as an argument)."""

    kind = "create_domain"
    verb = "create"
    domain: Domain

    def inverse(self) -> Change:
        return DropDomain(self.domain)

    @property
    def target(self) -> str:
        return _qualified(self.domain.schema, self.domain.name)


@dataclass(frozen=True)
class DropDomain(Change):
    kind = "drop_domain"
    verb = "drop"
    domain: Domain

    def inverse(self) -> Change:
        return CreateDomain(self.domain)

    @property
    def target(self) -> str:
        return _qualified(self.domain.schema, self.domain.name)


@dataclass(frozen=True)
class AlterDomain(Change):
    """The default or NOT NULL changes (ALTER DOMAIN SET/DROP DEFAULT, SET/DROP NOT NULL); checks are
    AddDomainCheck / DropDomainCheck, and the base type or collation has no ALTER."""

    kind = "alter_domain"
    old: Domain
    new: Domain

    def inverse(self) -> Change:
        return AlterDomain(self.new, self.old)

    @property
    def target(self) -> str:
        return _qualified(self.new.schema, self.new.name)


@dataclass(frozen=True)
class RecreateDomain(Change):
    """A new base type or collation: PostgreSQL has no ALTER for either, so the domain is dropped and
    created again (the diff allows it only while nothing uses the domain)."""

    kind = "recreate_domain"
    old: Domain
    new: Domain

    def inverse(self) -> Change:
        return RecreateDomain(self.new, self.old)

    @property
    def target(self) -> str:
        return _qualified(self.new.schema, self.new.name)


@dataclass(frozen=True)
class AddDomainCheck(Change):
    kind = "add_domain_check"
    verb = "create"
    schema: str
    domain: str
    check: Check

    def inverse(self) -> Change:
        return DropDomainCheck(self.schema, self.domain, self.check)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.domain}.{self.check.name}"


@dataclass(frozen=True)
class DropDomainCheck(Change):
    kind = "drop_domain_check"
    verb = "drop"
    schema: str
    domain: str
    check: Check

    def inverse(self) -> Change:
        return AddDomainCheck(self.schema, self.domain, self.check)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.domain}.{self.check.name}"


# -- stand-alone composite types ---------------------------------------------------------------

@dataclass(frozen=True)
class CreateCompositeType(Change):
    kind = "create_composite_type"
    verb = "create"
    type: CompositeType

    def inverse(self) -> Change:
        return DropCompositeType(self.type)

    @property
    def target(self) -> str:
        return _qualified(self.type.schema, self.type.name)


@dataclass(frozen=True)
class DropCompositeType(Change):
    kind = "drop_composite_type"
    verb = "drop"
    type: CompositeType

    def inverse(self) -> Change:
        return CreateCompositeType(self.type)

    @property
    def data_loss(self) -> str | None:
        return None  # PostgreSQL refuses to drop a type a column uses: no stored value is lost

    @property
    def target(self) -> str:
        return _qualified(self.type.schema, self.type.name)


@dataclass(frozen=True)
class AlterCompositeType(Change):
    """Attributes added (at the end), dropped or given another type, in place (ALTER TYPE ... ATTRIBUTE);
    the diff uses it only when that reaches the new attribute order."""

    kind = "alter_composite_type"
    old: CompositeType
    new: CompositeType

    def inverse(self) -> Change:
        return AlterCompositeType(self.new, self.old)

    @property
    def dropped_attributes(self) -> tuple[str, ...]:
        kept = {a.name for a in self.new.attributes}
        return tuple(a.name for a in self.old.attributes if a.name not in kept)

    @property
    def data_loss(self) -> str | None:
        gone = self.dropped_attributes
        if gone:
            return (f"attribute(s) {', '.join(gone)} of {self.target} are dropped, with their values in every "
                    "column of that type")
        return None

    @property
    def target(self) -> str:
        return _qualified(self.new.schema, self.new.name)


@dataclass(frozen=True)
class RecreateCompositeType(Change):
    """Attributes reordered or inserted before others: dropped and created again (only while unused)."""

    kind = "recreate_composite_type"
    old: CompositeType
    new: CompositeType

    def inverse(self) -> Change:
        return RecreateCompositeType(self.new, self.old)

    @property
    def target(self) -> str:
        return _qualified(self.new.schema, self.new.name)


# -- collations ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CreateCollation(Change):
    kind = "create_collation"
    verb = "create"
    collation: Collation

    def inverse(self) -> Change:
        return DropCollation(self.collation)

    @property
    def target(self) -> str:
        return _qualified(self.collation.schema, self.collation.name)


@dataclass(frozen=True)
class DropCollation(Change):
    kind = "drop_collation"
    verb = "drop"
    collation: Collation

    def inverse(self) -> Change:
        return CreateCollation(self.collation)

    @property
    def target(self) -> str:
        return _qualified(self.collation.schema, self.collation.name)


@dataclass(frozen=True)
class RecreateCollation(Change):
    """Another provider, locale or determinism: no ALTER exists, so dropped and created again (only while
    nothing uses the collation)."""

    kind = "recreate_collation"
    old: Collation
    new: Collation

    def inverse(self) -> Change:
        return RecreateCollation(self.new, self.old)

    @property
    def target(self) -> str:
        return _qualified(self.new.schema, self.new.name)

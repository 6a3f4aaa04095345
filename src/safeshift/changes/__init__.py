"""Change operations: what the diff says must happen, independent of any SQL dialect.

Modelled on Alembic's operation objects: each change is a frozen value that knows its
inverse, so down sections are derived, never hand-maintained.  A change whose forward
direction destroys data says why in ``data_loss``; its inverse restores the structure
only, and the renderer says so in the down section.

Renderers dispatch on ``kind`` (``render_<kind>`` on the dialect), so adding a change
means adding a class in the module of its object kind (re-exported here) and a method in each dialect, nothing else.
"""

from __future__ import annotations

from safeshift.changes.base import (
    Change,
)
from safeshift.changes.constraints import (
    AddCheck,
    AddExclusion,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    CreateIndex,
    DropCheck,
    DropExclusion,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropUnique,
    RenameConstraint,
    RenameIndex,
)
from safeshift.changes.routines import (
    CreateExtension,
    CreateFunction,
    CreateTrigger,
    DropExtension,
    DropFunction,
    DropTrigger,
    MoveExtension,
    RecreateFunction,
    ReplaceFunction,
    SetTriggerState,
)
from safeshift.changes.security import (
    AlterPolicy,
    CreatePolicy,
    DropPolicy,
    GrantPrivilege,
    RevokePrivilege,
    SetRowSecurity,
)
from safeshift.changes.tables import (
    AddColumn,
    AdoptSequence,
    AlterColumn,
    AttachPartition,
    CreateTable,
    DetachPartition,
    DropColumn,
    DropTable,
    RebuildTable,
    ReleaseSequence,
    RenameColumn,
    RenameTable,
    SetTableComment,
    SetTableStorage,
    strip_table,
)
from safeshift.changes.types import (
    AddDomainCheck,
    AlterCompositeType,
    AlterDomain,
    AlterEnum,
    AlterSequence,
    CreateCollation,
    CreateCompositeType,
    CreateDomain,
    CreateEnum,
    CreateSchema,
    CreateSequence,
    DropCollation,
    DropCompositeType,
    DropDomain,
    DropDomainCheck,
    DropEnum,
    DropSchema,
    DropSequence,
    RecreateCollation,
    RecreateCompositeType,
    RecreateDomain,
)
from safeshift.changes.views import (
    CreateView,
    DropView,
    ReplaceView,
)

__all__ = [
    "AddCheck",
    "AddColumn",
    "AddDomainCheck",
    "AddExclusion",
    "AddForeignKey",
    "AddPrimaryKey",
    "AddUnique",
    "AdoptSequence",
    "AlterColumn",
    "AlterCompositeType",
    "AlterDomain",
    "AlterEnum",
    "AlterPolicy",
    "AlterSequence",
    "AttachPartition",
    "Change",
    "CreateCollation",
    "CreateCompositeType",
    "CreateDomain",
    "CreateEnum",
    "CreateExtension",
    "CreateFunction",
    "CreateIndex",
    "CreatePolicy",
    "CreateSchema",
    "CreateSequence",
    "CreateTable",
    "CreateTrigger",
    "CreateView",
    "DetachPartition",
    "DropCheck",
    "DropCollation",
    "DropColumn",
    "DropCompositeType",
    "DropDomain",
    "DropDomainCheck",
    "DropEnum",
    "DropExclusion",
    "DropExtension",
    "DropForeignKey",
    "DropFunction",
    "DropIndex",
    "DropPolicy",
    "DropPrimaryKey",
    "DropSchema",
    "DropSequence",
    "DropTable",
    "DropTrigger",
    "DropUnique",
    "DropView",
    "GrantPrivilege",
    "MoveExtension",
    "RebuildTable",
    "RecreateCollation",
    "RecreateCompositeType",
    "RecreateDomain",
    "RecreateFunction",
    "ReleaseSequence",
    "RenameColumn",
    "RenameConstraint",
    "RenameIndex",
    "RenameTable",
    "ReplaceFunction",
    "ReplaceView",
    "RevokePrivilege",
    "SetRowSecurity",
    "SetTableComment",
    "SetTableStorage",
    "SetTriggerState",
    "invert",
    "strip_table",
]


def invert(changes: list[Change]) -> list[Change]:
    """The changes that undo ``changes``, in the reverse order."""
    return [c.inverse() for c in reversed(changes)]

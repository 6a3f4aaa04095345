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
    SetRowSecurity,
)
from safeshift.changes.tables import (
    AddColumn,
    AlterColumn,
    CreateTable,
    DropColumn,
    DropTable,
    RebuildTable,
    RenameColumn,
    RenameTable,
    SetTableComment,
    SetTableStorage,
    strip_table,
)
from safeshift.changes.types import (
    AlterEnum,
    AlterSequence,
    CreateEnum,
    CreateSchema,
    CreateSequence,
    DropEnum,
    DropSchema,
    DropSequence,
)
from safeshift.changes.views import (
    CreateView,
    DropView,
)

__all__ = [
    "AddCheck",
    "AddColumn",
    "AddExclusion",
    "AddForeignKey",
    "AddPrimaryKey",
    "AddUnique",
    "AlterColumn",
    "AlterEnum",
    "AlterPolicy",
    "AlterSequence",
    "Change",
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
    "DropCheck",
    "DropColumn",
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
    "MoveExtension",
    "RebuildTable",
    "RecreateFunction",
    "RenameColumn",
    "RenameConstraint",
    "RenameIndex",
    "RenameTable",
    "ReplaceFunction",
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

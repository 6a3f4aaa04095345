"""Changes to extensions, functions and procedures, and triggers: the code a schema holds.

None of them holds data, so none loses any; dropping one can still break the application that
calls it, which review reports.  A function whose signature and result type stay the same is
replaced in place (``CREATE OR REPLACE`` keeps its grants and the triggers and views that use
it); anything else is a drop and a create.
"""

from __future__ import annotations

from dataclasses import dataclass

from safeshift.changes.base import Change
from safeshift.model import Extension, Function, Trigger


@dataclass(frozen=True)
class CreateExtension(Change):
    kind = "create_extension"
    verb = "create"
    extension: Extension

    def inverse(self) -> Change:
        return DropExtension(self.extension)

    @property
    def target(self) -> str:
        return self.extension.name


@dataclass(frozen=True)
class DropExtension(Change):
    kind = "drop_extension"
    verb = "drop"
    extension: Extension

    def inverse(self) -> Change:
        return CreateExtension(self.extension)

    @property
    def target(self) -> str:
        return self.extension.name


@dataclass(frozen=True)
class CreateFunction(Change):
    kind = "create_function"
    verb = "create"
    function: Function

    def inverse(self) -> Change:
        return DropFunction(self.function)

    @property
    def target(self) -> str:
        return f"{self.function.schema}.{self.function.signature}"


@dataclass(frozen=True)
class DropFunction(Change):
    kind = "drop_function"
    verb = "drop"
    function: Function

    def inverse(self) -> Change:
        return CreateFunction(self.function)

    @property
    def target(self) -> str:
        return f"{self.function.schema}.{self.function.signature}"


@dataclass(frozen=True)
class ReplaceFunction(Change):
    """The same signature and result type with another body or other options: ``CREATE OR REPLACE``."""

    kind = "replace_function"
    old: Function
    new: Function

    def inverse(self) -> Change:
        return ReplaceFunction(self.new, self.old)

    @property
    def target(self) -> str:
        return f"{self.new.schema}.{self.new.signature}"


@dataclass(frozen=True)
class RecreateFunction(Change):
    """The same signature with another result type or kind: ``DROP`` then ``CREATE``, in one place (the two
    cannot be apart: a create before the drop collides with the old function)."""

    kind = "recreate_function"
    old: Function
    new: Function

    def inverse(self) -> Change:
        return RecreateFunction(self.new, self.old)

    @property
    def target(self) -> str:
        return f"{self.new.schema}.{self.new.signature}"


@dataclass(frozen=True)
class MoveExtension(Change):
    """``ALTER EXTENSION ... SET SCHEMA``: its objects move with it."""

    kind = "move_extension"
    old: Extension
    new: Extension

    def inverse(self) -> Change:
        return MoveExtension(self.new, self.old)

    @property
    def target(self) -> str:
        return self.new.name


@dataclass(frozen=True)
class CreateTrigger(Change):
    kind = "create_trigger"
    verb = "create"
    trigger: Trigger

    def inverse(self) -> Change:
        return DropTrigger(self.trigger)

    @property
    def target(self) -> str:
        return f"{self.trigger.name} on {self.trigger.schema}.{self.trigger.table}"


@dataclass(frozen=True)
class DropTrigger(Change):
    kind = "drop_trigger"
    verb = "drop"
    trigger: Trigger

    def inverse(self) -> Change:
        return CreateTrigger(self.trigger)

    @property
    def target(self) -> str:
        return f"{self.trigger.name} on {self.trigger.schema}.{self.trigger.table}"


@dataclass(frozen=True)
class SetTriggerState(Change):
    """``ALTER TABLE ... ENABLE|DISABLE TRIGGER``: the same trigger, firing or not."""

    kind = "set_trigger_state"
    old: Trigger
    new: Trigger

    def inverse(self) -> Change:
        return SetTriggerState(self.new, self.old)

    @property
    def target(self) -> str:
        return f"{self.new.name} on {self.new.schema}.{self.new.table}"

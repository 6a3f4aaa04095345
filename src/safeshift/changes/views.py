"""Changes to views and materialized views (a view is replaced by drop + create; its data is its query)."""

from __future__ import annotations

from dataclasses import dataclass

from safeshift.changes.base import Change
from safeshift.model import (
    View,
)

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


@dataclass(frozen=True)
class ReplaceView(Change):
    """``CREATE OR REPLACE VIEW`` (and its comment): a plain view whose query or comment changes while its
    output columns stay exactly the same.  Unlike drop + create it keeps the view's triggers and grants
    and leaves the views that read it alone; the diff chooses it only when the columns on both sides are
    known and equal, so the inverse is a replace too."""

    kind = "replace_view"
    verb = "alter"
    old: View
    new: View

    def inverse(self) -> Change:
        return ReplaceView(self.new, self.old)

    @property
    def target(self) -> str:
        return f"{self.new.schema}.{self.new.name}"

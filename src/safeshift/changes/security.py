"""Changes to row-level security: a table's ENABLE/FORCE switches and its policies.

They hold no data, but each one changes who can read or write which rows, so review reports
every one of them; the inverse of each is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

from safeshift.changes.base import Change
from safeshift.model import Policy


@dataclass(frozen=True)
class SetRowSecurity(Change):
    """``ALTER TABLE ... ENABLE|DISABLE|FORCE|NO FORCE ROW LEVEL SECURITY``."""

    kind = "set_row_security"
    schema: str
    table: str
    #: (enabled, forced) before and after
    old: tuple[bool, bool]
    new: tuple[bool, bool]

    def inverse(self) -> Change:
        return SetRowSecurity(self.schema, self.table, self.new, self.old)

    @property
    def target(self) -> str:
        return f"{self.schema}.{self.table}"


@dataclass(frozen=True)
class CreatePolicy(Change):
    kind = "create_policy"
    verb = "create"
    policy: Policy

    def inverse(self) -> Change:
        return DropPolicy(self.policy)

    @property
    def target(self) -> str:
        return f"{self.policy.name} on {self.policy.schema}.{self.policy.table}"


@dataclass(frozen=True)
class DropPolicy(Change):
    kind = "drop_policy"
    verb = "drop"
    policy: Policy

    def inverse(self) -> Change:
        return CreatePolicy(self.policy)

    @property
    def target(self) -> str:
        return f"{self.policy.name} on {self.policy.schema}.{self.policy.table}"


@dataclass(frozen=True)
class AlterPolicy(Change):
    """``ALTER POLICY``: other roles, USING or WITH CHECK (the command and permissiveness stay)."""

    kind = "alter_policy"
    old: Policy
    new: Policy

    def inverse(self) -> Change:
        return AlterPolicy(self.new, self.old)

    @property
    def target(self) -> str:
        return f"{self.new.name} on {self.new.schema}.{self.new.table}"

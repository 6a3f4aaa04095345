"""Changes to who may do what: row-level security (a table's ENABLE/FORCE switches and its policies) and
privileges (GRANT/REVOKE).

They hold no data, but each one changes who can read or write which rows, so review reports
every one of them; the inverse of each is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

from safeshift.changes.base import Change
from safeshift.model import Grant, Policy


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


# -- privileges ----------------------------------------------------------------------------

@dataclass(frozen=True)
class GrantPrivilege(Change):
    """``GRANT privilege ON object TO grantee [WITH GRANT OPTION]``.

    ``created``: the object is created (or dropped and created again) by the same changes, so the
    grant belongs to the new object; ``dropped``: the object is dropped by them, which takes the
    privilege with it, so nothing is rendered.  The flags swap in the inverse: the GRANT a down
    section needs for a dropped object is the inverse of a REVOKE that the DROP made silent, and the
    privileges of an object the up section creates leave with the DROP of the down section.
    """

    kind = "grant_privilege"
    verb = "create"
    grant: Grant
    created: bool = False
    dropped: bool = False

    def inverse(self) -> Change:
        return RevokePrivilege(self.grant, created=self.dropped, dropped=self.created)

    @property
    def target(self) -> str:
        g = self.grant
        return f"{g.privilege} on {g.object_name} to {g.grantee}"


@dataclass(frozen=True)
class RevokePrivilege(Change):
    """``REVOKE privilege ON object FROM grantee`` (the grant option goes with it); see GrantPrivilege for
    ``created`` and ``dropped``."""

    kind = "revoke_privilege"
    verb = "drop"
    grant: Grant
    created: bool = False
    dropped: bool = False

    def inverse(self) -> Change:
        return GrantPrivilege(self.grant, created=self.dropped, dropped=self.created)

    @property
    def target(self) -> str:
        g = self.grant
        return f"{g.privilege} on {g.object_name} to {g.grantee}"

"""PostgreSQL's rendering of privileges: ``GRANT`` and ``REVOKE`` on tables (views and materialized views
too), sequences, functions and procedures, and schemas.

A module of its own because privileges cut across every object kind and are compared only when the
project opts in; the rest of the dialect never needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from safeshift.dialects.postgres.clauses import PgClauses
from safeshift.dialects.statement import Statement
from safeshift.model import Grant

if TYPE_CHECKING:  # the change classes load only where a change is rendered
    from safeshift.changes import security as sec


class PgPrivileges(PgClauses):
    """``render_<kind>`` for GrantPrivilege and RevokePrivilege."""

    def render_grant_privilege(self, change: sec.GrantPrivilege) -> list[Statement]:
        if change.dropped:  # the DROP of the object took the privilege with it
            return []
        g = change.grant
        option = " WITH GRANT OPTION" if g.grantable else ""
        return [Statement(f"GRANT {g.privilege} ON {self._object(g)} TO {self._grantee(g)}{option};")]

    def render_revoke_privilege(self, change: sec.RevokePrivilege) -> list[Statement]:
        if change.dropped:
            return []
        g = change.grant
        return [Statement(f"REVOKE {g.privilege} ON {self._object(g)} FROM {self._grantee(g)};")]

    def _object(self, g: Grant) -> str:
        if g.object_type == "schema":
            return f"SCHEMA {self.quote(g.name)}"
        if g.object_type == "function":  # ROUTINE: a function or a procedure, whichever it is
            return f"ROUTINE {self.qualify(g.schema, g.name)}({g.arguments or ''})"
        return f"{g.object_type.upper()} {self.qualify(g.schema, g.name)}"

    def _grantee(self, g: Grant) -> str:
        return "PUBLIC" if g.grantee == "PUBLIC" else self.quote(g.grantee)

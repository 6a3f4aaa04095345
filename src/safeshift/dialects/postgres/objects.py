"""PostgreSQL's rendering of the objects beside tables: extensions, functions and procedures, triggers,
row-level security and policies.

Kept apart from ``render.py`` (tables, columns, constraints, indexes, views) because these objects are
written from the catalog's own definition text rather than built clause by clause: a function or a
trigger is stored as the whole statement PostgreSQL prints for it, so rendering it is mostly naming
it right when it is dropped or switched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from safeshift.dialects.postgres.clauses import PgClauses
from safeshift.dialects.statement import Statement
from safeshift.model import Policy, Trigger

if TYPE_CHECKING:  # the change classes load only where a change is rendered
    from safeshift.changes import routines as rt
    from safeshift.changes import security as sec
    from safeshift.changes import tables as tb

#: ALTER TABLE ... <this> TRIGGER, per trigger state
_TRIGGER_SWITCH = {"enabled": "ENABLE", "disabled": "DISABLE", "replica": "ENABLE REPLICA",
                   "always": "ENABLE ALWAYS"}


class PgObjects(PgClauses):
    """``render_<kind>`` for the changes of ``changes/routines.py`` and ``changes/security.py``."""

    # -- extensions ----------------------------------------------------------------------
    def render_create_extension(self, change: rt.CreateExtension) -> list[Statement]:
        e = change.extension
        return [Statement(f"CREATE EXTENSION {self.quote(e.name)} WITH SCHEMA {self.quote(e.schema)};")]

    def render_drop_extension(self, change: rt.DropExtension) -> list[Statement]:
        return [Statement(f"DROP EXTENSION {self.quote(change.extension.name)};")]

    def render_move_extension(self, change: rt.MoveExtension) -> list[Statement]:
        e = change.new
        return [Statement(f"ALTER EXTENSION {self.quote(e.name)} SET SCHEMA {self.quote(e.schema)};")]

    # -- functions and procedures ----------------------------------------------------------
    def render_create_function(self, change: rt.CreateFunction) -> list[Statement]:
        return self._function(change.function.definition)

    def render_replace_function(self, change: rt.ReplaceFunction) -> list[Statement]:
        return self._function(change.new.definition)

    def render_recreate_function(self, change: rt.RecreateFunction) -> list[Statement]:
        from safeshift.changes.routines import DropFunction

        return self.render_drop_function(DropFunction(change.old)) + self._function(change.new.definition)

    def _function(self, definition: str) -> list[Statement]:
        # the body may use tables and columns created later in the same migration (functions come
        # first, for the defaults and checks that call them); pg_dump switches the check off the same way
        return [Statement("SET LOCAL check_function_bodies = off;"), Statement(definition.rstrip().rstrip(";") + ";")]

    def render_drop_function(self, change: rt.DropFunction) -> list[Statement]:
        f = change.function
        kind = "PROCEDURE" if f.procedure else "FUNCTION"
        return [Statement(f"DROP {kind} {self.qualify(f.schema, f.name)}({f.arguments});")]

    # -- triggers ------------------------------------------------------------------------
    def render_create_trigger(self, change: rt.CreateTrigger) -> list[Statement]:
        t = change.trigger
        out = [Statement(t.definition.rstrip().rstrip(";") + ";")]
        if t.state != "enabled":
            out.append(self._trigger_state(t))
        return out

    def render_drop_trigger(self, change: rt.DropTrigger) -> list[Statement]:
        t = change.trigger
        return [Statement(f"DROP TRIGGER {self.quote(t.name)} ON {self.qualify(t.schema, t.table)};")]

    def render_set_trigger_state(self, change: rt.SetTriggerState) -> list[Statement]:
        return [self._trigger_state(change.new)]

    def _trigger_state(self, t: Trigger) -> Statement:
        return Statement(f"ALTER TABLE {self.qualify(t.schema, t.table)} {_TRIGGER_SWITCH[t.state]} TRIGGER "
                         f"{self.quote(t.name)};")

    # -- row-level security ----------------------------------------------------------------
    def render_create_table(self, change: tb.CreateTable) -> list[Statement]:
        out: list[Statement] = super().render_create_table(change)  # type: ignore[misc]
        t = change.table
        return out + self._row_security(t.schema, t.name, (False, False), (t.row_security, t.force_row_security))

    def render_set_row_security(self, change: sec.SetRowSecurity) -> list[Statement]:
        return self._row_security(change.schema, change.table, change.old, change.new)

    def _row_security(self, schema: str, table: str, old: tuple[bool, bool],
                      new: tuple[bool, bool]) -> list[Statement]:
        target = self.qualify(schema, table)
        out = []
        if old[0] != new[0]:
            out.append(Statement(f"ALTER TABLE {target} {'ENABLE' if new[0] else 'DISABLE'} ROW LEVEL SECURITY;"))
        if old[1] != new[1]:
            out.append(Statement(f"ALTER TABLE {target} {'FORCE' if new[1] else 'NO FORCE'} ROW LEVEL SECURITY;"))
        return out

    def render_create_policy(self, change: sec.CreatePolicy) -> list[Statement]:
        p = change.policy
        kind = "PERMISSIVE" if p.permissive else "RESTRICTIVE"
        sql = (f"CREATE POLICY {self.quote(p.name)} ON {self.qualify(p.schema, p.table)} AS {kind} "
               f"FOR {p.command} TO {self._roles(p)}{self._policy_clauses(p)};")
        return [Statement(sql)]

    def render_drop_policy(self, change: sec.DropPolicy) -> list[Statement]:
        p = change.policy
        return [Statement(f"DROP POLICY {self.quote(p.name)} ON {self.qualify(p.schema, p.table)};")]

    def render_alter_policy(self, change: sec.AlterPolicy) -> list[Statement]:
        p = change.new
        return [Statement(f"ALTER POLICY {self.quote(p.name)} ON {self.qualify(p.schema, p.table)} "
                          f"TO {self._roles(p)}{self._policy_clauses(p)};")]

    def _roles(self, p: Policy) -> str:
        return ", ".join("PUBLIC" if r == "public" else self.quote(r) for r in p.roles)

    def _policy_clauses(self, p: Policy) -> str:
        out = ""
        if p.using is not None:
            out += f" USING ({p.using})"
        if p.with_check is not None:
            out += f" WITH CHECK ({p.with_check})"
        return out

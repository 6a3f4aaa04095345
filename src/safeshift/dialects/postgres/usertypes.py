"""PostgreSQL's rendering of the user-defined types and collations tables build on: domains (with their
defaults, NOT NULL and named CHECK constraints), stand-alone composite types and collations.

Kept beside ``render.py`` rather than in it because these objects have their own statements (CREATE
DOMAIN / ALTER DOMAIN, CREATE TYPE ... AS (...) / ALTER TYPE ... ATTRIBUTE, CREATE COLLATION) and their
own rule for what cannot change in place: a domain's base type, a collation's definition and a composite
type's attribute order have no ALTER, so they are dropped and created again, which the diff allows only
while nothing uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from safeshift.dialects.postgres.clauses import PgClauses
from safeshift.dialects.statement import Statement
from safeshift.model import Attribute, Check, Collation, CompositeType, Domain

if TYPE_CHECKING:  # the change classes load only where a change is rendered
    from safeshift.changes import types as ty


class PgTypes(PgClauses):
    """``render_<kind>`` for the domain, composite type and collation changes of ``changes/types.py``."""

    def collation_sql(self, collation: str) -> str:
        """A collation as the model spells it: bare (quoted here) in ``public`` or ``pg_catalog``, already
        quoted and qualified (``"schema"."name"``) elsewhere."""
        return collation if collation.startswith('"') else self.quote(collation)

    # -- collations ----------------------------------------------------------------------
    def render_create_collation(self, change: ty.CreateCollation) -> list[Statement]:
        return [self._create_collation(change.collation)]

    def render_drop_collation(self, change: ty.DropCollation) -> list[Statement]:
        c = change.collation
        return [Statement(f"DROP COLLATION {self.qualify(c.schema, c.name)};")]

    def render_recreate_collation(self, change: ty.RecreateCollation) -> list[Statement]:
        from safeshift.changes.types import DropCollation

        return [*self.render_drop_collation(DropCollation(change.old)), self._create_collation(change.new)]

    def _create_collation(self, c: Collation) -> Statement:
        opts = [f"provider = {c.provider}"]
        if c.provider == "libc":
            opts += [f"lc_collate = {self.literal(c.lc_collate or '')}", f"lc_ctype = {self.literal(c.lc_ctype or '')}"]
        else:
            opts.append(f"locale = {self.literal(c.locale or '')}")
        if not c.deterministic:
            opts.append("deterministic = false")
        return Statement(f"CREATE COLLATION {self.qualify(c.schema, c.name)} ({', '.join(opts)});")

    # -- domains -------------------------------------------------------------------------
    def render_create_domain(self, change: ty.CreateDomain) -> list[Statement]:
        return [self._create_domain(change.domain)]

    def render_drop_domain(self, change: ty.DropDomain) -> list[Statement]:
        d = change.domain
        return [Statement(f"DROP DOMAIN {self.qualify(d.schema, d.name)};")]

    def render_recreate_domain(self, change: ty.RecreateDomain) -> list[Statement]:
        from safeshift.changes.types import DropDomain

        return [*self.render_drop_domain(DropDomain(change.old)), self._create_domain(change.new)]

    def _create_domain(self, d: Domain) -> Statement:
        sql = f"CREATE DOMAIN {self.qualify(d.schema, d.name)} AS {self._type_sql(d.type)}"
        if d.collation:
            sql += f" COLLATE {self.collation_sql(d.collation)}"
        if d.default is not None:
            sql += f" DEFAULT {d.default}"
        if not d.nullable:
            sql += " NOT NULL"
        sql += "".join(f" {self.domain_check_sql(d.name, c)}" for c in d.checks)
        return Statement(sql + ";")

    def domain_check_sql(self, domain: str, c: Check) -> str:
        """``CONSTRAINT name CHECK (expr)``; an unnamed check gets the name PostgreSQL would give it."""
        name = c.name or f"{domain}_check"
        return f"CONSTRAINT {self.quote(name)} CHECK ({c.sql})"

    def render_alter_domain(self, change: ty.AlterDomain) -> list[Statement]:
        old, new = change.old, change.new
        target = self.qualify(new.schema, new.name)
        out = []
        if old.default != new.default:
            action = "DROP DEFAULT" if new.default is None else f"SET DEFAULT {new.default}"
            out.append(Statement(f"ALTER DOMAIN {target} {action};"))
        if old.nullable != new.nullable:
            out.append(Statement(f"ALTER DOMAIN {target} {'DROP' if new.nullable else 'SET'} NOT NULL;"))
        return out

    def render_add_domain_check(self, change: ty.AddDomainCheck) -> list[Statement]:
        return [Statement(f"ALTER DOMAIN {self.qualify(change.schema, change.domain)} ADD "
                          f"{self.domain_check_sql(change.domain, change.check)};")]

    def render_drop_domain_check(self, change: ty.DropDomainCheck) -> list[Statement]:
        name = change.check.name or f"{change.domain}_check"
        return [Statement(f"ALTER DOMAIN {self.qualify(change.schema, change.domain)} DROP CONSTRAINT "
                          f"{self.quote(name)};")]

    # -- stand-alone composite types ---------------------------------------------------------
    def render_create_composite_type(self, change: ty.CreateCompositeType) -> list[Statement]:
        return [self._create_composite(change.type)]

    def render_drop_composite_type(self, change: ty.DropCompositeType) -> list[Statement]:
        t = change.type
        return [Statement(f"DROP TYPE {self.qualify(t.schema, t.name)};")]

    def render_recreate_composite_type(self, change: ty.RecreateCompositeType) -> list[Statement]:
        from safeshift.changes.types import DropCompositeType

        return [*self.render_drop_composite_type(DropCompositeType(change.old)), self._create_composite(change.new)]

    def _attribute_sql(self, a: Attribute) -> str:
        collate = f" COLLATE {self.collation_sql(a.collation)}" if a.collation else ""
        return f"{self.quote(a.name)} {self._type_sql(a.type)}{collate}"

    def _create_composite(self, t: CompositeType) -> Statement:
        attributes = ", ".join(self._attribute_sql(a) for a in t.attributes)
        return Statement(f"CREATE TYPE {self.qualify(t.schema, t.name)} AS ({attributes});")

    def render_alter_composite_type(self, change: ty.AlterCompositeType) -> list[Statement]:
        """One ALTER TYPE: drops first, then type changes, then additions (which land at the end)."""
        old = {a.name: a for a in change.old.attributes}
        new = {a.name: a for a in change.new.attributes}
        actions = [f"DROP ATTRIBUTE {self.quote(n)}" for n in old if n not in new]
        for n, a in new.items():
            was = old.get(n)
            if was is not None and was != a:
                collate = f" COLLATE {self.collation_sql(a.collation)}" if a.collation else ""
                actions.append(f"ALTER ATTRIBUTE {self.quote(n)} TYPE {self._type_sql(a.type)}{collate}")
        actions += [f"ADD ATTRIBUTE {self._attribute_sql(a)}" for n, a in new.items() if n not in old]
        if not actions:
            return []
        t = change.new
        return [Statement(f"ALTER TYPE {self.qualify(t.schema, t.name)} {', '.join(actions)};")]

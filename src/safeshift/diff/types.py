"""Collations, domains and stand-alone composite types: created in dependency order, altered where
PostgreSQL can, dropped and created again only while nothing uses them (else refused, naming the users)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from safeshift.changes import (
    AddDomainCheck,
    AlterCompositeType,
    AlterDomain,
    AlterEnum,
    CreateCollation,
    CreateCompositeType,
    CreateDomain,
    DropCollation,
    DropCompositeType,
    DropDomain,
    DropDomainCheck,
    RecreateCollation,
    RecreateCompositeType,
    RecreateDomain,
)
from safeshift.diff.base import DiffState, dependencies_first
from safeshift.errors import UnsupportedConstruct
from safeshift.model import (
    CompositeType,
    Domain,
    Schema,
)


class TypesDiff(DiffState):
    """Collations, domains and stand-alone composite types."""

    def user_types(self) -> None:
        """Collations, domains and stand-alone composite types.  Created in dependency order (a domain over
        another domain, a composite type holding another), dropped in the reverse; what PostgreSQL cannot
        ALTER is dropped and created again, but only while nothing uses it: a column, domain, composite
        type or function using it would block the DROP, and refusing here names them before any SQL runs."""
        o_coll = {c.key: c for c in self.old.collations}
        n_coll = {c.key: c for c in self.new.collations}
        for k, coll in n_coll.items():
            old_coll = o_coll.get(k)
            if old_coll is None:
                self.out.append(CreateCollation(coll))
            elif old_coll != coll:
                self.refuse_if_used("collation", k, "another definition (PostgreSQL has no ALTER for it)",
                                    "create a collation under a new name, move the columns to it, then drop this one")
                self.out.append(RecreateCollation(old_coll, coll))
        for change in self.out:
            if isinstance(change, AlterEnum) and [v for v in change.new.values if v in change.old.values] \
                    != list(change.old.values):
                # values removed or reordered: the enum is swapped for a new type, which a domain,
                # composite type or function argument over it would block (only table columns are moved across)
                users = [u for u in type_users(self.old, change.old.key, collation=False)
                         if not u.startswith("column ")]
                if users:
                    raise UnsupportedConstruct(
                        f"enum {change.target}", f"values removed or reordered while {', '.join(users)} use(s) it",
                        "The change swaps the type, and PostgreSQL cannot drop the old one while they use it: "
                        "only add values, or move them to another type first.")
        o_dom = {d.key: d for d in self.old.domains}
        n_dom = {d.key: d for d in self.new.domains}
        for k in _types_first(n_dom.keys(), n_dom, {}):
            d, was = n_dom[k], o_dom.get(k)
            if was is None:
                self.out.append(CreateDomain(d))
            elif (was.type, was.collation) != (d.type, d.collation):
                self.refuse_if_used("domain", k, f"a new base type or collation ({was.type} -> {d.type})",
                                    "create a domain under a new name, move the columns to it, then drop this one")
                self.out.append(RecreateDomain(was, d))
            elif was != d:
                if (was.default, was.nullable) != (d.default, d.nullable):
                    self.out.append(AlterDomain(was, d))
                self.out += [DropDomainCheck(*k, c) for c in was.checks if c not in d.checks]
                self.out += [AddDomainCheck(*k, c) for c in d.checks if c not in was.checks]
        o_comp = {c.key: c for c in self.old.composite_types}
        n_comp = {c.key: c for c in self.new.composite_types}
        for k in _types_first(n_comp.keys(), {}, n_comp):
            c, prev = n_comp[k], o_comp.get(k)
            if prev is None:
                self.out.append(CreateCompositeType(c))
            elif prev != c:
                if _attributes_alterable(prev, c):
                    self.out.append(AlterCompositeType(prev, c))
                else:
                    self.refuse_if_used("composite type", k, "attributes reordered or inserted before others",
                                        "add new attributes at the end")
                    self.out.append(RecreateCompositeType(prev, c))
        gone_comp = [k for k in _types_first(o_comp.keys(), {}, o_comp) if k not in n_comp]
        self.out += [DropCompositeType(o_comp[k]) for k in reversed(gone_comp)]
        gone_dom = [k for k in _types_first(o_dom.keys(), o_dom, {}) if k not in n_dom]
        self.out += [DropDomain(o_dom[k]) for k in reversed(gone_dom)]
        self.out += [DropCollation(x) for k, x in o_coll.items() if k not in n_coll]

    def refuse_if_used(self, what: str, key: tuple[str, str], change: str, recipe: str) -> None:
        """Raise naming the objects of the old schema that use ``key``: they would block its DROP."""
        users = type_users(self.old, key, collation=what == "collation")
        if users:
            shown = ", ".join(users[:5]) + (f" and {len(users) - 5} more" if len(users) > 5 else "")
            raise UnsupportedConstruct(
                f"{what} {key[0]}.{key[1]}", f"{change} while {shown} use(s) it",
                f"PostgreSQL cannot drop it while they do: {recipe}.")


def type_names(schema: str, name: str) -> frozenset[str]:
    """How a column, attribute or argument may spell the user type or collation ``schema.name``: bare (in
    ``public``, the way ``format_type`` prints it) or qualified, quoted or not."""
    return frozenset({name, f"{schema}.{name}", f'"{schema}"."{name}"', f'{schema}."{name}"', f'"{name}"'}
                     if schema == "public" else {f"{schema}.{name}", f'"{schema}"."{name}"', f'{schema}."{name}"',
                                                  f'"{schema}".{name}'})


def _base(type_sql: str) -> str:
    """A type spelling without its array brackets."""
    while type_sql.endswith("[]"):
        type_sql = type_sql[:-2]
    return type_sql


def type_users(schema: Schema, key: tuple[str, str], *, collation: bool) -> list[str]:
    """Columns, domains, composite types and functions of ``schema`` that use the type or collation ``key``."""
    names = type_names(*key)
    out: list[str] = []
    for t in schema.tables:
        out += [f"column {t.schema}.{t.name}.{c.name}" for c in t.columns
                if (c.collation if collation else _base(c.type)) in names]
        if collation:
            out += [f"index {t.schema}.{i.name}" for i in t.indexes for e in i.elements if e.collation in names]
    for d in schema.domains:
        if d.key != key and (d.collation if collation else _base(d.type)) in names:
            out.append(f"domain {d.schema}.{d.name}")
    for c in schema.composite_types:
        if c.key != key and any((a.collation if collation else _base(a.type)) in names for a in c.attributes):
            out.append(f"composite type {c.schema}.{c.name}")
    if not collation:
        out += [f"function {f.schema}.{f.signature}" for f in schema.functions
                if {_base(w) for w in _TYPE_WORD.findall(f"{f.arguments} {f.returns}")} & names]
    return out


#: a possibly qualified, possibly quoted name inside a function's argument list or result type
_TYPE_WORD = re.compile(r'[\w$."]+(?:\[\])*')


def _types_first(keys: Iterable[tuple[str, str]], domains: Mapping[tuple[str, str], Domain],
                 composites: Mapping[tuple[str, str], CompositeType]) -> list[tuple[str, str]]:
    """Domain or composite type keys ordered so that each comes after those it is built on."""
    spelled = {n: k for k in [*domains, *composites] for n in type_names(*k)}
    deps: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for k, d in domains.items():
        deps[k] = {spelled[b]} if (b := _base(d.type)) in spelled else set()
    for k, c in composites.items():
        deps[k] = {spelled[b] for a in c.attributes if (b := _base(a.type)) in spelled}
    return dependencies_first(keys, deps)


def _attributes_alterable(old: CompositeType, new: CompositeType) -> bool:
    """Whether ADD (at the end) / DROP / ALTER ATTRIBUTE reach ``new``: the attributes both keep stay in
    the same order, and every new one comes after them all."""
    kept_old = [a.name for a in old.attributes if any(b.name == a.name for b in new.attributes)]
    new_names = [a.name for a in new.attributes]
    return new_names[:len(kept_old)] == kept_old

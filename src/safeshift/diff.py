"""(old Schema, new Schema, rename answers) → [Change].  Never emits SQL.

The diff works on canonical values, so most of it is set arithmetic and ``==``.  Two
subtleties:
- renames: a column or table rename must not look like drop + create; the Resolver
  (renames.py) decides, and the old side is then translated to the new names before
  constraints are compared (the database rewrites constraint column lists itself);
- name-only differences: a constraint or index whose definition is unchanged but whose
  name differs (typically after a table rename) becomes a cheap rename, not a rebuild.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from safeshift.changes import (
    AddCheck,
    AddColumn,
    AddDomainCheck,
    AddExclusion,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    AlterColumn,
    AlterCompositeType,
    AlterDomain,
    AlterEnum,
    AlterPolicy,
    AlterSequence,
    AttachPartition,
    Change,
    CreateCollation,
    CreateCompositeType,
    CreateDomain,
    CreateEnum,
    CreateExtension,
    CreateFunction,
    CreateIndex,
    CreatePolicy,
    CreateSchema,
    CreateSequence,
    CreateTable,
    CreateTrigger,
    CreateView,
    DetachPartition,
    DropCheck,
    DropCollation,
    DropColumn,
    DropCompositeType,
    DropDomain,
    DropDomainCheck,
    DropEnum,
    DropExclusion,
    DropExtension,
    DropForeignKey,
    DropFunction,
    DropIndex,
    DropPolicy,
    DropPrimaryKey,
    DropSchema,
    DropSequence,
    DropTable,
    DropTrigger,
    DropUnique,
    DropView,
    GrantPrivilege,
    MoveExtension,
    RecreateCollation,
    RecreateCompositeType,
    RecreateDomain,
    RecreateFunction,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameTable,
    ReplaceFunction,
    ReplaceView,
    RevokePrivilege,
    SetRowSecurity,
    SetTableComment,
    SetTableStorage,
    SetTriggerState,
)
from safeshift.errors import UnsafeChange, UnsupportedConstruct
from safeshift.model import (
    DEFAULT_GRANTS,
    Column,
    CompositeType,
    Domain,
    ForeignKey,
    Grant,
    Index,
    IndexElement,
    Schema,
    Table,
    View,
)
from safeshift.renames import Questioner, RenameHints, Resolver

T = TypeVar("T")


#: the relations (schema, name) a view reads: the dialect's ``view_dependencies``
ViewDependencies = Callable[[View], frozenset[tuple[str, str]]]


def _no_dependencies(view: View) -> frozenset[tuple[str, str]]:
    return frozenset()


def diff(old: Schema, new: Schema, hints: RenameHints | None = None,
         questioner: Questioner | None = None, default_schema: str = "public",
         view_dependencies: ViewDependencies | None = None) -> list[Change]:
    """Changes that turn ``old`` into ``new``; raises AmbiguousRename for unanswered look-alikes.

    ``view_dependencies`` (the dialect's) orders views: created after the views they read, dropped
    before them, and a view that reads a changed or dropped view is dropped and created again with it.
    """
    resolver = Resolver(hints, questioner)
    differ = _Differ(old, new, resolver, view_dependencies or _no_dependencies)
    changes = differ.run()
    changes += _privileges(old, new, changes, default_schema, differ.table_renames)
    resolver.finish(default_schema)
    return changes


class _Differ:
    def __init__(self, old: Schema, new: Schema, resolver: Resolver, view_dependencies: ViewDependencies) -> None:
        self.old = old
        self.new = new
        self.resolver = resolver
        self.view_dependencies = view_dependencies
        #: unchanged views dropped and created again because a view they read changed
        self.recreated_views: set[tuple[str, str]] = set()
        self.out: list[Change] = []
        #: (schema, old table name) -> new table name, for translating FK targets
        self.table_renames: dict[tuple[str, str], str] = {}
        #: (schema, new table name) -> {old column: new column}
        self.column_renames: dict[tuple[str, str], dict[str, str]] = {}

    def run(self) -> list[Change]:
        out = self.out
        old_ns, new_ns = set(self.old.namespaces), set(self.new.namespaces)
        out += [CreateSchema(n) for n in sorted(new_ns - old_ns)]
        self.keyed(self.old.enums, self.new.enums, CreateEnum, DropEnum, AlterEnum)
        self.keyed(self.old.sequences, self.new.sequences, CreateSequence, DropSequence, AlterSequence)
        self.user_types()
        self.extensions()
        self.functions()
        self.tables()
        self.split_sql_body_functions()
        self.views()
        self.triggers()
        self.policies()
        out += [DropSchema(n) for n in sorted(old_ns - new_ns)]
        return out

    def keyed(self, olds: Iterable[Any], news: Iterable[Any], create: Callable[[Any], Change],
              drop: Callable[[Any], Change], alter: Callable[[Any, Any], Change]) -> None:
        o = {x.key: x for x in olds}
        n = {x.key: x for x in news}
        for k, v in n.items():
            if k not in o:
                self.out.append(create(v))
            elif o[k] != v:
                self.out.append(alter(o[k], v))
        self.out += [drop(v) for k, v in o.items() if k not in n]

    def tables_under_views(self) -> set[tuple[str, str]]:
        """Tables whose changes so far a view reading them would block: a column type changes (also through
        its enum type) or a column goes."""
        out = {(c.schema, c.table) for c in self.out
               if (isinstance(c, AlterColumn) and c.type_changed) or isinstance(c, DropColumn)}
        enums = {name for c in self.out if isinstance(c, AlterEnum)
                 for name in (c.new.name, f"{c.new.schema}.{c.new.name}")}
        if enums:
            out |= {t.key for t in self.new.tables if any(col.type in enums for col in t.columns)}
        return out

    # -- collations, domains, composite types ----------------------------------------------
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
                # values removed or reordered: the enum is swapped for a new type, which a domain or
                # composite type over it would block (only table columns are moved across)
                users = [u for u in _type_users(self.old, change.old.key, collation=False)
                         if not u.startswith(("column ", "function "))]
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
        users = _type_users(self.old, key, collation=what == "collation")
        if users:
            shown = ", ".join(users[:5]) + (f" and {len(users) - 5} more" if len(users) > 5 else "")
            raise UnsupportedConstruct(
                f"{what} {key[0]}.{key[1]}", f"{change} while {shown} use(s) it",
                f"PostgreSQL cannot drop it while they do: {recipe}.")

    def extensions(self) -> None:
        o = {e.key: e for e in self.old.extensions}
        n = {e.key: e for e in self.new.extensions}
        for k, e in n.items():
            old = o.get(k)
            if old is None:
                self.out.append(CreateExtension(e))
            elif old != e:
                self.out.append(MoveExtension(old, e))
        self.out += [DropExtension(e) for k, e in o.items() if k not in n]

    def functions(self) -> None:
        o = {f.key: f for f in self.old.functions}
        n = {f.key: f for f in self.new.functions}
        for k, f in n.items():
            old = o.get(k)
            if old is None:
                self.out.append(CreateFunction(f))
            elif old != f:
                if (old.returns, old.procedure) == (f.returns, f.procedure):
                    self.out.append(ReplaceFunction(old, f))
                else:  # CREATE OR REPLACE cannot change the result type
                    self.out.append(RecreateFunction(old, f))
        self.out += [DropFunction(f) for k, f in o.items() if k not in n]

    def split_sql_body_functions(self) -> None:
        """A changed function with a SQL-standard body depends on what it reads, so it must go before the
        tables change and come back after; a replace runs at one place in both directions, which is right
        only when no table changes.  With table changes it becomes a drop (first) and a create (last)."""
        table_kinds = (CreateTable, DropTable, RenameTable, AddColumn, DropColumn, AlterColumn, RenameColumn)
        if not any(isinstance(c, table_kinds) for c in self.out):
            return
        out: list[Change] = []
        for c in self.out:
            if isinstance(c, (ReplaceFunction, RecreateFunction)) and (c.old.reads_relations or c.new.reads_relations):
                out += [DropFunction(c.old), CreateFunction(c.new)]
            else:
                out.append(c)
        self.out[:] = out

    def triggers(self) -> None:
        o = {t.key: t for t in self.old.triggers}
        n = {t.key: t for t in self.new.triggers}
        for k, t in n.items():
            old = o.get(k)
            if old is None:
                self.out.append(CreateTrigger(t))
            elif old.definition != t.definition or (t.schema, t.table) in self.recreated_views:
                self.out += [DropTrigger(old), CreateTrigger(t)]
            elif old.state != t.state:
                self.out.append(SetTriggerState(old, t))
        self.out += [DropTrigger(t) for k, t in o.items() if k not in n]

    def policies(self) -> None:
        o = {p.key: p for p in self.old.policies}
        n = {p.key: p for p in self.new.policies}
        for k, p in n.items():
            old = o.get(k)
            if old is None:
                self.out.append(CreatePolicy(p))
            elif old != p:
                if (old.command, old.permissive) == (p.command, p.permissive) \
                        and (p.using is not None or old.using is None) \
                        and (p.with_check is not None or old.with_check is None):
                    self.out.append(AlterPolicy(old, p))
                else:  # ALTER POLICY cannot change the command or permissiveness, nor remove a clause
                    self.out += [DropPolicy(old), CreatePolicy(p)]
        self.out += [DropPolicy(p) for k, p in o.items() if k not in n]

    def views(self) -> None:
        o = {v.key: v for v in self.old.views}
        n = {v.key: v for v in self.new.views}
        old_deps = {k: self.view_dependencies(v) & o.keys() - {k} for k, v in o.items()}
        new_deps = {k: self.view_dependencies(v) & n.keys() - {k} for k, v in n.items()}
        readers: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for k, uses in old_deps.items():
            for used in uses:
                readers.setdefault(used, set()).add(k)
        # an index of a materialized view is added, dropped or renamed on its own; the query decides a re-create
        changed = {k for k in o if k in n and replace(o[k], indexes=()) != replace(n[k], indexes=())}
        # a view that reads a column whose type changes, or a table losing a column, blocks the ALTER
        # (in either direction: the down section runs the inverse): it goes before and comes back after
        touched = self.tables_under_views()
        blocking = {k for k, v in o.items() if k in n and self.view_dependencies(v) & touched}
        # same output columns on both sides: CREATE OR REPLACE, which keeps the view's triggers and grants
        # and the views reading it (unless something else makes it go)
        replaceable = {k for k in changed - blocking if self.replaceable(o[k], n[k])}
        todo = sorted((changed - replaceable) | blocking | (o.keys() - n.keys()))
        recreate = (changed - replaceable) | blocking
        while todo:  # PostgreSQL refuses to drop a view another view reads: those go and come back too
            for reader in sorted(readers.get(todo.pop(), ())):
                if reader in n and reader not in recreate:
                    recreate.add(reader)
                    todo.append(reader)
        #: dropped and created again, so their triggers go with them and must come back (changed ones too)
        self.recreated_views = recreate
        replaced = replaceable - recreate
        drops = _dependencies_first(recreate | (o.keys() - n.keys()), old_deps)
        self.out += [DropView(o[k]) for k in reversed(drops)]
        creates = _dependencies_first(recreate | replaced | (n.keys() - o.keys()), new_deps)
        self.out += [ReplaceView(o[k], n[k]) if k in replaced else CreateView(n[k]) for k in creates]
        for k in sorted(o.keys() & n.keys() - recreate):
            if o[k].indexes != n[k].indexes:
                self.view_indexes(o[k], n[k])

    def replaceable(self, old: View, new: View) -> bool:
        """``CREATE OR REPLACE VIEW`` can turn ``old`` into ``new`` and, in the down section, back again.

        Plain views whose output columns are known on both sides and the same (names, types, collations):
        PostgreSQL refuses anything else, and appending columns would work one way only.  A replace runs
        once, after what it reads exists; undone, it runs at the same place, so it must read the same
        relations on both sides, none of them changing shape or name in this migration, and no function
        may come or go with it (what a definition calls is not parsed): otherwise it stays a drop, which
        runs first, and a create, which runs last, in both directions.
        """
        if old.materialized or new.materialized or not old.columns or old.columns != new.columns:
            return False
        reads = self.view_dependencies(old)
        if reads != self.view_dependencies(new):
            return False
        renamed = {k for (s, old_name), new_name in self.table_renames.items() for k in ((s, old_name), (s, new_name))}
        for c in self.out:
            if isinstance(c, (CreateFunction, DropFunction, RecreateFunction)):
                return False
            if isinstance(c, (AddColumn, DropColumn, AlterColumn, RenameColumn)) and (c.schema, c.table) in reads:
                return False
        return not reads & renamed

    def view_indexes(self, o: View, n: View) -> None:
        s, name = n.key
        self.named(o.indexes, n.indexes, lambda i: CreateIndex(s, name, i), lambda i: DropIndex(s, name, i),
                   lambda a, b: RenameIndex(s, name, a, b))

    # -- tables --------------------------------------------------------------------------
    def tables(self) -> None:
        old = {t.key: t for t in self.old.tables}
        new = {t.key: t for t in self.new.tables}
        removed = [k for k in old if k not in new]
        added = [k for k in new if k not in old]
        pairs: list[tuple[Table, Table]] = [(old[k], new[k]) for k in new if k in old and old[k] != new[k]]
        taken: set[tuple[str, str]] = set()
        for key in added:
            schema = key[0]
            gone = [k[1] for k in removed if k[0] == schema and k not in taken]
            alike = [name for name in gone if _tables_alike(old[(schema, name)], new[key])]
            answer = self.resolver.table(schema, key[1], alike, gone)
            if answer is None:
                continue
            taken.add((schema, answer))
            self.table_renames[(schema, answer)] = key[1]
            self.out.append(RenameTable(schema, answer, key[1]))
            pairs.append((replace(old[(schema, answer)], name=key[1]), new[key]))
        _refuse_partitioning_changes(pairs)
        # resolve every column rename first: FKs of one table may point at renamed columns of another
        resolved = [(self.columns_of(o, n), o, n) for o, n in pairs]
        paired = {n.key for _, n in pairs}
        # a partition is created after its parent and dropped before it (DROP TABLE of the parent would take it)
        self.out += [CreateTable(new[k]) for k in _parents_first([k for k in added if k not in paired], new)]
        for (col_changes, o, n) in resolved:
            self.out += col_changes
            self.table_objects(self.translate(o), n)
        self.out += [DropTable(old[k]) for k in reversed(_parents_first([k for k in removed if k not in taken], old))]

    def columns_of(self, o: Table, n: Table) -> list[Change]:
        """Column changes of one table; records column renames for later translation."""
        out: list[Change] = []
        old_cols = {c.name: c for c in o.columns}
        new_cols = {c.name: c for c in n.columns}
        removed = [c for c in old_cols if c not in new_cols]
        renames: dict[str, str] = {}
        old_table = next((k[1] for k, v in self.table_renames.items() if v == n.name and k[0] == n.schema), n.name)
        for name, col in new_cols.items():
            if name in old_cols:
                continue
            gone = [r for r in removed if r not in renames]
            alike = [r for r in gone if _columns_alike(old_cols[r], col)]
            answer = self.resolver.column(n.schema, n.name, old_table, name, alike, gone)
            if answer is None:
                out.append(AddColumn(n.schema, n.name, col))
                continue
            renames[answer] = name
            out.append(RenameColumn(n.schema, n.name, answer, name, old_cols[answer].serial or col.serial))
            if replace(old_cols[answer], name=name) != col:
                out.append(AlterColumn(n.schema, n.name, replace(old_cols[answer], name=name), col))
        for name, col in new_cols.items():
            if name in old_cols and old_cols[name] != col:
                out.append(AlterColumn(n.schema, n.name, old_cols[name], col))
        out += [DropColumn(n.schema, n.name, old_cols[r]) for r in removed if r not in renames]
        if renames:
            self.column_renames[(n.schema, n.name)] = renames
        return out

    # -- translation of the old side through renames --------------------------------------
    def translate(self, t: Table) -> Table:
        """The old table as the database shows it after the renames ran."""
        cmap = self.column_renames.get((t.schema, t.name), {})

        def cols(names: Sequence[str]) -> tuple[str, ...]:
            return tuple(cmap.get(c, c) for c in names)

        def expr(text: str) -> str:
            return _rename_identifiers(text, cmap) if cmap else text

        def fk(f: ForeignKey) -> ForeignKey:
            ref_table = self.table_renames.get((f.ref_schema, f.ref_table), f.ref_table)
            ref_map = self.column_renames.get((f.ref_schema, ref_table), {})
            return replace(f, columns=cols(f.columns), ref_table=ref_table,
                           ref_columns=tuple(ref_map.get(c, c) for c in f.ref_columns))

        def element(e: IndexElement) -> IndexElement:
            return replace(e, value=expr(e.value)) if e.is_expression else replace(e, value=cmap.get(e.value, e.value))

        def index(i: Index) -> Index:
            return replace(i, elements=tuple(element(e) for e in i.elements),
                           where=expr(i.where) if i.where else None, include=cols(i.include))

        return replace(
            t,
            primary_key=replace(t.primary_key, columns=cols(t.primary_key.columns)) if t.primary_key else None,
            uniques=tuple(replace(u, columns=cols(u.columns)) for u in t.uniques),
            checks=tuple(replace(c, expression=expr(c.expression)) for c in t.checks),
            foreign_keys=tuple(fk(f) for f in t.foreign_keys),
            indexes=tuple(index(i) for i in t.indexes),
            partition_by=expr(t.partition_by) if t.partition_by else None,
            partition_of=replace(t.partition_of, table=self.table_renames.get(
                (t.partition_of.schema, t.partition_of.table), t.partition_of.table)) if t.partition_of else None,
        )

    # -- constraints, indexes, comment ------------------------------------------------------
    def table_objects(self, o: Table, n: Table) -> None:
        s, name = n.schema, n.name
        if o.partition_of is not None and n.partition_of is not None and o.partition_of != n.partition_of:
            # another bound (or parent): PostgreSQL has no ALTER for it; the rows stay in the table between the two
            self.out += [DetachPartition(s, name, o.partition_of), AttachPartition(s, name, n.partition_of)]
        if o.primary_key != n.primary_key:
            if o.primary_key and n.primary_key and o.primary_key.name and n.primary_key.name \
                    and replace(o.primary_key, name=n.primary_key.name) == n.primary_key:
                self.out.append(RenameConstraint(s, name, o.primary_key.name, n.primary_key.name))
            else:
                if o.primary_key:
                    self.out.append(DropPrimaryKey(s, name, o.primary_key))
                if n.primary_key:
                    self.out.append(AddPrimaryKey(s, name, n.primary_key))
        self.named(o.uniques, n.uniques, lambda u: AddUnique(s, name, u), lambda u: DropUnique(s, name, u),
                   lambda a, b: RenameConstraint(s, name, a, b))
        self.named(o.checks, n.checks, lambda c: AddCheck(s, name, c), lambda c: DropCheck(s, name, c),
                   lambda a, b: RenameConstraint(s, name, a, b))
        self.named(o.foreign_keys, n.foreign_keys, lambda f: AddForeignKey(s, name, f),
                   lambda f: DropForeignKey(s, name, f), lambda a, b: RenameConstraint(s, name, a, b))
        self.named(o.indexes, n.indexes, lambda i: CreateIndex(s, name, i), lambda i: DropIndex(s, name, i),
                   lambda a, b: RenameIndex(s, name, a, b))
        self.named(o.exclusions, n.exclusions, lambda x: AddExclusion(s, name, x),
                   lambda x: DropExclusion(s, name, x), lambda a, b: RenameConstraint(s, name, a, b))
        if o.comment != n.comment:
            self.out.append(SetTableComment(s, name, o.comment, n.comment))
        if (o.unlogged, o.options) != (n.unlogged, n.options):
            self.out.append(SetTableStorage(s, name, (o.unlogged, o.options), (n.unlogged, n.options)))
        if (o.row_security, o.force_row_security) != (n.row_security, n.force_row_security):
            self.out.append(SetRowSecurity(s, name, (o.row_security, o.force_row_security),
                                           (n.row_security, n.force_row_security)))

    def named(self, olds: Sequence[T], news: Sequence[T], add: Callable[[T], Change],
              drop: Callable[[T], Change], rename: Callable[[str, str], Change]) -> None:
        old_set, new_set = set(olds), set(news)
        gone = [x for x in olds if x not in new_set]
        came = [x for x in news if x not in old_set]
        for x in list(came):
            match = next((g for g in gone if _same_but_name(g, x)), None)
            if match is not None and getattr(match, "name", None) and getattr(x, "name", None):
                gone.remove(match)
                came.remove(x)
                self.out.append(rename(match.name, x.name))  # type: ignore[attr-defined]
        self.out += [drop(x) for x in gone]
        self.out += [add(x) for x in came]


def _same_but_name(a: Any, b: Any) -> bool:
    return type(a) is type(b) and replace(a, name=b.name) == b


def _tables_alike(a: Table, b: Table) -> bool:
    """Look-alike tables: at least half of the new table's columns exist in the old one, same types."""
    old = {(c.name, c.type) for c in a.columns}
    shared = sum(1 for c in b.columns if (c.name, c.type) in old)
    return shared * 2 >= len(b.columns) > 0


def _columns_alike(a: Column, b: Column) -> bool:
    return a.type == b.type


_WORD = re.compile(r'"(?:[^"]|"")+"|\'(?:[^\']|\'\')*\'|[A-Za-z_][A-Za-z0-9_$]*')


def _rename_identifiers(text: str, cmap: dict[str, str]) -> str:
    """Rewrite column references in an expression, leaving string literals alone."""

    def sub(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok.startswith("'"):
            return tok
        if tok.startswith('"'):
            inner = tok[1:-1].replace('""', '"')
            return '"' + cmap[inner].replace('"', '""') + '"' if inner in cmap else tok
        return cmap.get(tok, tok)

    return _WORD.sub(sub, text)


def _dependencies_first(keys: Iterable[tuple[str, str]],
                        deps: Mapping[tuple[str, str], Collection[tuple[str, str]]]) -> list[tuple[str, str]]:
    """``keys`` ordered so that each comes after those of ``keys`` it depends on (by name among equals)."""
    wanted = set(keys)
    out: list[tuple[str, str]] = []
    state: dict[tuple[str, str], int] = {}  # 1: being visited, 2: placed

    def visit(k: tuple[str, str]) -> None:
        if state.get(k):
            return  # placed, or a cycle (which the database itself would have refused)
        state[k] = 1
        for d in sorted(deps.get(k, ())):
            if d in wanted:
                visit(d)
        state[k] = 2
        out.append(k)

    for k in sorted(wanted):
        visit(k)
    return out


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


def _type_users(schema: Schema, key: tuple[str, str], *, collation: bool) -> list[str]:
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
    return _dependencies_first(keys, deps)


def _attributes_alterable(old: CompositeType, new: CompositeType) -> bool:
    """Whether ADD (at the end) / DROP / ALTER ATTRIBUTE reach ``new``: the attributes both keep stay in
    the same order, and every new one comes after them all."""
    kept_old = [a.name for a in old.attributes if any(b.name == a.name for b in new.attributes)]
    new_names = [a.name for a in new.attributes]
    return new_names[:len(kept_old)] == kept_old


# -- privileges ------------------------------------------------------------------------------

#: (object type, schema, name, arguments): what a Grant is on
_GrantObject = tuple[str, str, str, str | None]


def _privileges(old: Schema, new: Schema, changes: Sequence[Change], default_schema: str,
                table_renames: Mapping[tuple[str, str], str]) -> list[Change]:
    """GRANT and REVOKE changes, when both schemas hold privileges (the project opted in; see Schema.grants).

    An object that lives through the changes is compared grant by grant.  One that is created starts
    from what a CREATE gives (``DEFAULT_GRANTS``: EXECUTE for PUBLIC on a function), so a new function
    whose source revokes that gets a REVOKE, and a new table only its GRANTs.  One that is dropped takes
    its privileges with it: its REVOKEs are marked ``dropped`` and render nothing, and their inverses put
    the privileges back after the down section creates it again.  One dropped and created again (a view
    re-created because a view it reads changed, a function whose result type changes) is both: the
    privileges it had leave with the DROP and the ones it should have are granted after the CREATE.
    """
    if old.grants is None or new.grants is None:
        return []
    old_by = _grants_by_object(old.grants, table_renames)
    new_by = _grants_by_object(new.grants, {})
    old_objects = {("table", k[1], table_renames[(k[1], k[2])], None) if k[0] == "table" and (k[1], k[2])
                   in table_renames else k for k in grant_objects(old, default_schema)}
    new_objects = grant_objects(new, default_schema)
    made = {k for c in changes for k in _objects_of(c, "create")}
    gone = {k for c in changes for k in _objects_of(c, "drop")}
    recreated = made & gone
    functions = {k for k in old_objects | new_objects if k[0] == "function"}
    out: list[Change] = []
    for obj in sorted(old_by.keys() | new_by.keys() | functions, key=lambda k: (k[0], k[1], k[2], k[3] or "")):
        before = obj in old_objects or obj in old_by
        after = obj in new_objects or obj in new_by
        was, will = old_by.get(obj, {}), new_by.get(obj, {})
        default: dict[tuple[str, ...], Grant] = {g.key: g for g in _default_grants(obj)}
        if before and after and obj not in recreated:
            steps = [(was, will, False, False)]
        else:
            steps = ([(was, default, False, True)] if before else []) + ([(default, will, True, False)] if after else [])
        for a, b, created, dropped in steps:
            out += [RevokePrivilege(g, created, dropped) for k, g in a.items() if b.get(k) != g]
            out += [GrantPrivilege(g, created, dropped) for k, g in b.items() if a.get(k) != g]
    return out


def _grants_by_object(grants: Iterable[Grant], table_renames: Mapping[tuple[str, str], str]
                      ) -> dict[_GrantObject, dict[tuple[str, ...], Grant]]:
    """Grants grouped by their object; a renamed table's under its new name (RENAME keeps the grants)."""
    out: dict[_GrantObject, dict[tuple[str, ...], Grant]] = {}
    for g in grants:
        if g.object_type == "table" and (g.schema, g.name) in table_renames:
            g = replace(g, name=table_renames[(g.schema, g.name)])
        out.setdefault(g.object_key, {})[g.key] = g
    return out


def grant_objects(s: Schema, default_schema: str) -> set[_GrantObject]:
    """Every object of ``s`` that can hold privileges: schemas, tables, views, sequences (also those
    implied by serial and identity columns, named as PostgreSQL names them when the name fits), functions."""
    out: set[_GrantObject] = {("schema", n, n, None) for n in (*s.namespaces, default_schema)}
    out |= {("table", t.schema, t.name, None) for t in s.tables}
    out |= {("table", v.schema, v.name, None) for v in s.views}
    out |= {("sequence", q.schema, q.name, None) for q in s.sequences}
    out |= {("sequence", t.schema, f"{t.name}_{c.name}_seq", None) for t in s.tables for c in t.columns
            if c.serial or c.identity is not None}
    out |= {("function", f.schema, f.name, f.arguments) for f in s.functions}
    return out


def _objects_of(change: Change, verb: str) -> list[_GrantObject]:
    """The privilege-holding objects ``change`` creates (``verb`` "create") or drops ("drop")."""
    if isinstance(change, RecreateFunction):
        f = change.new if verb == "create" else change.old
        return [("function", f.schema, f.name, f.arguments)]
    if change.verb != verb:
        return []
    if isinstance(change, (CreateTable, DropTable)):
        t = change.table
        table: _GrantObject = ("table", t.schema, t.name, None)
        return [table] + [("sequence", t.schema, f"{t.name}_{c.name}_seq", None)
                          for c in t.columns if c.serial or c.identity is not None]
    if isinstance(change, (CreateView, DropView)):
        return [("table", change.view.schema, change.view.name, None)]
    if isinstance(change, (CreateSequence, DropSequence)):
        return [("sequence", change.sequence.schema, change.sequence.name, None)]
    if isinstance(change, (CreateFunction, DropFunction)):
        f = change.function
        return [("function", f.schema, f.name, f.arguments)]
    return []


def _default_grants(obj: _GrantObject) -> list[Grant]:
    kind, schema, name, arguments = obj
    return [Grant(kind, schema, name, grantee, privilege, arguments=arguments)  # type: ignore[arg-type]
            for grantee, privilege in DEFAULT_GRANTS.get(kind, ())]


def _parents_first(keys: list[tuple[str, str]], tables: Mapping[tuple[str, str], Table]) -> list[tuple[str, str]]:
    """``keys`` with every partition after its parent (and a sub-partition after its partition), else as given."""

    def depth(k: tuple[str, str]) -> int:
        n, seen = 0, {k}
        of = tables[k].partition_of
        while of is not None and (of.schema, of.table) in tables and (of.schema, of.table) not in seen:
            n += 1
            seen.add((of.schema, of.table))
            of = tables[(of.schema, of.table)].partition_of
        return n

    return sorted(keys, key=depth)


def _refuse_partitioning_changes(pairs: Sequence[tuple[Table, Table]]) -> None:
    """What PostgreSQL cannot alter on a table: its partition key, and whether it is a partition at all.

    Refused before any SQL is written, naming each table, with the way to do it by hand: a rebuild copies
    every row, which a generated migration should not do behind the user's back."""
    problems = []
    for o, n in pairs:
        if o.partition_by != n.partition_by:
            problems.append(f"{n.qualname}: the partition key changes ({o.partition_by or 'not partitioned'} -> "
                            f"{n.partition_by or 'not partitioned'}), which PostgreSQL cannot alter")
        elif (o.partition_of is None) != (n.partition_of is None):
            now = f"becomes a partition of {n.partition_of.qualname}" if n.partition_of else \
                f"stops being a partition of {o.partition_of.qualname if o.partition_of else ''}"
            problems.append(f"{n.qualname} {now}, which would re-create its columns")
    if problems:
        raise UnsafeChange(
            "; ".join(problems) + ". Nothing was written: create the new table under another name, copy the rows "
            "(INSERT ... SELECT) and swap the names in a custom migration (`safeshift generate --custom`), or "
            "ATTACH/DETACH it by hand.", tuple(p.split(":")[0].split(" ")[0] for p in problems))

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
    AddExclusion,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    AlterColumn,
    AlterEnum,
    AlterPolicy,
    AlterSequence,
    Change,
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
    DropCheck,
    DropColumn,
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
    MoveExtension,
    RecreateFunction,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameTable,
    ReplaceFunction,
    SetRowSecurity,
    SetTableComment,
    SetTableStorage,
    SetTriggerState,
)
from safeshift.model import Column, ForeignKey, Index, IndexElement, Schema, Table, View
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
    changes = _Differ(old, new, resolver, view_dependencies or _no_dependencies).run()
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
        self.extensions()
        self.functions()
        self.tables()
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
        todo = sorted(changed | blocking | (o.keys() - n.keys()))
        recreate = changed | blocking
        while todo:  # PostgreSQL refuses to drop a view another view reads: those go and come back too
            for reader in sorted(readers.get(todo.pop(), ())):
                if reader in n and reader not in recreate:
                    recreate.add(reader)
                    todo.append(reader)
        self.recreated_views = recreate - changed
        drops = _dependencies_first(recreate | (o.keys() - n.keys()), old_deps)
        self.out += [DropView(o[k]) for k in reversed(drops)]
        creates = _dependencies_first(recreate | (n.keys() - o.keys()), new_deps)
        self.out += [CreateView(n[k]) for k in creates]
        for k in sorted(o.keys() & n.keys() - recreate):
            if o[k].indexes != n[k].indexes:
                self.view_indexes(o[k], n[k])

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
        # resolve every column rename first: FKs of one table may point at renamed columns of another
        resolved = [(self.columns_of(o, n), o, n) for o, n in pairs]
        paired = {n.key for _, n in pairs}
        self.out += [CreateTable(new[k]) for k in added if k not in paired]
        for (col_changes, o, n) in resolved:
            self.out += col_changes
            self.table_objects(self.translate(o), n)
        for k in removed:
            if k not in taken:
                self.out.append(DropTable(old[k]))

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
        )

    # -- constraints, indexes, comment ------------------------------------------------------
    def table_objects(self, o: Table, n: Table) -> None:
        s, name = n.schema, n.name
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

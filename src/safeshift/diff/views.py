"""Views and materialized views: created after what they read, dropped before it, replaced in place
(``CREATE OR REPLACE``) when that works both ways, and dropped and created again around the changes
that a view reading them would block."""

from __future__ import annotations

from dataclasses import replace

from safeshift.changes import (
    AddColumn,
    AlterColumn,
    AlterEnum,
    CreateFunction,
    CreateIndex,
    CreateView,
    DropColumn,
    DropFunction,
    DropIndex,
    DropView,
    RecreateFunction,
    RenameColumn,
    RenameIndex,
    ReplaceView,
)
from safeshift.diff.base import DiffState, dependencies_first
from safeshift.model import (
    View,
)


class ViewsDiff(DiffState):
    """Views and materialized views, in dependency order; replaced in place when PostgreSQL allows it."""

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
        drops = dependencies_first(recreate | (o.keys() - n.keys()), old_deps)
        self.out += [DropView(o[k]) for k in reversed(drops)]
        creates = dependencies_first(recreate | replaced | (n.keys() - o.keys()), new_deps)
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

"""The code a schema holds and what guards its rows: extensions, functions and procedures (replaced in
place when the result type allows), triggers (with their enabled state) and policies."""

from __future__ import annotations

from safeshift.changes import (
    AddColumn,
    AlterColumn,
    AlterPolicy,
    Change,
    CreateExtension,
    CreateFunction,
    CreatePolicy,
    CreateTable,
    CreateTrigger,
    DropColumn,
    DropExtension,
    DropFunction,
    DropPolicy,
    DropTable,
    DropTrigger,
    MoveExtension,
    RecreateFunction,
    RenameColumn,
    RenameTable,
    ReplaceFunction,
    SetTriggerState,
)
from safeshift.diff.base import DiffState


class CodeDiff(DiffState):
    """Extensions, functions and procedures, triggers and row-level security policies."""

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

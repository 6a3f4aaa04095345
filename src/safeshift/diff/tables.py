"""Tables and everything on them.  A column or table rename must not look like drop + create: the
Resolver (renames.py) decides, and the old side is translated to the new names before constraints are
compared; a constraint or index that differs only by name becomes a cheap rename, not a rebuild."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from safeshift.changes import (
    AddCheck,
    AddColumn,
    AddExclusion,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    AlterColumn,
    AttachPartition,
    Change,
    CreateIndex,
    CreateTable,
    DetachPartition,
    DropCheck,
    DropColumn,
    DropExclusion,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropTable,
    DropUnique,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameTable,
    SetRowSecurity,
    SetTableComment,
    SetTableStorage,
)
from safeshift.diff.base import DiffState
from safeshift.errors import UnsafeChange
from safeshift.model import (
    Column,
    ForeignKey,
    Index,
    IndexElement,
    Table,
)


class TablesDiff(DiffState):
    """Tables: created, dropped or renamed (the Resolver decides look-alikes), their columns, and what
    hangs on them (keys, checks, foreign keys, indexes, exclusions, comment, storage, row security,
    partition bounds), compared after the old side is translated through the renames."""

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
        if renames:
            self.column_renames[(n.schema, n.name)] = renames
        # compared in the old table as the renames leave it (the dialect may ask which column is the key)
        moved = self.translate(o) if renames else o
        for i in reversed(range(len(out))):
            r = out[i]
            if isinstance(r, RenameColumn) and not self.same_column(
                    moved, was := replace(old_cols[r.old], name=r.new), n, new_cols[r.new]):
                out.insert(i + 1, AlterColumn(n.schema, n.name, was, new_cols[r.new]))
        for name, col in new_cols.items():
            if name in old_cols and old_cols[name] != col and not self.same_column(moved, old_cols[name], n, col):
                out.append(AlterColumn(n.schema, n.name, old_cols[name], col))
        out += [DropColumn(n.schema, n.name, old_cols[r]) for r in removed if r not in renames]
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
            if o.primary_key and n.primary_key and n.primary_key.name is None \
                    and replace(o.primary_key, name=None) == n.primary_key:
                pass  # the source leaves the key's name to the database: whatever it is called, it is this key
            elif o.primary_key and n.primary_key and o.primary_key.name and n.primary_key.name \
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


def _tables_alike(a: Table, b: Table) -> bool:
    """Look-alike tables: at least half of the new table's columns exist in the old one, same types; or two
    partitions of the same parent with the same bound (their columns are the parent's, so not listed)."""
    if a.partition_of is not None and a.partition_of == b.partition_of:
        return True
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

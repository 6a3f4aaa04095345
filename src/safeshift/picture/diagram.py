"""Two schemas -> the diagram model of the change: which tables to draw, which columns and keys changed.

The diagram is decided here once, so the Mermaid text and the SVG cannot disagree about what
changed.  A table is *changed* when the two schemas hold it differently (added, dropped, or any
difference at all: a column, a key, an index), *touched* when only the SQL names it (a migration
without a snapshot says which tables it writes, not how), and a *neighbour* when a foreign key
joins it to a changed or touched table in either schema: the tables whose rows or queries the
change can reach.  Neighbours show only their key columns, so the picture stays about the change.
A rename is seen as a drop and an add: the snapshots record no renames.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

from safeshift.model import Column, Schema, Table

Mark = Literal["added", "dropped", "changed", "same"]
Role = Literal["changed", "touched", "neighbour"]
TableKey = tuple[str, str]


@dataclass(frozen=True)
class Face:
    """A column as one schema holds it: what the picture shows of it."""

    type: str
    nullable: bool
    default: str | None
    #: a subset of ("PK", "FK", "UK"), in that order
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Attr:
    """One column of a drawn table, before and after (None: the column is not there)."""

    name: str
    before: Face | None
    after: Face | None

    @property
    def mark(self) -> Mark:
        if self.before is None:
            return "added"
        if self.after is None:
            return "dropped"
        return "same" if self.before == self.after else "changed"

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys the column has after the change (before it, for a dropped column)."""
        face = self.after or self.before
        return face.keys if face is not None else ()

    def notes(self) -> tuple[str, ...]:
        """What changed, one short phrase each: ``type integer → bigint``, ``NOT NULL``, ``+FK``."""
        b, a = self.before, self.after
        if b is None or a is None or b == a:
            return ()
        out: list[str] = []
        if b.type != a.type:
            out.append(f"type {b.type} → {a.type}")
        if b.nullable != a.nullable:
            out.append("nullable" if a.nullable else "NOT NULL")
        if b.default != a.default:
            out.append(f"default {b.default or 'none'} → {a.default or 'none'}")
        out += [f"+{k}" for k in a.keys if k not in b.keys] + [f"-{k}" for k in b.keys if k not in a.keys]
        return tuple(out)


@dataclass(frozen=True)
class Box:
    """One drawn table."""

    schema: str
    name: str
    role: Role
    #: the table as a whole: added, dropped, changed or the same
    mark: Mark
    attrs: tuple[Attr, ...]
    #: changes the columns do not show (an index, a check, a comment), one short phrase each
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> TableKey:
        return (self.schema, self.name)

    @property
    def qualname(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class Edge:
    """A foreign key between two drawn tables, from the referencing (child) table to the referenced one."""

    child: TableKey
    columns: tuple[str, ...]
    parent: TableKey
    ref_columns: tuple[str, ...]
    mark: Mark
    #: some referencing column is nullable: a child row may have no parent
    optional: bool


@dataclass(frozen=True)
class Diagram:
    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]
    #: the schema whose tables are labelled by their bare name
    default_schema: str

    def label(self, key: TableKey) -> str:
        schema, name = key
        return name if schema == self.default_schema else f"{schema}.{name}"

    @property
    def changed(self) -> tuple[Box, ...]:
        """The boxes of tables the change alters or its SQL names (not the neighbours)."""
        return tuple(b for b in self.boxes if b.role != "neighbour")


def build(before: Schema | None, after: Schema, *, default_schema: str,
          named: Collection[TableKey] = ()) -> Diagram:
    """The diagram of ``before`` -> ``after`` (``before`` None: an empty database), with the tables in
    ``named`` drawn as touched when the schemas show no difference for them."""
    old = {t.key: t for t in (before.tables if before is not None else ())}
    new = {t.key: t for t in after.tables}
    changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    touched = sorted(k for k in set(named) - set(changed) if k in old or k in new)
    centre = set(changed) | set(touched)
    fks = list(_foreign_keys(old.values())) + list(_foreign_keys(new.values()))
    neighbours = sorted(({p for c, _, p, _ in fks if c in centre} | {c for c, _, p, _ in fks if p in centre})
                        - centre)
    boxes = [_changed_box(k, old.get(k), new.get(k)) for k in changed]
    boxes += [_whole_box(k, old.get(k), new.get(k), "touched") for k in touched]
    boxes += [_neighbour_box(k, old.get(k), new.get(k), centre, fks) for k in neighbours]
    drawn = {b.key for b in boxes}
    return Diagram(tuple(boxes), _edges(old, new, drawn), default_schema)


# -- boxes ------------------------------------------------------------------------------------------

def _faces(t: Table | None) -> dict[str, Face]:
    if t is None:
        return {}
    return {c.name: _face(t, c) for c in t.columns}


def _face(t: Table, c: Column) -> Face:
    keys = []
    if t.primary_key is not None and c.name in t.primary_key.columns:
        keys.append("PK")
    if any(c.name in fk.columns for fk in t.foreign_keys):
        keys.append("FK")
    unique = [u.columns for u in t.uniques] + [
        tuple(e.value for e in i.elements) for i in t.indexes
        if i.unique and i.where is None and not any(e.is_expression for e in i.elements)]
    if any(c.name in cols for cols in unique):
        keys.append("UK")
    return Face(c.type, c.nullable, c.default, tuple(keys))


def _attrs(old: Table | None, new: Table | None, only: Collection[str] | None = None) -> tuple[Attr, ...]:
    """Columns in the order of the new table, each dropped one after the column it followed."""
    b, a = _faces(old), _faces(new)
    order = list(new.column_names() if new is not None else ())
    for i, name in enumerate(old.column_names() if old is not None else ()):
        if name not in a:
            prev = old.columns[i - 1].name if old is not None and i else None
            order.insert(order.index(prev) + 1 if prev in order else len(order), name)
    return tuple(Attr(n, b.get(n), a.get(n)) for n in order if only is None or n in only)


def _mark(old: Table | None, new: Table | None) -> Mark:
    if old is None:
        return "added"
    if new is None:
        return "dropped"
    return "same" if old == new else "changed"


def _changed_box(key: TableKey, old: Table | None, new: Table | None) -> Box:
    return Box(key[0], key[1], "changed", _mark(old, new), _attrs(old, new), _table_notes(old, new))


def _whole_box(key: TableKey, old: Table | None, new: Table | None, role: Role) -> Box:
    return Box(key[0], key[1], role, _mark(old, new), _attrs(old, new))


def _neighbour_box(key: TableKey, old: Table | None, new: Table | None, centre: Collection[TableKey],
                   fks: list[tuple[TableKey, tuple[str, ...], TableKey, tuple[str, ...]]]) -> Box:
    """Only the columns that join it to the change: its primary key and the columns of its joining keys."""
    keep: set[str] = set()
    for t in (old, new):
        if t is not None and t.primary_key is not None:
            keep.update(t.primary_key.columns)
    for c, cols, p, refs in fks:
        if c == key and p in centre:
            keep.update(cols)
        if p == key and c in centre:
            keep.update(refs)
    return Box(key[0], key[1], "neighbour", _mark(old, new), _attrs(old, new, keep))


def _table_notes(old: Table | None, new: Table | None) -> tuple[str, ...]:
    """What differs besides the columns and the keys they show: indexes, checks, named keys, comment."""
    if old is None or new is None:
        return ()
    out: list[str] = []
    for kind, b, a in (("index", {i.name: i for i in old.indexes}, {i.name: i for i in new.indexes}),
                       ("check", _named(old.checks), _named(new.checks)),
                       ("unique", _named(old.uniques), _named(new.uniques)),
                       ("foreign key", _named(old.foreign_keys), _named(new.foreign_keys))):
        out += [f"{kind} {n} added" for n in sorted(a.keys() - b.keys())]
        out += [f"{kind} {n} dropped" for n in sorted(b.keys() - a.keys())]
        out += [f"{kind} {n} changed" for n in sorted(a.keys() & b.keys()) if a[n] != b[n]]
    if old.primary_key != new.primary_key:
        out.append("primary key changed" if old.primary_key and new.primary_key
                   else "primary key added" if new.primary_key else "primary key dropped")
    if old.comment != new.comment:
        out.append("comment changed")
    rest = [f for f in ("row_security", "force_row_security", "unlogged", "options", "exclusions", "partition_by",
                        "partition_of") if getattr(old, f) != getattr(new, f)]
    out += [f"{f.replace('_', ' ')} changed" for f in rest]
    return tuple(out)


def _named(items: Iterable[object]) -> dict[str, object]:
    """Constraints by name; one without a name by its position among its kind (stable within a schema)."""
    return {str(getattr(x, "name", None) or f"#{i + 1}"): x for i, x in enumerate(items)}


# -- edges ------------------------------------------------------------------------------------------

def _foreign_keys(tables: Iterable[Table]) -> Iterable[tuple[TableKey, tuple[str, ...], TableKey, tuple[str, ...]]]:
    for t in tables:
        for fk in t.foreign_keys:
            yield (t.key, fk.columns, (fk.ref_schema, fk.ref_table), fk.ref_columns)


def _edges(old: dict[TableKey, Table], new: dict[TableKey, Table], drawn: Collection[TableKey]) -> tuple[Edge, ...]:
    b = set(_foreign_keys(old.values()))
    a = set(_foreign_keys(new.values()))
    out = []
    for fk in sorted(a | b):
        child, cols, parent, refs = fk
        if child not in drawn or parent not in drawn:
            continue
        mark: Mark = "same" if fk in a and fk in b else "added" if fk in a else "dropped"
        table = new.get(child) if fk in a else old.get(child)
        optional = table is not None and any((c := table.column(n)) is not None and c.nullable for n in cols)
        out.append(Edge(child, cols, parent, refs, mark, optional))
    return tuple(out)

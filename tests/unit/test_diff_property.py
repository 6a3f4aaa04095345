"""Properties of the diff (and PostgreSQL rendering) over random canonical schemas; no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeshift import changes as ch
from safeshift import model
from safeshift.diff import diff
from safeshift.model import (
    Check,
    Column,
    Enum,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    Schema,
    Table,
    Unique,
    make_schema,
)

TABLES = ("users", "posts", "tags", "orders", "items", "events")
COLUMNS = ("id", "name", "email", "age", "created_at", "score", "note", "code", "active")
#: canonical PostgreSQL spellings, with a default in that spelling for each
TYPES: dict[str, str] = {
    "integer": "0",
    "bigint": "1",
    "smallint": "2",
    "text": "'x'::text",
    "character varying(50)": "'y'::character varying",
    "boolean": "false",
    "numeric(10,2)": "0.00",
    "timestamp without time zone": "now()",
    "timestamp with time zone": "CURRENT_TIMESTAMP",
    "date": "CURRENT_DATE",
    "uuid": "gen_random_uuid()",
    "jsonb": "'{}'::jsonb",
    "integer[]": "'{}'::integer[]",
    "mood": "'happy'::mood",
}
INTEGERS = ("integer", "bigint", "smallint")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class NeverRename:
    def choose(self, kind: str, container: str, added: str, candidates: Sequence[str]) -> None:
        return None


@st.composite
def columns(draw: st.DrawFn) -> tuple[Column, ...]:
    names = draw(st.lists(st.sampled_from(COLUMNS[1:]), unique=True, max_size=5))
    out = [Column("id", draw(st.sampled_from(INTEGERS)), nullable=False, serial=draw(st.booleans()))]
    for n in names:
        typ = draw(st.sampled_from(sorted(TYPES)))
        out.append(Column(n, typ, nullable=draw(st.booleans()),
                          default=TYPES[typ] if draw(st.booleans()) else None,
                          comment=draw(st.sampled_from((None, "a note", "it's quoted")))))
    return tuple(out)


@st.composite
def table(draw: st.DrawFn, name: str, earlier: Sequence[Table]) -> Table:
    cols = draw(columns())
    pk = PrimaryKey(f"{name}_pkey", ("id",)) if draw(st.booleans()) else None
    others = [c for c in cols if c.name != "id"]
    uniques: list[Unique] = []
    indexes: list[Index] = []
    checks: list[Check] = []
    fks: list[ForeignKey] = []
    for c in others:
        what = draw(st.sampled_from(("none", "none", "unique", "index", "desc", "expr", "check", "fk")))
        if what == "unique":
            uniques.append(Unique(f"{name}_{c.name}_key", (c.name,), nulls_not_distinct=draw(st.booleans())))
        elif what == "index":
            indexes.append(Index(f"ix_{name}_{c.name}", (IndexElement(c.name),), unique=draw(st.booleans()),
                                 where=f"({c.name} IS NOT NULL)" if draw(st.booleans()) else None))
        elif what == "desc":
            indexes.append(Index(f"ix_{name}_{c.name}_desc", (IndexElement(c.name, descending=True),)))
        elif what == "expr" and c.type == "text":
            indexes.append(Index(f"ix_{name}_lower_{c.name}", (IndexElement(f"lower({c.name})", True),)))
        elif what == "check" and c.type in INTEGERS:
            checks.append(Check(f"{name}_{c.name}_check", f"({c.name} > 0)"))
        elif what == "fk" and earlier and c.type in INTEGERS:
            parent = draw(st.sampled_from(earlier))
            if parent.primary_key is None:
                continue
            action: model.FkAction = draw(st.sampled_from(("NO ACTION", "CASCADE", "SET NULL", "RESTRICT")))
            fks.append(ForeignKey(f"{name}_{c.name}_fkey", (c.name,), parent.schema, parent.name, ("id",),
                                  on_delete=action, deferrable=draw(st.booleans())))
    return Table("public", name, cols, pk, tuple(uniques), tuple(checks), tuple(fks), tuple(indexes),
                 comment=draw(st.sampled_from((None, "the table"))))


@st.composite
def schemas(draw: st.DrawFn) -> Schema:
    names = draw(st.lists(st.sampled_from(TABLES), unique=True, max_size=4))
    tables: list[Table] = []
    for n in names:
        tables.append(draw(table(n, tables)))
    enums = [Enum("public", "mood", tuple(draw(st.lists(st.sampled_from(("happy", "sad", "meh", "ok")),
                                                        unique=True, min_size=1))))]
    seqs = [model.Sequence("public", "order_no", start=draw(st.sampled_from((None, 100))))] if draw(st.booleans()) else []
    spaces = ["reporting"] if draw(st.booleans()) else []
    return make_schema("postgresql", namespaces=spaces, tables=tables, enums=enums, sequences=seqs)


def _drop_dangling(tables: list[Table]) -> list[Table]:
    keys = {t.key for t in tables}
    return [replace(t, foreign_keys=tuple(f for f in t.foreign_keys if (f.ref_schema, f.ref_table) in keys))
            for t in tables]


@st.composite
def mutated(draw: st.DrawFn, s: Schema) -> Schema:
    """A plausible next version of ``s``: a few table- and column-level edits."""
    tables = list(s.tables)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(("add_table", "drop_table", "edit", "edit", "edit")))
        free = [n for n in TABLES if n not in {t.name for t in tables}]
        if op == "add_table" and free:
            tables.append(draw(table(draw(st.sampled_from(free)), tables)))
        elif op == "drop_table" and tables:
            tables.pop(draw(st.integers(0, len(tables) - 1)))
        elif tables:
            i = draw(st.integers(0, len(tables) - 1))
            tables[i] = draw(edited(tables[i]))
    tables = _drop_dangling(tables)
    enums = s.enums
    if draw(st.booleans()):
        enums = tuple(replace(e, values=(*e.values, "new")) if "new" not in e.values else e for e in enums)
    return make_schema("postgresql", namespaces=s.namespaces, tables=tables, enums=enums, sequences=s.sequences)


@st.composite
def edited(draw: st.DrawFn, t: Table) -> Table:
    op = draw(st.sampled_from(("add_col", "drop_col", "type", "null", "default", "index", "unique",
                               "comment", "rename_index")))
    cols = list(t.columns)
    rest = [c for c in cols if c.name != "id"]
    if op == "add_col":
        free = [n for n in COLUMNS if t.column(n) is None]
        if free:
            cols.append(Column(draw(st.sampled_from(free)), draw(st.sampled_from(sorted(TYPES)))))
    elif op == "drop_col" and rest:
        gone = draw(st.sampled_from(rest)).name
        return _without_column(t, gone)
    elif op in ("type", "null", "default") and rest:
        c = draw(st.sampled_from(rest))
        j = cols.index(c)
        if op == "type":
            cols[j] = replace(c, type=draw(st.sampled_from(sorted(TYPES))), default=None)
        elif op == "null":
            cols[j] = replace(c, nullable=not c.nullable)
        else:
            cols[j] = replace(c, default=None if c.default else TYPES[c.type])
    elif op == "index" and rest:
        c = draw(st.sampled_from(rest))
        name = f"ix_{t.name}_{c.name}_2"
        if all(i.name != name for i in t.indexes):
            return replace(t, indexes=(*t.indexes, Index(name, (IndexElement(c.name),))))
        return replace(t, indexes=tuple(i for i in t.indexes if i.name != name))
    elif op == "unique" and rest:
        c = draw(st.sampled_from(rest))
        name = f"{t.name}_{c.name}_key"
        if any(u.name == name for u in t.uniques):
            return replace(t, uniques=tuple(u for u in t.uniques if u.name != name))
        return replace(t, uniques=(*t.uniques, Unique(name, (c.name,))))
    elif op == "comment":
        return replace(t, comment=None if t.comment else "changed")
    elif op == "rename_index" and t.indexes:
        first = t.indexes[0]
        return replace(t, indexes=(replace(first, name=first.name + "_r"), *t.indexes[1:]))
    return replace(t, columns=tuple(cols))


def _without_column(t: Table, gone: str) -> Table:
    def keeps(cols: Sequence[str]) -> bool:
        return gone not in cols

    return replace(
        t,
        columns=tuple(c for c in t.columns if c.name != gone),
        uniques=tuple(u for u in t.uniques if keeps(u.columns)),
        checks=tuple(c for c in t.checks if gone not in c.expression),
        foreign_keys=tuple(f for f in t.foreign_keys if keeps(f.columns)),
        indexes=tuple(i for i in t.indexes if all(gone not in e.value for e in i.elements)
                      and not (i.where and gone in i.where)),
    )


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Schema, Schema]:
    a = draw(schemas())
    b = draw(st.one_of(mutated(a), schemas()))
    return a, b


@SETTINGS
@given(schemas())
def test_a_schema_has_no_diff_with_itself(a: Schema) -> None:
    assert diff(a, a) == []


@SETTINGS
@given(pairs())
def test_inverse_of_inverse_is_the_change(pair: tuple[Schema, Schema]) -> None:
    a, b = pair
    for c in diff(a, b, questioner=NeverRename()):
        assert c.inverse().inverse() == c


@SETTINGS
@given(pairs())
def test_no_identical_table_is_both_dropped_and_created(pair: tuple[Schema, Schema]) -> None:
    a, b = pair
    out = diff(a, b, questioner=NeverRename())
    created = [c.table for c in out if isinstance(c, ch.CreateTable)]
    dropped = [c.table for c in out if isinstance(c, ch.DropTable)]
    assert not [t for t in created if t in dropped]


@SETTINGS
@given(pairs())
def test_without_renames_created_and_dropped_tables_are_the_key_differences(pair: tuple[Schema, Schema]) -> None:
    a, b = pair
    out = diff(a, b, questioner=NeverRename())
    created = {c.table.key for c in out if isinstance(c, ch.CreateTable)}
    dropped = {c.table.key for c in out if isinstance(c, ch.DropTable)}
    old, new = {t.key for t in a.tables}, {t.key for t in b.tables}
    assert created == new - old
    assert dropped == old - new
    assert not [c for c in out if isinstance(c, ch.RenameTable | ch.RenameColumn)]


@SETTINGS
@given(pairs())
def test_diff_then_reverse_diff_are_inverse_sets(pair: tuple[Schema, Schema]) -> None:
    """Going back is undoing: the kinds of diff(b, a) mirror those of diff(a, b)."""
    a, b = pair
    forward = diff(a, b, questioner=NeverRename())
    backward = diff(b, a, questioner=NeverRename())
    assert len(forward) == len(backward)


@SETTINGS
@given(pairs())
def test_postgres_render_never_raises_and_terminates_statements(pair: tuple[Schema, Schema]) -> None:
    from safeshift.dialects import get_dialect
    from safeshift.plan import render

    a, b = pair
    dialect = get_dialect("postgresql")
    sections = render(diff(a, b, questioner=NeverRename()), a, b, dialect)
    for st_ in (*sections.up, *sections.down):
        assert st_.sql.rstrip().endswith(";"), st_.sql

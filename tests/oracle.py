"""The oracle: create A, seed it, migrate to B and back, and check the database agrees each time.

Every claim is checked against a real server: after each step the live database is
introspected and compared with the schema we meant to reach, rows are compared by value,
and the introspected result must diff to nothing against the source ("no false diffs").
Failures show the diff between what is and what should be (kinds and targets) and the
SQL that ran, not a wall of reprs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from safeshift.changes import Change
from safeshift.dialects import dialect_for_url
from safeshift.dialects.base import Dialect, Statement
from safeshift.diff import diff
from safeshift.diff.names import named_like
from safeshift.engines import engine_for
from safeshift.errors import UnsafeChange
from safeshift.model import Column, Schema, Table, View, make_schema
from safeshift.plan import render
from safeshift.renames import RenameHints
from safeshift.runner import run_statements

PG = ("pg15", "pg18")
ALL = ("pg15", "pg18", "sqlite")

Row = Mapping[str, object]
Seed = Mapping[str, Sequence[Row]]

#: statements whose result must be empty after every step, per dialect (referential integrity)
_INTEGRITY = {"sqlite": "PRAGMA foreign_key_check"}


@dataclass(frozen=True)
class Scenario:
    """One declarative change: metadata before and after, how names map, and what data may be lost.

    Names in renames, ``seed`` and ``lossy`` are unqualified and live in the dialect's default
    schema; a name may be ``schema.table`` to point elsewhere.
    """

    name: str
    a: Callable[[], sa.MetaData]
    b: Callable[[], sa.MetaData]
    #: old table -> new table
    table_renames: Mapping[str, str] = field(default_factory=dict)
    #: (old table, old column) -> new column
    column_renames: Mapping[tuple[str, str], str] = field(default_factory=dict)
    #: "table" or "table.column" answered "no, this is really dropped"
    dropped: tuple[str, ...] = ()
    backends: tuple[str, ...] = ALL
    #: explicit rows per table of A (table name -> rows); other tables get generated rows
    seed: Seed = field(default_factory=dict)
    #: "table.column" (A names) whose values the change may alter
    lossy: frozenset[str] = frozenset()
    #: (name, SELECT text) views added to B; their canonical text comes from a round trip
    views: tuple[tuple[str, str], ...] = ()
    #: delete every row before down: the inverse re-adds something filled rows cannot satisfy
    #: (a NOT NULL unique column, a primary key column, an FK onto values that are gone)
    empty_before_down: bool = False
    #: backend -> reason: known failures of modules under test, kept strict
    xfail: Mapping[str, str] = field(default_factory=dict)


# -- entry points ----------------------------------------------------------------------------

def run_scenario(s: Scenario, url: str, *, safe: bool = False) -> None:
    dialect = dialect_for_url(url)
    a = schema_from(s.a(), dialect)
    b = schema_from(s.b(), dialect)
    run_oracle(url, a, b, hints=hints_for(s, dialect), seed=s.seed, lossy=s.lossy, views=s.views,
               empty_before_down=s.empty_before_down, safe=safe)


def schema_from(md: sa.MetaData, dialect: Dialect) -> Schema:
    from safeshift.sources.sqlalchemy import schema_from_metadata

    return schema_from_metadata(md, dialect)


def _split(name: str, default: str) -> tuple[str, str]:
    schema, _, table = name.rpartition(".")
    return (schema or default, table)


def hints_for(s: Scenario, dialect: Dialect) -> RenameHints:
    d = dialect.default_schema
    tables = {_split(old, d): new for old, new in s.table_renames.items()}
    columns = {(*_split(t, d), old): new for (t, old), new in s.column_renames.items()}
    dropped: set[tuple[str, ...]] = set()
    for item in s.dropped:
        parts = item.split(".")
        if len(parts) == 1:
            dropped.add(("table", d, parts[0]))
        else:
            dropped.add(("column", d, parts[-2], parts[-1]))
    return RenameHints(tables, columns, frozenset(dropped))


def run_oracle(url: str, a: Schema, b: Schema, *, hints: RenameHints | None = None, seed: Seed | None = None,
               lossy: frozenset[str] = frozenset(), views: Sequence[tuple[str, str]] = (),
               empty_before_down: bool = False, safe: bool = False) -> None:
    """Steps 2-6 of the oracle on the (empty) database behind ``url``.

    ``safe`` renders the change in its lock-safe form (with expand sequences) against the
    seeded tables; a change that has no safe form must be refused by name instead.
    """
    dialect = dialect_for_url(url)
    empty = make_schema(dialect.name)
    conn = engine_for(dialect).connect(url)
    try:
        log = _Log()
        if views:
            b = _with_views(log, dialect, conn, b, views)
        create = render(diff(empty, a), empty, a, dialect)
        log.run("create A", dialect, conn, create.up)
        _expect(log, dialect, conn, a, "after creating A")

        seed = dict(seed or {})
        _seed(log, dialect, conn, a, seed)
        before = _snapshot(dialect, conn, a)

        changes = diff(a, b, hints)
        log.changes = changes
        try:
            sections = render(changes, a, b, dialect, safe=safe, expand=safe)
        except UnsafeChange as refused:
            assert safe and refused.targets, log.fail(f"unexpected refusal: {refused}")
            assert all(t in refused.message for t in refused.targets)
            return
        log.run("up", dialect, conn, sections.up)
        _expect(log, dialect, conn, b, "after up")
        got_b = engine_for(dialect).introspect(conn)
        false = diff(got_b, b, questioner=_NeverRename())
        assert false == [], log.fail(f"false diffs after up: {_describe(false)}")
        _check_rows(log, dialect, conn, a, b, before, hints or RenameHints(), lossy, "after up")

        if empty_before_down:
            log.run("empty", dialect, conn, [Statement(f"DELETE FROM {dialect.qualify(t.schema, t.name)}")
                                             for t in reversed(_parents_first(b))])
        log.run("down", dialect, conn, sections.down)
        _expect(log, dialect, conn, a, "after down")
        if not empty_before_down:
                _check_rows(log, dialect, conn, a, a, before, RenameHints(), lossy | _gone_in(a, b, hints),
                        "after down")
    finally:
        conn.close()


# -- failure reporting -----------------------------------------------------------------------

class _NeverRename:
    """Answers every rename question with "no": a mismatch must show up, never raise."""

    def choose(self, kind: str, container: str, added: str, candidates: Sequence[str]) -> None:
        return None


@dataclass
class _Log:
    ran: list[tuple[str, list[Statement]]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def run(self, label: str, dialect: Dialect, conn: Any, statements: list[Statement]) -> None:
        self.ran.append((label, statements))
        try:
            run_statements(dialect, conn, statements)
        except Exception as exc:
            raise AssertionError(self.fail(f"{label} failed: {type(exc).__name__}: {exc}")) from exc

    def fail(self, message: str) -> str:
        lines = [message, f"changes: {_describe(self.changes)}"]
        for label, sts in self.ran:
            lines.append(f"-- {label}:")
            lines += [f"   {st.sql}" for st in sts]
        return "\n".join(lines)


def _describe(changes: Sequence[Change]) -> str:
    return ", ".join(f"{c.kind}({c.target})" for c in changes) or "none"


def _expect(log: _Log, dialect: Dialect, conn: Any, want: Schema, when: str) -> None:
    got = engine_for(dialect).introspect(conn)
    want = named_like(want, got)
    if _unordered(got) == _unordered(want):
        return
    delta = diff(got, want, questioner=_NeverRename())
    detail = _describe(delta)
    if not delta:  # equal for the diff but not for ==: show the differing fields
        detail = "no diff, but schemas differ: " + _field_delta(got, want)
    else:
        detail += "; " + _field_delta(got, want)
    raise AssertionError(log.fail(f"introspected schema {when} differs from the expected one: {detail}"))


def _unordered(s: Schema) -> Schema:
    """The schema with each table's columns sorted by name.

    ALTER TABLE ADD COLUMN appends, so after up/down a column can sit at another ordinal
    than the source declares; the diff rightly ignores that, and so does the oracle.
    """
    return replace(s, tables=tuple(replace(t, columns=tuple(sorted(t.columns, key=lambda c: c.name)))
                                   for t in s.tables))


def _field_delta(got: Schema, want: Schema) -> str:
    """The first few differing objects, side by side, for a readable failure."""
    out: list[str] = []
    for attr in ("namespaces", "enums", "sequences", "views"):
        if getattr(got, attr) != getattr(want, attr):
            out.append(f"{attr}: got {getattr(got, attr)!r} want {getattr(want, attr)!r}")
    g = {t.key: t for t in got.tables}
    w = {t.key: t for t in want.tables}
    for key in sorted(set(g) | set(w)):
        gt, wt = g.get(key), w.get(key)
        if gt is None or wt is None:
            out.append(f"table {key}: got {'present' if gt else 'missing'}, want {'present' if wt else 'missing'}")
            continue
        for f in ("columns", "primary_key", "uniques", "checks", "foreign_keys", "indexes", "comment"):
            gv, wv = getattr(gt, f), getattr(wt, f)
            if gv != wv:
                if f == "columns":
                    pairs = [(x, y) for x, y in zip(gv, wv, strict=False) if x != y]
                    if len(gv) != len(wv):
                        pairs.append((gv, wv))
                    out.append(f"{key[1]}.columns: " + "; ".join(f"got {x!r} want {y!r}" for x, y in pairs[:3]))
                else:
                    out.append(f"{key[1]}.{f}: got {gv!r} want {wv!r}")
    return " | ".join(out[:6])


# -- views -----------------------------------------------------------------------------------

def _with_views(log: _Log, dialect: Dialect, conn: Any, b: Schema, views: Sequence[tuple[str, str]]) -> Schema:
    """B plus the views, spelled exactly as the database reports them.

    On the empty database: create B, the views by hand, read them back, then drop it all again.
    """
    d = dialect.default_schema
    empty = make_schema(dialect.name)
    log.run("views: create B", dialect, conn, render(diff(empty, b), empty, b, dialect).up)
    log.run("views: create", dialect, conn,
            [Statement(f"CREATE VIEW {dialect.qualify(d, n)} AS {sql}") for n, sql in views])
    got = {v.name: v for v in engine_for(dialect).introspect(conn).views}
    log.run("views: drop", dialect, conn, [Statement(f"DROP VIEW {dialect.qualify(d, n)}") for n, _ in views])
    log.run("views: drop B", dialect, conn, render(diff(b, empty), b, empty, dialect).up)
    log.ran.clear()
    missing = [n for n, _ in views if n not in got]
    assert not missing, f"views {missing} were created but introspection does not report them"
    made: list[View] = [got[n] for n, _ in views]
    return make_schema(b.dialect, namespaces=b.namespaces, tables=b.tables, enums=b.enums,
                       sequences=b.sequences, views=(*b.views, *made))


# -- seeding ---------------------------------------------------------------------------------

def _seed(log: _Log, dialect: Dialect, conn: Any, a: Schema, seed: dict[str, Sequence[Row]]) -> None:
    enums = {e.name: e.values for e in a.enums} | {f"{e.schema}.{e.name}": e.values for e in a.enums}
    made: dict[tuple[str, str], list[dict[str, object]]] = {}
    statements: list[Statement] = []
    for t in _parents_first(a):
        explicit = seed.get(t.name) if t.schema == dialect.default_schema else None
        explicit = seed.get(t.qualname, explicit)
        rows = [dict(r) for r in explicit] if explicit is not None else _rows(t, a, made, enums)
        made[t.key] = rows
        for r in rows:
            cols = ", ".join(dialect.quote(c) for c in r)
            vals = ", ".join(_literal(dialect, v) for v in r.values())
            statements.append(Statement(f"INSERT INTO {dialect.qualify(t.schema, t.name)} ({cols}) VALUES ({vals})"))
    log.run("seed", dialect, conn, statements)


def _parents_first(s: Schema) -> list[Table]:
    done: list[Table] = []
    seen: set[tuple[str, str]] = set()

    def visit(t: Table, stack: set[tuple[str, str]]) -> None:
        if t.key in seen or t.key in stack:
            return
        for fk in t.foreign_keys:
            parent = s.table(fk.ref_schema, fk.ref_table)
            if parent is not None and parent.key != t.key:
                visit(parent, stack | {t.key})
        seen.add(t.key)
        done.append(t)

    for t in s.tables:
        visit(t, set())
    return done


ROWS = 3


def _rows(t: Table, s: Schema, made: Mapping[tuple[str, str], list[dict[str, object]]],
          enums: Mapping[str, tuple[str, ...]]) -> list[dict[str, object]]:
    fk_source: dict[str, tuple[tuple[str, str], str]] = {}
    for fk in t.foreign_keys:
        for src, rc in zip(fk.columns, fk.ref_columns, strict=True):
            fk_source[src] = ((fk.ref_schema, fk.ref_table), rc)
    rows: list[dict[str, object]] = []
    for i in range(ROWS):
        row: dict[str, object] = {}
        for c in t.columns:
            if c.generated is not None or (c.identity is not None and c.identity.always):
                continue
            if c.name in fk_source:
                parent_key, rc = fk_source[c.name]
                if parent_key == t.key:
                    row[c.name] = row.get(rc, value_for(t.column(rc) or c, i, enums))
                elif made.get(parent_key):
                    parent_rows = made[parent_key]
                    row[c.name] = parent_rows[i % len(parent_rows)].get(rc, i + 1)  # absent: identity
                else:  # a cycle: the parent is seeded later
                    row[c.name] = None
                continue
            row[c.name] = value_for(c, i, enums)
        rows.append(row)
    return rows


_LEN = re.compile(r"\((\d+)")


def value_for(c: Column, i: int, enums: Mapping[str, tuple[str, ...]]) -> object:
    """A value of the column's type, distinct per row ``i``, short enough for any length limit."""
    t = c.type.lower()
    if c.type in enums:
        return enums[c.type][0]
    if t.endswith("[]"):
        inner = value_for(replace(c, type=c.type[:-2]), i, enums)
        return "{" + json.dumps(str(inner)) + "}"
    if t == "interval":
        return f"{i + 1} days"
    if "int" in t or "serial" in t:
        return i + 1
    if t.startswith(("numeric", "decimal", "real", "double", "float")):
        return Decimal(f"{i + 1}.25")
    if t.startswith("bool"):
        return i % 2 == 0
    if t.startswith("timestamp") or t == "datetime":
        return f"2024-01-0{i + 1} 10:00:00"
    if t == "date":
        return f"2024-01-0{i + 1}"
    if t.startswith("time"):
        return f"10:0{i}:00"
    if t == "uuid":
        return f"00000000-0000-0000-0000-{i + 1:012d}"
    if t.startswith("json"):
        return json.dumps({"k": i, "tag": f"t{i}"})
    m = _LEN.search(t)
    if m and ("char" in t or "text" in t or "clob" in t):
        n = int(m.group(1))
        text = f"{c.name}{i}"
        return text if len(text) <= n else text[-n:] if n > len(str(i)) else str(i)[-n:]
    if "char" in t or "text" in t or "clob" in t or t in ("", "name", "citext"):
        return f"{c.name} {i}"
    if c.nullable:
        return None
    raise AssertionError(f"the oracle cannot make a value for column {c.name} of type {c.type}; seed it")


def _literal(dialect: Dialect, v: object) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | float | Decimal):
        return str(v)
    return dialect.literal(str(v))


# -- row comparison --------------------------------------------------------------------------

Snapshot = dict[tuple[str, str], list[dict[str, str]]]


def _snapshot(dialect: Dialect, conn: Any, s: Schema) -> Snapshot:
    return {t.key: _select(dialect, conn, t.schema, t.name, t.column_names()) for t in s.tables}


def _select(dialect: Dialect, conn: Any, schema: str, table: str, cols: Sequence[str]) -> list[dict[str, str]]:
    if not cols:
        return []
    sql = f"SELECT {', '.join(dialect.quote(c) for c in cols)} FROM {dialect.qualify(schema, table)}"
    return [dict(zip(cols, (_norm(v) for v in r), strict=True)) for r in conn.execute(sql).fetchall()]


def _norm(v: object) -> str:
    """One spelling per value, so a widened or cast column compares equal to its old self."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int | float | Decimal):
        return _num(str(v))
    if isinstance(v, dict | list):
        return json.dumps(v, sort_keys=True)
    if isinstance(v, datetime | date | time):
        return v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat()
    if isinstance(v, str):
        try:
            parsed = json.loads(v)
        except ValueError:
            return _num(v)
        if isinstance(parsed, dict | list):
            return json.dumps(parsed, sort_keys=True)
        return _num(v)
    return str(v)


def _num(text: str) -> str:
    try:
        d = Decimal(text.strip())
    except InvalidOperation:
        return text
    if not d.is_finite():
        return text
    return format(d.normalize(), "f")


def _gone_in(a: Schema, b: Schema, hints: RenameHints | None) -> frozenset[str]:
    """Columns of A that did not survive into B: after down they are back but empty."""
    out: set[str] = set()
    tmap, cmap = _maps(hints or RenameHints())
    for t in a.tables:
        new_name = tmap.get(t.key, t.name)
        bt = b.table(t.schema, new_name)
        for c in t.columns:
            target = cmap.get((t.schema, t.name, c.name), cmap.get((t.schema, new_name, c.name), c.name))
            if bt is None or bt.column(target) is None:
                out.add(f"{t.qualname}.{c.name}")
    return frozenset(out)


def _maps(h: RenameHints) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str, str], str]]:
    return dict(h.tables), dict(h.columns)


def _check_rows(log: _Log, dialect: Dialect, conn: Any, a: Schema, target: Schema, before: Snapshot,
                hints: RenameHints, lossy: frozenset[str], when: str) -> None:
    """Every surviving column of every surviving table of A holds the values it held before."""
    tmap, cmap = _maps(hints)
    d = dialect.default_schema
    skip = {x if x.count(".") >= 2 else f"{d}.{x}" for x in lossy}
    for t in a.tables:
        new_name = tmap.get(t.key, t.name)
        nt = target.table(t.schema, new_name)
        if nt is None:
            continue
        pairs: list[tuple[str, str]] = []
        for c in t.columns:
            if f"{t.qualname}.{c.name}" in skip:
                continue
            new_col = cmap.get((t.schema, t.name, c.name), cmap.get((t.schema, new_name, c.name), c.name))
            if nt.column(new_col) is not None:
                pairs.append((c.name, new_col))
        if not pairs:
            continue
        want = sorted(tuple(r[o] for o, _ in pairs) for r in before[t.key])
        rows = _select(dialect, conn, t.schema, new_name, [n for _, n in pairs])
        got = sorted(tuple(r[n] for _, n in pairs) for r in rows)
        assert got == want, log.fail(
            f"rows of {t.qualname} {when} differ in columns {[p[0] for p in pairs]}: got {got} want {want}")
    check = _INTEGRITY.get(dialect.name)
    if check:
        bad = conn.execute(check).fetchall()
        assert not bad, log.fail(f"{check} {when} reports {bad}")

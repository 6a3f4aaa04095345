"""Property: a drizzle down file never drops an object its migration did not create, whatever branches were
merged and however the merge was patched up afterwards.

Folders are built at the snapshot level (no Node, for speed) the way drizzle-kit builds them: a linear base,
two branches forked from its last snapshot (each snapshot's prevId naming its branch predecessor), their journal
entries interleaved as a merge leaves them, then either nothing more, or one more migration generated from the
merged schema (its snapshot holds both branches; its SQL only what is new, the user having deleted drizzle-kit's
re-creations), possibly after pointing one branch's first snapshot at the other branch (the fix drizzle-kit's
collision error asks for).  Each migration creates tables and columns, and may drop or rename a column it
created before on its own branch.  For every migration, every DROP TABLE and DROP COLUMN of its down file must
name something its own SQL created; and a merge left as it is must be fully reversible.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pglast import ast, parse_sql
from pglast.enums import AlterTableType, ObjectType

from safeshift.formats import drizzle
from tests.drizzle._kit import write_folder

ROOT = "00000000-0000-0000-0000-000000000000"
State = dict[str, list[str]]


@dataclass
class Mig:
    name: str
    sql: list[str]
    state: State
    id: str
    prev: str
    #: ("table", t) and ("column", t, c) this migration's SQL creates
    creates: set[tuple[str, ...]] = field(default_factory=set)


class Names:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"


def _migration(data: st.DataObject, names: Names, state: State, prev: str, mine: set[tuple[str, ...]],
               label: str) -> Mig:
    """One generated migration on top of ``state``; ``mine``: the columns (table, column) its branch created,
    which alone it may drop or rename (a branch never touches what the other one may use)."""
    new = {t: list(cols) for t, cols in state.items()}
    sql: list[str] = []
    creates: set[tuple[str, ...]] = set()
    for _ in range(data.draw(st.integers(0, 2), label="new tables")):
        t = names("t")
        new[t] = ["id"]
        sql.append(f'CREATE TABLE "{t}" (\n\t"id" integer\n);')
        creates.add(("table", t))
    for t in data.draw(st.lists(st.sampled_from(sorted(state)), max_size=2), label="grown") if state else []:
        c = names("c")
        new[t].append(c)
        sql.append(f'ALTER TABLE "{t}" ADD COLUMN "{c}" text;')
        creates.add(("column", t, c))
        mine.add((t, c))
    owned = sorted(k for k in mine if k[0] in state and k[1] in state[k[0]] and ("column", *k) not in creates)
    if owned and data.draw(st.booleans(), label="touch one"):
        t, c = data.draw(st.sampled_from(owned), label="touched")
        mine.discard((t, c))
        if data.draw(st.booleans(), label="rename"):
            renamed = names("r")
            new[t][new[t].index(c)] = renamed
            mine.add((t, renamed))
            sql.append(f'ALTER TABLE "{t}" RENAME COLUMN "{c}" TO "{renamed}";')
        else:
            new[t].remove(c)
            sql.append(f'ALTER TABLE "{t}" DROP COLUMN "{c}";')
    if not sql:  # drizzle-kit writes no empty migration
        t = names("t")
        new[t] = ["id"]
        sql.append(f'CREATE TABLE "{t}" (\n\t"id" integer\n);')
        creates.add(("table", t))
    return Mig(label, sql, new, names("id-"), prev, creates)


def _snapshot(m: Mig) -> str:
    tables = {f"public.{t}": {
        "name": t, "schema": "", "indexes": {}, "foreignKeys": {}, "compositePrimaryKeys": {},
        "uniqueConstraints": {}, "policies": {}, "checkConstraints": {}, "isRLSEnabled": False,
        "columns": {c: {"name": c, "type": "integer" if c == "id" else "text", "primaryKey": False, "notNull": False}
                    for c in cols}} for t, cols in m.state.items()}
    return json.dumps({"id": m.id, "prevId": m.prev, "version": "7", "dialect": "postgresql", "tables": tables,
                       "enums": {}, "schemas": {}, "sequences": {}, "roles": {}, "policies": {}, "views": {},
                       "_meta": {"schemas": {}, "tables": {}, "columns": {}}})


def _history(data: st.DataObject) -> tuple[list[Mig], str]:
    names = Names()
    journal: list[Mig] = []
    state: State = {}
    prev = ROOT
    base_owned: set[tuple[str, ...]] = set()
    for i in range(data.draw(st.integers(1, 3), label="base")):
        m = _migration(data, names, state, prev, base_owned, f"base{i}")
        journal.append(m)
        state, prev = m.state, m.id
    fork, fork_id = state, prev
    branches: list[list[Mig]] = []
    for b in "ab":
        owned: set[tuple[str, ...]] = set()
        s, p, mine = fork, fork_id, []
        for i in range(data.draw(st.integers(1, 3), label=f"branch {b}")):
            m = _migration(data, names, s, p, owned, f"{b}{i}")
            mine.append(m)
            s, p = m.state, m.id
        branches.append(mine)
    a, b = list(branches[0]), list(branches[1])
    while a or b:  # the merge: both branches' entries, each branch in its order
        take_a = bool(a) and (not b or data.draw(st.booleans(), label="interleave"))
        journal.append((a if take_a else b).pop(0))
    how = data.draw(st.sampled_from(["as merged", "generated after", "collision fixed, generated after"]))
    if how != "as merged":
        if how.startswith("collision"):
            branches[1][0].prev = branches[0][-1].id
        union = {t: list(cols) for t, cols in fork.items()}
        for mine in branches:
            for t, cols in mine[-1].state.items():
                union.setdefault(t, [])
                union[t] += [c for c in cols if c not in union[t]]
        last = journal[-1]
        after = _migration(data, names, union, last.id, set(), "after_merge")
        journal.append(after)
    return journal, how


def _drops(sql: str) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for raw in parse_sql(sql):
        node = raw.stmt
        if isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TABLE:
            out |= {("table", obj[-1].sval) for obj in node.objects or ()}
        elif isinstance(node, ast.AlterTableStmt):
            for cmd in node.cmds or ():
                if cmd.subtype == AlterTableType.AT_DropColumn:
                    out.add(("column", node.relation.relname, cmd.name))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_down_file_never_drops_what_its_migration_did_not_create(data: st.DataObject) -> None:
    journal, how = _history(data)
    with tempfile.TemporaryDirectory() as tmp:
        tags = [f"{i:04d}_{m.name}" for i, m in enumerate(journal)]
        folder = write_folder(Path(tmp), {tag: "--> statement-breakpoint\n".join(m.sql)
                                          for tag, m in zip(tags, journal, strict=True)})
        for tag, m in zip(tags, journal, strict=True):
            drizzle.snapshot_file(folder, tag).write_text(_snapshot(m), encoding="utf-8")
        migrations = drizzle.read_folder(folder)
        for i, m in enumerate(journal):
            text = drizzle.down_text(migrations, i)
            if "-- safeshift:irreversible" in text:
                assert how != "as merged", f"{tags[i]} refused in a merge left as it is:\n{text}"
                continue
            for dropped in _drops(text):
                held = dropped if dropped[0] == "table" else ("table", dropped[1])
                assert dropped in m.creates or held in m.creates, f"{tags[i]}'s down drops {dropped}:\n{text}"

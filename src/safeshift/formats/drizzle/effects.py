"""What a drizzle migration's own SQL creates, drops and renames, read with PostgreSQL's parser (pglast).

The snapshots say what the schema looked like before and after a migration, but after a
branch merge or a hand edit they can disagree with what the migration really did.  The SQL
cannot: a down file may drop only what the SQL created, and a rename in the SQL (drizzle-kit
writes ``ALTER TABLE .. RENAME ..`` when a rename prompt was answered) is undone by the inverse
rename, never by a drop and a create.  Objects are keyed by kind and their names as
PostgreSQL stores them (the parser cuts identifiers at 63 bytes, as the snapshots' converter
does): ``("table", schema, name)``, ``("column", schema, table, name)``, ``("index", schema,
name)``, ``("constraint", schema, table, name)``, ``("type", schema, name)``, ``("value",
schema, type, label)``, ``("schema", name)``, ``("sequence", ...)``, ``("view", ...)``,
``("policy", schema, table, name)``; ``("constraint", schema, table, None)`` stands for a
constraint added without a name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from safeshift.sections import SqlStatement

Key = tuple[str | None, ...]

_DO_BODY = re.compile(r"\bBEGIN\b(?P<body>.*?)\bEXCEPTION\b", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Rename:
    """One rename statement of the migration, old and new keys (``kind`` as in the keys), and where it is."""

    kind: str
    old: Key
    new: Key
    line: int
    sql: str


@dataclass
class Effects:
    created: set[Key] = field(default_factory=set)
    dropped: set[Key] = field(default_factory=set)
    renames: list[Rename] = field(default_factory=list)
    #: (line, first words) of statements the parser rejects: nothing can be said about them
    unreadable: list[tuple[int, str]] = field(default_factory=list)

    def creates(self, key: Key) -> bool:
        """Whether the SQL created ``key``, itself or with what holds it (a column of a table it created)."""
        created = {stored(k) for k in self.created}
        return any(k in created for k in _holders(stored(key)))

    def drops(self, key: Key) -> bool:
        dropped = {stored(k) for k in self.dropped}
        return any(k in dropped for k in _holders(stored(key)))

    def renamed_to(self, key: Key) -> bool:
        return any(stored(r.new) == stored(key) for r in self.renames)


#: PostgreSQL keeps the first 63 bytes of a name (NAMEDATALEN - 1)
_NAME_BYTES = 63


def stored(key: Key) -> Key:
    """``key`` with each name as PostgreSQL stores it: its first 63 bytes, cut at a character boundary (the
    SQL may spell a longer name, which the server cuts; the snapshots' converter cuts some names, not all)."""
    return tuple(p if p is None or len(p.encode("utf-8")) <= _NAME_BYTES
                 else p.encode("utf-8")[:_NAME_BYTES].decode("utf-8", "ignore") for p in key)


def _holders(key: Key) -> list[Key]:
    """``key`` and the objects whose creation (or drop) brings it along."""
    kind, *rest = key
    out: list[Key] = [key]
    if kind in ("column", "constraint", "policy") and len(rest) >= 2:
        out.append(("table", rest[0], rest[1]))
        if kind == "constraint":
            out.append(("constraint", rest[0], rest[1], None))
    if kind == "value":
        out.append(("type", rest[0], rest[1]))
    if kind != "schema" and rest:
        out.append(("schema", rest[0]))
    return out


def read_effects(statements: Sequence[SqlStatement], default_schema: str) -> Effects:
    """The effects of the migration's statements, in order (a table created then renamed counts as created
    under its new name)."""
    from pglast import parse_sql
    from pglast.parser import ParseError

    out = Effects()
    for st in statements:
        try:
            nodes = [raw.stmt for raw in parse_sql(st.sql)]
        except ParseError:
            out.unreadable.append((st.line, " ".join(st.sql.split()[:4])))
            continue
        for node in nodes:
            _statement(node, st, default_schema, out)
    return out


def _statement(stmt: Any, st: SqlStatement, ds: str, out: Effects) -> None:
    from pglast import ast, parse_sql
    from pglast.enums import AlterTableType, ObjectType
    from pglast.parser import ParseError

    def rel(rv: Any) -> tuple[str, str]:
        return (rv.schemaname or ds, rv.relname)

    def qualified(names: Any) -> tuple[str, str]:
        parts = [n.sval for n in names]
        return (parts[0], parts[1]) if len(parts) > 1 else (ds, parts[0])

    node: Any = stmt
    if isinstance(node, ast.DoStmt):  # older drizzle-kit: DO $$ BEGIN <ddl>; EXCEPTION WHEN duplicate_object ... $$
        body = next((str(a.arg.sval) for a in node.args or () if a.defname == "as"), "")
        found = _DO_BODY.search(body)
        if found is not None:
            try:
                inner = [raw.stmt for raw in parse_sql(found["body"])]
            except ParseError:
                out.unreadable.append((st.line, "DO block"))
                return
            for n in inner:
                _statement(n, st, ds, out)
        return
    if isinstance(node, ast.CreateSchemaStmt):
        out.created.add(("schema", node.schemaname))
    elif isinstance(node, ast.CreateStmt):
        out.created.add(("table", *rel(node.relation)))
    elif isinstance(node, ast.IndexStmt):
        s, t = rel(node.relation)
        out.created.add(("index", s, node.idxname) if node.idxname else ("constraint", s, t, None))
    elif isinstance(node, ast.CreateEnumStmt):
        out.created.add(("type", *qualified(node.typeName)))
    elif isinstance(node, ast.CreateDomainStmt):
        out.created.add(("type", *qualified(node.domainname)))
    elif isinstance(node, ast.CompositeTypeStmt):
        out.created.add(("type", *rel(node.typevar)))
    elif isinstance(node, ast.CreateSeqStmt):
        out.created.add(("sequence", *rel(node.sequence)))
    elif isinstance(node, ast.ViewStmt):
        out.created.add(("view", *rel(node.view)))
    elif isinstance(node, ast.CreateTableAsStmt):
        into: Any = node.into
        out.created.add(("view" if node.objtype == ObjectType.OBJECT_MATVIEW else "table", *rel(into.rel)))
    elif isinstance(node, ast.CreatePolicyStmt):
        out.created.add(("policy", *rel(node.table), node.policy_name))
    elif isinstance(node, ast.AlterEnumStmt):
        s, e = qualified(node.typeName)
        if node.oldVal:
            _rename(out, Rename("value", ("value", s, e, node.oldVal), ("value", s, e, node.newVal), st.line, st.sql))
        elif node.newVal:
            out.created.add(("value", s, e, node.newVal))
    elif isinstance(node, ast.AlterTableStmt):
        s, t = rel(node.relation)
        for cmd in node.cmds or ():
            if cmd.subtype == AlterTableType.AT_AddColumn:
                out.created.add(("column", s, t, cmd.def_.colname))
            elif cmd.subtype == AlterTableType.AT_AddConstraint:
                out.created.add(("constraint", s, t, cmd.def_.conname or None))
            elif cmd.subtype == AlterTableType.AT_DropColumn:
                out.dropped.add(("column", s, t, cmd.name))
            elif cmd.subtype == AlterTableType.AT_DropConstraint:
                out.dropped.add(("constraint", s, t, cmd.name))
    elif isinstance(node, ast.DropStmt):
        drops: dict[Any, str] = {ObjectType.OBJECT_TABLE: "table", ObjectType.OBJECT_TYPE: "type", ObjectType.OBJECT_DOMAIN: "type",
                ObjectType.OBJECT_INDEX: "index", ObjectType.OBJECT_SEQUENCE: "sequence",
                ObjectType.OBJECT_VIEW: "view", ObjectType.OBJECT_MATVIEW: "view",
                ObjectType.OBJECT_SCHEMA: "schema"}
        kind = drops.get(node.removeType)
        for obj in node.objects or ():
            if kind == "schema":
                out.dropped.add(("schema", obj.sval))
            elif kind is not None:
                names = obj.names if isinstance(obj, ast.TypeName) else obj
                out.dropped.add((kind, *qualified(names)))
    elif isinstance(node, ast.RenameStmt):
        _rename_stmt(node, st, ds, out)
    elif isinstance(node, ast.AlterObjectSchemaStmt):
        moves: dict[Any, str] = {ObjectType.OBJECT_TABLE: "table", ObjectType.OBJECT_TYPE: "type",
                                 ObjectType.OBJECT_SEQUENCE: "sequence", ObjectType.OBJECT_VIEW: "view"}
        kind = moves.get(node.objectType, "object")
        if node.relation is not None:
            s, name = rel(node.relation)
        else:
            names = node.object.names if isinstance(node.object, ast.TypeName) else node.object
            s, name = qualified(names)
        _rename(out, Rename(kind, (kind, s, name), (kind, node.newschema, name), st.line, st.sql))


def _rename_stmt(node: Any, st: SqlStatement, ds: str, out: Effects) -> None:
    from pglast.enums import ObjectType

    kind_of = {ObjectType.OBJECT_TABLE: "table", ObjectType.OBJECT_COLUMN: "column",
               ObjectType.OBJECT_TABCONSTRAINT: "constraint", ObjectType.OBJECT_INDEX: "index",
               ObjectType.OBJECT_TYPE: "type", ObjectType.OBJECT_SCHEMA: "schema",
               ObjectType.OBJECT_SEQUENCE: "sequence", ObjectType.OBJECT_VIEW: "view",
               ObjectType.OBJECT_MATVIEW: "view", ObjectType.OBJECT_POLICY: "policy"}
    kind = kind_of.get(node.renameType)
    if kind is None:
        return
    rv = node.relation
    s, t = (rv.schemaname or ds, rv.relname) if rv is not None else (ds, "")
    if kind in ("table", "index", "sequence", "view"):
        old: Key = (kind, s, t)
        new: Key = (kind, s, node.newname)
    elif kind in ("column", "constraint", "policy"):
        old, new = (kind, s, t, node.subname), (kind, s, t, node.newname)
    elif kind == "schema":
        old, new = ("schema", node.subname), ("schema", node.newname)
    else:
        parts = [n.sval for n in node.object]
        s, name = (parts[0], parts[1]) if len(parts) > 1 else (ds, parts[0])
        old, new = ("type", s, name), ("type", s, node.newname)
    _rename(out, Rename(kind, old, new, st.line, st.sql))


def _rename(out: Effects, r: Rename) -> None:
    """Record a rename; what the migration created under the old name it created under the new one."""
    out.renames.append(r)
    if r.old in out.created:
        out.created.discard(r.old)
        out.created.add(r.new)
    if r.kind == "table":  # the table's columns and constraints created here move with it
        for key in [k for k in out.created if k[0] in ("column", "constraint", "policy") and k[1:3] == r.old[1:3]]:
            out.created.discard(key)
            out.created.add((key[0], r.new[1], r.new[2], *key[3:]))

"""drizzle-kit snapshots (``meta/NNNN_snapshot.json``) converted to safeshift's canonical ``model.Schema``.

drizzle-kit writes the schema after each migration as JSON.  Converted through the dialect's
normalisers, a snapshot equals what introspecting a database built by the migrations gives, so
it serves as the expected schema (``verify``) and as the before and after of a migration's down
SQL (``down.py``).  What the model cannot express raises ``SnapshotError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safeshift.dialects.base import Dialect
from safeshift.errors import SafeshiftError
from safeshift.formats.drizzle.errors import SnapshotError
from safeshift.formats.drizzle.journal import DIALECTS, journal_dialect
from safeshift.formats.safeshift import META_DIR, MigrationFolder
from safeshift.sources.names import stored_names

if TYPE_CHECKING:
    from safeshift.model import Column, ForeignKey, Index, Policy, Schema, Table
    from safeshift.model import Sequence as SequenceModel
    from safeshift.renames import RenameHints

_SERIALS = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}
_FK_ACTIONS = {"no action": "NO ACTION", "restrict": "RESTRICT", "cascade": "CASCADE", "set null": "SET NULL",
               "set default": "SET DEFAULT"}


def snapshot_file(folder: Path, tag: str) -> Path:
    """``meta/<prefix>_snapshot.json`` of a journal tag: drizzle-kit names it by the tag's prefix."""
    prefix = tag.split("_", 1)[0]
    return Path(folder) / META_DIR / f"{prefix}_snapshot.json"


def snapshot_schema(path: Path, dialect: Dialect | None = None) -> Schema:
    """A drizzle-kit PostgreSQL snapshot (version 7) as a canonical ``model.Schema``; a MySQL one (version 5)
    through ``mysql_snapshot``.  ``dialect`` None: the one the snapshot names.

    Types, defaults and expressions go through the dialect's normalisers, so the result
    equals what introspecting a database built by the migrations gives.  What the model
    cannot hold (views without a definition, policies on tables outside the snapshot) raises
    SnapshotError.  Row-level security and the policies of each table are read; roles are the
    server's, not the schema's, and are left out (a policy names its roles; ``snapshot_roles``
    reads those the migrations create, which down files undo).
    """
    return _load_snapshot(path, dialect)[1]


def expected_schema(folder: MigrationFolder, applied: Sequence[str], dialect: Dialect | None = None) -> Schema | None:
    """The schema the applied migrations make, from their snapshots (None: nothing applied, expect an empty database).

    drizzle-kit writes a snapshot for every migration (a custom one gets a copy of the one
    before); where one is missing, the newest snapshot before it stands in.  After two branches
    are merged, the last applied snapshot's chain (``prevId``) lacks the other branch: each
    applied snapshot that no other applied one follows is a branch head, and the heads are
    merged against the snapshot they share (``_merge_heads``), object by object.
    """
    from safeshift.dialects import get_dialect

    done = set(applied)
    last = max((i for i, m in enumerate(folder.migrations) if m.version in done), default=None)
    if last is None:
        return None
    dialect = dialect or get_dialect(journal_dialect(folder.path))
    paths = [snapshot_file(folder.path, m.path.stem) for m in folder.migrations[: last + 1] if m.version in done]
    heads = _heads([p for p in paths if p.is_file()])
    if len(heads) > 1:
        return _merge_heads(folder, heads, dialect)
    for m in reversed(folder.migrations[: last + 1]):
        path = snapshot_file(folder.path, m.path.stem)
        if path.is_file():
            return _as_created(snapshot_schema(path, dialect), path, dialect, folder)
    raise SnapshotError(f"{folder.path.name}/{META_DIR}/ holds no snapshot up to {folder.migrations[last].path.name}, "
                        "so there is no expected schema; regenerate the folder with drizzle-kit.")


def _links(meta: Path) -> dict[str, tuple[Path, str | None]]:
    """Every snapshot of ``meta/`` by its ``id``: (file, ``prevId``); unreadable ones are left out."""
    out: dict[str, tuple[Path, str | None]] = {}
    for path in sorted(meta.glob("*_snapshot.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            prev = data.get("prevId")
            out[data["id"]] = (path, prev if isinstance(prev, str) else None)
    return out


def _heads(paths: Sequence[Path]) -> list[Path]:
    """The snapshots among ``paths`` that no other of them follows (by ``prevId``), in journal order; a
    folder whose snapshots carry no ids gives [] (the last one then stands for all)."""
    if not paths:
        return []
    links = _links(paths[0].parent)
    ids = {path: ident for ident, (path, _) in links.items()}
    if any(p not in ids for p in paths):
        return []
    followed: set[str] = set()
    for p in paths:
        ident: str | None = ids[p]
        seen: set[str] = set()
        while ident is not None and ident in links and ident not in seen:
            seen.add(ident)
            prev = links[ident][1]
            if prev is not None:
                followed.add(prev)
            ident = prev
    return [p for p in paths if ids[p] not in followed]


def _merge_heads(folder: MigrationFolder, heads: Sequence[Path], dialect: Dialect) -> Schema:
    """The branch heads' schemas merged: each object as the one branch that changed it since the snapshot
    all heads follow (their common ancestor; none: an empty schema) leaves it.  Two branches that change
    one object differently make the expected schema a guess: refused, naming both snapshots."""
    from safeshift.model import make_schema

    links = _links(heads[0].parent)
    ids = {path: ident for ident, (path, _) in links.items()}

    def ancestry(path: Path) -> list[str]:
        out: list[str] = []
        ident: str | None = links[ids[path]][1]
        while ident is not None and ident in links and ident not in out:
            out.append(ident)
            ident = links[ident][1]
        return out

    chains = [ancestry(h) for h in heads]
    common = next((i for i in chains[0] if all(i in c for c in chains[1:])), None)
    base = (_as_created(snapshot_schema(links[common][0], dialect), links[common][0], dialect, folder) if common is not None
            else make_schema(dialect.name))
    kinds = ("tables", "enums", "sequences", "views", "policies")
    merged: dict[str, dict[Any, Any]] = {k: {o.key: o for o in getattr(base, k)} for k in kinds}
    namespaces = set(base.namespaces)
    changed: dict[tuple[str, Any], Path] = {}
    for head in heads:
        schema = _as_created(snapshot_schema(head, dialect), head, dialect, folder)
        for kind in kinds:
            old = {o.key: o for o in getattr(base, kind)}
            new = {o.key: o for o in getattr(schema, kind)}
            for key in old.keys() | new.keys():
                if old.get(key) == new.get(key):
                    continue
                other = changed.get((kind, key))
                if other is not None and merged[kind].get(key) != new.get(key):
                    raise SnapshotError(
                        f"{folder.path.name}/{META_DIR}/{other.name} and {head.name} (two merged branches) both "
                        f"change {kind[:-1]} {'.'.join(str(p) for p in key)}, so the schema the folder makes is not "
                        "known from its snapshots; generate a migration on the merged schema with drizzle-kit.")
                changed[(kind, key)] = head
                if key in new:
                    merged[kind][key] = new[key]
                else:
                    merged[kind].pop(key, None)
        namespaces |= set(schema.namespaces) - set(base.namespaces)
        namespaces -= set(base.namespaces) - set(schema.namespaces)
    return make_schema(dialect.name, namespaces=namespaces, **{k: merged[k].values() for k in kinds})


def _as_created(schema: Schema, path: Path, dialect: Dialect, folder: MigrationFolder) -> Schema:
    """``schema`` (the snapshot at ``path``) with the names the server kept through renames.

    ``ALTER TABLE a RENAME TO b`` (and ``RENAME COLUMN``) keeps the primary key ``a_pkey`` and a
    serial's sequence ``a_id_seq``, names drizzle-kit's snapshots never record: it assumes them
    from the current names.  The renames of the migrations along the ``prevId`` chain (their
    SQL, and drizzle-kit's ``_meta`` answers, which it often leaves empty) give each table's and
    column's first name; a key named
    after the current table gets the first name's, and a serial column whose sequence name no
    longer matches becomes what the catalog shows: a ``nextval`` default and its sequence.
    """
    from dataclasses import replace

    from safeshift.dialects.postgres.names import make_object_name
    from safeshift.introspect.postgres import _regclass_text
    from safeshift.model import Sequence as SequenceModel
    from safeshift.model import make_schema

    if not dialect.capabilities.sequences:
        return schema  # no sequence names to keep, and a primary key is named PRIMARY whatever its table's name
    tables, columns = _first_names(path, dialect.default_schema, folder)
    if not tables and not columns:
        return schema
    out = []
    sequences = list(schema.sequences)
    for t in schema.tables:
        first = tables.get((t.schema, t.name), t.name)
        pk = t.primary_key
        if pk is not None and first != t.name and pk.name == make_object_name(t.name, None, "pkey"):
            pk = replace(pk, name=make_object_name(first, None, "pkey"))
        cols = []
        for c in t.columns:
            seq = make_object_name(first, columns.get((t.schema, t.name, c.name), c.name), "seq")
            if c.serial and seq != make_object_name(t.name, c.name, "seq"):
                default = dialect.normalize_default(f"nextval('{_regclass_text(t.schema, seq)}'::regclass)", c.type)
                c = replace(c, serial=False, default=default)
                sequences.append(SequenceModel(t.schema, seq, c.type, **_sequence_options(c.type, {})))
            cols.append(c)
        out.append(replace(t, columns=tuple(cols), primary_key=pk))
    return make_schema(schema.dialect, namespaces=schema.namespaces, tables=out, enums=schema.enums,
                       sequences=sequences, views=schema.views, policies=schema.policies)


def _first_names(path: Path, default_schema: str, folder: MigrationFolder) -> tuple[
        dict[tuple[str, str], str], dict[tuple[str, str, str], str]]:
    """(schema, table) -> the table's first name and (schema, table, column) -> the column's, for the tables
    and columns of the snapshot at ``path`` renamed since they were created: the renames of each migration
    along the ``prevId`` chain, oldest first, read from its SQL and from drizzle-kit's ``_meta``."""
    from safeshift.formats.drizzle.effects import read_effects

    links = _links(path.parent)
    ids = {p: ident for ident, (p, _) in links.items()}
    chain: list[Path] = []
    ident = ids.get(path)
    while ident is not None and ident in links and links[ident][0] not in chain:
        chain.append(links[ident][0])
        ident = links[ident][1]
    if path not in chain:
        chain = [path]
    migrations = {snapshot_file(folder.path, m.path.stem): m for m in folder.migrations}
    tables: dict[tuple[str, str], str] = {}
    columns: dict[tuple[str, str, str], str] = {}

    def table_renamed(schema: str, old: str, new: str) -> None:
        tables[(schema, new)] = tables.pop((schema, old), old)
        for key in [k for k in columns if k[:2] == (schema, old)]:
            columns[(schema, new, key[2])] = columns.pop(key)

    def column_renamed(schema: str, table: str, old: str, new: str) -> None:
        columns[(schema, table, new)] = columns.pop((schema, table, old), old)

    for snap in reversed(chain):
        m = migrations.get(snap)
        if m is not None:
            if "rename" not in m.up_sql.lower():
                continue  # nothing to parse (verify reads every migration of a long folder)
            for r in read_effects(m.up_statements, default_schema).renames:
                if r.kind == "table" and r.old[1] == r.new[1]:
                    table_renamed(str(r.old[1]), str(r.old[2]), str(r.new[2]))
                elif r.kind == "column":
                    column_renamed(str(r.new[1]), str(r.new[2]), str(r.old[3]), str(r.new[3]))
            continue
        try:  # no migration of the folder wrote it: drizzle-kit's answers are all there is
            data = json.loads(snap.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        hints = rename_hints(data, default_schema)
        for (schema, old), new in hints.tables.items():
            table_renamed(schema, old, new)
        for (schema, table, old), new in hints.columns.items():
            column_renamed(schema, table, old, new)
    return ({k: v for k, v in tables.items() if v != k[1]}, {k: v for k, v in columns.items() if v != k[2]})


def _load_snapshot(path: Path, dialect: Dialect | None) -> tuple[Mapping[str, Any], Schema]:
    """A snapshot's JSON (which also holds drizzle-kit's rename answers) and its ``model.Schema``
    (``dialect`` None: the snapshot's own; given, the snapshot must be for it)."""
    from safeshift.dialects import get_dialect

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"Cannot read the drizzle snapshot {path.name} ({exc}).") from exc
    kind = DIALECTS.get(str(data.get("dialect"))) if isinstance(data, dict) else None
    if kind is None:
        raise SnapshotError(f"{path.name} is not a drizzle-kit PostgreSQL or MySQL snapshot.")
    if dialect is not None and dialect.name != kind:
        raise SnapshotError(f"{path.name} is a drizzle-kit snapshot for {kind}, not for {dialect.name}; point "
                            "`migrations` at the drizzle-kit folder of this database's dialect.")
    dialect = dialect or get_dialect(kind)
    return data, _READERS[kind](dialect, data, path.name)


def _postgres_schema(dialect: Dialect, data: dict[str, Any], name: str) -> Schema:
    return _Snapshot(dialect, data, name).schema()


def _mysql_schema(dialect: Dialect, data: dict[str, Any], name: str) -> Schema:
    """drizzle-kit's MySQL snapshot format (version 5) has a converter of its own."""
    from safeshift.formats.drizzle.mysql_snapshot import mysql_schema

    return mysql_schema(dialect, data, name)


#: the converter of each drizzle-kit snapshot format, by the dialect its journal names
_READERS: dict[str, Callable[[Dialect, dict[str, Any], str], Schema]] = {
    "postgresql": _postgres_schema, "mysql": _mysql_schema}


class Snapshots:
    """The snapshots of one down-file pass, each read and converted once: a migration's "after" is
    the next one's "before".  A snapshot that cannot be converted raises the same error each time."""

    def __init__(self, dialect: Dialect) -> None:
        self.d = dialect
        self._loaded: dict[Path, tuple[Mapping[str, Any], Schema] | SafeshiftError] = {}

    def load(self, path: Path) -> tuple[Mapping[str, Any], Schema]:
        if path not in self._loaded:
            try:
                self._loaded[path] = _load_snapshot(path, self.d)
            except SafeshiftError as exc:
                self._loaded[path] = exc
        found = self._loaded[path]
        if isinstance(found, SafeshiftError):
            raise found
        return found


class _Snapshot:
    def __init__(self, dialect: Dialect, data: Mapping[str, Any], label: str) -> None:
        self.d = dialect
        self.data = data
        self.label = label
        self.default_schema = dialect.default_schema

    def schema_name(self, value: Any) -> str:
        return str(value) if value else self.default_schema

    def schema(self) -> Schema:
        from safeshift.model import Enum, View, make_schema

        tables = [self.table(t) for t in (self.data.get("tables") or {}).values()]
        enums = [Enum(self.schema_name(e.get("schema")), e["name"], tuple(e.get("values") or ()))
                 for e in (self.data.get("enums") or {}).values()]
        sequences = [self.sequence(s) for s in (self.data.get("sequences") or {}).values()]
        views = []
        for v in (self.data.get("views") or {}).values():
            if v.get("isExisting"):
                continue
            if not v.get("definition"):
                raise SnapshotError(f"{self.label}: view {v.get('name')} has no definition in the snapshot.")
            views.append(View(self.schema_name(v.get("schema")), v["name"], self.d.normalize_view(v["definition"]),
                              bool(v.get("materialized"))))
        loose = sorted(str(p.get("name")) for p in (self.data.get("policies") or {}).values())
        if loose:
            raise SnapshotError(f"{self.label}: policies {', '.join(loose)} are linked to tables outside the "
                                "snapshot; safeshift cannot tell which tables they guard.")
        policies = [p for t in (self.data.get("tables") or {}).values() for p in self.policies(t)]
        namespaces = set((self.data.get("schemas") or {}).values())
        namespaces |= {t.schema for t in tables} | {e.schema for e in enums} | {s.schema for s in sequences}
        namespaces.discard(self.default_schema)
        # drizzle-kit names foreign keys <table>_<column>_<target>_<column>_fk, often past PostgreSQL's limit
        return stored_names(make_schema(self.d.name, namespaces=namespaces, tables=tables, enums=enums,
                                        sequences=sequences, views=views, policies=policies), self.d)

    def policies(self, t: Mapping[str, Any]) -> list[Policy]:
        from safeshift.model import Policy

        out = []
        for p in (t.get("policies") or {}).values():
            roles = tuple(sorted("public" if str(r).lower() == "public" else str(r) for r in (p.get("to") or ["public"])))
            command = str(p.get("for") or "ALL").upper()
            if command not in ("ALL", "SELECT", "INSERT", "UPDATE", "DELETE"):
                raise SnapshotError(f"{self.label}: policy {p.get('name')} is for {command!r}, not a SQL command.")
            using, check = p.get("using"), p.get("withCheck")
            out.append(Policy(self.schema_name(t.get("schema")), t["name"], p["name"], command,  # type: ignore[arg-type]
                              permissive=str(p.get("as") or "PERMISSIVE").upper() != "RESTRICTIVE", roles=roles,
                              using=self.d.normalize_expression(using) if using else None,
                              with_check=self.d.normalize_expression(check) if check else None))
        return out

    def table(self, t: Mapping[str, Any]) -> Table:
        from safeshift.model import Check, PrimaryKey, Table, Unique

        name, schema = t["name"], self.schema_name(t.get("schema"))
        raw_columns = list((t.get("columns") or {}).values())
        columns = tuple(self.column(name, c) for c in raw_columns)
        pk_cols = tuple(c["name"] for c in raw_columns if c.get("primaryKey"))
        composite = list((t.get("compositePrimaryKeys") or {}).values())
        pk = None
        if composite:
            pk = PrimaryKey(composite[0]["name"], tuple(composite[0]["columns"]))
        elif pk_cols:
            pk = PrimaryKey(self.d.default_constraint_name("pk", name, pk_cols), pk_cols)
        uniques = [Unique(u["name"], tuple(u["columns"]), nulls_not_distinct=bool(u.get("nullsNotDistinct")))
                   for u in (t.get("uniqueConstraints") or {}).values()]
        for c in raw_columns:
            if c.get("isUnique"):
                uniques.append(Unique(c.get("uniqueName") or f"{name}_{c['name']}_unique", (c["name"],),
                                      nulls_not_distinct=bool(c.get("nullsNotDistinct"))))
        checks = [Check(k["name"], self.d.normalize_expression(k["value"]))
                  for k in (t.get("checkConstraints") or {}).values()]
        fks = [self.foreign_key(schema, f) for f in (t.get("foreignKeys") or {}).values()]
        indexes = [self.index(i) for i in (t.get("indexes") or {}).values()]
        # drizzle-kit switches row-level security on for a table that has policies, as PostgreSQL needs
        rls = bool(t.get("isRLSEnabled")) or bool(t.get("policies"))
        return Table(schema, name, columns, pk, tuple(uniques), tuple(checks), tuple(fks), tuple(indexes),
                     row_security=rls)

    def column(self, table: str, c: Mapping[str, Any]) -> Column:
        from safeshift.model import Column, Generated, Identity

        raw_type = str(c["type"])
        serial = raw_type.lower() in _SERIALS
        type_sql = _SERIALS.get(raw_type.lower(), raw_type)
        if c.get("typeSchema"):  # an enum (or a domain) in a schema of its own
            base, _, dims = type_sql.partition("[")
            type_sql = f"{self.d.qualify(c['typeSchema'], base)}" + (f"[{dims}" if dims else "")
        col_type = self.d.normalize_type(type_sql)
        identity = None
        if c.get("identity"):
            i = c["identity"]
            identity = Identity(always=i.get("type") == "always", **_sequence_options(col_type, i))
        generated = None
        if c.get("generated"):
            generated = Generated(self.d.normalize_expression(c["generated"]["as"]), stored=True)
        default = None
        raw_default = c.get("default")
        if raw_default is not None and identity is None and generated is None and not serial:
            text = ("true" if raw_default else "false") if isinstance(raw_default, bool) else str(raw_default)
            default = self.d.normalize_default(text, col_type)
        nullable = not c.get("notNull") and not c.get("primaryKey")
        return Column(c["name"], col_type, nullable, default, identity, serial, generated)

    def foreign_key(self, schema: str, f: Mapping[str, Any]) -> ForeignKey:
        from safeshift.model import ForeignKey

        def action(value: Any) -> Any:
            key = str(value or "no action").lower()
            if key not in _FK_ACTIONS:
                raise SnapshotError(f"{self.label}: foreign key {f['name']} has ON {value}, which safeshift "
                                    "cannot express.")
            return _FK_ACTIONS[key]

        return ForeignKey(f["name"], tuple(f["columnsFrom"]), self.schema_name(f.get("schemaTo")) or schema,
                          f["tableTo"], tuple(f["columnsTo"]), on_delete=action(f.get("onDelete")),
                          on_update=action(f.get("onUpdate")))

    def index(self, i: Mapping[str, Any]) -> Index:
        from safeshift.model import Index, IndexElement

        elements = []
        for e in i.get("columns") or ():
            if isinstance(e, str):  # snapshots before version 7 list column names
                elements.append(IndexElement(e))
                continue
            descending = not e.get("asc", True)
            nulls = e.get("nulls")
            nulls_first = None if nulls is None or (nulls == "first") == descending else nulls == "first"
            value = self.d.normalize_expression(e["expression"]) if e.get("isExpression") else e["expression"]
            elements.append(IndexElement(value, bool(e.get("isExpression")), descending, nulls_first,
                                         e.get("opclass") or None))
        where = i.get("where")
        return Index(i["name"], tuple(elements), bool(i.get("isUnique")), str(i.get("method") or "btree").lower(),
                     self.d.normalize_expression(where) if where else None)

    def sequence(self, s: Mapping[str, Any]) -> SequenceModel:
        from safeshift.model import Sequence as SequenceModel

        return SequenceModel(self.schema_name(s.get("schema")), s["name"], "bigint",
                             **_sequence_options("bigint", s))


def _sequence_options(data_type: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """drizzle's sequence or identity options (strings, defaults spelled out) as the introspector keeps them."""
    from safeshift.dialects.postgres.types import INT_BOUNDS
    from safeshift.introspect.postgres import _sequence_options as options_of

    increment = int(raw.get("increment") or 1)
    low, bounds = INT_BOUNDS.get(data_type, INT_BOUNDS["bigint"])
    minvalue = int(raw["minValue"]) if raw.get("minValue") not in (None, "") else (1 if increment > 0 else low)
    maxvalue = int(raw["maxValue"]) if raw.get("maxValue") not in (None, "") else (bounds if increment > 0 else -1)
    start = int(raw["startWith"]) if raw.get("startWith") not in (None, "") else (
        minvalue if increment > 0 else maxvalue)
    return options_of(data_type, {"increment": increment, "minvalue": minvalue, "maxvalue": maxvalue,
                                  "start": start, "cache": int(raw.get("cache") or 1),
                                  "cycle": bool(raw.get("cycle"))})


def rename_hints(data: Mapping[str, Any], default_schema: str) -> RenameHints:
    """drizzle-kit's answers to its rename prompts (``_meta``) as safeshift rename hints."""
    from safeshift.renames import RenameHints

    def parts(key: str) -> list[str]:
        return [p.replace('""', '"') for p in re.findall(r'"((?:[^"]|"")*)"', key)]

    meta = data.get("_meta") or {}
    tables: dict[tuple[str, str], str] = {}
    columns: dict[tuple[str, str, str], str] = {}
    for old, new in (meta.get("tables") or {}).items():
        o, n = parts(old), parts(new)
        if len(o) == 2 and len(n) == 2:
            tables[(o[0] or default_schema, o[1])] = n[1]
    for old, new in (meta.get("columns") or {}).items():
        o, n = parts(old), parts(new)
        if len(o) == 3 and len(n) == 3:
            columns[(o[0] or default_schema, n[1], o[2])] = n[2]
    return RenameHints(tables, columns)


@dataclass(frozen=True)
class Role:
    """A role a drizzle-kit snapshot lists (``pgRole`` without ``.existing()``): the migrations create it.

    Roles belong to the server, shared by all its databases, so they are no part of
    ``model.Schema`` (nor of what ``verify`` compares, which is one database); but a down file
    must undo what the migration did to them, or migrating up again fails on CREATE ROLE.
    """

    name: str
    create_db: bool = False
    create_role: bool = False
    inherit: bool = True

    def options(self) -> str:
        """The ``WITH`` options as drizzle-kit's CREATE ROLE writes them (ALTER ROLE spells out all three)."""
        return (f"{'CREATEDB' if self.create_db else 'NOCREATEDB'} {'CREATEROLE' if self.create_role else 'NOCREATEROLE'} "
                f"{'INHERIT' if self.inherit else 'NOINHERIT'}")


def snapshot_roles(data: Mapping[str, Any], label: str = "snapshot") -> dict[str, Role]:
    """The roles a snapshot's migrations create, by name (drizzle-kit leaves ``.existing()`` roles out)."""
    out: dict[str, Role] = {}
    for raw in (data.get("roles") or {}).values():
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str) or not raw["name"]:
            raise SnapshotError(f"{label}: a role entry has no name; regenerate the snapshot with drizzle-kit.")
        out[raw["name"]] = Role(raw["name"], bool(raw.get("createDb")), bool(raw.get("createRole")),
                                raw.get("inherit") is not False)
    return out


def role_downs(before: Mapping[str, Any], after: Mapping[str, Any], dialect: Dialect,
               label: str = "snapshot") -> tuple[list[str], list[str]]:
    """Down statements for what a migration did to roles: (to run first, to run last).

    A role the migration dropped is created again first (the policies the down SQL brings back
    name it) and one it changed gets its options back; one it created is dropped last, after
    the policies that name it.  DROP ROLE fails while another database still uses the role,
    which stops the rollback with the server's reason rather than leaving the role behind silently.
    """
    old, new = snapshot_roles(before, label), snapshot_roles(after, label)
    first: list[str] = []
    last: list[str] = []
    for name, role in old.items():
        if name not in new:
            first.append(f"CREATE ROLE {dialect.quote(name)} WITH {role.options()}")
        elif new[name] != role:
            first.append(f"ALTER ROLE {dialect.quote(name)} WITH {role.options()}")
    last += [f"DROP ROLE {dialect.quote(name)}" for name in new if name not in old]
    return first, last

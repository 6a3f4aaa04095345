"""The next migration of a drizzle-kit MySQL folder, written by safeshift the way drizzle-kit writes one.

``safeshift generate`` in a drizzle-kit MySQL folder writes three things, so that the folder stays
drizzle-kit's: ``NNNN_<name>.sql`` (statements cut by ``--> statement-breakpoint``, as drizzle's
migrator reads them), ``meta/NNNN_snapshot.json`` in drizzle-kit's MySQL snapshot format (version 5,
``prevId`` the previous snapshot's ``id``) and a new journal entry (its ``when`` later than every other,
so drizzle's migrator applies it after them).

The snapshot must be the one drizzle-kit itself would write for the same TypeScript schema, or the
next ``drizzle-kit generate`` would see differences that are not there.  The model is canonical and
forgets drizzle's spellings (``boolean`` is ``tinyint(1)``, ``(now())`` is ``current_timestamp()``, a
primary key has no name), so every object the previous snapshot already holds keeps its exact JSON
when it converts to the same model object; what is new gets drizzle-kit's own spelling and names
(``<table>_<column>`` for a one-column primary key, ``<table>_<columns>_pk`` for more, CHECK columns
qualified by the table).  The snapshot is converted back and compared with the schema it stands for
before anything is written, so a spelling this module gets wrong is an error, never a silent drift.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safeshift.errors import MigrationsError
from safeshift.formats.drizzle.journal import BREAKPOINT, journal_path
from safeshift.formats.drizzle.snapshot import snapshot_file
from safeshift.formats.safeshift import META_DIR

if TYPE_CHECKING:
    from safeshift.dialects.base import Dialect
    from safeshift.dialects.statement import Statement
    from safeshift.model import Column, Schema, Table

#: drizzle-kit's MySQL snapshot format version (journal entries carry it too)
SNAPSHOT_VERSION = "5"
_EMPTY_ID = "00000000-0000-0000-0000-000000000000"
_INTEGERS = ("tinyint", "smallint", "mediumint", "int", "bigint")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_NOW = re.compile(r"^current_timestamp\((\d*)\)$")


@dataclass(frozen=True)
class Written:
    path: Path
    snapshot: Path
    tag: str
    when: int


def previous_snapshot(folder: Path) -> Mapping[str, Any] | None:
    """The snapshot of the folder's last journal entry (drizzle-kit's "before" for its next migration)."""
    entries = _journal(folder)["entries"]
    if not entries:
        return None
    path = snapshot_file(folder, str(entries[-1]["tag"]))
    try:
        data: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MigrationsError(f"{folder.name}/{META_DIR}/{path.name} cannot be read ({exc}); safeshift writes the next "
                              "migration on top of it: restore it from version control.") from exc
    return data


def write_next(folder: Path, name: str, statements: Sequence[Statement], target: Schema, dialect: Dialect,
               now_ms: int) -> Written:
    """Write the next migration (SQL, snapshot, journal entry) that takes the folder to ``target``."""
    from safeshift.formats.drizzle.mysql_snapshot import mysql_schema

    journal = _journal(folder)
    entries = list(journal["entries"])
    previous = previous_snapshot(folder)
    data = snapshot_data(target, dialect, previous)
    label = "the snapshot safeshift would write"
    back = mysql_schema(dialect, data, label)
    if back != dialect.fold(target):
        from safeshift.diff import diff
        from safeshift.renames import AssumeNew

        differs = "; ".join(c.target for c in diff(back, target, None, AssumeNew(), dialect.default_schema))
        raise MigrationsError(f"safeshift cannot spell this schema as a drizzle-kit MySQL snapshot ({differs or 'order'}"
                              "); run `npx drizzle-kit generate` for this change instead.")
    tag = f"{len(entries):04d}_{name}"
    when = max([now_ms, *(int(e["when"]) + 1 for e in entries)])
    path = folder / f"{tag}.sql"
    snapshot = snapshot_file(folder, tag)
    if path.exists() or snapshot.exists():
        raise MigrationsError(f"{folder.name}/{path.name} or its snapshot exists already but is not in the journal; "
                              "remove the stray file or run `npx drizzle-kit drop`.")
    path.write_text(sql_text(statements), encoding="utf-8", newline="\n")
    snapshot.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8", newline="\n")
    entries.append({"idx": len(entries), "version": SNAPSHOT_VERSION, "when": when, "tag": tag, "breakpoints": True})
    journal_path(folder).write_text(json.dumps({**journal, "entries": entries}, indent=2) + "\n", encoding="utf-8",
                                    newline="\n")
    return Written(path, snapshot, tag, when)


def sql_text(statements: Sequence[Statement]) -> str:
    """The statements as drizzle-kit writes a migration: each ends with ``;``, breakpoints between them."""
    parts = []
    for st in statements:
        sql = st.sql.strip().rstrip(";").rstrip()
        comment = "".join(f"-- {line}\n".replace("-- \n", "--\n") for line in (st.comment or "").splitlines())
        parts.append(f"{comment}{sql};")
    return f"\n{BREAKPOINT}\n".join(parts) + "\n"


def _journal(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(journal_path(folder).read_text(encoding="utf-8"))
    return data


# -- the model as drizzle-kit's MySQL snapshot --------------------------------------------------------------

def snapshot_data(schema: Schema, dialect: Dialect, previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """``schema`` as drizzle-kit's MySQL snapshot JSON, after ``previous`` (None: the folder's first)."""
    old_tables: Mapping[str, Any] = (previous or {}).get("tables") or {}
    tables = {t.name: _TableWriter(t, dialect, old_tables.get(t.name)).data() for t in schema.tables}
    return {"version": SNAPSHOT_VERSION, "dialect": "mysql", "id": str(uuid.uuid4()),
            "prevId": str((previous or {}).get("id") or _EMPTY_ID), "tables": tables, "views": {},
            "_meta": {"schemas": {}, "tables": {}, "columns": {}}, "internal": {"tables": {}, "indexes": {}}}


class _TableWriter:
    def __init__(self, table: Table, dialect: Dialect, old: Mapping[str, Any] | None) -> None:
        self.t = table
        self.d = dialect
        self.old: Mapping[str, Any] = old or {}

    def _same(self, kind: str, raw: Mapping[str, Any], obj: Any) -> bool:
        """Whether the previous snapshot's ``raw`` entry converts to ``obj`` (then its JSON is kept as it was)."""
        from safeshift.formats.drizzle.mysql_snapshot import mysql_schema

        probe = {"name": self.t.name, "columns": {}, "indexes": {}, "foreignKeys": {}, "compositePrimaryKeys": {},
                 "uniqueConstraints": {}, "checkConstraint": {}}
        if kind == "columns":
            probe["columns"] = {raw["name"]: raw}
        else:
            probe["columns"] = dict(self.old.get("columns") or {})
            probe[kind] = {raw["name"]: raw}
        try:
            table = mysql_schema(self.d, {"tables": {self.t.name: probe}}, "snapshot").tables[0]
        except MigrationsError:
            return False
        found = {"columns": table.columns, "indexes": table.indexes, "foreignKeys": table.foreign_keys,
                 "uniqueConstraints": table.uniques, "checkConstraint": table.checks}[kind]
        if kind == "indexes" and not found:
            found = table.uniques  # a unique index folds into a UNIQUE key
        return obj in found

    def data(self) -> dict[str, Any]:
        t = self.t
        serial_keys = {c.name for c in t.columns if self._serial(c)}
        columns = {c.name: self.column(c, c.name in serial_keys) for c in t.columns}
        indexes: dict[str, Any] = {}
        uniques: dict[str, Any] = {}
        old_indexes = self.old.get("indexes") or {}
        old_uniques = self.old.get("uniqueConstraints") or {}
        for u in t.uniques:
            name = u.name or u.columns[0]  # the server names an unnamed UNIQUE key after its first column
            if u.columns == (name,) and name in serial_keys:
                continue  # the UNIQUE key `serial` brings along
            if name in old_indexes and self._same("indexes", old_indexes[name], u):
                indexes[name] = old_indexes[name]
            elif name in old_uniques and self._same("uniqueConstraints", old_uniques[name], u):
                uniques[name] = old_uniques[name]
            elif name.endswith("_unique"):  # drizzle-kit's name for .unique()
                uniques[name] = {"name": name, "columns": list(u.columns)}
            else:
                indexes[name] = {"name": name, "columns": list(u.columns), "isUnique": True}
        for ix in t.indexes:
            if ix.name in old_indexes and self._same("indexes", old_indexes[ix.name], ix):
                indexes[ix.name] = old_indexes[ix.name]
                continue
            if any(e.is_expression or e.descending for e in ix.elements) or ix.method not in ("btree", "hash"):
                raise MigrationsError(f"safeshift cannot write index {ix.name} on {t.name} in drizzle-kit's snapshot "
                                      "format (an expression, descending or FULLTEXT key); declare it in the "
                                      "drizzle schema and run `npx drizzle-kit generate`.")
            entry: dict[str, Any] = {"name": ix.name, "columns": [e.value for e in ix.elements],
                                     "isUnique": ix.unique}
            if ix.method != "btree":
                entry["using"] = ix.method
            indexes[ix.name] = entry
        fks = {}
        old_fks = self.old.get("foreignKeys") or {}
        for fk in t.foreign_keys:
            if fk.name in old_fks and self._same("foreignKeys", old_fks[fk.name], fk):
                fks[fk.name] = old_fks[fk.name]
            else:
                fks[fk.name] = {"name": fk.name, "tableFrom": t.name, "tableTo": fk.ref_table,
                                "columnsFrom": list(fk.columns), "columnsTo": list(fk.ref_columns),
                                "onDelete": fk.on_delete.lower(), "onUpdate": fk.on_update.lower()}
        checks = {}
        old_checks = self.old.get("checkConstraint") or {}
        for k in t.checks:
            if k.name in old_checks and self._same("checkConstraint", old_checks[k.name], k):
                checks[k.name] = old_checks[k.name]
            else:
                checks[str(k.name)] = {"name": k.name, "value": self._qualified(k.expression)}
        return {"name": t.name, "columns": columns, "indexes": indexes, "foreignKeys": fks,
                "compositePrimaryKeys": self.primary_key(), "uniqueConstraints": uniques, "checkConstraint": checks}

    def _serial(self, c: Column) -> bool:
        """``serial``: bigint unsigned, not null, auto-increment, with its own UNIQUE key named after it."""
        return (c.serial and c.type == "bigint unsigned" and not c.nullable
                and any(u.name == c.name and u.columns == (c.name,) for u in self.t.uniques))

    def primary_key(self) -> dict[str, Any]:
        pk = self.t.primary_key
        if pk is None:
            return {}
        for raw in (self.old.get("compositePrimaryKeys") or {}).values():
            if tuple(raw.get("columns") or ()) == pk.columns:
                return {raw["name"]: raw}
        name = f"{self.t.name}_{pk.columns[0]}" if len(pk.columns) == 1 else f"{self.t.name}_{'_'.join(pk.columns)}_pk"
        return {name: {"name": name, "columns": list(pk.columns)}}

    def column(self, c: Column, serial: bool) -> dict[str, Any]:
        old = (self.old.get("columns") or {}).get(c.name)
        if old is not None and self._same("columns", old, c):
            return dict(old)
        if c.identity is not None or c.collation is not None or c.comment is not None:
            raise MigrationsError(f"safeshift cannot write column {self.t.name}.{c.name} in drizzle-kit's snapshot "
                                  "format (a collation or comment of its own); declare it in the drizzle schema and "
                                  "run `npx drizzle-kit generate`.")
        type_ = "serial" if serial else ("boolean" if c.type == "tinyint(1)" else c.type)
        out: dict[str, Any] = {"name": c.name, "type": type_, "primaryKey": False, "notNull": not c.nullable,
                               "autoincrement": c.serial}
        if c.generated is not None:
            out["generated"] = {"as": c.generated.expression, "type": "stored" if c.generated.stored else "virtual"}
        if c.default is not None:
            out["default"] = self.default(c.default, c.type)
        if c.on_update is not None:
            if not _NOW.match(c.on_update):
                raise MigrationsError(f"safeshift cannot write column {self.t.name}.{c.name} in drizzle-kit's "
                                      f"snapshot format (ON UPDATE {c.on_update}: drizzle has only onUpdateNow()).")
            out["onUpdate"] = True
        return out

    def default(self, value: str, column_type: str) -> Any:
        """A canonical default as drizzle-kit writes it: numbers bare (booleans as true/false), a decimal's and
        a string's quoted, ``defaultNow()`` as ``(now())``, any other expression in parentheses."""
        base = column_type.split("(", 1)[0].split(" ", 1)[0]
        if column_type == "tinyint(1)" and value in ("0", "1"):
            return value == "1"
        if _NOW.match(value):
            fsp = _NOW.match(value)
            return f"(now({fsp.group(1) if fsp else ''}))"
        if _NUMBER.match(value):
            if base in _INTEGERS:
                return int(value)
            if base in ("float", "double", "real"):
                return float(value)
            return f"'{value}'"
        if value.startswith("'"):
            return value
        return f"({value})"

    def _qualified(self, expression: str) -> str:
        """drizzle-kit writes a CHECK's columns as `` `table`.`column` ``."""
        names = {c.name for c in self.t.columns}
        table = self.d.quote(self.t.name)
        return re.sub(r"(?<![.\w`])`((?:[^`]|``)+)`(?!\.)",
                      lambda m: f"{table}.{m.group(0)}" if m.group(1).replace("``", "`") in names else m.group(0),
                      expression)

"""drizzle-kit's MySQL snapshots (``dialect: "mysql"``, version 5) converted to safeshift's ``model.Schema``.

A MySQL snapshot differs from a PostgreSQL one in what matters here: no schemas (every table lives in
the database the URL names, the model's ``default``), types written as MySQL spells them (``int``,
``varchar(256)``, ``enum('a','b')``, ``serial``), ``autoincrement`` and ``onUpdate`` flags on a column,
a single-column primary key listed under ``compositePrimaryKeys`` like a composite one, unique
indexes beside plain ones, and CHECK constraints under ``checkConstraint`` with their columns
qualified by the table.  The result goes through the MySQL dialect's normalisers and ``fold``, so it
equals what introspecting MariaDB or MySQL after the migrations gives.  What the model cannot hold
(views, expression index keys) raises ``SnapshotError`` naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from safeshift.formats.drizzle.errors import SnapshotError

if TYPE_CHECKING:
    from safeshift.dialects.base import Dialect
    from safeshift.model import Column, ForeignKey, Index, Schema, Table

#: ``serial`` is MySQL's alias of ``bigint unsigned not null auto_increment unique``
_SERIAL_TYPE = "bigint unsigned"
_FK_ACTIONS = {"no action": "NO ACTION", "restrict": "RESTRICT", "cascade": "CASCADE", "set null": "SET NULL",
               "set default": "SET DEFAULT"}
_PLAIN_NAME = re.compile(r"^`?([^`\s()]+)`?$")
_FSP = re.compile(r"\((\d+)\)$")


def mysql_schema(dialect: Dialect, data: Mapping[str, Any], label: str) -> Schema:
    """The schema of drizzle-kit MySQL snapshot ``data`` (``label`` names it in errors), canonical for ``dialect``."""
    from safeshift.model import make_schema
    from safeshift.sources.names import stored_names

    views = sorted(str(v.get("name")) for v in (data.get("views") or {}).values() if not v.get("isExisting"))
    if views:
        raise SnapshotError(f"{label} defines the view(s) {', '.join(views)}, which safeshift does not model "
                                 "on MySQL yet; move them out of the drizzle schema or use a PostgreSQL project.")
    tables = [_Table(dialect, t, label).table() for t in (data.get("tables") or {}).values()]
    return dialect.fold(stored_names(make_schema(dialect.name, tables=tables), dialect))


class _Table:
    def __init__(self, dialect: Dialect, data: Mapping[str, Any], label: str) -> None:
        self.d = dialect
        self.data = data
        self.name = str(data["name"])
        self.label = label

    def refuse(self, what: str) -> SnapshotError:
        return SnapshotError(f"{self.label}: {what}.")

    def table(self) -> Table:
        from safeshift.model import Check, PrimaryKey, Table, Unique

        raw_columns = list((self.data.get("columns") or {}).values())
        columns = tuple(self.column(c) for c in raw_columns)
        composite = list((self.data.get("compositePrimaryKeys") or {}).values())
        if len(composite) > 1:
            raise self.refuse(f"table {self.name} has {len(composite)} primary keys")
        pk_cols = tuple(c["name"] for c in raw_columns if c.get("primaryKey"))  # snapshots before drizzle-kit 0.2x
        if composite and pk_cols:
            raise self.refuse(f"table {self.name} has a primary key on its columns and another in "
                              "compositePrimaryKeys")
        pk_cols = tuple(composite[0]["columns"]) if composite else pk_cols
        pk = PrimaryKey(None, pk_cols) if pk_cols else None  # MySQL names every primary key PRIMARY
        uniques = [Unique(str(u["name"]), tuple(u["columns"])) for u in (self.data.get("uniqueConstraints") or {}).values()]
        # the server makes the UNIQUE key that `serial` implies under the column's name
        uniques += [Unique(str(c["name"]), (str(c["name"]),)) for c in raw_columns if _is_serial(c)]
        checks = [Check(str(k["name"]), self.d.normalize_expression(self.unqualified(str(k["value"]))))
                  for k in (self.data.get("checkConstraint") or self.data.get("checkConstraints") or {}).values()]
        fks = [self.foreign_key(f) for f in (self.data.get("foreignKeys") or {}).values()]
        indexes = [self.index(i) for i in (self.data.get("indexes") or {}).values()]
        return Table(self.d.default_schema, self.name, columns, pk, tuple(uniques), tuple(checks), tuple(fks),
                     tuple(indexes))

    def unqualified(self, expression: str) -> str:
        """drizzle-kit writes a CHECK's columns as `` `table`.`column` ``; the server keeps them bare."""
        return expression.replace(f"{self.d.quote(self.name)}.", "")

    def column(self, c: Mapping[str, Any]) -> Column:
        from safeshift.model import Column, Generated

        name = str(c["name"])
        serial = _is_serial(c)
        col_type = self.d.normalize_type(_SERIAL_TYPE if serial else str(c["type"]))
        generated = None
        if c.get("generated"):
            g = c["generated"]
            generated = Generated(self.d.normalize_expression(self.unqualified(str(g["as"]))),
                                  stored=str(g.get("type") or "virtual").lower() == "stored")
        default = None
        raw = c.get("default")
        if raw is not None and generated is None:
            default = ("true" if raw else "false") if isinstance(raw, bool) else _unwrapped(str(raw))
        on_update = None
        if c.get("onUpdate"):  # drizzle's onUpdateNow(): the column's own precision, as drizzle-kit writes it
            fsp = _FSP.search(col_type)
            on_update = self.d.normalize_default(f"CURRENT_TIMESTAMP({fsp.group(1) if fsp else ''})", col_type)
        if default is not None:
            default = self.d.normalize_default(default, col_type)
        nullable = not c.get("notNull") and not c.get("primaryKey") and not serial
        return Column(name, col_type, nullable, default, None, serial or bool(c.get("autoincrement")), generated,
                      on_update=on_update)

    def foreign_key(self, f: Mapping[str, Any]) -> ForeignKey:
        from safeshift.model import ForeignKey

        def action(value: Any) -> Any:
            key = str(value or "no action").lower()
            if key not in _FK_ACTIONS:
                raise self.refuse(f"foreign key {f['name']} has ON {value}, which safeshift cannot express")
            return _FK_ACTIONS[key]

        return ForeignKey(str(f["name"]), tuple(f["columnsFrom"]), self.d.default_schema, str(f["tableTo"]),
                          tuple(f["columnsTo"]), on_delete=action(f.get("onDelete")),
                          on_update=action(f.get("onUpdate")))

    def index(self, i: Mapping[str, Any]) -> Index:
        from safeshift.model import Index, IndexElement

        elements = []
        for raw in i.get("columns") or ():
            plain = _PLAIN_NAME.match(str(raw))
            if plain is None:
                raise self.refuse(f"index {i['name']} on {self.name} has the expression key {raw!r}, which "
                                  "safeshift does not model on MySQL yet")
            elements.append(IndexElement(plain.group(1)))
        return Index(str(i["name"]), tuple(elements), bool(i.get("isUnique")), str(i.get("using") or "btree").lower())


def _unwrapped(default: str) -> str:
    """drizzle-kit writes an expression default in parentheses (``(now())``), which the server drops."""
    if not (default.startswith("(") and default.endswith(")")):
        return default
    depth, quote = 0, ""
    for i, ch in enumerate(default):
        if quote:  # inside a string literal ('it''s' closes and opens again: the same)
            quote = "" if ch == quote else quote
            continue
        if ch in "'\"":
            quote = ch
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(default) - 1:
            return default  # ``(a) + (b)``: the first parenthesis closes before the end
    return default[1:-1]


def _is_serial(c: Mapping[str, Any]) -> bool:
    return str(c.get("type", "")).lower() == "serial"

"""What the reviewer knows of a SQLite table: its columns (declared type, NOT NULL, default) and which
columns a key, an index, a foreign key or a CHECK names.

Known from the schema before the migration (a safeshift folder's snapshot) or from a CREATE TABLE
earlier in the same file.  The rules need it to tell what a table rebuild leaves out, what a NOT NULL
or a type change does to the rows copied, and whether SQLite refuses ``ALTER TABLE ... DROP COLUMN``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from sqlglot import exp

from safeshift.dialects.sqlite.affinity import STRICT, WITHOUT_ROWID
from safeshift.dialects.sqlite.normalize import normalize_type_text
from safeshift.dialects.sqlite.tokens import SqlTokenError, matching_paren, split_top_level, tokenize, unquote
from safeshift.model import Table


@dataclass(frozen=True)
class ColumnShape:
    name: str
    #: the declared type as written ("" when none)
    type: str
    nullable: bool = True
    has_default: bool = False


@dataclass(frozen=True)
class TableShape:
    name: str
    columns: tuple[ColumnShape, ...]
    strict: bool = False
    #: column -> why SQLite refuses to drop it ("part of the primary key", "indexed by ix", ...)
    pinned: dict[str, str] = field(default_factory=dict, compare=False)
    #: column sets that must be unique (primary key, UNIQUE, unique indexes), lower-cased
    unique_sets: frozenset[frozenset[str]] = frozenset()

    def column(self, name: str) -> ColumnShape | None:
        low = name.lower()
        return next((c for c in self.columns if c.name.lower() == low), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _pin(pinned: dict[str, str], columns: object, why: str) -> None:
    for c in columns if isinstance(columns, tuple | list) else ():
        pinned.setdefault(str(c).lower(), why)


def from_model(table: Table) -> TableShape:
    """A table of the schema before the migration."""
    pinned: dict[str, str] = {}
    uniques: set[frozenset[str]] = set()
    if table.primary_key is not None:
        _pin(pinned, table.primary_key.columns, "part of the primary key")
        uniques.add(frozenset(c.lower() for c in table.primary_key.columns))
    for u in table.uniques:
        _pin(pinned, u.columns, "in a UNIQUE constraint")
        uniques.add(frozenset(c.lower() for c in u.columns))
    for fk in table.foreign_keys:  # the model cannot tell an inline REFERENCES (which SQLite drops) from these
        _pin(pinned, fk.columns, f"in a foreign key to {fk.ref_table}")
    for ix in table.indexes:
        cols = [e.value for e in ix.elements if not e.is_expression]
        _pin(pinned, cols, f"indexed by {ix.name}")
        if ix.unique and len(cols) == len(ix.elements) and ix.where is None:
            uniques.add(frozenset(c.lower() for c in cols))
    columns = tuple(ColumnShape(c.name, c.type, c.nullable, c.default is not None or c.generated is not None)
                    for c in table.columns)
    for check in table.checks:
        for c in columns:
            if _mentions(check.expression, c.name):
                pinned.setdefault(c.name.lower(), "named in a CHECK constraint")
    return _rowid_alias(TableShape(table.name, columns, STRICT in table.options, pinned, frozenset(uniques)),
                        table.primary_key.columns if table.primary_key else (), WITHOUT_ROWID in table.options)


def _rowid_alias(shape: TableShape, key: tuple[str, ...] | list[str], without_rowid: bool) -> TableShape:
    """A lone ``INTEGER`` primary key of a rowid table is the rowid: SQLite assigns it, as a default would."""
    if without_rowid or len(key) != 1:
        return shape
    col = shape.column(key[0])
    if col is None or col.type.upper() != "INTEGER":
        return shape
    return replace(shape, columns=tuple(replace(c, has_default=True) if c is col else c for c in shape.columns))


def _mentions(text: str, column: str) -> bool:
    return re.search(rf'(?<![\w"]){re.escape(column)}(?![\w"])|"{re.escape(column)}"', text, re.IGNORECASE) is not None


def _names(node: exp.Expression | None) -> list[str]:
    if node is None:
        return []
    return [i.name for i in node.find_all(exp.Identifier)]


#: words that end a column's type name: a constraint begins (https://www.sqlite.org/syntax/column-def.html)
_TYPE_ENDS = frozenset({"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES",
                        "GENERATED", "AS"})
_TABLE_CONSTRAINTS = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"})


def declared_types(sql: str) -> dict[str, str]:
    """Column (lower-cased) -> its type as the CREATE TABLE ``sql`` writes it, normalised as safeshift's model
    holds it.  sqlglot maps type names onto its own (``INTEGER`` reads as ``INT``), but SQLite gives the
    exact text meaning (a lone ``INTEGER`` primary key is the rowid; a STRICT table checks the name)."""
    try:
        tokens = tokenize(sql)
        start = next(i for i, t in enumerate(tokens) if t.is_punct("("))
        body = tokens[start + 1:matching_paren(tokens, start)]
    except (SqlTokenError, StopIteration):
        return {}
    out: dict[str, str] = {}
    for part in split_top_level(body):
        if not part or part[0].upper in _TABLE_CONSTRAINTS:
            continue
        words: list[str] = []
        for t in part[1:]:
            if t.upper in _TYPE_ENDS:
                break
            words.append(t.text)
        text = " ".join(words).replace(" (", "(").replace("( ", "(").replace(" )", ")").replace(" ,", ",")
        out[unquote(part[0]).lower()] = normalize_type_text(text) if text else ""
    return out


def from_create(create: exp.Create, sql: str) -> TableShape | None:
    """A table as a CREATE TABLE statement (``create``, read from ``sql``) defines it; None for
    CREATE TABLE ... AS SELECT (columns unknown)."""
    schema = create.this
    if not isinstance(schema, exp.Schema):
        return None
    types = declared_types(sql)
    name = schema.this.name if isinstance(schema.this, exp.Table) else ""
    columns: list[ColumnShape] = []
    pinned: dict[str, str] = {}
    uniques: set[frozenset[str]] = set()
    key: list[str] = []
    for item in schema.expressions:
        if isinstance(item, exp.Identifier):  # a column without a type
            columns.append(ColumnShape(item.name, ""))
        elif isinstance(item, exp.ColumnDef):
            kinds = [c.args.get("kind") for c in item.constraints]
            kind = item.args.get("kind")
            col = ColumnShape(item.name, types.get(item.name.lower(), kind.sql() if kind is not None else ""),
                              # a PRIMARY KEY alone does not forbid NULL in SQLite (but for the rowid)
                              nullable=not any(isinstance(k, exp.NotNullColumnConstraint) for k in kinds),
                              has_default=any(isinstance(k, exp.DefaultColumnConstraint | exp.ComputedColumnConstraint
                                                         | exp.GeneratedAsIdentityColumnConstraint) for k in kinds))
            columns.append(col)
            low = item.name.lower()
            for k in kinds:
                if isinstance(k, exp.PrimaryKeyColumnConstraint):
                    key.append(item.name)
                    pinned.setdefault(low, "part of the primary key")
                    uniques.add(frozenset({low}))
                elif isinstance(k, exp.UniqueColumnConstraint):
                    pinned.setdefault(low, "in a UNIQUE constraint")
                    uniques.add(frozenset({low}))
            # an inline REFERENCES goes with its column: SQLite drops the column and it (a table FOREIGN KEY pins)
        else:
            key += _table_constraint(item, pinned, uniques)
    props = create.args.get("properties")
    strict = props is not None and any(isinstance(p, exp.StrictProperty) for p in props.expressions)
    without_rowid = props is not None and any(isinstance(p, exp.WithoutRowidProperty) for p in props.expressions)
    # a table CHECK naming a column pins it too (column CHECKs pin only their own column, which SQLite allows)
    for check in schema.find_all(exp.CheckColumnConstraint):
        if not isinstance(check.parent, exp.ColumnConstraint):
            for n in _names(check.this):
                pinned.setdefault(n.lower(), "named in a CHECK constraint")
    return _rowid_alias(TableShape(name, tuple(columns), strict, pinned, frozenset(uniques)), key, without_rowid)


def _table_constraint(item: exp.Expression, pinned: dict[str, str], uniques: set[frozenset[str]]) -> list[str]:
    """Record a table constraint's columns; returns the primary key's columns when it is one."""
    inner = item.expressions[0] if isinstance(item, exp.Constraint) and item.expressions else item
    if isinstance(inner, exp.PrimaryKey):
        cols = [n for e in inner.expressions for n in _names(e)]
        for c in cols:
            pinned.setdefault(c.lower(), "part of the primary key")
        uniques.add(frozenset(c.lower() for c in cols))
        return cols
    elif isinstance(inner, exp.UniqueColumnConstraint):
        cols = [n.lower() for n in _names(inner.this)]
        for c in cols:
            pinned.setdefault(c, "in a UNIQUE constraint")
        uniques.add(frozenset(cols))
    elif isinstance(inner, exp.ForeignKey):
        for e in inner.expressions:
            for n in _names(e):
                pinned.setdefault(n.lower(), "in a foreign key")
    return []

"""Live SQLite database → canonical Schema.

Four bulk queries (``sqlite_master``, and ``pragma_table_xinfo`` / ``pragma_index_list``
+ ``pragma_index_xinfo`` / ``pragma_foreign_key_list`` joined over every table at once)
give columns, keys, indexes and references.  What the pragmas do not report — CHECK
constraints, generated-column expressions, collations, AUTOINCREMENT, DEFERRABLE, index
expressions and partial-index WHERE clauses — is parsed from the CREATE statements that
``sqlite_master`` keeps verbatim, with a small tokenizer-driven parser rather than
regular expressions, so nested parentheses, quoted names, strings and comments are safe.
The canonical rules are the SQLite dialect's (see ``safeshift.dialects.sqlite``).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from safeshift.dialects.sqlite import (
    STRICT,
    WITHOUT_ROWID,
    SQLiteDialect,
    SqlTokenError,
    Token,
    matching_paren,
    split_top_level,
    tokenize,
    unquote,
)
from safeshift.errors import IntrospectionError, UnsupportedConstruct
from safeshift.introspect import own
from safeshift.model import (
    Check,
    Column,
    FkAction,
    ForeignKey,
    Generated,
    Index,
    IndexElement,
    PrimaryKey,
    Schema,
    Table,
    Trigger,
    Unique,
    View,
    make_schema,
)

# -- parsed CREATE statements ----------------------------------------------------------------


@dataclass
class ParsedForeignKey:
    name: str | None
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"
    deferrable: bool = False
    initially_deferred: bool = False
    match: str | None = None


@dataclass
class ParsedColumn:
    name: str
    type: str = ""
    not_null: bool = False
    primary_key: bool = False
    autoincrement: bool = False
    unique: bool = False
    default: str | None = None
    collation: str | None = None
    generated: str | None = None
    stored: bool = False


@dataclass
class ParsedTable:
    name: str
    columns: list[ParsedColumn] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    primary_key_name: str | None = None
    autoincrement: bool = False
    uniques: list[tuple[str | None, tuple[str, ...]]] = field(default_factory=list)
    checks: list[tuple[str | None, str]] = field(default_factory=list)
    foreign_keys: list[ParsedForeignKey] = field(default_factory=list)
    without_rowid: bool = False
    strict: bool = False

    def column(self, name: str) -> ParsedColumn | None:
        low = name.lower()
        return next((c for c in self.columns if c.name.lower() == low), None)


@dataclass
class ParsedIndexElement:
    text: str  # the element without ASC/DESC/NULLS (may contain COLLATE)
    column: str | None  # set when the element is a bare column name
    descending: bool = False
    nulls_first: bool | None = None


@dataclass
class ParsedIndex:
    name: str
    table: str
    unique: bool
    elements: list[ParsedIndexElement]
    where: str | None = None


class _Cursor:
    """A position in a token list with the few look-ahead helpers the grammar needs."""

    def __init__(self, sql: str, tokens: Sequence[Token]) -> None:
        self.sql = sql
        self.toks = list(tokens)
        self.i = 0

    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def at_word(self, *words: str) -> bool:
        t = self.peek()
        return t is not None and t.is_word(*words)

    def at_punct(self, text: str) -> bool:
        t = self.peek()
        return t is not None and t.is_punct(text)

    def take(self) -> Token:
        t = self.peek()
        if t is None:
            raise SqlTokenError("unexpected end of statement")
        self.i += 1
        return t

    def accept_word(self, *words: str) -> bool:
        if self.at_word(*words):
            self.i += 1
            return True
        return False

    def expect_word(self, *words: str) -> None:
        if not self.accept_word(*words):
            got = self.peek()
            raise SqlTokenError(f"expected {' or '.join(words)}, got {got.text if got else 'end'}")

    def name(self) -> str:
        t = self.take()
        if t.kind not in ("word", "quoted", "string"):
            raise SqlTokenError(f"expected a name, got {t.text}")
        return unquote(t)

    def qualified_name(self) -> str:
        name = self.name()
        if self.at_punct("."):
            self.i += 1
            name = self.name()
        return name

    def group(self) -> list[Token]:
        """The tokens inside the parenthesised group at the cursor; moves past it."""
        if not self.at_punct("("):
            got = self.peek()
            raise SqlTokenError(f"expected (, got {got.text if got else 'end'}")
        end = matching_paren(self.toks, self.i)
        inner = self.toks[self.i + 1:end]
        self.i = end + 1
        return inner

    def text(self, tokens: Sequence[Token]) -> str:
        return self.sql[tokens[0].start:tokens[-1].end] if tokens else ""


def _name_list(tokens: Sequence[Token]) -> tuple[str, ...]:
    """Column names of an indexed-column list (ignoring COLLATE, ASC/DESC, AUTOINCREMENT)."""
    return tuple(unquote(part[0]) for part in split_top_level(tokens) if part)


_COLUMN_CONSTRAINT_START = ("CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE",
                            "REFERENCES", "GENERATED", "AS")
_TABLE_CONSTRAINT_START = ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN")


def parse_create_table(sql: str) -> ParsedTable:
    """Parse a CREATE TABLE statement as stored in sqlite_master."""
    cur = _Cursor(sql, tokenize(sql))
    cur.expect_word("CREATE")
    cur.accept_word("TEMP", "TEMPORARY")
    cur.expect_word("TABLE")
    if cur.accept_word("IF"):
        cur.expect_word("NOT")
        cur.expect_word("EXISTS")
    table = ParsedTable(cur.qualified_name())
    if cur.at_word("AS"):
        return table  # CREATE TABLE ... AS SELECT: columns come from the pragmas alone
    body = cur.group()
    while cur.peek() is not None:
        t = cur.take()
        if t.is_word("WITHOUT"):
            cur.expect_word("ROWID")
            table.without_rowid = True
        elif t.is_word("STRICT"):
            table.strict = True
    for part in split_top_level(body):
        if not part:
            continue
        if part[0].is_word(*_TABLE_CONSTRAINT_START):
            _table_constraint(_Cursor(sql, part), table)
        else:
            table.columns.append(_column(_Cursor(sql, part), table))
    return table


def _column(cur: _Cursor, table: ParsedTable) -> ParsedColumn:
    col = ParsedColumn(cur.name())
    start = cur.i
    while cur.peek() is not None and not cur.at_word(*_COLUMN_CONSTRAINT_START):
        if cur.at_punct("("):
            cur.group()
        else:
            cur.take()
    col.type = cur.text(cur.toks[start:cur.i])
    name: str | None = None
    while cur.peek() is not None:
        if cur.accept_word("CONSTRAINT"):
            name = cur.name()
            continue
        if cur.accept_word("PRIMARY"):
            cur.expect_word("KEY")
            cur.accept_word("ASC", "DESC")
            _conflict(cur)
            col.primary_key = True
            table.primary_key = (col.name,)
            table.primary_key_name = name
            if cur.accept_word("AUTOINCREMENT"):
                col.autoincrement = table.autoincrement = True
        elif cur.accept_word("NOT"):
            cur.expect_word("NULL")
            _conflict(cur)
            col.not_null = True
        elif cur.accept_word("NULL"):
            _conflict(cur)
        elif cur.accept_word("UNIQUE"):
            _conflict(cur)
            col.unique = True
            table.uniques.append((name, (col.name,)))
        elif cur.accept_word("CHECK"):
            table.checks.append((name, cur.text(cur.group())))
        elif cur.accept_word("DEFAULT"):
            col.default = _default(cur)
        elif cur.accept_word("COLLATE"):
            col.collation = cur.name()
        elif cur.at_word("REFERENCES"):
            table.foreign_keys.append(_references(cur, name, (col.name,)))
        elif cur.at_word("GENERATED", "AS"):
            if cur.accept_word("GENERATED"):
                cur.expect_word("ALWAYS")
            cur.expect_word("AS")
            col.generated = cur.text(cur.group())
            col.stored = cur.accept_word("STORED")
            cur.accept_word("VIRTUAL")
        else:
            raise SqlTokenError(f"unexpected {cur.take().text} in column {col.name}")
        name = None
    return col


def _default(cur: _Cursor) -> str:
    if cur.at_punct("("):
        start = cur.i
        cur.group()
        return cur.text(cur.toks[start:cur.i])
    first = cur.take()
    if first.kind == "op" and first.text in "+-":
        return first.text + cur.take().text
    return first.text


def _conflict(cur: _Cursor) -> None:
    if cur.accept_word("ON"):
        cur.expect_word("CONFLICT")
        cur.take()


def _table_constraint(cur: _Cursor, table: ParsedTable) -> None:
    name = cur.name() if cur.accept_word("CONSTRAINT") else None
    if cur.accept_word("PRIMARY"):
        cur.expect_word("KEY")
        group = cur.group()
        table.primary_key = _name_list(group)
        table.primary_key_name = name
        table.autoincrement = table.autoincrement or any(t.is_word("AUTOINCREMENT") for t in group)
        _conflict(cur)
    elif cur.accept_word("UNIQUE"):
        table.uniques.append((name, _name_list(cur.group())))
        _conflict(cur)
    elif cur.accept_word("CHECK"):
        table.checks.append((name, cur.text(cur.group())))
    elif cur.accept_word("FOREIGN"):
        cur.expect_word("KEY")
        cols = _name_list(cur.group())
        table.foreign_keys.append(_references(cur, name, cols))
    else:
        got = cur.peek()
        raise SqlTokenError(f"unexpected {got.text if got else 'end'} in a table constraint")


def _references(cur: _Cursor, name: str | None, cols: tuple[str, ...]) -> ParsedForeignKey:
    cur.expect_word("REFERENCES")
    fk = ParsedForeignKey(name, cols, cur.name(), ())
    if cur.at_punct("("):
        fk.ref_columns = _name_list(cur.group())
    while True:
        if cur.accept_word("ON"):
            which = cur.take().text.upper()
            if cur.accept_word("SET"):
                action = "SET " + cur.take().text.upper()
            elif cur.accept_word("NO"):
                cur.expect_word("ACTION")
                action = "NO ACTION"
            else:
                action = cur.take().text.upper()
            if which == "DELETE":
                fk.on_delete = action
            else:
                fk.on_update = action
        elif cur.accept_word("MATCH"):
            fk.match = cur.name().upper()
        elif cur.at_word("NOT", "DEFERRABLE"):
            negated = cur.accept_word("NOT")
            cur.expect_word("DEFERRABLE")
            fk.deferrable = not negated
            if cur.accept_word("INITIALLY"):
                fk.initially_deferred = cur.take().text.upper() == "DEFERRED" and not negated
        else:
            return fk


def parse_create_index(sql: str) -> ParsedIndex:
    """Parse a CREATE INDEX statement as stored in sqlite_master."""
    cur = _Cursor(sql, tokenize(sql))
    cur.expect_word("CREATE")
    unique = cur.accept_word("UNIQUE")
    cur.expect_word("INDEX")
    if cur.accept_word("IF"):
        cur.expect_word("NOT")
        cur.expect_word("EXISTS")
    name = cur.qualified_name()
    cur.expect_word("ON")
    table = cur.name()
    elements = [_index_element(cur, part) for part in split_top_level(cur.group()) if part]
    where = None
    if cur.accept_word("WHERE"):
        where = cur.text(cur.toks[cur.i:])
    return ParsedIndex(name, table, unique, elements, where)


def _index_element(cur: _Cursor, part: list[Token]) -> ParsedIndexElement:
    toks = list(part)
    nulls_first: bool | None = None
    if len(toks) >= 2 and toks[-2].is_word("NULLS") and toks[-1].is_word("FIRST", "LAST"):
        nulls_first = toks[-1].is_word("FIRST")
        toks = toks[:-2]
    descending = False
    if toks and toks[-1].is_word("ASC", "DESC"):
        descending = toks[-1].is_word("DESC")
        toks = toks[:-1]
    column = unquote(toks[0]) if len(toks) == 1 and toks[0].kind in ("word", "quoted") else None
    return ParsedIndexElement(cur.text(toks), column, descending, nulls_first)


def parse_view_definition(sql: str) -> str:
    """The SELECT of a CREATE VIEW statement."""
    cur = _Cursor(sql, tokenize(sql))
    cur.expect_word("CREATE")
    cur.accept_word("TEMP", "TEMPORARY")
    cur.expect_word("VIEW")
    if cur.accept_word("IF"):
        cur.expect_word("NOT")
        cur.expect_word("EXISTS")
    cur.qualified_name()
    if cur.at_punct("("):
        cur.group()
    cur.expect_word("AS")
    return sql[cur.toks[cur.i].start:].strip() if cur.peek() else ""


# -- introspection ---------------------------------------------------------------------------

_TABLES = """
SELECT type, name, tbl_name, sql FROM sqlite_master
WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY type, name
"""
_COLUMNS = """
SELECT m.name, c.cid, c.name, c.type, c."notnull", c.dflt_value, c.pk, c.hidden
FROM sqlite_master AS m JOIN pragma_table_xinfo(m.name) AS c
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY m.name, c.cid
"""
_INDEXES = """
SELECT m.name, il.name, il."unique", il.origin, il.partial, ix.seqno, ix.cid, ix.name, ix."desc"
FROM sqlite_master AS m
JOIN pragma_index_list(m.name) AS il
JOIN pragma_index_xinfo(il.name) AS ix
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND ix.key = 1
ORDER BY m.name, il.name, ix.seqno
"""
_FOREIGN_KEYS = """
SELECT m.name, f.id, f.seq, f."table", f."from", f."to", f.on_update, f.on_delete
FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS f
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY m.name, f.id, f.seq
"""
_SHADOW = "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('shadow', 'virtual')"

_ACTIONS: dict[str, FkAction] = {a: a for a in ("NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT")}


def introspect(conn: Any, schemas: Sequence[str] | None = None) -> Schema:
    """The schema of the ``main`` database behind ``conn`` (an sqlite3 connection)."""
    dialect = SQLiteDialect()
    if schemas is not None and dialect.default_schema not in schemas:
        return make_schema(dialect.name)
    # safeshift's own tables (and their indexes and triggers) by exact name: a user's safeshift_notes is compared
    master = [r for r in conn.execute(_TABLES).fetchall() if not own.is_own_table(r[2])]
    skip = _virtual_tables(conn, master)
    columns: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in conn.execute(_COLUMNS).fetchall():
        columns[row[0]].append(row)
    indexes: dict[str, dict[str, list[tuple[Any, ...]]]] = defaultdict(lambda: defaultdict(list))
    for row in conn.execute(_INDEXES).fetchall():
        indexes[row[0]][row[1]].append(row)
    fks: dict[str, dict[int, list[tuple[Any, ...]]]] = defaultdict(lambda: defaultdict(list))
    for row in conn.execute(_FOREIGN_KEYS).fetchall():
        fks[row[0]][row[1]].append(row)
    index_sql = {name: sql for kind, name, _, sql in master if kind == "index" and sql}
    pk_columns = {name: tuple(r[2] for r in sorted((r for r in rows if r[6]), key=lambda r: r[6]))
                  for name, rows in columns.items()}
    catalog = _Catalog({name.lower(): (name, {r[2].lower(): r[2] for r in rows}) for name, rows in columns.items()},
                       {name.lower(): cols for name, cols in pk_columns.items()})

    virtual = sorted(name for kind, name, _, sql in master
                     if kind == "table" and (sql or "").lstrip()[:14].upper().startswith("CREATE VIRTUAL"))
    if virtual:
        raise UnsupportedConstruct(f"virtual table(s) {', '.join(virtual)}", "a virtual table module (FTS, R*Tree, ...)",
                                   "Comparing the database without them could hide real differences, so "
                                   "safeshift stops here.")
    tables: list[Table] = []
    views: list[View] = []
    triggers: list[Trigger] = []
    for kind, name, table_name, sql in master:
        if kind == "trigger" and sql:
            triggers.append(Trigger(dialect.default_schema, table_name, name, dialect.normalize_trigger(sql)))
            continue
        if kind == "table" and name not in skip:
            parsed = _parse(name, sql, parse_create_table)
            tables.append(_table(dialect, name, parsed, columns[name], indexes[name], index_sql, fks[name],
                                 catalog))
        elif kind == "view":
            views.append(View(dialect.default_schema, name,
                              dialect.normalize_view(_parse(name, sql, parse_view_definition))))
    return make_schema(dialect.name, tables=tables, views=views, triggers=triggers)


def _virtual_tables(conn: Any, master: Sequence[tuple[Any, ...]]) -> set[str]:
    """Virtual tables and their shadow tables: owned by a module, not by the schema."""
    skip = {name for kind, name, _, sql in master
            if kind == "table" and (sql or "").lstrip()[:14].upper().startswith("CREATE VIRTUAL")}
    with contextlib.suppress(Exception):  # pragma_table_list needs SQLite 3.37
        skip |= {r[0] for r in conn.execute(_SHADOW).fetchall()}
    return skip


def _parse(name: str, sql: str, parser: Any) -> Any:
    try:
        return parser(sql)
    except SqlTokenError as exc:
        raise IntrospectionError(
            f"Cannot read the definition of {name} from sqlite_master ({exc}); "
            "please report this statement to safeshift.") from exc


def _table(dialect: SQLiteDialect, name: str, parsed: ParsedTable, columns: list[tuple[Any, ...]],
           indexes: dict[str, list[tuple[Any, ...]]], index_sql: dict[str, str],
           fks: dict[int, list[tuple[Any, ...]]], catalog: _Catalog) -> Table:
    schema = dialect.default_schema
    pk_cols = catalog.keys.get(name.lower(), ())
    cols: list[Column] = []
    for _, _, cname, ctype, notnull, dflt, _, hidden in columns:
        if hidden == 1:  # a virtual table's hidden column
            continue
        pc = parsed.column(cname)
        col_type = dialect.normalize_type(ctype or "")
        rowid_alias = pk_cols == (cname,) and col_type == "INTEGER" and not parsed.without_rowid
        generated = None
        if hidden in (2, 3):
            expr = pc.generated if pc is not None and pc.generated is not None else ""
            generated = Generated(dialect.normalize_expression(expr), stored=hidden == 3)
        default = None
        if dflt is not None and generated is None:
            default = dialect.normalize_default(str(dflt), col_type)
        # SQLite enforces NOT NULL on the rowid and on every key column of a WITHOUT ROWID table
        not_null = notnull or rowid_alias or (parsed.without_rowid and cname in pk_cols)
        cols.append(Column(
            name=cname, type=col_type, nullable=not not_null, default=default,
            serial=rowid_alias and parsed.autoincrement, generated=generated,
            collation=pc.collation if pc is not None else None,
        ))
    primary_key = PrimaryKey(None, pk_cols) if pk_cols else None

    uniques: list[Unique] = []
    table_indexes: list[Index] = []
    for iname, rows in indexes.items():
        origin = rows[0][3]
        if origin == "pk":
            continue
        if origin == "u":
            uniques.append(Unique(None, tuple(r[7] for r in rows)))
            continue
        table_indexes.append(_index(dialect, iname, rows, index_sql.get(iname)))

    checks = [Check(None, dialect.normalize_expression(expr)) for _, expr in parsed.checks]
    foreign_keys = [_foreign_key(schema, name, rows, parsed, catalog) for _, rows in sorted(fks.items())]
    options = tuple(sorted(o for o, on in ((STRICT, parsed.strict), (WITHOUT_ROWID, parsed.without_rowid)) if on))
    return Table(schema, name, tuple(cols), primary_key, tuple(uniques), tuple(checks), tuple(foreign_keys),
                 tuple(table_indexes), options=options)


def _index(dialect: SQLiteDialect, name: str, rows: list[tuple[Any, ...]], sql: str | None) -> Index:
    if sql is None:
        raise IntrospectionError(f"Index {name} has no CREATE INDEX text in sqlite_master; "
                                 "please report this database to safeshift.")
    parsed: ParsedIndex = _parse(name, sql, parse_create_index)
    if len(parsed.elements) != len(rows):
        raise IntrospectionError(f"Index {name} has {len(rows)} keys but its definition lists "
                                 f"{len(parsed.elements)}; please report this statement to safeshift.")
    elements: list[IndexElement] = []
    for el, row in zip(parsed.elements, rows, strict=True):
        cid, col_name, desc = row[6], row[7], bool(row[8])
        nulls_first = el.nulls_first
        if nulls_first is not None and nulls_first == desc:
            nulls_first = None  # the model's convention: None is nulls-first for DESC, nulls-last for ASC
        if cid >= 0 and el.column is not None:
            elements.append(IndexElement(col_name, descending=desc, nulls_first=nulls_first))
        else:
            elements.append(IndexElement(dialect.normalize_expression(el.text), is_expression=True,
                                         descending=desc, nulls_first=nulls_first))
    where = dialect.normalize_expression(parsed.where) if parsed.where else None
    return Index(name, tuple(elements), unique=parsed.unique, where=where)


@dataclass(frozen=True)
class _Catalog:
    """Actual spellings of table and column names: SQLite resolves them case-insensitively."""

    #: lower-case table name -> (table name, {lower-case column name: column name})
    tables: dict[str, tuple[str, dict[str, str]]]
    #: lower-case table name -> primary-key columns
    keys: dict[str, tuple[str, ...]]

    def table(self, name: str) -> str:
        found = self.tables.get(name.lower())
        return found[0] if found else name

    def column(self, table: str, name: str) -> str:
        found = self.tables.get(table.lower())
        return found[1].get(name.lower(), name) if found else name


def _foreign_key(schema: str, table: str, rows: list[tuple[Any, ...]], parsed: ParsedTable,
                 catalog: _Catalog) -> ForeignKey:
    ref_table = catalog.table(str(rows[0][3]))
    cols = tuple(catalog.column(table, r[4]) for r in rows)
    ref_cols: tuple[str, ...]
    if any(r[5] is None for r in rows):  # REFERENCES parent without columns: the parent's key
        ref_cols = catalog.keys.get(ref_table.lower(), ())
    else:
        ref_cols = tuple(catalog.column(ref_table, r[5]) for r in rows)
    match = next((f for f in parsed.foreign_keys
                  if tuple(c.lower() for c in f.columns) == tuple(c.lower() for c in cols)
                  and f.ref_table.lower() == ref_table.lower()), None)
    return ForeignKey(
        name=None,
        columns=cols,
        ref_schema=schema,
        ref_table=ref_table,
        ref_columns=ref_cols,
        on_delete=_ACTIONS.get(rows[0][7], "NO ACTION"),
        on_update=_ACTIONS.get(rows[0][6], "NO ACTION"),
        deferrable=match.deferrable if match else False,
        initially_deferred=match.initially_deferred if match else False,
        match_full=(match.match == "FULL") if match else False,
    )

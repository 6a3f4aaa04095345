"""SQLite: canonical spellings, connections, and DDL rendering (including table rebuilds).

Canonical model decisions for SQLite, chosen so that ``create_all`` of SQLAlchemy
metadata, read back by ``safeshift.introspect.sqlite``, equals the same metadata
converted by ``safeshift.sources.sqlalchemy``:

- one namespace, ``main``; no enums, sequences, comments or identity columns;
- types are the declared type text (SQLite keeps it verbatim and applies affinity rules
  at run time), upper-cased with single spaces and no blanks around ``(``, ``)`` and
  ``,``: ``numeric(10, 2)`` is ``NUMERIC(10,2)``; aliases are *not* merged
  (``VARCHAR(100)`` stays ``VARCHAR(100)``, ``INT`` stays ``INT``) because the declared
  text is what the database reports and what a rebuild must reproduce.  A trailing
  ``COLLATE x`` is not part of the type: it is the column's ``collation``;
- constraint names are not significant: SQLite keeps a name only when the DDL says
  ``CONSTRAINT name`` and SQLAlchemy's ``create_all`` emits most constraints unnamed, so
  PK, unique, check and foreign-key names are always ``None`` (``named_constraints`` is
  False).  Index names are kept: ``CREATE INDEX`` needs one;
- a single-column ``INTEGER`` primary key is the rowid alias and is never NULL.  It is
  ``serial=True`` only when declared ``AUTOINCREMENT`` (SQLAlchemy's
  ``sqlite_autoincrement=True``); a plain rowid alias is ``serial=False``, since its
  auto-assigned values follow from its type and key alone;
- defaults and expressions (CHECK, partial-index WHERE, index expressions, generated
  columns) are re-spelled from their tokens: keywords upper case, function names lower
  case, one canonical spacing, redundant outer parentheses removed, ``==`` as ``=`` and
  ``!=`` as ``<>``, and quoted identifiers unquoted unless they need the quotes (SQLite
  quotes the names RENAME COLUMN rewrites); strings, numbers and bare identifiers are kept
  as written;
- index keys cannot carry NULLS FIRST/LAST on SQLite, so ``nulls_first`` is always None;
- a generated column without STORED is VIRTUAL (SQLite's default).

SQLite's ALTER TABLE can add, rename and drop columns and rename tables, nothing else;
every other change is folded by the planner into a RebuildTable, rendered as the
"create new, copy, drop old, rename" procedure of https://www.sqlite.org/lang_altertable.html.
That procedure needs ``PRAGMA foreign_keys=OFF`` *outside* the transaction (otherwise
``DROP TABLE`` of a parent deletes or cascades into child rows); the runner calls
``before_migration``/``after_migration`` for that, and ``check_before_commit`` runs
``PRAGMA foreign_key_check`` so a migration that breaks references never commits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from safeshift import changes as ch
from safeshift.dialects.base import Capabilities, ConstraintKind, Dialect, Statement
from safeshift.dialects.sqlite_url import url_path
from safeshift.errors import UnsupportedConstruct
from safeshift.model import Column, ForeignKey, Index, IndexElement, Table

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SADialect


REBUILD_PREFIX = "_safeshift_new_"

# -- tokens ---------------------------------------------------------------------------------


class SqlTokenError(ValueError):
    """The text is not lexically valid SQL (an unterminated string, quote or comment)."""


@dataclass(frozen=True)
class Token:
    """One lexical token; ``start``/``end`` index the source text so callers can slice it."""

    kind: str  # word, quoted, string, blob, number, op, punct
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words

    def is_punct(self, text: str) -> bool:
        return self.kind == "punct" and self.text == text


_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*")
_OPS = ("->>", "||", "->", "<=", ">=", "<>", "!=", "==", "<<", ">>")
_CLOSERS = {'"': '"', "`": "`", "[": "]"}


def tokenize(sql: str) -> list[Token]:
    """Split SQL into tokens, dropping whitespace and comments; quoted text is kept whole."""
    out: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        ch_ = sql[i]
        if ch_.isspace():
            i += 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif ch_ == "'":
            j = _end_of_quoted(sql, i, "'")
            out.append(Token("string", sql[i:j], i, j))
            i = j
        elif ch_ in _CLOSERS:
            j = _end_of_quoted(sql, i, _CLOSERS[ch_])
            out.append(Token("quoted", sql[i:j], i, j))
            i = j
        elif ch_ in "xX" and i + 1 < n and sql[i + 1] == "'":
            j = _end_of_quoted(sql, i + 1, "'")
            out.append(Token("blob", sql[i:j], i, j))
            i = j
        elif (m := _NUMBER.match(sql, i)) and (ch_.isdigit() or ch_ == "."):
            out.append(Token("number", m.group(), i, m.end()))
            i = m.end()
        elif m := _WORD.match(sql, i):
            out.append(Token("word", m.group(), i, m.end()))
            i = m.end()
        elif ch_ in "(),;.":
            out.append(Token("punct", ch_, i, i + 1))
            i += 1
        else:
            op = next((o for o in _OPS if sql.startswith(o, i)), ch_)
            out.append(Token("op", op, i, i + len(op)))
            i += len(op)
    return out


def _end_of_quoted(sql: str, i: int, closer: str) -> int:
    """Index just past the quoted text starting at ``i`` (a doubled closer is an escape)."""
    j = i + 1
    while True:
        k = sql.find(closer, j)
        if k < 0:
            raise SqlTokenError(f"unterminated {sql[i]} quote at offset {i}")
        if closer != "]" and sql.startswith(closer * 2, k):
            j = k + 2
            continue
        return k + 1


def unquote(token: Token) -> str:
    """The identifier a word, quoted identifier or string token names."""
    t = token.text
    if token.kind == "quoted" or token.kind == "string":
        inner = t[1:-1]
        if t[0] == "[":
            return inner
        return inner.replace(t[0] * 2, t[0])
    return t


def matching_paren(tokens: Sequence[Token], i: int) -> int:
    """Index of the ``)`` that closes the ``(`` at ``tokens[i]``."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].is_punct("("):
            depth += 1
        elif tokens[j].is_punct(")"):
            depth -= 1
            if depth == 0:
                return j
    raise SqlTokenError("unbalanced parentheses")


def split_top_level(tokens: Sequence[Token], sep: str = ",") -> list[list[Token]]:
    """Split on ``sep`` outside parentheses."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for t in tokens:
        if t.is_punct("("):
            depth += 1
        elif t.is_punct(")"):
            depth -= 1
        if depth == 0 and t.is_punct(sep):
            parts.append([])
        else:
            parts[-1].append(t)
    return parts


# -- normalisation --------------------------------------------------------------------------

#: words spelled upper case in canonical expressions
KEYWORDS = frozenset({
    "AND", "OR", "NOT", "IS", "NULL", "IN", "LIKE", "GLOB", "REGEXP", "MATCH", "BETWEEN", "CASE", "WHEN",
    "THEN", "ELSE", "END", "CAST", "AS", "COLLATE", "ESCAPE", "EXISTS", "TRUE", "FALSE", "CURRENT_TIMESTAMP",
    "CURRENT_DATE", "CURRENT_TIME", "DISTINCT", "ISNULL", "NOTNULL", "SELECT", "FROM", "WHERE",
})
#: keywords that are values: an operator after them is binary
_VALUE_KEYWORDS = frozenset({"NULL", "TRUE", "FALSE", "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME",
                             "END"})
_OP_ALIASES = {"==": "=", "!=": "<>"}
_LITERAL_WORDS = frozenset({"NULL", "TRUE", "FALSE", "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"})


#: SQLite's keywords (https://www.sqlite.org/lang_keywords.html) plus TRUE/FALSE: these stay quoted
RESERVED = frozenset("""
ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEFORE BEGIN BETWEEN BY
CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE
CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP
EACH ELSE END ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM
FULL GENERATED GLOB GROUP GROUPS HAVING IF IGNORE IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT
INSTEAD INTERSECT INTO IS ISNULL JOIN KEY LAST LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING
NOTNULL NULL NULLS OF OFFSET ON OR ORDER OTHERS OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY
RAISE RANGE RECURSIVE REFERENCES REGEXP REINDEX RELEASE RENAME REPLACE RESTRICT RETURNING RIGHT ROLLBACK
ROW ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER UNBOUNDED UNION
UNIQUE UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT TRUE FALSE
""".split())  # noqa: SIM905
_PLAIN_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def spell_identifier(name: str) -> str:
    """An identifier inside an expression: bare when it can be, else double-quoted.

    SQLite quotes the names it rewrites (RENAME COLUMN turns ``age >= 0`` into
    ``"years" >= 0``), SQLAlchemy quotes mixed-case names; identifiers are
    case-insensitive, so both spellings are the same expression.
    """
    if _PLAIN_IDENT.match(name) and name.upper() not in RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def strip_outer_parens(tokens: Sequence[Token]) -> list[Token]:
    out = list(tokens)
    while len(out) >= 2 and out[0].is_punct("(") and matching_paren(out, 0) == len(out) - 1:
        out = out[1:-1]
    return out


def spell(tokens: Sequence[Token]) -> str:
    """Canonical text of an expression's tokens (see the module docstring)."""
    toks = strip_outer_parens(tokens)
    pieces: list[str] = []
    prev: Token | None = None
    prev_unary = False
    for i, t in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        text = t.text
        is_keyword = t.kind == "word" and t.upper in KEYWORDS
        if is_keyword:
            text = t.upper
        elif t.kind == "word" and nxt is not None and nxt.is_punct("("):
            text = t.text.lower()
        elif t.kind == "quoted":
            text = spell_identifier(unquote(t))
        elif t.kind == "op":
            text = _OP_ALIASES.get(t.text, t.text)
        glue = prev is not None and (
            t.is_punct(")") or t.is_punct(",") or t.is_punct(".") or prev.is_punct("(") or prev.is_punct(".")
            or prev_unary
            or (t.is_punct("(") and (prev.kind == "quoted" or (prev.kind == "word" and prev.upper not in KEYWORDS)))
        )
        if pieces and not glue:
            pieces.append(" ")
        pieces.append(text)
        prev_unary = t.kind == "op" and t.text in "+-~" and (
            prev is None or prev.kind == "op" or prev.is_punct("(") or prev.is_punct(",")
            or (prev.kind == "word" and prev.upper in KEYWORDS and prev.upper not in _VALUE_KEYWORDS))
        prev = t
    return "".join(pieces)


def normalize_sql_expression(sql: str) -> str:
    try:
        return spell(tokenize(sql))
    except SqlTokenError:
        return " ".join(sql.split())


def is_literal(sql: str) -> bool:
    """Whether a default is a constant SQLite accepts bare after DEFAULT (else it needs parens)."""
    try:
        toks = strip_outer_parens(tokenize(sql))
    except SqlTokenError:
        return False
    if len(toks) == 2 and toks[0].kind == "op" and toks[0].text in "+-":
        toks = toks[1:]
        return toks[0].kind == "number"
    return len(toks) == 1 and (toks[0].kind in ("string", "number", "blob") or toks[0].upper in _LITERAL_WORDS)


def is_constant(sql: str) -> bool:
    """Whether ALTER TABLE ADD COLUMN accepts this default (no CURRENT_*, no expression)."""
    return is_literal(sql) and normalize_sql_expression(sql) not in (
        "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME")


def normalize_type_text(type_sql: str) -> str:
    try:
        toks = tokenize(type_sql)
    except SqlTokenError:
        return " ".join(type_sql.upper().split())
    cut = next((i for i, t in enumerate(toks) if t.is_word("COLLATE")), len(toks))
    pieces: list[str] = []
    prev: Token | None = None
    for t in toks[:cut]:
        glue = prev is not None and (t.kind == "punct" or (prev.kind == "punct" and not prev.is_punct(")"))
                                     or (prev.kind == "op" and prev.text in "+-"))
        if pieces and not glue:
            pieces.append(" ")
        pieces.append(t.text.upper() if t.kind == "word" else t.text)
        prev = t
    return "".join(pieces)


# -- connections ----------------------------------------------------------------------------

# -- the dialect ----------------------------------------------------------------------------

_ALWAYS = (ch.CreateTable, ch.DropTable, ch.RenameTable, ch.RenameColumn, ch.CreateIndex, ch.DropIndex,
           ch.CreateView, ch.DropView)


class SQLiteDialect(Dialect):
    name = "sqlite"
    default_schema = "main"
    capabilities = Capabilities(
        transactional_ddl=True, concurrent_index=False, not_valid=False, advisory_lock=False,
        alter_column=False, alter_constraints=False, named_constraints=False, schemas=False,
        enums=False, sequences=False, comments=False, identity=False,
    )
    max_identifier_length = 1_000_000
    serial_types: dict[str, str] = {}
    #: ``GENERATED ALWAYS AS (...)`` without STORED is VIRTUAL on SQLite
    generated_stored_default = False

    # -- normalisation -------------------------------------------------------------------
    def normalize_type(self, type_sql: str) -> str:
        return normalize_type_text(type_sql)

    def normalize_default(self, default_sql: str, column_type: str) -> str:
        return normalize_sql_expression(default_sql)

    def normalize_expression(self, sql: str) -> str:
        return normalize_sql_expression(sql)

    def default_constraint_name(self, kind: ConstraintKind, table: str, columns: Sequence[str]) -> str | None:
        return None

    def sqlalchemy_dialect(self) -> SADialect:
        from sqlalchemy.dialects import sqlite

        return sqlite.dialect()  # type: ignore[no-untyped-call]

    # -- running migrations ----------------------------------------------------------------
    #: take the database's write lock at BEGIN, so two runners serialise on it (no advisory locks)
    begin_sql = "BEGIN IMMEDIATE"

    def database_name(self, url: str) -> str:
        path = url_path(url)
        return Path(path).name if path != ":memory:" else path

    # -- what ALTER TABLE can do ---------------------------------------------------------
    def can_apply(self, change: ch.Change) -> bool:
        """Only what SQLite's ALTER TABLE does natively; the planner rebuilds the table for the rest.

        DropColumn always rebuilds: the change does not say whether the column is indexed,
        constrained or referenced (where DROP COLUMN fails), and SQLite's DROP COLUMN
        rewrites the whole table anyway, so a rebuild costs the same.
        """
        if isinstance(change, _ALWAYS):
            return True
        if isinstance(change, ch.AddColumn):
            c = change.column
            if c.serial or (c.generated is not None and c.generated.stored):
                return False
            if c.default is not None and not is_constant(c.default):
                return False
            return c.nullable or (c.default is not None and normalize_sql_expression(c.default) != "NULL")
        return False

    # -- rendering helpers ---------------------------------------------------------------
    def _default_sql(self, default: str) -> str:
        return default if is_literal(default) else f"({default})"

    def column_sql(self, c: Column, *, inline_pk: bool = False) -> str:
        parts = [self.quote(c.name)]
        if c.type:
            parts.append(c.type)
        if not c.nullable:
            parts.append("NOT NULL")
        if inline_pk:
            parts.append("PRIMARY KEY AUTOINCREMENT")
        if c.default is not None and c.generated is None:
            parts.append(f"DEFAULT {self._default_sql(c.default)}")
        if c.collation:
            parts.append(f"COLLATE {self.quote(c.collation)}")
        if c.generated is not None:
            kind = "STORED" if c.generated.stored else "VIRTUAL"
            parts.append(f"GENERATED ALWAYS AS ({c.generated.expression}) {kind}")
        return " ".join(parts)

    def _columns(self, cols: Sequence[str]) -> str:
        return ", ".join(self.quote(c) for c in cols)

    def foreign_key_sql(self, fk: ForeignKey) -> str:
        parts = []
        if fk.name:
            parts.append(f"CONSTRAINT {self.quote(fk.name)}")
        parts.append(f"FOREIGN KEY ({self._columns(fk.columns)}) REFERENCES {self.quote(fk.ref_table)} "
                     f"({self._columns(fk.ref_columns)})")
        if fk.on_delete != "NO ACTION":
            parts.append(f"ON DELETE {fk.on_delete}")
        if fk.on_update != "NO ACTION":
            parts.append(f"ON UPDATE {fk.on_update}")
        if fk.match_full:
            parts.append("MATCH FULL")
        if fk.deferrable:
            parts.append("DEFERRABLE INITIALLY DEFERRED" if fk.initially_deferred else "DEFERRABLE")
        return " ".join(parts)

    def table_sql(self, t: Table, name: str | None = None) -> str:
        """CREATE TABLE with every column and constraint, foreign keys inline; no indexes."""
        if t.schema != self.default_schema:
            raise UnsupportedConstruct(f"table {t.qualname}", "a schema other than main",
                                       "SQLite has a single namespace.")
        pk = t.primary_key
        serial = [c.name for c in t.columns if c.serial]
        inline = serial[0] if pk is not None and len(serial) == 1 and pk.columns == (serial[0],) else None
        lines = [self.column_sql(c, inline_pk=c.name == inline) for c in t.columns]
        if pk is not None and inline is None:
            named = f"CONSTRAINT {self.quote(pk.name)} " if pk.name else ""
            lines.append(f"{named}PRIMARY KEY ({self._columns(pk.columns)})")
        for u in t.uniques:
            named = f"CONSTRAINT {self.quote(u.name)} " if u.name else ""
            lines.append(f"{named}UNIQUE ({self._columns(u.columns)})")
        for c in t.checks:
            named = f"CONSTRAINT {self.quote(c.name)} " if c.name else ""
            lines.append(f"{named}CHECK ({c.expression})")
        lines += [self.foreign_key_sql(fk) for fk in t.foreign_keys]
        body = ",\n    ".join(lines)
        return f"CREATE TABLE {self.quote(name or t.name)} (\n    {body}\n);"

    def element_sql(self, e: IndexElement) -> str:
        text = e.value if e.is_expression else self.quote(e.value)
        if e.collation:
            text += f" COLLATE {self.quote(e.collation)}"
        if e.descending:
            text += " DESC"
        return text

    def index_sql(self, table: str, ix: Index) -> str:
        if ix.method != "btree" or ix.include or ix.nulls_not_distinct:
            raise UnsupportedConstruct(f"index {ix.name}", "an index method, INCLUDE or NULLS NOT DISTINCT",
                                       "SQLite only has plain b-tree indexes.")
        if any(e.nulls_first is not None for e in ix.elements):
            raise UnsupportedConstruct(f"index {ix.name}", "NULLS FIRST/LAST on a key",
                                       "SQLite indexes sort NULLs first ascending and last descending; "
                                       "drop the NULLS clause.")
        unique = "UNIQUE " if ix.unique else ""
        elements = ", ".join(self.element_sql(e) for e in ix.elements)
        where = f" WHERE {ix.where}" if ix.where else ""
        return f"CREATE {unique}INDEX {self.quote(ix.name)} ON {self.quote(table)} ({elements}){where};"

    def placeholder(self, type_name: str, *, distinct: bool = False) -> str:
        """A value to stand in for lost data when a dropped NOT NULL column is re-created.

        Chosen by the column's type affinity (https://www.sqlite.org/datatype3.html), with
        date and time types given a valid date or time rather than 0; ``distinct`` (a key
        or unique column) derives it from the row's rowid so rows do not collide.
        """
        t = type_name.upper()
        if distinct:
            return "CAST(rowid AS TEXT)" if any(k in t for k in ("CHAR", "CLOB", "TEXT")) else "rowid"
        if "INT" in t:
            return "0"
        if any(k in t for k in ("CHAR", "CLOB", "TEXT")):
            return "''"
        if "BLOB" in t or not t:
            return "x''"
        if "DATETIME" in t or "TIMESTAMP" in t:
            return "'1970-01-01 00:00:00'"
        if "DATE" in t:
            return "'1970-01-01'"
        if "TIME" in t:
            return "'00:00:00'"
        return "0"

    def _alter(self, table: str, action: str) -> Statement:
        return Statement(f"ALTER TABLE {self.quote(table)} {action};")

    # -- renderers -----------------------------------------------------------------------
    def render_create_table(self, change: ch.CreateTable) -> list[Statement]:
        """The table with its foreign keys inline; the planner emits its indexes as CreateIndex."""
        return [Statement(self.table_sql(change.table))]

    def render_drop_table(self, change: ch.DropTable) -> list[Statement]:
        return [Statement(f"DROP TABLE {self.quote(change.table.name)};")]

    def render_rename_table(self, change: ch.RenameTable) -> list[Statement]:
        return [self._alter(change.old, f"RENAME TO {self.quote(change.new)}")]

    def render_rename_column(self, change: ch.RenameColumn) -> list[Statement]:
        return [self._alter(change.table, f"RENAME COLUMN {self.quote(change.old)} TO {self.quote(change.new)}")]

    def render_add_column(self, change: ch.AddColumn) -> list[Statement]:
        return [self._alter(change.table, f"ADD COLUMN {self.column_sql(change.column)}")]

    def render_drop_column(self, change: ch.DropColumn) -> list[Statement]:
        return [self._alter(change.table, f"DROP COLUMN {self.quote(change.column.name)}")]

    def render_create_index(self, change: ch.CreateIndex) -> list[Statement]:
        return [Statement(self.index_sql(change.table, change.index))]

    def render_drop_index(self, change: ch.DropIndex) -> list[Statement]:
        return [Statement(f"DROP INDEX {self.quote(change.index.name)};")]

    def render_create_view(self, change: ch.CreateView) -> list[Statement]:
        v = change.view
        if v.materialized:
            raise UnsupportedConstruct(f"view {v.schema}.{v.name}", "a materialized view",
                                       "SQLite has no materialized views.")
        return [Statement(f"CREATE VIEW {self.quote(v.name)} AS {v.definition};")]

    def render_drop_view(self, change: ch.DropView) -> list[Statement]:
        v = change.view
        if v.materialized:
            raise UnsupportedConstruct(f"view {v.schema}.{v.name}", "a materialized view",
                                       "SQLite has no materialized views.")
        return [Statement(f"DROP VIEW {self.quote(v.name)};")]

    def render_rebuild_table(self, change: ch.RebuildTable) -> list[Statement]:
        """SQLite's documented procedure: create the new table, copy, drop the old, rename.

        Runs inside the migration's transaction with ``foreign_keys`` OFF (set by the
        runner outside it).  ``legacy_alter_table`` is on for the final rename only, so
        SQLite does not re-check views and triggers that name the table while it is
        momentarily missing.
        """
        old, new = change.old, change.new
        temp = REBUILD_PREFIX + new.name
        generated = {c.name for c in new.columns if c.generated is not None}
        pairs = [(dst, self.quote(src)) for dst, src in change.column_map if src is not None and dst not in generated]
        sources = dict(change.column_map)
        keyed = {*(new.primary_key.columns if new.primary_key else ()), *(n for u in new.uniques for n in u.columns),
                 *(e.value for ix in new.indexes if ix.unique for e in ix.elements if not e.is_expression)}
        filled = [(c.name, self.placeholder(c.type, distinct=c.name in keyed)) for c in new.columns
                  if c.name in change.backfill and sources.get(c.name) is None and c.name not in generated]
        pairs += filled
        out = [Statement(self.table_sql(new, temp),
                         comment=f"rebuild {new.name}: SQLite cannot make this change with ALTER TABLE; "
                                 "needs PRAGMA foreign_keys=OFF outside the transaction (the runner sets it)")]
        if pairs:
            note = None
            if filled:
                note = (f"existing rows get placeholder values for {', '.join(n for n, _ in filled)}; "
                        "the real values are only in a backup")
            out.append(Statement(
                f"INSERT INTO {self.quote(temp)} ({self._columns([d for d, _ in pairs])}) "
                f"SELECT {', '.join(v for _, v in pairs)} FROM {self.quote(old.name)};", comment=note))
        out += [
            Statement(f"DROP TABLE {self.quote(old.name)};"),
            Statement("PRAGMA legacy_alter_table=ON;"),
            Statement(f"ALTER TABLE {self.quote(temp)} RENAME TO {self.quote(new.name)};"),
            Statement("PRAGMA legacy_alter_table=OFF;"),
        ]
        out += [Statement(self.index_sql(new.name, ix)) for ix in new.indexes]
        out.append(Statement(f"PRAGMA foreign_key_check({self.quote(new.name)});"))
        return out

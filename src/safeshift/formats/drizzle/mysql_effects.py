"""What a drizzle MySQL migration's own SQL creates, drops and renames, for its down file's checks.

The same ``Effects`` as ``effects.py`` gives for PostgreSQL (keys ``("table", schema, name)``,
``("column", schema, table, name)``, ...; the schema is always the model's one namespace), read
from the statement forms drizzle-kit's MySQL generator writes and their usual hand-written
spellings: ``CREATE TABLE``, ``DROP TABLE``, ``RENAME TABLE a TO b``, ``CREATE [UNIQUE] INDEX i ON t``,
``DROP INDEX i ON t``, and ``ALTER TABLE`` with ``ADD [COLUMN]``, ``ADD CONSTRAINT``, ``ADD PRIMARY
KEY``, ``DROP [COLUMN]``, ``DROP FOREIGN KEY|INDEX|KEY|CONSTRAINT|CHECK``, ``RENAME COLUMN``,
``RENAME INDEX|KEY``, ``RENAME [TO]``, ``CHANGE [COLUMN] old new`` (a rename when the names differ).
A schema-changing statement in any other form is counted unreadable, so its down file is refused
rather than guessed; data statements (INSERT, UPDATE, ...) change nothing here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from safeshift.formats.drizzle.effects import Effects, Key, Rename, _rename
from safeshift.sections import SqlStatement

#: a backticked identifier (doubled backticks inside), a quoted string, a word, or one other character
_TOKEN = re.compile(r"`((?:[^`]|``)*)`|'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"|([A-Za-z0-9_$]+)|(\S)")
_COMMENT = re.compile(r"--[^\n]*|#[^\n]*|/\*.*?\*/", re.DOTALL)
#: statements that change no schema object
_DATA = {"INSERT", "UPDATE", "DELETE", "REPLACE", "SELECT", "SET", "CALL", "DO", "TRUNCATE", "LOCK", "UNLOCK",
         "ANALYZE", "OPTIMIZE", "START", "BEGIN", "COMMIT", "ROLLBACK", "WITH"}


class _Unreadable(Exception):
    pass


class _Tokens:
    """The statement as (is_identifier, text) tokens, read left to right."""

    def __init__(self, sql: str) -> None:
        self.items: list[tuple[bool, str]] = []
        for m in _TOKEN.finditer(_COMMENT.sub(" ", sql)):
            if m.group(1) is not None:
                self.items.append((True, m.group(1).replace("``", "`")))
            elif m.group(2) is not None:
                self.items.append((False, m.group(2)))
            else:
                self.items.append((False, m.group(0)))
        self.i = 0

    def peek(self, ahead: int = 0) -> str:
        j = self.i + ahead
        return self.items[j][1].upper() if j < len(self.items) and not self.items[j][0] else ""

    def take(self, *words: str) -> bool:
        """Consume ``words`` if the next tokens are those keywords."""
        if all(self.peek(k) == w for k, w in enumerate(words)):
            self.i += len(words)
            return True
        return False

    def name(self) -> str:
        """An identifier (backticked or bare); a ``db.`` qualifier is dropped (one namespace per URL)."""
        if self.i >= len(self.items):
            raise _Unreadable
        quoted, text = self.items[self.i]
        if not quoted and not re.fullmatch(r"[A-Za-z0-9_$]+", text):
            raise _Unreadable
        self.i += 1
        if self.i < len(self.items) and self.items[self.i] == (False, "."):
            self.i += 1
            return self.name()
        return text

    def clauses(self) -> list[_Tokens]:
        """The rest, cut at top-level commas (an ALTER TABLE's actions)."""
        out: list[_Tokens] = []
        depth, start = 0, self.i
        for j in range(self.i, len(self.items) + 1):
            tok = self.items[j] if j < len(self.items) else (False, ",")
            if tok == (False, "("):
                depth += 1
            elif tok == (False, ")"):
                depth -= 1
            elif tok == (False, ",") and depth == 0:
                part = _Tokens("")
                part.items = self.items[start:j]
                out.append(part)
                start = j + 1
        return out


def read_mysql_effects(statements: Sequence[SqlStatement], default_schema: str) -> Effects:
    """The effects of the migration's statements, in order (as ``effects.read_effects`` for PostgreSQL)."""
    out = Effects()
    for st in statements:
        try:
            _statement(_Tokens(st.sql), st, default_schema, out)
        except _Unreadable:
            out.unreadable.append((st.line, " ".join(st.sql.split()[:4])))
    return out


def _statement(t: _Tokens, st: SqlStatement, ds: str, out: Effects) -> None:
    if not t.items or t.peek() in _DATA:
        return
    if t.take("CREATE"):
        t.take("OR", "REPLACE")
        t.take("TEMPORARY")
        if t.take("TABLE"):
            t.take("IF", "NOT", "EXISTS")
            out.created.add(("table", ds, t.name()))
            return
        unique = t.take("UNIQUE")
        for word in ("FULLTEXT", "SPATIAL"):
            t.take(word)
        if t.take("INDEX"):
            t.take("IF", "NOT", "EXISTS")
            name = t.name()
            if not t.take("ON"):
                raise _Unreadable
            table = t.name()
            out.created.add(("index", ds, name))
            if unique:  # the model holds a unique index on plain columns as a UNIQUE key (``Dialect.fold``)
                out.created.add(("constraint", ds, table, name))
            return
        # CREATE [ALGORITHM = ...] [DEFINER = ...] [SQL SECURITY ...] VIEW name
        view = next((j for j in range(t.i, min(t.i + 12, len(t.items))) if t.items[j] == (False, "VIEW")), None)
        if view is not None:
            t.i = view + 1
            out.created.add(("view", ds, t.name()))
            return
        raise _Unreadable
    if t.take("DROP"):
        t.take("TEMPORARY")
        if t.take("TABLE") or t.take("VIEW"):
            kind = "view" if t.items[t.i - 1][1].upper() == "VIEW" else "table"
            t.take("IF", "EXISTS")
            for clause in t.clauses():
                out.dropped.add((kind, ds, clause.name()))
            return
        if t.take("INDEX"):
            t.take("IF", "EXISTS")
            name = t.name()
            if not t.take("ON"):
                raise _Unreadable
            out.dropped.add(("index", ds, name))
            return
        raise _Unreadable
    if t.take("RENAME", "TABLE"):
        for clause in t.clauses():
            old = clause.name()
            if not clause.take("TO"):
                raise _Unreadable
            _rename(out, Rename("table", ("table", ds, old), ("table", ds, clause.name()), st.line, st.sql))
        return
    if t.take("ALTER"):
        t.take("ONLINE")
        t.take("IGNORE")
        if not t.take("TABLE"):
            raise _Unreadable
        table = t.name()
        for clause in t.clauses():
            table = _alter(clause, table, st, ds, out)
        return
    raise _Unreadable


def _alter(c: _Tokens, table: str, st: SqlStatement, ds: str, out: Effects) -> str:
    """One ALTER TABLE action; returns the table's name after it."""
    if c.peek() in ("ALGORITHM", "LOCK", "FORCE", "ENGINE", "COMMENT", "AUTO_INCREMENT", "DEFAULT", "CHARACTER",
                    "CONVERT", "COLLATE", "MODIFY", "ALTER", "ORDER", "ROW_FORMAT", "ENABLE", "DISABLE"):
        if c.peek() in ("MODIFY", "ALTER") and c.peek(1) in ("CONSTRAINT", "CHECK", "INDEX", "KEY"):
            raise _Unreadable
        return table  # a column's or the table's definition changes: nothing created, dropped or renamed
    if c.take("ADD"):
        c.take("IF", "NOT", "EXISTS")
        if c.take("CONSTRAINT"):
            name = c.name() if c.peek() not in ("PRIMARY", "UNIQUE", "FOREIGN", "CHECK") else None
            out.created.add(("constraint", ds, table, name))
        elif c.peek() in ("PRIMARY", "UNIQUE", "FOREIGN", "CHECK"):
            out.created.add(("constraint", ds, table, None))
        elif c.take("INDEX") or c.take("KEY") or c.take("FULLTEXT") or c.take("SPATIAL"):
            c.take("INDEX") or c.take("KEY")
            out.created.add(("index", ds, c.name()))
        else:
            c.take("COLUMN")
            if c.peek() == "(":
                raise _Unreadable  # ADD (a int, b int): several columns at once
            out.created.add(("column", ds, table, c.name()))
        return table
    if c.take("DROP"):
        if c.take("PRIMARY", "KEY"):
            out.dropped.add(("constraint", ds, table, "PRIMARY"))
        elif c.take("FOREIGN", "KEY") or c.take("CONSTRAINT") or c.take("CHECK"):
            c.take("IF", "EXISTS")
            out.dropped.add(("constraint", ds, table, c.name()))
        elif c.take("INDEX") or c.take("KEY"):
            c.take("IF", "EXISTS")
            out.dropped.add(("index", ds, c.name()))
        else:
            c.take("COLUMN")
            c.take("IF", "EXISTS")
            out.dropped.add(("column", ds, table, c.name()))
        return table
    if c.take("RENAME"):
        if c.take("COLUMN"):
            old = c.name()
            if not c.take("TO"):
                raise _Unreadable
            _rename(out, Rename("column", ("column", ds, table, old), ("column", ds, table, c.name()), st.line, st.sql))
            return table
        if c.take("INDEX") or c.take("KEY"):
            old = c.name()
            if not c.take("TO"):
                raise _Unreadable
            _rename(out, Rename("index", ("index", ds, old), ("index", ds, c.name()), st.line, st.sql))
            return table
        c.take("TO") or c.take("AS")
        new = c.name()
        _rename(out, Rename("table", ("table", ds, table), ("table", ds, new), st.line, st.sql))
        return new
    if c.take("CHANGE"):
        c.take("COLUMN")
        old, new = c.name(), c.name()
        if old != new:
            _rename(out, Rename("column", ("column", ds, table, old), ("column", ds, table, new), st.line, st.sql))
        return table
    raise _Unreadable


__all__ = ["Key", "read_mysql_effects"]

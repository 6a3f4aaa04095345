"""What SQLite enforces about a column's declared type, for comparing two schemas as SQLite would.

SQLite keeps a column's declared type verbatim (``sqlite_master`` shows it, and safeshift's model keeps
it so a rebuild reproduces it), but in an ordinary table it enforces only the type's *affinity*, derived
from the text by the rules of https://www.sqlite.org/datatype3.html#determination_of_column_affinity:
``VARCHAR(40)`` and ``VARCHAR(80)`` store the same values the same way, as do ``FLOAT``, ``REAL`` and
``DOUBLE``.  A change between such types is one SQLite would not notice, so proposing a table rebuild
(and a data-loss warning) for it is noise.  Two things do depend on the text itself:

- the rowid alias: a single-column primary key declared exactly ``INTEGER`` in a rowid table *is* the
  rowid (auto-assigned, integers only); ``INT PRIMARY KEY`` is an ordinary column of INTEGER affinity
  (https://www.sqlite.org/lang_createtable.html#rowid).  Same affinity, different behaviour;
- STRICT tables (https://www.sqlite.org/stricttables.html) enforce the type name itself.

Table options (``STRICT``, ``WITHOUT ROWID``) are held in ``Table.options`` as SQLite writes them.
"""

from __future__ import annotations

import re
from typing import Literal

from safeshift.model import Column, Table

Affinity = Literal["INTEGER", "TEXT", "BLOB", "REAL", "NUMERIC"]

#: ``Table.options`` entries of SQLite's table options, as ``CREATE TABLE ... STRICT, WITHOUT ROWID`` spells them
STRICT = "STRICT"
WITHOUT_ROWID = "WITHOUT ROWID"


def affinity(type_text: str) -> Affinity:
    """The affinity SQLite gives a declared type: the first rule that matches, in SQLite's order
    (``CHARINT`` is INTEGER; ``FLOATING POINT`` is INTEGER too, for its ``INT``)."""
    t = type_text.upper()
    if "INT" in t:
        return "INTEGER"
    if "CHAR" in t or "CLOB" in t or "TEXT" in t:
        return "TEXT"
    if "BLOB" in t or not t.strip():
        return "BLOB"
    if "REAL" in t or "FLOA" in t or "DOUB" in t:
        return "REAL"
    return "NUMERIC"


def is_strict(table: Table) -> bool:
    return STRICT in table.options


def is_rowid_alias(table: Table, column: Column) -> bool:
    """Whether ``column`` is the table's rowid: its only key column, declared exactly ``INTEGER``, in a
    table that has a rowid (the model's types are upper case already)."""
    pk = table.primary_key
    return (pk is not None and pk.columns == (column.name,) and column.type == "INTEGER"
            and WITHOUT_ROWID not in table.options)


def same_type(old_table: Table, old: Column, new_table: Table, new: Column) -> bool:
    """Whether SQLite treats the declared types of ``old`` (in ``old_table``) and ``new`` (in ``new_table``)
    alike: the same text; or, outside STRICT tables, the same affinity where neither column is the rowid."""
    if old.type == new.type:
        return True
    if is_strict(old_table) or is_strict(new_table):
        return False
    if is_rowid_alias(old_table, old) or is_rowid_alias(new_table, new):
        return False
    return affinity(old.type) == affinity(new.type)


_QUOTED = re.compile(r"'((?:[^']|'')*)'")
_INTEGER = re.compile(r"[+-]?\d+")
_REAL = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_INT64 = 2**63


def stored_default(default: str, column_type: str) -> str:
    """A constant default as the value a column of ``column_type`` stores (its affinity converts it on the
    way in): ``'0'`` and ``0`` are one default of a BOOLEAN (NUMERIC) column, ``0`` and ``'0'`` one of a
    TEXT column, ``0`` and ``0.0`` one of a REAL column, ``TRUE`` and ``1`` one of a numeric one.  Anything
    else (an expression, a string that is no number, any BLOB column's default) is returned as it is."""
    kind = affinity(column_type)
    quoted = _QUOTED.fullmatch(default)
    if quoted is None and default.upper() in ("TRUE", "FALSE"):
        default = "1" if default.upper() == "TRUE" else "0"  # SQLite's TRUE and FALSE are the integers
    if kind == "BLOB":
        return default
    if kind == "TEXT":  # a number is stored as its text
        if quoted is None and _INTEGER.fullmatch(default) and -_INT64 <= int(default) < _INT64:
            return f"'{int(default)}'"
        return f"'{float(default)!r}'" if quoted is None and _REAL.fullmatch(default) else default
    number = (quoted.group(1) if quoted else default).strip()
    if not _REAL.fullmatch(number):
        return default
    if kind == "REAL":
        return repr(float(number))
    if _INTEGER.fullmatch(number):
        value = int(number)
        return str(value) if -_INT64 <= value < _INT64 else default
    real = float(number)  # INTEGER and NUMERIC keep a real that is exactly an integer as that integer
    return str(int(real)) if real.is_integer() and -_INT64 <= real < _INT64 else repr(real)

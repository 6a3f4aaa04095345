"""MySQL/MariaDB column types in one canonical spelling: what ``information_schema.COLUMNS.COLUMN_TYPE``
says, lower case, with what the server ignores taken out.

- integer display widths are dropped (``int(11)`` → ``int``; MySQL 8.0.17 stopped printing them), except
  ``tinyint(1)``, which is how both servers store a boolean (``BOOL``/``BOOLEAN`` are its aliases);
- ``INTEGER`` → ``int``, ``NUMERIC``/``DEC``/``FIXED`` → ``decimal`` with its ``(10,0)`` default filled in,
  ``REAL``/``DOUBLE PRECISION`` → ``double``, ``FLOAT(p)`` → ``float`` (p ≤ 24) or ``double`` (p 25-53),
  ``BLOB(n)`` → the BLOB type the server picks for n bytes (``TEXT(n)`` is refused: that depends on the
  character set),
  ``CHARACTER VARYING`` → ``varchar``;
- ``unsigned`` and ``zerofill`` are kept after the base type;
- ``json`` stays ``json`` (MariaDB stores it as ``longtext`` with a ``json_valid`` CHECK: introspection folds
  that back);
- ``enum``/``set`` keep their values as the server quotes them.

A ``CHARACTER SET`` in a type is refused by name: a column's character set follows from its collation,
which the model keeps (``Column.collation``).
"""

from __future__ import annotations

import re

from safeshift.errors import UnsupportedConstruct

_INTS = ("tinyint", "smallint", "mediumint", "int", "bigint")
_ALIASES = {
    "integer": "int", "int4": "int", "int8": "bigint", "int2": "smallint", "int1": "tinyint", "int3": "mediumint",
    "middleint": "mediumint", "numeric": "decimal", "dec": "decimal", "fixed": "decimal", "real": "double",
    "double precision": "double", "float8": "double", "float4": "float", "character varying": "varchar",
    "character": "char", "national varchar": "varchar", "nvarchar": "varchar", "national char": "char",
    "nchar": "char", "bool": "tinyint(1)", "boolean": "tinyint(1)", "long varchar": "mediumtext", "long": "mediumtext",
}
_SHAPE = re.compile(r"^\s*([a-z][a-z0-9 ]*?)\s*(\((?:'(?:[^']|'')*'|[^()'])*\))?\s*((?:unsigned|signed|zerofill|\s)*)\s*$",
                    re.IGNORECASE | re.DOTALL)


def normalize_type(type_sql: str) -> str:
    """The canonical spelling of a MySQL/MariaDB column type; UnsupportedConstruct names what the model
    cannot hold (a character set written into the type)."""
    # a collation is the column's (SQLAlchemy compiles String(collation=...) into the type): the model keeps it apart
    text = re.sub(r"\s+collate\s+[`'\"]?\w+[`'\"]?", "", " ".join(type_sql.split()), flags=re.IGNORECASE)
    if re.search(r"\b(character set|charset)\b", text, re.IGNORECASE):
        raise UnsupportedConstruct(f"type {text}", "a character set inside the type",
                                   "Give the column a collation instead (it implies the character set).")
    m = _SHAPE.match(text)
    if m is None:
        raise UnsupportedConstruct(f"type {text}", "a type safeshift cannot read for MySQL")
    base = m.group(1).lower().strip()
    args = m.group(2) or ""
    flags = m.group(3).lower().split()
    base = _ALIASES.get(base, base)
    if base == "tinyint(1)":
        return "tinyint(1)"
    if base in _INTS:
        if not (base == "tinyint" and args.replace(" ", "") == "(1)" and not flags):
            args = ""
    elif base == "decimal":
        nums = [a.strip() for a in args.strip("()").split(",")] if args else []
        precision = nums[0] if nums and nums[0] else "10"
        scale = nums[1] if len(nums) > 1 else "0"
        args = f"({precision},{scale})"
    elif base == "float" and args and "," not in args:
        # FLOAT(p): the server stores a float for p 0-24 and a double for 25-53 (both without the p)
        base, args = ("double" if int(args.strip("() ") or 0) > 24 else "float"), ""
    elif base in ("double", "float") and args:
        args = "(" + ",".join(a.strip() for a in args.strip("()").split(",")) + ")"
    elif base in ("enum", "set"):
        args = "(" + ",".join(_values(args[1:-1])) + ")"
    elif base in ("datetime", "timestamp", "time") and args.replace(" ", "") == "(0)":
        args = ""
    elif base in ("varchar", "char", "binary", "varbinary", "bit", "year"):
        args = args.replace(" ", "")
        if base == "char" and not args:
            args = "(1)"
        if base == "binary" and not args:
            args = "(1)"
        if base == "bit" and not args:
            args = "(1)"
        if base == "year" and args == "(4)":
            args = ""
    elif base == "blob" and args:
        # BLOB(n): the server picks the smallest BLOB type holding n bytes and keeps no n
        n = int(args.strip("() ") or 0)
        base, args = ("tinyblob" if n <= 255 else "blob" if n <= 65535 else "mediumblob" if n <= 16777215
                      else "longblob"), ""
    elif base == "text" and args:
        raise UnsupportedConstruct(f"type {text}", "TEXT with a length",
                                   "The server picks TINYTEXT to LONGTEXT by the length in bytes of the column's "
                                   "character set; declare that type instead.")
    out = base + args
    if "zerofill" in flags:
        flags = [*flags, "unsigned"]  # ZEROFILL implies UNSIGNED
    if "unsigned" in flags and base in (*_INTS, "decimal", "float", "double"):
        out += " unsigned"
    if "zerofill" in flags:
        out += " zerofill"
    return out


def _values(inner: str) -> list[str]:
    """``'a', 'b''c'`` → ``["'a'", "'b''c'"]``: each value quoted as the server prints it."""
    return ["'" + v.replace("'", "''") + "'" for v in enum_values(inner)]


def enum_values(inner: str) -> list[str]:
    """The values of an ``enum(...)``/``set(...)`` argument list, unquoted."""
    return [a.replace("''", "'").replace("\\'", "'") for a in re.findall(r"'((?:[^'\\]|''|\\.)*)'", inner)]


def is_textual(column_type: str) -> bool:
    t = column_type.split("(", 1)[0]
    return t.endswith(("char", "text")) or t in ("enum", "set", "json")


def is_numeric(column_type: str) -> bool:
    t = column_type.split("(", 1)[0].split(" ", 1)[0]
    return t in (*_INTS, "decimal", "float", "double", "bit")


#: the default collation of a character set, where MariaDB 10.x and MySQL 8 agree (utf8mb4's differs:
#: utf8mb4_general_ci against utf8mb4_0900_ai_ci, so a table giving only that character set is refused)
DEFAULT_COLLATIONS = {"utf8": "utf8mb3_general_ci", "utf8mb3": "utf8mb3_general_ci", "latin1": "latin1_swedish_ci",
                      "ascii": "ascii_general_ci", "binary": "binary", "ucs2": "ucs2_general_ci",
                      "utf16": "utf16_general_ci", "utf32": "utf32_general_ci", "latin2": "latin2_general_ci"}
#: the SQLAlchemy ``mysql_*`` table options read; any other given is refused by name
TABLE_OPTIONS = ("engine", "collate", "charset", "character_set", "default_charset", "default_character_set")


def table_options(options: dict[str, object], where: str) -> list[str]:
    """A SQLAlchemy table's ``mysql_engine``/``mysql_collate``/``mysql_charset`` as ``Table.options``: ``engine=x``
    unless InnoDB, ``collate=y`` (a character set given alone is its default collation).  Any other
    ``mysql_*`` option is refused by name: left out, the table would be compared without it."""
    given = {k: v for k, v in options.items() if v not in (None, "", False)}
    other = sorted(k for k in given if k not in TABLE_OPTIONS)
    if other:
        raise UnsupportedConstruct(where, ", ".join(f"mysql_{k}" for k in other),
                                   "safeshift reads only mysql_engine, mysql_collate and mysql_charset of a table.")
    out = []
    engine = str(given.get("engine", "InnoDB"))
    if engine.lower() != "innodb":
        out.append(f"engine={engine}")
    collate = given.get("collate")
    charset = next((str(given[k]) for k in TABLE_OPTIONS[2:] if k in given), None)
    if collate is None and charset is not None:
        collate = DEFAULT_COLLATIONS.get(charset.lower())
        if collate is None:
            raise UnsupportedConstruct(where, f"mysql_charset={charset!r} without mysql_collate",
                                       "Its default collation differs between MySQL and MariaDB: give mysql_collate.")
    if collate is not None:
        out.append(f"collate={str(collate).lower()}")
    return out

"""PostgreSQL's canonical spellings: column types as ``format_type`` prints them, and defaults,
expressions and view definitions as pglast deparses them.

A schema written in SQLAlchemy and the same schema read back from the catalogs must compare equal,
so every schema producer asks these questions through the dialect.  Expressions are parsed with pglast,
stripped of the casts PostgreSQL adds on its own and deparsed (``expressions``, imported only when an
expression needs it), so parentheses and implicit casts never cause a false diff.  The normalisers are
cached: a big schema repeats the same few types and defaults.
"""

from __future__ import annotations

import re
from functools import lru_cache

from safeshift.dialects.postgres.names import quote_ident

#: type spellings (lower case, single spaces) that format_type prints as a fixed name
_TYPE_ALIASES: dict[str, str] = {
    "int": "integer", "int4": "integer", "integer": "integer", "serial": "integer", "serial4": "integer",
    "int8": "bigint", "bigint": "bigint", "bigserial": "bigint", "serial8": "bigint",
    "int2": "smallint", "smallint": "smallint", "smallserial": "smallint", "serial2": "smallint",
    "bool": "boolean", "boolean": "boolean",
    "float8": "double precision", "double precision": "double precision", "double": "double precision",
    "float4": "real", "real": "real", "float": "double precision",
    "decimal": "numeric", "numeric": "numeric",
    "varchar": "character varying", "character varying": "character varying",
    "char varying": "character varying",
    "char": "character(1)", "character": "character(1)", "bpchar": "bpchar",
    "varbit": "bit varying", "bit varying": "bit varying", "bit": "bit(1)",
    "timestamp": "timestamp without time zone", "timestamptz": "timestamp with time zone",
    "time": "time without time zone", "timetz": "time with time zone",
}
#: the types PostgreSQL ships; any other name is a user type (an enum, a domain, a composite type)
BUILTIN_NAMES = frozenset({
    "text", "bytea", "json", "jsonb", "uuid", "date", "interval", "inet", "cidr", "macaddr", "macaddr8",
    "money", "xml", "tsvector", "tsquery", "oid", "name", "point", "line", "lseg", "box", "path",
    "polygon", "circle", "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange",
    "int4multirange", "int8multirange", "nummultirange", "tsmultirange", "tstzmultirange",
    "datemultirange", "regclass", "regtype", "regproc", "pg_lsn", "jsonpath", "txid_snapshot",
    "pg_snapshot", "xid", "xid8", "cid", "tid", *_TYPE_ALIASES.values(),
})
_COLLATE_SUFFIX = re.compile(r'\s+collate\s+(?:"(?:[^"]|"")*"|[\w.]+)$', re.IGNORECASE)
_ARRAY_SUFFIX = re.compile(r"(\s*\[\s*\d*\s*\])+$")
_ARRAY_WORD = re.compile(r"\s+array(\s*\[\s*\d*\s*\])?$", re.IGNORECASE)
_DATETIME = re.compile(r"^(timestamp|time)(?:\((\d+)\))?(?: (with|without) time zone)?$")
_DATETIME_TZ = re.compile(r"^(timestamptz|timetz)(?:\((\d+)\))?$")
_INTERVAL = re.compile(r"^interval((?: [a-z]+)*)(?:\((\d+)\))?$")
_GENERIC = re.compile(r"^(?P<name>[a-z_][a-z0-9_$]*(?:\.[a-z_][a-z0-9_$]*)?(?: [a-z_][a-z0-9_$]*)*)(?:\((?P<mods>[^()]*)\))?$")
#: canonical integer type -> the serial pseudo-type that implies an owned sequence
SERIAL_TYPES = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}


def _split_qualified(text: str) -> list[str]:
    """Split ``a."B".c`` into identifiers, folding unquoted parts to lower case."""
    parts: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == '"':
            j = i + 1
            buf = []
            while j < len(text):
                if text[j] == '"':
                    if j + 1 < len(text) and text[j + 1] == '"':
                        buf.append('"')
                        j += 2
                        continue
                    break
                buf.append(text[j])
                j += 1
            parts.append("".join(buf))
            i = j + 1
        else:
            j = text.find(".", i)
            j = len(text) if j < 0 else j
            chunk = text[i:j].strip()
            if chunk:
                parts.append(chunk.lower())
            i = j
        while i < len(text) and text[i] in ". ":
            i += 1
    return parts


def _normalize_base_type(raw: str) -> str:
    text = raw.strip()
    if '"' in text:
        if text == '"char"':
            return '"char"'
        parts = _split_qualified(text)
        if len(parts) == 2 and parts[0] in ("public", "pg_catalog"):
            parts = parts[1:]
        return ".".join(quote_ident(p) for p in parts)
    low = " ".join(text.lower().split())
    low = re.sub(r"\s*\(\s*", "(", low)
    low = re.sub(r"\s*,\s*", ",", low)
    low = re.sub(r"\s*\)", ")", low)
    for prefix in ("pg_catalog.", "public."):
        if low.startswith(prefix):
            low = low[len(prefix):]
    m = _DATETIME.match(low)
    if m:
        prec = f"({m.group(2)})" if m.group(2) else ""
        return f"{m.group(1)}{prec} {m.group(3) or 'without'} time zone"
    m = _DATETIME_TZ.match(low)
    if m:
        prec = f"({m.group(2)})" if m.group(2) else ""
        return f"{m.group(1)[:-2]}{prec} with time zone"
    m = _INTERVAL.match(low)
    if m:
        fields = m.group(1) or ""
        prec = f"({m.group(2)})" if m.group(2) else ""
        return f"interval{fields}{prec}"
    m = _GENERIC.match(low)
    if not m:
        return low
    name: str = m.group("name")
    mods: str | None = m.group("mods")
    if name == "float":
        if mods and mods.isdigit() and int(mods) <= 24:
            return "real"
        return "double precision"
    if name in ("decimal", "numeric"):
        if not mods:
            return "numeric"
        prec, _, scale = mods.partition(",")
        return f"numeric({prec},{scale or '0'})"
    canonical = _TYPE_ALIASES.get(name)
    if canonical is not None:
        if mods and canonical in ("character(1)", "bit(1)", "bpchar"):
            return f"{canonical.split('(')[0].replace('bpchar', 'character')}({mods})"
        return f"{canonical}({mods})" if mods else canonical
    if name in BUILTIN_NAMES or mods or " " in name:
        return f"{name}({mods})" if mods else name
    if "." in name:
        schema, _, typ = name.partition(".")
        return f"{quote_ident(schema)}.{quote_ident(typ)}"
    return quote_ident(name)


# -- cached normalisers (a big schema repeats the same few types and defaults) ---------------

@lru_cache(maxsize=8192)
def normalize_type(type_sql: str) -> str:
    text = _COLLATE_SUFFIX.sub("", type_sql.strip())  # collation is a column attribute, not the type
    array = False
    m = _ARRAY_SUFFIX.search(text)
    if m:
        array, text = True, text[:m.start()]
    m = _ARRAY_WORD.search(text)
    if m:
        array, text = True, text[:m.start()]
    base = _normalize_base_type(text)
    return f"{base}[]" if array else base


@lru_cache(maxsize=8192)
def normalize_default(default_sql: str, column_type: str) -> str:
    from safeshift.dialects.postgres import expressions  # pglast: only when there is an expression

    return expressions.normalize_default(default_sql, column_type)


@lru_cache(maxsize=8192)
def normalize_expression(sql: str) -> str:
    from safeshift.dialects.postgres import expressions

    return expressions.normalize_expression(sql)


def normalize_view(sql: str) -> str:
    from safeshift.dialects.postgres import expressions

    return expressions.normalize_view(sql)

"""What a stock PostgreSQL server needs before it builds an index or a column: a default operator class
for each index key, and the extension behind a type, an operator class or an access method.

``CREATE INDEX ... USING gin (title)`` on a text column fails with "data type text has no default
operator class for access method gin" — at migrate time, in production, after ``generate`` wrote the
file without a word.  These tables let ``generate`` refuse it up front, naming what would work
(``gin_trgm_ops`` from pg_trgm, or btree_gin).  They were read from the catalogs of PostgreSQL 15.20
and 18.6 (``pg_opclass.opcdefault``), by building an index of every access method on a column of
every type listed, bare and with each of btree_gin, btree_gist, intarray and pg_trgm installed: both
versions agree on every built-in type.  A type or access method not listed is not judged (a user's
type, an extension whose classes we did not read): a refusal must never be a guess.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from safeshift.dialects.problems import Problem
from safeshift.model import Domain, Index, IndexElement, Schema, Table

_TEXT = frozenset({"text", "character varying"})
#: scalar types with btree, hash and brin support (money has btree only; see below)
_SCALARS = frozenset({
    "smallint", "integer", "bigint", "numeric", "real", "double precision", "text", "character varying",
    "character", "name", "bytea", "date", "time without time zone", "time with time zone",
    "timestamp without time zone", "timestamp with time zone", "interval", "uuid", "inet", "cidr", "macaddr",
    "macaddr8", "pg_lsn", "oid",
})
_GEOMETRIC = frozenset({"point", "line", "lseg", "box", "path", "polygon", "circle"})
#: every built-in type the tables below judge, plus the polymorphic families a column type falls in
KNOWN = _SCALARS | _GEOMETRIC | frozenset({
    "money", "boolean", "bit", "bit varying", "json", "jsonb", "xml", "tsvector", "tsquery",
    "@array", "@range", "@multirange", "@enum",
})

#: access method -> the types (or ``@family``) that have a default operator class for it on a stock server
BUILTIN_DEFAULTS: dict[str, frozenset[str]] = {
    "btree": KNOWN - _GEOMETRIC - {"json", "xml"},
    "hash": (_SCALARS | {"boolean", "jsonb", "@array", "@range", "@multirange", "@enum"}),
    "gist": frozenset({"tsvector", "tsquery", "point", "box", "polygon", "circle", "@range", "@multirange"}),
    "spgist": frozenset({"text", "character varying", "inet", "cidr", "point", "box", "polygon", "@range"}),
    "gin": frozenset({"jsonb", "tsvector", "@array"}),
    "brin": (_SCALARS | {"bit", "bit varying", "box", "@range"}),
}

#: (extension, access method) -> the types whose default operator class the extension adds
EXTENSION_DEFAULTS: dict[tuple[str, str], frozenset[str]] = {
    ("btree_gin", "gin"): _SCALARS - {"pg_lsn"} | {"money", "boolean", "bit", "bit varying", "@enum", "citext"},
    ("btree_gist", "gist"): _SCALARS - {"pg_lsn", "name"} | {"money", "boolean", "bit", "bit varying", "@enum",
                                                              "citext"},
    ("intarray", "gist"): frozenset({"integer[]"}),
}

#: types an extension brings -> the extension
EXTENSION_TYPES: dict[str, str] = {
    "citext": "citext", "hstore": "hstore", "ltree": "ltree", "lquery": "ltree", "ltxtquery": "ltree",
    "cube": "cube", "earth": "earthdistance", "seg": "seg",
    "isbn": "isn", "isbn13": "isn", "ismn": "isn", "ismn13": "isn", "issn": "isn", "issn13": "isn",
    "ean13": "isn", "upc": "isn",
    "vector": "vector", "halfvec": "vector", "sparsevec": "vector",
    "geometry": "postgis", "geography": "postgis", "box2d": "postgis", "box3d": "postgis",
    "raster": "postgis_raster", "lo": "lo",
}
#: an extension type's own default operator classes (its extension installed), by access method
EXTENSION_TYPE_DEFAULTS: dict[str, frozenset[str]] = {
    "citext": frozenset({"btree", "hash", "spgist", "brin"}),
    "hstore": frozenset({"btree", "hash", "gist", "gin"}),
    "ltree": frozenset({"btree", "hash", "gist"}),  # hash from ltree 1.3 (PostgreSQL 18)
    "cube": frozenset({"btree", "gist"}),
    "seg": frozenset({"btree", "gist"}),
    "vector": frozenset({"btree", "ivfflat"}),
    "halfvec": frozenset({"btree"}),
    "sparsevec": frozenset({"btree"}),
}

#: what btree orders by default (a key of any of these needs no further look)
_BTREE = BUILTIN_DEFAULTS["btree"] | {"integer[]"} | {t for t, m in EXTENSION_TYPE_DEFAULTS.items() if "btree" in m}

#: access methods an extension brings -> the extension
EXTENSION_METHODS: dict[str, str] = {"hnsw": "vector", "ivfflat": "vector", "bloom": "bloom", "rum": "rum"}

#: operator classes an extension brings -> the extension (btree_gin's reuse built-in names: not listed)
_BTREE_GIST = ("int2", "int4", "int8", "float4", "float8", "numeric", "timestamp", "timestamptz", "time",
               "timetz", "date", "interval", "oid", "cash", "macaddr", "macaddr8", "text", "bpchar", "bytea",
               "bit", "vbit", "inet", "cidr", "uuid", "bool", "enum")
EXTENSION_OPCLASSES: dict[str, str] = {
    "gin_trgm_ops": "pg_trgm", "gist_trgm_ops": "pg_trgm",
    "gin__int_ops": "intarray", "gist__int_ops": "intarray", "gist__intbig_ops": "intarray",
    "gin_hstore_ops": "hstore", "gist_hstore_ops": "hstore",
    "gist_ltree_ops": "ltree", "gist__ltree_ops": "ltree",
    **{f"gist_{t}_ops": "btree_gist" for t in _BTREE_GIST},
}
#: extensions whose types, operator classes and access methods the tables above hold entirely (or that bring
#: none): with any other in the schema, a key's default class or a type's origin is not judged — that
#: extension may supply either (pgvecto.rs names its type ``vector`` too)
KNOWN_EXTENSIONS = frozenset({*EXTENSION_TYPES.values(), *EXTENSION_OPCLASSES.values(), *EXTENSION_METHODS.values(),
                              "btree_gin", "plpgsql", "uuid-ossp", "pgcrypto", "unaccent", "fuzzystrmatch",
                              "pg_stat_statements", "tablefunc", "dblink", "postgres_fdw", "pgstattuple",
                              "pg_buffercache", "pgrowlocks", "pg_prewarm", "amcheck", "tsm_system_rows",
                              "tsm_system_time", "dict_int", "dict_xsyn", "moddatetime", "autoinc",
                              "insert_username", "refint", "tcn", "intagg", "pg_cron", "pg_partman"})

_VECTOR_OPCLASS = re.compile(r"^(vector|halfvec|sparsevec|bit)_(l1|l2|ip|cosine|hamming|jaccard)_ops$")
_POSTGIS_OPCLASS = re.compile(r"geometry|geography")

_RANGES = frozenset({"int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange"})
_MODIFIERS = re.compile(r"\(\s*\d+(?:\s*,\s*\d+)?\s*\)")

#: "<what to do>" after "... which has no default <method> operator class;", by (method, type or family)
_HINTS: dict[tuple[str, str], str] = {
    **{("gin", t): "name the operator class gin_trgm_ops (pg_trgm extension) for LIKE and similarity search, "
                   "or create the btree_gin extension for equality" for t in (*_TEXT, "character")},
    **{("gist", t): "name the operator class gist_trgm_ops (pg_trgm extension) for LIKE and similarity search, "
                    "or create the btree_gist extension for equality" for t in (*_TEXT, "character")},
    ("gist", "inet"): "name the built-in operator class inet_ops, or create the btree_gist extension",
    ("gist", "cidr"): "name the built-in operator class inet_ops, or create the btree_gist extension",
    ("gist", "integer[]"): "name gist__int_ops (intarray extension), or use a GIN index, whose default array_ops "
                           "serves arrays",
    ("gin", "json"): "use jsonb, which GIN indexes by default (json has no GIN support)",
    ("btree", "json"): "use jsonb, or index an expression over it (json has no equality)",
    ("hash", "json"): "use jsonb, or index an expression over it (json has no equality)",
    ("hnsw", "vector"): "name one of vector_l2_ops, vector_cosine_ops or vector_ip_ops",
    ("hnsw", "halfvec"): "name one of halfvec_l2_ops, halfvec_cosine_ops or halfvec_ip_ops",
    ("ivfflat", "halfvec"): "name one of halfvec_l2_ops, halfvec_cosine_ops or halfvec_ip_ops",
}


def problems(schema: Schema) -> list[Problem]:
    """Everything in ``schema`` a stock PostgreSQL would refuse for want of an operator class or extension.

    It runs on every ``generate``, so the common case (nothing to say) costs one cached look-up per column
    type and per index key: labels and index values are made only for a problem."""
    extensions = frozenset(e.name for e in schema.extensions)
    types = _UserTypes(schema)
    out: list[Problem] = []
    for t in schema.tables:
        columns = _columns(schema, t)
        missing = types.missing
        for c in t.columns:
            ext = missing.get(c.type, "?")
            if ext == "?":
                ext = missing[c.type] = _extension_of(c.type, extensions, types)
            if ext is not None:
                out += _typed(f"column {t.qualname}.{c.name}", c.type, extensions, types, t.key, c.name)
        for ix in t.indexes:
            if ix.method != "btree" or any(k.opclass is not None for k in ix.elements) \
                    or not _all_btree(ix.elements, columns, types):
                out += _index(f"index {ix.name} on {t.qualname}", t.key, ix, columns, extensions, types)
        keys = [(f"primary key of {t.qualname}", t.primary_key.name, t.primary_key.columns)] if t.primary_key else []
        keys += [(f"unique constraint {u.name or '(' + ', '.join(u.columns) + ')'} on {t.qualname}", u.name, u.columns)
                 for u in t.uniques]
        for what, name, cols in keys:
            elements = tuple(IndexElement(c) for c in cols)
            if not _all_btree(elements, columns, types):
                out += _index(what, t.key, Index(name or cols[0], elements), columns, extensions, types, name=name)
    for v in schema.views:
        for ix in v.indexes:  # a materialized view's: its columns' types are not modelled, only its extensions
            out += _index(f"index {ix.name} on {v.schema}.{v.name}", v.key, ix, {}, extensions, types)
    for d in schema.domains:
        out += _typed(f"domain {d.schema}.{d.name}", d.type, extensions, types, None, None)
    for ct in schema.composite_types:
        for a in ct.attributes:
            out += _typed(f"attribute {a.name} of type {ct.schema}.{ct.name}", a.type, extensions, types, None, None)
    return out


def _all_btree(elements: tuple[IndexElement, ...], columns: dict[str, str], types: _UserTypes) -> bool:
    """Whether every key is a column whose type btree orders by default (the common case, decided fast)."""
    for k in elements:
        if k.is_expression:
            continue
        family = types.family(columns.get(k.value, ""))
        if family is not None and family not in _BTREE:
            return False
    return True


class _UserTypes:
    """The schema's own types by unqualified name (they shadow an extension type of the same name), and the
    family of each column type met, remembered: a schema repeats a few types over thousands of columns."""

    def __init__(self, schema: Schema) -> None:
        self.enums = {e.name for e in schema.enums}
        self.domains: dict[str, Domain] = {d.name: d for d in schema.domains}
        self.others = {c.name for c in schema.composite_types}
        self.families: dict[str, str | None] = {}
        #: an extension the tables do not know is in the schema: defaults and type origins are not judged
        self.guessing = any(e.name not in KNOWN_EXTENSIONS for e in schema.extensions)
        #: column type -> the extension it needs and the schema does not create (None: nothing missing)
        self.missing: dict[str, str | None] = {}

    def owns(self, name: str) -> bool:
        return name in self.enums or name in self.domains or name in self.others

    def family(self, type_: str) -> str | None:
        if type_ not in self.families:
            self.families[type_] = _family(type_, self)
        return self.families[type_]


def _columns(schema: Schema, t: Table) -> dict[str, str]:
    """Column name -> type; a partition's are its parent's."""
    source = t
    if t.partition_of is not None:
        parent = schema.table(t.partition_of.schema, t.partition_of.table)
        source = parent if parent is not None else t
    return {c.name: c.type for c in source.columns}


@functools.lru_cache(maxsize=4096)
def _base_name(type_: str) -> tuple[str, bool]:
    """``character varying(10)[]`` -> (``character varying``, array); a schema qualifier and quotes go."""
    t = type_.strip()
    array = t.endswith("[]")
    while t.endswith("[]"):
        t = t[:-2].rstrip()
    t = " ".join(_MODIFIERS.sub("", t).split())
    if "." in t and not t.startswith('"'):
        t = t.rsplit(".", 1)[1]
    return t.strip('"'), array


def _family(type_: str, types: _UserTypes, depth: int = 0) -> str | None:
    """The name the tables above judge ``type_`` by (``text``, ``@array``, ``integer[]``, ``citext``), or None."""
    name, array = _base_name(type_)
    if array:
        return "integer[]" if name == "integer" else "@array"
    domain = types.domains.get(name)
    if domain is not None:  # an index key over a domain uses its base type's operator classes
        return _family(domain.type, types, depth + 1) if depth < 10 else None
    if name in types.enums:
        return "@enum"
    if types.owns(name):
        return None
    if name in _RANGES:
        return "@range"
    if name.endswith("multirange") and name[: -len("multirange")] + "range" in _RANGES:
        return "@multirange"
    if name in KNOWN or name in EXTENSION_TYPE_DEFAULTS:
        return name
    return None


def _has_default(method: str, family: str, extensions: frozenset[str]) -> bool | None:
    """Whether a key of ``family`` has a default operator class for ``method``; None: not known."""
    if family in EXTENSION_TYPE_DEFAULTS:
        own = method in EXTENSION_TYPE_DEFAULTS[family]
    elif method in BUILTIN_DEFAULTS:
        own = family in BUILTIN_DEFAULTS[method] or (family == "integer[]" and "@array" in BUILTIN_DEFAULTS[method])
    else:
        own = False
    if own or any(family in types for (ext, m), types in EXTENSION_DEFAULTS.items()
                  if m == method and ext in extensions):
        return True
    known_method = method in BUILTIN_DEFAULTS or (method in EXTENSION_METHODS and family in EXTENSION_TYPE_DEFAULTS)
    return False if known_method else None


def _opclass_extension(opclass: str) -> str | None:
    name = opclass.rsplit(".", 1)[-1].strip('"')
    if name in EXTENSION_OPCLASSES:
        return EXTENSION_OPCLASSES[name]
    if _VECTOR_OPCLASS.match(name):
        return "vector"
    if _POSTGIS_OPCLASS.search(name):
        return "postgis"
    return None


def _index(what: str, table: tuple[str, str], ix: Index, columns: dict[str, str], extensions: frozenset[str],
           types: _UserTypes, *, name: str | None = "") -> Iterator[Problem]:
    own = ix.name if name == "" else name
    needed = EXTENSION_METHODS.get(ix.method)
    if needed is not None and needed not in extensions:
        yield Problem(what, f"uses the access method {ix.method} of the {needed} extension, which the schema does not "
                            f"create; create it in the schema (CREATE EXTENSION {needed}).", table, own)
        return
    for key in ix.elements:
        if key.opclass is not None:
            ext = _opclass_extension(key.opclass)
            if ext is not None and ext not in extensions:
                yield Problem(what, f"names the operator class {key.opclass} of the {ext} extension, which the schema "
                                    f"does not create; create it in the schema (CREATE EXTENSION {ext}).", table, own)
            continue
        if key.is_expression or key.value not in columns:
            continue  # an expression's type is the server's to infer
        family = types.family(columns[key.value])
        if family is None or types.guessing or _has_default(ix.method, family, extensions) is not False:
            continue
        hint = _HINTS.get((ix.method, family)) or _generic_hint(ix.method, family)
        yield Problem(what, f"has a {ix.method} key on column {key.value} of type {columns[key.value]}, which has no "
                            f"default {ix.method} operator class; {hint}.", table, own)


def _generic_hint(method: str, family: str) -> str:
    if method == "gin" and family in EXTENSION_DEFAULTS[("btree_gin", "gin")]:
        return "create the btree_gin extension, or use a btree index"
    if method == "gist" and family in EXTENSION_DEFAULTS[("btree_gist", "gist")]:
        return "create the btree_gist extension, or use a btree index"
    return "name an operator class for the key, or use another access method"


def _extension_of(type_: str, extensions: frozenset[str], types: _UserTypes) -> str | None:
    """The extension ``type_`` belongs to when the schema does not create it (and owns no type of that name)."""
    base, _ = _base_name(type_)
    needed = EXTENSION_TYPES.get(base)
    if needed is None or needed in extensions or types.owns(base) or types.guessing:
        return None
    return needed


def _typed(what: str, type_: str, extensions: frozenset[str], types: _UserTypes, table: tuple[str, str] | None,
           name: str | None) -> Iterator[Problem]:
    needed = _extension_of(type_, extensions, types)
    if needed is None:
        return
    yield Problem(what, f"has the type {type_} of the {needed} extension, which the schema does not create; create it "
                        f"in the schema (CREATE EXTENSION {needed}) so it is created before its first use.",
                  table, name)

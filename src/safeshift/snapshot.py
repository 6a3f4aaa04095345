"""Schema ⇄ JSON: the ``meta/<version>_snapshot.json`` files that ``generate`` diffs against.

The reader and the writer are derived from the model's dataclass fields and type hints,
so a new model field is serialised without touching this module.  Each kind of type hint
(scalar, literal, optional, list, dataclass) has one codec builder in ``_KINDS`` that makes
both directions at once, so a kind cannot be read without being written or the reverse.
Fields equal to their default are left out and lists of plain values stay on one line,
which keeps snapshot files small and their git diffs about the schema change rather than
about the format.  Codecs are built once per type and walk the model directly (no
``asdict``, no intermediate dicts on the way out): ``generate`` reads one snapshot and
writes one, and at a thousand tables that is most of safeshift's own time.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import threading
import types
import typing
from collections.abc import Callable
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from safeshift.codecache import cached_exec
from safeshift.errors import MigrationsError
from safeshift.model import Schema, collector_paused

FORMAT = "safeshift.snapshot"
#: 2: column and domain defaults are held as the server stores them (``literals``: intervals, json, dates,
#: ``now()`` for every spelling of the transaction's start time); a version 1 snapshot's defaults are
#: normalised again when it is read, so a snapshot written before is not a difference by spelling alone
#: 3: a column's ``on_update`` (MySQL's ``ON UPDATE current_timestamp()``) is a field of its own, no longer part
#: of the default's text.  A snapshot is written with the lowest version that holds what it holds: one
#: without ``on_update`` stays version 2, so a safeshift that knows only 2 keeps reading it, and one with it
#: is refused there as "written by a newer safeshift" rather than read as damaged.
VERSION = 3

Decode = Callable[[Any], Any]
#: (value, indent of the line the value starts on) -> the value's text
Write = Callable[[Any, str], str]
_MISSING = dataclasses.MISSING
_NONE = type(None)


class _Invalid(Exception):
    """A value does not fit the model; ``path`` grows as the error travels up the document."""

    def __init__(self, path: list[str], problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem

    def __str__(self) -> str:
        where = "".join(p if p.startswith("[") else f".{p}" for p in self.path).lstrip(".")
        return f"{where or 'the document'} {self.problem}"


def _scalar_text(value: Any, indent: str = "") -> str:
    if type(value) is str:
        return str(encode_basestring(value))
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return json.dumps(value)


@dataclasses.dataclass(frozen=True)
class _Codec:
    """Both directions for one type hint: JSON value -> model value, and model value -> text.

    ``plain`` is set for values JSON holds as they are (str, int, bool, None and
    literals): reading then only checks the type, which keeps parsing fast, and writing
    is ``_scalar_text``, which the dataclass writer inlines.  Otherwise ``decode`` reads.
    """

    what: str
    write: Write
    decode: Decode | None = None
    plain: frozenset[type] | None = None
    choices: frozenset[Any] | None = None

    def __post_init__(self) -> None:
        if (self.plain is None) == (self.decode is None):
            raise TypeError(f"snapshot codec for {self.what} needs exactly one of plain and decode")

    def check(self, value: Any) -> Any:
        if self.plain is not None:
            if type(value) not in self.plain or (self.choices is not None and value not in self.choices):
                raise _Invalid([], f"must be {self.what}, not {json.dumps(value)}")
            return value
        assert self.decode is not None
        return self.decode(value)


def _plain(what: str, plain: set[type] | frozenset[type], choices: frozenset[Any] | None = None) -> _Codec:
    return _Codec(what, _scalar_text, plain=frozenset(plain), choices=choices)


@dataclasses.dataclass(frozen=True)
class _Kind:
    """One kind of type hint: which hints it covers and how to build their codec."""

    name: str
    matches: Callable[[Any], bool]
    build: Callable[[Any], _Codec]


@functools.cache
def _codec(tp: Any) -> _Codec:
    """The codec for one type hint, built once per type from the first kind that covers it."""
    for kind in _KINDS:
        if kind.matches(tp):
            return kind.build(tp)
    raise TypeError(f"snapshot codec cannot handle {tp}")


# -- the kinds ------------------------------------------------------------------------------------

_SCALARS: dict[Any, str] = {str: "a string", int: "an integer", bool: "true or false", float: "a number"}


def _scalar_codec(tp: Any) -> _Codec:
    # bool is an int in Python; JSON keeps true/false and numbers apart, and so do we
    return _plain(_SCALARS[tp], {tp, int} if tp is float else {tp})


def _literal_codec(tp: Any) -> _Codec:
    args = typing.get_args(tp)
    return _plain("one of " + ", ".join(json.dumps(a) for a in args), {type(a) for a in args}, frozenset(args))


def _is_optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and _NONE in typing.get_args(tp)


def _optional_codec(tp: Any) -> _Codec:
    rest = [a for a in typing.get_args(tp) if a is not _NONE]
    if len(rest) != 1:
        raise TypeError(f"snapshot codec cannot handle {tp}")
    inner = _codec(rest[0])
    what = f"{inner.what} or null"
    if inner.plain is not None:
        return _plain(what, inner.plain | {_NONE}, inner.choices and inner.choices | {None})
    dec, write = inner.decode, inner.write
    assert dec is not None
    return _Codec(what, decode=lambda v: None if v is None else dec(v),
                  write=lambda v, indent: "null" if v is None else write(v, indent))


def _is_list(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _list_codec(tp: Any) -> _Codec:
    """``tuple[X, ...]`` as a JSON list; lists of plain values stay on one line."""
    item = _codec(typing.get_args(tp)[0])

    def decode(value: Any) -> Any:
        if type(value) is not list:
            raise _Invalid([], f"must be a list, not {json.dumps(value)}")
        if item.plain is not None and item.choices is None:
            plain = item.plain
            if all(type(v) in plain for v in value):
                return tuple(value)
        for i, v in enumerate(value):
            try:
                item.check(v)
            except _Invalid as exc:
                exc.path.insert(0, f"[{i}]")
                raise
        if item.plain is not None:
            return tuple(value)
        dec = item.decode
        assert dec is not None
        return tuple([dec(v) for v in value])

    def decode_fast(value: Any) -> Any:
        # dataclass items: decode optimistically, locate the bad item only on failure
        if type(value) is list:
            dec = item.decode
            assert dec is not None
            try:
                return tuple([dec(v) for v in value])
            except _Invalid:
                pass
        return decode(value)

    def write_plain(value: Any, indent: str) -> str:
        return "[" + ", ".join(map(_scalar_text, value)) + "]"

    item_write = item.write

    def write(value: Any, indent: str) -> str:
        # empty, or only nulls: nothing that needs lines of its own (the first item settles most lists at once)
        if not value or (value[0] is None and all(v is None for v in value)):
            return write_plain(value, indent)
        inner = indent + "  "
        if _written is None:  # not inside to_json: nothing tells when an id could be another object's
            return "[\n" + ",\n".join([inner + item_write(v, inner) for v in value]) + "\n" + indent + "]"
        seen = _written.setdefault(indent, {})
        out = []
        for v in value:  # the same object (introspection shares a plain column across tables) is written once
            text = seen.get(id(v))
            if text is None:
                text = seen[id(v)] = item_write(v, inner)
            out.append(text)
        return "[\n" + inner + (",\n" + inner).join(out) + "\n" + indent + "]"

    if item.plain is not None:
        return _Codec(f"a list of {item.what}", decode=decode, write=write_plain)
    return _Codec(f"a list of {item.what}", decode=decode_fast, write=write)


def _is_dataclass(tp: Any) -> bool:
    return dataclasses.is_dataclass(tp) and isinstance(tp, type)


@dataclasses.dataclass(frozen=True)
class _Field:
    """One ``__init__`` field of a model dataclass, as both directions see it."""

    index: int
    name: str
    default: Any  # _MISSING when the field is required
    codec: _Codec


def _dataclass_codec(cls: type) -> _Codec:
    """A JSON object with one key per field that is not at its default."""
    hints = typing.get_type_hints(cls)
    fields = []
    for i, f in enumerate(dataclasses.fields(cls)):
        if not f.init:
            continue
        default: Any = f.default
        factory: Any = f.default_factory
        if default is _MISSING and factory is not _MISSING:
            default = factory()
        fields.append(_Field(i, f.name, default, _codec(hints[f.name])))
    return _Codec(f"a {cls.__name__} object", decode=_dataclass_reader(cls, fields),
                  write=_dataclass_writer(fields))


def _dataclass_reader(cls: type, fields: list[_Field]) -> Decode:
    codecs = {f.name: f.codec for f in fields}
    defaults = {f.name: f.default for f in fields if f.default is not _MISSING}
    needed = frozenset(f.name for f in fields if f.default is _MISSING)
    # plain frozen dataclasses (every field in __init__, no __post_init__) are filled in directly
    fast = (not hasattr(cls, "__post_init__") and all(f.init for f in dataclasses.fields(cls))
            and all(isinstance(d, (str, int, bool, float, tuple, type(None))) for d in defaults.values()))
    new = object.__new__

    def decode(value: Any) -> Any:
        if type(value) is not dict:
            raise _Invalid([], f"must be an object, not {json.dumps(value)}")
        kwargs: dict[str, Any] = {}
        for key, v in value.items():
            codec = codecs.get(key)
            if codec is None:
                raise _Invalid([key], f"is not a field of {cls.__name__}")
            try:
                kwargs[key] = codec.check(v)
            except _Invalid as exc:
                exc.path.insert(0, key)
                raise
        if not needed <= kwargs.keys():
            raise _Invalid([min(needed - kwargs.keys())], "is missing")
        if fast:
            # what the generated __init__ would do, without a setattr call per field
            obj: Any = new(cls)
            obj.__dict__.update(defaults, **kwargs)
            return obj
        return cls(**kwargs)

    return decode


def _dataclass_writer(fields: list[_Field]) -> Write:
    """A ``write`` function generated for the fields, as ``dataclasses`` generates ``__init__``.

    One straight-line test per field (no loop, no tuple unpacking, ``is`` tests for
    None/bool defaults) makes this three times faster than a generic field loop, which
    matters at tens of thousands of columns.
    """
    env: dict[str, Any] = {"enc": encode_basestring, "scalar": _scalar_text}
    body = ["def write(obj, indent):", "    inner = indent + '  '", "    out = []"]
    for f in fields:
        i, default = f.index, f.default
        env[f"key{i}"] = f"{encode_basestring(f.name)}: "
        env[f"default{i}"] = default
        env[f"write{i}"] = f.codec.write
        if f.codec.write is _scalar_text:
            text = "(enc(x) if type(x) is str else scalar(x))"
        else:
            text = f"write{i}(x, inner)"
        body.append(f"    x = obj.{f.name}")
        line = f"out.append(inner + key{i} + {text})"
        if default is _MISSING:
            body.append(f"    {line}")
        elif default is None or type(default) is bool:  # singletons: identity is equality and same type
            body.append(f"    if x is not default{i}: {line}")
        elif default == () and type(default) is tuple:  # the usual empty list: truth is the quick test
            body.append(f"    if x or type(x) is not tuple: {line}")
        else:  # defaults are left out; 0 is not False and () is not []
            body.append(f"    if not (x == default{i} and type(x) is type(default{i})): {line}")
    body.append("    return '{\\n' + ',\\n'.join(out) + '\\n' + indent + '}' if out else '{}'")
    cached_exec("\n".join(body), env)  # our own text, built from the dataclass fields; its code kept
    write: Write = env["write"]
    return write


#: every kind of type hint the model uses; ``_codec`` takes the first that matches
_KINDS: tuple[_Kind, ...] = (
    _Kind("dataclass", _is_dataclass, _dataclass_codec),
    _Kind("scalar", lambda tp: tp in _SCALARS, _scalar_codec),
    _Kind("literal", lambda tp: typing.get_origin(tp) is typing.Literal, _literal_codec),
    _Kind("optional", _is_optional, _optional_codec),
    _Kind("list", _is_list, _list_codec),
)


# -- public API ---------------------------------------------------------------------------------

def _header(version: int) -> str:
    return f'{{\n  "format": {encode_basestring(FORMAT)},\n  "version": {version},\n'


_HEADERS = {2: _header(2), VERSION: _header(VERSION)}


def _version(schema: Schema) -> int:
    """The lowest format version that holds ``schema`` (a thousand tables' columns: about a millisecond)."""
    return VERSION if any(c.on_update is not None for t in schema.tables for c in t.columns) else 2


#: list items' text by indent and ``id`` while one ``to_json`` runs (every object is alive, held by the schema);
#: None outside it, so an id is never taken for another object's
_written: dict[str, dict[int, str]] | None = None
_WRITING = threading.Lock()


def prepare() -> None:
    """Build the codecs ``to_json`` and ``from_json`` use (about 6 ms, once per process) now: a caller that
    is about to wait on a database does it in the wait rather than after."""
    _codec(Schema)


def to_json(schema: Schema) -> str:
    """The snapshot text: versioned, stable key order, 2-space indent, trailing newline."""
    global _written
    with _WRITING:
        _written = {}
        try:
            body = _codec(Schema).write(schema, "")  # '{\n  "dialect": ...': never empty, the dialect is required
        finally:
            _written = None
    return _HEADERS[_version(schema)] + body[2:] + "\n"


#: (dialect name, default, column type) -> the default as that dialect's normaliser spells it today; the
#: reader of a snapshot folder passes its dialects' (this module sits below them)
Renormalise = Callable[[str, str, str], str]


def from_json(text: str, source: str = "The snapshot", renormalise: Renormalise | None = None) -> Schema:
    """Parse snapshot text; ``source`` names the file in error messages; ``renormalise`` spells the defaults
    of a version 1 snapshot as today's normalisers do."""
    with collector_paused():  # a thousand tables are ~100,000 containers, none in a cycle
        return _from_json(text, source, renormalise)


def _from_json(text: str, source: str, renormalise: Renormalise | None) -> Schema:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MigrationsError(f"{source} is not valid JSON (line {exc.lineno}: {exc.msg}); "
                              "restore it from version control.") from exc
    if type(document) is not dict or document.get("format") != FORMAT:
        raise MigrationsError(f"{source} is not a safeshift snapshot; restore it from version control.")
    version = document.get("version")
    if type(version) is not int or version < 1:
        raise MigrationsError(f"{source} has an invalid format version {version!r}; "
                              "restore it from version control.")
    if version > VERSION:
        raise MigrationsError(f"{source} was written by a newer safeshift (snapshot format {version}, this one "
                              f"reads up to {VERSION}); upgrade safeshift.")
    body = {k: v for k, v in document.items() if k not in ("format", "version")}
    try:
        schema: Schema = _codec(Schema).check(body)
    except _Invalid as exc:
        raise MigrationsError(f"{source} is damaged: {exc}; restore it from version control.") from exc
    return _defaults_normalised(schema, renormalise) if version < 2 and renormalise is not None else schema


def _defaults_normalised(schema: Schema, renormalise: Renormalise) -> Schema:
    """A version 1 snapshot's defaults in today's canonical spelling."""
    from dataclasses import replace

    def spelled(default: str | None, type_: str) -> str | None:
        return None if default is None else renormalise(schema.dialect, default, type_)

    return replace(
        schema,
        tables=tuple(replace(t, columns=tuple(replace(c, default=spelled(c.default, c.type)) for c in t.columns))
                     for t in schema.tables),
        domains=tuple(replace(d, default=spelled(d.default, d.type)) for d in schema.domains))

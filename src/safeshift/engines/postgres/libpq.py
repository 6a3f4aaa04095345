"""A small read-only PostgreSQL client over libpq through ctypes, for the commands that only read (verify).

Why it exists: importing psycopg costs about 90 ms on an idle machine (its adapters, error classes, asyncio,
logging, ssl), a fifth of a whole `safeshift verify` of a 1,000-table schema, while loading libpq itself
costs about 10 ms.  libpq is the library psycopg wraps; psycopg's binary wheel carries a copy, which is the
one loaded first here, so both see the same libpq.

It offers the part of psycopg's connection API that the read paths use (``execute`` with ``%s`` and
``%(name)s`` parameters, ``cursor(row_factory=...)``, ``description``, ``fetchone``/``fetchall``,
``info.server_version``/``transaction_status``, ``autocommit``, ``rollback``, ``close``), with psycopg's
transaction behaviour: with autocommit off, the first statement opens a transaction.

A query's rows cross ctypes as one value: each row-returning statement is wrapped in ``json_agg`` and the
text decoded by ``json`` (C).  Fetching cell by cell through ctypes would cost about a microsecond per
value, 0.3 s for the columns of 1,000 tables.  JSON spells the catalog's types as psycopg returns them
(integers, booleans, text, arrays of them); ``tests/integration/test_libpq_reader.py`` holds every catalog
query to giving the same rows both ways.  A wait inside libpq is not interrupted by Ctrl-C until the
statement returns; these are short catalog reads that change nothing.
"""

from __future__ import annotations

import ctypes
import json
import queue
import re
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["LibpqConnection", "LibpqError", "connect", "load"]

#: seconds a pipeline's second lane waits for its connection before it leaves the work to the first
_LANE_CONNECT_TIMEOUT = 2
#: libpq's ConnStatusType CONNECTION_OK; ExecStatusType PGRES_COMMAND_OK, PGRES_TUPLES_OK
_CONNECTION_OK = 0
_COMMAND_OK, _TUPLES_OK = 1, 2
#: PQresultErrorField's field code for the SQLSTATE ('C')
_DIAG_SQLSTATE = ord("C")
#: libpq's PGTransactionStatusType, which psycopg's TransactionStatus mirrors
IDLE, INERROR = 0, 3

#: statements whose rows are read: wrapped in json_agg; anything else runs as it is
_ROWS = re.compile(r"\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(SELECT|WITH|VALUES|TABLE)\b", re.IGNORECASE | re.DOTALL)
#: psycopg's placeholders: %s, %(name)s, and %% for a literal percent sign
_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?s|%%")
#: text[] and int8[]: what a list parameter is sent as (psycopg sends a list as an array too)
_TEXT_ARRAY_OID, _INT8_ARRAY_OID = 1009, 1016

_lib: Any = None


class LibpqError(Exception):
    """A statement or connection libpq reported failed; ``sqlstate`` as psycopg's errors carry it."""

    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class Column(NamedTuple):
    """One entry of ``description``: ``d[0]`` and ``d.name`` both give the column's name, as in psycopg."""

    name: str


def _candidates() -> Iterator[str]:
    """psycopg's bundled libpq first (same build as the driver the other commands use), then the system's."""
    spec = find_spec("psycopg_binary")  # found, not imported
    if spec is not None and spec.origin:
        site = Path(spec.origin).parent.parent
        for folder in (site / "psycopg_binary.libs", Path(spec.origin).parent / ".dylibs"):
            yield from (str(p) for p in sorted(folder.glob("libpq*")) if ".so" in p.name or p.suffix == ".dylib")
    yield from ("libpq.so.5", "libpq.5.dylib", "libpq.dylib") if sys.platform != "win32" else ("libpq.dll",)


#: the libpq calls that wait: on the network, the server's work or a socket's write.  ctypes lets go of the GIL
#: around these, so the caller's other threads run meanwhile (a pipeline's lanes wait on the server while the
#: main thread builds the model).  Every other call reads what is already in this process's memory (a status,
#: a field of a result) and keeps the GIL: giving it up costs nothing there, but taking it back does, when
#: another thread is busy in Python it waits for that thread's switch interval (5 ms).  A lane of the
#: 1,000-table introspection made some 40 such calls per statement and so waited 15 to 50 ms per statement
#: for the GIL, on statements the server answers in one.
_WAITS = frozenset({"PQconnectdbParams", "PQexecParams", "PQprepare", "PQdescribePrepared", "PQfinish"})


class _Lib:
    """libpq's functions used here, as attributes: each from the handle that does (``_WAITS``) or does not
    let go of the GIL around the call."""


def load() -> Any | None:
    """libpq with the signatures used here, or None where no libpq can be loaded (then psycopg is used)."""
    global _lib
    if _lib is not None:
        return _lib
    for name in _candidates():
        try:
            waits, quick = ctypes.CDLL(name), ctypes.PyDLL(name)  # one library, loaded once: two views of it
        except OSError:
            continue
        lib = _Lib()
        vp, cp, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
        for fn, res, args in (
            ("PQconnectdbParams", vp, [ctypes.POINTER(cp), ctypes.POINTER(cp), i]),
            ("PQstatus", i, [vp]), ("PQerrorMessage", cp, [vp]), ("PQfinish", None, [vp]),
            ("PQserverVersion", i, [vp]), ("PQtransactionStatus", i, [vp]),
            ("PQexecParams", vp, [vp, cp, i, ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(cp),
                                  ctypes.POINTER(i), ctypes.POINTER(i), i]),
            ("PQresultStatus", i, [vp]), ("PQresultErrorMessage", cp, [vp]),
            ("PQresultErrorField", cp, [vp, i]), ("PQclear", None, [vp]),
            ("PQntuples", i, [vp]), ("PQnfields", i, [vp]), ("PQfname", cp, [vp, i]),
            ("PQftype", ctypes.c_uint, [vp, i]),
            ("PQgetvalue", ctypes.c_void_p, [vp, i, i]), ("PQgetlength", i, [vp, i, i]),
            ("PQgetisnull", i, [vp, i, i]),
            ("PQprepare", vp, [vp, cp, cp, i, ctypes.POINTER(ctypes.c_uint)]), ("PQdescribePrepared", vp, [vp, cp]),
        ):
            f = getattr(waits if fn in _WAITS else quick, fn)
            f.restype, f.argtypes = res, args
            setattr(lib, fn, f)
        _lib = lib
        return lib
    return None


def connect(conninfo: str, *, connect_timeout: int = 10) -> LibpqConnection:
    """Connect with ``conninfo`` (a URL or key=value string); the URL's own ``connect_timeout`` wins.

    Raises LibpqError with libpq's message (the caller redacts it) when the server refuses, and RuntimeError
    when libpq cannot be loaded at all (callers check ``load()`` first)."""
    lib = load()
    if lib is None:
        raise RuntimeError("libpq cannot be loaded")
    # later keywords win: connect_timeout first, so a URL (expanded from dbname) that names one overrides it
    keys = [b"connect_timeout", b"client_encoding", b"dbname", None]
    values = [str(connect_timeout).encode(), b"UTF8", conninfo.encode(), None]
    kw = (ctypes.c_char_p * len(keys))(*keys)
    vals = (ctypes.c_char_p * len(values))(*values)
    pg = lib.PQconnectdbParams(kw, vals, 1)
    if lib.PQstatus(pg) != _CONNECTION_OK:
        message = (lib.PQerrorMessage(pg) or b"").decode("utf-8", "replace").strip()
        lib.PQfinish(pg)
        raise LibpqError(message or "could not connect")
    return LibpqConnection(lib, pg, conninfo)


class _Info:
    def __init__(self, conn: LibpqConnection) -> None:
        self._conn = conn

    @property
    def server_version(self) -> int:
        return int(self._conn.lib.PQserverVersion(self._conn.pg))

    @property
    def transaction_status(self) -> int:
        return int(self._conn.lib.PQtransactionStatus(self._conn.pg))


def dict_row(names: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(names, values, strict=True))


def tuple_row(names: Sequence[str], values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(values)


class Cursor:
    """The rows of one statement, made by the connection's ``execute`` or a ``cursor()``.

    Inside ``pipeline()`` a row-returning ``execute`` only queues the statement; its rows are waited for
    when first read, so the caller works on earlier rows while the server runs this one."""

    def __init__(self, conn: LibpqConnection, row_factory: Any = tuple_row) -> None:
        self._conn = conn
        self._factory = row_factory
        self._rows: list[Any] = []
        self._names: list[str] | None = None
        self._pos = 0
        self._sql: tuple[bytes, list[bytes | None], list[int]] | None = None
        self._pending: _Job | None = None

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._rows = []

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Cursor:
        text, values, types = _bind(sql.strip().rstrip(";"), params)
        self._pos = 0
        self._rows, self._names, self._sql, self._pending = [], [], None, None
        if not _ROWS.match(sql):
            self._conn.call("run", text, values, types)
            return self
        self._sql = (text, values, types)
        self._pending = self._conn.send("rows_json", text, values, types)
        return self

    def _resolve(self) -> None:
        if self._pending is None:
            return
        names, body = self._pending.result()
        self._pending = None
        self._names = names
        data = [] if body is None else json.loads(body)
        factory = self._factory
        if factory is tuple_row:  # the two factories inlined: 20,000 calls cost more than the rows themselves
            self._rows = list(map(tuple, data))
        elif factory is dict_row:
            self._rows = [dict(zip(names, r, strict=True)) for r in data]
        else:
            self._rows = [factory(names, r) for r in data]

    @property
    def description(self) -> list[Column] | None:
        self._resolve()
        return None if self._names is None else [Column(n) for n in self._names]

    def fetchone(self) -> Any:
        self._resolve()
        if self._pos >= len(self._rows):
            return None
        self._pos += 1
        return self._rows[self._pos - 1]

    def fetchall(self) -> list[Any]:
        self._resolve()
        rest = self._rows[self._pos:]
        self._pos = len(self._rows)
        return rest


class _Job:
    """One call of a connection's method, by name, queued for whichever of the pipeline's lanes is free
    (each lane calls it on its own connection), and its outcome."""

    def __init__(self, method: str, args: tuple[Any, ...]) -> None:
        self.method, self.args = method, args
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None

    def run(self, conn: LibpqConnection) -> None:
        try:
            self.value = getattr(conn, self.method)(*self.args)
        except BaseException as exc:  # handed to the thread that reads the result
            self.error = exc
        finally:
            self.done.set()

    def result(self) -> Any:
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value


def _work(jobs: queue.SimpleQueue[_Job | None], conn: LibpqConnection) -> None:
    """A pipeline lane: run queued calls on ``conn`` until told to stop."""
    while (job := jobs.get()) is not None:
        job.run(conn)


class LibpqConnection:
    """One libpq connection; see the module's docstring for what it offers and why."""

    #: what ``introspect.postgres`` asks for instead of importing psycopg.rows
    row_factories = (dict_row, tuple_row)
    #: ``pipeline`` takes lanes (psycopg's does not)
    lanes = True

    #: how the first statement opens a transaction with autocommit off: a reader's statements all see one
    #: snapshot (the history table and the catalog agree), and its lanes share it (``pipeline``)
    BEGIN = b"BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"

    def __init__(self, lib: Any, pg: int, conninfo: str) -> None:
        self.lib = lib
        self.pg: int | None = pg
        self._conninfo = conninfo  # for a pipeline's second lane; never shown (it may hold a password)
        self.autocommit = False
        self.info = _Info(self)
        #: (column name, type oid) by statement text (``rows_json``)
        self._described: dict[bytes, list[tuple[str, int]]] = {}
        #: the pipeline's queue while one is open (``pipeline``)
        self._jobs: queue.SimpleQueue[_Job | None] | None = None
        self._lanes = 1
        #: an introspection's catalog reads started on this connection before the caller needed them
        #: (``engines.postgres.read_ahead``); the engine's ``read_catalog`` finishes them
        self.reads_ahead: Any = None

    @property
    def closed(self) -> bool:
        return self.pg is None

    def cursor(self, row_factory: Any = tuple_row) -> Cursor:
        return Cursor(self, row_factory)

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Cursor:
        return Cursor(self).execute(sql, params)

    def rollback(self) -> None:
        if self.pg is not None and self.info.transaction_status != IDLE:
            self.call("_command", b"ROLLBACK")

    def commit(self) -> None:
        if self.pg is not None and self.info.transaction_status != IDLE:
            self.call("_command", b"COMMIT")

    def close(self) -> None:
        if self.reads_ahead is not None:
            reads, self.reads_ahead = self.reads_ahead, None
            reads.close()  # the lanes stop before their connection goes
        if self.pg is not None:
            self.lib.PQfinish(self.pg)
            self.pg = None

    def __enter__(self) -> LibpqConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def pipeline(self, lanes: int = 1, settings: Sequence[str] = ()) -> Iterator[None]:
        """Statements queued by ``execute`` run in worker threads while the caller works on rows it already
        has: ctypes lets go of the GIL inside libpq, so the server's time and this process's overlap.

        With ``lanes`` above one, more connections to the same database (opened by their workers, so the
        first lane starts at once) take queued statements too, each from the one queue as it comes free,
        so the server runs several at a time: at 1,000 tables the columns query alone is as long as all the
        others together.  Every lane reads the same snapshot (exported here, imported by each lane) with
        the same values of ``settings``, so the rows agree as if one connection had read them; statements
        that are not reads are refused there (they would change one lane's session only).  A lane that
        cannot connect leaves the work to the others.  Only the workers touch the connections until the
        block ends; on the way out they finish what was queued (short catalog reads) and stop."""
        jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        shared = self._shared(settings) if lanes > 1 else None
        workers = [threading.Thread(target=_work, args=(jobs, self), name="safeshift-libpq", daemon=True)]
        if shared is not None:
            workers += [threading.Thread(target=self._clone_lane, args=(jobs, *shared), name="safeshift-libpq",
                                         daemon=True) for _ in range(lanes - 1)]
        for worker in workers:
            worker.start()
        self._jobs, self._lanes = jobs, len(workers)
        try:
            yield
        finally:
            for _ in workers:
                jobs.put(None)
            for worker in workers:
                worker.join()
            self._jobs, self._lanes = None, 1

    def _shared(self, settings: Sequence[str]) -> tuple[bytes, list[tuple[str, str]]] | None:
        """(snapshot id, [(setting, value)]) for other lanes to take on; None in autocommit, which has no
        transaction whose snapshot could be shared."""
        if self.autocommit:
            return None
        columns = "".join(f", pg_catalog.current_setting(${i + 1})" for i in range(len(settings)))
        res = self._exec(b"SELECT pg_catalog.pg_export_snapshot()" + columns.encode(),
                         [n.encode() for n in settings], [0] * len(settings))
        try:
            got = [ctypes.string_at(self.lib.PQgetvalue(res, 0, i), self.lib.PQgetlength(res, 0, i)).decode()
                   for i in range(len(settings) + 1)]
        finally:
            self.lib.PQclear(res)
        return got[0].encode(), list(zip(settings, got[1:], strict=True))

    def _clone_lane(self, jobs: queue.SimpleQueue[_Job | None], snapshot: bytes,
                    settings: list[tuple[str, str]]) -> None:
        """One more lane: a connection of its own in this snapshot with these settings, then the queue."""
        try:
            # a short wait: the block's end waits for this lane, and the first lane can do all the work
            clone = connect(self._conninfo, connect_timeout=_LANE_CONNECT_TIMEOUT)
        except (LibpqError, RuntimeError):
            return  # the other lanes do the work (a server at its connection limit, say)
        try:
            clone._command(self.BEGIN)
            clone._command(b"SET TRANSACTION SNAPSHOT '" + snapshot.replace(b"'", b"''") + b"'")
            if settings:
                pins = ", ".join(f"pg_catalog.set_config(${2 * i + 1}, ${2 * i + 2}, true)" for i in range(len(settings)))
                clone.run(("SELECT " + pins).encode(), [v.encode() for pair in settings for v in pair],
                          [0] * 2 * len(settings))
            _work(jobs, clone)
        except LibpqError:
            return
        finally:
            clone.close()

    def send(self, method: str, *args: Any) -> _Job:
        """The connection's ``method(*args)`` now, or queued for the pipeline's lanes; its outcome from
        ``result()``."""
        job = _Job(method, args)
        if self._jobs is None:
            job.run(self)
            job.result()  # outside a pipeline a failure is raised at once, as psycopg's execute raises it
        elif method != "rows_json" and self._lanes > 1:
            raise RuntimeError(f"{method} inside a pipeline of {self._lanes} lanes would change one lane only")
        else:
            self._jobs.put(job)
        return job

    def call(self, method: str, *args: Any) -> Any:
        return self.send(method, *args).result()

    def run(self, sql: bytes, values: list[bytes | None], types: list[int]) -> str | None:
        """Run one statement; the first column of its first row as text, None when it has none or it is NULL."""
        res = self._exec(sql, values, types)
        try:
            if self.lib.PQntuples(res) < 1 or self.lib.PQnfields(res) < 1 or self.lib.PQgetisnull(res, 0, 0):
                return None
            size = self.lib.PQgetlength(res, 0, 0)
            return ctypes.string_at(self.lib.PQgetvalue(res, 0, 0), size).decode("utf-8")
        finally:
            self.lib.PQclear(res)

    def rows_json(self, sql: bytes, values: list[bytes | None], types: list[int]) -> tuple[list[str], str | None]:
        """The statement's column names and its rows as one JSON text: a list of arrays, so the names do not
        repeat in every row (a third of the bytes, half the server's time at 20,000 rows).  The names come
        from ``describe``, once per statement text on this connection."""
        described = self._described.get(sql)
        if described is None:
            described = self._described[sql] = self.describe(sql, values, types)
        names = [n for n, _ in described]
        if len(names) > 100:  # json_build_array takes at most 100 arguments
            raise LibpqError(f"the libpq reader reads at most 100 columns, not {len(names)}")
        # renamed by position: a statement may give two columns the same name
        aliases = ", ".join(f"c{i}" for i in range(len(names)))
        items = ", ".join(_as_json(f"c{i}", oid, name) for i, (name, oid) in enumerate(described))
        wrapped = (f"SELECT pg_catalog.json_agg(pg_catalog.json_build_array({items}))::text FROM (".encode()
                   + sql + f"\n) q({aliases})".encode())
        return names, self.run(wrapped, values, types)

    def describe(self, sql: bytes, values: list[bytes | None], types: list[int]) -> list[tuple[str, int]]:
        """(name, type oid) of each column of the statement's rows, from the server's description of it
        prepared, not run: a ``LIMIT 0`` run planned the statement (8 to 25 ms for the larger catalog
        queries at 1,000 tables), where preparing only parses it."""
        self.begin()
        n = len(types)
        self.lib.PQclear(self._checked(self.lib.PQprepare(self.pg, b"", sql, n,
                                                          (ctypes.c_uint * n)(*types) if n else None)))
        res = self._checked(self.lib.PQdescribePrepared(self.pg, b""))
        try:
            return [(self.lib.PQfname(res, i).decode("utf-8"), int(self.lib.PQftype(res, i)))
                    for i in range(self.lib.PQnfields(res))]
        finally:
            self.lib.PQclear(res)

    def _command(self, sql: bytes) -> None:
        self.lib.PQclear(self._exec(sql, [], [], begin=False))

    def _exec(self, sql: bytes, values: list[bytes | None], types: list[int], *, begin: bool = True) -> Any:
        """Run one statement, opening a transaction first (as psycopg does) unless in autocommit."""
        if begin:
            self.begin()
        elif self.pg is None:
            raise LibpqError("the connection is closed")
        n = len(values)
        return self._checked(self.lib.PQexecParams(self.pg, sql, n, (ctypes.c_uint * n)(*types) if n else None,
                                                   (ctypes.c_char_p * n)(*values) if n else None, None, None, 0))

    def begin(self) -> None:
        """Open the transaction that the next statement runs in, as psycopg does with autocommit off."""
        if self.pg is None:
            raise LibpqError("the connection is closed")
        if not self.autocommit and self.info.transaction_status == IDLE:
            self._command(self.BEGIN)

    def _checked(self, res: Any) -> Any:
        """``res`` when it succeeded; else freed, and its error raised with its SQLSTATE."""
        status = self.lib.PQresultStatus(res) if res else -1
        if status in (_COMMAND_OK, _TUPLES_OK):
            return res
        message = ((self.lib.PQresultErrorMessage(res) if res else None) or self.lib.PQerrorMessage(self.pg) or b"")
        code = self.lib.PQresultErrorField(res, _DIAG_SQLSTATE) if res else None
        if res:
            self.lib.PQclear(res)
        raise LibpqError(message.decode("utf-8", "replace").strip() or "the statement failed",
                         code.decode() if code else None)


#: types whose JSON spelling is the value psycopg returns (a number, a boolean, a string, a list of them), by oid:
#: bool, bytea excluded; "char", name, int8, int2, int2vector, int4, regproc, text, json, float4, float8,
#: bpchar, varchar, jsonb, regclass, regtype, pg_node_tree, and arrays of bool, "char", name, int2, int4, text,
#: bpchar, varchar, int8, float4, float8 (arrays psycopg has loaders for)
_AS_IS = frozenset({16, 18, 19, 20, 21, 22, 23, 24, 25, 114, 194, 700, 701, 1042, 1043, 3802, 2205, 2206,
                    1000, 1002, 1003, 1005, 1007, 1009, 1014, 1015, 1016, 1021, 1022})
#: types psycopg returns as integers that JSON would spell as strings: oid, xid, cid; their arrays
_AS_INT8 = {26: "int8", 28: "int8", 29: "int8", 1028: "int8[]"}
#: aclitem[]: psycopg has no loader for it and returns the array's text
_AS_TEXT = frozenset({1034})


def _as_json(column: str, oid: int, name: str) -> str:
    """The column as ``json_build_array`` should see it so that JSON gives back what psycopg would; a type
    outside the known ones is an error naming it, never a value that differs silently."""
    if oid in _AS_IS:
        return column
    if oid in _AS_INT8:
        return f"{column}::{_AS_INT8[oid]}"
    if oid in _AS_TEXT:
        return f"{column}::text"
    raise LibpqError(f"the libpq reader does not read column {name!r} of type oid {oid}; read it with psycopg "
                     "(engine.connect) or add the type to engines/postgres/libpq.py")


def _bind(sql: str, params: Sequence[Any] | Mapping[str, Any] | None) -> tuple[bytes, list[bytes | None], list[int]]:
    """psycopg's placeholders as ``$n``, and the values as text; a list travels as text[]."""
    if params is None:
        return sql.encode("utf-8"), [], []
    values: list[bytes | None] = []
    types: list[int] = []
    named: dict[str, int] = {}
    positional = iter(params) if not isinstance(params, Mapping) else iter(())

    def add(value: Any) -> int:
        if value is None:
            values.append(None)
            types.append(0)
        elif isinstance(value, (list, tuple)):
            values.append(_array(value).encode("utf-8"))
            whole = value and all(type(v) is int for v in value)
            types.append(_INT8_ARRAY_OID if whole else _TEXT_ARRAY_OID)
        elif isinstance(value, bool):
            values.append(b"true" if value else b"false")
            types.append(0)
        elif isinstance(value, (int, float, str)):
            values.append(str(value).encode("utf-8"))
            types.append(0)
        else:
            raise TypeError(f"the libpq reader cannot send a {type(value).__name__} parameter")
        return len(values)

    def replace(m: re.Match[str]) -> str:
        if m.group(0) == "%%":
            return "%"
        if m.group(1) is not None:
            assert isinstance(params, Mapping)
            key = m.group(1)
            if key not in named:
                named[key] = add(params[key])
            return f"${named[key]}"
        return f"${add(next(positional))}"

    return _PLACEHOLDER.sub(replace, sql).encode("utf-8"), values, types


def _array(items: Sequence[Any]) -> str:
    """A one-dimensional array literal of text values (NULL for None)."""
    def one(v: Any) -> str:
        if v is None:
            return "NULL"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "{" + ",".join(one(v) for v in items) + "}"

"""The catalog queries of one PostgreSQL introspection, sent and fetched: the half of ``introspect.postgres``
that talks to the server, kept apart from the half that builds the model from the rows.

Why apart: this half imports nothing of the model, so a command can start the reads before it has imported
the rest of safeshift (``safeshift verify`` sends them while it imports the model, the dialect and the
snapshot codecs: at 1,000 tables the server's work and those imports overlap for about 40 ms).  The queries
live in ``queries/postgres/*.sql``; the model is built in ``introspect/postgres.py``.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["PINNED", "SEARCH_PATH", "CatalogReads", "query"]

SEARCH_PATH = "pg_catalog, public"

#: the settings that decide how the catalog prints names and constants: search_path for format_type and
#: regclass, the date, time and interval styles for literal defaults (``literals`` assumes these)
PINNED = {"search_path": SEARCH_PATH, "DateStyle": "ISO, MDY", "IntervalStyle": "postgres", "TimeZone": "UTC",
          "extra_float_digits": "1"}

#: libpq's transaction states, which psycopg's ``TransactionStatus`` mirrors (compared as numbers, so the
#: libpq reader of ``verify`` needs no psycopg import)
_IDLE, _INERROR = 0, 3

#: the queries ``CatalogReads`` sends ahead (each needs only the list of schemas), in the order read.  psycopg's
#: pipeline sends them in two waves: a fetch there waits for every result sent before it, so the rest go once
#: the first two are in, and the server runs them while this process turns the 20,000 rows of a thousand
#: tables' columns into the model (sent with the first wave, they made the first fetch wait for all of them).
#: The libpq reader's lanes wait for their own statement only, so it sends both waves at once.
SENT_FIRST = ("columns", "tables", "sequences")  # the longest first: the first lane starts it while the second connects
SENT_THEN = ("constraints", "indexes", "opclasses", "enums", "views", "table_options", "extensions", "functions", "triggers",
             "policies", "types", "unmodelled")
#: relations in the chosen schemas from which the libpq reader reads on two connections at once: a second
#: connection costs a few milliseconds; at 1,000 tables (about 4,000 relations) it saves 80
TWO_LANES = 1000

#: one row of ``columns.sql``, its columns in the query's order (``_check_columns`` holds the two together)
ColumnRow = namedtuple("ColumnRow", [
    "relid", "attnum", "name", "type", "notnull", "default", "identity", "generated", "collation",
    "collation_oid", "comment", "column_options"])


_QUERIES = Path(__file__).parent / "queries" / "postgres"
#: a line ``-- include NAME.inc`` in a query stands for that file's text (a condition two queries share)
_INCLUDE = re.compile(r"^-- include (\w+\.inc)[ \t]*$", re.MULTILINE)


@cache
def query(name: str, server_version: int = 180000) -> str:
    """The text of ``queries/postgres/<name>.sql`` for a server of ``server_version`` (e.g. 150004)."""
    # beside this file, read as a file (importlib.resources' import costs 4 ms: tempfile, zipfile, shutil); the
    # package is installed as files (a wheel, or an editable checkout), where the .sql files are package data
    sql = _INCLUDE.sub(lambda m: (_QUERIES / m.group(1)).read_text("utf-8"), (_QUERIES / f"{name}.sql").read_text("utf-8"))
    if re.search(r"^-- include\b", sql, re.MULTILINE):  # misspelt, it would leave the query without its condition
        raise RuntimeError(f"queries/postgres/{name}.sql has an include line that names no .inc file")
    if server_version < 150000:  # NULLS NOT DISTINCT came with PostgreSQL 15
        sql = sql.replace("i.indnullsnotdistinct", "false")
    if server_version < 170000:  # pg_collation.colliculocale became colllocale in PostgreSQL 17
        sql = sql.replace("co.colllocale", "co.colliculocale" if server_version >= 150000 else "NULL::text")
    return sql


def row_factories(conn: Any) -> tuple[Any, Any]:
    """(dict rows, tuple rows) for ``conn``: the libpq reader's own (engines/postgres/libpq.py), else psycopg's."""
    own = getattr(conn, "row_factories", None)
    if own is not None:
        return own  # type: ignore[no-any-return]
    from psycopg.rows import dict_row, tuple_row

    return dict_row, tuple_row


@contextmanager
def catalog_session(conn: Any) -> Iterator[None]:
    """Pin the settings the model's spellings assume, and put the session's own back afterwards."""
    names = list(PINNED)
    was_idle = conn.info.transaction_status == _IDLE and not conn.autocommit
    old = conn.execute("SELECT " + ", ".join(["pg_catalog.current_setting(%s)"] * len(names)), names).fetchone()
    pin = ", ".join(["pg_catalog.set_config(%s, %s, false)"] * len(names))
    conn.execute("SELECT " + pin, [v for n in names for v in (n, PINNED[n])])
    try:
        yield
    finally:
        if was_idle:
            conn.rollback()  # also undoes the set_config calls
        elif conn.info.transaction_status != _INERROR:
            conn.execute("SELECT " + pin, [v for n, o in zip(names, old, strict=True) for v in (n, o)])


def _check_columns(name: str, description: Any) -> None:
    """The columns query's rows are read by position: refuse a query whose columns are not ``ColumnRow``'s."""
    if name == "columns" and tuple(d.name for d in description or ()) != ColumnRow._fields:
        raise RuntimeError("queries/postgres/columns.sql returns other columns than ColumnRow names; update both")


class CatalogReads:
    """One introspection's catalog reads on ``conn``, from ``start`` (settings pinned, schemas listed, the
    queries that need only those sent ahead where the connection has a pipeline) to ``close``.

    A context manager: on leaving, the pipeline finishes what was queued and the session's settings are put
    back (a transaction the reads opened is rolled back).  ``rows``/``records`` fetch a query's rows, from
    what was sent ahead when it was, else by running it then.
    """

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.server_version = int(conn.info.server_version)
        #: queries sent ahead in pipeline mode, by name, whose rows are not fetched yet
        self.sent: dict[str, Any] = {}
        #: inside ``conn.pipeline()`` (queries can be sent ahead)
        self.pipelined = False
        self.schemas: list[str] = []
        self.params: dict[str, Any] = {}
        self._second_wave = False
        self._stack = ExitStack()

    @classmethod
    def start(cls, conn: Any, wanted: Sequence[str] | None = None) -> CatalogReads:
        """Pin the session, list the schemas (``wanted`` among them, or all), and send ahead."""
        reads = cls(conn)
        try:
            reads._start(wanted)
        except BaseException:
            reads._stack.close()
            raise
        return reads

    def _start(self, wanted: Sequence[str] | None) -> None:
        self._stack.enter_context(catalog_session(self.conn))
        found = self.rows("schemas")
        self.schemas = [r["name"] for r in found if wanted is None or r["name"] in set(wanted)]
        self.params = {"schemas": self.schemas}
        if not hasattr(self.conn, "pipeline"):
            return
        relations = sum(r["relations"] for r in found if r["name"] in self.params["schemas"])
        lanes = hasattr(self.conn, "lanes")  # the libpq reader's: each statement waits for its own result only
        self._stack.enter_context(self.conn.pipeline(2, list(PINNED)) if lanes and relations >= TWO_LANES
                                  else self.conn.pipeline())
        self._stack.callback(self._close_sent)
        self.pipelined = True
        self.send_ahead(SENT_FIRST)
        if lanes:
            self.after_first_wave()

    def _close_sent(self) -> None:
        for cur in self.sent.values():
            cur.close()

    def after_first_wave(self) -> None:
        """The first wave's rows are in: send the second (already on its way on the libpq reader)."""
        if not self._second_wave:
            self._second_wave = True
            self.send_ahead(SENT_THEN)

    def __enter__(self) -> CatalogReads:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stack.__exit__(kind, exc, tb)

    def close(self) -> None:
        self._stack.close()

    def rows(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return self.fetch(name, params, row_factories(self.conn)[0])

    def records(self, name: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows as plain tuples, in the order of the query's columns: for the 20,000-row columns query a dict
        per row cost 30 ms and a named tuple 20 ms (``ColumnRow`` names the few that need it)."""
        return self.fetch(name, params, row_factories(self.conn)[1])

    def fetch(self, name: str, params: dict[str, Any] | None, row_factory: Any) -> list[Any]:
        sent = self.sent.pop(name, None)
        if sent is not None:
            result: list[Any] = sent.fetchall()
            _check_columns(name, sent.description)
            sent.close()
            return result
        with self.conn.cursor(row_factory=row_factory) as cur:
            cur.execute(query(name, self.server_version), params)
            result = cur.fetchall()
            _check_columns(name, cur.description)
            return result

    def send_ahead(self, names: Sequence[str]) -> None:
        """Send ``names`` (queries that need only the schema list) without waiting (pipeline mode), so the
        server runs them while this process works on rows it already has; a no-op without a pipeline."""
        if not self.pipelined:
            return
        dict_row, tuple_row = row_factories(self.conn)
        for name in names:
            cur = self.conn.cursor(row_factory=tuple_row if name == "columns" else dict_row)
            cur.execute(query(name, self.server_version), self.params)
            self.sent[name] = cur

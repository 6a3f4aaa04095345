"""The oracle for schema pairs written as SQL: what safeshift generates must reach the same database as
running the SQL directly, by safeshift's own introspection and by migra's independent one.

For a pair (A, B): A and B are each run directly on a database of their own (the "direct" databases:
what the user's SQL makes).  On a third database safeshift creates A from nothing, seeds it, migrates
it to B and back, and after each step the database must equal the direct one — introspected by
safeshift (so no false difference either) and compared by migra, which shares no code with safeshift.
Row counts of every table A and B share survive up and down.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from safeshift.dialects import dialect_for_url
from safeshift.diff import diff
from safeshift.engines import engine_for
from safeshift.engines.base import IntrospectOptions
from safeshift.model import Schema, make_schema
from safeshift.plan import render
from safeshift.runner import run_statements
from tests import _databases, _workers
from tests.oracle import _describe, _NeverRename, _unordered

ROOT = Path(__file__).resolve().parents[2]
MIGRA = ROOT / ".peers" / "migra" / "bin" / "migra"


@dataclass(frozen=True)
class Pair:
    """A change written as two SQL scripts.  ``seed`` runs on A before the change (rows to keep)."""

    name: str
    a: str
    b: str
    seed: str = ""
    #: the pair is refused instead: the error must name each of these
    refused: tuple[str, ...] = ()
    #: compared with the project's ``privileges = true``: introspected with GRANTs, migra --with-privileges
    privileges: bool = False


def migra(url_from: str, url_to: str, *, privileges: bool = False) -> str:
    """The statements migra would run to turn ``url_from`` into ``url_to`` ("" when they are the same).

    migra's own command, run in one long-lived process of migra's interpreter per test process
    (``_migra_worker.py``): starting migra costs about a second, and the pairs ask it twice each."""
    assert MIGRA.exists(), (f"migra is not installed at {MIGRA}: run `python3 scripts/test.py` (it installs the "
                            "test peers) or scripts/_bootstrap.ensure_python_peers()")
    args = ["--unsafe", *(["--with-privileges"] if privileges else []), _psycopg2(url_from), _psycopg2(url_to)]
    answer = _workers.ask(_migra_worker(), args, timeout=120, what="migra")
    assert answer["code"] in (0, 2), f"migra failed ({answer['code']}): {answer['err'][-2000:]}"
    return str(answer["out"]).strip()


_WORKER: list[subprocess.Popen[str]] = []


def _migra_worker() -> subprocess.Popen[str]:
    """This process's migra worker, started on first use and ended when the process exits."""
    if _WORKER and _WORKER[0].poll() is None:
        return _WORKER[0]
    worker = _workers.start([str(MIGRA.parent / "python"), str(Path(__file__).with_name("_migra_worker.py"))])
    _WORKER[:] = [worker]
    return worker


def _psycopg2(url: str) -> str:
    return "postgresql+psycopg2://" + url.split("://", 1)[1]


@contextmanager
def direct_database(admin_url: str, sql: str) -> Iterator[str]:
    """A new database of the server behind ``admin_url`` made by running ``sql`` as it is, dropped after
    (``tests/_databases.py``: made ahead, dropped behind, so the oracle's three databases per pair cost the
    test no CREATE or DROP DATABASE of its own)."""
    fresh = _databases.fresh(admin_url)
    url = next(fresh)
    try:
        if sql.strip():
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(sql)  # type: ignore[arg-type]
        yield url
    finally:
        fresh.close()


def introspect(url: str, options: IntrospectOptions | None = None) -> Schema:
    """What safeshift reads in ``url``; the connection ``verify`` reads through (PostgreSQL's libpq reader,
    engines/postgres/libpq.py) must read the very same schema."""
    engine = engine_for(dialect_for_url(url))
    conn = engine.connect(url)
    try:
        schema = engine.introspect(conn, options=options)
    finally:
        conn.close()
    reader = engine.connect_reader(url)
    try:
        assert engine.introspect(reader, options=options) == schema, "verify's reader read another schema"
    finally:
        reader.close()
    return schema


def run_pair(pair: Pair, url: str, admin_url: str, *, with_migra: bool = True, safe: bool = False,
             and_lock_safe: bool = False) -> None:
    """The oracle on the empty database behind ``url``; ``with_migra`` also asks migra after up and down;
    ``safe`` renders the change in generate's default lock-safe form (with expand sequences);
    ``and_lock_safe`` then runs that form too, on another new database of the same server, against the same
    direct databases (made and read once for both renderings)."""
    options = IntrospectOptions(privileges=pair.privileges)
    with direct_database(admin_url, pair.a) as url_a, \
            direct_database(admin_url, pair.b) as url_b:
        direct = _Direct(url_a, url_b, introspect(url_a, options), introspect(url_b, options))
        _oracle(pair, url, direct, options, with_migra=with_migra, safe=safe)
        if and_lock_safe:
            with direct_database(admin_url, "") as other:
                _oracle(pair, other, direct, options, with_migra=False, safe=True)


@dataclass(frozen=True)
class _Direct:
    """The direct databases of a pair and what safeshift reads in them."""

    url_a: str
    url_b: str
    a: Schema
    b: Schema


def _oracle(pair: Pair, url: str, direct: _Direct, options: IntrospectOptions, *, with_migra: bool,
            safe: bool) -> None:
    dialect = dialect_for_url(url)
    a, b = direct.a, direct.b
    empty = make_schema(dialect.name, grants=() if pair.privileges else None)
    ran: list[str] = []
    conn = engine_for(dialect).connect(url)
    try:
        def step(label: str, statements: Any, want: Schema, direct_url: str | None) -> Schema:
            ran.append(f"-- {label}:\n" + "\n".join(f"   {s.sql}" for s in statements))
            try:
                run_statements(dialect, conn, statements)
            except Exception as exc:
                raise AssertionError(f"{label} failed: {exc}\n" + "\n".join(ran)) from exc
            got = engine_for(dialect).introspect(conn, options=options)
            if _unordered(got) != _unordered(want):
                delta = diff(got, want, questioner=_NeverRename())
                raise AssertionError(f"after {label} the database differs from the target: "
                                     f"{_describe(delta) or 'no diff, but not equal'}\n" + "\n".join(ran))
            if direct_url is not None and with_migra:
                left = migra(url, direct_url, privileges=pair.privileges)
                assert left == "", f"after {label} migra still sees differences:\n{left}\n" + "\n".join(ran)
            return got

        deps = dialect.view_dependencies
        step("create A", render(diff(empty, a, view_dependencies=deps), empty, a, dialect).up, a, None)
        if pair.seed:
            conn.execute(pair.seed)
        counts = _counts(conn, a, b)
        sections = render(diff(a, b, view_dependencies=deps), a, b, dialect, safe=safe, expand=safe)
        got = step("up", sections.up, b, direct.url_b)
        assert diff(got, b, questioner=_NeverRename()) == []
        assert _counts(conn, a, b) == counts, "rows changed by up"
        step("down", sections.down, a, direct.url_a)
        assert _counts(conn, a, b) == counts, "rows changed by down"
    finally:
        conn.close()


def _counts(conn: Any, a: Schema, b: Schema) -> dict[str, int]:
    shared = {t.key for t in a.tables} & {t.key for t in b.tables}
    out = {}
    for schema, name in sorted(shared):
        row = conn.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()
        out[f"{schema}.{name}"] = int(row[0])
    return out

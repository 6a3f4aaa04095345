"""Defaults compared by what PostgreSQL stores, checked against the servers themselves.

Each case is a default spelled as models and migrations spell it; the server stores it in a column of the
given type and prints it back (``pg_get_expr``); safeshift's normaliser must give the same text for the
spelling and for what the server printed, on PostgreSQL 15 and 18.  Intervals are also drawn at random and
compared with the server's own ``interval_out``.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeshift.dialects.postgres import PostgresDialect
from safeshift.dialects.postgres.literals import canonical_literal
from safeshift.dialects.postgres.normalize import normalize_default
from safeshift.engines.base import engine_for

CASES: list[tuple[str, str]] = [
    ("interval", "'0'"), ("interval", "'00:00:00'::interval"), ("interval", "'1 day 2 hours'"),
    ("interval", "'P1Y2M3DT4H5M6S'"), ("interval", "'-1 sec'"), ("interval", "'90 minutes'"),
    ("interval", "'1.5 days'"), ("interval", "'-1 day +2 hours'"), ("interval", "'@ 1 hour ago'"),
    ("interval", "'3 weeks'"), ("interval", "'0.5 months'"), ("interval", "'1.5 years'"), ("interval", "'5'"),
    ("interval", "'1 02:00:00'"), ("interval", "'30 days'"), ("interval", "'1 mon'"), ("interval", "'250 ms'"),
    ("jsonb", "'{\"b\": 1,\"a\":[1,2], \"aa\": null}'"), ("jsonb", "'{}'::jsonb"), ("jsonb", "'[]'"),
    ("jsonb", "'[1e3, 1.50, true]'"), ("json", "'{}'::json"), ("json", "'[]'"),
    ("timestamp without time zone", "'2020-01-01'"), ("timestamp without time zone", "'2020-01-01T10:11:12.5'"),
    ("timestamp without time zone", "'epoch'"), ("timestamp without time zone", "'infinity'"),
    ("timestamp with time zone", "'2020-01-01 05:00:00+05'"), ("timestamp with time zone", "'2020-01-01Z'"),
    ("date", "'2020-1-2'"), ("time without time zone", "'1:2'"), ("time without time zone", "'23:59:59.25'"),
    ("timestamp with time zone", "now()"), ("timestamp with time zone", "CURRENT_TIMESTAMP"),
    ("timestamp with time zone", "transaction_timestamp()"), ("timestamp without time zone", "LOCALTIMESTAMP"),
    ("timestamp without time zone", "now()"), ("timestamp without time zone", "(now() at time zone 'utc')"),
    ("timestamp without time zone", "timezone('utc', now())"), ("date", "CURRENT_DATE"), ("date", "now()"),
    ("numeric", "extract(epoch from now())"), ("text", "substring('abcdef', 2, 3)"),
    ("bigint", "'0'::bigint"), ("bigint", "0"), ("integer", "'-1'"), ("boolean", "'false'"),
]
#: spellings that must come out the same once normalised (the false differences real models showed)
SAME: list[tuple[str, str, str]] = [
    ("timestamp with time zone", "now()", "CURRENT_TIMESTAMP"),
    ("timestamp without time zone", "transaction_timestamp()", "LOCALTIMESTAMP"),
    ("date", "now()", "CURRENT_DATE"),
    ("interval", "'0'", "'00:00:00'::interval"),
    ("bigint", "0", "'0'::bigint"),
    ("jsonb", "'{\"a\":1,\"b\":[]}'", "'{\"b\": [], \"a\": 1}'::jsonb"),
    ("json", "'{\"a\":1}'", "'{\"a\": 1}'::json"),
    ("timestamp without time zone", "(now() at time zone 'utc')", "timezone('utc'::text, now())"),
]


@pytest.fixture
def conn(pg_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'")
        yield c


def test_the_spelling_and_what_the_server_stores_normalise_alike(conn: psycopg.Connection) -> None:
    columns = ", ".join(f"c{i} {typ} DEFAULT {default}" for i, (typ, default) in enumerate(CASES))
    conn.execute(f"CREATE TABLE literal_defaults ({columns})")
    stored = dict(conn.execute(
        "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a"
        " ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = 'literal_defaults'::regclass").fetchall())
    wrong = []
    for i, (typ, default) in enumerate(CASES):
        ours, theirs = normalize_default(default, typ), normalize_default(stored[f"c{i}"], typ)
        if ours != theirs:
            wrong.append(f"{typ} DEFAULT {default}: ours {ours!r}, stored {stored[f'c{i}']!r} -> {theirs!r}")
    assert not wrong, "\n".join(wrong)


def test_the_catalog_is_read_with_pinned_output_styles(pg_url: str) -> None:
    """A session with other DateStyle/IntervalStyle/TimeZone settings still reads the same model."""
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("CREATE TABLE styled (i interval DEFAULT '1 day 2 hours', t timestamptz DEFAULT '2020-01-01Z')")
    engine = engine_for(PostgresDialect())
    with psycopg.connect(pg_url) as c:
        plain = engine.introspect(c)
    with psycopg.connect(pg_url, options="-c IntervalStyle=iso_8601 -c DateStyle=SQL,DMY -c TimeZone=Asia/Tokyo") as c:
        styled = engine.introspect(c)
        assert c.execute("SHOW IntervalStyle").fetchone() == ("iso_8601",)  # the session's own, put back
    assert styled.tables == plain.tables
    column = {c.name: c.default for c in plain.tables[0].columns}
    assert column == {"i": "'1 day 02:00:00'", "t": "'2020-01-01 00:00:00+00'"}


@pytest.mark.parametrize(("typ", "left", "right"), SAME)
def test_spellings_the_server_treats_the_same_are_one_default(typ: str, left: str, right: str) -> None:
    assert normalize_default(left, typ) == normalize_default(right, typ)


def test_a_literal_it_cannot_read_is_left_as_written() -> None:
    assert canonical_literal("1 fortnight", "interval") is None
    assert canonical_literal("{not json", "jsonb") is None
    assert canonical_literal("2020-01-01 10:00", "timestamp with time zone") is None  # the DDL session's zone
    assert normalize_default("'1 fortnight'", "interval") == "'1 fortnight'"


_UNITS = st.sampled_from(["year", "years", "mon", "mons", "month", "day", "days", "hour", "hours", "minute",
                          "min", "second", "sec", "week", "ms", "millisecond"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.tuples(st.integers(-400, 400), st.sampled_from(["", ".5", ".25"]), _UNITS),
                      min_size=1, max_size=4),
       ago=st.booleans())
def test_intervals_print_as_interval_out_does(conn: psycopg.Connection, parts: list[tuple[int, str, str]],
                                             ago: bool) -> None:
    text = " ".join(f"{n}{frac} {unit}" for n, frac, unit in parts) + (" ago" if ago else "")
    try:
        (server,) = conn.execute("SELECT %s::interval::text", (text,)).fetchone() or ("",)
    except psycopg.Error:
        return  # the server refuses it (a unit given twice): nothing to compare
    assert canonical_literal(text, "interval") == server, text

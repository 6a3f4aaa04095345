"""The libpq reader ``verify`` reads through (engines/postgres/libpq.py) against psycopg, on real servers.

Every catalog query must give the same rows both ways, value for value and type for type, on a database
holding the object kinds the model reads; the pair oracle (tests/objects) also holds every pair's schema to
being read the same.  Parameters, errors and transactions must behave as psycopg's do, and `safeshift verify`
must not import psycopg at all (which is the reader's reason to exist).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from safeshift.dialects import get_dialect
from safeshift.engines.base import engine_for
from safeshift.engines.postgres import libpq
from safeshift.errors import ConnectionFailed
from safeshift.introspect.postgres_reads import PINNED as _PINNED
from safeshift.introspect.postgres_reads import query

pytestmark = pytest.mark.skipif(libpq.load() is None, reason="no libpq can be loaded here")

RICH = """
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA shop;
CREATE TYPE shop.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN shop.price AS numeric(10,2) CHECK (VALUE >= 0);
CREATE TYPE shop.pair AS (a int, b text);
CREATE SEQUENCE shop.tickets START 100 INCREMENT 5;
CREATE TABLE shop.users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email citext NOT NULL UNIQUE,
    mood shop.mood DEFAULT 'ok',
    cost shop.price,
    tags text[] DEFAULT '{}'::text[],
    doc jsonb,
    made timestamptz NOT NULL DEFAULT now(),
    lower_email text GENERATED ALWAYS AS (lower(email::text)) STORED,
    CHECK (length(email::text) > 3)
);
COMMENT ON TABLE shop.users IS 'people';
COMMENT ON COLUMN shop.users.email IS 'how to reach them';
CREATE TABLE shop.orders (
    id serial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES shop.users (id) ON DELETE CASCADE,
    total numeric(12,2) NOT NULL DEFAULT 0.50,
    note varchar(200) COLLATE "C",
    placed date
) WITH (fillfactor = 90);
CREATE INDEX orders_user ON shop.orders (user_id) WHERE total > 0;
CREATE INDEX orders_note ON shop.orders (lower(note) DESC NULLS LAST);
CREATE TABLE shop.events (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE VIEW shop.big_orders AS SELECT id, total FROM shop.orders WHERE total > 100;
CREATE MATERIALIZED VIEW shop.totals AS SELECT user_id, sum(total) AS s FROM shop.orders GROUP BY user_id;
CREATE UNIQUE INDEX totals_user ON shop.totals (user_id);
CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.touch();
ALTER TABLE shop.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON shop.users FOR SELECT USING (email::text = current_user);
GRANT SELECT ON shop.orders TO PUBLIC;
"""


@pytest.fixture
def rich(pg_url: str) -> str:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(RICH)  # type: ignore[arg-type]
    return pg_url


def _params(conn: Any) -> dict[str, Any]:
    collations = [r["oid"] for r in conn.execute("SELECT oid FROM pg_collation WHERE collname IN ('C', 'default')")]
    return {"schemas": ["public", "shop"], "oids": collations + [r["oid"] for r in conn.execute(
        "SELECT oid FROM pg_opclass WHERE opcname IN ('text_pattern_ops', 'int4_ops')")]}


def _names() -> list[str]:
    import safeshift.introspect

    folder = Path(str(safeshift.introspect.__file__)).parent / "queries" / "postgres"
    return sorted(p.stem for p in folder.glob("*.sql"))


def test_every_catalog_query_gives_psycopgs_rows(rich: str) -> None:
    reader = libpq.connect(rich)
    try:
        with psycopg.connect(rich, row_factory=dict_row) as conn:
            version = conn.info.server_version
            assert reader.info.server_version == version
            for name, value in _PINNED.items():
                conn.execute("SELECT pg_catalog.set_config(%s, %s, false)", (name, value))
                reader.execute("SELECT pg_catalog.set_config(%s, %s, false)", (name, value))
            compared = 0
            for name in _names():
                sql = query(name, version)
                want = conn.execute(sql, _params(conn)).fetchall()  # type: ignore[arg-type]
                cur = reader.cursor(row_factory=libpq.dict_row)
                cur.execute(sql, _params(conn))
                got = cur.fetchall()
                assert got == want, name
                assert [[type(v) for v in r.values()] for r in got] == [[type(v) for v in r.values()] for r in want], name
                compared += len(want)
            assert compared > 50
    finally:
        reader.close()


@pytest.mark.parametrize("lanes", [1, 2])
def test_the_reader_reads_the_same_schema_with_privileges(rich: str, lanes: int,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """With two lanes (the second connection a large schema gets, here from the first relation on) too."""
    from safeshift.engines.base import IntrospectOptions
    from safeshift.introspect import postgres_reads

    if lanes == 2:
        monkeypatch.setattr(postgres_reads, "TWO_LANES", 1)
    engine = engine_for(get_dialect("postgresql"))
    options = IntrospectOptions(privileges=True)
    conn = engine.connect(rich)
    reader = engine.connect_reader(rich)
    try:
        assert isinstance(reader, libpq.LibpqConnection)
        want = engine.introspect(conn, options=options)
        assert engine.introspect(reader, options=options) == want
        assert want.grants
    finally:
        conn.close()
        reader.close()


def test_parameters_transactions_and_errors_behave_as_psycopgs(pg_url: str) -> None:
    reader = libpq.connect(pg_url)
    try:
        assert reader.execute("SELECT %s::int + 1 AS n, %s::text IS NULL, '100 %%'", (41, None)).fetchone() \
            == (42, True, "100 %")
        assert reader.execute("SELECT %(a)s || %(a)s AS twice, 'it''s' = ANY(%(l)s)",
                              {"a": "x", "l": ["it's", 'a "q" \\ b', None]}).fetchone() == ("xx", True)
        assert reader.execute("SELECT 1 WHERE false").fetchall() == []
        assert [d.name for d in reader.execute("SELECT 1 AS one WHERE false").description or ()] == ["one"]
        # autocommit off: the first statement opened a transaction, as psycopg's does
        assert reader.info.transaction_status == 2  # PQTRANS_INTRANS
        reader.rollback()
        assert reader.info.transaction_status == libpq.IDLE
        with pytest.raises(libpq.LibpqError) as caught:
            reader.execute("SELECT * FROM no_such_table")
        assert caught.value.sqlstate == "42P01"
        assert "no_such_table" in str(caught.value)
        assert reader.info.transaction_status == libpq.INERROR
        reader.rollback()
        with reader.pipeline():
            first = reader.cursor().execute("SELECT 1")
            second = reader.cursor().execute("SELECT pg_catalog.repeat('x', 3)")
            failing = reader.cursor().execute("SELECT 1 / 0")
            assert second.fetchall() == [("xxx",)]
            assert first.fetchone() == (1,)
            with pytest.raises(libpq.LibpqError):
                failing.fetchall()
        reader.rollback()
        assert reader.execute("SELECT 2").fetchone() == (2,)
    finally:
        reader.close()
    assert reader.closed


def test_two_lanes_read_one_snapshot_with_the_same_settings(pg_url: str) -> None:
    """A pipeline's second connection takes statements from the same queue, sees what the first sees (its
    exported snapshot: a table made by another session afterwards is in neither) with the first's values of the
    named settings, and refuses statements that would change one lane's session only."""
    reader = libpq.connect(pg_url)
    other = psycopg.connect(pg_url, autocommit=True)
    try:
        reader.execute("SELECT pg_catalog.set_config('search_path', 'pg_catalog, public', false)")
        other.execute("DROP TABLE IF EXISTS ss_lane_late")
        with reader.pipeline(2, ["search_path"]):
            other.execute("CREATE TABLE ss_lane_late (id int)")
            cursors = [reader.cursor().execute(
                "SELECT pg_catalog.pg_backend_pid(), pg_catalog.current_setting('search_path'), "
                "NOT EXISTS (SELECT FROM pg_catalog.pg_class WHERE relname = 'ss_lane_late'), pg_catalog.pg_sleep(0.05)::text")
                for _ in range(8)]
            rows = [c.fetchone() for c in cursors]
            with pytest.raises(RuntimeError, match="one lane only"):
                reader.execute("SET work_mem = '8MB'")
        assert len({r[0] for r in rows}) == 2, rows  # both lanes took statements
        assert {r[1:3] for r in rows} == {("pg_catalog, public", True)}
        assert reader.execute("SELECT 1").fetchone() == (1,)  # the first lane's connection goes on
    finally:
        reader.close()
        other.execute("DROP TABLE IF EXISTS ss_lane_late")
        other.close()


def test_a_refused_connection_names_the_database_without_the_password() -> None:
    engine = engine_for(get_dialect("postgresql"))
    url = "postgresql://postgres:s3cret@127.0.0.1:5432/ss_no_such_database"
    with pytest.raises(ConnectionFailed) as caught:
        engine.connect_reader(url)
    message = str(caught.value)
    assert "s3cret" not in message
    assert message.startswith("Cannot connect to postgresql://postgres:***@127.0.0.1:5432/ss_no_such_database: ")
    assert "ss_no_such_database" in message.split(": ", 1)[1]


def test_verify_does_not_import_psycopg(pg_url: str, tmp_path: Path) -> None:
    """The reader's reason to exist: verify's process never pays for psycopg's import."""
    (tmp_path / "safeshift.toml").write_text('dialect = "postgresql"\n')
    code = ("import sys\nfrom safeshift.cli import main\n"
            "try:\n    main(['verify', '--url', sys.argv[1]])\nexcept SystemExit as e:\n    code = e.code\n"
            "print('psycopg' in sys.modules, code)\n")
    out = subprocess.run([sys.executable, "-c", code, pg_url], cwd=tmp_path, capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "False 0", out.stdout + out.stderr


def test_a_column_whose_table_was_not_listed_is_an_error_never_dropped(pg_url: str) -> None:
    """The tables and the columns come from two queries; read without one snapshot (psycopg, READ COMMITTED),
    a table made between them has columns but no table row.  That is refused by name, never left out."""
    from safeshift.dialects.postgres import PostgresDialect
    from safeshift.engines.base import IntrospectOptions
    from safeshift.errors import IntrospectionError
    from safeshift.introspect.postgres import _Reader
    from safeshift.introspect.postgres_reads import CatalogReads

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS ss_late_table")
        reads = CatalogReads(conn)
        reads.params = {"schemas": ["public"]}
        listed = reads.rows("tables", reads.params)
        conn.execute("CREATE TABLE ss_late_table (id int)")
        try:
            columns = reads.records("columns", reads.params)
            reader = _Reader(reads, PostgresDialect(), IntrospectOptions())
            with pytest.raises(IntrospectionError, match="changed while it was read"):
                reader.tables(listed, columns, {})
        finally:
            conn.execute("DROP TABLE ss_late_table")

"""The serial test compares a column's default with the text ``regclass`` would print for its sequence,
computed by safeshift instead of by the catalog query; this checks that text against the server's for
the names that need quoting or qualifying."""

from __future__ import annotations

import psycopg

from safeshift.introspect.postgres import SEARCH_PATH, _regclass_text

TABLES = ['billing.inv', '"User"."Odd\'T"', '"select".t', 'public."A b"', 'public.plain']


def test_regclass_text_matches_the_server(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute('CREATE SCHEMA IF NOT EXISTS billing; CREATE SCHEMA IF NOT EXISTS "User"; '
                  'CREATE SCHEMA IF NOT EXISTS "select"')
        try:
            for t in TABLES:
                c.execute(f"CREATE TABLE {t} (id serial)")
            c.execute("SELECT pg_catalog.set_config('search_path', %s, false)", (SEARCH_PATH,))
            rows = c.execute(
                "SELECT sn.nspname, s.relname, pg_catalog.pg_get_expr(ad.adbin, 0) FROM pg_catalog.pg_attrdef ad "
                "JOIN pg_catalog.pg_depend d ON d.refobjid = ad.adrelid AND d.refobjsubid = ad.adnum "
                "AND d.deptype = 'a' AND d.classid = 'pg_catalog.pg_class'::regclass "
                "JOIN pg_catalog.pg_class s ON s.oid = d.objid "
                "JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace").fetchall()
            assert len(rows) == len(TABLES)
            for schema, seq, default in rows:
                assert default == f"nextval('{_regclass_text(schema, seq)}'::regclass)"
        finally:
            c.execute("SET search_path = public")
            for t in TABLES:
                c.execute(f"DROP TABLE IF EXISTS {t}")
            c.execute('DROP SCHEMA IF EXISTS billing, "User", "select"')

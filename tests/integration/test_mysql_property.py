"""Random SQLAlchemy schema pairs through the oracle on MariaDB: create A → seed → up → introspect == B,
rows kept → down → introspect == A, as ``test_oracle_property`` does for PostgreSQL and SQLite.

The types are what MySQL and MariaDB hold (unsigned integers, ``double``, ``json``, a ``timestamp`` with
``ON UPDATE CURRENT_TIMESTAMP``); a ``text`` column gets no index and no unique key (the servers key TEXT only
with a prefix length).  The SQL runs statement by statement on the engine's own connection (each DDL
statement commits on its own there).  One database serves every example: its tables are dropped in between.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import given, settings
from tests.integration.test_oracle_property import COMMON, MYSQL_ONLY, NOT_UNIQUE, PROPERTY, _check, pairs

from safeshift.dialects import dialect_for_url
from safeshift.engines import engine_for

TYPES = {**COMMON, **MYSQL_ONLY}
#: no unique key on these: TEXT and JSON need a prefix length (or cannot be keyed), booleans repeat
KEYLESS = NOT_UNIQUE | {"text", "json"}
UNINDEXED = frozenset({"text", "json"})


def _reset(url: str) -> None:
    dialect = dialect_for_url(url)
    conn: Any = engine_for(dialect).connect(url)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()").fetchall()]
        conn.execute("SET FOREIGN_KEY_CHECKS = 0")
        for name in tables:
            conn.execute(f"DROP TABLE {dialect.quote(name)}")
        conn.execute("SET FOREIGN_KEY_CHECKS = 1")
    finally:
        conn.close()


#: MariaDB's DDL and information_schema reads cost 2-3 s per example here (2 cores shared, load 8-9: 20 examples
#: took 50 s), so 15 keep the file near 40 s; SAFESHIFT_PROPERTY_EXAMPLES asks for more (40 passed in 110 s)
EXAMPLES = settings(PROPERTY, max_examples=int(os.environ.get("SAFESHIFT_PROPERTY_EXAMPLES", "15")))


def test_random_changes_on_mariadb(mysql_url: str) -> None:
    @EXAMPLES
    @given(pairs(sorted(TYPES), KEYLESS, UNINDEXED))
    def run(pair: Any) -> None:
        _reset(mysql_url)
        _check(mysql_url, pair, TYPES)

    run()

"""SQLite-only changes that depend on what SQLite enforces of a declared type (issue 16): a change of
affinity, the rowid alias (``INT`` vs ``INTEGER PRIMARY KEY``), and the STRICT / WITHOUT ROWID table
options, which a rebuild must keep.  Changes SQLite would not notice (``VARCHAR(40)`` -> ``VARCHAR(80)``)
are no change at all there, so they have no pair here: tests/integration/test_sqlite_affinity.py.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.oracle import Scenario
from tests.scenarios._build import build, col, pk, table

SQLITE = ("sqlite",)


class Int(sa.types.UserDefinedType[int]):
    """A column declared ``INT``: INTEGER affinity, never the rowid."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "INT"


NUMBERS = {"codes": [{"id": i, "code": str(10 * i)} for i in (1, 2, 3)]}

SCENARIOS = [
    Scenario("sqlite_text_to_integer_affinity",
             build(table("codes", pk(), col("code", sa.Text))), build(table("codes", pk(), col("code", sa.Integer))),
             backends=SQLITE, seed=NUMBERS, lossy=frozenset({"codes.code"})),
    Scenario("sqlite_int_key_becomes_the_rowid",
             build(table("things", pk("id", Int()), col("v", sa.Text))),
             build(table("things", pk("id", sa.Integer), col("v", sa.Text))), backends=SQLITE),
    Scenario("sqlite_strict_int_to_integer",
             build(table("counts", pk(), col("n", Int()), sqlite_strict=True)),
             build(table("counts", pk(), col("n", sa.Integer), sqlite_strict=True)), backends=SQLITE),
    Scenario("sqlite_strict_added_and_kept_by_a_rebuild",
             build(table("counts", pk(), col("n", sa.Integer), col("label", sa.Text))),
             build(table("counts", pk(), col("n", sa.Integer, nullable=False, server_default="0"),
                         col("label", sa.Text), sqlite_strict=True)), backends=SQLITE),
    Scenario("sqlite_without_rowid_added",
             build(table("pairs", pk("a", sa.Text), col("b", sa.Integer))),
             build(table("pairs", pk("a", sa.Text), col("b", sa.Integer), sqlite_with_rowid=False)), backends=SQLITE),
]

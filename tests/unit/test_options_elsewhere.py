"""options_elsewhere reads every kind of dialect keyword argument SQLAlchemy models give an index: a SQL
expression (``postgresql_where=<clause>``, as mlflow's models declare) refuses to be asked its truth value,
which ended generate and diff in an internal error on mlflow (tests/realapps)."""

from __future__ import annotations

import sqlalchemy as sa

from safeshift.dialects import get_dialect
from safeshift.sources.sqlalchemy import options_elsewhere


def test_a_clause_counts_as_an_option_and_empty_ones_do_not() -> None:
    metadata = sa.MetaData()
    t = sa.Table("t", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("x", sa.Integer))
    sa.Index("t_partial", t.c.x, postgresql_where=t.c.x > 0)
    sa.Index("t_covering", t.c.x, postgresql_include=["id"])
    sa.Index("t_empty", t.c.x, postgresql_include=[], postgresql_where=None)
    sa.Index("t_own", t.c.x, sqlite_where=t.c.x > 0)
    apart = options_elsewhere(metadata, get_dialect("sqlite"))
    assert [apart(("main", "t"), name) for name in ("t_partial", "t_covering", "t_empty", "t_own")] == [
        True, True, False, False]

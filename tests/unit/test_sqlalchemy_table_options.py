"""Table options SQLAlchemy models declare are read, not dropped: UNLOGGED, storage parameters
(``postgresql_with``), a deferrable primary key; the ones the model cannot hold are refused by name."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from safeshift.dialects import get_dialect
from safeshift.errors import UnsupportedConstruct
from safeshift.sources.sqlalchemy import schema_from_metadata

PG = get_dialect("postgresql")


def test_unlogged_storage_parameters_and_deferrable_key_are_read() -> None:
    md = sa.MetaData()
    sa.Table("cache", md, sa.Column("k", sa.Text), sa.PrimaryKeyConstraint("k", deferrable=True, initially="DEFERRED"),
             prefixes=["UNLOGGED"], postgresql_with={"fillfactor": 70, "autovacuum_enabled": False})
    t = schema_from_metadata(md, PG).tables[0]
    assert t.unlogged
    assert t.options == ("autovacuum_enabled=false", "fillfactor=70")
    assert t.primary_key is not None and t.primary_key.deferrable and t.primary_key.initially_deferred


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"prefixes": ["TEMPORARY"]}, "the table prefix(es) TEMPORARY"),
    ({"postgresql_tablespace": "fast"}, "postgresql_tablespace"),
])
def test_table_options_the_model_cannot_hold_are_refused(kwargs: dict[str, object], named: str) -> None:
    md = sa.MetaData()
    sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(UnsupportedConstruct, match="table public.t uses " + named.replace("(", r"\(")
                       .replace(")", r"\)")):
        schema_from_metadata(md, PG)

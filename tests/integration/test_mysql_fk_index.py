"""The index InnoDB keeps for a foreign key, through the oracle on MariaDB: the model leaves it out, and the
rendering (``dialects/mysql/fk_index.py``) drops it with its key only where the table held it, and gives a
key its own index back when the index it relied on is dropped (error 1553 otherwise).  Found by the MariaDB
property test (``test_mysql_property.py``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from tests.oracle import run_oracle, schema_from

from safeshift.dialects import dialect_for_url
from safeshift.renames import RenameHints


def _pair(*, index: bool = False, unique: bool = False, fk: bool = True, note_keys: bool = False) -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("parent", md, sa.Column("id", sa.Integer, primary_key=True))
    args = [sa.ForeignKey("parent.id", name="child_parent_fk")] if fk else []
    sa.Table("child", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("parent_id", sa.Integer, *args, unique=unique or None, index=index or None),
             sa.Column("note", sa.String(20), unique=note_keys or None, index=note_keys or None))
    return md


@pytest.mark.parametrize(("a", "b"), [
    pytest.param(_pair(), _pair(index=True), id="an-index-takes-over-the-keys-own"),
    pytest.param(_pair(), _pair(unique=True), id="a-unique-key-takes-over-the-keys-own"),
    pytest.param(_pair(index=True), _pair(index=True, fk=False), id="drop-a-key-served-by-an-index"),
    pytest.param(_pair(), _pair(fk=False), id="drop-a-key-with-its-own-index"),
    pytest.param(_pair(unique=True), _pair(unique=True, fk=False), id="drop-a-key-served-by-a-unique-key"),
    # the key keeps its own index: dropping other columns' indexes gives it nothing back (found by the property test)
    pytest.param(_pair(note_keys=True), _pair(), id="drop-indexes-the-key-never-used"),
    # two indexes served the key and both go: one of the drops gives the key its index back, once
    pytest.param(_pair(index=True, unique=True), _pair(), id="drop-both-indexes-that-served-the-key"),
])
def test_foreign_key_indexes_round_trip(mysql_url: str, a: sa.MetaData, b: sa.MetaData) -> None:
    dialect = dialect_for_url(mysql_url)
    run_oracle(mysql_url, schema_from(a, dialect), schema_from(b, dialect), hints=RenameHints())


def test_a_key_the_server_named_and_its_index(mysql_url: str) -> None:
    """create_all leaves a foreign key unnamed: the server calls it ``child_ibfk_1`` and its index after the
    column (``parent_id``).  That index reads as the key's own, and dropping the key drops it by that name."""
    from safeshift.diff import diff
    from safeshift.engines import engine_for
    from safeshift.plan import render

    md = _pair()
    md.tables["child"].c.parent_id.foreign_keys.pop().constraint.name = None  # type: ignore[union-attr]
    engine = sa.create_engine(mysql_url.replace("mysql://", "mysql+pymysql://", 1))
    try:
        md.create_all(engine)
    finally:
        engine.dispose()
    dialect = dialect_for_url(mysql_url)
    conn = engine_for(dialect).connect(mysql_url)
    try:
        live = engine_for(dialect).introspect(conn)
        assert diff(live, schema_from(md, dialect)) == []
        assert [fk.name for fk in live.table("default", "child").foreign_keys] == ["child_ibfk_1"]  # type: ignore[union-attr]
        target = schema_from(_pair(fk=False), dialect)
        up = render(diff(live, target), live, target, dialect).up
        assert [s.sql for s in up] == ["ALTER TABLE `child` DROP FOREIGN KEY `child_ibfk_1`;",
                                       "ALTER TABLE `child` DROP INDEX `parent_id`;"]
        for statement in up:
            conn.execute(statement.sql)
        assert diff(engine_for(dialect).introspect(conn), target) == []
    finally:
        conn.close()

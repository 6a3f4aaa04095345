"""What the real-app corpus on MariaDB found in the MySQL model (tests/realapps/test_mysql_corpus.py): types the
server stores under another name (``FLOAT(53)`` is ``double``, ``BLOB(65536)`` a ``mediumblob``), a table's
``mysql_engine``/``mysql_charset``/``mysql_collate`` (read, where they were silently ignored), and an index's
``mysql_length`` (key prefix lengths, refused before)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from safeshift.dialects.mysql import MySQLDialect
from safeshift.dialects.mysql.types import normalize_type
from safeshift.errors import UnsupportedConstruct
from safeshift.sources.sqlalchemy import schema_from_metadata


@pytest.mark.parametrize(("declared", "stored"), [
    ("FLOAT(53)", "double"), ("float(25)", "double"), ("FLOAT(24)", "float"), ("float", "float"),
    ("float(7,3)", "float(7,3)"), ("BLOB(65536)", "mediumblob"), ("blob(255)", "tinyblob"),
    ("blob(65535)", "blob"), ("blob(16777216)", "longblob"),
])
def test_types_the_server_stores_under_another_name(declared: str, stored: str) -> None:
    assert normalize_type(declared) == stored


def test_text_with_a_length_is_refused_by_name() -> None:
    with pytest.raises(UnsupportedConstruct, match="TEXT with a length"):
        normalize_type("TEXT(1000)")


def _table(**options: str) -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("name", sa.Text), **{f"mysql_{k}": v for k, v in options.items()})
    return md


@pytest.mark.parametrize(("options", "read"), [
    ({"engine": "InnoDB"}, ()),
    ({"engine": "MyISAM"}, ("engine=MyISAM",)),
    ({"character_set": "utf8"}, ("collate=utf8mb3_general_ci",)),
    ({"charset": "latin1", "collate": "latin1_bin"}, ("collate=latin1_bin",)),
    ({"collate": "UTF8MB4_BIN"}, ("collate=utf8mb4_bin",)),
])
def test_table_options_are_read(options: dict[str, str], read: tuple[str, ...]) -> None:
    assert schema_from_metadata(_table(**options), MySQLDialect()).tables[0].options == read


@pytest.mark.parametrize(("options", "named"), [
    ({"row_format": "DYNAMIC"}, "mysql_row_format"),
    ({"charset": "utf8mb4"}, "mysql_charset='utf8mb4' without mysql_collate"),
])
def test_table_options_the_model_cannot_hold_are_refused_by_name(options: dict[str, str], named: str) -> None:
    with pytest.raises(UnsupportedConstruct, match=named):
        schema_from_metadata(_table(**options), MySQLDialect())


def test_an_index_prefix_length_is_read() -> None:
    md = _table()
    sa.Index("ix_t_name", md.tables["t"].c.id, md.tables["t"].c.name, mysql_length={"name": 255})
    index = schema_from_metadata(md, MySQLDialect()).tables[0].indexes[0]
    assert [(e.value, e.is_expression) for e in index.elements] == [("id", False), ("`name`(255)", True)]

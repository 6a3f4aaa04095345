"""MySQL 8's spellings in ``information_schema``, as its reference manual documents them, read into the same
canonical model as MariaDB's: a bare literal default (MariaDB quotes it), an expression default marked
``DEFAULT_GENERATED`` with its string literals escaped and introduced (``_utf8mb4\\'a\\'``), ``CURRENT_TIMESTAMP``
without parentheses, CHECK clauses and generated columns with character set introducers."""

from __future__ import annotations

import pytest

from safeshift.dialects.mysql.normalize import column_default, normalize_expression, split_on_update


@pytest.mark.parametrize(("extra", "type_", "mariadb", "mysql8", "canonical"), [
    # what MariaDB 10.11 and MySQL 8 report for the same column definition, and the model's one spelling
    ("", "varchar(10)", "'abc'", "abc", "'abc'"),
    ("", "varchar(10)", "'it''s'", "it's", "'it''s'"),
    ("", "int", "0", "0", "0"),
    ("", "decimal(10,2)", "1.50", "1.50", "1.50"),
    ("", "date", "'2024-01-01'", "2024-01-01", "'2024-01-01'"),
    ("default_generated", "timestamp", "current_timestamp()", "CURRENT_TIMESTAMP", "current_timestamp()"),
    ("default_generated on update current_timestamp(3)", "datetime(3)", "current_timestamp(3)",
     "CURRENT_TIMESTAMP(3)", "current_timestamp(3)"),
    ("default_generated", "varchar(10)", "concat('a',`b`)", "concat(_utf8mb4\\'a\\',`b`)", "concat('a',`b`)"),
    ("default_generated", "int", "`a` + 1", "(`a` + 1)", "`a` + 1"),
])
def test_mysql8_defaults_read_as_mariadbs(extra: str, type_: str, mariadb: str, mysql8: str, canonical: str) -> None:
    assert column_default(mariadb, "", type_, quoted_literals=True) == canonical
    assert column_default(mysql8, extra, type_, quoted_literals=False) == canonical


def test_no_default_on_either_server() -> None:
    assert column_default("NULL", "", "varchar(10)", quoted_literals=True) is None  # MariaDB's text NULL
    assert column_default(None, "", "varchar(10)", quoted_literals=False) is None  # MySQL 8's SQL NULL
    # a text default spelled NULL is a string on MySQL 8 (no quotes: the column really defaults to 'NULL')
    assert column_default("NULL", "", "varchar(10)", quoted_literals=False) == "'NULL'"


@pytest.mark.parametrize(("mysql8", "mariadb"), [
    ("(`c1` > 10)", "`c1` > 10"),
    ("(`status` in (_utf8mb4'a',_utf8mb4'b'))", "`status` in ('a','b')"),
    ("concat(`first`,_utf8mb4' ',`last`)", "concat(`first`,' ',`last`)"),
    ("(`price` * `qty`)", "`price` * `qty`"),
])
def test_mysql8_check_and_generation_expressions(mysql8: str, mariadb: str) -> None:
    assert normalize_expression(mysql8) == normalize_expression(mariadb)


def test_on_update_comes_apart_from_the_default() -> None:
    assert split_on_update("current_timestamp() ON UPDATE current_timestamp()") == (
        "current_timestamp()", "current_timestamp()")
    assert split_on_update("NULL ON UPDATE current_timestamp(3)") == (None, "current_timestamp(3)")
    assert split_on_update("'x'") == ("'x'", None)
    assert split_on_update(None) == (None, None)


@pytest.mark.parametrize(("written", "printed"), [
    ("a <> 'o''k'", "`a` <> 'o\\'k'"),               # a source doubles the quote, MariaDB escapes it
    ('concat(a, "x\'y")', "concat(`a`,'x\\'y')"),   # a double-quoted string is a string
    ("a = 'back\\\\slash'", "`a` = 'back\\\\slash'"),
])
def test_string_literals_have_one_spelling(written: str, printed: str) -> None:
    assert normalize_expression(written) == normalize_expression(printed) == printed

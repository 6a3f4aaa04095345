"""Index keys and dialect keyword arguments of SQLAlchemy models are read as the database records them:
``col.asc()`` is the plain column, ``text("col DESC")`` a descending column (its DESC was once dropped and the
wrong index built), a default operator class is none, a key collation is kept; ``postgresql_*`` arguments
count on PostgreSQL only and ``sqlite_*`` ones on SQLite only, and one the converter cannot read is refused
by name."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from safeshift.dialects import get_dialect
from safeshift.errors import UnsupportedConstruct
from safeshift.model import Index, IndexElement
from safeshift.sources.sqlalchemy import schema_from_metadata

PG = get_dialect("postgresql")
SQLITE = get_dialect("sqlite")


def _index(make: Callable[[sa.Table], Any], dialect: Any = PG) -> Index:
    md = sa.MetaData()
    t = sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("email", sa.Text),
                 sa.Column("n", sa.Integer), sa.Column("code", sa.String(10, collation="C")),
                 sa.Column("data", sa.JSON))
    ix = make(t)
    if ix.table is None:  # an Index of text() keys only: as in __table_args__
        t.append_constraint(ix)
    (index,) = schema_from_metadata(md, dialect).tables[0].indexes
    return index


def col(name: str, **kw: Any) -> IndexElement:
    return IndexElement(name, **kw)


def expr(text: str, **kw: Any) -> IndexElement:
    return IndexElement(text, is_expression=True, **kw)


KEYS: list[tuple[str, Callable[[sa.Table], Any], tuple[IndexElement, ...], tuple[IndexElement, ...] | None]] = [
    # (case, index, PostgreSQL keys, SQLite keys or None where SQLite cannot build it)
    ("asc", lambda t: sa.Index("ix", t.c.n.asc()), (col("n"),), (col("n"),)),
    ("desc", lambda t: sa.Index("ix", t.c.n.desc()), (col("n", descending=True),), (col("n", descending=True),)),
    ("desc nulls last", lambda t: sa.Index("ix", t.c.n.desc().nulls_last()),
     (col("n", descending=True, nulls_first=False),), None),
    ("desc nulls first is the default", lambda t: sa.Index("ix", t.c.n.desc().nulls_first()),
     (col("n", descending=True),), None),
    ("nulls first", lambda t: sa.Index("ix", t.c.n.nulls_first()), (col("n", nulls_first=True),), None),
    ("text col DESC", lambda t: sa.Index("ix", sa.text("n DESC")), (col("n", descending=True),),
     (col("n", descending=True),)),
    ("text quoted col desc", lambda t: sa.Index("ix", sa.text('"n" desc')), (col("n", descending=True),),
     (col("n", descending=True),)),
    ("text col DESC NULLS LAST", lambda t: sa.Index("ix", sa.text("n DESC NULLS LAST")),
     (col("n", descending=True, nulls_first=False),), None),
    ("text bare col", lambda t: sa.Index("ix", sa.text("n")), (col("n"),), (col("n"),)),
    ("text expression", lambda t: sa.Index("ix", sa.text("lower(email)")), (expr("lower(email)"),),
     (expr("lower(email)"),)),
    ("text expression DESC", lambda t: sa.Index("ix", sa.text("lower(email) DESC")),
     (expr("lower(email)", descending=True),), (expr("lower(email)", descending=True),)),
    ("func", lambda t: sa.Index("ix", sa.func.lower(t.c.email)), (expr("lower(email)"),), (expr("lower(email)"),)),
    ("mixed", lambda t: sa.Index("ix", t.c.n, sa.text("email DESC")), (col("n"), col("email", descending=True)),
     (col("n"), col("email", descending=True))),
    ("collate", lambda t: sa.Index("ix", t.c.email.collate("C")), (col("email", collation="C"),),
     (expr("email COLLATE C"),)),
    ("the column's own collation is none", lambda t: sa.Index("ix", t.c.code.collate("C")), (col("code"),),
     (expr("code COLLATE C"),)),
    ("ops", lambda t: sa.Index("ix", t.c.email, postgresql_ops={"email": "text_pattern_ops"}),
     (col("email", opclass="text_pattern_ops"),), (col("email"),)),
    ("default ops are none", lambda t: sa.Index("ix", t.c.email, postgresql_ops={"email": "text_ops"}),
     (col("email"),), (col("email"),)),
    ("ops by label", lambda t: sa.Index("ix", sa.func.lower(t.c.email).label("le"),
                                        postgresql_ops={"le": "text_pattern_ops"}),
     (expr("lower(email)", opclass="text_pattern_ops"),), (expr("lower(email)"),)),
    # SQLAlchemy applies postgresql_ops to a key by its name only: not to a wrapped column (create_all's own index)
    ("ops are not applied to a wrapped column", lambda t: sa.Index("ix", t.c.email.collate("C").desc(),
                                                        postgresql_ops={"email": "varchar_pattern_ops"}),
     (col("email", collation="C", descending=True),), (expr("email COLLATE C", descending=True),)),
]


@pytest.mark.parametrize(("case", "make", "pg", "sqlite"), KEYS, ids=[k[0] for k in KEYS])
def test_index_keys_are_what_the_database_records(case: str, make: Callable[[sa.Table], Any],
                                                  pg: tuple[IndexElement, ...],
                                                  sqlite: tuple[IndexElement, ...] | None) -> None:
    assert _index(make).elements == pg
    if sqlite is None:
        with pytest.raises(UnsupportedConstruct, match=r"index ix on main\.t uses NULLS (FIRST|LAST) on an index key"):
            _index(make, SQLITE)
    else:
        assert _index(make, SQLITE).elements == sqlite


def test_gin_default_and_named_operator_classes() -> None:
    def gin(ops: str) -> Callable[[sa.Table], Any]:
        return lambda t: sa.Index("ix", t.c.data, postgresql_using="gin", postgresql_ops={"data": ops})

    assert _index(gin("jsonb_ops")).elements == (col("data"),)
    assert _index(gin("jsonb_path_ops")).elements == (col("data", opclass="jsonb_path_ops"),)
    assert _index(gin("gin_trgm_ops")).elements == (col("data", opclass="gin_trgm_ops"),)


def test_dialect_arguments_count_on_their_own_dialect_only() -> None:
    def make(t: sa.Table) -> sa.Index:
        return sa.Index("ix", t.c.n, unique=True, postgresql_where=t.c.n > 0, sqlite_where=t.c.n < 100,
                        postgresql_include=["email"], postgresql_using="btree", postgresql_concurrently=True,
                        postgresql_nulls_not_distinct=True, mysql_length=10, mysql_using="hash")

    assert _index(make) == Index("ix", (col("n"),), unique=True, where="n > 0", include=("email",),
                                 nulls_not_distinct=True)
    assert _index(make, SQLITE) == Index("ix", (col("n"),), unique=True, where="n < 100")
    hash_index = _index(lambda t: sa.Index("ix", t.c.n, postgresql_using="HASH"))
    assert hash_index.method == "hash"


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"postgresql_with": {"fillfactor": 50}}, "postgresql_with={'fillfactor': 50}"),
    ({"postgresql_tablespace": "fast"}, "postgresql_tablespace='fast'"),
])
def test_index_arguments_the_converter_cannot_read_are_refused_by_name(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(UnsupportedConstruct, match=r"index ix on public\.t uses " + named.replace("{", r"\{")
                       .replace("}", r"\}")):
        _index(lambda t: sa.Index("ix", t.c.n, **kwargs))
    assert _index(lambda t: sa.Index("ix", t.c.n, **kwargs), SQLITE).elements == (col("n"),)  # PostgreSQL's only


def test_operator_class_parameters_are_refused_by_name() -> None:
    with pytest.raises(UnsupportedConstruct, match=r"index ix on public\.t uses operator class parameters"):
        _index(lambda t: sa.Index("ix", sa.text("email gist_trgm_ops(siglen=32)"), postgresql_using="gist"))


def test_a_text_key_on_a_missing_column_is_refused_by_name() -> None:
    with pytest.raises(UnsupportedConstruct, match=r"index ix on public\.t uses a key on column nope, which the"):
        _index(lambda t: sa.Index("ix", sa.text("nope DESC")))


def test_plain_column_indexes_do_not_import_pglast() -> None:
    """Keys of plain columns are read without compiling a statement: pglast (~50 ms) stays unloaded."""
    code = (
        "import sys\n"
        "import sqlalchemy as sa\n"
        "from safeshift.dialects import get_dialect\n"
        "from safeshift.sources.sqlalchemy import schema_from_metadata\n"
        "md = sa.MetaData()\n"
        "t = sa.Table('t', md, sa.Column('a', sa.Integer), sa.Column('b', sa.Integer, key='bee'))\n"
        "sa.Index('ix', t.c.a, t.c.bee, postgresql_using='hash')\n"
        "(index,) = schema_from_metadata(md, get_dialect('postgresql')).tables[0].indexes\n"
        "assert [e.value for e in index.elements] == ['a', 'b'], index\n"
        "assert 'pglast' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

"""DDL that SQLAlchemy models attach to CREATE/DROP events is part of the schema: until the SQLAlchemy source
reads it, it is refused by name, never silently left out (SQLAlchemy's own listeners, an Enum creating its
type, pass)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from safeshift.dialects import get_dialect
from safeshift.errors import UnsupportedConstruct
from safeshift.sources.sqlalchemy import schema_from_metadata


def _models() -> tuple[sa.MetaData, sa.Table]:
    md = sa.MetaData()
    t = sa.Table("users", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("mood", sa.Enum("happy", "sad", name="mood")),
                 sa.Column("active", sa.Boolean(create_constraint=True)))
    return md, t


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_sqlalchemy_own_listeners_pass(dialect: str) -> None:
    md, _ = _models()
    assert [t.name for t in schema_from_metadata(md, get_dialect(dialect)).tables] == ["users"]


def test_ddl_listener_on_a_table_is_refused_naming_it() -> None:
    md, t = _models()
    sa.event.listen(t, "after_create", sa.DDL("CREATE TRIGGER users_touch BEFORE UPDATE ON users "
                                              "FOR EACH ROW EXECUTE FUNCTION touch()"))
    with pytest.raises(UnsupportedConstruct) as caught:
        schema_from_metadata(md, get_dialect("postgresql"))
    message = str(caught.value)
    assert "table public.users (after_create: CREATE TRIGGER users_touch BEFORE UPDATE ON users" in message
    assert "DDL run by a SQLAlchemy event listener" in message


def test_function_listener_on_the_metadata_is_refused_naming_it() -> None:
    md, _ = _models()

    def create_extensions(target: Any, connection: Any, **kw: Any) -> None:
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS citext")

    sa.event.listen(md, "before_create", create_extensions)
    with pytest.raises(UnsupportedConstruct) as caught:
        schema_from_metadata(md, get_dialect("postgresql"))
    assert "the metadata (before_create: test_function_listener_on_the_metadata_is_refused_naming_it.<locals>." \
           "create_extensions)" in str(caught.value)

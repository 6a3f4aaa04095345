"""What the SQLAlchemy source does with event listeners and alembic_utils entities before any database is
involved: SQLAlchemy's own listeners pass, DDL on the drop events is accepted and not read, a Python
function listening is refused by name, DDL to read without a shadow database is an error saying how to
give one, ``ddl_if(dialect=...)`` decides which indexes and constraints a dialect has, and the `objects`
modules' alembic_utils entities are found by duck typing (a kind the model cannot hold refused by name)."""

from __future__ import annotations

import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from safeshift.config import load_config
from safeshift.dialects import get_dialect
from safeshift.errors import ConfigError, SourceError, UnsupportedConstruct
from safeshift.sources.listeners import load_entities
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


def test_drop_event_ddl_is_accepted_without_a_shadow() -> None:
    md, t = _models()
    sa.event.listen(t, "before_drop", sa.DDL("DROP TRIGGER users_touch ON users"))
    sa.event.listen(md, "after_drop", sa.DDL("DROP FUNCTION touch()"))
    assert [t.name for t in schema_from_metadata(md, get_dialect("postgresql")).tables] == ["users"]


def test_create_event_ddl_needs_a_shadow_database() -> None:
    md, t = _models()
    sa.event.listen(t, "after_create", sa.DDL("CREATE TRIGGER users_touch BEFORE UPDATE ON users "
                                              "FOR EACH ROW EXECUTE FUNCTION touch()"))
    with pytest.raises(SourceError, match="by running them on a throwaway database, and none was given"):
        schema_from_metadata(md, get_dialect("postgresql"))


def test_function_listener_on_the_metadata_is_refused_naming_it() -> None:
    md, _ = _models()

    def create_extensions(target: Any, connection: Any, **kw: Any) -> None:
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS citext")

    sa.event.listen(md, "before_create", create_extensions)
    with pytest.raises(UnsupportedConstruct) as caught:
        schema_from_metadata(md, get_dialect("postgresql"))
    message = str(caught.value)
    assert "the metadata (before_create: test_function_listener_on_the_metadata_is_refused_naming_it.<locals>." \
           "create_extensions)" in message
    assert "a Python function run by a SQLAlchemy event listener" in message


def test_function_listener_on_a_drop_event_is_refused_too() -> None:
    md, t = _models()
    sa.event.listen(t, "after_drop", lambda target, connection, **kw: None)
    with pytest.raises(UnsupportedConstruct, match=r"table public.users \(after_drop: "):
        schema_from_metadata(md, get_dialect("postgresql"))


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_ddl_if_decides_the_dialects_indexes_and_constraints(dialect: str) -> None:
    md = sa.MetaData()
    sa.Table("items", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("qty", sa.Integer),
             sa.Index("items_qty_pg", "qty").ddl_if(dialect="postgresql"),
             sa.Index("items_qty_lite", "qty").ddl_if(dialect="sqlite"),
             sa.CheckConstraint("qty > 0", name="qty_positive").ddl_if(dialect="postgresql"))
    table = schema_from_metadata(md, get_dialect(dialect)).tables[0]
    assert [i.name for i in table.indexes] == [f"items_qty_{'pg' if dialect == 'postgresql' else 'lite'}"]
    assert [c.name for c in table.checks] == (["qty_positive"] if dialect == "postgresql" else [])


def _module(tmp_path: Path, source: str) -> str:
    name = f"entities_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    return name


def test_entities_are_found_alone_in_lists_and_through_subclasses(tmp_path: Path) -> None:
    pytest.importorskip("alembic_utils")  # a test dependency (pyproject's dev extra), never safeshift's own
    name = _module(tmp_path, """\
        from alembic_utils.pg_function import PGFunction
        from alembic_utils.pg_view import PGView

        class MyView(PGView):
            pass

        f = PGFunction(schema="public", signature="one()", definition="RETURNS int LANGUAGE sql AS 'SELECT 1'")
        views = [MyView(schema="public", signature="v", definition="SELECT 1 AS x"), f, "not an entity"]
        """)
    try:
        found = load_entities([name], tmp_path)
    finally:
        sys.modules.pop(name, None)
    assert [(e.kind, e.label) for e in found] == [
        ("PGFunction", f"{name}.f (PGFunction public.one())"),
        ("PGView", f"{name}.views (PGView public.v)"),
    ]


def test_safeshift_never_imports_alembic_utils() -> None:
    """Duck typing only: alembic_utils is the user's dependency (and a test one here), never safeshift's."""
    import safeshift

    src = Path(safeshift.__file__).parent
    assert not [p for p in src.rglob("*.py") if "import alembic_utils" in p.read_text()
                or "from alembic_utils" in p.read_text()]


def test_an_entity_kind_the_model_cannot_hold_is_refused_by_name(tmp_path: Path) -> None:
    pytest.importorskip("alembic_utils")
    name = _module(tmp_path, """\
        from alembic_utils.pg_grant_table import PGGrantTable

        grant = PGGrantTable(schema="public", table="users", role="reader", grant="SELECT", columns=["id"])
        """)
    with pytest.raises(UnsupportedConstruct) as caught:
        load_entities([name], tmp_path)
    assert f"{name}.grant (PGGrantTable public." in str(caught.value)
    assert "the alembic_utils entity kind PGGrantTable" in str(caught.value)


def test_a_module_without_entities_is_a_configuration_mistake(tmp_path: Path) -> None:
    name = _module(tmp_path, "X = 1\n")
    with pytest.raises(SourceError, match=f"'{name}' named by `objects` in safeshift.toml holds no alembic_utils"):
        load_entities([name], tmp_path)
    with pytest.raises(SourceError, match="Cannot import 'no_such_module_here' named by `objects`"):
        load_entities(["no_such_module_here"], tmp_path)


def test_objects_key_is_a_list_of_module_paths(tmp_path: Path) -> None:
    (tmp_path / "safeshift.toml").write_text('schema = "app.models:metadata"\nobjects = ["app.entities"]\n')
    assert load_config(tmp_path).objects == ("app.entities",)
    (tmp_path / "safeshift.toml").write_text('schema = "app.models:metadata"\nobjects = "app.entities"\n')
    with pytest.raises(ConfigError, match=r"'objects' in .* must be a list of module paths"):
        load_config(tmp_path)
    (tmp_path / "safeshift.toml").write_text('schema = "app.models:metadata"\nobjects = ["app.entities:x"]\n')
    with pytest.raises(ConfigError, match=r"'objects' in .* must be a list of module paths"):
        load_config(tmp_path)


def test_objects_with_sql_files_is_refused(tmp_path: Path) -> None:
    from safeshift.generate import load_source_schema

    (tmp_path / "schema.sql").write_text("CREATE TABLE t (id int);\n")
    (tmp_path / "safeshift.toml").write_text('schema = "schema.sql"\nobjects = ["app.entities"]\n')
    with pytest.raises(ConfigError, match=r"`objects` .* goes with SQLAlchemy models"):
        load_source_schema(load_config(tmp_path))

"""When the diff writes ``CREATE OR REPLACE VIEW`` instead of dropping and creating a view.

A replace keeps the view's triggers, grants and readers, but it runs at one place in the plan in both
directions, so it is chosen only when that place is right for the up and the down section alike.
"""

from __future__ import annotations

from safeshift import changes as ch
from safeshift.dialects.postgres import PostgresDialect
from safeshift.diff import diff
from safeshift.model import Column, Function, Schema, Table, View, make_schema

ITEMS = Table("public", "items", (Column("id", "bigint", nullable=False), Column("qty", "integer")))
COLS = ("id bigint", "qty integer")


def _schema(*views: View, tables: tuple[Table, ...] = (ITEMS,), functions: tuple[Function, ...] = ()) -> Schema:
    return make_schema("postgres", tables=tables, views=views, functions=functions)


def _kinds(old: Schema, new: Schema) -> list[str]:
    return [c.kind for c in diff(old, new, view_dependencies=PostgresDialect().view_dependencies)]


def _view(definition: str, columns: tuple[str, ...] = COLS, **kw: object) -> View:
    return View("public", "v", definition, columns=columns, **kw)  # type: ignore[arg-type]


def test_same_columns_same_relations_is_a_replace_and_its_inverse_too() -> None:
    old = _schema(_view("SELECT id, qty FROM items WHERE qty > 0"))
    new = _schema(_view("SELECT id, qty FROM items WHERE qty > 1"))
    changes = diff(old, new, view_dependencies=PostgresDialect().view_dependencies)
    assert [c.kind for c in changes] == ["replace_view"]
    assert isinstance(changes[0].inverse(), ch.ReplaceView)


def test_comment_only_is_a_replace() -> None:
    old = _schema(_view("SELECT id, qty FROM items", comment="a"))
    assert _kinds(old, _schema(_view("SELECT id, qty FROM items", comment="b"))) == ["replace_view"]


def test_columns_unknown_or_different_is_drop_and_create() -> None:
    old = _schema(_view("SELECT id, qty FROM items"))
    assert _kinds(old, _schema(_view("SELECT id, qty, 1 AS one FROM items", (*COLS, "one integer")))) \
        == ["drop_view", "create_view"]
    unknown = _schema(_view("SELECT id, qty FROM items", ()))
    assert _kinds(unknown, _schema(_view("SELECT id, qty FROM items WHERE qty > 1", ()))) == ["drop_view", "create_view"]


def test_reading_another_relation_is_drop_and_create() -> None:
    other = Table("public", "stock", ITEMS.columns)
    old = _schema(_view("SELECT id, qty FROM items"), tables=(ITEMS, other))
    new = _schema(_view("SELECT id, qty FROM stock"), tables=(ITEMS, other))
    assert _kinds(old, new) == ["drop_view", "create_view"]


def test_a_function_coming_with_it_or_a_column_change_under_it_is_drop_and_create() -> None:
    f = Function("public", "pos", "x integer", "integer", "CREATE OR REPLACE FUNCTION ...")
    old = _schema(_view("SELECT id, qty FROM items"))
    new = _schema(_view("SELECT id, pos(qty) AS qty FROM items"), functions=(f,))
    assert "replace_view" not in _kinds(old, new)
    wider = Table("public", "items", (*ITEMS.columns, Column("note", "text")))
    new = _schema(_view("SELECT id, qty FROM items WHERE note IS NULL"), tables=(wider,))
    assert "replace_view" not in _kinds(old, new)


def test_materialized_views_are_never_replaced() -> None:
    old = _schema(_view("SELECT id, qty FROM items", materialized=True))
    new = _schema(_view("SELECT id, qty FROM items WHERE qty > 0", materialized=True))
    assert _kinds(old, new) == ["drop_view", "create_view"]

"""The diff over hand-built canonical schemas: no database, no SQL."""

from __future__ import annotations

from dataclasses import replace

import pytest

from safeshift import changes as ch
from safeshift.diff import diff
from safeshift.errors import AmbiguousRename, ConfigError
from safeshift.model import (
    Check,
    Column,
    Enum,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    Table,
    Unique,
    make_schema,
)
from safeshift.renames import RenameHints, parse_hints


def users(*extra: Column, name: str = "users") -> Table:
    cols = (Column("id", "integer", nullable=False, serial=True), Column("fullname", "text"), *extra)
    return Table("public", name, cols, PrimaryKey(f"{name}_pkey", ("id",)),
                 indexes=(Index(f"{name}_fullname_idx", (IndexElement("fullname"),)),))


def schema(*tables: Table, enums: tuple[Enum, ...] = ()) -> object:
    return make_schema("postgresql", tables=tables, enums=enums)


def kinds(cs: list[ch.Change]) -> list[str]:
    return [c.kind for c in cs]


def test_identical_schemas_have_no_changes() -> None:
    assert diff(schema(users()), schema(users())) == []  # type: ignore[arg-type]


def test_create_and_drop_table() -> None:
    assert kinds(diff(schema(), schema(users()))) == ["create_table"]  # type: ignore[arg-type]
    out = diff(schema(users()), schema())  # type: ignore[arg-type]
    assert kinds(out) == ["drop_table"]
    assert out[0].data_loss


def test_add_column_and_alter_column() -> None:
    a = schema(users())
    b = schema(users(Column("age", "integer")))
    out = diff(a, b)  # type: ignore[arg-type]
    assert out == [ch.AddColumn("public", "users", Column("age", "integer"))]
    c = schema(users(Column("age", "bigint", nullable=False)))
    out = diff(b, c)  # type: ignore[arg-type]
    assert kinds(out) == ["alter_column"]
    assert out[0].inverse() == ch.AlterColumn("public", "users", Column("age", "bigint", nullable=False),
                                              Column("age", "integer"))


def test_column_rename_is_refused_without_an_answer() -> None:
    a = schema(users())
    t = users()
    b = schema(replace(t, columns=(t.columns[0], Column("name", "text")),
                       indexes=(Index("users_name_idx", (IndexElement("name"),)),)))
    with pytest.raises(AmbiguousRename) as exc:
        diff(a, b)  # type: ignore[arg-type]
    assert "--rename users.fullname=name" in str(exc.value)


def test_column_rename_with_hint_renames_index_too() -> None:
    a = schema(users())
    t = users()
    b = schema(replace(t, columns=(t.columns[0], Column("name", "text")),
                       indexes=(Index("users_name_idx", (IndexElement("name"),)),)))
    hints = RenameHints(columns={("public", "users", "fullname"): "name"})
    out = diff(a, b, hints)  # type: ignore[arg-type]
    assert out == [ch.RenameColumn("public", "users", "fullname", "name"),
                   ch.RenameIndex("public", "users", "users_fullname_idx", "users_name_idx")]


def test_no_rename_hint_drops_and_adds() -> None:
    a = schema(users())
    t = users()
    b = schema(replace(t, columns=(t.columns[0], Column("name", "text")), indexes=()))
    hints = parse_hints([], ["users.fullname"], "public", lambda s, n: False)
    out = diff(a, b, hints)  # type: ignore[arg-type]
    assert set(kinds(out)) == {"add_column", "drop_column", "drop_index"}


def test_table_rename_renames_constraints_and_fk_targets() -> None:
    posts = Table("public", "posts", (Column("id", "integer", nullable=False), Column("author_id", "integer")),
                  PrimaryKey("posts_pkey", ("id",)),
                  foreign_keys=(ForeignKey("posts_author_id_fkey", ("author_id",), "public", "users", ("id",)),))
    a = schema(users(), posts)
    people = users(name="people")
    posts2 = replace(posts, foreign_keys=(ForeignKey("posts_author_id_fkey", ("author_id",), "public", "people",
                                                     ("id",)),))
    b = schema(people, posts2)
    out = diff(a, b, RenameHints(tables={("public", "users"): "people"}))  # type: ignore[arg-type]
    assert out[0] == ch.RenameTable("public", "users", "people")
    assert ch.RenameConstraint("public", "people", "users_pkey", "people_pkey") in out
    assert ch.RenameIndex("public", "people", "users_fullname_idx", "people_fullname_idx") in out
    assert not any(isinstance(c, (ch.DropForeignKey, ch.AddForeignKey)) for c in out)


def test_unused_rename_hint_is_an_error() -> None:
    with pytest.raises(ConfigError):
        diff(schema(users()), schema(users()), RenameHints(tables={("public", "nope"): "x"}))  # type: ignore[arg-type]


def test_constraints_and_enums() -> None:
    t = users()
    a = schema(t, enums=(Enum("public", "mood", ("sad", "ok")),))
    t2 = replace(t, uniques=(Unique("users_fullname_key", ("fullname",)),),
                 checks=(Check("users_id_check", "id > 0"),))
    b = schema(t2, enums=(Enum("public", "mood", ("sad", "ok", "happy")),))
    out = diff(a, b)  # type: ignore[arg-type]
    assert kinds(out) == ["alter_enum", "add_unique", "add_check"]
    assert out[0].data_loss is None
    assert out[0].inverse().data_loss  # removing a value back loses data

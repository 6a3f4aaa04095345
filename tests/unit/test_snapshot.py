"""Schema ⇄ JSON snapshots: exact round trips, a readable stable format, clear errors."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeshift import model
from safeshift.errors import MigrationsError
from safeshift.formats.safeshift import _renormalise, latest_snapshot, read_snapshot, write_snapshot
from safeshift.model import (
    Check,
    Column,
    Enum,
    ForeignKey,
    Identity,
    Index,
    IndexElement,
    PrimaryKey,
    Schema,
    Table,
    Unique,
    make_schema,
)
from safeshift.snapshot import FORMAT, VERSION, from_json, to_json


def strategy_for(tp: Any) -> st.SearchStrategy[Any]:
    """Random values of a model type, derived from its type hints so new model fields are covered."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = typing.get_type_hints(tp)
        return st.builds(tp, **{f.name: strategy_for(hints[f.name]) for f in dataclasses.fields(tp) if f.init})
    if tp is str:
        return st.text(max_size=6)
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers()
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(st.none() if a is type(None) else strategy_for(a) for a in args))
    if origin is tuple and args[1] is Ellipsis:
        return st.lists(strategy_for(args[0]), max_size=3).map(tuple)
    raise TypeError(f"no strategy for {tp}")


schemas = strategy_for(Schema)
#: a whole Schema per draw, every field of every model class: slow to draw on a loaded machine (load 9-14 here)
DRAWS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(DRAWS, max_examples=200)
@given(schemas)
def test_round_trip_is_exact(schema: Schema) -> None:
    text = to_json(schema)
    assert from_json(text) == schema
    assert to_json(from_json(text)) == text


@DRAWS
@given(schemas)
def test_text_is_stable_json(schema: Schema) -> None:
    text = to_json(schema)
    assert text.endswith("}\n")
    document = json.loads(text)
    assert list(document)[:3] == ["format", "version", "dialect"]
    assert document["format"] == FORMAT
    # the lowest version that holds it: 3 only for a column's on_update (an older safeshift reads the rest)
    on_update = any(c.on_update is not None for t in schema.tables for c in t.columns)
    assert document["version"] == (VERSION if on_update else 2)
    # the same layout the json module would produce, apart from one-line lists of plain values
    assert all((len(line) - len(line.lstrip(" "))) % 2 == 0 for line in text.split("\n"))


def _schema() -> Schema:
    users = Table(
        "public", "users",
        (Column("id", "bigint", nullable=False, identity=Identity(always=True)),
         Column("email", "character varying(100)", nullable=False),
         Column("name", "text")),
        primary_key=PrimaryKey("users_pkey", ("id",)),
        uniques=(Unique("users_email_key", ("email",)),),
        checks=(Check("users_email_check", "(length((email)::text) > 3)"),),
        indexes=(Index("users_lower_idx", (IndexElement("lower(email)", is_expression=True),)),),
    )
    posts = Table(
        "public", "posts",
        (Column("id", "bigint", nullable=False), Column("user_id", "bigint")),
        foreign_keys=(ForeignKey("posts_user_id_fkey", ("user_id",), "public", "users", ("id",),
                                 on_delete="CASCADE"),),
    )
    return make_schema("postgresql", namespaces=["public"], tables=[users, posts],
                       enums=[Enum("public", "mood", ("sad", "happy"))])


def test_defaults_are_left_out_and_plain_lists_stay_on_one_line() -> None:
    text = to_json(_schema())
    assert '"columns": ["user_id"]' in text
    assert '        {\n          "name": "name",\n          "type": "text"\n        }' in text
    assert '"nullable": true' not in text and '"serial"' not in text
    assert '"sequences"' not in text and '"views"' not in text
    assert '"on_delete": "CASCADE"' in text and '"on_update"' not in text


def test_exact_text_of_a_small_schema() -> None:
    s = make_schema("sqlite", namespaces=["main"],
                    tables=[Table("main", "t", (Column("id", "INTEGER", nullable=False),),
                                  primary_key=PrimaryKey(None, ("id",)))])
    assert to_json(s) == """\
{
  "format": "safeshift.snapshot",
  "version": 2,
  "dialect": "sqlite",
  "namespaces": ["main"],
  "tables": [
    {
      "schema": "main",
      "name": "t",
      "columns": [
        {
          "name": "id",
          "type": "INTEGER",
          "nullable": false
        }
      ],
      "primary_key": {
        "name": null,
        "columns": ["id"]
      }
    }
  ]
}
"""


def test_newer_format_version_asks_for_an_upgrade() -> None:
    document = json.loads(to_json(_schema()))
    document["version"] = VERSION + 1
    with pytest.raises(MigrationsError, match=r"written by a newer safeshift .*upgrade safeshift"):
        from_json(json.dumps(document), "migrations/meta/20261125093000_snapshot.json")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["tables"][0]["columns"][0].update(nullable="no"),
         r"tables\[0\]\.columns\[0\]\.nullable must be true or false, not \"no\""),
        (lambda d: d["tables"][0].update(colums=[]), r"tables\[0\]\.colums is not a field of Table"),
        (lambda d: d["tables"][1]["columns"][0].pop("type"), r"tables\[1\]\.columns\[0\]\.type is missing"),
        (lambda d: d["tables"][0]["foreign_keys"][0].update(on_delete="EXPLODE"),
         r"on_delete must be one of .*\"CASCADE\".*, not \"EXPLODE\""),
        (lambda d: d.update(tables={}), r"tables must be a list"),
        (lambda d: d["tables"][0]["columns"][0].update(nullable=0), r"nullable must be true or false, not 0"),
    ],
)
def test_damaged_snapshot_names_the_place(edit: Any, message: str) -> None:
    document = json.loads(to_json(_schema()))
    edit(document)
    with pytest.raises(MigrationsError, match=message) as info:
        from_json(json.dumps(document), "meta/x_snapshot.json")
    assert str(info.value).startswith("meta/x_snapshot.json is damaged: ")
    assert str(info.value).endswith("restore it from version control.")


@pytest.mark.parametrize("text", ["{", "[]", '{"format": "other", "version": 1}', '{"format": "safeshift.snapshot"}'])
def test_not_a_snapshot(text: str) -> None:
    with pytest.raises(MigrationsError, match="restore it from version control"):
        from_json(text)


def test_write_read_and_latest(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    assert latest_snapshot(folder) is None
    first = make_schema("postgresql", namespaces=["public"])
    second = _schema()
    write_snapshot(folder / "meta" / "20261125093000_snapshot.json", second)
    write_snapshot(folder / "meta" / "20250101000000_snapshot.json", first)
    (folder / "meta" / "notes.json").write_text("{}")
    assert read_snapshot(folder / "meta" / "20250101000000_snapshot.json") == first
    for version in ("20250101000000", "20261125093000"):  # a snapshot counts only beside its migration file
        (folder / f"{version}_step.sql").write_text("-- migrate:up\n")
    assert latest_snapshot(folder) == second
    assert (folder / "meta" / "20261125093000_snapshot.json").read_bytes().endswith(b"}\n")


def test_missing_snapshot_file(tmp_path: Path) -> None:
    with pytest.raises(MigrationsError, match="does not exist"):
        read_snapshot(tmp_path / "meta" / "20261125093000_snapshot.json")


def test_every_model_dataclass_is_serialisable() -> None:
    classes = [c for c in vars(model).values() if dataclasses.is_dataclass(c) and isinstance(c, type)]
    reachable: set[type] = set()

    def walk(tp: Any) -> None:
        if dataclasses.is_dataclass(tp) and isinstance(tp, type):
            if tp in reachable:
                return
            reachable.add(tp)
            hints = typing.get_type_hints(tp)
            for f in dataclasses.fields(tp):
                walk(hints[f.name])
        for a in typing.get_args(tp):
            walk(a)

    walk(Schema)
    assert set(classes) <= reachable


def _big_schema(n: int) -> Schema:
    tables = []
    for i in range(n):
        cols = tuple(Column(f"c{j}", "text" if j % 2 else "bigint", nullable=j % 3 != 0,
                            default="0" if j == 3 else None) for j in range(10))
        tables.append(Table(
            "public", f"t{i:04d}", cols, primary_key=PrimaryKey(f"t{i}_pkey", ("c0",)),
            uniques=(Unique(f"t{i}_c1_key", ("c1",)),), checks=(Check(f"t{i}_check", "(c2 > 0)"),),
            foreign_keys=(ForeignKey(f"t{i}_fk", ("c4",), "public", "t0000", ("c0",)),),
            indexes=(Index(f"t{i}_idx", (IndexElement("c5"), IndexElement("lower(c1)", is_expression=True))),),
        ))
    return make_schema("postgresql", namespaces=["public"], tables=tables)


def test_a_thousand_tables_round_trip() -> None:
    # speed is measured in bench/generate_scale.py, not here
    schema = _big_schema(1000)
    assert from_json(to_json(schema)) == schema


def test_a_version_1_snapshot_has_its_defaults_normalised_as_today() -> None:
    """Written before defaults were held as the server stores them: read, it compares equal to what the
    same models give now, so an upgrade of safeshift is not a difference by spelling."""
    s = make_schema("postgresql", namespaces=["public"], tables=[Table("public", "t", (
        Column("at", "timestamp with time zone", default="CURRENT_TIMESTAMP"),
        Column("wait", "interval", default="'0'"), Column("doc", "jsonb", default="'{\"b\":1,\"a\":2}'")))])
    old = from_json(to_json(s).replace('"version": 2', '"version": 1'), "old", _renormalise)
    assert [c.default for c in old.tables[0].columns] == ["now()", "'00:00:00'", "'{\"a\": 2, \"b\": 1}'"]
    assert from_json(to_json(s)) == s  # version 2 is read as written

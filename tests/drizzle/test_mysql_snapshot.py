"""drizzle-kit's MySQL snapshots, converted to the model, equal what MariaDB holds after their SQL ran.

The folder is made by the real drizzle-kit (``_mysql_kit.STEPS``); after each migration's SQL runs
on a fresh MariaDB database, introspection must equal that migration's snapshot: the snapshot is
what ``verify`` expects and what down files are derived from, so any difference would be drift
that is not there, or a down file that does the wrong thing.  The unit tests below cover what the
folder does not: ``serial``, ``onUpdate`` with fractional seconds, and what is refused by name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from safeshift import verify
from safeshift.dialects import get_dialect
from safeshift.errors import MigrationsError
from safeshift.formats import drizzle
from safeshift.model import Column, Unique
from tests.drizzle import _mysql_kit as kit
from tests.runner._project import schema_of


@pytest.fixture(scope="module")
def mysql_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kit.source(tmp_path_factory)


def test_each_snapshot_is_what_mariadb_holds_after_its_sql(mysql_source: Path, mysql_url: str) -> None:
    folder = mysql_source / "drizzle"
    assert drizzle.journal_dialect(folder) == "mysql"
    for tag in kit.TAGS:
        kit.run_sql(mysql_url, folder / f"{tag}.sql")
        expected = drizzle.snapshot_schema(drizzle.snapshot_file(folder, tag))
        # compared as verify compares (a column drizzle-kit adds comes last in the table, not where the snapshot
        # lists it, as on PostgreSQL)
        drift = verify.drift_between(schema_of(mysql_url), expected, "default", dialect=get_dialect("mysql"))
        assert drift.differences == (), (tag, drift.differences)


def test_what_the_conversion_keeps(mysql_source: Path) -> None:
    schema = drizzle.snapshot_schema(mysql_source / "drizzle" / "meta" / "0000_snapshot.json")
    users = schema.table("default", "users")
    assert users is not None
    cols = {c.name: c for c in users.columns}
    assert cols["id"].serial and not cols["id"].nullable and users.primary_key is not None
    assert users.primary_key.columns == ("id",) and users.primary_key.name is None
    assert cols["role"].type == "enum('admin','user')" and cols["role"].default == "'user'"
    assert cols["active"].type == "tinyint(1)" and cols["active"].default == "1"
    assert cols["created_at"].default == "current_timestamp()"
    assert _timestamps(cols["updated_at"]) == ("current_timestamp()", "current_timestamp()")
    assert [c.expression for c in users.checks] == ["char_length(`name`) > 0"]
    posts = schema.table("default", "posts")
    assert posts is not None
    # a unique index on plain columns is a UNIQUE key to the server, as to the dialect's fold
    assert Unique("posts_slug_idx", ("slug",)) in posts.uniques
    assert [fk.on_delete for fk in posts.foreign_keys] == ["CASCADE"]
    tags = schema.table("default", "post_tags")
    assert tags is not None and tags.primary_key is not None and tags.primary_key.columns == ("post_id", "tag")


def _timestamps(c: Column) -> tuple[str | None, str | None]:
    return c.default, c.on_update


def _snapshot(tmp_path: Path, columns: dict[str, dict[str, Any]], **table: Any) -> Path:
    data = {"version": "5", "dialect": "mysql", "id": "a", "prevId": "0",
            "tables": {"t": {"name": "t", "columns": columns, "indexes": {}, "foreignKeys": {},
                             "compositePrimaryKeys": {}, "uniqueConstraints": {}, "checkConstraint": {}, **table}},
            "views": {}, "_meta": {"schemas": {}, "tables": {}, "columns": {}}}
    path = tmp_path / "0000_snapshot.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _col(name: str, type_: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "primaryKey": False, "notNull": False, "autoincrement": False, **extra}


def test_serial_is_bigint_unsigned_auto_increment_with_its_unique_key(tmp_path: Path, mysql_url: str) -> None:
    """drizzle-kit writes ``serial AUTO_INCREMENT``, which MariaDB refuses; the server's own ``serial`` is
    what the snapshot means, and introspecting it gives the converted snapshot."""
    path = _snapshot(tmp_path, {"id": _col("id", "serial", notNull=True, autoincrement=True)},
                     compositePrimaryKeys={"t_id": {"name": "t_id", "columns": ["id"]}})
    schema = drizzle.snapshot_schema(path)
    table = schema.table("default", "t")
    assert table is not None
    assert table.columns == (Column("id", "bigint unsigned", False, None, None, True),)
    assert table.uniques == (Unique("id", ("id",)),)
    sql = tmp_path / "t.sql"
    sql.write_text("CREATE TABLE `t` (`id` serial NOT NULL, CONSTRAINT `t_id` PRIMARY KEY(`id`));", encoding="utf-8")
    kit.run_sql(mysql_url, sql)
    assert schema_of(mysql_url) == schema


def test_on_update_keeps_the_fractional_seconds_and_a_null_default(tmp_path: Path) -> None:
    path = _snapshot(tmp_path, {"at": _col("at", "timestamp(3)", onUpdate=True, default="(now(3))"),
                                "seen": _col("seen", "datetime", onUpdate=True)})
    table = drizzle.snapshot_schema(path).table("default", "t")
    assert table is not None
    assert [_timestamps(c) for c in table.columns] == [("current_timestamp(3)", "current_timestamp(3)"),
                                                       (None, "current_timestamp()")]


@pytest.mark.parametrize(("extra", "message"), [
    ({"indexes": {"i": {"name": "i", "columns": ["lower(`a`)"], "isUnique": False}}},
     "index i on t has the expression key 'lower(`a`)', which safeshift does not model on MySQL yet"),
    ({"foreignKeys": {"f": {"name": "f", "tableFrom": "t", "tableTo": "t", "columnsFrom": ["a"], "columnsTo": ["a"],
                            "onDelete": "explode"}}},
     "foreign key f has ON explode, which safeshift cannot express"),
])
def test_what_the_model_cannot_hold_is_refused_by_name(tmp_path: Path, extra: dict[str, Any], message: str) -> None:
    path = _snapshot(tmp_path, {"a": _col("a", "int")}, **extra)
    with pytest.raises(MigrationsError, match=re.escape(f"0000_snapshot.json: {message}")):
        drizzle.snapshot_schema(path)


def test_views_are_refused_by_name(tmp_path: Path) -> None:
    path = _snapshot(tmp_path, {"a": _col("a", "int")})
    data = json.loads(path.read_text())
    data["views"] = {"v": {"name": "v", "definition": "select 1", "columns": {}}}
    path.write_text(json.dumps(data))
    with pytest.raises(MigrationsError, match=re.escape("defines the view(s) v, which safeshift does not model on MySQL yet")):
        drizzle.snapshot_schema(path)


def test_a_mysql_snapshot_is_not_read_as_postgresql(tmp_path: Path) -> None:
    path = _snapshot(tmp_path, {"a": _col("a", "int")})
    with pytest.raises(MigrationsError, match="is a drizzle-kit snapshot for mysql, not for postgresql"):
        drizzle.snapshot_schema(path, get_dialect("postgresql"))


@pytest.mark.parametrize(("written", "meant"), [
    ("(now())", "now()"), ("(concat('a)', 'b'))", "concat('a)', 'b')"), ("(a) + (b)", "(a) + (b)"),
    ("'(x)'", "'(x)'"), ("('it''s)')", "'it''s)'"),
])
def test_drizzle_kits_parentheses_around_an_expression_default_are_dropped(written: str, meant: str) -> None:
    """drizzle-kit writes ``default(sql`...`)`` as ``(...)``; only a pair around the whole default goes, never
    one inside a string literal or two separate groups."""
    from safeshift.formats.drizzle.mysql_snapshot import _unwrapped

    assert _unwrapped(written) == meant

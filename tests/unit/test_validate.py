"""The validation pass over a target schema, rule by rule, on model values alone: what the shared rules
refuse (an index with no keys, one index under two names, a foreign key onto columns nothing keeps unique
or a deferrable key), what PostgreSQL's rules refuse (a key without a default operator class, an
extension's type, operator class or access method the schema does not create) and what each lets pass;
every problem listed at once; the plan creates an extension before its first user."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
import sqlalchemy as sa

from safeshift.dialects import get_dialect
from safeshift.diff import diff
from safeshift.errors import InvalidSchema
from safeshift.model import (
    Column,
    Domain,
    Enum,
    Extension,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    Schema,
    Table,
    Unique,
    make_schema,
)
from safeshift.plan import plan
from safeshift.renames import AssumeNew
from safeshift.validate import refuse_invalid, validate

PG = get_dialect("postgresql")
SQLITE = get_dialect("sqlite")


def ix(name: str, *cols: str, method: str = "btree", unique: bool = False, where: str | None = None,
       opclass: str | None = None) -> Index:
    return Index(name, tuple(IndexElement(c, opclass=opclass) for c in cols), unique=unique, method=method,
                 where=where)


def table(name: str, *columns: Column, indexes: Iterable[Index] = (), uniques: Iterable[Unique] = (),
          fks: Iterable[ForeignKey] = (), pk: tuple[str, ...] = ("id",), schema: str = "public") -> Table:
    cols = (Column("id", "integer", nullable=False), *columns) if "id" in pk else columns
    return Table(schema, name, cols, PrimaryKey(None, pk) if pk else None, tuple(uniques), (), tuple(fks),
                 tuple(indexes))


def pg(*tables: Table, extensions: Iterable[str] = (), **kw: object) -> Schema:
    return make_schema("postgresql", tables=tables, extensions=[Extension(e, "public") for e in extensions],
                       **kw)  # type: ignore[arg-type]


def said(schema: Schema, dialect: object = PG) -> list[str]:
    return [p.sentence() for p in validate(schema, dialect)]


# -- shared rules -------------------------------------------------------------------------------

def test_an_index_with_no_keys_is_refused_by_name() -> None:
    s = pg(table("t", indexes=[Index("ix_empty", ())]))
    assert said(s) == ["index ix_empty on public.t has no columns or expressions; give it at least one key or "
                       "remove it."]


def test_one_index_under_two_names_is_refused_and_a_different_predicate_is_not_the_same_index() -> None:
    code = Column("code", "text")
    s = pg(table("t", code, indexes=[ix("ix_t_code", "code"), ix("ix_code_again", "code")]))
    assert said(s) == ["index ix_t_code on public.t is the same index as ix_code_again (same keys, method, predicate "
                       "and uniqueness under another name); declare it once (index=True on a column and an "
                       "explicit Index on it declare it twice)."]
    for other in (ix("ix_b", "code", where="(code <> ''::text)"), ix("ix_b", "code", unique=True),
                  ix("ix_b", "code", method="hash"), Index("ix_b", (IndexElement("code", descending=True),))):
        assert said(pg(table("t", code, indexes=[ix("ix_a", "code"), other]))) == []


def _fk_onto(parent: Table, *refs: str) -> Schema:
    child = table("child", Column("a", "integer"), Column("b", "integer"),
                  fks=[ForeignKey("child_fk", ("a", "b")[: len(refs)], "public", parent.name, refs)])
    return pg(parent, child)


AB = (Column("a", "integer"), Column("b", "integer"))


@pytest.mark.parametrize("parent", [
    table("parent", *AB, uniques=[Unique(None, ("b", "a"))]),  # any order: PostgreSQL wants the set
    table("parent", *AB, indexes=[ix("ux", "a", "b", unique=True)]),
    table("parent", *AB, pk=("a", "b")),
    table("parent", *AB, uniques=[Unique("u", ("a", "b"), deferrable=True), Unique("u2", ("a", "b"))]),
], ids=["unique-other-order", "unique-index", "primary-key", "a-non-deferrable-one-beside"])
def test_a_foreign_key_onto_a_unique_set_passes(parent: Table) -> None:
    assert said(_fk_onto(parent, "a", "b")) == []


@pytest.mark.parametrize("parent", [
    table("parent", *AB),
    table("parent", *AB, uniques=[Unique(None, ("a",))]),  # a subset is not the set
    table("parent", *AB, indexes=[ix("ux", "a", "b", unique=True, where="(a > 0)")]),
    table("parent", *AB, indexes=[Index("ux", (IndexElement("a"), IndexElement("(b + 1)", is_expression=True)),
                                        unique=True)]),
], ids=["nothing-unique", "subset", "partial-unique-index", "expression-unique-index"])
def test_a_foreign_key_onto_columns_nothing_keeps_unique_is_refused(parent: Table) -> None:
    assert said(_fk_onto(parent, "a", "b")) == [
        "foreign key child_fk on public.child references public.parent(a, b), which has no primary key or unique "
        "constraint on exactly those columns; add one (a unique constraint or unique index without a WHERE "
        "clause) or reference the key it has."]


def test_a_foreign_key_onto_a_deferrable_key_or_a_missing_column_is_refused() -> None:
    deferrable = table("parent", *AB, uniques=[Unique("u", ("a", "b"), deferrable=True)])
    assert "whose only unique key is deferrable" in said(_fk_onto(deferrable, "a", "b"))[0]
    assert said(_fk_onto(table("parent", *AB), "a", "zz"))[0].endswith(
        "references zz, which public.parent does not have; reference its existing columns.")


def test_a_foreign_key_onto_a_table_outside_the_schema_is_not_judged() -> None:
    child = table("child", Column("a", "integer"), fks=[ForeignKey(None, ("a",), "public", "elsewhere", ("x",))])
    assert said(pg(child)) == []


def test_sqlite_gets_the_shared_rules_only() -> None:
    parent = table("parent", Column("code", "TEXT"), schema="main", indexes=[ix("g", "code", method="gin")])
    child = table("child", Column("code", "TEXT"), schema="main",
                  fks=[ForeignKey(None, ("code",), "main", "parent", ("code",))])
    s = make_schema("sqlite", tables=[parent, child])
    assert said(s, SQLITE) == [
        "foreign key (code) on main.child references main.parent(code), which has no primary key or unique "
        "constraint on exactly those columns; add one (a unique constraint or unique index without a WHERE "
        "clause) or reference the key it has."]


# -- PostgreSQL: operator classes and extensions -------------------------------------------------

def _one_index(type_: str, method: str, *, extensions: Iterable[str] = (), opclass: str | None = None,
               **kw: object) -> list[str]:
    t = table("t", Column("c", type_), indexes=[ix("ix_c", "c", method=method, opclass=opclass)])
    return said(pg(t, extensions=extensions, **kw))


@pytest.mark.parametrize(("type_", "method", "extensions"), [
    ("jsonb", "gin", ()), ("tsvector", "gin", ()), ("text[]", "gin", ()), ("integer[]", "gin", ()),
    ("text", "gin", ("btree_gin",)), ("bigint", "gin", ("btree_gin",)),
    ("tstzrange", "gist", ()), ("point", "gist", ()), ("integer", "gist", ("btree_gist",)),
    ("inet", "gist", ("btree_gist",)), ("integer[]", "gist", ("intarray",)),
    ("character varying(20)", "spgist", ()), ("timestamp with time zone", "brin", ()), ("uuid", "hash", ()),
    ("citext", "btree", ("citext",)), ("vector(3)", "ivfflat", ("vector",)),
    ("my_type", "gin", ()),  # a type the tables do not know is not judged
    ("geometry(Point,4326)", "gist", ("postgis",)),
])
def test_keys_with_a_default_operator_class_pass(type_: str, method: str, extensions: tuple[str, ...]) -> None:
    assert _one_index(type_, method, extensions=extensions) == []


@pytest.mark.parametrize(("type_", "method", "hint"), [
    ("text", "gin", "name the operator class gin_trgm_ops (pg_trgm extension) for LIKE and similarity search, "
                    "or create the btree_gin extension for equality"),
    ("character varying(100)", "gist", "name the operator class gist_trgm_ops (pg_trgm extension)"),
    ("inet", "gist", "name the built-in operator class inet_ops, or create the btree_gist extension"),
    ("integer", "gin", "create the btree_gin extension, or use a btree index"),
    ("timestamp with time zone", "gist", "create the btree_gist extension, or use a btree index"),
    ("integer[]", "gist", "name gist__int_ops (intarray extension)"),
    ("json", "gin", "use jsonb"),
    ("json", "btree", "use jsonb"),
    ("boolean", "brin", "name an operator class for the key, or use another access method"),
])
def test_a_key_without_a_default_operator_class_is_refused_naming_what_would_do(type_: str, method: str,
                                                                                hint: str) -> None:
    [sentence] = _one_index(type_, method)
    assert sentence.startswith(f"index ix_c on public.t has a {method} key on column c of type {type_}, which has "
                               f"no default {method} operator class; {hint}")


def test_a_domain_is_judged_by_its_base_type_and_an_enum_as_an_enum() -> None:
    assert _one_index("title", "gin", domains=[Domain("public", "title", "text")])
    assert _one_index("mood", "hash", enums=[Enum("public", "mood", ("a", "b"))]) == []
    assert _one_index("mood", "brin", enums=[Enum("public", "mood", ("a", "b"))])


def test_an_extension_operator_class_needs_its_extension() -> None:
    assert _one_index("text", "gin", opclass="gin_trgm_ops") == [
        "index ix_c on public.t names the operator class gin_trgm_ops of the pg_trgm extension, which the schema "
        "does not create; create it in the schema (CREATE EXTENSION pg_trgm)."]
    assert _one_index("text", "gin", opclass="gin_trgm_ops", extensions=["pg_trgm"]) == []
    assert _one_index("vector(3)", "hnsw", opclass="vector_cosine_ops", extensions=["vector"]) == []


def test_an_extension_access_method_needs_its_extension_and_hnsw_an_operator_class() -> None:
    column, index = _one_index("vector(3)", "hnsw", extensions=[], opclass="vector_l2_ops")
    assert column.startswith("column public.t.c has the type vector(3) of the vector extension")
    assert "uses the access method hnsw of the vector extension, which the schema does not create" in index
    [no_class] = _one_index("vector(3)", "hnsw", extensions=["vector"])
    assert no_class.endswith("name one of vector_l2_ops, vector_cosine_ops or vector_ip_ops.")


def test_an_extension_type_needs_its_extension_unless_the_schema_owns_a_type_of_that_name() -> None:
    t = table("t", Column("email", "citext"), Column("tags", "public.hstore[]"))
    assert said(pg(t)) == [
        "column public.t.email has the type citext of the citext extension, which the schema does not create; "
        "create it in the schema (CREATE EXTENSION citext) so it is created before its first use.",
        "column public.t.tags has the type public.hstore[] of the hstore extension, which the schema does not "
        "create; create it in the schema (CREATE EXTENSION hstore) so it is created before its first use."]
    assert said(pg(t, extensions=["citext", "hstore"])) == []
    assert said(pg(table("t", Column("v", "vector")), enums=[Enum("public", "vector", ("x",))])) == []


def test_a_unique_key_on_a_type_without_equality_is_refused() -> None:
    t = table("t", Column("doc", "json"), uniques=[Unique("t_doc_key", ("doc",))])
    [sentence] = said(pg(t))
    assert sentence.startswith("unique constraint t_doc_key on public.t has a btree key on column doc of type json")


# -- the refusal ---------------------------------------------------------------------------------

def test_every_problem_is_listed_with_where_the_source_declares_it() -> None:
    s = pg(table("t", Column("c", "text"), Column("e", "citext"),
                 indexes=[Index("ix_empty", ()), ix("ix_g", "c", method="gin")]))
    seen: list[tuple[object, object]] = []

    def locate(key: tuple[str, str] | None, name: str | None) -> str | None:
        seen.append((key, name))
        if name == "ix_g":
            raise RuntimeError("a locator's failure never hides the refusal")
        return f"models.py:{len(seen)}"

    with pytest.raises(InvalidSchema) as caught:
        refuse_invalid(s, PG, locate)
    assert caught.value.exit_code == 2
    assert [p.split(" (")[0] if "(models" in p else p[:30] for p in caught.value.problems] == [
        "index ix_empty on public.t", "column public.t.e", "index ix_g on public.t has a g"]
    assert "index ix_empty on public.t (models.py:1) has no columns" in caught.value.message
    assert set(seen) == {(("public", "t"), "ix_empty"), (("public", "t"), "ix_g"), (("public", "t"), "e")}
    refuse_invalid(pg(table("t")), PG, locate)  # nothing to say: no error


def test_the_plan_creates_an_extension_before_the_columns_and_indexes_that_use_it() -> None:
    t = table("t", Column("title", "text"), Column("email", "citext"),
              indexes=[ix("ix_title", "title", method="gin", opclass="gin_trgm_ops")])
    existing = pg(table("t", Column("title", "text")))
    for old, new in ((pg(), pg(t, extensions=["pg_trgm", "citext"])),
                     (existing, pg(t, extensions=["pg_trgm", "citext"]))):
        assert validate(new, PG) == []
        kinds = [s.change.kind for s in plan(diff(old, new, None, AssumeNew(), "public"), old, new, PG)]
        users = [i for i, k in enumerate(kinds) if k in ("create_table", "add_column", "create_index")]
        extensions = [i for i, k in enumerate(kinds) if k == "create_extension"]
        assert len(extensions) == 2 and users and max(extensions) < min(users), kinds


def test_an_extension_the_tables_do_not_know_leaves_defaults_and_type_origins_unjudged() -> None:
    """pgvecto.rs (``vectors``) names its type ``vector`` too; another extension may add a default class."""
    t = table("t", Column("v", "vector(3)"), Column("title", "text"),
              indexes=[ix("ix_title", "title", method="gin"), ix("ix_v", "v", method="gin", opclass="gin_trgm_ops")])
    assert [p.split(" names ")[0] for p in said(pg(t, extensions=["vectors"]))] == ["index ix_v on public.t"]
    assert len(said(pg(t, extensions=["uuid-ossp"]))) == 3  # a known one, bringing nothing: all judged


def test_one_index_name_declared_twice_is_refused() -> None:
    """index=True under a naming convention and an explicit Index of the same name: the second CREATE INDEX
    would fail, whatever the database."""
    from safeshift.dialects.sqlite import SQLiteDialect
    from safeshift.sources.sqlalchemy import schema_from_metadata

    md = sa.MetaData(naming_convention={"ix": "ix_%(table_name)s_%(column_0_name)s"})
    t = sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("c", sa.Integer, index=True))
    sa.Index("ix_t_c", t.c.c)
    found = validate(schema_from_metadata(md, SQLiteDialect()))
    assert [p.sentence() for p in found] == [
        "index ix_t_c on main.t is declared twice under this name, and the database refuses the second CREATE INDEX; "
        "declare it once (index=True on a column and an explicit Index on it declare it twice)."]


def test_twins_only_on_the_database_that_drops_the_other_ones_options_are_two_indexes() -> None:
    """mlflow declares a covering index (postgresql_include) beside its plain twin: on SQLite, which has no
    INCLUDE, the two are the same index, and mlflow runs on SQLite with both; no refusal there."""
    from safeshift.dialects.sqlite import SQLiteDialect
    from safeshift.sources.sqlalchemy import options_elsewhere, schema_from_metadata

    def models(include: bool) -> sa.MetaData:
        md = sa.MetaData()
        t = sa.Table("spans", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("exp", sa.Integer),
                     sa.Column("at", sa.Integer), sa.Column("cost", sa.Integer))
        sa.Index("ix_spans_exp_at", t.c.exp, t.c.at)
        sa.Index("ix_spans_exp_at_cover", t.c.exp, t.c.at, **({"postgresql_include": ["cost"]} if include else {}))
        return md

    d = SQLiteDialect()
    with_include = models(True)
    refuse_invalid(schema_from_metadata(with_include, d), d, None, options_elsewhere(with_include, d))
    plain = models(False)
    with pytest.raises(InvalidSchema, match=r"ix_spans_exp_at_cover on main\.spans is the same index as ix_spans_exp_at"):
        refuse_invalid(schema_from_metadata(plain, d), d, None, options_elsewhere(plain, d))

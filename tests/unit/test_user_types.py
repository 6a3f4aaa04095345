"""Domains, stand-alone composite types and collations without a server: each Change's exact inverse, the
diff's choices (ALTER in place, drop and create again, or refuse while something uses the object), the
plan's dependency order, the PostgreSQL text, review hits and the snapshot round trip."""

from __future__ import annotations

from typing import Any

import pytest

from safeshift import changes as ch
from safeshift import snapshot
from safeshift.dialects.postgres import PostgresDialect
from safeshift.diff import diff
from safeshift.errors import UnsupportedConstruct
from safeshift.lint.changes import review_changes
from safeshift.model import (
    Attribute,
    Check,
    Collation,
    Column,
    CompositeType,
    Domain,
    Enum,
    Function,
    Schema,
    Table,
    make_schema,
)
from safeshift.plan import plan

POSINT = Domain("public", "posint", "integer", checks=(Check("posint_positive", "value > 0"),))
PAIR = CompositeType("public", "pair", (Attribute("a", "integer"), Attribute("b", "text")))
PLAIN_C = Collation("public", "plain_c", "libc", lc_collate="C", lc_ctype="C")
ICU = Collation("app", "fold", "icu", locale="und-u-ks-level2", deterministic=False)
D = PostgresDialect()


def schema(**kw: Any) -> Schema:
    return make_schema("postgresql", **kw)


def users(*extra: Column) -> Table:
    return Table("public", "users", (Column("id", "bigint", nullable=False), *extra))


CHANGES: list[ch.Change] = [
    ch.CreateDomain(POSINT),
    ch.DropDomain(POSINT),
    ch.AlterDomain(POSINT, Domain("public", "posint", "integer", default="1", nullable=False)),
    ch.RecreateDomain(POSINT, Domain("public", "posint", "bigint")),
    ch.AddDomainCheck("public", "posint", Check("small", "value < 100")),
    ch.DropDomainCheck("public", "posint", Check("small", "value < 100")),
    ch.CreateCompositeType(PAIR),
    ch.DropCompositeType(PAIR),
    ch.AlterCompositeType(PAIR, CompositeType("public", "pair", (Attribute("a", "bigint"),))),
    ch.RecreateCompositeType(PAIR, CompositeType("public", "pair", (Attribute("b", "text"), Attribute("a", "integer")))),
    ch.CreateCollation(PLAIN_C),
    ch.DropCollation(PLAIN_C),
    ch.RecreateCollation(PLAIN_C, Collation("public", "plain_c", "libc", lc_collate="POSIX", lc_ctype="POSIX")),
]


@pytest.mark.parametrize("change", CHANGES, ids=[c.kind for c in CHANGES])
def test_inverse_is_exact(change: ch.Change) -> None:
    inv = change.inverse()
    assert inv.inverse() == change
    assert inv.target == change.target
    paired = {"create_domain": "drop_domain", "add_domain_check": "drop_domain_check",
              "create_composite_type": "drop_composite_type", "create_collation": "drop_collation"}
    expected = paired.get(change.kind) or {v: k for k, v in paired.items()}.get(change.kind) or change.kind
    assert inv.kind == expected
    assert D.render(change), "every change renders to SQL"


def test_domain_changes_in_place() -> None:
    old = schema(domains=[POSINT], tables=[users(Column("score", "posint"))])
    new_domain = Domain("public", "posint", "integer", default="1", nullable=False,
                        checks=(Check("posint_small", "value < 1000"),))
    new = schema(domains=[new_domain], tables=[users(Column("score", "posint"))])
    assert diff(old, new) == [
        ch.AlterDomain(POSINT, new_domain),
        ch.DropDomainCheck("public", "posint", POSINT.checks[0]),
        ch.AddDomainCheck("public", "posint", new_domain.checks[0]),
    ]
    sql = [s.sql for c in diff(old, new) for s in D.render(c)]
    assert sql == ['ALTER DOMAIN "public"."posint" SET DEFAULT 1;',
                   'ALTER DOMAIN "public"."posint" SET NOT NULL;',
                   'ALTER DOMAIN "public"."posint" DROP CONSTRAINT "posint_positive";',
                   'ALTER DOMAIN "public"."posint" ADD CONSTRAINT "posint_small" CHECK (value < 1000);']


def test_base_type_change_is_refused_while_a_column_uses_the_domain() -> None:
    bigger = Domain("public", "posint", "bigint")
    used = schema(domains=[POSINT], tables=[users(Column("score", "posint[]"))])
    with pytest.raises(UnsupportedConstruct) as caught:
        diff(used, schema(domains=[bigger], tables=[users(Column("score", "posint[]"))]))
    assert "domain public.posint" in str(caught.value)
    assert "column public.users.score" in str(caught.value)
    # nothing uses it: dropped and created again
    assert diff(schema(domains=[POSINT]), schema(domains=[bigger])) == [ch.RecreateDomain(POSINT, bigger)]


def test_collation_and_composite_refusals_name_their_users() -> None:
    posix = Collation("public", "plain_c", "libc", lc_collate="POSIX", lc_ctype="POSIX")
    with_col = users(Column("email", "text", collation="plain_c"))
    with pytest.raises(UnsupportedConstruct, match=r"column public\.users\.email"):
        diff(schema(collations=[PLAIN_C], tables=[with_col]), schema(collations=[posix], tables=[with_col]))
    swapped = CompositeType("public", "pair", (Attribute("b", "text"), Attribute("a", "integer")))
    fn = Function("public", "first", "p pair", "integer", "CREATE FUNCTION ...")
    with pytest.raises(UnsupportedConstruct, match=r"function public.first\(p pair\)"):
        diff(schema(composite_types=[PAIR], functions=[fn]), schema(composite_types=[swapped], functions=[fn]))
    appended = CompositeType("public", "pair", (*PAIR.attributes, Attribute("c", "date")))
    assert diff(schema(composite_types=[PAIR], functions=[fn]), schema(composite_types=[appended], functions=[fn])) \
        == [ch.AlterCompositeType(PAIR, appended)]
    sql = D.render(ch.AlterCompositeType(appended, CompositeType("public", "pair", (Attribute("a", "bigint"),))))
    assert [s.sql for s in sql] == ['ALTER TYPE "public"."pair" DROP ATTRIBUTE "b", DROP ATTRIBUTE "c", '
                                    'ALTER ATTRIBUTE "a" TYPE bigint;']


def test_types_are_created_after_what_they_are_built_on_and_dropped_before() -> None:
    mood = Enum("public", "mood", ("happy", "sad"))
    happy = Domain("public", "happy", "mood", checks=(Check("happy_check", "value = 'happy'::mood"),))
    # named to sort before what it is built on: the order comes from the types, not the names
    a_small = Domain("app", "a_small", "happy")
    holder = CompositeType("public", "a_holder", (Attribute("m", "app.a_small", None),))
    even = Function("public", "is_even", "x integer", "boolean", "CREATE FUNCTION ...")
    target = schema(namespaces=["app"], enums=[mood], domains=[happy, a_small], composite_types=[holder],
                    collations=[PLAIN_C], functions=[even])
    empty = schema()
    up = [s.change for s in plan(diff(empty, target), empty, target, D)]
    kinds = [(c.kind, c.target) for c in up]
    assert kinds == [
        ("create_schema", "app"),
        ("create_collation", "public.plain_c"),
        ("create_enum", "public.mood"),
        ("create_domain", "public.happy"),
        ("create_domain", "app.a_small"),
        ("create_composite_type", "public.a_holder"),
        ("create_function", "public.is_even(x integer)"),
        ("add_domain_check", "public.happy.happy_check"),  # after the functions a check may call
    ]
    down = [(s.change.kind, s.change.target)
            for s in plan(ch.invert(diff(empty, target)), target, empty, D)]
    assert down.index(("drop_composite_type", "public.a_holder")) < down.index(("drop_domain", "app.a_small")) \
        < down.index(("drop_domain", "public.happy")) < down.index(("drop_enum", "public.mood")) \
        < down.index(("drop_collation", "public.plain_c"))
    assert down.index(("drop_domain_check", "public.happy.happy_check")) < down.index(
        ("drop_function", "public.is_even(x integer)"))


def test_collation_sql() -> None:
    assert [s.sql for s in D.render(ch.CreateCollation(PLAIN_C))] == [
        "CREATE COLLATION \"public\".\"plain_c\" (provider = libc, lc_collate = 'C', lc_ctype = 'C');"]
    assert [s.sql for s in D.render(ch.CreateCollation(ICU))] == [
        "CREATE COLLATION \"app\".\"fold\" (provider = icu, locale = 'und-u-ks-level2', deterministic = false);"]
    qualified = Column("email", "text", collation='"app"."fold"')
    assert D.column_sql(qualified).endswith(' COLLATE "app"."fold"')


def test_review_hits() -> None:
    rules = {f.rule for f in review_changes([
        ch.DropDomain(POSINT), ch.AddDomainCheck("public", "posint", Check("small", "value < 100")),
        ch.AlterCompositeType(PAIR, CompositeType("public", "pair", (Attribute("a", "integer"),))),
        ch.DropCollation(PLAIN_C)])}
    assert {"drop-domain", "alter-domain-add-constraint", "drop-column", "drop-type"} <= rules


def test_snapshot_round_trip() -> None:
    s = schema(namespaces=["app"], domains=[POSINT, Domain("app", "code", "text", collation='"app"."fold"')],
               composite_types=[PAIR], collations=[PLAIN_C, ICU])
    assert snapshot.from_json(snapshot.to_json(s)) == s


def test_verify_names_each_kind() -> None:
    from safeshift.verify import drift_between

    expected = schema(domains=[POSINT], composite_types=[PAIR], collations=[PLAIN_C])
    live = schema(domains=[Domain("public", "posint", "integer")], collations=[PLAIN_C])
    shown = drift_between(live, expected).render_text().splitlines()
    assert shown == ["missing composite type public.pair: (a integer, b text)",
                     "missing domain check public.posint.posint_positive: value > 0"]
    assert drift_between(schema(), schema(collations=[PLAIN_C])).render_text() == \
        "missing collation public.plain_c: libc C/C"


def test_enum_swap_under_a_domain_is_refused() -> None:
    mood = Enum("public", "mood", ("happy", "sad"))
    happy = Domain("public", "happy", "mood")
    added = Enum("public", "mood", ("happy", "meh", "sad"))
    assert diff(schema(enums=[mood], domains=[happy]), schema(enums=[added], domains=[happy])) == [
        ch.AlterEnum(mood, added)]
    with pytest.raises(UnsupportedConstruct, match=r"domain public\.happy"):
        diff(schema(enums=[mood], domains=[happy]), schema(enums=[Enum("public", "mood", ("sad", "happy"))],
                                                           domains=[happy]))


def test_enum_swap_under_a_function_argument_is_refused() -> None:
    """The swap drops the old type at the end; a function taking it would block that DROP mid-migration."""
    from safeshift.model import Function

    mood = Enum("public", "mood", ("happy", "sad"))
    cheer = Function("public", "cheer", "m mood", "text", "CREATE OR REPLACE FUNCTION public.cheer(m mood) ...")
    with pytest.raises(UnsupportedConstruct, match=r"function public\.cheer\(m mood\)"):
        diff(schema(enums=[mood], functions=[cheer]),
             schema(enums=[Enum("public", "mood", ("sad", "happy"))], functions=[cheer]))

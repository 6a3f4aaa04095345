"""Random schemas with views over views, functions used by a default, a CHECK and a trigger (quoted or
SQL-standard bodies, one reading the table), and random
edits of them, through the pair oracle (safeshift's introspection at every step; migra in tests/objects'
hand-written pairs).  View names are drawn from a shuffled pool, so name order and dependency order differ."""

from __future__ import annotations

import os
from dataclasses import dataclass

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeshift.engines.postgres.embedded import database_url
from tests.objects._pair_oracle import Pair, run_pair

NAMES = ("v_zeta", "v_alpha", "v_mid", "v_beta", "v_omega")


@dataclass(frozen=True)
class ViewSpec:
    name: str
    #: index of the view it reads among the earlier ones; -1: the table
    parent: int
    threshold: int
    upper: bool


@dataclass(frozen=True)
class Spec:
    check_fn: bool
    default_fn: bool
    trigger: bool
    fn_version: int
    views: tuple[ViewSpec, ...]
    counter_fn: bool = False

    def sql(self) -> str:
        out = [f"CREATE FUNCTION f_code() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT 'c{self.fn_version}' $$;"
               if self.default_fn else "",
               ("CREATE FUNCTION f_ok(t text) RETURNS boolean LANGUAGE sql IMMUTABLE "
                + ("RETURN t <> '';" if self.fn_version == 2 else "AS $$ SELECT t <> '' $$;"))
               if self.check_fn else "",
               "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated := now(); "
               f"RETURN NEW; END /* v{self.fn_version} */ $$;" if self.trigger else ""]
        columns = ["id bigint PRIMARY KEY", "name text NOT NULL" + (" CHECK (f_ok(name))" if self.check_fn else ""),
                   "qty int NOT NULL DEFAULT 0", "updated timestamptz",
                   *(["code text DEFAULT f_code()"] if self.default_fn else [])]
        out.append(f"CREATE TABLE items ({', '.join(columns)});")
        if self.trigger:
            out.append("CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch();")
        if self.counter_fn:  # a SQL-standard body reading the table: created after it, dropped before it
            out.append("CREATE FUNCTION f_count() RETURNS bigint LANGUAGE sql STABLE "
                       f"BEGIN ATOMIC SELECT count(*) FROM items WHERE qty >= {self.fn_version}; END;")
        for v in self.views:
            source = "items" if v.parent < 0 else self.views[v.parent].name
            name = "upper(name) AS name" if v.upper else "name"
            out.append(f"CREATE VIEW {v.name} AS SELECT id, {name}, qty FROM {source} WHERE qty > {v.threshold};")
        return "\n".join(s for s in out if s) + "\n"


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    names = draw(st.permutations(NAMES))
    count = draw(st.integers(0, len(NAMES)))
    views = tuple(ViewSpec(names[i], draw(st.integers(-1, i - 1)), draw(st.integers(0, 2)), draw(st.booleans()))
                  for i in range(count))
    return Spec(draw(st.booleans()), draw(st.booleans()), draw(st.booleans()), draw(st.integers(1, 2)), views,
                draw(st.booleans()))


SEED = "INSERT INTO items (id, name, qty) SELECT g, 'item ' || g, g % 4 FROM generate_series(1, 12) g;"
PROPERTY = settings(max_examples=int(os.environ.get("SAFESHIFT_PROPERTY_EXAMPLES", "10")), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@PROPERTY
@given(a=specs(), b=specs())
def test_random_objects_round_trip(pg_url: str, a: Spec, b: Spec) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:  # each example starts from an empty database
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    run_pair(Pair("random", a.sql(), b.sql(), seed=SEED), pg_url, database_url(pg_url, "postgres"), with_migra=False)

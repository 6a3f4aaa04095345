"""Every SQL schema pair through the pair oracle on PostgreSQL 15 and 18; refused kinds are refused by name."""

from __future__ import annotations

import psycopg
import pytest

from safeshift.engines.postgres.embedded import database_url
from safeshift.errors import UnsupportedConstruct
from tests.objects._pair_oracle import Pair, direct_database, introspect, run_pair
from tests.objects.pairs import PAIRS, REFUSED


def _admin(url: str) -> str:
    return database_url(url, "postgres")


def test_names_are_unique() -> None:
    names = [p.name for p in [*PAIRS, *REFUSED]]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("pair", PAIRS, ids=[p.name for p in PAIRS])
def test_pair_round_trips(pair: Pair, pg_url: str) -> None:
    """safeshift's introspection checks every step on both servers; migra (its catalog queries proven on
    PostgreSQL 15) checks up and down once per pair, on the machine's 15.  On 18 the same pair also runs in
    generate's default lock-safe rendering (introspection only), against the same direct databases."""
    with psycopg.connect(pg_url) as conn:
        major = conn.info.server_version // 10000
    run_pair(pair, pg_url, _admin(pg_url), with_migra=major == 15, and_lock_safe=major != 15)


@pytest.mark.parametrize("pair", REFUSED, ids=[p.name for p in REFUSED])
def test_kind_safeshift_cannot_represent_is_refused_by_name(pair: Pair, pg_url: str) -> None:
    """Nothing is left out silently: introspecting a database that holds the object fails, naming it."""
    with direct_database(_admin(pg_url), pair.b) as url, \
            pytest.raises(UnsupportedConstruct) as caught:
        introspect(url)
    for name in pair.refused:
        assert name in str(caught.value), str(caught.value)

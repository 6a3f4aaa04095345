"""Declarative partitioning beyond the round-trip pairs: what cannot be altered is refused by name before any
SQL is written, SQLAlchemy's ``postgresql_partition_by`` reads as the database prints it, a schema with
partitions survives a snapshot, and review and verify name the partition changes."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from safeshift import changes as ch
from safeshift.dialects import get_dialect
from safeshift.diff import diff
from safeshift.engines.postgres.embedded import database_url
from safeshift.errors import UnsafeChange, UnsupportedConstruct
from safeshift.lint.changes import review_changes
from safeshift.model import Schema, make_schema
from safeshift.snapshot import from_json, to_json
from safeshift.sources.sqlalchemy import schema_from_metadata
from safeshift.verify import drift_between
from tests.objects._pair_oracle import direct_database, introspect
from tests.objects.pairs import E2024, E2025, EVENTS


def _admin(url: str) -> str:
    return database_url(url, "postgres")


def _schemas(pg_url: str, a: str, b: str) -> tuple[Schema, Schema]:
    with direct_database(_admin(pg_url), a) as url_a, \
            direct_database(_admin(pg_url), b) as url_b:
        return introspect(url_a), introspect(url_b)


def test_partition_key_change_is_refused_naming_the_table(pg_url: str) -> None:
    a, b = _schemas(pg_url, EVENTS + E2024, EVENTS.replace("RANGE (at)", "RANGE (at, id)") + E2024.replace(
        "FROM ('2024-01-01') TO ('2025-01-01')", "FROM ('2024-01-01', 0) TO ('2025-01-01', 0)"))
    with pytest.raises(UnsafeChange) as caught:
        diff(a, b)
    assert "public.events: the partition key changes (RANGE (at) -> RANGE (at, id))" in str(caught.value)
    assert caught.value.targets == ("public.events",)


def test_table_becoming_a_partition_is_refused_naming_it(pg_url: str) -> None:
    standalone = E2025.replace(" PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
                               " (id bigint NOT NULL, at date NOT NULL, kind text NOT NULL DEFAULT 'click', "
                               "payload jsonb, PRIMARY KEY (id, at))")
    a, b = _schemas(pg_url, EVENTS + E2024 + standalone, EVENTS + E2024 + E2025)
    with pytest.raises(UnsafeChange) as caught:
        diff(a, b)
    assert "public.events_2025 becomes a partition of public.events" in str(caught.value)


def test_partitions_survive_a_snapshot_and_implied_parts_are_not_listed(pg_url: str) -> None:
    sql = (EVENTS + E2024 + "CREATE INDEX events_kind ON events (kind);\n"
           "CREATE INDEX events_2024_payload ON events_2024 (id) WHERE payload IS NOT NULL;")
    schema, _ = _schemas(pg_url, sql, "")
    part = schema.table("public", "events_2024")
    assert part is not None and part.partition_of is not None
    assert (part.partition_of.qualname, part.partition_of.bound) == (
        "public.events", "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')")
    # columns, the key and the parent's index are the parent's; the partition's own index is its own
    assert part.columns == () and part.primary_key is None and part.checks == ()
    assert [i.name for i in part.indexes] == ["events_2024_payload"]
    parent = schema.table("public", "events")
    assert parent is not None and parent.partition_by == "RANGE (at)"
    assert from_json(to_json(schema)) == schema


def test_review_and_verify_name_a_bound_change(pg_url: str) -> None:
    a, b = _schemas(pg_url, EVENTS + E2024 + E2025, EVENTS + E2024 + E2025.replace("'2026-01-01'", "'2027-01-01'"))
    changes = diff(a, b)
    assert [type(c) for c in changes] == [ch.DetachPartition, ch.AttachPartition]
    detach = changes[0]
    assert isinstance(detach, ch.DetachPartition)
    assert detach.inverse() == ch.AttachPartition("public", "events_2025", detach.partition_of)
    rules = {f.rule for f in review_changes(changes, include=("detach-inheritance",))}
    assert {"require-concurrent-partition-detach", "detach-inheritance", "constraint-missing-not-valid"} <= rules
    shown = drift_between(a, b).render_text()
    assert "partition public.events_2025" in shown and "TO ('2027-01-01')" in shown, shown
    dropped = diff(b, make_schema("postgresql"))
    loss = [c.data_loss for c in dropped if isinstance(c, ch.DropTable) and c.table.partition_of]
    assert loss and all("gone from public.events too" in (x or "") for x in loss)
    # a partition is dropped before its parent, and created after it
    names = [c.table.name for c in dropped if isinstance(c, ch.DropTable)]
    assert names.index("events") > names.index("events_2024")


def test_sqlalchemy_partition_by_reads_as_the_database_prints_it(pg_url: str) -> None:
    md = sa.MetaData()
    sa.Table("events", md, sa.Column("id", sa.BigInteger, primary_key=True), sa.Column("at", sa.Date,
             primary_key=True), postgresql_partition_by="range(at)")
    declared = schema_from_metadata(md, get_dialect("postgresql"))
    assert declared.tables[0].partition_by == "RANGE (at)"
    with direct_database(_admin(pg_url), "") as url:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            md.create_all(engine)
        finally:
            engine.dispose()
        live = introspect(url)
    assert diff(live, declared) == []


def test_sqlalchemy_partition_by_expression_is_refused() -> None:
    md = sa.MetaData()
    sa.Table("events", md, sa.Column("id", sa.BigInteger, primary_key=True), sa.Column("at", sa.Date),
             postgresql_partition_by="RANGE (date_trunc('month', at))")
    with pytest.raises(UnsupportedConstruct) as caught:
        schema_from_metadata(md, get_dialect("postgresql"))
    assert "table public.events uses postgresql_partition_by=" in str(caught.value)


def test_partition_whose_parent_is_outside_the_schemas_read_is_refused(pg_url: str) -> None:
    sql = "CREATE SCHEMA archive;\n" + EVENTS + "CREATE TABLE archive.events_2023 PARTITION OF events " \
          "FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');"
    from safeshift.introspect.postgres import introspect as read

    with direct_database(_admin(pg_url), sql) as url, psycopg.connect(url) as conn, \
            pytest.raises(UnsupportedConstruct) as caught:
        read(conn, ["archive"])
    assert "table archive.events_2023 uses a partition of public.events, outside the schemas read" \
        in str(caught.value)


def test_review_says_a_new_partition_locks_an_existing_parent_only(pg_url: str) -> None:
    a, b = _schemas(pg_url, EVENTS + E2024, EVENTS + E2024 + E2025)
    added = review_changes(diff(a, b))
    assert [(f.rule, f.severity) for f in added if f.rule == "partition-of-locks-parent"] == [
        ("partition-of-locks-parent", "warning")]
    created = review_changes(diff(make_schema("postgresql"), b))
    assert {f.severity for f in created if f.rule == "partition-of-locks-parent"} == {"info"}

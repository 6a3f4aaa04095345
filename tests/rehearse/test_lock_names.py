"""The rehearsal report names a lock's relation as pg_locks does, ``public.order_items``, also for the
documented lock of a statement written with quoted, schema-qualified names (it printed
``public"."order_items``)."""

from __future__ import annotations

from pathlib import Path

from safeshift.engines.postgres.rehearse import relation_name
from tests.rehearse._kit import V1, build, report

V2_QUOTED = ("20260101000002", "index_posts_title",
             '-- safeshift:no-transaction\nCREATE INDEX CONCURRENTLY "posts_title_idx" ON "public"."posts" ("title");',
             '-- safeshift:no-transaction\nDROP INDEX CONCURRENTLY "public"."posts_title_idx";')


def test_quoted_qualified_names_render_plainly(tmp_path: Path, pg_url: str) -> None:
    p = build(tmp_path, pg_url, (V1, V2_QUOTED))
    p.run("rehearse", "--scratch")
    doc = report(p)
    [create] = doc["migrations"][0]["statements"]
    assert create["locks"] == [{"locktype": "relation", "mode": "ShareUpdateExclusiveLock",
                                "relation": "public.posts", "new": True, "documented": True}]
    md = next((p.root / ".safeshift" / "rehearsals").glob("*.md")).read_text()
    assert "| ShareUpdateExclusiveLock on public.posts (documented) |" in md
    assert 'on public"."posts' not in md


def test_relation_name_unquotes_each_part() -> None:
    assert relation_name('"public"."order_items"') == "public.order_items"
    assert relation_name('public . "Order ""Items"""') == 'public.Order "Items"'
    assert relation_name("Sales.Orders") == "sales.orders"  # bare names fold to lower case

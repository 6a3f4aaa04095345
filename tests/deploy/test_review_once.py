"""`safeshift deploy` reviews each pending migration once: the evidence it counts, the hazard gate
(graded with live table facts) and the allowed-hazards history record all use that one review."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safeshift import history, lint
from safeshift.dialects import dialect_for_url
from tests.deploy._kit import START, V1, V2, V3, deploy, item, make, record, statuses
from tests.rehearse._kit import Migr
from tests.runner._project import connect, error_line, history_rows

#: data loss on a table with rows: an error that live facts do not grade down
V4_DROP: Migr = ("20260101000004", "drop_comment_body",
                 "ALTER TABLE comments DROP COLUMN body;",
                 "ALTER TABLE comments ADD COLUMN body text;")
PENDING = (V2[0], V3[0], V4_DROP[0])


@pytest.fixture
def reviews(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """How often ``lint.review_migration`` read each migration (by version)."""
    seen: Counter[str] = Counter()
    real = lint.review_migration

    def counting(migration: Any, **kwargs: Any) -> Any:
        seen[migration.version] += 1
        return real(migration, **kwargs)

    monkeypatch.setattr(lint, "review_migration", counting)
    yield seen


def test_each_pending_migration_is_reviewed_once(tmp_path: Path, pg_url: str, reviews: Counter[str]) -> None:
    p = make(tmp_path, pg_url, (V1, V2, V3, V4_DROP))
    drop_file = f"{V4_DROP[0]}_{V4_DROP[1]}.sql"

    refused = deploy(p, expect=1)
    assert error_line(refused).startswith(f"{drop_file}:2 has an unacknowledged hazard [drop-column]")
    assert sum(reviews.values()) == 3 and set(reviews) == set(PENDING)
    assert item(record(p), "reviewed")["evidence"]["unacknowledged errors"] == [f"{drop_file}:2 drop-column"]

    reviews.clear()
    deploy(p, "--allow-hazards")
    assert sum(reviews.values()) == 3 and set(reviews) == set(PENDING)
    doc = record(p)
    assert doc["outcome"] == "released" and statuses(doc)["reviewed"] == "passed"
    assert item(doc, "reviewed")["evidence"]["unacknowledged errors"] == [f"{drop_file}:2 drop-column"]
    assert history_rows(pg_url) == {START: "applied", **{v: "applied" for v in PENDING}}
    conn = connect(pg_url)
    try:
        assert history.read(dialect_for_url(pg_url), conn)[V4_DROP[0]].allowed_hazards == "drop-column (line 2)"
    finally:
        conn.close()

"""The time-sized backfill's pure parts: batch sizes follow measured time (bounded, steady once settled),
and the one-batch statement a migration file carries reads back as the backfill it stands for."""

from __future__ import annotations

import itertools

from safeshift.dialects import get_dialect
from safeshift.dialects.postgres.backfill import batch_sql
from safeshift.runner.backfill import Sizer


def _settle(sizer: Sizer, ms_of: object, batches: int = 40) -> list[int]:
    sizes = []
    for _ in range(batches):
        rows = sizer.rows
        sizer.measured(rows, ms_of(rows))  # type: ignore[operator]
        sizes.append(sizer.rows)
    return sizes


def test_batch_size_converges_on_the_target_time_and_stays() -> None:
    sizer = Sizer(20)
    sizes = _settle(sizer, lambda n: 1.5 + n * 0.01)  # a commit's fixed cost plus 10 us a row
    assert 1500 <= sizes[-1] <= 2200  # ~1,850 rows take 20 ms; the dead band keeps it near, not on it
    assert len(set(sizes[-20:])) == 1  # settled: no see-saw around the target
    assert all(a / 2 <= b <= 1.5 * a for a, b in itertools.pairwise(sizes))  # grows by half a batch at most


def test_a_slow_batch_shrinks_the_next_one_at_once_and_bounds_hold() -> None:
    sizer = Sizer(20, rows=4000)
    sizer.measured(4000, 200)  # the server got busy: ten times the target
    assert sizer.rows == 400
    tiny = Sizer(20, rows=20, min_rows=10)
    _settle(tiny, lambda n: 500.0)
    assert tiny.rows == 10
    big = Sizer(20, max_rows=5000)
    _settle(big, lambda n: 0.1)
    assert big.rows == 5000


def test_the_file_statement_reads_back_as_its_backfill() -> None:
    pg = get_dialect("postgresql")
    sql = batch_sql('"app"."Users"', '"age_new"', '"age"::bigint', '"id"')
    spec = pg.backfill(sql)
    assert spec is not None
    assert (spec.schema, spec.table, spec.target, spec.key) == ("app", "Users", "age_new", "id")
    assert spec.batch_sql == sql.rstrip(";")
    assert 'WHERE "id" > $2 ORDER BY "id" LIMIT $1' in spec.next_bounds_sql
    assert pg.backfill('UPDATE "app"."Users" SET "age_new" = 1 WHERE "id" = 3') is None
    assert pg.backfill("CREATE INDEX CONCURRENTLY i ON t (c)") is None
    assert get_dialect("sqlite").backfill(sql) is None

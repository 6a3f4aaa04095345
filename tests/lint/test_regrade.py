"""``regrade`` stands in for a second review with live facts (deploy and migrate's gate use it):
over the whole corpus, re-grading the errors of a review without facts gives exactly the errors
of a review with them."""

from __future__ import annotations

import pytest

from safeshift.lint import Facts, regrade, review_sql, unacknowledged_errors
from tests.lint.corpus import CASES

FACTS = {
    "empty": Facts(row_estimate=0, size_bytes=8192),
    "big": Facts(row_estimate=2_000_000, size_bytes=300 * 2**20),
    "unknown": Facts(),
    "missing": Facts(exists=False),
}


@pytest.mark.parametrize("kind", sorted(FACTS))
def test_regrade_equals_a_review_with_facts(kind: str) -> None:
    compared = graded_down = 0
    for case in CASES:
        plain = review_sql(case.sql, file="m.sql", in_transaction=case.in_transaction)
        tables = {f.table for f in plain if f.table}
        if not tables:
            continue
        facts = {t: FACTS[kind] for t in tables}
        with_facts = unacknowledged_errors(review_sql(case.sql, file="m.sql", facts=facts,
                                                      in_transaction=case.in_transaction))
        errors = unacknowledged_errors(plain)
        assert unacknowledged_errors([regrade(e, facts) for e in errors]) == with_facts, case.id
        compared += 1
        graded_down += len(errors) - len(with_facts)
    assert compared > 50
    if kind in ("empty", "missing"):
        assert graded_down > 0

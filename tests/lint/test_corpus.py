"""Every corpus case: the expected rules per statement, and no unexpected errors or warnings."""

from __future__ import annotations

import pytest

from safeshift.lint import Finding, review_sql
from safeshift.sections import parse_sql
from tests.lint.corpus import CASES, NOT_PINNED, Case, statement_count


def by_statement(case: Case, findings: list[Finding]) -> list[list[Finding]]:
    """Findings grouped by the statement they belong to (a finding's line is its statement's first line)."""
    lines = [st.line for st in parse_sql(case.sql)]
    assert len(lines) == len(case.expect), f"{case.id}: {len(lines)} statements, {len(case.expect)} expectations"
    groups: list[list[Finding]] = [[] for _ in lines]
    for f in findings:
        index = max(i for i, line in enumerate(lines) if line <= (f.line or 1))
        groups[index].append(f)
    return groups


def test_corpus_size() -> None:
    assert statement_count() >= 80
    assert {c.source for c in CASES} == {"hand", "safeshift", "drizzle"}
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    assert_case(case, review_sql(case.sql, file=f"{case.id}.sql", in_transaction=case.in_transaction))


def assert_case(case: Case, findings: list[Finding]) -> None:
    """Each statement's findings hold every expected rule (at the severity given, else error or warning)
    and no other error or warning, rules in NOT_PINNED aside (the SQLite corpus asserts the same way)."""
    for i, (expected, got) in enumerate(zip(case.expect, by_statement(case, findings), strict=True)):
        have = {(f.rule, f.severity) for f in got}
        for want in expected:
            rule, _, severity = want.partition(":")
            if severity:
                assert (rule, severity) in have, f"statement {i + 1}: expected {want}, got {sorted(have)}"
            else:
                assert any(r == rule and s != "info" for r, s in have), \
                    f"statement {i + 1}: expected {rule} (error/warning), got {sorted(have)}"
        pinned = {w.partition(":")[0] for w in expected}
        surprises = sorted(f"{f.rule}:{f.severity}" for f in got
                           if f.severity != "info" and f.rule not in pinned and f.rule not in NOT_PINNED)
        assert not surprises, f"statement {i + 1}: unexpected {surprises}"

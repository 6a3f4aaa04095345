"""Every scenario of the catalogue through the oracle, on every backend it names."""

from __future__ import annotations

import pytest

from tests.oracle import Scenario, run_scenario
from tests.scenarios import columns, constraints, indexes, pg_objects, rebuilds, sqlite, tables

CATALOGUE: list[Scenario] = [
    *tables.SCENARIOS, *columns.SCENARIOS, *constraints.SCENARIOS, *indexes.SCENARIOS,
    *pg_objects.SCENARIOS, *rebuilds.SCENARIOS, *sqlite.SCENARIOS,
]


def _cases() -> list[object]:
    names = [s.name for s in CATALOGUE]
    dupes = {n for n in names if names.count(n) > 1}
    assert not dupes, f"duplicate scenario names: {dupes}"
    out: list[object] = []
    for s in CATALOGUE:
        for backend in s.backends:
            reason = s.xfail.get(backend) or s.xfail.get("*")
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(s, backend, id=f"{s.name}-{backend}", marks=marks))
    return out


@pytest.mark.parametrize(("scenario", "db_url"), _cases(), indirect=["db_url"])
def test_scenario(scenario: Scenario, db_url: str) -> None:
    run_scenario(scenario, db_url)


def _safe_cases() -> list[object]:
    return [p for p in _cases() if p.values[1] == "pg18"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("scenario", "db_url"), _safe_cases(), indirect=["db_url"])
def test_scenario_lock_safe(scenario: Scenario, db_url: str) -> None:
    """The same change in generate's default lock-safe form reaches the same schema, and back."""
    run_scenario(scenario, db_url, safe=True)

"""The scenario catalogue on MariaDB: every portable scenario (one that runs on SQLite as well as PostgreSQL)
through the oracle on a fresh MySQL database, but those listed in ``EXCLUDED`` with the reason.

Kept beside ``test_scenarios.py`` rather than as a backend name inside each scenario, so the catalogue's
files stay as they are while MySQL support grows: a scenario leaves ``EXCLUDED`` when the dialect learns it.
"""

from __future__ import annotations

import pytest

from tests.oracle import Scenario, run_scenario
from tests.scenarios.test_scenarios import CATALOGUE

#: scenario name -> why it does not run on MySQL/MariaDB today
EXCLUDED: dict[str, str] = {
    "add_column_serial_primary_key": "an AUTO_INCREMENT column must be a key in the statement that adds it; the "
                                     "renderer adds the column and the primary key in two (to be folded)",
    "index_expression_lower": "an expression key: MariaDB has none (MySQL 8.0.13+ functional keys are not "
                              "modelled yet); refused by name",
    "view_create": "views are not read or rendered on MySQL yet",
    "view_with_new_table": "views are not read or rendered on MySQL yet",
    "sqlite_without_rowid_added": "a TEXT primary key needs a prefix length on MySQL (SQLite-only scenario)",
}


def _cases() -> list[object]:
    out: list[object] = []
    for s in CATALOGUE:
        if "sqlite" not in s.backends or s.name in EXCLUDED:
            continue
        out.append(pytest.param(s, id=s.name))
    return out


@pytest.mark.parametrize("scenario", _cases())
def test_scenario_on_mysql(scenario: Scenario, mysql_url: str) -> None:
    run_scenario(scenario, mysql_url)


def test_exclusions_name_real_scenarios() -> None:
    names = {s.name for s in CATALOGUE}
    assert set(EXCLUDED) <= names, sorted(set(EXCLUDED) - names)

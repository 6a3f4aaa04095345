"""The scenario catalogue reviewed: each scenario's generated SQLite migration reports the hazards it has
(rule and severity), judged against the schema before it as a folder's snapshot gives it; and the
Change-based review (``lint.review_changes``) agrees with the SQL review on drops and renames, on SQLite
and PostgreSQL alike."""

from __future__ import annotations

import pytest

from safeshift.dialects import get_dialect
from safeshift.diff import diff
from safeshift.lint import review_changes, review_sql
from safeshift.plan import render
from tests.oracle import Scenario, hints_for, schema_from
from tests.scenarios.test_scenarios import CATALOGUE

_DROP = {"drop_column_plain", "drop_column_indexed", "drop_column_referenced_by_fk", "drop_generated_column",
         "drop_pk_column", "rebuild_drop_column_used_by_composite_index"}
_RENAME_COLUMN = {"rename_column_with_index", "rename_column_with_check", "rename_column_in_composite_pk",
                  "rename_fk_source_column", "rename_fk_target_column", "rebuild_rename_and_retype_same_table"}
_NOT_NULL = {"set_not_null", "rebuild_parent_referenced_by_children", "rebuild_child_with_fk_and_index",
             "sqlite_strict_added_and_kept_by_a_rebuild"}
_UNIQUE = {"add_primary_key", "add_composite_primary_key", "add_unique_single", "add_unique_multi_column",
           "index_unique", "index_expression_lower"}

#: scenario -> the error and warning rules its SQLite migration must report (every other one: none but the
#: rebuild's own ``sqlite-table-rebuild`` warning, which ``REBUILT`` pins)
SQLITE_HAZARDS: dict[str, set[str]] = {
    "drop_table": {"drop-table"},
    "many_tables_at_once": {"drop-table"},
    "rename_table_with_fk_index_and_pk": {"renaming-table"},
    "several_changes_on_one_table": {"drop-column", "adding-not-nullable-field"},
    "rebuild_add_check_and_unique_to_filled_table": {"adding-not-nullable-field", "unique-on-existing-data"},
    "sqlite_strict_int_to_integer": set(),
    **{name: {"drop-column"} for name in _DROP},
    **{name: {"renaming-column"} for name in _RENAME_COLUMN},
    **{name: {"adding-not-nullable-field"} for name in _NOT_NULL},
    **{name: {"unique-on-existing-data"} for name in _UNIQUE},
}
#: scenarios SQLite cannot do with ALTER TABLE: generate writes a rebuild
REBUILT_NOT = {"create_table", "drop_table", "rename_table_with_fk_index_and_pk", "many_tables_at_once",
               "add_column_nullable", "add_column_not_null_with_default", "fk_cycle_created_in_one_migration",
               "view_create", "view_with_new_table", "index_rename", *(n for n in _RENAME_COLUMN if "rebuild" not in n
                                                                      and n != "rename_column_with_index"),
               *(n for n in _UNIQUE if n.startswith("index_")), "index_plain", "index_partial", "index_desc",
               "index_multi_column"}
#: the Change rules that the SQL review must report too, whichever dialect renders the change
AGREE = {"drop-table", "drop-column", "renaming-table", "renaming-column"}

SQLITE_SCENARIOS = [s for s in CATALOGUE if "sqlite" in s.backends]


@pytest.mark.parametrize("scenario", SQLITE_SCENARIOS, ids=[s.name for s in SQLITE_SCENARIOS])
def test_sqlite_scenario_hazards(scenario: Scenario) -> None:
    dialect = get_dialect("sqlite")
    a, b = schema_from(scenario.a(), dialect), schema_from(scenario.b(), dialect)
    sections = render(diff(a, b, hints_for(scenario, dialect)), a, b, dialect)
    sql = "\n".join(st.sql.rstrip().rstrip(";") + ";" for st in sections.up)
    found = review_sql(sql, file=f"{scenario.name}.sql", dialect="sqlite", schema=a)
    loud = {f.rule for f in found if f.severity != "info"}
    want = set(SQLITE_HAZARDS.get(scenario.name, set()))
    if scenario.name not in REBUILT_NOT:
        want.add("sqlite-table-rebuild")
    assert loud == want, f"{scenario.name}: {sorted((f.rule, f.severity, f.message) for f in found)}"
    errors = {f.rule for f in found if f.severity == "error"}
    assert errors == want & {"drop-table", "drop-column", "renaming-table", "renaming-column",
                             "adding-not-nullable-field"}


def _agreement_cases() -> list[object]:
    out: list[object] = []
    for s in CATALOGUE:
        for name in ("sqlite", "postgresql"):
            if ("sqlite" if name == "sqlite" else "pg18") in s.backends:
                out.append(pytest.param(s, name, id=f"{s.name}-{name}"))
    return out


@pytest.mark.parametrize(("scenario", "dialect_name"), _agreement_cases())
def test_change_review_agrees_with_sql_review(scenario: Scenario, dialect_name: str) -> None:
    """The hazards generate knows from its Changes are the ones the review of the file it writes reports."""
    dialect = get_dialect(dialect_name)
    a, b = schema_from(scenario.a(), dialect), schema_from(scenario.b(), dialect)
    changes = diff(a, b, hints_for(scenario, dialect))
    from_changes = {f.rule for f in review_changes(changes) if f.rule in AGREE}
    sections = render(changes, a, b, dialect)
    sql = "\n".join(st.sql.rstrip().rstrip(";") + ";" for st in sections.up)
    from_sql = {f.rule for f in review_sql(sql, dialect=dialect_name, schema=a) if f.rule in AGREE
                and f.severity == "error"}
    assert from_changes == from_sql, f"{scenario.name} on {dialect_name}: changes {from_changes}, SQL {from_sql}"

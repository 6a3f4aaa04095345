"""One finding per hazard (issue 17): a foreign key, a UNIQUE or PRIMARY KEY constraint and a VALIDATE in
the adding transaction were each reported under two rules; a helper function created and dropped in one
file is no ``drop-function`` hazard; a drizzle folder is never offered a fix that needs a statement outside
its migrator's single transaction, nor an allow comment that would change drizzle's hash."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from safeshift.lint import review_sql
from tests.drizzle._kit import write_folder
from tests.lint.corpus import DRIZZLE_INITIAL, ISSUE_DRIZZLE
from tests.runner._project import invoke

FK = "ALTER TABLE posts ADD CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id);"
LOCKS = {"adding-foreign-key-constraint", "constraint-missing-not-valid", "disallowed-unique-constraint",
         "adding-serial-primary-key-field", "validate-in-same-transaction"}


@pytest.mark.parametrize(("sql", "rule"), [
    (FK, "adding-foreign-key-constraint"),
    ("ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);", "disallowed-unique-constraint"),
    ("ALTER TABLE accounts ADD PRIMARY KEY (id);", "adding-serial-primary-key-field"),
    ("BEGIN;\nALTER TABLE posts ADD CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n"
     "ALTER TABLE posts VALIDATE CONSTRAINT posts_user_fk;\nCOMMIT;", "validate-in-same-transaction"),
])
def test_one_lock_finding_per_constraint(sql: str, rule: str) -> None:
    found = review_sql(sql)
    per_line = Counter(f.line for f in found if f.rule in LOCKS)
    assert set(per_line.values()) == {1}, [(f.line, f.rule) for f in found]
    (finding,) = [f for f in found if f.rule in LOCKS]
    assert finding.rule == rule
    # the one kept says what to write instead
    assert "NOT VALID" in finding.fix or "CONCURRENTLY" in finding.fix, finding.fix


def test_an_allow_under_the_old_name_still_covers_the_hazard_and_is_not_unused() -> None:
    old = review_sql("-- safeshift:allow constraint-missing-not-valid posts is small\n" + FK)
    assert [(f.rule, f.acknowledged, f.reason) for f in old if f.rule in LOCKS] == [
        ("adding-foreign-key-constraint", True, "posts is small")]
    both = review_sql("-- safeshift:allow constraint-missing-not-valid posts is small\n"
                      "-- safeshift:allow adding-foreign-key-constraint posts is tiny\n" + FK)
    assert [(f.rule, f.reason) for f in both if f.rule in LOCKS] == [("adding-foreign-key-constraint", "posts is tiny")]
    assert not [f for f in old + both if f.rule == "unused-allow"]
    # a CHECK is still constraint-missing-not-valid's own
    assert {f.rule for f in review_sql("ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0);")} >= {
        "constraint-missing-not-valid"}


HELPER = ("CREATE FUNCTION backfill_slugs() RETURNS void LANGUAGE sql AS $$ UPDATE posts SET slug = id::text "
          "WHERE slug IS NULL $$;\nSELECT backfill_slugs();\n")


@pytest.mark.parametrize("drop", ["DROP FUNCTION backfill_slugs();", "DROP FUNCTION IF EXISTS public.backfill_slugs;",
                                  "DROP ROUTINE backfill_slugs;"])
def test_a_function_created_and_dropped_in_one_file_is_no_drop_function(drop: str) -> None:
    assert not [f for f in review_sql(HELPER + drop) if f.rule == "drop-function"]
    replaced = HELPER.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
    rules = [f.rule for f in review_sql(replaced + drop, include=["all"])]
    assert "drop-function" not in rules and "replace-view-or-function" in rules  # the replace is where it lost


def test_dropping_a_function_made_elsewhere_is_still_a_hazard() -> None:
    found = review_sql(HELPER + "DROP FUNCTION set_updated_at();")
    assert [f.rule for f in found if f.rule == "drop-function"] == ["drop-function"]


def test_a_drizzle_folder_gets_fixes_that_work_in_one_transaction(tmp_path: Path) -> None:
    root = tmp_path / "app"
    index = 'CREATE INDEX "posts_title_idx" ON "posts" USING btree ("title");\n'
    write_folder(root, {"0000_initial": DRIZZLE_INITIAL, "0001_six_hazards": ISSUE_DRIZZLE, "0002_index": index})
    (root / "safeshift.toml").write_text('migrations = "drizzle"\nformat = "drizzle"\n', encoding="utf-8")
    findings = json.loads(invoke(root, "review", "--format", "json", expect=1).stdout)["findings"]
    per_line = Counter((f["file"], f["line"]) for f in findings if f["rule"] in LOCKS)
    assert per_line and set(per_line.values()) == {1}
    fixes = {(Path(f["file"]).name, f["rule"]): f["fix"] for f in findings}
    concurrent = fixes[("0002_index.sql", "require-concurrent-index-creation")]
    assert "runs every pending migration in one transaction" in concurrent
    assert "run the CONCURRENTLY statement by hand (psql) before deploying" in concurrent
    assert 'safeshift review --accept require-concurrent-index-creation drizzle/0002_index.sql:1 --reason' \
        in concurrent
    fk = fixes[("0001_six_hazards.sql", "adding-foreign-key-constraint")]
    assert "NOT VALID" in fk and "put the later step in a migration of its own" in fk
    for (_, rule), fix in fixes.items():
        # drizzle's hash covers the file: never an allow comment, never a no-transaction step
        assert "-- safeshift:allow" not in fix, (rule, fix)
        assert "no-transaction" not in fix or "is refused there" in fix, (rule, fix)

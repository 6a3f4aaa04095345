"""The review API: finding shape, acknowledgement, live facts, files, formats, Change rules, catalogue."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from safeshift import changes as ch
from safeshift.errors import ConfigError
from safeshift.lint import (
    RULES,
    SQUAWK_EQUIVALENT,
    STRONG_MIGRATIONS_EQUIVALENT,
    Facts,
    render,
    review_changes,
    review_file,
    review_sql,
    unacknowledged_errors,
)
from safeshift.model import Column, Enum, Table

SQUAWK_2_70_RULES = (
    "adding-field-with-default", "adding-foreign-key-constraint", "adding-not-nullable-field",
    "adding-required-field", "adding-serial-primary-key-field", "ban-add-column",
    "ban-add-composite-attribute", "ban-add-enum-value", "ban-alter-database-options",
    "ban-alter-domain-with-add-constraint", "ban-alter-extension", "ban-alter-function-options",
    "ban-alter-generated-expression", "ban-alter-identity", "ban-alter-policy-condition",
    "ban-alter-policy-roles", "ban-alter-role-options", "ban-alter-row-level-security",
    "ban-alter-sequence-values", "ban-alter-system-options", "ban-alter-view-options", "ban-char-field",
    "ban-concurrent-index-creation-in-transaction", "ban-create-domain-with-constraint", "ban-create-policy",
    "ban-detach-inheritance", "ban-disable-trigger", "ban-drop-column", "ban-drop-constraint",
    "ban-drop-database", "ban-drop-default", "ban-drop-domain", "ban-drop-extension", "ban-drop-function",
    "ban-drop-generated-expression", "ban-drop-index", "ban-drop-not-null", "ban-drop-policy",
    "ban-drop-schema", "ban-drop-sequence", "ban-drop-table", "ban-drop-trigger", "ban-drop-type",
    "ban-drop-view", "ban-duplicate-column-assignments", "ban-new-write-restriction",
    "ban-replace-view-function", "ban-replica-identity", "ban-revoke", "ban-set-default", "ban-set-schema",
    "ban-truncate-cascade", "ban-uncommitted-transaction", "changing-column-type",
    "constraint-missing-not-valid", "disallowed-unique-constraint", "identifier-too-long",
    "prefer-bigint-over-int", "prefer-bigint-over-smallint", "prefer-identity", "prefer-repack",
    "prefer-robust-stmts", "prefer-text-field", "prefer-timestamp-tz", "renaming-column", "renaming-object",
    "renaming-table", "require-concurrent-index-creation", "require-concurrent-index-deletion",
    "require-concurrent-partition-detach", "require-concurrent-reindex", "require-enum-value-ordering",
    "require-lock-timeout", "require-statement-timeout", "require-table-schema", "require-timeout-settings",
    "syntax-error", "transaction-nesting", "unused-ignore",
)


def rules_of(findings: list) -> set[str]:
    return {f.rule for f in findings}


# -- the catalogue -----------------------------------------------------------------------------

def test_every_squawk_rule_maps_to_a_safeshift_rule() -> None:
    assert set(SQUAWK_EQUIVALENT) == set(SQUAWK_2_70_RULES)
    assert set(SQUAWK_EQUIVALENT.values()) <= set(RULES)
    assert {v for v in STRONG_MIGRATIONS_EQUIVALENT.values() if v} <= set(RULES)


def test_rules_are_documented() -> None:
    for rule in RULES.values():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.id)
        assert rule.summary.endswith(".") and rule.fix


# -- finding shape ---------------------------------------------------------------------------------

def test_json_shape_and_summary() -> None:
    findings = review_sql("ALTER TABLE posts DROP COLUMN title;", file="m.sql")
    out = json.loads(render(findings, "json"))
    first = next(f for f in out["findings"] if f["rule"] == "drop-column")
    assert list(first)[:8] == ["rule", "category", "severity", "file", "line", "statement", "message", "fix"]
    assert first["category"] == "data-loss" and first["severity"] == "error" and first["line"] == 1
    assert first["file"] == "m.sql" and first["statement"] == "ALTER TABLE posts DROP COLUMN title"
    assert set(out["summary"]) == {"error", "warning", "info", "acknowledged", "files"}
    assert out["summary"]["error"] == 1 and out["summary"]["files"] == 1


def test_formats() -> None:
    findings = review_sql("SET lock_timeout = '1s';\nCREATE INDEX i ON users (email);", file="f.sql")
    github = render(findings, "github")
    assert "::error file=f.sql,line=2,title=require-concurrent-index-creation::CREATE INDEX i without" in github
    assert "| error | `require-concurrent-index-creation` |" in render(findings, "markdown")
    text = render(findings, "text")
    assert "f.sql:2: error [require-concurrent-index-creation] (lock)" in text
    assert "fix: CREATE INDEX CONCURRENTLY" in text
    assert render([], "text") == "No hazards found.\n"
    with pytest.raises(ConfigError):
        render(findings, "yaml")


# -- acknowledgement -------------------------------------------------------------------------------

def test_allow_directly_above_covers_that_statement_only() -> None:
    sql = ("-- safeshift:allow drop-column title moved to post_titles in 20261101\n"
           "ALTER TABLE posts DROP COLUMN title;\n"
           "ALTER TABLE posts DROP COLUMN body;\n")
    findings = [f for f in review_sql(sql) if f.rule == "drop-column"]
    assert [(f.line, f.acknowledged) for f in findings] == [(2, True), (3, False)]
    assert findings[0].reason == "title moved to post_titles in 20261101"
    assert findings[0].to_json()["acknowledged"] is True
    assert [f.line for f in unacknowledged_errors(findings)] == [3]


def test_allow_after_a_blank_line_covers_the_file_and_squawk_names_work() -> None:
    sql = ("-- safeshift:allow ban-drop-column both columns are unused since v41\n\n"
           "ALTER TABLE posts DROP COLUMN title;\nALTER TABLE posts DROP COLUMN body;\n")
    findings = review_sql(sql)
    assert all(f.acknowledged for f in findings if f.rule == "drop-column")
    assert not unacknowledged_errors(findings)


def test_unused_allow_is_reported() -> None:
    sql = "-- safeshift:allow drop-table nothing\nALTER TABLE posts ADD COLUMN x text;\n-- safeshift:allow no-such-rule x\n"
    unused = [f for f in review_sql(sql) if f.rule == "unused-allow"]
    assert [(f.line, f.severity) for f in unused] == [(1, "info"), (3, "info")]
    assert "names no safeshift" in unused[1].message


# -- live facts ---------------------------------------------------------------------------------------

def test_facts_grade_lock_findings() -> None:
    sql = "CREATE INDEX i ON users (email);\nALTER TABLE users DROP COLUMN nickname;"
    empty = review_sql(sql, facts={"users": Facts(row_estimate=0, size_bytes=8192)})
    assert {(f.rule, f.severity) for f in empty} >= {("require-concurrent-index-creation", "info"),
                                                      ("drop-column", "error")}
    big = review_sql(sql, facts={"public.users": Facts(row_estimate=2_000_000, size_bytes=300 * 1024 ** 2)})
    index = next(f for f in big if f.rule == "require-concurrent-index-creation")
    assert index.severity == "error" and index.table_facts == "about 2,000,000 rows, 300 MB"
    new = review_sql(sql, facts={"users": Facts(created_in_this_migration=True)})
    assert all(f.severity == "info" for f in new if f.table == "users")


# -- files ----------------------------------------------------------------------------------------------

MIGRATION = """\
-- add an index and a foreign key
-- safeshift:allow drop-column the column moved in 20261120000000

-- migrate:up
ALTER TABLE "public"."posts" ADD CONSTRAINT "posts_author_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users" ("id") NOT VALID;

-- safeshift:no-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS "posts_author_idx" ON "public"."posts" ("author_id");

ALTER TABLE "public"."posts" VALIDATE CONSTRAINT "posts_author_fk";

ALTER TABLE "public"."posts" DROP COLUMN "legacy";

CREATE INDEX CONCURRENTLY "posts_title_idx" ON "public"."posts" ("title");

-- migrate:down
-- safeshift:allow drop-index only in down
DROP INDEX "public"."posts_title_idx";
"""


def test_review_safeshift_migration(tmp_path: Path) -> None:
    path = tmp_path / "migrations" / "20261201000000_posts_author.sql"
    path.parent.mkdir()
    path.write_text(MIGRATION, encoding="utf-8")
    findings = review_file(path)
    by_line = {(f.line, f.rule): f for f in findings}
    # the runner sets timeouts; the NOT VALID + separate-step VALIDATE recipe is clean
    assert not {"require-lock-timeout", "adding-foreign-key-constraint", "validate-in-same-transaction"} \
        & rules_of(findings)
    assert by_line[(12, "drop-column")].acknowledged  # the header allow covers the file
    assert by_line[(14, "concurrently-in-transaction")].severity == "error"  # no -- safeshift:no-transaction
    assert not any(f.line == 8 and f.severity != "info" for f in findings)
    assert all(f.file == str(path) for f in findings)
    assert not any(f.rule == "unused-allow" and f.section == "up" for f in findings)  # the down's is not the up's
    # the down section is reviewed on its own: its allow covers only its findings (here none: drop-index is opt-in)
    down = {(f.line, f.rule) for f in findings if f.section == "down"}
    assert down == {(17, "unused-allow"), (18, "require-concurrent-index-deletion")}


def test_validate_in_the_same_step_is_flagged(tmp_path: Path) -> None:
    path = tmp_path / "20261201000000_fk.sql"
    path.write_text("-- migrate:up\nALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES users (id) "
                    "NOT VALID;\nALTER TABLE posts VALIDATE CONSTRAINT fk;\n-- migrate:down\n", encoding="utf-8")
    assert "validate-in-same-transaction" in rules_of(review_file(path))


def test_review_drizzle_file_assumes_its_transaction(tmp_path: Path) -> None:
    path = tmp_path / "0003_fancy_name.sql"
    path.write_text('CREATE INDEX CONCURRENTLY "a_idx" ON "users" ("a");--> statement-breakpoint\n'
                    'ALTER TABLE "users" ADD COLUMN "b" text;', encoding="utf-8")
    findings = review_file(path)
    assert "concurrently-in-transaction" in rules_of(findings)
    assert not [f for f in findings if f.line == 2 and f.rule == "prefer-robust-stmts"]
    plain = tmp_path / "fix.sql"
    plain.write_text('CREATE INDEX CONCURRENTLY "a_idx" ON "users" ("a");', encoding="utf-8")
    assert "concurrently-in-transaction" not in rules_of(review_file(plain))


def test_opt_in_rules() -> None:
    sql = "ALTER TABLE users ADD COLUMN nickname text;"
    assert "add-column" not in rules_of(review_sql(sql))
    assert "add-column" in rules_of(review_sql(sql, include=["ban-add-column"]))
    assert "require-table-schema" in rules_of(review_sql(sql, include=["all"]))


def test_plpgsql_do_blocks_are_left_alone() -> None:
    sql = "DO $$ DECLARE r record; BEGIN FOR r IN SELECT 1 LOOP DROP TABLE x; END LOOP; END $$;"
    assert not [f for f in review_sql(sql) if f.severity != "info"]


# -- Change objects -------------------------------------------------------------------------------------

def test_review_changes() -> None:
    users = Table("public", "users", (Column("id", "bigint", nullable=False),))
    name_old = Column("name", "character varying(200)")
    changes: list[ch.Change] = [
        ch.DropColumn("public", "users", Column("legacy", "text")),
        ch.AlterColumn("public", "users", name_old, Column("name", "character varying(100)")),
        ch.AlterColumn("public", "users", Column("bio", "character varying(100)"), Column("bio", "text")),
        ch.AlterColumn("public", "users", Column("zip", "text"), Column("zip", "bigint")),
        ch.AddColumn("public", "users", Column("tenant_id", "bigint", nullable=False)),
        ch.AlterEnum(Enum("public", "mood", ("happy", "sad")), Enum("public", "mood", ("happy",))),
        ch.CreateTable(Table("public", "widgets", (Column("id", "bigint", nullable=False),))),
        ch.AddColumn("public", "widgets", Column("owner", "bigint", nullable=False)),
        ch.DropTable(users),
    ]
    got = {(f.statement, f.rule, f.severity) for f in review_changes(changes)}
    assert ("drop_column public.users.legacy", "drop-column", "error") in got
    assert ("alter_column public.users.name", "narrowing-type-change", "error") in got
    assert ("alter_column public.users.bio", "changing-column-type", "info") in got
    assert not any(s == "alter_column public.users.bio" and sev != "info" for s, _, sev in got)
    assert ("alter_column public.users.zip", "type-cast-can-fail", "warning") in got
    assert ("add_column public.users.tenant_id", "adding-required-field", "error") in got
    assert ("alter_enum public.mood", "drop-enum-value", "error") in got
    assert ("add_column public.widgets.owner", "adding-required-field", "info") in got
    assert ("drop_table public.users", "drop-table", "error") in got
    no_locks = review_changes(changes, locks=False)
    assert not any(RULES[f.rule].category == "lock" for f in no_locks)


def test_identifier_length_counts_bytes_before_the_parser_truncates() -> None:
    long_ascii = "i" * 64
    long_utf8 = "é" * 32  # 32 characters, 64 bytes
    fits = "é" * 31
    for name, flagged in ((long_ascii, True), (long_utf8, True), (fits, False)):
        found = review_sql(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON users (email);')
        assert ("identifier-too-long" in rules_of(found)) == flagged, name

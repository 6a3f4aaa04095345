"""Allow directives and sections come from the migration parser, never from a text search.

Lines that look like ``-- safeshift:allow`` or ``-- migrate:down`` inside a dollar-quoted
body, a string or a block comment are SQL data, not directives: they acknowledge nothing
and do not end the up section.
"""

from __future__ import annotations

from pathlib import Path

from safeshift.lint import Finding, review_file, review_sql

#: a plpgsql function whose body holds lines that look like directives
FUNCTION = """\
CREATE FUNCTION note() RETURNS void LANGUAGE plpgsql AS $body$
BEGIN
-- safeshift:allow drop-column whatever
-- migrate:down
  RAISE NOTICE 'hi';
END
$body$;
"""

MIGRATION = f"""\
-- migrate:up
{FUNCTION}
ALTER TABLE posts DROP COLUMN title;
DROP TABLE old_posts;
-- safeshift:allow drop-table old_posts was archived in 20261101

-- migrate:down
-- safeshift:allow drop-function only in down
DROP FUNCTION note();
"""


def _migration(tmp_path: Path, text: str) -> list[Finding]:
    path = tmp_path / "migrations" / "20261201000000_note.sql"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return review_file(path)


def _by_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def test_directive_lookalikes_in_a_function_body_are_not_directives(tmp_path: Path) -> None:
    findings = _migration(tmp_path, MIGRATION)
    [drop_column] = _by_rule(findings, "drop-column")
    assert drop_column.line == 10 and not drop_column.acknowledged
    # the up section goes on past the body's `-- migrate:down`: the trailing allow covers the file
    [drop_table] = _by_rule(findings, "drop-table")
    assert drop_table.line == 11 and drop_table.acknowledged
    assert drop_table.reason == "old_posts was archived in 20261101"
    assert not _by_rule(findings, "unused-allow")  # neither the lookalike nor the down section's allow


def test_unused_allow_at_the_end_of_the_up_section_is_reported(tmp_path: Path) -> None:
    text = MIGRATION.replace("DROP TABLE old_posts;\n", "")
    [unused] = _by_rule(_migration(tmp_path, text), "unused-allow")
    assert unused.line == 11 and "drop-table" in (unused.statement or "")


def test_allow_directly_above_a_statement_in_a_migration_covers_it_only(tmp_path: Path) -> None:
    text = ("-- migrate:up\nALTER TABLE posts DROP COLUMN a;\n"
            "-- safeshift:allow drop-column b moved to post_bodies\nALTER TABLE posts DROP COLUMN b;\n"
            "-- migrate:down\n")
    findings = _by_rule(_migration(tmp_path, text), "drop-column")
    assert [(f.line, f.acknowledged) for f in findings] == [(2, False), (4, True)]


def test_header_allow_covers_the_migration(tmp_path: Path) -> None:
    text = ("-- safeshift:allow drop-column both columns are unused\n\n-- migrate:up\n"
            "ALTER TABLE posts DROP COLUMN a;\nALTER TABLE posts DROP COLUMN b;\n-- migrate:down\n")
    findings = _by_rule(_migration(tmp_path, text), "drop-column")
    assert len(findings) == 2 and all(f.acknowledged for f in findings)


def test_plain_sql_lookalikes_in_bodies_strings_and_comments_acknowledge_nothing() -> None:
    sql = (FUNCTION
           + "SELECT '\n-- safeshift:allow drop-column in a string\n';\n"
           + "/*\n-- safeshift:allow drop-column in a block comment\n*/\n"
           + "ALTER TABLE posts DROP COLUMN title;\n")
    findings = review_sql(sql)
    [drop_column] = _by_rule(findings, "drop-column")
    assert not drop_column.acknowledged
    assert not _by_rule(findings, "unused-allow")
    # a real allow below the last statement covers the file, and the lookalike above it does not
    trailing = review_sql(f"ALTER TABLE posts DROP COLUMN a;\n{FUNCTION}-- safeshift:allow drop-column at the end\n")
    assert _by_rule(trailing, "drop-column")[0].reason == "at the end"
    assert not _by_rule(trailing, "unused-allow")


def test_plain_sql_allow_rules_still_hold() -> None:
    above = review_sql("-- safeshift:allow drop-column moved\nALTER TABLE posts DROP COLUMN a;\n"
                       "ALTER TABLE posts DROP COLUMN b;\n")
    assert [(f.line, f.acknowledged) for f in _by_rule(above, "drop-column")] == [(2, True), (3, False)]
    separated = review_sql("-- safeshift:allow drop-column unused\n\nALTER TABLE posts DROP COLUMN a;\n"
                           "ALTER TABLE posts DROP COLUMN b;\n")
    assert all(f.acknowledged for f in _by_rule(separated, "drop-column"))
    trailing = review_sql("ALTER TABLE posts DROP COLUMN a;\n-- safeshift:allow drop-column at the end\n")
    assert _by_rule(trailing, "drop-column")[0].acknowledged  # below the last statement: the whole file
    unused = review_sql("ALTER TABLE posts ADD COLUMN x text;\n-- safeshift:allow drop-table nothing\n")
    assert [f.line for f in _by_rule(unused, "unused-allow")] == [2]


def test_drizzle_file_lookalike_in_a_string_acknowledges_nothing(tmp_path: Path) -> None:
    path = tmp_path / "0001_drop.sql"
    path.write_text("INSERT INTO notes VALUES ('\n-- safeshift:allow drop-column in a string\n');"
                    "--> statement-breakpoint\nALTER TABLE posts DROP COLUMN title;", encoding="utf-8")
    [drop_column] = _by_rule(review_file(path), "drop-column")
    assert not drop_column.acknowledged

"""`safeshift review` and migrate's review gate on a drizzle folder: the six-hazard drizzle-kit
migration of the review issue (tests/lint/corpus.py, verbatim) is flagged, as errors."""

from __future__ import annotations

import json
from pathlib import Path

from tests.drizzle._kit import DrizzleProject, drizzle_rows, write_folder
from tests.lint.corpus import DRIZZLE_INITIAL, ISSUE_DRIZZLE
from tests.runner._project import connect, error_line, invoke

#: (line, rule) of every error the six-hazard migration must raise
SIX = [(1, "changing-column-type"), (1, "narrowing-type-change"), (2, "changing-column-type"),
       (3, "adding-required-field"), (4, "adding-foreign-key-constraint"),
       (5, "require-concurrent-index-creation"), (6, "drop-column")]


def _project(tmp_path: Path, url: str = "") -> DrizzleProject:
    root = tmp_path / "app"
    write_folder(root, {"0000_initial": DRIZZLE_INITIAL, "0001_six_hazards": ISSUE_DRIZZLE})
    (root / "safeshift.toml").write_text('migrations = "drizzle"\nformat = "drizzle"\n', encoding="utf-8")
    return DrizzleProject(root, url)


def test_review_flags_the_six_hazards_as_errors(tmp_path: Path) -> None:
    p = _project(tmp_path)
    out = invoke(p.root, "review", "--format", "json", expect=1).stdout
    findings = json.loads(out)["findings"]
    errors = sorted((f["line"], f["rule"]) for f in findings
                    if f["severity"] == "error" and f["file"].endswith("0001_six_hazards.sql"))
    assert errors == sorted(SIX)
    # the fixes are ones a drizzle folder can take: it refuses `-- safeshift:no-transaction`
    assert not [f["rule"] for f in findings if "safeshift:no-transaction" in f["fix"]
                and "`-- safeshift:no-transaction` is refused there" not in f["fix"]]
    assert not [f["rule"] for f in findings if "safeshift generate" in f["fix"]]
    fixes = {f["rule"]: f["fix"] for f in findings}
    assert "run the CONCURRENTLY statement by hand (psql) before deploying" in \
        fixes["require-concurrent-index-creation"]
    assert "put the later step in a migration of its own (`npx drizzle-kit generate --custom`)" in \
        fixes["adding-foreign-key-constraint"]
    # drizzle-kit's initial migration creates its tables: nothing in it is an error
    assert not [f for f in findings if f["file"].endswith("0000_initial.sql") and f["severity"] == "error"]

    # only the clean migration is remembered, outside meta/ (drizzle-kit reads every JSON file there)
    assert sorted(p.folder.joinpath("meta").iterdir()) == [p.folder / "meta" / "_journal.json"]
    marks = json.loads((p.root / ".safeshift" / "drizzle-reviewed.json").read_text())
    assert list(marks) == ["0000_initial"]
    again = json.loads(invoke(p.root, "review", "--format", "json", expect=1).stdout)["findings"]
    assert {f["file"] for f in again} == {"drizzle/0001_six_hazards.sql"}


def test_migrate_refuses_the_six_hazards_on_a_table_with_rows(tmp_path: Path, pg_url: str) -> None:
    p = _project(tmp_path, pg_url)
    p.run("migrate", "--to", "0000")
    conn = connect(pg_url)
    try:
        conn.execute("INSERT INTO users (name, email) VALUES ('a', 'a@example.com')")
    finally:
        conn.close()
    err = error_line(p.run("migrate", expect=1))
    assert err.startswith("0001_six_hazards.sql:1 has an unacknowledged hazard [changing-column-type]"), err
    assert "more)" in err  # the other hazards; those on the empty posts table are graded down
    assert len(drizzle_rows(pg_url)) == 1


def test_an_allow_below_the_last_statement_covers_the_file(tmp_path: Path) -> None:
    """As in a safeshift migration: a directive no statement carries (here the file's last line)
    covers the whole file; one inside a string literal is text, not a directive."""
    root = tmp_path / "app"
    drop = 'ALTER TABLE "posts" DROP COLUMN "title";\n'
    write_folder(root, {"0000_initial": DRIZZLE_INITIAL,
                        "0001_drop_title": drop + "-- safeshift:allow drop-column titles moved to the slugs table\n",
                        "0002_drop_email": 'ALTER TABLE "users" DROP COLUMN "email";\n'
                                           "SELECT '\n-- safeshift:allow drop-column not a directive\n';\n"})
    (root / "safeshift.toml").write_text('migrations = "drizzle"\nformat = "drizzle"\n', encoding="utf-8")
    findings = json.loads(invoke(root, "review", "--format", "json", expect=1).stdout)["findings"]
    drops = {f["file"].rsplit("/", 1)[-1]: f["acknowledged"] for f in findings if f["rule"] == "drop-column"}
    assert drops == {"0001_drop_title.sql": True, "0002_drop_email.sql": False}

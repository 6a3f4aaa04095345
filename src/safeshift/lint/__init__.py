"""Hazard review: rules over SQL (PostgreSQL's parsed by pglast, SQLite's by sqlglot) and over Change objects.

Pure functions, no database: live facts (row estimates, sizes, new tables) come in as
``Facts`` from the caller, and the schema before a migration (what a SQLite table rebuild
leaves out is judged against it) as a ``Schema``.  Every reviewing function takes the
``dialect`` name whose SQL it reads (``lint.reviewers``; PostgreSQL by default).  The public API::

    review_sql(text, file=None, facts=None, in_transaction=False, dialect="postgresql")  -> [Finding]
    review_file(path)         a safeshift migration (both sections), a drizzle-kit file or any .sql
    review_migration(m)       a parsed safeshift Migration (the down section's findings: section="down")
    review_down(statements, text)   a down section kept in a file of its own (drizzle folders)
    review_changes(changes)   Change objects from generate
    review_generated(...)     what generate reports of the migration it wrote: its Changes where the
                              dialect's rules read Changes, else the written SQL against the schema before
    render(findings, "text" | "json" | "markdown" | "github")
    unacknowledged_errors(findings)   what makes ``review`` exit 1 and ``migrate`` refuse
    regrade(finding, facts)   a finding graded again with live facts, without reviewing again
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from safeshift.changes import Change
from safeshift.lint.changes import review_changes
from safeshift.lint.finding import Facts, Finding, unacknowledged_errors
from safeshift.lint.format import FORMATS, render, summary
from safeshift.lint.reviewers import reviewer_for, reviews
from safeshift.lint.rules import RULES, SQUAWK_EQUIVALENT, STRONG_MIGRATIONS_EQUIVALENT, Rule
from safeshift.lint.sql import Step, loose_allows, regrade, review_steps, review_text
from safeshift.model import Schema
from safeshift.sections import MIGRATION_RE, Allow, Migration, SqlStatement, parse_migration

__all__ = [
    "FORMATS",
    "RULES",
    "SQUAWK_EQUIVALENT",
    "STRONG_MIGRATIONS_EQUIVALENT",
    "Facts",
    "Finding",
    "Rule",
    "regrade",
    "render",
    "review_changes",
    "review_down",
    "review_file",
    "review_generated",
    "review_migration",
    "review_sql",
    "reviews",
    "summary",
    "unacknowledged_errors",
]

DRIZZLE_BREAKPOINT = "--> statement-breakpoint"
_UP = re.compile(r"^[ \t]*--[ \t]*migrate:up[ \t]*$", re.MULTILINE | re.IGNORECASE)


def review_sql(text: str, *, file: str | None = None, facts: Mapping[str, Facts] | None = None,
               in_transaction: bool = False, include: Collection[str] = (), dialect: str = "postgresql",
               schema: Schema | None = None) -> list[Finding]:
    """Review hand-written or foreign SQL.

    ``in_transaction``: whoever runs the file wraps it in one transaction (drizzle's migrator
    does), so CONCURRENTLY fails and re-runnability is moot.  ``facts`` maps ``table`` or
    ``schema.table`` to live facts.  ``include`` turns on opt-in rules (``"all"`` for every one).
    """
    return review_text(text, file=file, facts=facts, in_transaction=in_transaction, include=include,
                       reviewer=reviewer_for(dialect), schema=schema)


def review_migration(migration: Migration, *, file: str | None = None, facts: Mapping[str, Facts] | None = None,
                     include: Collection[str] = (), text: str | None = None, dialect: str = "postgresql",
                     schema: Schema | None = None) -> list[Finding]:
    """Review a safeshift migration's up section, then its down section, step by step as the runner runs them.

    Transactional statements run in the runner's transaction, ``-- safeshift:no-transaction``
    ones alone; the runner sets lock_timeout and statement_timeout itself.  Allow directives,
    and which section each stands in, are the parser's: each section's cover only its own
    findings.  The down section runs on rollback (deploy's ``on_failure`` too), so it gets the
    same rules, on its own (what the up section created is not "created earlier" there); its
    findings are marked ``section="down"`` and never block.  A down section kept in a file of
    its own (a drizzle folder's, ``migration.down_line`` None) is reviewed with that file:
    ``review_down``.  ``schema``: the schema before the migration, when the caller knows it (the down
    section is reviewed without it: it runs against the schema the up section leaves).
    """
    source = text if text is not None else migration.path.read_text(encoding="utf-8-sig")
    label = file if file is not None else str(migration.path)
    down = migration.down_line
    up_allows = [a for a in migration.allows if down is None or a.line < down]
    steps = [Step(st, st.transactional) for st in migration.up_statements]
    found = review_steps(steps, source, file=label, facts=facts, runner_timeouts=True, include=include,
                         file_allows=loose_allows(up_allows, migration.up_statements), reviewer=reviewer_for(dialect),
                         schema=schema)
    if down is None:
        return found
    down_allows = [a for a in migration.allows if a.line > down]
    return found + review_down(migration.down_statements, source, file=label, facts=facts, include=include,
                               allows=down_allows, dialect=dialect)


def review_down(statements: Sequence[SqlStatement], text: str, *, file: str | None = None,
                facts: Mapping[str, Facts] | None = None, include: Collection[str] = (),
                allows: Iterable[Allow] = (), dialect: str = "postgresql") -> list[Finding]:
    """Review a down section (``statements``, as ``text`` holds them), every finding marked ``section="down"``.

    ``allows``: the section's allow directives (those its statements carry count either way).
    """
    steps = [Step(st, st.transactional) for st in statements]
    found = review_steps(steps, text, file=file, facts=facts, runner_timeouts=True, include=include,
                         file_allows=loose_allows(allows, statements), reviewer=reviewer_for(dialect))
    return [replace(f, section="down") for f in found]


def review_file(path: Path | str, *, facts: Mapping[str, Facts] | None = None, in_transaction: bool | None = None,
                include: Collection[str] = (), dialect: str = "postgresql",
                schema: Schema | None = None) -> list[Finding]:
    """Review one file: a safeshift migration, a drizzle-kit migration or plain SQL.

    drizzle-kit files (``--> statement-breakpoint``) are run by drizzle's migrator inside one
    transaction, so they are reviewed as such unless ``in_transaction`` says otherwise.
    """
    path = Path(path)
    data = path.read_bytes()
    text = data.decode("utf-8-sig")
    if MIGRATION_RE.fullmatch(path.name) and _UP.search(text):
        return review_migration(parse_migration(path, data), file=str(path), facts=facts, include=include,
                                text=text, dialect=dialect, schema=schema)
    if in_transaction is None:
        in_transaction = DRIZZLE_BREAKPOINT in text
    return review_text(text, file=str(path), facts=facts, in_transaction=in_transaction, include=include,
                       reviewer=reviewer_for(dialect), schema=schema)



def review_generated(dialect: str, changes: Sequence[Change], path: Path, *, before: Schema,
                     locks: bool = True) -> list[Finding]:
    """The hazards of a migration ``generate`` just wrote at ``path``, told as it writes it.

    Where the dialect's rules read Change objects (``reviewers.READS_CHANGES``), the Changes are reviewed:
    they know the old type, the values an enum loses, the tables the same migration creates, which SQL
    must guess.  Elsewhere the written file is reviewed as the gate of ``migrate`` will review it, against
    ``before``, the schema the migration starts from.  ``locks=False``: the file is in the lock-safe form,
    so the plain form's lock findings do not apply.
    """
    from safeshift.lint.reviewers import READS_CHANGES

    if dialect in READS_CHANGES:
        return review_changes(changes, file=str(path), locks=locks)
    return [f for f in review_file(path, dialect=dialect, schema=before) if f.section == "up"]

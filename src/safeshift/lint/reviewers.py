"""Which reviewer reads which dialect's SQL: the one place lint is keyed by the dialect.

PostgreSQL's statements are parsed by pglast (``lint.sql.Reviewer``), SQLite's and MySQL's by sqlglot
(``lint.sqlite.SQLiteReviewer``, ``lint.mysql.MySQLReviewer``); the rules' ids, categories and severities
are shared.  A dialect without an entry cannot be reviewed, and says so instead of being read as another
database's SQL.
"""

from __future__ import annotations

from safeshift.errors import ConfigError
from safeshift.lint.mysql import MySQLReviewer
from safeshift.lint.sql import Reviewer, ReviewerFactory
from safeshift.lint.sqlite import SQLiteReviewer

REVIEWERS: dict[str, ReviewerFactory] = {
    "postgresql": Reviewer,
    "sqlite": SQLiteReviewer,
    "mysql": MySQLReviewer,
}


#: dialects whose rules also read safeshift's Change objects (``lint.changes``: PostgreSQL's type algebra);
#: ``generate`` reviews the others' migrations as SQL, against the schema before
READS_CHANGES: frozenset[str] = frozenset({"postgresql"})


#: dialects whose rules judge a statement against the schema before the migration (a SQLite rebuild's copy
#: says which columns it keeps, not which it leaves out; a MySQL MODIFY restates the whole column, and only
#: the old one tells what changes), so callers read that schema only for them
WANTS_SCHEMA: frozenset[str] = frozenset({"sqlite", "mysql"})


def reviewer_for(dialect: str) -> ReviewerFactory:
    """The reviewer of ``dialect``'s SQL (a dialect name, as ``Dialect.name``)."""
    found = REVIEWERS.get(dialect)
    if found is None:
        raise ConfigError(f"safeshift review cannot read {dialect} SQL yet (it reads {', '.join(sorted(REVIEWERS))}); "
                          "review the migration by hand and pass --allow-hazards.")
    return found


def reviews(dialect: str) -> bool:
    """Whether ``dialect``'s SQL has a reviewer (the gate of ``migrate`` and ``deploy`` runs where it does)."""
    return dialect in REVIEWERS

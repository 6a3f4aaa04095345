"""Which MySQL/MariaDB statements commit on their own: the split of a migration into steps.

The server ends any open transaction before (and commits after) a DDL statement, so such a statement can
never share a transaction with the history row that records it; each is a step of its own, recorded
statement by statement, while plain DML (INSERT, UPDATE, DELETE) may share an InnoDB transaction with its
history update.  Pure text work on the statement's first words, after comments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from safeshift.dialects.statement import Statement

#: first words of the statements the server commits implicitly (the MySQL 8 and MariaDB manuals' lists of
#: "statements that cause an implicit commit": data definition, account management, table maintenance,
#: locking, and the transaction statements themselves)
_IMPLICIT = frozenset({
    "ALTER", "CREATE", "DROP", "RENAME", "TRUNCATE", "GRANT", "REVOKE", "ANALYZE", "OPTIMIZE", "REPAIR",
    "CHECK", "CACHE", "FLUSH", "LOCK", "UNLOCK", "INSTALL", "UNINSTALL", "RESET", "BEGIN", "START", "LOAD",
})
_COMMENTS = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|#[^\n]*(?:\n|\Z)|/\*(?!!)(?:.|\n)*?\*/)*")
_WORDS = re.compile(r"[A-Za-z]+")


def commits_implicitly(sql: str) -> bool:
    """Whether the server commits ``sql`` on its own (``LOAD DATA`` only with a non-transactional engine; it is
    treated as committing, which costs nothing but a step of its own)."""
    body = sql[_COMMENTS.match(sql).end():]  # type: ignore[union-attr]  # the pattern matches the empty string
    words = _WORDS.findall(body[:40])
    if not words:
        return False
    first = words[0].upper()
    if first == "SET":
        return len(words) > 1 and words[1].upper() == "PASSWORD"
    return first in _IMPLICIT


def mark_commits(statements: Sequence[Statement]) -> list[Statement]:
    """``statements`` with each one the server commits on its own marked to run alone (written under
    ``-- safeshift:no-transaction``), so ``generate`` numbers its steps and writes an ``-- safeshift:undoes``
    block for each, exactly as the runner will run them."""
    return [replace(st, transactional=False, new_transaction=False)
            if st.transactional and commits_implicitly(st.sql) else st for st in statements]

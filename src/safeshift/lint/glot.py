"""What the two sqlglot-based reviewers (``lint/sqlite``, ``lint/mysql``) share.

sqlglot logs a warning whenever it falls back to an opaque command; the reviewers report an unread statement
themselves (``unparsed-statement``), so the warning is kept quiet while they parse.  And both turn their rule
hits into findings the same way: each rule once per message, graded by the live facts of the table (a table
the file created holds nothing yet), shown by the name the dialect shows tables by.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from safeshift.lint.context import Hit, TableRef
from safeshift.lint.finding import Facts, Finding
from safeshift.lint.rules import RULES
from safeshift.lint.sql import grade
from safeshift.sections import SqlStatement

__all__ = ["emit", "parse_one", "quiet"]


class _Quiet(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


@contextmanager
def quiet() -> Iterator[None]:
    """sqlglot's own warnings off while a reviewer parses (it reports what it could not read itself)."""
    log = logging.getLogger("sqlglot")
    muted = _Quiet()
    log.addFilter(muted)
    try:
        yield
    finally:
        log.removeFilter(muted)


def emit(st: SqlStatement, hits: Iterable[Hit], *, enabled: Collection[str], file: str | None,
         created: Collection[str], facts: Mapping[str, Facts] | None, graded: Callable[[TableRef], TableRef],
         shown: Callable[[TableRef], str]) -> list[Finding]:
    """The findings of one statement's hits: a disabled rule or a repeated (rule, message) is dropped; each
    is graded by ``graded(table)`` (the key the created set and the facts know it by) and names its table as
    ``shown(table)``."""
    out: list[Finding] = []
    seen: set[tuple[str, str | None]] = set()
    for hit in hits:
        if hit.rule not in enabled or (hit.rule, hit.message) in seen:
            continue
        seen.add((hit.rule, hit.message))
        r = RULES[hit.rule]
        table = hit.table
        severity, described = grade(hit.rule, hit.severity, graded(table) if table else None, created, facts)
        out.append(Finding(
            rule=hit.rule, category=r.category, severity=severity, file=file, line=st.line, statement=st.sql,
            message=hit.message or r.summary, fix=hit.fix or r.fix, table=shown(table) if table else None,
            table_facts=described))
    return out


def parse_one(text: str, read: str) -> tuple[Any, str | None]:
    """sqlglot's tree of the one statement in ``text`` in dialect ``read``, or (None, why it is not read): an
    error, several statements, or only the first words recognised (an opaque ``Command``)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        with quiet():
            trees = [t for t in sqlglot.parse(text, read=read) if t is not None]
    except SqlglotError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, first.rstrip(".")
    if len(trees) != 1:
        return None, f"sqlglot read {len(trees)} statements here"
    tree = trees[0]
    if not isinstance(tree, exp.Expression) or isinstance(tree, exp.Command) \
            or any(isinstance(a, exp.Command) for a in tree.args.get("actions") or ()):
        return None, "sqlglot recognises only its first words"
    return tree, None

"""What a rule handler sees and says: the statement's surroundings (``Ctx``), what earlier
statements of the file established (``State``), and a rule that fires (``Hit``).

Every handler module (columns, constraints, ALTER TABLE, objects, data loss, maintenance,
session) speaks this vocabulary, and ``sql.py`` and ``changes.py`` read it, so it sits below
them all and imports none of them.  The helpers here are the ones more than one family needs:
a table as written, a dropped or renamed object's name, and the hint that a statement outside
a transaction cannot be re-run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pglast import ast

from safeshift.dialects.postgres.types import PgType, _names
from safeshift.lint.finding import Severity

#: (schema or None, table) as written
TableRef = tuple[str | None, str]


@dataclass(frozen=True)
class Hit:
    """A rule that fires on the current statement; None fields fall back to the rule's defaults."""

    rule: str
    message: str | None = None
    fix: str | None = None
    table: TableRef | None = None
    severity: Severity | None = None


@dataclass
class State:
    """What earlier statements of the same file established."""

    #: tables created in this file (bare names)
    created: set[str] = field(default_factory=set)
    #: indexes created in this file
    created_indexes: set[str] = field(default_factory=set)
    #: functions and procedures created in this file (bare names): dropping one loses nothing of before
    created_functions: set[str] = field(default_factory=set)
    #: known column types: (table, column) -> type, from CREATE TABLE / ADD COLUMN earlier in the file
    columns: dict[tuple[str, str], PgType] = field(default_factory=dict)
    lock_timeout: bool = False
    statement_timeout: bool = False
    #: line of an explicit BEGIN not yet committed
    begin_line: int | None = None
    #: tables locked strongly in the current transaction (for validate-in-same-transaction)
    txn_locked: set[str] = field(default_factory=set)
    #: NOT VALID ``CHECK (col IS NOT NULL)`` constraints: name -> (table, column)
    not_null_checks: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: (table, column) proven NOT NULL by a validated check
    proven_not_null: set[tuple[str, str]] = field(default_factory=set)
    #: types renamed aside in this file (the enum-swap pattern)
    renamed_types: set[str] = field(default_factory=set)


@dataclass
class Ctx:
    """The current statement's surroundings."""

    state: State
    #: the statement runs inside a transaction (safeshift step, caller's word, or explicit BEGIN)
    in_transaction: bool
    #: the transaction is managed by the runner (safeshift step / drizzle migrator), not by BEGIN in the file
    managed_transaction: bool
    #: tables this statement locks in a way that blocks others (feeds require-lock-timeout)
    locks: list[TableRef] = field(default_factory=list)

    def lock(self, table: TableRef) -> None:
        self.locks.append(table)


# -- small helpers over the tree -----------------------------------------------------------

def ref(rv: Any) -> TableRef:
    return (rv.schemaname, rv.relname)


def show(table: TableRef) -> str:
    return f"{table[0]}.{table[1]}" if table[0] else table[1]


def object_name(obj: Any) -> str:
    if isinstance(obj, ast.String):
        return obj.sval or "?"
    if isinstance(obj, ast.TypeName):
        return ".".join(_names(obj.names))
    if isinstance(obj, ast.ObjectWithArgs):
        return ".".join(_names(obj.objname))
    if isinstance(obj, tuple | list):
        return ".".join(_names(obj))
    return "?"


def robust(ctx: Ctx, what: str | None) -> Iterator[Hit]:
    """``prefer-robust-stmts`` outside a transaction; ``what``: the clause that would make it re-runnable."""
    if ctx.in_transaction:
        return
    if what is None:
        yield Hit("prefer-robust-stmts", "Outside a transaction, a failure later in the file leaves this change "
                  "applied, and re-running the file then fails here.")
    else:
        yield Hit("prefer-robust-stmts", f"Outside a transaction and without {what}, this statement cannot be "
                  "re-run after a failure part way through the file.")

"""Session settings and transaction control: what ``State`` tracks from one statement to the next.

``SET lock_timeout`` / ``statement_timeout`` feed the end-of-file timeout advice in ``sql.py``;
BEGIN and COMMIT decide which statements share a transaction (for
``validate-in-same-transaction``) and whether the file nests transactions inside the runner's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast
from pglast.enums import TransactionStmtKind, VariableSetKind

from safeshift.lint.context import Ctx, Hit


def variable_set(node: Any, ctx: Ctx) -> Iterator[Hit]:
    name = (node.name or "").lower()
    if name not in ("lock_timeout", "statement_timeout"):
        return iter(())
    value = None
    for a in node.args or ():
        if isinstance(a, ast.A_Const):
            v = a.val
            value = str(getattr(v, "sval", None) or getattr(v, "ival", None) or "0")
    on = node.kind == VariableSetKind.VAR_SET_VALUE and value not in (None, "0")
    if name == "lock_timeout":
        ctx.state.lock_timeout = on
    else:
        ctx.state.statement_timeout = on
    return iter(())


def transaction(node: Any, ctx: Ctx, line: int) -> Iterator[Hit]:
    kind = node.kind
    s = ctx.state
    if kind in (TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START):
        if ctx.managed_transaction:
            yield Hit("transaction-nesting", "BEGIN inside a step that already runs in a transaction does "
                      "nothing but warn, and a later COMMIT ends the runner's transaction early.")
        elif s.begin_line is not None:
            yield Hit("transaction-nesting", "BEGIN inside an open transaction is ignored with a warning; the "
                      "first COMMIT ends the whole transaction.")
        else:
            s.begin_line = line
            s.txn_locked.clear()
    elif kind in (TransactionStmtKind.TRANS_STMT_COMMIT, TransactionStmtKind.TRANS_STMT_ROLLBACK):
        if ctx.managed_transaction:
            yield Hit("transaction-nesting", "COMMIT/ROLLBACK inside a step that runs in a transaction ends the "
                      "runner's transaction early, so the rest runs without one.")
        s.begin_line = None
        s.txn_locked.clear()

"""Maintenance commands that rewrite a table or rebuild its indexes under a lock that blocks
reads and writes: VACUUM FULL, CLUSTER and REINDEX without CONCURRENTLY.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast

from safeshift.lint.context import Ctx, Hit, ref


def _has_option(options: Any, name: str) -> bool:
    for opt in options or ():
        if isinstance(opt, ast.DefElem) and opt.defname == name:
            arg = opt.arg
            if isinstance(arg, ast.Boolean):
                return bool(arg.boolval)
            if isinstance(arg, ast.String):
                return (arg.sval or "").lower() not in ("false", "off", "0")
            if isinstance(arg, ast.Integer):
                return arg.ival != 0
            return True
    return False


def vacuum(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if not node.is_vacuumcmd or not _has_option(node.options, "full"):
        return
    for rel in node.rels or ():
        rv = getattr(rel, "relation", None)
        if isinstance(rv, ast.RangeVar):
            ctx.lock(ref(rv))
    yield Hit("prefer-repack", "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock, blocking reads "
              "and writes until it finishes.")


def cluster(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if node.relation is not None:
        ctx.lock(ref(node.relation))
    yield Hit("prefer-repack", "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock, blocking reads and "
              "writes until it finishes.")


def reindex(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if _has_option(node.params, "concurrently"):
        if ctx.in_transaction:
            yield Hit("concurrently-in-transaction", "REINDEX CONCURRENTLY cannot run inside a transaction "
                      "block, so this statement fails.")
        return
    if node.relation is not None:
        ctx.lock(ref(node.relation))
    yield Hit("require-concurrent-reindex")

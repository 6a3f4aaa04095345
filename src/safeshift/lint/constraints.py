"""Hazards of constraints: adding one checks every row under a lock unless it is NOT VALID, and
the safe recipes for it are recognised across statements.

``ADD CONSTRAINT … NOT VALID`` then ``VALIDATE CONSTRAINT`` in a later transaction is the safe
form; validating in the transaction that took the lock is not.  A validated
``CHECK (col IS NOT NULL)`` proves ``SET NOT NULL`` without a scan, and dropping that helper
afterwards loses nothing: ``State`` carries the recipe from one statement to the next.  Domain
constraints are restrictions on every column of the domain, so they are judged here too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast
from pglast.enums import ConstrType, NullTestType

from safeshift.dialects.postgres.types import _names
from safeshift.lint.context import Ctx, Hit, TableRef, ref, show


def add_constraint(table: TableRef, con: Any, ctx: Ctx) -> Iterator[Hit]:
    """ADD CONSTRAINT ``con``: the scan or index build under the lock, and NOT VALID checks remembered."""
    t = show(table)
    name = con.conname
    yield Hit("new-write-restriction", table=table)
    kind = con.contype
    if kind == ConstrType.CONSTR_FOREIGN:
        if not con.skip_validation:
            referenced = show(ref(con.pktable)) if con.pktable is not None else "the referenced table"
            # one hazard, one finding: the rule whose fix says what to write (NOT VALID, then VALIDATE);
            # an allow written for constraint-missing-not-valid still covers it (``rules.ALSO_COVERS``)
            yield Hit("adding-foreign-key-constraint", f"Adding foreign key {name or ''} on {t} without NOT VALID "
                      f"validates every row while blocking writes on {t} and {referenced}."
                      .replace("key  on", "key on"), table=table)
    elif kind == ConstrType.CONSTR_CHECK:
        if not con.skip_validation:
            yield Hit("constraint-missing-not-valid", f"Adding CHECK {name or ''} without NOT VALID scans every "
                      f"row of {t} under an ACCESS EXCLUSIVE lock.".replace("CHECK  without", "CHECK without"),
                      table=table)
        elif name and isinstance(con.raw_expr, ast.NullTest) \
                and con.raw_expr.nulltesttype == NullTestType.IS_NOT_NULL \
                and isinstance(con.raw_expr.arg, ast.ColumnRef):
            cols = _names(con.raw_expr.arg.fields)
            if cols:
                ctx.state.not_null_checks[name] = (table[1], cols[-1])
    elif kind in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY):
        label = "UNIQUE" if kind == ConstrType.CONSTR_UNIQUE else "PRIMARY KEY"
        if con.indexname:
            return  # USING INDEX: the index was built beforehand (concurrently, we hope)
        rule = "disallowed-unique-constraint" if kind == ConstrType.CONSTR_UNIQUE else \
            "adding-serial-primary-key-field"
        key_names = ", ".join(_names(con.keys))
        yield Hit(rule, f"Adding {label} ({key_names}) builds its index on {t} under an ACCESS EXCLUSIVE lock, "
                  f"blocking reads and writes for the whole build (it cannot be NOT VALID).",
                  fix=_concurrent_unique_fix(kind), table=table)
        yield Hit("unique-on-existing-data", f"Existing rows of {t} may hold duplicate ({key_names}) values, which "
                  "make the migration fail.", table=table)
    elif kind == ConstrType.CONSTR_EXCLUSION:
        yield Hit("constraint-missing-not-valid", f"An exclusion constraint cannot be NOT VALID: its index is "
                  f"built and every row of {t} checked under an ACCESS EXCLUSIVE lock.",
                  fix="Add it in a maintenance window (there is no online form), after checking for conflicting rows.", table=table)
    elif kind == ConstrType.CONSTR_NOTNULL:
        yield Hit("adding-not-nullable-field", table=table)


def _concurrent_unique_fix(kind: ConstrType) -> str:
    what = "UNIQUE" if kind == ConstrType.CONSTR_UNIQUE else "PRIMARY KEY"
    return (f"CREATE UNIQUE INDEX CONCURRENTLY idx ON t (cols); in its own no-transaction step, then "
            f"ALTER TABLE t ADD CONSTRAINT c {what} USING INDEX idx;")


def set_not_null(table: TableRef, col: str | None, ctx: Ctx) -> Iterator[Hit]:
    """SET NOT NULL: a scan under ACCESS EXCLUSIVE unless a validated CHECK (col IS NOT NULL) proved it."""
    yield Hit("new-write-restriction", table=table)
    if (table[1], col) not in ctx.state.proven_not_null:
        yield Hit("adding-not-nullable-field", f"SET NOT NULL on {show(table)}.{col} scans every row under an "
                  "ACCESS EXCLUSIVE lock because no validated CHECK (col IS NOT NULL) proves it first.",
                  table=table)


def validate_constraint(table: TableRef, col: str | None, ctx: Ctx) -> Iterator[Hit]:
    """VALIDATE CONSTRAINT: safe in a transaction of its own; a validated NOT NULL check proves its column."""
    t = show(table)
    if table[1] in ctx.state.txn_locked:
        yield Hit("validate-in-same-transaction", f"VALIDATE CONSTRAINT {col} runs in the transaction "
                  f"that already holds a write-blocking lock on {t}, so the scan blocks writes (as if it were "
                  "added without NOT VALID).", table=table)
    proven = ctx.state.not_null_checks.get(col or "")
    if proven is not None:
        ctx.state.proven_not_null.add(proven)


def drop_constraint(table: TableRef, col: str | None, ctx: Ctx) -> Iterator[Hit]:
    """DROP CONSTRAINT: a lost guarantee, unless it only backed a SET NOT NULL that now holds it."""
    helper = ctx.state.not_null_checks.get(col or "")
    if helper is not None and helper in ctx.state.proven_not_null:
        yield Hit("drop-constraint", f"{col} only backed SET NOT NULL, which now holds the guarantee.",
                  table=table, severity="info")
        return
    yield Hit("drop-constraint", f"Dropping constraint {col} on {show(table)} removes a guarantee running code "
              "may rely on.", table=table)


def create_domain(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if node.constraints:
        yield Hit("create-domain-with-constraint")


def alter_domain(node: Any, ctx: Ctx) -> Iterator[Hit]:
    if node.subtype == "C":
        con = node.def_
        not_valid = isinstance(con, ast.Constraint) and con.skip_validation
        yield Hit("alter-domain-add-constraint", severity="info" if not_valid else None)
        yield Hit("new-write-restriction")

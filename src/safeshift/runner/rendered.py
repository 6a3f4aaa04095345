"""Freshly rendered statements run as one migration would, without a migration file or history.

For tests and rehearsals that execute SQL straight from a dialect's render; it shares only the
engine's transaction hooks with the runner.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from safeshift.dialects.base import Dialect, Statement
from safeshift.engines.base import engine_for
from safeshift.runner import backfill


def run_statements(dialect: Dialect, conn: Any, statements: Sequence[Statement]) -> None:
    """Run rendered statements as one migration would: transactional ones in one transaction.

    Statements marked non-transactional run alone, in order, between transactions.  Used
    by tests and rehearsals that execute freshly rendered SQL without a migration file.
    """
    engine = engine_for(dialect)
    if hasattr(conn, "executescript"):
        conn.isolation_level = None
    else:
        conn.autocommit = True
    batch: list[Statement] = []

    def flush() -> None:
        if not batch:
            return
        engine.before_migration(conn)
        conn.execute("BEGIN")
        try:
            for st in batch:
                conn.execute(st.sql)
            engine.check_before_commit(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            engine.after_migration(conn)
        batch.clear()

    for st in statements:
        if st.transactional:
            if st.new_transaction:
                flush()
            batch.append(st)
        else:
            flush()
            spec = dialect.backfill(st.sql)
            if spec is None:
                conn.execute(st.sql)
            else:  # a backfill's one-batch statement: every batch, as the runner runs it
                backfill.run(engine.backfill(conn, spec), backfill.TARGET_MS, spec.label)
    flush()

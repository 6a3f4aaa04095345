"""A plan as text for --dry-run, and the check of what --atomic cannot run in one transaction.

Pure functions of the plan: a dry run shows what the runner would do without a connection of its
own, and the --atomic refusal is shared by the dry run and the real run so both refuse alike.
"""

from __future__ import annotations

from collections.abc import Sequence

from safeshift.errors import MigrationsError
from safeshift.schedule import Pending
from safeshift.text import oneline


def check_atomic(plan: Sequence[Pending]) -> None:
    """Refuse what cannot run in one transaction: a no-transaction statement, a part-way migration."""
    for p in plan:
        m = p.migration
        loose = next((s for s in m.up_statements if not s.transactional), None)
        if loose is not None:
            raise MigrationsError(f"--atomic cannot include {m.path.name}: line {loose.line} runs outside a "
                                  "transaction (-- safeshift:no-transaction); run without --atomic.")
        if p.resume_from:
            raise MigrationsError(f"--atomic cannot resume the part-way {m.path.name}; run without it.")


def atomic_dry_run_plan(plan: Sequence[Pending]) -> list[str]:
    """The --atomic plan as text lines: one transaction around every pending migration, as it will run
    (refused, as the run would be, when it cannot)."""
    check_atomic(plan)
    lines = ["BEGIN;"]
    for p in plan:
        lines.append(f"  -- {p.migration.path.name}")
        lines += [f"  {oneline(st.sql)};  -- line {st.line}" for st in p.migration.up_statements]
        lines.append("  -- record in the history table")
    lines.append("COMMIT;")
    return lines


def dry_run_plan(plan: Sequence[Pending]) -> list[str]:
    """The plan as text lines: each migration, each statement, and where transactions begin and end."""
    lines: list[str] = []
    for p in plan:
        m = p.migration
        lines.append(f"{m.path.name}" + (f" (resuming at step {p.resume_from + 1})" if p.resume_from else ""))
        for i, step in enumerate(p.steps):
            if i < p.resume_from:
                continue
            if step.transactional:
                lines.append("  BEGIN;")
                lines += [f"    {oneline(st.sql)};  -- line {st.line}" for st in step.statements]
                lines.append("    -- record in the history table")
                lines.append("  COMMIT;")
            else:
                st = step.statements[0]
                lines.append(f"  -- no transaction: {oneline(st.sql)};  -- line {st.line}")
    return lines

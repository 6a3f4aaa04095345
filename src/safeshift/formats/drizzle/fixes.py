"""Review fixes that work in a drizzle folder, whose pending migrations run in one transaction.

safeshift's rules suggest ``-- safeshift:no-transaction`` steps, a VALIDATE in a transaction
of its own, or ``safeshift generate``; none of those exists where drizzle-kit writes the files
and drizzle's migrator runs them, so the finding's fix is rewritten to what does.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safeshift.lint import Finding

#: fixes that move a statement out of the transaction (CONCURRENTLY), or commit between two steps
_OUTSIDE = re.compile(r"no-transaction|outside a transaction|INDEX CONCURRENTLY", re.IGNORECASE)
_SEPARATE = re.compile(r"separate transaction", re.IGNORECASE)


def accept_command(f: Finding) -> str:
    """The command that accepts ``f`` in a drizzle folder, whose files cannot carry ``-- safeshift:allow``
    (the comment would change the sha256 drizzle records for the file): ``formats.drizzle.accept``."""
    where = f"{f.file}:{f.line}" if f.file and f.line else "FILE:LINE"
    return f'`safeshift review --accept {f.rule} {where} --reason "..."`'


def drizzle_fix(f: Finding) -> Finding:
    """``f`` with a fix that can be done in a drizzle folder, whose pending migrations run in one transaction.

    safeshift's fixes put a CONCURRENTLY statement in a ``-- safeshift:no-transaction`` step,
    a VALIDATE in a transaction of its own, or name ``safeshift generate``; a drizzle folder
    refuses the directive (drizzle's migrator would run the statement inside its transaction)
    and drizzle-kit writes its files, so the fix says what works there.
    """
    if _OUTSIDE.search(f.fix):
        fix = ("drizzle's migrator runs every pending migration in one transaction, where CONCURRENTLY cannot run "
               "(a `--> statement-breakpoint` or a custom migration does not change that, and "
               "`-- safeshift:no-transaction` is refused there): run the CONCURRENTLY statement by hand (psql) "
               "before deploying and write the migration so that it finds the work done (CREATE INDEX IF NOT "
               "EXISTS, DROP INDEX IF EXISTS, ADD CONSTRAINT ... USING INDEX), or, for a small table, accept the "
               f"lock with {accept_command(f)}.")
    elif _SEPARATE.search(f.fix):
        fix = (f"{f.fix.rstrip('.')}. A drizzle folder runs its pending migrations in one transaction, so put "
               "the later step in a migration of its own (`npx drizzle-kit generate --custom`) and apply the "
               "earlier one first (`safeshift migrate --to VERSION`, or a deploy of its own).")
    elif "safeshift generate" in f.fix:  # drizzle-kit writes the folder: the steps, not the command
        fix = re.sub(r"\s*\(safeshift generate[^)]*\)", "", f.fix)
    else:
        return f
    return replace(f, fix=fix)

"""Apply and roll back migrations on one database with nothing ever half-done.

The runner holds the database's runner lock (PostgreSQL: a session advisory lock; SQLite:
the write lock of each migration's transaction, re-checking the history inside it), runs
each migration's steps (see ``schedule.steps``) in their own transactions with the history
row written in the same transaction, and retries a step that hit ``lock_timeout`` with
backoff.  A watcher thread notes who blocks a waiting statement, so the final failure can
name the blocking session.  What it does is reported as ``Event`` values; formatting is
the caller's job.

The Runner is built in layers, each a module with one job, each importing only those below it:
``interface`` (options, events, results) · ``watcher`` (the lock watcher) · ``failure`` (what a
failed step carries and the sentence that says so) · ``session`` (the connection, the runner lock,
statement primitives) · ``steps`` (one step with retries, recorded) · ``partway`` (a migration that
stopped part-way: undo, interrupts) · ``core`` (migrate, rollback, --atomic).  Beside them:
``plans`` (the dry-run text and the --atomic check) and ``rendered`` (run_statements).
"""

from safeshift.runner.core import Runner
from safeshift.runner.interface import (
    Applied,
    ApplyResult,
    Confirm,
    Event,
    EventKind,
    EventSink,
    RollbackResult,
    RunOptions,
)
from safeshift.runner.plans import atomic_dry_run_plan, check_atomic, dry_run_plan
from safeshift.runner.rendered import run_statements

__all__ = [
    "Applied",
    "ApplyResult",
    "Confirm",
    "Event",
    "EventKind",
    "EventSink",
    "RollbackResult",
    "RunOptions",
    "Runner",
    "atomic_dry_run_plan",
    "check_atomic",
    "dry_run_plan",
    "run_statements",
]

"""Every error safeshift raises on purpose.

One root class so callers can catch everything safeshift means to say, and typed
subclasses (in the manner of psycopg's errors module) so the CLI can map each to one
sentence and an exit code without string matching.  Messages are complete sentences
that name the thing that is wrong and what to do; they never contain a password.
"""

from __future__ import annotations


class SafeshiftError(Exception):
    """Root of every error safeshift raises deliberately."""

    exit_code: int = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(SafeshiftError):
    """safeshift.toml, pyproject.toml, .env or a command-line option is wrong."""


class SourceError(SafeshiftError):
    """The schema source (SQLAlchemy metadata or SQL files) cannot be loaded."""


class UnsupportedConstruct(SourceError):
    """The schema uses something the model cannot represent; we refuse rather than drop it."""

    def __init__(self, obj: str, construct: str, hint: str = "") -> None:
        tail = f" {hint}" if hint else ""
        super().__init__(f"{obj} uses {construct}, which safeshift cannot represent yet.{tail}")
        self.obj = obj
        self.construct = construct


class InvalidSchema(SourceError):
    """The schema source declares something its database would refuse to build; nothing was written.

    ``problems`` holds one sentence per problem (all of them, not the first), each naming the object and,
    where the source knows it, the line that declares it."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"The schema source declares {len(problems)} thing(s) the database would refuse to build, "
                         f"so nothing was written; fix them and run the command again:\n{lines}")
        self.problems = problems


class IntrospectionError(SafeshiftError):
    """The live database returned something the introspector cannot map."""


class ConnectionFailed(SafeshiftError):
    """The database cannot be reached or refused the login."""

    exit_code = 4


class MigrationsError(SafeshiftError):
    """The migrations folder is malformed: bad names, duplicate versions, broken sections."""


class ChecksumMismatch(MigrationsError):
    """A migration file no longer matches the hash sealed in safeshift.sum or the history table."""


class OrphanedSnapshot(MigrationsError):
    """A ``meta/<version>_snapshot.json`` whose migration file is gone (a deleted pending migration).

    ``generate`` would diff against it, so ``generate --check`` would pass while its change is
    never shipped: every reader of snapshots and every sealing of the folder refuses it.
    """


class AmbiguousRename(SafeshiftError):
    """A dropped and an added object look like a rename and nobody said which it is."""

    def __init__(self, message: str, candidates: tuple[tuple[str, str], ...]) -> None:
        super().__init__(message)
        self.candidates = candidates


class DiffCheckFailed(SafeshiftError):
    """`generate --check` found that the schema source and the migrations disagree."""

    exit_code = 1

    def __init__(self, message: str, changes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        #: each difference as "<kind>: <target>" (``add column: public.users.email``), in the diff's order,
        #: so that a caller (deploy's record) never has to take the message apart to list them
        self.changes = changes


class HazardBlocked(SafeshiftError):
    exit_code = 1


class BackupError(SafeshiftError):
    """A backup or restore cannot be made or trusted (no room, corrupt file, non-empty target)."""


class RestoreLockTimeout(BackupError):
    """Restoring over a database gave up waiting for a lock another session holds; nothing changed."""

    exit_code = 1


class UnsafeChange(SafeshiftError):
    """`generate` met a change with no lock-safe form on a table that holds rows."""

    exit_code = 1

    def __init__(self, message: str, targets: tuple[str, ...]) -> None:
        super().__init__(message)
        self.targets = targets


class MigrationFailed(SafeshiftError):
    """A migration's SQL failed; its transaction was rolled back and the failure recorded."""

    exit_code = 1

    def __init__(self, message: str, *, sqlstate: str | None = None, file: str | None = None,
                 line: int | None = None, undone: int = 0, cause: str = "") -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.file = file
        self.line = line
        #: what failed, the message's first clause without what was done about it ("" when not known)
        self.cause = cause
        #: steps of the migration that had committed and were undone after the failure
        self.undone = undone


class LockTimeout(MigrationFailed):
    """A statement waited longer than lock_timeout for its lock on every try."""


class ConnectionLost(MigrationFailed):
    """The server closed the connection mid-migration; the server rolled the transaction back."""


class HistoryConflict(SafeshiftError):
    """The migrations folder and the database's history disagree; nothing was changed.

    Exit 3, so that CI can tell "the folder does not fit this database" from a failed
    migration (1), a usage mistake (2) or an unreachable database (4).
    """

    exit_code = 3


class AppliedMigrationEdited(HistoryConflict):
    """A migration file changed after a database applied it."""


class OutOfOrder(HistoryConflict):
    """A pending migration is older than the newest applied one (a merged branch)."""


class MissingMigration(HistoryConflict):
    """The database applied a migration whose file is not in the folder."""


class NotReversible(HistoryConflict):
    """Rollback met a migration whose down section is empty or marked irreversible."""


class RunnerBusy(SafeshiftError):
    """Another runner held the database's migration lock for longer than --lock-wait."""

    exit_code = 5


class ConfirmationRequired(SafeshiftError):
    """A confirm-protected environment was about to change without the operator's say-so."""


class GateRefused(SafeshiftError):
    """An environment's gate (require_rehearsal) is not met by a command that would change its database."""


class DriftDetected(SafeshiftError):
    exit_code = 1


class DeployFailed(SafeshiftError):
    """A deploy stopped at a failed gate; its release record says what happened after (rollback, restore)."""

    exit_code = 1


class RehearsalFailed(SafeshiftError):
    """A rehearsal check failed (apply, snapshot, reversibility, reapply or smoke); its report is written."""

    exit_code = 1

    def __init__(self, message: str, result: object = None) -> None:
        super().__init__(message)
        #: the ``rehearse.Rehearsal`` whose report says why
        self.result = result


class ToolMissing(SafeshiftError):
    """An external tool (pg_dump, the embedded server) is not installed or too old."""


class Interrupted(MigrationFailed):
    """SIGINT or SIGTERM stopped a run; the message says what is applied now (it was made true first)."""

    exit_code = 130

"""What every dialect provides, and the record of what each database can do.

In the manner of sqlglot's dialect subclasses: the base class holds the shared logic,
each database overrides the few places where it differs.  The rest of safeshift asks a
dialect (``dialect.capabilities.transactional_ddl``, ``dialect.render(change)``,
``dialect.normalize_type(...)``) and never branches on a dialect's name.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SADialect

    from safeshift.changes import Change
    from safeshift.dialects.safe import SafeContext, SafeRender
    from safeshift.engines.base import BackupEngine, RehearsalBackend
    from safeshift.model import Schema

ConstraintKind = Literal["pk", "unique", "fk", "check", "index"]


@dataclass(frozen=True)
class Capabilities:
    transactional_ddl: bool = True
    concurrent_index: bool = False
    not_valid: bool = False
    advisory_lock: bool = False
    #: ALTER TABLE can change a column's type / nullability / default in place
    alter_column: bool = True
    #: ALTER TABLE can add or drop constraints (PK, UNIQUE, CHECK, FK) on an existing table
    alter_constraints: bool = True
    #: constraint names are stored and significant (SQLite keeps unnamed constraints nameless)
    named_constraints: bool = True
    schemas: bool = True
    enums: bool = True
    sequences: bool = True
    comments: bool = True
    identity: bool = True
    #: ``safeshift review`` understands this dialect's SQL (its hazard rules parse with pglast)
    hazard_review: bool = False
    #: the driver runs several statements in one call and ``check_before_commit`` has nothing
    #: to check, so the runner sends a whole transactional step in one round trip
    one_round_trip: bool = False
    #: drizzle-kit folders run on this database (drizzle-kit writes them for PostgreSQL; safeshift reads
    #: their SQL and snapshots as PostgreSQL's)
    drizzle_folders: bool = False


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a migration section.

    ``transactional=False`` marks a statement that must run outside a transaction
    (CREATE INDEX CONCURRENTLY); the file writer puts it under a
    ``-- safeshift:no-transaction`` directive.  ``new_transaction`` commits what came before
    it first (``-- safeshift:new-transaction``), so a lock taken earlier is not held on.
    """

    sql: str
    transactional: bool = True
    comment: str | None = None
    new_transaction: bool = False
    #: in a down section: this statement starts what undoes up step N (1-based;
    #: ``-- safeshift:undoes N``), so a migration that failed part-way can undo just its committed steps
    undoes: int | None = None


@dataclass(frozen=True)
class Blocker:
    """A session holding a lock a migration waits for: what the operator needs to find it."""

    pid: int
    state: str
    query: str
    age_s: float
    user: str = ""
    application: str = ""

    def describe(self) -> str:
        query = " ".join(self.query.split())
        query = query if len(query) <= 120 else query[:117] + "..."
        who = f" ({self.user}{', ' + self.application if self.application else ''})" if self.user else ""
        return f"pid {self.pid}{who}, {self.state} for {self.age_s:.0f} s, running `{query}`"


class Dialect:
    name: str = "base"
    default_schema: str = "public"
    capabilities: Capabilities = Capabilities()
    #: longest identifier the database keeps (PostgreSQL truncates at 63 bytes)
    max_identifier_length: int = 63
    #: canonical integer type -> the serial pseudo-type that implies an owned sequence
    serial_types: dict[str, str] = {}
    #: whether ``GENERATED ALWAYS AS (...)`` without STORED/VIRTUAL makes a stored column
    generated_stored_default: bool = True
    #: the table lock modes a statement can take, weakest to strongest (how a rehearsal finds the
    #: strongest lock a migration took); empty: one kind of lock only
    lock_modes: tuple[str, ...] = ()

    # -- identifiers ----------------------------------------------------------------
    def quote(self, ident: str) -> str:
        return '"' + ident.replace('"', '""') + '"'

    def qualify(self, schema: str, name: str) -> str:
        return f"{self.quote(schema)}.{self.quote(name)}"

    def literal(self, value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    # -- normalisation (used by every schema producer) -------------------------------
    def normalize_type(self, type_sql: str) -> str:
        """The canonical spelling of a column type as the database would report it."""
        raise NotImplementedError

    def normalize_default(self, default_sql: str, column_type: str) -> str:
        """The canonical spelling of a server default for a column of ``column_type``."""
        raise NotImplementedError

    def normalize_expression(self, sql: str) -> str:
        """Canonical text of a CHECK, index WHERE or expression, or generated column."""
        raise NotImplementedError

    def normalize_view(self, sql: str) -> str:
        return " ".join(sql.split()).rstrip(";")

    def default_constraint_name(self, kind: ConstraintKind, table: str, columns: Sequence[str]) -> str | None:
        """The name the database gives an unnamed constraint, or None where it keeps none."""
        raise NotImplementedError

    def serial_type(self, column_type: str) -> str | None:
        """The serial pseudo-type for an autoincrement column of ``column_type``, if the database has one."""
        return self.serial_types.get(column_type)

    def sqlalchemy_dialect(self) -> SADialect:
        """The SQLAlchemy dialect whose type compiler the SQLAlchemy source uses."""
        raise NotImplementedError

    # -- live databases ---------------------------------------------------------------
    def connect(self, url: str, *, create: bool = True) -> Any:
        """A DB-API connection for ``url`` (autocommit off); errors become ConnectionFailed, redacted.

        ``create=False`` (status, dry runs) must not bring a database into existence; a file
        database that is not there reads as an empty one.
        """
        raise NotImplementedError

    def introspect(self, conn: Any, schemas: Sequence[str] | None = None) -> Schema:
        """The live schema behind ``conn``, excluding safeshift's own history objects."""
        raise NotImplementedError

    def before_migration(self, conn: Any) -> None:
        """Hook run outside the migration's transaction, before BEGIN (SQLite: foreign_keys off)."""

    def check_before_commit(self, conn: Any) -> None:
        """Hook run inside the transaction before COMMIT (SQLite: foreign_key_check)."""

    def after_migration(self, conn: Any) -> None:
        """Hook run after COMMIT or ROLLBACK (SQLite: foreign_keys back on)."""

    # -- running migrations (the runner asks; the defaults suit a database without session locks)
    #: how a migration's transaction starts (SQLite: take the write lock up front)
    begin_sql: str = "BEGIN"
    #: run first in a transaction whose commit need not wait for the disk: a later, durable
    #: commit of the same run flushes it too, and a crash before that loses whole migrations only
    relaxed_commit_sql: str | None = None

    def database_name(self, url: str) -> str:
        """What the operator types to confirm a change to a protected environment."""
        tail = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        return tail or url

    def database_identity(self, conn: Any) -> tuple[object, ...] | None:
        """What the server says the database behind ``conn`` is: equal for two connections to the same
        database however their URLs are spelled (host alias, parameter order, options), different for
        two databases.  None when it cannot tell (an in-memory database): then nothing is the same as it.
        """
        return None

    def prepare_session(self, conn: Any, *, lock_timeout_ms: int, statement_timeout_ms: int | None,
                        lock_wait_ms: int) -> None:
        """Session settings for a runner: autocommit (we send BEGIN/COMMIT) and timeouts."""

    def acquire_runner_lock(self, conn: Any, wait_ms: int, lock_timeout_ms: int) -> str | None:
        """Take the one-runner-per-database lock, waiting up to ``wait_ms``.

        Returns None when taken, else who holds it.  The default takes nothing: a database
        without session locks serialises runners by its write lock, per transaction.
        """
        return None

    def release_runner_lock(self, conn: Any) -> None:
        """Give the runner lock back (closing the connection does too)."""

    def table_exists(self, conn: Any, schema: str | None, name: str) -> bool:
        raise NotImplementedError

    def is_lock_timeout(self, exc: BaseException) -> bool:
        """Whether ``exc`` means a statement gave up waiting for a lock."""
        return False

    def is_runner_busy(self, exc: BaseException) -> bool:
        """Whether ``exc`` means another runner holds the database's write lock beyond the wait."""
        return False

    def is_connection_lost(self, exc: BaseException, conn: Any) -> bool:
        return False

    def error_code(self, exc: BaseException) -> str | None:
        """The SQLSTATE (or the driver's nearest equivalent) of a database error."""
        return getattr(exc, "sqlstate", None)

    def backend_pid(self, conn: Any) -> int | None:
        """The server process serving ``conn``, for finding who blocks it."""
        return None

    def blocking_sessions(self, conn: Any, pid: int) -> list[Blocker]:
        """The sessions that hold a lock the session ``pid`` waits for (queried from another connection)."""
        return []

    def before_nontransactional(self, conn: Any, sql: str, resuming: bool) -> bool:
        """Make a statement that runs outside a transaction safe to run again; False means skip it.

        PostgreSQL drops the INVALID index a failed CREATE INDEX CONCURRENTLY leaves.
        """
        return True

    def development_url(self, state_dir: Path) -> str:
        """The zero-setup local database kept under the project's ``.safeshift/`` folder."""
        raise NotImplementedError

    def existing_development_url(self, state_dir: Path) -> str | None:
        """``development_url`` only if that database exists and can be read now, creating and starting
        nothing (None: there is none); for checks such as ``safeshift drop``'s, which must not start a
        server.  Raises ConnectionFailed when it exists but cannot be reached without starting something."""
        return None

    def shadow_database(self, state_dir: Path | None) -> AbstractContextManager[str]:
        """A throwaway empty database (for SQL-file sources and rehearsals), dropped on exit.

        ``state_dir`` is the project's ``.safeshift/`` folder, None outside a project: a dialect
        whose shadow needs a local server (the embedded PostgreSQL) refuses rather than start one
        in whatever folder the command ran in.
        """
        raise NotImplementedError

    def scratch_database(self, url: str, state_dir: Path | None) -> AbstractContextManager[str]:
        """A throwaway empty database beside ``url`` (same server and version when allowed), dropped on exit.

        Rehearsals and restore checks want the source's server so that timings and
        behaviour carry over; where that is not allowed the shadow database stands in.
        """
        return self.shadow_database(state_dir)

    def rehearsal_backend(self) -> RehearsalBackend:
        """How this database builds a throwaway copy for a rehearsal and reports the locks a statement took."""
        from safeshift.errors import ConfigError

        raise ConfigError(f"safeshift rehearse does not support {self.name} databases yet.")

    def delete_orphans(self, conn: Any, schema: Schema) -> int:
        """Delete rows whose foreign keys point at rows that are not there, until none are left (chains):
        a sampled rehearsal copy keeps only rows whose parents were sampled too.

        Runs with the foreign keys not enforced (not yet created, or switched off), as MATCH SIMPLE
        checks them: a row with a NULL in its key columns references nothing.
        """
        q = self.quote
        tables = {t.key: t for t in schema.tables}
        total = 0
        while True:
            deleted = 0
            for t in schema.tables:
                child = self.qualify(t.schema, t.name)
                for fk in t.foreign_keys:
                    parent = tables.get((fk.ref_schema, fk.ref_table))
                    ref = fk.ref_columns or (parent.primary_key.columns if parent and parent.primary_key else ())
                    if len(ref) != len(fk.columns):
                        continue
                    present = " AND ".join(f"{child}.{q(c)} IS NOT NULL" for c in fk.columns)
                    match = " AND ".join(f"p.{q(r)} = {child}.{q(c)}" for c, r in zip(fk.columns, ref, strict=True))
                    cur = conn.execute(f"DELETE FROM {child} WHERE {present} AND NOT EXISTS "
                                       f"(SELECT 1 FROM {self.qualify(fk.ref_schema, fk.ref_table)} p WHERE {match})")
                    deleted += max(cur.rowcount or 0, 0)
            if not deleted:
                return total
            total += deleted

    def backup_engine(self) -> BackupEngine:
        """How this database is dumped, checked, restored and fingerprinted (the registry's engine)."""
        from safeshift.dialects import backup_engine

        return backup_engine(self.name)

    # -- rendering --------------------------------------------------------------------
    def render(self, change: Change) -> list[Statement]:
        method: Any = getattr(self, f"render_{change.kind}", None)
        if method is None:
            raise NotImplementedError(f"{self.name} cannot render {change.kind}")
        result: list[Statement] = method(change)
        return result

    def clean_failed_step(self, conn: Any, sql: str) -> None:
        """Remove what a failed statement run outside a transaction left behind (PostgreSQL: the INVALID
        index of a failed CREATE INDEX CONCURRENTLY), so a failed migration leaves nothing of itself."""

    def render_safe(self, change: Change, ctx: SafeContext) -> SafeRender | None:
        """The lock-safe form of ``change`` on a table that holds rows; None keeps the plain form."""
        return None

    def table_facts(self, conn: Any) -> dict[str, tuple[int | None, int | None]]:
        """``schema.table`` -> (estimated rows, bytes on disk), for grading hazards by table size."""
        return {}

    def empty_tables(self, conn: Any, names: Sequence[str]) -> set[str]:
        """Which of ``schema.table`` ``names`` hold no row at all (exact, for tables never analysed).

        A table someone holds locked is left out (unknown) rather than waited for.
        """
        out: set[str] = set()
        for key in names:
            schema, _, table = key.partition(".")
            try:
                if conn.execute(f"SELECT 1 FROM {self.qualify(schema, table)} LIMIT 1").fetchone() is None:
                    out.add(key)
            except Exception:  # lock timeout: unknown, so graded as a table with rows
                with contextlib.suppress(Exception):
                    conn.rollback()
        return out

    def lock_timeout_sql(self, value: str) -> Statement | None:
        """A statement that bounds lock waits for the rest of one transaction, if the dialect has one."""
        return None

    def cap_lock_timeout(self, sql: str, max_ms: int) -> str:
        """``sql``, or a stricter form of it when it raises the lock timeout above ``max_ms``.

        The environment's lock_timeout is a ceiling on every lock wait of a run, including the
        per-transaction settings a migration file carries (written by ``generate`` with the value
        of whatever environment generated it).
        """
        return sql

    def data_loss(self, change: Change) -> str | None:
        """Why ``change`` can destroy data on this database, or None; the change's own judgement by default."""
        return change.data_loss

    def can_apply(self, change: Change) -> bool:
        """Whether ``change`` can run as its own statement(s); if not the planner rebuilds the table."""
        return True

"""What every dialect provides, and the record of what each database can do.

In the manner of sqlglot's dialect subclasses: the base class holds the shared logic,
each database overrides the few places where it differs.  The rest of safeshift asks a
dialect (``dialect.capabilities.transactional_ddl``, ``dialect.render(change)``,
``dialect.normalize_type(...)``) and never branches on a dialect's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from safeshift.dialects.statement import Statement as Statement

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SADialect

    from safeshift.changes import Change
    from safeshift.dialects.safe import SafeContext, SafeRender
    from safeshift.engines.base import BackupEngine, Engine, RehearsalBackend
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

    # -- live databases: the engine's (engines/<db>/); these delegate so callers keep working -------------
    #: this database's live side, ``(module, class)`` under engines/, imported on first use (the dialect never
    #: imports an engine module by name: a pure layer below the engines)
    engine_class: tuple[str, str] = ("safeshift.engines.base", "Engine")

    @property
    def engine(self) -> Engine:
        """This dialect's live side: connections, sessions, locks, errors, scratch databases, backups."""
        engine: Engine | None = self.__dict__.get("_engine")
        if engine is None:
            import importlib

            module, cls = self.engine_class
            engine = getattr(importlib.import_module(module), cls)(self)
            self.__dict__["_engine"] = engine
        return engine

    def connect(self, url: str, *, create: bool = True) -> Any:
        return self.engine.connect(url, create=create)

    def introspect(self, conn: Any, schemas: Sequence[str] | None = None) -> Schema:
        """The live schema behind ``conn``, excluding safeshift's own history objects."""
        return self.engine.introspect(conn, schemas)

    def before_migration(self, conn: Any) -> None:
        self.engine.before_migration(conn)

    def check_before_commit(self, conn: Any) -> None:
        self.engine.check_before_commit(conn)

    def after_migration(self, conn: Any) -> None:
        self.engine.after_migration(conn)

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
        return self.engine.database_identity(conn)

    def prepare_session(self, conn: Any, *, lock_timeout_ms: int, statement_timeout_ms: int | None,
                        lock_wait_ms: int) -> None:
        self.engine.prepare_session(conn, lock_timeout_ms=lock_timeout_ms, statement_timeout_ms=statement_timeout_ms,
                                    lock_wait_ms=lock_wait_ms)

    def acquire_runner_lock(self, conn: Any, wait_ms: int, lock_timeout_ms: int) -> str | None:
        return self.engine.acquire_runner_lock(conn, wait_ms, lock_timeout_ms)

    def release_runner_lock(self, conn: Any) -> None:
        self.engine.release_runner_lock(conn)

    def table_exists(self, conn: Any, schema: str | None, name: str) -> bool:
        return self.engine.table_exists(conn, schema, name)

    def is_lock_timeout(self, exc: BaseException) -> bool:
        return self.engine.is_lock_timeout(exc)

    def is_runner_busy(self, exc: BaseException) -> bool:
        return self.engine.is_runner_busy(exc)

    def is_connection_lost(self, exc: BaseException, conn: Any) -> bool:
        return self.engine.is_connection_lost(exc, conn)

    def error_code(self, exc: BaseException) -> str | None:
        return self.engine.error_code(exc)

    def backend_pid(self, conn: Any) -> int | None:
        return self.engine.backend_pid(conn)

    def blocking_sessions(self, conn: Any, pid: int) -> list[Blocker]:
        return self.engine.blocking_sessions(conn, pid)

    def before_nontransactional(self, conn: Any, sql: str, resuming: bool) -> bool:
        return self.engine.before_nontransactional(conn, sql, resuming)

    def development_url(self, state_dir: Path) -> str:
        return self.engine.development_url(state_dir)

    def existing_development_url(self, state_dir: Path) -> str | None:
        return self.engine.existing_development_url(state_dir)

    def shadow_database(self, state_dir: Path | None) -> AbstractContextManager[str]:
        return self.engine.shadow_database(state_dir)

    def scratch_database(self, url: str, state_dir: Path | None) -> AbstractContextManager[str]:
        return self.engine.scratch_database(url, state_dir)

    def rehearsal_backend(self) -> RehearsalBackend:
        return self.engine.rehearsal_backend()

    def delete_orphans(self, conn: Any, schema: Schema) -> int:
        return self.engine.delete_orphans(conn, schema)

    def backup_engine(self) -> BackupEngine:
        return self.engine.backup_engine()

    # -- rendering --------------------------------------------------------------------
    def render(self, change: Change) -> list[Statement]:
        method: Any = getattr(self, f"render_{change.kind}", None)
        if method is None:
            raise NotImplementedError(f"{self.name} cannot render {change.kind}")
        result: list[Statement] = method(change)
        return result

    def clean_failed_step(self, conn: Any, sql: str) -> None:
        self.engine.clean_failed_step(conn, sql)

    def render_safe(self, change: Change, ctx: SafeContext) -> SafeRender | None:
        """The lock-safe form of ``change`` on a table that holds rows; None keeps the plain form."""
        return None

    def table_facts(self, conn: Any) -> dict[str, tuple[int | None, int | None]]:
        return self.engine.table_facts(conn)

    def empty_tables(self, conn: Any, names: Sequence[str]) -> set[str]:
        return self.engine.empty_tables(conn, names)

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

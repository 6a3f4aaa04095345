"""The protocols the per-database engines implement, and the small values they exchange.

Kept here, at the bottom of the engines layer, in the manner of psycopg's ``abc.py``: the orchestrators
(``backup.py``, ``rehearse.py``) use these types and the dialect registry hands engines out by them, and
none of them has to import another to name a type.  This module imports nothing heavier than the model's
name, under TYPE_CHECKING, so ``safeshift restore`` stays light.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import re
from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from safeshift.dialects.backfill import Backfill
    from safeshift.dialects.base import Dialect
    from safeshift.ignore import Kept
    from safeshift.model import Schema

__all__ = ["SEQUENCE_KEY", "BackfillBounds", "BackfillSession", "BackfillStart", "BackupEngine", "Blocker", "CopySpec", "Dumped", "Engine", "Fingerprint", "IntrospectOptions",
           "Lock", "Manifest", "Mode",
           "RehearsalBackend", "backup_engine", "engine_for", "server_major"]


# -- introspection -------------------------------------------------------------------------------

@dataclass(frozen=True)
class IntrospectOptions:
    """What a project asks introspection to read beyond the default, from its configuration.

    One value handed to every reader of a live or shadow database (``Config.introspect_options``),
    so an opt-in reaches them all the same way instead of as a flag at each call site.
    ``privileges``: GRANTs on tables, views, sequences, functions and schemas (``privileges = true``);
    off, they are not queried at all (``Schema.grants`` stays None and nothing compares them).
    ``ignore``: the project's ``ignore`` patterns (``safeshift.ignore``), left out of what is read.
    """

    privileges: bool = False
    ignore: tuple[str, ...] = ()


# -- backups -------------------------------------------------------------------------------------

#: per table: (row count, checksum); PostgreSQL adds ``sequence schema.name`` -> (position, "")
Fingerprint = dict[str, tuple[int, str]]
SEQUENCE_KEY = "sequence "


def server_major(version: str) -> int:
    """The major version at the start of a server version string (``"15.4 (Debian...)"`` → 15), 0 if none."""
    m = re.match(r"\d+", version)
    return int(m.group(0)) if m else 0


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, written next to it as ``<name>.json``."""

    file: str
    dialect: str
    database: str  # redacted URL
    server_version: str
    migrations_version: str | None
    environment: str | None
    size: int
    #: of the file; of a directory dump, of its ``sha256sum``-style listing (hash, two spaces, path)
    sha256: str
    duration_ms: int
    tools: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    #: "custom" (pg_dump -Fc), "directory" (pg_dump -Fd) or "sqlite"
    format: str = "custom"
    #: what was checked before the backup was kept: {"kind": "list" | "integrity_check" | "restore", "ms": ...}
    verification: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        names = set(cls.__dataclass_fields__)
        values = {k: v for k, v in data.items() if k in names}
        values.setdefault("format", "sqlite" if values.get("dialect") == "sqlite" else "custom")
        return cls(**values)


@dataclass(frozen=True)
class Dumped:
    """What a dump produced: tool versions, and the source's fingerprint as dumped when asked for."""

    tools: dict[str, str]
    source: Fingerprint | None = None


class BackupEngine(Protocol):
    """How one database kind is dumped, checked, restored and fingerprinted (``engine_for(dialect).backup_engine()``)."""

    #: what ``check`` does, as the manifest records it
    check_name: str
    #: what ``dump``, ``check`` and ``restore`` run, as progress lines name it ("pg_dump", "the SQLite backup API")
    dump_tool: str
    check_tool: str
    restore_tool: str

    def server_version(self, url: str) -> tuple[int, str]: ...
    def probe(self, url: str) -> tuple[int, int, str]:
        """(database size in bytes, server major, server version) in one round of connecting."""
        ...
    def dump_format(self, jobs: int) -> tuple[str, str | None]:
        """The manifest format for ``jobs`` parallel workers, and a note when ``jobs`` does not apply."""
        ...
    def dump(self, url: str, out: Path, server_major: int, *, fmt: str, jobs: int,
             fingerprint: bool) -> Dumped: ...
    def check(self, path: Path, server_major: int) -> None: ...
    def restore(self, path: Path, into_url: str, manifest: Manifest, *, jobs: int = 1) -> None: ...
    def replace(self, path: Path, url: str, manifest: Manifest, *, lock_timeout_ms: int) -> None: ...
    def fingerprint(self, url: str) -> Fingerprint: ...


# -- rehearsals ----------------------------------------------------------------------------------

#: how a rehearsal runs: on a copy (schema only, all data, a per-table sample) or on an environment itself
Mode = Literal["schema", "data", "sample", "env"]


@dataclass(frozen=True)
class Lock:
    """A lock a statement held when it finished (or, run outside a transaction, the documented one)."""

    locktype: str
    mode: str
    relation: str | None = None
    #: taken by this statement, not held on from an earlier statement of the same transaction
    new: bool = True
    #: not observed: the lock this kind of statement takes according to the database's documentation
    documented: bool = False

    def render(self) -> str:
        where = f" on {self.relation}" if self.relation else ""
        return f"{self.mode}{where}" + (" (documented)" if self.documented else "")


@dataclass(frozen=True)
class CopySpec:
    mode: Mode
    #: rows per table to keep (sample mode only)
    rows: int | None
    #: the source's schema (its foreign keys decide which sampled rows must go)
    schema: Schema
    #: history tables besides safeshift's, copied whole like it: a drizzle folder's ``(schema, table)``
    history_tables: tuple[tuple[str, str], ...] = ()
    #: the schema of safeshift's own history tables, copied whole where the database has schemas
    history_schema: str | None = None


class RehearsalBackend(Protocol):
    """What a database provides for rehearsals (``engine_for(dialect).rehearsal_backend()``): a copy, and the locks seen."""

    def build_copy(self, dialect: Dialect, source: str, scratch: str, spec: CopySpec) -> str: ...
    def locks(self, conn: Any, hidden_schemas: Collection[str] = ()) -> tuple[str | None, list[Lock]]:
        """The transaction behind ``conn`` and the locks it holds now, leaving out those on relations in
        ``hidden_schemas`` (safeshift's own history tables: the rehearsal reports the migration's locks)."""
        ...
    def documented_locks(self, sql: str) -> list[Lock]: ...


# -- a live server ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Blocker:
    """A session holding a lock a migration waits for: what the operator needs to find it."""

    pid: int
    state: str
    query: str
    age_s: float
    user: str = ""
    application: str = ""
    #: what the server calls its sessions' numbers (MySQL: connection ids, as KILL takes them)
    kind: str = "pid"

    def describe(self) -> str:
        query = " ".join(self.query.split())
        query = query if len(query) <= 120 else query[:117] + "..."
        who = f" ({self.user}{', ' + self.application if self.application else ''})" if self.user else ""
        # an idle MySQL session shows no statement: none is named rather than an empty one
        running = f", running `{query}`" if query else ""
        return f"{self.kind} {self.pid}{who}, {self.state} for {self.age_s:.0f} s{running}"



# -- backfills -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BackfillStart:
    """Where a backfill stands when it (re)starts: the last key an earlier run committed (None: nothing yet),
    the rows it wrote and batches it committed, and the server's estimate of the table's rows (None: unknown)."""

    after: str | None
    rows_done: int
    batches: int
    estimate: int | None


@dataclass(frozen=True)
class BackfillBounds:
    """The next batch: its first and last key (None when no row is left), how many rows it spans, and how
    many other sessions of the database were waiting for a lock when it was looked up."""

    lo: str | None
    hi: str | None
    rows: int
    lock_waiters: int


class BackfillSession(Protocol):
    """One keyset backfill on a runner's session (``Engine.backfill``); the runner decides batch sizes."""

    def start(self) -> BackfillStart: ...
    def bounds(self, after: str | None, rows: int) -> BackfillBounds: ...
    def batch(self, lo: str, hi: str) -> int:
        """Copy the rows with keys in ``[lo, hi]`` and record ``hi`` as done, in one transaction; rows written."""
        ...
    def finish(self) -> None: ...
    def close(self) -> None: ...


class Engine:
    """A database's live side: connections and session settings, the runner lock, error classification,
    blocking sessions, table facts, development/shadow/scratch databases, backup and rehearsal engines.

    One per dialect (``engine_for(dialect)``), given the dialect for its pure SQL knowledge (quoting,
    qualifying).  The defaults suit a database without session locks; each database overrides what
    differs (``engines/postgres/``, ``engines/sqlite/``).  The dialect never names its engine: it is
    the pure layer below, and the registry at the end of this module pairs them by the dialect's name.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    # -- connections and sessions ----------------------------------------------------------------
    def connect(self, url: str, *, create: bool = True) -> Any:
        """A DB-API connection for ``url`` (autocommit off); errors become ConnectionFailed, redacted.

        ``create=False`` (status, dry runs) must not bring a database into existence; a file
        database that is not there reads as an empty one.
        """
        raise NotImplementedError

    def holds_runner_lock(self, conn: Any) -> bool:
        """Whether a session of this process already holds the runner lock of ``conn``'s database (a restore
        over it during a deploy's ``on_failure = "restore"`` then runs under the deploy's lock instead of
        waiting for it).  False where the engine cannot tell; MySQL answers."""
        return False

    def connect_reader(self, url: str) -> Any:
        """A connection for a command that only reads (verify): the lightest the engine has, offering the
        part of ``connect``'s connection that reading the history and the catalog uses; never creates a
        database.  PostgreSQL answers with its libpq reader, which spares the driver's import."""
        return self.connect(url, create=False)

    def missing_database(self, url: str) -> str | None:
        """The database ``url`` names, when the engine can tell without connecting that it does not exist
        (a SQLite file that is not there); None otherwise.  Commands that must not create a database ask
        this, since connecting would make one (or read nothing as an empty one)."""
        return None

    def introspect(self, conn: Any, schemas: Sequence[str] | None = None,
                   options: IntrospectOptions | None = None) -> Schema:
        """The live schema behind ``conn`` as every comparison sees it: without safeshift's own history
        objects (left out by the catalog queries), other tools' bookkeeping tables and what the project's
        ``ignore`` list names (``options.ignore``); ``options``: what the project asked to compare beyond
        the default (privileges)."""
        return self.introspect_kept(conn, schemas, options).schema

    def introspect_kept(self, conn: Any, schemas: Sequence[str] | None = None,
                        options: IntrospectOptions | None = None) -> Kept:
        """``introspect`` with what it left out counted (``verify`` says so).  The one place a live
        database's bookkeeping tables and ignored objects leave the model, so no command keeps a copy
        of the rule."""
        from safeshift.ignore import leave_out

        raw = self.read_catalog(conn, schemas, options)
        return leave_out(raw, options.ignore if options else (), self.dialect.default_schema)

    def read_catalog(self, conn: Any, schemas: Sequence[str] | None = None,
                     options: IntrospectOptions | None = None) -> Schema:
        """Everything the catalog holds but safeshift's own history objects (introspect/<db>.py)."""
        raise NotImplementedError

    def before_migration(self, conn: Any) -> None:
        """Hook run outside the migration's transaction, before BEGIN (SQLite: foreign_keys off)."""

    def check_before_commit(self, conn: Any) -> None:
        """Hook run inside the transaction before COMMIT (SQLite: foreign_key_check)."""

    def after_migration(self, conn: Any) -> None:
        """Hook run after COMMIT or ROLLBACK (SQLite: foreign_keys back on)."""

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

    # -- errors ----------------------------------------------------------------------------------
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

    # -- who blocks a migration, and what a failed step left -------------------------------------
    def backend_pid(self, conn: Any) -> int | None:
        """The server process serving ``conn``, for finding who blocks it."""
        return None

    def blocking_sessions(self, conn: Any, pid: int) -> list[Blocker]:
        """The sessions that hold a lock the session ``pid`` waits for (queried from another connection)."""
        return []

    def schema_mark(self, conn: Any) -> str | None:
        """A fingerprint of the schema behind ``conn``, taken before a statement that commits on its own runs,
        where the engine cannot otherwise tell afterwards whether it ran (MySQL: DDL commits itself, so a
        runner killed between that commit and its history write leaves the step done but not recorded).

        None (the default): the database needs none, because its steps commit with their history rows or
        ``before_nontransactional`` tells a finished one by its result."""
        return None

    def before_nontransactional(self, conn: Any, sql: str, resuming: bool) -> bool:
        """Make a statement that runs outside a transaction safe to run again; False means skip it.

        PostgreSQL drops the INVALID index a failed CREATE INDEX CONCURRENTLY leaves.
        """
        return True

    def clean_failed_step(self, conn: Any, sql: str) -> None:
        """Remove what a failed statement run outside a transaction left behind (PostgreSQL: the INVALID
        index of a failed CREATE INDEX CONCURRENTLY), so a failed migration leaves nothing of itself."""

    def backfill(self, conn: Any, spec: Backfill) -> BackfillSession:
        """A keyset backfill on ``conn`` (an autocommit session); only a dialect that writes one has it."""
        raise NotImplementedError(f"{self.dialect.name} has no batched backfill")

    # -- tables ----------------------------------------------------------------------------------
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
                if conn.execute(f"SELECT 1 FROM {self.dialect.qualify(schema, table)} LIMIT 1").fetchone() is None:
                    out.add(key)
            except Exception:  # lock timeout: unknown, so graded as a table with rows
                with contextlib.suppress(Exception):
                    conn.rollback()
        return out

    def delete_orphans(self, conn: Any, schema: Schema) -> int:
        """Delete rows whose foreign keys point at rows that are not there, until none are left (chains):
        a sampled rehearsal copy keeps only rows whose parents were sampled too.

        Runs with the foreign keys not enforced (not yet created, or switched off), as MATCH SIMPLE
        checks them: a row with a NULL in its key columns references nothing.
        """
        q, qualify = self.dialect.quote, self.dialect.qualify
        tables = {t.key: t for t in schema.tables}
        total = 0
        while True:
            deleted = 0
            for t in schema.tables:
                child = qualify(t.schema, t.name)
                for fk in t.foreign_keys:
                    parent = tables.get((fk.ref_schema, fk.ref_table))
                    ref = fk.ref_columns or (parent.primary_key.columns if parent and parent.primary_key else ())
                    if len(ref) != len(fk.columns):
                        continue
                    present = " AND ".join(f"{child}.{q(c)} IS NOT NULL" for c in fk.columns)
                    match = " AND ".join(f"p.{q(r)} = {child}.{q(c)}" for c, r in zip(fk.columns, ref, strict=True))
                    cur = conn.execute(f"DELETE FROM {child} WHERE {present} AND NOT EXISTS "
                                       f"(SELECT 1 FROM {qualify(fk.ref_schema, fk.ref_table)} p WHERE {match})")
                    deleted += max(cur.rowcount or 0, 0)
            if not deleted:
                return total
            total += deleted

    # -- databases of its own --------------------------------------------------------------------
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

        ``state_dir`` is the project's ``.safeshift/`` folder, None outside a project: a database
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

    # -- backups and rehearsals ------------------------------------------------------------------
    def rehearsal_backend(self) -> RehearsalBackend:
        """How this database builds a throwaway copy for a rehearsal and reports the locks a statement took."""
        from safeshift.errors import ConfigError

        raise ConfigError(f"safeshift rehearse does not support {self.dialect.name} databases yet.")

    def backup_engine(self) -> BackupEngine:
        """How this database is dumped, checked, restored and fingerprinted (the registry's engine)."""
        return backup_engine(self.dialect.name)


#: Backup engines live in modules of their own so that backup and restore, which only run the
#: client tools, do not pay for importing the dialect's rendering and change model (~0.1 s).
_BACKUP_ENGINES = {
    "postgresql": ("safeshift.engines.postgres.backup", "PostgresBackup"),
    "sqlite": ("safeshift.engines.sqlite.backup", "SQLiteBackup"),
    "mysql": ("safeshift.engines.mysql.backup", "MySQLBackup"),
}


def backup_engine(name: str) -> BackupEngine:
    """How the named dialect's databases are dumped, checked, restored and fingerprinted."""
    from safeshift.dialects import canonical_name

    key = canonical_name(name)
    if key not in _BACKUP_ENGINES:
        from safeshift.errors import ToolMissing

        raise ToolMissing(f"Backups of {key} databases are not supported yet.")
    module, cls = _BACKUP_ENGINES[key]
    engine: BackupEngine = getattr(importlib.import_module(module), cls)()
    return engine


#: each dialect's live side, imported on first use (a dialect is pure and never names its engine)
_ENGINES = {
    "postgresql": ("safeshift.engines.postgres", "PostgresEngine"),
    "sqlite": ("safeshift.engines.sqlite", "SQLiteEngine"),
    "mysql": ("safeshift.engines.mysql", "MySQLEngine"),
}
_engines: dict[int, Engine] = {}


#: engines that can start a read-only command's catalog reads before the dialect and the model are imported:
#: dialect name -> (module, function of the URL returning the reader with its reads on their way, or None)
_READS_AHEAD = {"postgresql": ("safeshift.engines.postgres", "read_ahead")}


def read_ahead(name: str, url: str) -> Any | None:
    """For ``verify``: a reader connection (``Engine.connect_reader``'s kind) of ``url`` whose introspection
    of every schema has already begun, so the server works while the command imports the rest; the engine's
    ``introspect`` finishes it.  None where the dialect's engine cannot (then connect as usual).  The caller
    closes the connection, which closes the reads."""
    found = _READS_AHEAD.get(name)
    if found is None:
        return None
    start: Any = getattr(importlib.import_module(found[0]), found[1])
    return start(url)


def engine_for(dialect: Dialect) -> Engine:
    """The live side of ``dialect``: connections, sessions, locks, errors, scratch databases, backups.

    One engine per dialect object, made on first use."""
    engine = _engines.get(id(dialect))
    if engine is None or engine.dialect is not dialect:
        module, cls = _ENGINES.get(dialect.name, ("safeshift.engines.base", "Engine"))
        engine = getattr(importlib.import_module(module), cls)(dialect)
        _engines[id(dialect)] = engine
    return engine

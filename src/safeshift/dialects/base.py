"""What every dialect provides, and the record of what each database can do.

In the manner of sqlglot's dialect subclasses: the base class holds the shared logic,
each database overrides the few places where it differs.  The rest of safeshift asks a
dialect (``dialect.capabilities.transactional_ddl``, ``dialect.render(change)``,
``dialect.normalize_type(...)``) and never branches on a dialect's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from safeshift.dialects.statement import Statement as Statement

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SADialect

    from safeshift.changes import Change
    from safeshift.dialects.backfill import Backfill
    from safeshift.dialects.safe import SafeContext, SafeRender
    from safeshift.model import Column, IndexElement, Schema, Table, View

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
    #: ``safeshift review`` reads this dialect's SQL (``lint.reviewers`` has its parser and rules), so ``migrate``
    #: and ``deploy`` gate its migrations on unacknowledged error findings
    hazard_review: bool = False
    #: the driver runs several statements in one call and ``check_before_commit`` has nothing
    #: to check, so the runner sends a whole transactional step in one round trip
    one_round_trip: bool = False
    #: ``ALTER INDEX ... RENAME TO``; without it a renamed index is dropped and created again under its new
    #: name (SQLite: which is still far cheaper than rebuilding its table)
    rename_index: bool = True
    #: drizzle-kit folders run on this database (drizzle-kit writes them for PostgreSQL; safeshift reads
    #: their SQL and snapshots as PostgreSQL's)
    drizzle_folders: bool = False


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

    def index_keys(self, create_index_sql: str) -> tuple[IndexElement, ...]:
        """The keys of a ``CREATE INDEX`` statement as this database records them (what introspection gives):
        how a source that writes keys as text (``col DESC``, ``lower(email)``, ``col text_pattern_ops``) says
        which index it means.  ValueError names what the model or the database cannot hold."""
        raise NotImplementedError

    def same_column(self, old_table: Table, old: Column, new_table: Table, new: Column) -> bool:
        """Whether ``old`` (a column of ``old_table``) and ``new`` (of ``new_table``) are the same column to this
        database, so the diff proposes no change: equal by default.  A database that enforces less than the
        declared text says (SQLite's type affinity) answers from what it enforces; the model keeps the text."""
        return old == new

    def view_dependencies(self, view: View) -> frozenset[tuple[str, str]]:
        """The relations (schema, name) ``view`` reads, for ordering views among themselves; none by
        default (a database that does not check a view's relations when it is created or dropped)."""
        return frozenset()

    def normalize_routine(self, sql: str) -> str:
        """Canonical text of a whole ``CREATE [OR REPLACE] FUNCTION|PROCEDURE`` statement."""
        return sql.strip().rstrip(";").strip()

    def normalize_trigger(self, sql: str) -> str:
        """Canonical text of a whole ``CREATE TRIGGER`` statement."""
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

    def table_options(self, options: Any, where: str) -> list[str]:
        """``Table.options`` entries of this database from a SQLAlchemy table's own dialect options (``options``:
        its ``dialect_options[name]``), refusing by name what the model cannot hold; none by default."""
        return []

    # -- rendering --------------------------------------------------------------------
    def between(self, before: Schema, after: Schema) -> Dialect:
        """This dialect for rendering changes that take ``before`` to ``after``.  Where a statement depends on
        what else a table holds (MySQL: the index a foreign key needs, which InnoDB makes and drops on its own),
        a dialect answers a copy that knows both schemas; the rest answer themselves."""
        return self

    def render(self, change: Change) -> list[Statement]:
        method: Any = getattr(self, f"render_{change.kind}", None)
        if method is None:
            raise NotImplementedError(f"{self.name} cannot render {change.kind}")
        result: list[Statement] = method(change)
        return result

    def render_safe(self, change: Change, ctx: SafeContext) -> SafeRender | None:
        """The lock-safe form of ``change`` on a table that holds rows; None keeps the plain form."""
        return None

    def lock_timeout_sql(self, value: str) -> Statement | None:
        """A statement that bounds lock waits for the rest of one transaction, if the dialect has one."""
        return None

    def commits_implicitly(self, sql: str) -> bool:
        """Whether the database commits ``sql`` on its own, whatever transaction it stands in (MySQL's DDL).

        Such a statement cannot share a transaction with the history row that records it, so it is a step
        of its own (``Statement.transactional`` False); none does where DDL is transactional."""
        return False

    def upsert_sql(self, key: str, columns: Sequence[str]) -> str:
        """What follows an ``INSERT ... VALUES (...)`` so a row whose ``key`` exists is updated instead, in one
        statement (the history's writes); ``excluded`` names the new row (PostgreSQL >= 9.5, SQLite >= 3.24)."""
        assignments = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
        return f" ON CONFLICT ({key}) DO UPDATE SET {assignments}"

    def cap_lock_timeout(self, sql: str, max_ms: int) -> str:
        """``sql``, or a stricter form of it when it raises the lock timeout above ``max_ms``.

        The environment's lock_timeout is a ceiling on every lock wait of a run, including the
        per-transaction settings a migration file carries (written by ``generate`` with the value
        of whatever environment generated it).
        """
        return sql

    def backfill(self, sql: str) -> Backfill | None:
        """The keyset backfill a no-transaction statement runs batch by batch (``dialects/backfill.py``), or None
        when it is an ordinary statement the runner runs once."""
        return None

    def fold(self, schema: Schema) -> Schema:
        """``schema`` as this database would hold it, for what its catalog cannot tell apart (MySQL: a UNIQUE
        constraint from a unique index); every source's schema passes through it.  Unchanged by default."""
        return schema

    def data_loss(self, change: Change) -> str | None:
        """Why ``change`` can destroy data on this database, or None; the change's own judgement by default."""
        return change.data_loss

    def can_apply(self, change: Change) -> bool:
        """Whether ``change`` can run as its own statement(s); if not the planner rebuilds the table."""
        return True

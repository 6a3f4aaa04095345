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

from safeshift.changes import Change
from safeshift.model import Schema

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SADialect

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


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a migration section.

    ``transactional=False`` marks a statement that must run outside a transaction
    (CREATE INDEX CONCURRENTLY); the file writer puts it under a
    ``-- safeshift:no-transaction`` directive.
    """

    sql: str
    transactional: bool = True
    comment: str | None = None


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
    def connect(self, url: str) -> Any:
        """A DB-API connection for ``url`` (autocommit off); errors become ConnectionFailed, redacted."""
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

    def development_url(self, state_dir: Path) -> str:
        """The zero-setup local database kept under the project's ``.safeshift/`` folder."""
        raise NotImplementedError

    def shadow_database(self, state_dir: Path) -> AbstractContextManager[str]:
        """A throwaway empty database (for SQL-file sources and rehearsals), dropped on exit."""
        raise NotImplementedError

    # -- rendering --------------------------------------------------------------------
    def render(self, change: Change) -> list[Statement]:
        method: Any = getattr(self, f"render_{change.kind}", None)
        if method is None:
            raise NotImplementedError(f"{self.name} cannot render {change.kind}")
        result: list[Statement] = method(change)
        return result

    def can_apply(self, change: Change) -> bool:
        """Whether ``change`` can run as its own statement(s); if not the planner rebuilds the table."""
        return True

"""The history of a drizzle folder: drizzle's own ``__drizzle_migrations`` table, plus safeshift's facts.

drizzle-orm's migrator (``pg-core/dialect.js`` ``migrate``) applies, in ONE transaction, every
migration whose journal ``when`` is newer than the ``created_at`` of the newest row in
``drizzle.__drizzle_migrations`` (``id serial, hash text, created_at bigint``; the schema and
table are its ``migrationsSchema`` / ``migrationsTable``), inserting ``(hash, when)``.
``DrizzleStore`` reads and writes that table exactly so, so either tool can take over from the
other; what drizzle's table cannot hold (duration, who, failed attempts) goes to safeshift's
own table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from safeshift import config as cfg
from safeshift.dialects.base import Dialect
from safeshift.engines.base import engine_for
from safeshift.errors import MigrationsError
from safeshift.formats.base import Record, Status, Store
from safeshift.formats.safeshift import MigrationFolder

#: drizzle-applied rows say nothing of who or how long; status shows this instead
DRIZZLE_ONLY = "drizzle (no safeshift record)"


def names(folder: MigrationFolder) -> tuple[str, str]:
    """(schema, table) of the folder's drizzle history table (drizzle-orm's defaults unless configured)."""
    return folder.history_table or (cfg.DRIZZLE_SCHEMA, cfg.DRIZZLE_TABLE)


def facts_table(folder: MigrationFolder) -> str:
    """The name of safeshift's own table beside drizzle's: in the ``safeshift`` schema it is named after drizzle's
    (``drizzle.__drizzle_migrations``); a database without schemas (MySQL) holds it beside the user's tables as
    ``safeshift_drizzle_migrations``, which introspection leaves out by that exact name."""
    from safeshift.dialects import get_dialect
    from safeshift.formats.drizzle.journal import journal_dialect
    from safeshift.introspect.own import DRIZZLE_FACTS_TABLE

    schema, table = names(folder)
    return f"{schema}.{table}" if get_dialect(journal_dialect(folder.path)).capabilities.schemas else DRIZZLE_FACTS_TABLE


@dataclass(frozen=True)
class DrizzleStore:
    """The history of a drizzle folder: drizzle's table is the truth, safeshift's adds detail.

    A migration is applied when drizzle's table has a row whose ``created_at`` is its
    journal ``when`` (drizzle writes exactly that); the row's ``hash`` is its checksum.
    safeshift's own table (in the ``safeshift`` schema, named after drizzle's) keeps the
    duration and operator of what safeshift applied, and failed attempts, which drizzle's
    table cannot hold.
    """

    schema: str
    table: str
    #: (version, name, created_at) of each migration in the folder
    entries: tuple[tuple[str, str, int], ...]
    #: safeshift's own table for what drizzle's cannot hold (``history.store_for`` names it after drizzle's)
    facts: Store

    @classmethod
    def for_folder(cls, folder: MigrationFolder, facts: Store) -> DrizzleStore:
        """The store of ``folder``; refuses two journal entries with one ``when``: a row of drizzle's table
        (``hash, created_at``) is matched to its migration by ``created_at``, which would then mean both."""
        seen: dict[int, str] = {}
        for m in folder.migrations:
            if m.created_at is None:
                continue
            if m.created_at in seen:
                raise MigrationsError(
                    f"{folder.path.name}/meta/_journal.json gives {seen[m.created_at]} and {m.path.name} the same "
                    f"\"when\" ({m.created_at}), and safeshift matches a row of drizzle's table to its migration by that "
                    "\"when\" (the row's created_at), so it could not tell which one a row means; give the one no database has applied yet a later "
                    "\"when\" in the journal."
                )
            seen[m.created_at] = m.path.name
        schema, table = names(folder)
        return cls(schema, table, tuple((m.version, m.name, m.created_at) for m in folder.migrations
                                        if m.created_at is not None), facts)

    def _qualified(self, dialect: Dialect) -> str:
        return dialect.qualify(self.schema, self.table)

    def _when(self, version: str) -> int:
        for v, _, when in self.entries:
            if v == version:
                return when
        raise MigrationsError(f"There is no drizzle migration {version} in the folder; this is a bug in safeshift.")

    def ensure(self, dialect: Dialect, conn: Any) -> None:
        """drizzle's schema and table, created with drizzle's own DDL, and safeshift's facts table.

        MySQL's migrator (``mysql-core/dialect.js``) has no ``migrationsSchema``: its table is in the
        database the connection names, with the same columns (``serial`` there is ``bigint unsigned``)."""
        self.facts.ensure(dialect, conn)
        if dialect.capabilities.schemas:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {dialect.quote(self.schema)}")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {self._qualified(dialect)} (\n"
                     "\tid SERIAL PRIMARY KEY,\n\thash text NOT NULL,\n\tcreated_at bigint\n)")

    def rows(self, dialect: Dialect, conn: Any) -> list[tuple[int, str, int | None]]:
        """drizzle's rows (id, hash, created_at) in the order they were written; none before the table exists."""
        if not engine_for(dialect).table_exists(conn, self.schema, self.table):
            return []
        cur = conn.execute(f"SELECT id, hash, created_at FROM {self._qualified(dialect)} ORDER BY id")
        return [(int(r[0]), str(r[1]), None if r[2] is None else int(r[2])) for r in cur.fetchall()]

    def read(self, dialect: Dialect, conn: Any) -> dict[str, Record]:
        by_when = {when: (version, name) for version, name, when in self.entries}
        facts = self.facts.read(dialect, conn)
        out: dict[str, Record] = {}
        for _, digest, created_at in self.rows(dialect, conn):
            found = by_when.get(created_at) if created_at is not None else None
            if found is None:
                # no journal entry has this `when`: a migration applied here whose file is gone
                key = str(created_at) if created_at is not None else f"null:{digest[:12]}"
                out.setdefault(key, Record(key, "not_in_journal",
                                           digest, "applied", "", 0, DRIZZLE_ONLY))
                continue
            version, name = found
            if version in out:
                continue  # a second row for the same migration: the first one counts
            f = facts.get(version)
            if f is not None and f.status == "applied" and f.checksum == digest:
                out[version] = replace(f, name=name)
            else:
                out[version] = Record(version, name, digest, "applied", "", 0, DRIZZLE_ONLY)
        for version, f in facts.items():
            # failures are safeshift's to record; an `applied` fact without drizzle's row is stale
            if version not in out and f.status != "applied":
                out[version] = f
        return out

    def read_one(self, dialect: Dialect, conn: Any, version: str) -> Record | None:
        return self.read(dialect, conn).get(version)

    def write(self, dialect: Dialect, conn: Any, *, version: str, name: str, checksum: str, status: Status,
              duration_ms: int, progress: int = 0, error: str | None = None, who: str | None = None,
              replace: bool = True, allowed_hazards: str | None = None) -> None:
        """An applied migration gets drizzle's row, exactly as drizzle's migrator inserts it (hash, when)."""
        if status == "applied":
            when = self._when(version)
            q = self._qualified(dialect)
            conn.execute(f"INSERT INTO {q} ({dialect.quote('hash')}, {dialect.quote('created_at')}) "
                         f"SELECT {dialect.literal(checksum)}, {when} "
                         f"FROM (SELECT 1) AS one WHERE NOT EXISTS (SELECT 1 FROM {q} WHERE created_at = {when})")
        # a stale fact may exist without drizzle's row: always an upsert
        self.facts.write(dialect, conn, version=version, name=name, checksum=checksum, status=status,
                         duration_ms=duration_ms, progress=progress, error=error, who=who, replace=True,
                         allowed_hazards=allowed_hazards)

    def delete(self, dialect: Dialect, conn: Any, version: str) -> None:
        conn.execute(f"DELETE FROM {self._qualified(dialect)} WHERE created_at = {self._when(version)}")
        self.facts.delete(dialect, conn, version)

    def set_status(self, dialect: Dialect, conn: Any, version: str, status: Status) -> None:
        self.facts.set_status(dialect, conn, version, status)

    def set_duration(self, dialect: Dialect, conn: Any, version: str, duration_ms: int) -> None:
        self.facts.set_duration(dialect, conn, version, duration_ms)

    @property
    def marks(self) -> Store:
        """Where the runner notes a step's schema mark (MySQL: whether a statement that committed on its own
        ran before a runner died): safeshift's facts row, as drizzle's table has no room for it."""
        return self.facts

"""The protocols the per-database engines implement, and the small values they exchange.

Kept here, at the bottom of the engines layer, in the manner of psycopg's ``abc.py``: the orchestrators
(``backup.py``, ``rehearse.py``) use these types and the dialect registry hands engines out by them, and
none of them has to import another to name a type.  This module imports nothing heavier than the model's
name, under TYPE_CHECKING, so ``safeshift restore`` stays light.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from safeshift.dialects.base import Dialect
    from safeshift.model import Schema

__all__ = ["SEQUENCE_KEY", "BackupEngine", "CopySpec", "Dumped", "Fingerprint", "Lock", "Manifest", "Mode",
           "RehearsalBackend", "server_major"]


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
    """How one database kind is dumped, checked, restored and fingerprinted (``dialect.backup_engine()``)."""

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
    """What a database provides for rehearsals (``dialect.rehearsal_backend()``): a copy, and the locks seen."""

    def build_copy(self, dialect: Dialect, source: str, scratch: str, spec: CopySpec) -> str: ...
    def locks(self, conn: Any, hidden_schemas: Collection[str] = ()) -> tuple[str | None, list[Lock]]:
        """The transaction behind ``conn`` and the locks it holds now, leaving out those on relations in
        ``hidden_schemas`` (safeshift's own history tables: the rehearsal reports the migration's locks)."""
        ...
    def documented_locks(self, sql: str) -> list[Lock]: ...

"""What every migrations folder format shares: a history row, its states, and the store that keeps them.

A folder's history lives where its format says (safeshift's ``safeshift_migrations``; a drizzle
folder's in drizzle's own table), and the runner reads and writes it only through a ``Store``.
The protocol sits here, below both the formats that implement it and the runner that uses it,
so a format never imports the execution layer to name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from safeshift.dialects.base import Dialect

Status = Literal["applied", "failed", "running", "rolling_back"]


@dataclass(frozen=True)
class Record:
    version: str
    name: str
    checksum: str
    status: Status
    applied_at: str
    duration_ms: int
    applied_by: str
    progress: int = 0
    error: str | None = None
    allowed_hazards: str | None = None


class Store(Protocol):
    """The history of one migrations folder on one database, as the runner reads and writes it.

    safeshift's own folders keep it in ``safeshift_migrations``; drizzle folders in drizzle's
    table (see ``formats.drizzle.store.DrizzleStore``).  ``write`` and ``delete`` only ever send
    statements (never read), so the runner can batch them with a step's SQL.
    """

    def ensure(self, dialect: Dialect, conn: Any) -> None: ...

    def read(self, dialect: Dialect, conn: Any) -> dict[str, Record]: ...

    def read_one(self, dialect: Dialect, conn: Any, version: str) -> Record | None: ...

    def write(self, dialect: Dialect, conn: Any, *, version: str, name: str, checksum: str, status: Status,
              duration_ms: int, progress: int = 0, error: str | None = None, who: str | None = None,
              replace: bool = True, allowed_hazards: str | None = None) -> None: ...

    def delete(self, dialect: Dialect, conn: Any, version: str) -> None: ...

    def set_status(self, dialect: Dialect, conn: Any, version: str, status: Status) -> None: ...

    def set_duration(self, dialect: Dialect, conn: Any, version: str, duration_ms: int) -> None: ...

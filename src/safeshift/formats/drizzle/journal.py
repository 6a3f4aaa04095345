"""drizzle-kit's ``meta/_journal.json``: the list of migrations drizzle's migrator applies, in order.

The journal names each migration's file (``tag``) and the moment drizzle-kit generated it
(``when``, in ms), which is what drizzle's migrator compares with its history table.  ``when``
need not grow: after a merge of two branches it often does not, and drizzle's migrator still
applies every entry on a fresh database (it compares each ``when`` only with the newest row
already applied), so whether an entry would be skipped is a question about one database,
answered by ``schedule.pending``, never by the journal alone.  Its presence is also how a folder whose configuration names no
``format`` is recognised as drizzle-kit's.  safeshift reads the journal and never writes it:
drizzle-kit owns it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from safeshift import config as cfg
from safeshift.errors import MigrationsError
from safeshift.formats.safeshift import META_DIR, folder_format

JOURNAL = "_journal.json"
BREAKPOINT = "--> statement-breakpoint"
#: drizzle-kit's journal dialect (``pg`` before drizzle-kit 0.21) -> the safeshift dialect of the folder's SQL
DIALECTS = {"postgresql": "postgresql", "pg": "postgresql", "mysql": "mysql"}
#: how messages name the databases a folder is for
DIALECT_NAMES = {"postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB"}


@dataclass(frozen=True)
class Entry:
    """One journal entry: what drizzle's migrator reads for a migration."""

    tag: str
    when: int
    breakpoints: bool = True


def journal_path(folder: Path) -> Path:
    return Path(folder) / META_DIR / JOURNAL


def resolve_format(folder: Path, settings: cfg.FolderSettings | None = None) -> cfg.Format:
    """The folder's format: the configuration's ``format`` if it sets one, else detected from the journal.

    ``format = "drizzle"`` without a journal is a mistake worth one sentence rather than
    safeshift's complaint about drizzle-kit's file names.
    """
    settings = settings if settings is not None else cfg.folder_settings(folder)
    if settings.format == "drizzle" and not journal_path(folder).is_file():
        raise MigrationsError(
            f"{Path(folder).name}/{META_DIR}/{JOURNAL} is missing, but the configuration says format = \"drizzle\"; "
            "run `drizzle-kit generate` to create it, or point `migrations` at the drizzle-kit `out` folder."
        )
    return settings.format or folder_format(folder)


def read_journal(folder: Path) -> tuple[Entry, ...]:
    """The journal's entries in order, as drizzle's migrator reads them (a ``when`` lower than its
    predecessor's is no mistake here: only a database can say whether drizzle would skip it)."""
    return _load(folder)[1]


def journal_dialect(folder: Path) -> str:
    """The safeshift dialect of the folder's SQL and snapshots (``postgresql`` or ``mysql``), from its journal.

    drizzle-kit writes one folder per dialect, so the journal's ``dialect`` says which SQL every file
    holds, which converter reads its snapshots and where drizzle's migrator keeps its history."""
    return _load(folder)[0]


def _load(folder: Path) -> tuple[str, tuple[Entry, ...]]:
    path = journal_path(folder)
    shown = f"{Path(folder).name}/{META_DIR}/{JOURNAL}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MigrationsError(f"Cannot read {shown} ({exc.strerror}); run `drizzle-kit generate`.") from exc
    except ValueError as exc:
        raise MigrationsError(f"{shown} is not valid JSON ({exc}); restore it from version control.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise MigrationsError(f"{shown} has no \"entries\" list; restore it from version control.")
    dialect = data.get("dialect")
    if dialect not in DIALECTS:
        raise MigrationsError(
            f"{shown} is for dialect {dialect!r}; safeshift runs drizzle-kit folders for PostgreSQL (dialect "
            "\"postgresql\") and MySQL/MariaDB (dialect \"mysql\") only."
        )
    out: list[Entry] = []
    for i, raw in enumerate(data["entries"]):
        tag, when = (raw.get("tag"), raw.get("when")) if isinstance(raw, dict) else (None, None)
        if not isinstance(tag, str) or not tag or not isinstance(when, int) or isinstance(when, bool):
            raise MigrationsError(f"{shown} entry {i} lacks a \"tag\" string or a \"when\" number; "
                                  "restore the journal from version control.")
        out.append(Entry(tag, when, bool(raw.get("breakpoints", True))))
    return DIALECTS[dialect], tuple(out)

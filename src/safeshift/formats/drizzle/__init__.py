"""drizzle-kit migration folders, run by safeshift exactly as drizzle-orm's migrator would run them.

A drizzle-kit ``out`` folder holds ``NNNN_tag.sql`` files split by ``--> statement-breakpoint``
and ``meta/_journal.json`` listing them (``tag``, ``when`` in ms).  drizzle-orm's migrator
reads the journal in order, hashes each file's text with sha256, and in ONE transaction applies
every migration whose ``when`` is newer than the ``created_at`` of the newest row in
``drizzle.__drizzle_migrations``, inserting ``(hash, when)``.

Here the folder becomes ordinary ``Migration`` values and the history stays in drizzle's own
table, so either tool can take over from the other.  Where drizzle would silently skip a
migration (an entry older than the newest applied one but never applied, or a row whose file
is gone) safeshift refuses, as it does for its own folders.  One module per job:

- ``journal``: ``meta/_journal.json``, whether a folder is drizzle-kit's and for which dialect;
- ``folder``: the folder read as migrations (drizzle's hashes, its statement breakpoints);
- ``store``: the history in ``drizzle.__drizzle_migrations`` plus safeshift's facts table;
- ``snapshot``: ``meta/NNNN_snapshot.json`` → ``model.Schema`` (expected schema, down SQL); a MySQL
  snapshot through ``mysql_snapshot``;
- ``down``: down SQL derived from the snapshots, kept in ``.safeshift/drizzle-down/``;
- ``fixes``: review fixes that work where a run is one transaction;
- ``accept``: hazards accepted in ``safeshift.accept.toml`` beside the files, which drizzle hashes;
- ``mysql_write``: the next migration of a MySQL folder, written by `safeshift generate` as drizzle-kit would.

The names below are the package's surface (``drizzle.read_folder``, ``drizzle.DrizzleStore``, …).
"""

from __future__ import annotations

from typing import Any

from safeshift.formats.drizzle.down import DOWN_DIR, attach_down, down_dir, down_text
from safeshift.formats.drizzle.errors import SnapshotError
from safeshift.formats.drizzle.fixes import drizzle_fix
from safeshift.formats.drizzle.folder import drizzle_hash, read_folder, split_statements, version_width
from safeshift.formats.drizzle.journal import (
    BREAKPOINT,
    DIALECT_NAMES,
    JOURNAL,
    Entry,
    journal_dialect,
    journal_path,
    read_journal,
    resolve_format,
)
from safeshift.formats.drizzle.snapshot import (
    _Snapshot,  # the converter class: tests count its conversions
    expected_schema,
    snapshot_file,
    snapshot_schema,
)
from safeshift.formats.drizzle.store import DRIZZLE_ONLY, DrizzleStore, facts_table, names

#: the folders' dialects whose next migration `safeshift generate` writes in drizzle-kit's form (``write_next``)
WRITTEN_DIALECTS = ("mysql",)


def write_next(*args: Any, **kwargs: Any) -> Any:
    """``mysql_write.write_next``, imported only when a migration is written."""
    from safeshift.formats.drizzle.mysql_write import write_next as write

    return write(*args, **kwargs)

__all__ = [
    "BREAKPOINT",
    "DIALECT_NAMES",
    "DOWN_DIR",
    "DRIZZLE_ONLY",
    "JOURNAL",
    "WRITTEN_DIALECTS",
    "DrizzleStore",
    "Entry",
    "SnapshotError",
    "_Snapshot",
    "attach_down",
    "down_dir",
    "down_text",
    "drizzle_fix",
    "drizzle_hash",
    "expected_schema",
    "facts_table",
    "journal_dialect",
    "journal_path",
    "names",
    "read_folder",
    "read_journal",
    "resolve_format",
    "snapshot_file",
    "snapshot_schema",
    "split_statements",
    "version_width",
    "write_next",
]

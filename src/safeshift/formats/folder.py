"""A migrations folder read in the format it has: safeshift's own, or a drizzle-kit ``out`` folder.

The one place that asks which format a folder is: the configuration's ``format`` when it says,
else drizzle-kit's ``meta/_journal.json`` means drizzle.  Both formats sit below this module and
never import each other for it.
"""

from __future__ import annotations

from pathlib import Path

from safeshift import drizzle, migrations
from safeshift.config import FolderSettings, Format


def read(path: Path, format: Format | None = None, settings: FolderSettings | None = None) -> migrations.MigrationFolder:
    """Every migration in ``path``, in version order; ``format`` None: detected (``migrations.folder_format``).
    ``settings``: a drizzle folder's, when the caller has them (else looked up from the path)."""
    path = Path(path)
    if (format or migrations.folder_format(path)) == "drizzle":
        return drizzle.read_folder(path, settings)
    return migrations.read_folder(path)

"""A migrations folder read in the format it has: safeshift's own, or a drizzle-kit ``out`` folder.

The one place that asks which format a folder is: the configuration's ``format`` when it says,
else drizzle-kit's ``meta/_journal.json`` means drizzle.  Both formats sit below this module and
never import each other for it.  What differs between them (history store, seal, how a run goes,
review fixes) is asked of the folder's format object (``of(folder)``), never by comparing names.  The
drizzle reader is imported only where a drizzle folder is at hand: a command on safeshift's own folder
(``safeshift verify`` above all) never loads it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from safeshift.config import FolderSettings, Format
from safeshift.errors import ConfigError
from safeshift.formats import safeshift as migrations
from safeshift.formats.base import Store
from safeshift.text import redact_url

if TYPE_CHECKING:
    from safeshift.dialects import Dialect
    from safeshift.lint import Finding


def read(path: Path, format: Format | None = None, settings: FolderSettings | None = None) -> migrations.MigrationFolder:
    """Every migration in ``path``, in version order; ``format`` None: detected (``migrations.folder_format``).
    ``settings``: a drizzle folder's, when the caller has them (else looked up from the path)."""
    path = Path(path)
    if (format or migrations.folder_format(path)) == "drizzle":
        from safeshift.formats import drizzle

        return drizzle.read_folder(path, settings)
    return migrations.read_folder(path)


def empty(path: Path, settings: FolderSettings) -> migrations.MigrationFolder:
    """A folder with no migrations in the configured format (which names its history table), for reading a
    database's history when the folder itself is not there."""
    if settings.format == "drizzle":
        return migrations.MigrationFolder(path, (), format="drizzle",
                                          history_table=(settings.drizzle_schema, settings.drizzle_table))
    return migrations.MigrationFolder(path, ())


# -- what differs between the formats, asked of the folder's format object -----------------------------

class SafeshiftFolder:
    """safeshift's own folder: written by `safeshift generate`, sealed by safeshift.sum, history in
    ``safeshift_migrations``, one transaction per migration (or per step)."""

    #: `safeshift generate`, `rehash` and `drop` write it
    written_by_safeshift = True
    #: a hazard is acknowledged in the file, by a `-- safeshift:allow RULE reason` comment above the statement
    allow_comments = True

    def store(self, folder: migrations.MigrationFolder, facts: Callable[..., Store]) -> Store:
        return facts()

    def check_sealed(self, folder: migrations.MigrationFolder, command: str) -> None:
        if folder.migrations:
            migrations.check_sealed(folder.path, command)

    #: drizzle's migrator applies a whole run in one transaction; safeshift's runner one per migration
    one_transaction = False

    def check_dialect(self, dialect: Dialect, url: str, folder: migrations.MigrationFolder) -> None:
        """Any dialect runs safeshift's folders (generate wrote them for the project's)."""

    def with_down_sql(self, folder: migrations.MigrationFolder, settings: FolderSettings
                      ) -> migrations.MigrationFolder:
        return folder  # the down sections are in the files

    def fix_findings(self, findings: list[Finding]) -> list[Finding]:
        return findings


class DrizzleFolder:
    """A drizzle-kit ``out`` folder: written by drizzle-kit, sealed by drizzle's own hashes, history in
    drizzle's table, run as drizzle's migrator runs it (one transaction) with down SQL from its snapshots."""

    written_by_safeshift = False
    #: drizzle records each file's sha256, so hazards are accepted beside the files (`safeshift review --accept`)
    allow_comments = False

    def store(self, folder: migrations.MigrationFolder, facts: Callable[..., Store]) -> Store:
        from safeshift.formats import drizzle

        return drizzle.DrizzleStore.for_folder(folder, facts(drizzle.facts_table(folder)))

    def check_sealed(self, folder: migrations.MigrationFolder, command: str) -> None:
        """drizzle's checksums are its hashes, checked against its table: there is no sum file."""

    one_transaction = True

    def check_dialect(self, dialect: Dialect, url: str, folder: migrations.MigrationFolder) -> None:
        """A drizzle-kit folder runs only on a database whose dialect says it can, and is the one its journal
        names (its SQL is that dialect's)."""
        from safeshift.formats import drizzle

        kind = drizzle.journal_dialect(folder.path)
        if not dialect.capabilities.drizzle_folders or dialect.name != kind:
            shown = drizzle.DIALECT_NAMES[kind]
            raise ConfigError(f"{redact_url(url)} is a {dialect.name} database, but the migrations are a drizzle-kit "
                              f"folder for {shown}; give a {shown} URL.")

    def with_down_sql(self, folder: migrations.MigrationFolder, settings: FolderSettings
                      ) -> migrations.MigrationFolder:
        """Down SQL from drizzle's snapshots, kept in .safeshift/drizzle-down/ for review."""
        from safeshift.formats import drizzle

        return drizzle.attach_down(folder, settings, write=True)

    def check_declared(self, folder: migrations.MigrationFolder, dialect: Dialect, where: str) -> None:
        """The project's dialect (``where`` names its configuration) must be the folder's: review and generate
        read the folder's SQL and snapshots as that dialect's, where no URL says otherwise."""
        from safeshift.formats import drizzle

        kind = drizzle.journal_dialect(folder.path)
        if dialect.name != kind:
            raise ConfigError(f"{folder.path.name}/ is a drizzle-kit folder for {drizzle.DIALECT_NAMES[kind]}, but "
                              f"the project's dialect is {dialect.name}; set dialect = \"{kind}\" in {where}.")

    def writes_next(self, folder: migrations.MigrationFolder) -> bool:
        """Whether `safeshift generate` writes the folder's next migration in drizzle-kit's form: where safeshift
        writes drizzle-kit's snapshot format for the folder's dialect (MySQL); else drizzle-kit must."""
        from safeshift.formats import drizzle

        return drizzle.journal_dialect(folder.path) in drizzle.WRITTEN_DIALECTS

    def fix_findings(self, findings: list[Finding]) -> list[Finding]:
        """Fixes that work where the pending migrations run in one transaction (``drizzle.drizzle_fix``)."""
        from safeshift.formats import drizzle

        return [drizzle.drizzle_fix(f) for f in findings]


FolderFormat = SafeshiftFolder | DrizzleFolder
_FORMATS: dict[str, FolderFormat] = {"safeshift": SafeshiftFolder(), "drizzle": DrizzleFolder()}


def of(folder: migrations.MigrationFolder) -> FolderFormat:
    """The format object of a folder read by ``read``."""
    return _FORMATS[folder.format]


def drizzle_folder(path: Path, settings: FolderSettings | None) -> migrations.MigrationFolder | None:
    """The drizzle-kit folder at ``path`` (the configured ``format``, else detected), or None for safeshift's."""
    from safeshift.config import folder_settings

    settings = settings if settings is not None else folder_settings(path)
    from safeshift.formats import drizzle

    if not path.is_dir() or drizzle.resolve_format(path, settings) != "drizzle":
        return None
    return drizzle.read_folder(path, settings)


def refuse_safeshift_writes(path: Path, settings: FolderSettings, command: str) -> None:
    """drizzle-kit writes a drizzle folder and drizzle's hashes seal it: generate, rehash and drop have no part
    there.  The format is decided as migrate and review decide it: a configured ``format`` wins over a stray
    ``meta/_journal.json``."""
    from safeshift.formats import drizzle

    if settings.format != "drizzle" and not (path.is_dir() and drizzle.resolve_format(path, settings) == "drizzle"):
        return
    if command == "safeshift drop":
        raise ConfigError(f"{path.name}/ is a drizzle-kit folder, which drizzle-kit owns: remove its last migration "
                          "with `npx drizzle-kit drop` instead of `safeshift drop`.")
    if command == "safeshift rehash":
        raise ConfigError(f"{path.name}/ is a drizzle-kit folder: drizzle-kit generates it (`npx drizzle-kit "
                          "generate`) and drizzle's own hashes seal it, so there is no safeshift.sum to re-seal.")
    raise ConfigError(f"{path.name}/ is a drizzle-kit folder, which drizzle-kit generates from your TypeScript "
                      f"schema; run `npx drizzle-kit generate` (`--custom` for hand-written SQL) instead of "
                      f"`{command}`.")

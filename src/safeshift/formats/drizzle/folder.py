"""A drizzle-kit folder read as safeshift ``Migration`` values, exactly as drizzle's migrator reads it.

drizzle-orm's migrator (``migrator.js`` ``readMigrationFiles``) reads the journal in order,
hashes each file's text with sha256 and cuts it at every ``--> statement-breakpoint``.  Here
each entry becomes a ``Migration`` whose version is its position (``0000``, ``0001``, …) and
whose checksum is drizzle's hash, so safeshift's runner and drizzle's table agree on what was
applied; the down sections come from ``down.py``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from safeshift import config as cfg
from safeshift.errors import MigrationsError
from safeshift.formats.drizzle.accept import attach_accepted
from safeshift.formats.drizzle.down import attach_down
from safeshift.formats.drizzle.journal import BREAKPOINT, JOURNAL, journal_dialect, read_journal
from safeshift.formats.drizzle.snapshot import snapshot_file
from safeshift.formats.safeshift import META_DIR, MigrationFolder
from safeshift.sections import Allow, Migration, SqlStatement, parse_sql_allows


def drizzle_hash(text: str) -> str:
    """drizzle's ``hash``: sha256 hex of the file's text (``readFileSync().toString()``, UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split_statements(text: str, label: str) -> tuple[tuple[SqlStatement, ...], tuple[Allow, ...]]:
    """The statements drizzle's migrator runs, with their lines in the file, and every allow directive
    (also those below a piece's last statement, which no statement carries: they cover the file).

    Like drizzle, the text is first cut at every ``--> statement-breakpoint`` (a plain
    string split); each piece is then split into statements by safeshift's parser, which also
    reads ``-- safeshift:allow`` directives.  The piece is parsed behind as many newlines as
    precede it, so lines (and error messages) count from the top of the file.
    """
    out: list[SqlStatement] = []
    allows: list[Allow] = []
    offset = 0
    for chunk in text.split(BREAKPOINT):
        lines_before = text.count("\n", 0, offset)
        statements, found = parse_sql_allows("\n" * lines_before + chunk, label)
        allows += found
        for st in statements:
            if not st.transactional or st.new_transaction:
                directive = "no-transaction" if not st.transactional else "new-transaction"
                raise MigrationsError(
                    f"{label} line {st.line}: `-- safeshift:{directive}` cannot apply in a drizzle folder, whose "
                    "migrations run in one transaction (as drizzle's migrator runs them); remove the directive."
                )
            out.append(st)
        offset += len(chunk) + len(BREAKPOINT)
    return tuple(out), tuple(allows)


def version_width(count: int) -> int:
    return max(4, len(str(max(count - 1, 0))))


def history_table(folder: Path, settings: cfg.FolderSettings) -> tuple[str, str]:
    """(schema, table) of drizzle's history table for the folder's dialect.

    drizzle's MySQL migrator has ``migrationsTable`` but no ``migrationsSchema``: its table lives in the
    database the URL names (the model's one namespace), so a configured schema would be silently ignored
    by drizzle and is refused here instead."""
    from safeshift.dialects import get_dialect

    d = get_dialect(journal_dialect(folder))
    if d.capabilities.schemas:
        return settings.drizzle_schema, settings.drizzle_table
    if settings.drizzle_schema != cfg.DRIZZLE_SCHEMA:
        raise MigrationsError(
            f"{folder.name}/ is a drizzle-kit folder for {d.name}, whose migrator keeps its table in the database "
            f"the URL names and has no migrationsSchema; remove `migrations_schema = \"{settings.drizzle_schema}\"` "
            "from [drizzle] in the configuration.")
    return d.default_schema, settings.drizzle_table


def read_folder(folder: Path, settings: cfg.FolderSettings | None = None) -> MigrationFolder:
    """A drizzle-kit folder as safeshift migrations, in journal order (the order drizzle applies them)."""
    folder = Path(folder)
    settings = settings if settings is not None else cfg.folder_settings(folder)
    entries = read_journal(folder)
    width = version_width(len(entries))
    found: list[Migration] = []
    for i, entry in enumerate(entries):
        path = folder / f"{entry.tag}.sql"
        label = f"{folder.name}/{path.name}"
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise MigrationsError(
                f"{folder.name}/{META_DIR}/{JOURNAL} lists {entry.tag}, but {label} cannot be read ({exc.strerror}); "
                "restore the file or regenerate the folder with drizzle-kit."
            ) from exc
        # Node's Buffer.toString(): invalid UTF-8 becomes U+FFFD, a BOM stays part of the text
        text = raw.decode("utf-8", errors="replace")
        statements, allows = split_statements(text, label)
        version = f"{i:0{width}d}"
        # drizzle-kit's index prefix is the position, which the version already says; any other (a timestamp, a
        # merged branch's number) stays in the name, so that status and every message name the file as it is
        name = (entry.tag[len(version) + 1:] if entry.tag.startswith(f"{version}_") else "") or entry.tag
        found.append(Migration(
            version=version, name=name, path=path, up_sql=text.strip(), down_sql="",
            up_statements=statements, down_statements=(),
            allows=allows,
            sha256=drizzle_hash(text), created_at=entry.when,
        ))
    result = MigrationFolder(path=folder, migrations=tuple(found), format="drizzle",
                             snapshot_versions=tuple(m.version for m in found
                                                     if snapshot_file(folder, m.path.stem).is_file()),
                             history_table=history_table(folder, settings))
    return attach_accepted(attach_down(result, settings))  # hazards accepted beside the files (accept.py)

"""Down SQL for drizzle-kit migrations, which come without any: derived from the snapshots, kept in files.

Each migration's down SQL is derived from the snapshots before and after it
(``snapshot.py`` → ``diff`` → ``plan.render``'s down section) and kept in
``.safeshift/drizzle-down/<version>.sql`` for review and hand edits (not in ``meta/``:
drizzle-kit reads every JSON file there as a snapshot).  A file names the sha256 of the
migration it was made for, so a regenerated migration gets a new one and a hand-edited one is
never overwritten; ``rollback`` runs it and deletes drizzle's row in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from safeshift import config as cfg
from safeshift.errors import SafeshiftError
from safeshift.formats.drizzle.snapshot import Snapshots, rename_hints, snapshot_file
from safeshift.formats.safeshift import MigrationFolder
from safeshift.sections import Migration, parse_sql

DOWN_DIR = "drizzle-down"
_DOWN_FOR = re.compile(r"^-- down SQL for (?P<file>\S+) \(sha256 (?P<sha>[0-9a-f]{64})\), written by safeshift$",
                       re.MULTILINE)
#: statements drizzle-kit never generates: their presence means hand edits the snapshots cannot see
_DATA_STATEMENT = re.compile(r"\s*(?:--[^\n]*\n\s*)*(?:INSERT|UPDATE|DELETE|MERGE|TRUNCATE|COPY)\b", re.IGNORECASE)
_IRREVERSIBLE = re.compile(r"^[ \t]*--[ \t]*safeshift:irreversible[ \t]*$", re.MULTILINE)
_NEWLINES = re.compile(r"\r\n?")


def down_dir(folder: Path, settings: cfg.FolderSettings | None = None) -> Path:
    """``.safeshift/drizzle-down/`` of the project (the folder's parent when no configuration owns it)."""
    settings = settings if settings is not None else cfg.folder_settings(folder)
    root = settings.root if settings.root is not None else Path(folder).resolve().parent
    return root / ".safeshift" / DOWN_DIR


def down_text(folder: MigrationFolder, index: int, snapshots: Snapshots | None = None) -> str:
    """The down file of the migration at ``index``: derived from the snapshots before and after it.

    A migration that leaves the snapshot unchanged (drizzle-kit's ``--custom``, hand-written
    SQL) or whose snapshots safeshift cannot read gets a file saying so, marked irreversible,
    for a person to fill in.  ``snapshots``: those already converted in this pass.
    """
    from safeshift.dialects import get_dialect
    from safeshift.diff import diff
    from safeshift.model import make_schema
    from safeshift.plan import render
    from safeshift.renames import AssumeNew

    m = folder.migrations[index]
    head = [f"-- down SQL for {folder.path.name}/{m.path.name} (sha256 {m.sha256}), written by safeshift"]
    snapshots = snapshots or Snapshots(get_dialect("postgresql"))
    d = snapshots.d
    after_path = snapshot_file(folder.path, m.path.stem)
    before_path = snapshot_file(folder.path, folder.migrations[index - 1].path.stem) if index else None
    try:
        data, after = snapshots.load(after_path)
        before = snapshots.load(before_path)[1] if before_path is not None else make_schema(d.name)
        changes = diff(before, after, rename_hints(data, d.default_schema), AssumeNew(), d.default_schema,
                       d.view_dependencies)
        statements = render(changes, before, after, d).down if changes else []
    except SafeshiftError as exc:
        return "\n".join([*head, f"-- The snapshots cannot give its down SQL: {exc.message}",
                          "-- Write the down SQL below and delete the next line.", "-- safeshift:irreversible", ""])
    if not changes:
        return "\n".join([
            *head,
            f"-- {before_path.name if before_path else 'An empty schema'} and {after_path.name} are the same (a "
            "custom or hand-written migration),",
            "-- so the snapshots cannot give its down SQL. Write it below and delete the next line.",
            "-- safeshift:irreversible", ""])
    source = f"meta/{before_path.name} and meta/{after_path.name}" if before_path else f"meta/{after_path.name}"
    out = [*head, f"-- Derived from {source}; review it. Hand edits are kept while the sha256 above",
           "-- matches the migration (a regenerated migration gets a new file).", ""]
    edits = [st for st in m.up_statements if _DATA_STATEMENT.match(st.sql)]
    if edits:  # drizzle-kit writes DDL only: these were added by hand, and the snapshots know nothing of them
        out[-1:-1] = ["-- NOTE: the migration was edited by hand: it also changes data, which the snapshots do not",
                      "-- record, so this down SQL undoes only the schema change. Undo the data below by hand, or",
                      "-- restore a backup:",
                      *(f"--   line {st.line}: {' '.join(st.sql.split())[:100]}" for st in edits)]
    for st in statements:
        out += [f"-- {line}".rstrip() for line in (st.comment or "").splitlines()]
        if not st.transactional:
            out.append("-- safeshift:no-transaction")
        sql = st.sql.strip().rstrip(";").rstrip()
        out += [sql + ("\n;" if "--" in sql.rsplit("\n", 1)[-1] else ";"), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _with_down_file(m: Migration, path: Path, text: str | None) -> Migration:
    """``m`` with the down section of its down file's ``text`` (None: there is none), when that file was
    made for this exact migration."""
    if text is None:
        return m
    header = _DOWN_FOR.search(text)
    if header is None or header["sha"] != m.sha256:
        return m
    statements = parse_sql(text, f"{path.parent.name}/{path.name}")
    return replace(m, down_sql=text.strip(), down_statements=statements, has_down=bool(statements),
                   irreversible=_IRREVERSIBLE.search(text) is not None)


def attach_down(folder: MigrationFolder, settings: cfg.FolderSettings | None = None, *,
                write: bool = False) -> MigrationFolder:
    """The folder with each migration's down section from ``.safeshift/drizzle-down/<version>.sql``.

    ``write``: first write the down file of every migration that has none made for its
    current text (never touching one that is, so hand edits stay).
    """
    from safeshift.dialects import get_dialect

    where = down_dir(folder.path, settings)
    snapshots = Snapshots(get_dialect("postgresql"))  # converted only when a down file is written
    out: list[Migration] = []
    for i, m in enumerate(folder.migrations):
        path = where / f"{m.version}.sql"
        current = _with_down_file(m, path, path.read_text(encoding="utf-8") if path.is_file() else None)
        if write and current.down_sql == "":
            text = down_text(folder, i, snapshots)
            where.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            # what reading the file back would give (universal newlines), without reading it
            current = _with_down_file(m, path, _NEWLINES.sub("\n", text))
        out.append(current)
    return replace(folder, migrations=tuple(out))

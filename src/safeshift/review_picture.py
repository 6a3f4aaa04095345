"""What the picture of a review is drawn from: the folder's schemas around the reviewed migrations, the
tables the SQL names where no snapshot records a change, and the last rehearsal of those migrations.

The drawing itself is pure (``safeshift.picture``); this module reads files.  The schema before is
the one after the migration preceding the first reviewed one (its snapshot, or the newest one
before it), the schema after is the one after the last reviewed migration.  A migration whose
snapshot records no change of its own (a hand-written one: none was written, or a copy of the one
before) is drawn by the tables its SQL names, as touched, and a note says so; so is a reviewed
file that is not a migration of the folder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safeshift.config import FolderSettings
from safeshift.formats import drizzle
from safeshift.formats import folder as formats
from safeshift.formats import safeshift as migrations
from safeshift.formats.safeshift import MigrationFolder
from safeshift.lint import Finding
from safeshift.model import Schema
from safeshift.picture import Diagram, build, markdown_section, tables_named
from safeshift.picture.page import MigrationTiming, RehearsalView, SqlFile, StatementTiming, render_page
from safeshift.sections import Migration
from safeshift.text import display_path

REHEARSALS = Path(".safeshift") / "rehearsals"


@dataclass(frozen=True)
class Picture:
    diagram: Diagram
    #: what the diagram could not show exactly, one sentence each
    notes: tuple[str, ...] = ()

    def markdown(self) -> str:
        return markdown_section(self.diagram, self.notes)


def _schema_after(folder: MigrationFolder, upto: Sequence[Migration], dialect: str) -> Schema | None:
    """The schema the migrations ``upto`` (a prefix of the folder's) leave; None: none of them (an empty database)."""
    if not upto:
        return None
    if not formats.of(folder).written_by_safeshift:
        return drizzle.expected_schema(folder, [m.version for m in upto])
    last = upto[-1].version
    found = [p for v, p in migrations.snapshot_files(folder.path) if v <= last]
    return migrations.read_snapshot(found[-1]) if found else None


def _own_snapshot(folder: MigrationFolder, m: Migration) -> bool:
    if formats.of(folder).written_by_safeshift:
        return migrations.snapshot_path(folder.path, m.version).is_file()
    return drizzle.snapshot_file(folder.path, m.path.stem).is_file()


def _records_no_change(folder: MigrationFolder, ms: Sequence[Migration], i: int, dialect: str) -> bool:
    """Whether migration ``i``'s own snapshot is the schema before it (a hand-written migration's copy).
    safeshift's snapshots are compared as text (equal schemas are written alike), so only the two
    schemas the diagram is drawn from are ever parsed; drizzle-kit's carry ids, so theirs are compared parsed."""
    if not formats.of(folder).written_by_safeshift:
        return _schema_after(folder, ms[: i + 1], dialect) == _schema_after(folder, ms[:i], dialect)
    mine = migrations.snapshot_path(folder.path, ms[i].version)
    earlier = [p for v, p in migrations.snapshot_files(folder.path) if v < ms[i].version]
    if not earlier:
        return not migrations.read_snapshot(mine).tables
    return earlier[-1].read_bytes() == mine.read_bytes()


def picture_of(paths: Sequence[Path], folder_path: Path, *, default_schema: str, dialect: str,
               settings: FolderSettings | None = None) -> Picture:
    """The picture of reviewing ``paths``: migrations of the folder at ``folder_path`` and loose SQL files."""
    folder = formats.read(folder_path, settings=settings) if folder_path.is_dir() else None
    ours = {m.path.resolve(): i for i, m in enumerate(folder.migrations)} if folder is not None else {}
    picked = sorted({ours[p.resolve()] for p in paths if p.resolve() in ours})
    loose = [p for p in paths if p.resolve() not in ours]
    named: set[tuple[str, str]] = set()
    notes: list[str] = []
    before: Schema | None = None
    after: Schema | None = None
    if folder is not None and picked:
        ms = folder.migrations
        before = _schema_after(folder, ms[: picked[0]], dialect)
        after = _schema_after(folder, ms[: picked[-1] + 1], dialect)
        for i in picked:
            m = ms[i]
            own = _own_snapshot(folder, m)
            if not own or _records_no_change(folder, ms, i, dialect):
                found = tables_named(m.up_sql, default_schema)
                named |= found
                why = "has no snapshot of its own" if not own else "changes no table's definition"
                shown = ", ".join(sorted(_label(k, default_schema) for k in found)) or "none"
                notes.append(f"{m.path.name} {why}: the tables its SQL names are drawn as touched ({shown}).")
    elif folder is not None and folder.migrations:
        before = after = _schema_after(folder, folder.migrations, dialect)
    for p in loose:
        found = tables_named(p.read_text(encoding="utf-8"), default_schema)
        named |= found
        shown = ", ".join(sorted(_label(k, default_schema) for k in found)) or "none"
        notes.append(f"{display_path(p)} is not a migration of the folder: the tables its SQL names are drawn "
                     f"as touched, as the folder's last snapshot has them ({shown}).")
    if before is not None and after is None:
        after = before
    missing = sorted(k for k in named if (after is None or after.table(*k) is None)
                     and (before is None or before.table(*k) is None))
    if missing:
        notes.append("Named by the SQL but in no snapshot (not drawn): "
                     + ", ".join(_label(k, default_schema) for k in missing) + ".")
    d = build(before, after if after is not None else Schema(dialect), default_schema=default_schema, named=named)
    return Picture(d, tuple(notes))


def _label(key: tuple[str, str], default_schema: str) -> str:
    return key[1] if key[0] == default_schema else f"{key[0]}.{key[1]}"


# -- the last rehearsal ------------------------------------------------------------------------------

def last_rehearsal(root: Path, reviewed: Sequence[Migration]) -> RehearsalView | None:
    """The newest rehearsal report under ``.safeshift/rehearsals/`` that ran any of ``reviewed`` (by
    version), with the timings and locks of those migrations; None when there is none."""
    folder = root / REHEARSALS
    if not reviewed or not folder.is_dir():
        return None
    wanted = {m.version: m for m in reviewed}
    for path in sorted(folder.glob("*.json"), reverse=True):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict):
            continue
        runs = [r for r in doc.get("migrations", []) if isinstance(r, dict) and r.get("version") in wanted]
        if runs:
            return _view(root, path, doc, runs, wanted)
    return None


def _view(root: Path, path: Path, doc: dict[str, Any], runs: list[dict[str, Any]],
          wanted: dict[str, Migration]) -> RehearsalView:
    found = doc.get("source")
    source: dict[str, Any] = found if isinstance(found, dict) else {}
    mode = str(doc.get("mode") or "")
    where = f"{mode} of {source.get('env', '?')}" if mode.startswith("scratch") else str(source.get("env", "?"))
    out = []
    for r in runs:
        statements = tuple(
            StatementTiming(int(s.get("line") or 0), str(s.get("sql") or ""), float(s.get("ms") or 0.0),
                            tuple(_lock(lk) for lk in s.get("locks", []) if isinstance(lk, dict) and lk.get("new", True)))
            for s in r.get("statements", []) if isinstance(s, dict))
        m = wanted[str(r["version"])]
        out.append(MigrationTiming(f"{r.get('version')}_{r.get('name')}", bool(r.get("applied")),
                                   r.get("ms") if isinstance(r.get("ms"), int) else None, statements,
                                   r.get("checksum") == migrations.checksum(m)))
    return RehearsalView(display_path(path, root), str(doc.get("started_at", "?")), where, doc.get("passed") is True,
                         tuple(out))


def _lock(lk: dict[str, Any]) -> str:
    where = f" on {lk['relation']}" if lk.get("relation") else ""
    return f"{lk.get('mode', '?')}{where}" + (" (documented)" if lk.get("documented") else "")


def write_page(target: Path, *, root: Path, paths: Sequence[Path], findings: Sequence[Finding], picture: Picture,
               folder_path: Path, settings: FolderSettings | None = None) -> Path:
    """Write the HTML review page of ``paths`` to ``target`` and return it."""
    folder = formats.read(folder_path, settings=settings) if folder_path.is_dir() else None
    mine = {m.path.resolve(): m for m in folder.migrations} if folder is not None else {}
    reviewed = [mine[p.resolve()] for p in paths if p.resolve() in mine]
    files = [SqlFile(str(p), p.read_text(encoding="utf-8")) for p in paths]
    rehearsal = last_rehearsal(root, reviewed)
    names = ", ".join(p.name for p in paths) or "nothing"
    text = render_page(title=f"safeshift review: {names}", diagram=picture.diagram, files=files,
                       findings=findings, rehearsal=rehearsal, notes=picture.notes)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target

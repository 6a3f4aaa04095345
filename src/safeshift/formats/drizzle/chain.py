"""Which snapshot a drizzle migration's down SQL goes back to: the snapshot chain, checked against the journal.

drizzle-kit links each snapshot to the one it was generated from (``prevId`` names that
snapshot's ``id``).  After two branches are merged, the journal lists both branches'
migrations one after the other, while each snapshot still follows its own branch's
predecessor: the snapshot before a migration in the journal is then not the schema its SQL
was generated against, and a down SQL diffed against it undoes the other branch too (drops
its tables).  So the "before" of a migration is the snapshot its ``prevId`` names; where the
chain cannot say (the snapshot it names is missing, comes later in the journal, or two
snapshots share one ``id``), there is no safe down SQL and ``Before.problem`` says why, naming
both snapshots.  ``Before.others`` lists the migrations the journal applies between the two,
which the down SQL must leave alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safeshift.formats.drizzle.snapshot import snapshot_file
from safeshift.formats.safeshift import META_DIR, MigrationFolder

#: the ``prevId`` of a chain's first snapshot
ROOT_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Before:
    """The schema a migration's down SQL returns to: a snapshot file, or the empty schema (``path`` None)."""

    path: Path | None
    #: why there is no safe "before" (one sentence without its remedy); None: ``path`` is it
    problem: str | None = None
    #: snapshot files of migrations the journal applies between ``path``'s and this one (other branches)
    others: tuple[Path, ...] = field(default=())


@dataclass(frozen=True)
class _Link:
    id: str | None
    prev: str | None


def _read_link(path: Path) -> _Link | None:
    """``id`` and ``prevId`` of a snapshot file (None: it cannot be read; the conversion says why later)."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    ident, prev = data.get("id"), data.get("prevId")
    return _Link(ident if isinstance(ident, str) else None, prev if isinstance(prev, str) else None)


class Chain:
    """The folder's snapshot chain, read once per down-file pass."""

    def __init__(self, folder: MigrationFolder) -> None:
        self.folder = folder
        self.meta = folder.path / META_DIR
        self.files = [snapshot_file(folder.path, m.path.stem) for m in folder.migrations]
        self.links: dict[Path, _Link | None] = {}
        #: snapshot id -> the journal positions whose snapshot has it
        self.by_id: dict[str, list[int]] = {}
        for i, path in enumerate(self.files):
            link = self.link(path)
            if link is not None and link.id:
                self.by_id.setdefault(link.id, []).append(i)

    def link(self, path: Path) -> _Link | None:
        if path not in self.links:
            self.links[path] = _read_link(path) if path.is_file() else None
        return self.links[path]

    def shown(self, path: Path) -> str:
        return f"{META_DIR}/{path.name}"

    def before(self, index: int) -> Before:
        """The "before" of the migration at journal position ``index`` (see the module's docstring)."""
        m = self.folder.migrations[index]
        after = self.files[index]
        previous = self.files[index - 1] if index else None
        if not after.is_file():
            return Before(None, f"its snapshot {self.shown(after)} is missing")
        link = self.link(after)
        if link is None or link.prev is None or link.id is None:
            # a snapshot without the chain's ids (or unreadable: the conversion will say so): the journal's order
            if previous is not None and not previous.is_file():
                return Before(None, f"the snapshot before it, {self.shown(previous)}, is missing")
            return Before(previous)
        if len(self.by_id.get(link.id, ())) > 1:
            twin = self.files[next(j for j in self.by_id[link.id] if j != index)]
            return Before(None, f"its snapshot {self.shown(after)} has the same id as {self.shown(twin)}, so the "
                                "chain of snapshots cannot say which came first")
        if link.prev == ROOT_ID:
            if index == 0:
                return Before(None)
            return Before(None, f"its snapshot {self.shown(after)} starts a new chain of snapshots (its prevId is "
                                f"the root) although the journal applies {index} migration(s) before it, the last "
                                f"with {self.shown(previous or after)}")
        found = self.by_id.get(link.prev, [])
        if len(found) > 1:
            a, b = (self.files[j] for j in found[:2])
            return Before(None, f"its snapshot {self.shown(after)} follows a snapshot whose id both {self.shown(a)} "
                                f"and {self.shown(b)} have")
        if not found:
            elsewhere = self._outside_journal(link.prev)
            if elsewhere is not None:
                return Before(None, f"its snapshot {self.shown(after)} follows {self.shown(elsewhere)}, whose "
                                    f"migration is not in the journal")
            if previous is not None and not previous.is_file():
                return Before(None, f"the snapshot before it, {self.shown(previous)}, is missing")
            gone = [self.shown(p) for p in self.files[:index] if not p.is_file()]
            return Before(None, f"its snapshot {self.shown(after)} follows a snapshot (id {link.prev}) that is not "
                                f"in {META_DIR}/" + (f" ({', '.join(gone)} of the journal is missing)" if gone else ""))
        j = found[0]
        if j >= index:
            return Before(None, f"its snapshot {self.shown(after)} follows {self.shown(self.files[j])}, but the "
                                f"journal applies {self.folder.migrations[j].path.name} after {m.path.name}")
        ancestors = self._ancestors(index)
        others = tuple(self.files[k] for k in range(j + 1, index) if k not in ancestors)
        return Before(self.files[j], None, others)

    def _ancestors(self, index: int) -> set[int]:
        """The journal positions of the snapshots ``index``'s snapshot descends from."""
        seen: set[int] = set()
        at = index
        while True:
            link = self.link(self.files[at])
            found = self.by_id.get(link.prev, []) if link is not None and link.prev else []
            if len(found) != 1 or found[0] in seen or found[0] >= at:
                return seen
            at = found[0]
            seen.add(at)

    def _outside_journal(self, ident: str) -> Path | None:
        mine = set(self.files)
        for path in sorted(self.meta.glob("*_snapshot.json")):
            if path in mine:
                continue
            link = self.link(path)
            if link is not None and link.id == ident:
                return path
        return None

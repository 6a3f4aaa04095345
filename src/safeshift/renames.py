"""Rename detection and the questioner that settles it.

A table or column that disappears while a similar one appears is either a rename (keep
the data) or a drop plus a create (lose it).  Only a person can tell, so the diff asks a
questioner — Django's autodetector/questioner split: the diff finds candidates, the
questioner decides.  Up-front answers (``--rename``, ``--no-rename``) come first; a
terminal prompt may answer the rest; otherwise we refuse, never silently drop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from safeshift.errors import AmbiguousRename, ConfigError

#: what a questioner answers for "is ADDED a rename of one of CANDIDATES?": a candidate or None (new object)
Answer = str | None


class Questioner(Protocol):
    def choose(self, kind: str, container: str, added: str, candidates: Sequence[str]) -> Answer:
        """``kind`` is "table" or "column"; ``container`` the schema or table holding both."""
        ...


class AssumeNew:
    """Answers every rename question with "created": look-alikes stay drop + create, and nobody is asked.

    For comparisons that only report (``generate --check``, drift) or where the renames were
    settled elsewhere (drizzle-kit asked when it generated the migration).
    """

    def choose(self, kind: str, container: str, added: str, candidates: Sequence[str]) -> None:
        return None


@dataclass(frozen=True)
class RenameHints:
    """Answers given up front.  Keys use the names as they stand in the old schema."""

    #: (schema, old table) -> new table
    tables: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (schema, table, old column) -> new column; table may be the old or the new name
    columns: dict[tuple[str, str, str], str] = field(default_factory=dict)
    #: objects declared really dropped: ("table", schema, name) / ("column", schema, table, name)
    dropped: frozenset[tuple[str, ...]] = frozenset()


def parse_hints(renames: Iterable[str], no_renames: Iterable[str], default_schema: str,
                table_exists: TableLookup) -> RenameHints:
    """Turn ``--rename`` / ``--no-rename`` flag values into hints.

    ``old=new`` renames a table; ``table.old=new`` a column; ``schema.table=new`` is a
    table when ``schema.table`` names an existing table, else a column of table ``schema``.
    """
    tables: dict[tuple[str, str], str] = {}
    columns: dict[tuple[str, str, str], str] = {}
    for raw in renames:
        left, sep, new = raw.partition("=")
        parts = [p for p in left.strip().split(".") if p]
        new = new.strip()
        if not sep or not parts or not new or len(parts) > 3 or "." in new:
            raise ConfigError(
                f"--rename {raw!r} is not of the form old_table=new_table or table.old_column=new_column."
            )
        if len(parts) == 1:
            tables[(default_schema, parts[0])] = new
        elif len(parts) == 2 and table_exists(parts[0], parts[1]):
            tables[(parts[0], parts[1])] = new
        elif len(parts) == 2:
            columns[(default_schema, parts[0], parts[1])] = new
        else:
            columns[(parts[0], parts[1], parts[2])] = new
    dropped: set[tuple[str, ...]] = set()
    for raw in no_renames:
        parts = [p for p in raw.strip().split(".") if p]
        if len(parts) == 1:
            dropped.add(("table", default_schema, parts[0]))
        elif len(parts) == 2 and table_exists(parts[0], parts[1]):
            dropped.add(("table", parts[0], parts[1]))
        elif len(parts) == 2:
            dropped.add(("column", default_schema, parts[0], parts[1]))
        elif len(parts) == 3:
            dropped.add(("column", *parts))
        else:
            raise ConfigError(f"--no-rename {raw!r} is not of the form table or table.column.")
    return RenameHints(tables, columns, frozenset(dropped))


class TableLookup(Protocol):
    def __call__(self, schema: str, name: str) -> bool: ...


@dataclass
class Pending:
    kind: str
    container: str
    added: str
    candidates: tuple[str, ...]


class Resolver:
    """Applies hints, then the questioner, and remembers what is still open to refuse with."""

    def __init__(self, hints: RenameHints | None = None, questioner: Questioner | None = None) -> None:
        self.hints = hints or RenameHints()
        self.questioner = questioner
        self.unresolved: list[Pending] = []
        self.used_hints: set[tuple[str, ...]] = set()

    def table(self, schema: str, added: str, candidates: Sequence[str], removed: Sequence[str]) -> Answer:
        """``removed``: every dropped table (hints may name any); ``candidates``: the look-alikes to ask about."""
        for old in removed:
            if self.hints.tables.get((schema, old)) == added:
                self.used_hints.add(("table", schema, old))
                return old
        open_ = [c for c in candidates if ("table", schema, c) not in self.hints.dropped
                 and (schema, c) not in self.hints.tables]
        return self._ask("table", schema, added, open_)

    def column(self, schema: str, table: str, old_table: str, added: str, candidates: Sequence[str],
               removed: Sequence[str]) -> Answer:
        for old in removed:
            for t in (table, old_table):
                if self.hints.columns.get((schema, t, old)) == added:
                    self.used_hints.add(("column", schema, t, old))
                    return old
        open_ = [c for c in candidates
                 if not any(("column", schema, t, c) in self.hints.dropped for t in (table, old_table))
                 and not any((schema, t, c) in self.hints.columns for t in (table, old_table))]
        return self._ask("column", f"{schema}.{table}", added, open_)

    def _ask(self, kind: str, container: str, added: str, candidates: Sequence[str]) -> Answer:
        if not candidates:
            return None
        if self.questioner is not None:
            return self.questioner.choose(kind, container, added, candidates)
        self.unresolved.append(Pending(kind, container, added, tuple(candidates)))
        return None

    def finish(self, default_schema: str) -> None:
        """Refuse when a candidate was left unanswered, or a hint named nothing that changed."""
        if self.unresolved:
            pairs: list[tuple[str, str]] = []
            lines = []
            for p in self.unresolved:
                short = p.container.removeprefix(default_schema + ".")
                if short == default_schema:
                    short = ""
                prefix = f"{short}." if short else ""
                for old in p.candidates:
                    pairs.append((f"{prefix}{old}", f"{prefix}{p.added}"))
                    lines.append(
                        f"  {p.kind} {prefix}{old} -> {p.added}: --rename {prefix}{old}={p.added}"
                        f"  (or --no-rename {prefix}{old} to drop it)"
                    )
            raise AmbiguousRename(
                "Some dropped and added objects may be renames, and without a terminal safeshift cannot ask; "
                "answer with --rename or --no-rename:\n" + "\n".join(lines),
                tuple(pairs),
            )
        unused: list[tuple[str, ...]] = [("table", s, o) for (s, o) in self.hints.tables
                                         if ("table", s, o) not in self.used_hints]
        unused += [("column", s, t, o) for (s, t, o) in self.hints.columns
                   if ("column", s, t, o) not in self.used_hints]
        if unused:
            names = ", ".join(".".join(u[1:]) for u in unused)
            raise ConfigError(
                f"--rename names {names}, but the schema change has no matching dropped and added object; "
                "check the names against the last snapshot."
            )

"""Down SQL for drizzle-kit migrations, which come without any: derived from the snapshots, kept in files.

Each migration's down SQL is derived from the snapshots before and after it
(``snapshot.py`` → ``diff`` → ``plan.render``'s down section) and kept in
``.safeshift/drizzle-down/<version>.sql`` for review and hand edits (not in ``meta/``:
drizzle-kit reads every JSON file there as a snapshot).  A file names the sha256 of the
migration it was made for, so a regenerated migration gets a new one and a hand-edited one is
never overwritten; ``rollback`` runs it and deletes drizzle's row in the same transaction.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safeshift import config as cfg
from safeshift.errors import SafeshiftError
from safeshift.formats.drizzle.chain import Before, Chain
from safeshift.formats.drizzle.effects import Effects, Key, read_effects
from safeshift.formats.drizzle.journal import journal_dialect
from safeshift.formats.drizzle.mysql_effects import read_mysql_effects
from safeshift.formats.drizzle.snapshot import Snapshots, rename_hints, role_downs, snapshot_file
from safeshift.formats.safeshift import MigrationFolder
from safeshift.sections import Migration, SqlStatement, parse_sql

if TYPE_CHECKING:
    from safeshift.changes import Change
    from safeshift.dialects.base import Dialect
    from safeshift.model import Column, Schema
    from safeshift.renames import RenameHints

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


def down_text(folder: MigrationFolder, index: int, snapshots: Snapshots | None = None,
              chain: Chain | None = None) -> str:
    """The down file of the migration at ``index`` (see ``_derive``), sealed: its last line is a digest of
    the rest, so reading it back can tell it is as safeshift checked it (no need to parse the migration's
    SQL again) from one edited by hand or written before that check existed."""
    return _seal(_derive(folder, index, snapshots, chain))


def _seal(text: str) -> str:
    return f"{text}{_SEAL_LINE}{_digest(text)}\n"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _sealed(text: str) -> bool:
    """Whether ``text`` ends with the seal of everything above it (a file as safeshift wrote it)."""
    body, sep, digest = text.rstrip("\n").rpartition("\n" + _SEAL_LINE)
    return bool(sep) and digest == _digest(body + "\n")


#: the seal's line, last in a down file safeshift wrote
_SEAL_LINE = "-- checked against the migration's SQL by safeshift: "


def _derive(folder: MigrationFolder, index: int, snapshots: Snapshots | None = None,
            chain: Chain | None = None) -> str:
    """The down file of the migration at ``index``: derived from the snapshot it follows and its own.

    The "before" is the snapshot its snapshot's ``prevId`` names (``chain.py``), not the
    journal's previous entry, which after a branch merge is another branch's.  Renames in the
    migration's SQL (and drizzle-kit's rename answers in ``_meta``) are undone by renaming back.
    Whatever would make the down SQL a guess gets a file saying why, marked irreversible, for a
    person to fill in: a snapshot missing or out of the chain's order, SQL the parser rejects, a
    rename safeshift cannot undo, a migration that leaves the snapshot unchanged (drizzle-kit's
    ``--custom``, hand-written SQL), and above all a down SQL that would drop something the
    migration's SQL did not create or create something it did not drop: the snapshots disagree
    with what the migration did, and a down file must never destroy what it did not make.
    ``snapshots`` and ``chain``: those of this pass, read once.
    """
    from safeshift.dialects import get_dialect
    from safeshift.diff import diff
    from safeshift.model import make_schema
    from safeshift.plan import RESTORE_ONLY, render
    from safeshift.renames import AssumeNew

    m = folder.migrations[index]
    head = [f"-- down SQL for {folder.path.name}/{m.path.name} (sha256 {m.sha256}), written by safeshift"]
    kind = journal_dialect(folder.path)
    snapshots = snapshots or Snapshots(get_dialect(kind))
    chain = chain or Chain(folder)
    d = snapshots.d
    after_path = snapshot_file(folder.path, m.path.stem)
    before = chain.before(index)
    if before.problem is not None:
        return _refused(head, before.problem)
    before_path = before.path
    try:
        data, after = snapshots.load(after_path)
        old = snapshots.load(before_path)[1] if before_path is not None else make_schema(d.name)
        # roles are the server's, not the schema's: undone beside the schema's down SQL (snapshot.role_downs)
        roles_first, roles_last = role_downs(snapshots.load(before_path)[0] if before_path is not None else {}, data,
                                             d, after_path.name)
        effects = _READERS[kind](m.up_statements, d.default_schema)
        problem = _unreadable(effects, kind) or _unsupported_rename(effects)
        if problem is not None:
            return _refused(head, problem)
        renamed = _enum_renames(effects, old, d)
        if isinstance(renamed, str):
            return _refused(head, renamed)
        old, enum_renames = renamed
        hints = _hints(rename_hints(data, d.default_schema), effects)
        changes = _as_the_sql_did(diff(old, after, hints, AssumeNew(), d.default_schema, d.view_dependencies),
                                  effects)
        problem = _disagreement(changes, effects, before, after_path, chain) if changes else None
        if problem is not None:
            return _refused(head, problem)
        statements = render(changes, old, after, d).down if changes else []
        # the enums' renames back come last: the statements above name them as the migration left them
        statements += [st for r in reversed(enum_renames) for st in d.render(r.inverse())]
    except SafeshiftError as exc:
        return _refused(head, exc.message.rstrip("."))
    if not changes and not enum_renames and not roles_first and not roles_last:
        return _refused(head, f"{chain.shown(before_path) if before_path else 'an empty schema'} and "
                              f"{chain.shown(after_path)} are the same (a custom or hand-written migration)",
                        custom=True)
    source = f"meta/{before_path.name} and meta/{after_path.name}" if before_path else f"meta/{after_path.name}"
    out = [*head, f"-- Derived from {source}; review it. Hand edits are kept while the sha256 above",
           "-- matches the migration (a regenerated migration gets a new file).", ""]
    if before.others:
        out[-1:-1] = [f"-- Its snapshot follows {chain.shown(before_path or after_path)} (prevId), not the journal's "
                      "previous entry: this undoes only this migration,",
                      f"-- leaving {', '.join(chain.shown(p) for p in before.others)} of the other branch applied."]
    edits = [st for st in m.up_statements if _DATA_STATEMENT.match(st.sql)]
    if edits:  # drizzle-kit writes DDL only: these were added by hand, and the snapshots know nothing of them
        out[-1:-1] = ["-- NOTE: the migration was edited by hand: it also changes data, which the snapshots do not",
                      "-- record, so this down SQL undoes only the schema change. Undo the data below by hand, or",
                      "-- restore a backup:",
                      *(f"--   line {st.line}: {' '.join(st.sql.split())[:100]}" for st in edits)]
    losses = _losses(changes, d)
    out += [f"{sql};\n" for sql in roles_first]
    for st in statements:
        comment = st.comment or ""
        loss = losses.get(st.sql.strip())
        if loss is not None and "data loss" not in comment and RESTORE_ONLY not in comment:
            comment = "\n".join(x for x in (comment, f"data loss: {loss}") if x)
        out += [f"-- {line}".rstrip() for line in comment.splitlines()]
        if not st.transactional:
            out.append("-- safeshift:no-transaction")
        sql = st.sql.strip().rstrip(";").rstrip()
        out += [sql + ("\n;" if "--" in sql.rsplit("\n", 1)[-1] else ";"), ""]
    out += [f"{sql};\n" for sql in roles_last]
    return "\n".join(out).rstrip("\n") + "\n"


def _losses(changes: Sequence[Change], d: Dialect) -> dict[str, str]:
    """What each down statement that deletes data deletes (by its SQL): dropping the table or column the
    migration created deletes the rows written since, which a down file must say as an up section does."""
    out: dict[str, str] = {}
    for c in changes:
        inverse = c.inverse()
        loss = d.data_loss(inverse)
        if loss:
            for st in d.render(inverse):
                out.setdefault(st.sql.strip(), loss)
    return out


#: the first words of every refusal's reason (``schedule`` shows it when rollback refuses)
_CANNOT = "drizzle's snapshots cannot give its down SQL"
_REASON = re.compile(r"^-- No down SQL: (?P<why>.+)$", re.MULTILINE)


def _refused(head: list[str], problem: str, *, custom: bool = False) -> str:
    """A down file that says why there is none (one line, read back as the refusal's reason), to fill in."""
    reason = f"{_CANNOT} ({problem})" if custom else f"{_CANNOT}: {problem}"
    return "\n".join([*head, f"-- No down SQL: {reason}", "-- Write the down SQL below and delete the next line.",
                      "-- safeshift:irreversible", ""])


#: what reads a migration's SQL for its effects, by the folder's dialect (``journal.journal_dialect``)
_READERS: dict[str, Callable[[Sequence[SqlStatement], str], Effects]] = {
    "postgresql": read_effects, "mysql": read_mysql_effects}
_PARSERS = {"postgresql": "PostgreSQL's parser rejects", "mysql": "safeshift cannot read the MySQL form of"}


def _unreadable(effects: Effects, kind: str) -> str | None:
    if not effects.unreadable:
        return None
    line, words = effects.unreadable[0]
    return (f"{_PARSERS[kind]} its statement at line {line} ({words} ...), so what the migration "
            "creates cannot be checked")


def _unsupported_rename(effects: Effects) -> str | None:
    """The first rename the snapshots' diff cannot express (it would become a drop and a create)."""
    for r in effects.renames:
        moved = r.kind in ("table", "sequence", "view", "type") and r.old[1] != r.new[1]
        if r.kind in ("schema", "sequence") or moved:
            what = "moves" if moved else "renames"
            return (f"line {r.line} {what} {r.kind} {_dotted(r.old)} to {_dotted(r.new)}, which safeshift cannot "
                    f"yet undo from the snapshots (undo it with the inverse statement)")
    return None


def _enum_renames(effects: Effects, old: Schema, d: Dialect) -> tuple[Schema, list[Change]] | str:
    """``old`` with the enum and label renames of the migration's SQL done, and those renames (in order);
    or why they cannot be undone.

    The snapshots' diff cannot tell a renamed enum from a dropped one and a new one (nor a renamed label
    from a removed one and an added one): done on the "before" schema, the renames leave the diff
    the migration's other changes, and the down file ends with their inverses.
    """
    from safeshift import changes as ch

    renames: list[Change] = []
    for r in effects.renames:
        if r.kind not in ("type", "value"):
            continue
        s, name = str(r.old[1]), str(r.old[2])
        enum = next((e for e in old.enums if (e.schema, e.name) == (s, name)), None)
        if enum is None or (r.kind == "value" and r.old[3] not in enum.values):
            return (f"line {r.line} renames {r.kind} {_dotted(r.old)}, which the snapshot before it does not hold as "
                    "an enum")
        if r.kind == "type":
            old = _rename_enum(old, s, name, str(r.new[2]), d)
            renames.append(ch.RenameEnum(s, name, str(r.new[2])))
        else:
            old = _rename_label(old, s, name, str(r.old[3]), str(r.new[3]), d)
            renames.append(ch.RenameEnumValue(s, name, str(r.old[3]), str(r.new[3])))
    return old, renames


def _rename_enum(schema: Schema, s: str, old: str, new: str, d: Dialect) -> Schema:
    """``schema`` with enum ``s.old`` named ``new``, and its columns' types and casts with it."""
    was, now = d.normalize_type(d.qualify(s, old)), d.normalize_type(d.qualify(s, new))
    cast = re.compile(rf"::{re.escape(was)}(?![\w$\"])")

    def column(c: Column) -> Column:
        kind = now + c.type[len(was):] if c.type == was or c.type.startswith(was + "[") else c.type
        return replace(c, type=kind, default=cast.sub(f"::{now}", c.default) if c.default else c.default)

    return replace(schema, enums=tuple(replace(e, name=new) if (e.schema, e.name) == (s, old) else e
                                       for e in schema.enums),
                   tables=tuple(replace(t, columns=tuple(column(c) for c in t.columns)) for t in schema.tables))


def _rename_label(schema: Schema, s: str, enum: str, old: str, new: str, d: Dialect) -> Schema:
    """``schema`` with label ``old`` of enum ``s.enum`` spelled ``new``, in the enum and in its columns' defaults."""
    spelled = d.normalize_type(d.qualify(s, enum))
    was, now = d.literal(old), d.literal(new)

    def column(c: Column) -> Column:
        if c.default is None or c.type != spelled:
            return c
        default = now if c.default == was else c.default.replace(f"{was}::{spelled}", f"{now}::{spelled}")
        return replace(c, default=default)

    return replace(schema, enums=tuple(
        replace(e, values=tuple(new if v == old else v for v in e.values)) if (e.schema, e.name) == (s, enum) else e
        for e in schema.enums), tables=tuple(replace(t, columns=tuple(column(c) for c in t.columns))
                                             for t in schema.tables))


def _dotted(key: Key) -> str:
    return ".".join(str(p) for p in key[1:] if p is not None)


def _hints(meta: RenameHints, effects: Effects) -> RenameHints:
    """drizzle-kit's rename answers and the renames of the migration's SQL, together."""
    from safeshift.renames import RenameHints

    tables = dict(meta.tables)
    columns = dict(meta.columns)
    for r in effects.renames:
        if r.kind == "table":
            tables[(str(r.old[1]), str(r.old[2]))] = str(r.new[2])
        elif r.kind == "column":
            columns[(str(r.old[1]), str(r.old[2]), str(r.old[3]))] = str(r.new[3])
    return RenameHints(tables, columns, meta.dropped)


def _as_the_sql_did(changes: list[Change], effects: Effects) -> list[Change]:
    """``changes`` without the renames of a renamed table's keys and indexes that its SQL left alone.

    A snapshot names an unnamed primary key after its table, but ``ALTER TABLE a RENAME TO b``
    leaves the database's ``a_pkey`` as it is: renaming it back would name a key that is not
    there.  A key or index the SQL renamed, or dropped and created under the new name (as
    drizzle-kit does for a renamed table's foreign keys and indexes), is renamed back.
    """
    from safeshift import changes as ch

    moved = {(str(r.new[1]), str(r.new[2])) for r in effects.renames if r.kind == "table"}
    out: list[Change] = []
    for c in changes:
        if isinstance(c, (ch.RenameConstraint, ch.RenameIndex)) and (c.schema, c.table) in moved:
            key: Key = (("constraint", c.schema, c.table, c.new) if isinstance(c, ch.RenameConstraint)
                        else ("index", c.schema, c.new))
            if not effects.renamed_to(key) and not effects.creates(key):
                continue
        out.append(c)
    return out


def _disagreement(changes: Sequence[Change], effects: Effects, before: Before, after_path: Path,
                  chain: Chain) -> str | None:
    """Why the snapshots' changes are not what the migration's SQL did, or None when they agree.

    Every object the down SQL would drop (what the changes create) must be created by the SQL,
    and every table or column it would create again (what the changes drop) must be dropped by
    it: otherwise the "before" snapshot is not the schema the migration started from.
    """
    made: list[str] = []
    gone: list[str] = []
    for c in changes:
        for key, columns in _creates(c):
            # a renamed policy, view, key or index holds no rows: dropping it and creating the old one is renaming back
            renamed = key[0] in _ROWLESS and effects.renamed_to(key)
            if not renamed and not effects.creates(key) and not any(effects.creates(("column", key[1], key[2], col))
                                                                    for col in columns):
                made.append(f"{key[0]} {_dotted(key)}")
        for key in _drops(c):
            if not effects.drops(key):
                gone.append(f"{key[0]} {_dotted(key)}")
    if not made and not gone:
        return None
    pair = f"{chain.shown(after_path)} against {chain.shown(before.path) if before.path else 'an empty schema'}"
    parts = []
    if made:
        parts.append(f"drop {_some(made)}, which its SQL does not create")
    if gone:
        parts.append(f"create {_some(gone)} again, which its SQL does not drop")
    why = f"diffing {pair} would {' and '.join(parts)}"
    if before.others:
        why += f" (the journal applies {', '.join(chain.shown(p) for p in before.others)} of another branch between them)"
    return why


#: objects without rows of their own: the snapshots' diff may drop and create them where the SQL renamed them
_ROWLESS = ("policy", "view", "constraint", "index")


def _some(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _creates(c: Change) -> list[tuple[Key, tuple[str, ...]]]:
    """What ``c`` creates (what its inverse in a down section drops), with the columns that carry it along."""
    from safeshift import changes as ch

    if isinstance(c, ch.CreateSchema):
        return [(("schema", c.name), ())]
    if isinstance(c, ch.CreateTable):
        return [(("table", c.table.schema, c.table.name), ())]
    if isinstance(c, ch.AddColumn):
        return [(("column", c.schema, c.table, c.column.name), ())]
    if isinstance(c, ch.CreateIndex):
        return [(("index", c.schema, c.index.name), ())]
    if isinstance(c, (ch.AddPrimaryKey, ch.AddUnique, ch.AddCheck, ch.AddForeignKey, ch.AddExclusion)):
        con: Any = getattr(c, ("primary_key", "unique", "check", "foreign_key", "exclusion")[
            (ch.AddPrimaryKey, ch.AddUnique, ch.AddCheck, ch.AddForeignKey, ch.AddExclusion).index(type(c))])
        columns = tuple(getattr(con, "columns", ()) or ())
        return [(("constraint", c.schema, c.table, con.name), columns)]
    if isinstance(c, ch.CreateEnum):
        return [(("type", c.enum.schema, c.enum.name), ())]
    if isinstance(c, ch.AlterEnum):
        return [(("value", c.new.schema, c.new.name, v), ()) for v in c.new.values if v not in c.old.values]
    if isinstance(c, ch.CreateSequence):
        return [(("sequence", c.sequence.schema, c.sequence.name), ())]
    if isinstance(c, ch.CreateView):
        return [(("view", c.view.schema, c.view.name), ())]
    if isinstance(c, ch.CreatePolicy):
        return [(("policy", c.policy.schema, c.policy.table, c.policy.name), ())]
    if isinstance(c, ch.CreateDomain):
        return [(("type", c.domain.schema, c.domain.name), ())]
    if isinstance(c, ch.CreateCompositeType):
        return [(("type", c.type.schema, c.type.name), ())]
    return []


def _drops(c: Change) -> list[Key]:
    """The tables, columns, types and schemas ``c`` drops (its inverse in a down section creates them again)."""
    from safeshift import changes as ch

    if isinstance(c, ch.DropTable):
        return [("table", c.table.schema, c.table.name)]
    if isinstance(c, ch.DropColumn):
        return [("column", c.schema, c.table, c.column.name)]
    if isinstance(c, ch.DropEnum):
        return [("type", c.enum.schema, c.enum.name)]
    if isinstance(c, ch.DropSchema):
        return [("schema", c.name)]
    return []


def _with_down_file(m: Migration, path: Path, text: str | None) -> Migration:
    """``m`` with the down section of its down file's ``text`` (None: there is none), when that file was
    made for this exact migration."""
    if text is None:
        return m
    header = _DOWN_FOR.search(text)
    if header is None or header["sha"] != m.sha256:
        return m
    statements = parse_sql(text, f"{path.parent.name}/{path.name}")
    irreversible = _IRREVERSIBLE.search(text) is not None
    reason = _REASON.search(text) if irreversible else None
    if not irreversible and not _sealed(text):  # edited by hand, or written before the check: check it now
        problem = _drops_uncreated(m, statements, f".safeshift/{DOWN_DIR}/{path.name}")
        if problem is not None:
            return replace(m, down_sql=text.strip(), down_statements=statements, has_down=bool(statements),
                           irreversible=True, irreversible_reason=problem)
    return replace(m, down_sql=text.strip(), down_statements=statements, has_down=bool(statements),
                   irreversible=irreversible, irreversible_reason=reason["why"].strip() if reason else "")


#: what a down file may drop only if its migration's SQL created it: objects that hold rows or values
_HOLDERS = ("table", "column", "schema", "type", "sequence")


def _drops_uncreated(m: Migration, statements: Sequence[SqlStatement], shown: str) -> str | None:
    """Why the down ``statements`` may not run: they drop a table, column, schema, type or sequence the
    migration's SQL did not create (None: they do not, or the SQL cannot be read to tell)."""
    from safeshift.dialects import get_dialect

    if not any(_MAY_DROP.search(st.sql) for st in statements):
        return None
    kind = journal_dialect(m.path.parent)
    ds = get_dialect(kind).default_schema
    up = _READERS[kind](m.up_statements, ds)
    if up.unreadable:
        return None
    down = _READERS[kind](statements, ds)
    wrong = sorted(f"{k[0]} {_dotted(k)}" for k in down.dropped if k[0] in _HOLDERS and not up.creates(k))
    if not wrong:
        return None
    return (f"its down file {shown} drops {_some(wrong)}, which {m.path.name} does not create (a file written "
            "before safeshift followed the snapshot chain may be wrong: delete it to have it derived again)")


_MAY_DROP = re.compile(r"\bDROP\b", re.IGNORECASE)


def attach_down(folder: MigrationFolder, settings: cfg.FolderSettings | None = None, *,
                write: bool = False) -> MigrationFolder:
    """The folder with each migration's down section from ``.safeshift/drizzle-down/<version>.sql``.

    ``write``: first write the down file of every migration that has none made for its
    current text (never touching one that is, so hand edits stay).
    """
    from safeshift.dialects import get_dialect

    where = down_dir(folder.path, settings)
    snapshots = Snapshots(get_dialect(journal_dialect(folder.path)))  # converted only when a down file is written
    chain: Chain | None = None  # read only when a down file is written
    out: list[Migration] = []
    for i, m in enumerate(folder.migrations):
        path = where / f"{m.version}.sql"
        current = _with_down_file(m, path, path.read_text(encoding="utf-8") if path.is_file() else None)
        if write and current.down_sql == "":
            chain = chain or Chain(folder)
            text = down_text(folder, i, snapshots, chain)
            where.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            # what reading the file back would give (universal newlines), without reading it
            current = _with_down_file(m, path, _NEWLINES.sub("\n", text))
        out.append(current)
    return replace(folder, migrations=tuple(out))

"""Drift check: does the live database still match the snapshot of its last applied migration?

Runbook step 6.  A hand-made index in production, a column someone dropped by hand or a
type changed outside the migrations all make the next generated migration wrong, so
``safeshift verify`` lists them.  The comparison is the ordinary diff (live → expected)
with rename guessing off: a look-alike is reported as one thing missing and one extra,
which is what an operator needs to see, and no question is ever asked.

Drift from what is applied is half the answer: a database whose last migration failed, or
that never got the newest ones, can match its applied snapshot exactly and still not be
released.  So the check also reads the history against the folder (``History``): the command
prints that state first and fails when the database is not at the folder's last migration,
unless ``--at-applied`` asks about drift alone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from safeshift import history
from safeshift.engines.base import engine_for
from safeshift.errors import ConfigError, DriftDetected, MissingMigration, SafeshiftError
from safeshift.formats import safeshift as migrations
from safeshift.text import redact_url

if TYPE_CHECKING:
    from safeshift.changes import Change
    from safeshift.config import FolderSettings
    from safeshift.dialects import Dialect
    from safeshift.engines.base import IntrospectOptions
    from safeshift.formats.safeshift import MigrationFolder
    from safeshift.history import Record
    from safeshift.model import Schema

__all__ = ["Difference", "Drift", "History", "Unfinished", "drift", "drift_between", "expected_schema",
           "expected_snapshot_path", "history_of", "run_health", "verify", "without_history"]

DriftKind = Literal["missing", "extra", "changed"]

#: what a change of each verb means when it turns the live schema into the expected one
_KIND_OF_VERB: dict[str, DriftKind] = {"create": "missing", "drop": "extra", "alter": "changed"}
_ORDER = {"missing": 0, "extra": 1, "changed": 2}
#: health-check output kept for the report (the tail: that is where a failure says why)
_HEALTH_OUTPUT_LIMIT = 64 * 1024
#: pending migrations named in the state line; the rest are counted (``--json`` lists them all)
_NAMED = 5


@dataclass(frozen=True)
class Difference:
    """One object that differs: ``missing`` (in the snapshot, not live), ``extra`` (live only) or ``changed``."""

    kind: DriftKind
    #: "table", "column", "index", "foreign key", "table comment", ...
    object: str
    name: str
    detail: str = ""

    def render(self) -> str:
        return f"{self.kind} {self.object} {self.name}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class Drift:
    """Every difference between the live database and the expected snapshot; empty when clean."""

    differences: tuple[Difference, ...] = ()
    #: one line saying what the comparison left out (bookkeeping tables, the ``ignore`` list), so an
    #: ignore list never hides anything silently; None when nothing was
    ignored: str | None = None
    #: where the database stands against the folder (None: compared with a schema, not a folder's history)
    history: History | None = None

    @property
    def clean(self) -> bool:
        """No drift from the applied snapshot; says nothing about pending or failed migrations (``history``)."""
        return not self.differences

    def to_json(self) -> str:
        doc: dict[str, Any] = {"clean": self.clean,
                               "differences": [dataclasses.asdict(d) for d in self.differences],
                               "ignored": self.ignored}
        if self.history is not None:
            doc["history"] = self.history.to_dict()
        return json.dumps(doc, indent=2)

    def render_text(self) -> str:
        """One line per difference (no trailing newline); empty text when clean."""
        return "\n".join(d.render() for d in self.differences)


@dataclass(frozen=True)
class Unfinished:
    """A migration the history records as started but not applied: it failed, a runner died part-way
    through it, or a rollback of it stopped part-way."""

    migration: str
    #: the history row's status: "failed", "running" or "rolling_back"
    status: str
    #: steps committed (of the up section; of the down section while rolling back)
    progress: int
    steps: int
    error: str | None = None

    def render(self) -> str:
        if self.status == "rolling_back":
            return (f"{self.migration} is part-way through a rollback ({self.progress} step(s) of its down section "
                    "done)")
        where = f" at step {self.progress + 1} of {self.steps}" if self.steps > 1 else ""
        if self.status == "running":
            return f"{self.migration} was left part-way{where} ({self.progress} of {self.steps} step(s) committed)"
        committed = f" ({self.progress} of {self.steps} step(s) committed)" if self.progress else ""
        reason = (self.error or "").strip().splitlines()
        return f"{self.migration} failed{where}{committed}" + (f": {redact_url(reason[0])}" if reason else "")


@dataclass(frozen=True)
class History:
    """The history of one database read against one migrations folder: what verify's state line says.

    Labels are ``<version>_<name>``, the folder's file stems.  Built by ``history_of`` from the
    folder and the store's rows through ``schedule.statuses``, as ``safeshift status`` sees them,
    so it reads a drizzle folder as it reads safeshift's.
    """

    #: the folder's migrations, in order
    migrations: tuple[str, ...]
    #: labels of the folder's migrations the history records as applied (edited files included)
    applied: tuple[str, ...] = ()
    #: in the folder, no history row
    pending: tuple[str, ...] = ()
    failed: tuple[Unfinished, ...] = ()
    #: applied (even in part) here, but the folder has no such file
    missing_files: tuple[str, ...] = ()
    #: applied, but the file's checksum is no longer the recorded one
    edited: tuple[str, ...] = ()
    #: whether the database has the history table at all (False: never migrated by safeshift or drizzle)
    recorded: bool = True
    #: the history table, as "schema.table", for the sentence saying it is not there
    table: str = ""

    @property
    def at_last(self) -> bool:
        """Every migration of the folder applied and nothing else started: the release is done."""
        return not (self.pending or self.failed or self.missing_files) and len(self.applied) == len(self.migrations)

    @property
    def last_applied(self) -> str | None:
        return self.applied[-1] if self.applied else None

    def render(self) -> str:
        """The one state line, "history: ..."."""
        parts: list[str] = []
        total = len(self.migrations)
        if not self.recorded:
            parts.append(f"no history table ({self.table}): this database was never migrated, nothing is applied")
        elif not self.applied:
            parts.append("nothing applied" + ("" if total else " and the folder holds no migration"))
        elif self.at_last:
            parts.append(f"all {total} migration(s) applied, the last is {self.migrations[-1]}")
        else:
            parts.append(f"{len(self.applied)} of {total} migration(s) applied")
        parts += [u.render() for u in self.failed]
        if self.pending:
            named = ", ".join(self.pending[:_NAMED]) + (f" and {len(self.pending) - _NAMED} more"
                                                         if len(self.pending) > _NAMED else "")
            parts.append(f"{len(self.pending)} pending ({named})")
        if self.missing_files:
            parts.append(f"{len(self.missing_files)} applied but missing from the folder "
                         f"({', '.join(self.missing_files)})")
        if self.edited:
            parts.append(f"{len(self.edited)} edited since applied ({', '.join(self.edited)})")
        return "history: " + "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"recorded": self.recorded, "migrations": len(self.migrations), "applied": len(self.applied),
                "last_applied": self.last_applied, "last": self.migrations[-1] if self.migrations else None,
                "pending": list(self.pending),
                "failed": [{**dataclasses.asdict(u), "error": redact_url(u.error) if u.error else None}
                           for u in self.failed],
                "missing_files": list(self.missing_files), "edited": list(self.edited), "at_last": self.at_last}

    def not_released(self, url: str) -> SafeshiftError:
        """The one sentence for a database that is not at the folder's last migration: exit 1, as drift, or 3
        (``MissingMigration``, as every command that has the database says it) when it applied a file the
        folder does not hold: then it is the folder that does not fit, not the database that is behind."""
        last = self.migrations[-1] if self.migrations else "none"
        if self.missing_files:
            return MissingMigration(
                f"{redact_url(url)} has applied {', '.join(self.missing_files)}, which the folder does not hold, so "
                f"it is not at the folder's last migration ({last}); put the file(s) back or verify from a checkout "
                "that holds them, or pass --at-applied to check only drift from what is applied.")
        why: list[str] = []
        if not self.recorded:
            why.append("it has no history table, so nothing is applied")
        why += [u.render().split(":", 1)[0] if u.status == "failed" else u.render() for u in self.failed]
        if self.pending:
            why.append(f"{len(self.pending)} migration(s) pending")
        fix = ("see `safeshift status` for what stopped it, fix that and run `safeshift migrate` again" if self.failed
               else "apply them with `safeshift migrate`")
        return DriftDetected(f"{redact_url(url)} is not at the folder's last migration ({last}): {'; '.join(why)}; "
                             f"{fix}, or pass --at-applied to check only drift from what is applied.")


def history_of(folder: MigrationFolder, records: Mapping[str, Record], recorded: bool = True,
               table: str = "") -> History:
    """The folder's migrations against the history rows (``records``, as the folder's store reads them)."""
    from safeshift.schedule import statuses

    applied: list[str] = []
    pending: list[str] = []
    failed: list[Unfinished] = []
    missing: list[str] = []
    edited: list[str] = []
    for s in statuses(folder, records):
        label = f"{s.version}_{s.name}"
        if s.state == "pending":
            pending.append(label)
        elif s.state in ("applied", "edited"):
            applied.append(label)
            if s.state == "edited":
                edited.append(label)
        elif s.state == "missing":
            r = records[s.version]
            if r.status != "failed" or r.progress > 0:  # a failed run that committed nothing left nothing behind
                missing.append(label)
        else:
            failed.append(Unfinished(label, s.state, s.progress, s.steps, s.error))
    return History(tuple(m.label for m in folder.migrations), tuple(applied), tuple(pending), tuple(failed),
                   tuple(missing), tuple(edited), recorded, table)


def without_history(schema: Schema, history_table: tuple[str, str] | None = None) -> Schema:
    """``schema`` minus safeshift's own history schema and table (never drift).

    ``history_table``: a drizzle folder's ``(schema, table)``, drizzle's record of what it
    applied, which is bookkeeping too; its schema goes with it when nothing else is in it.
    """
    tables = tuple(t for t in schema.tables if t.schema != history.SCHEMA and t.name != history.TABLE
                   and (t.schema, t.name) != history_table)
    namespaces = tuple(n for n in schema.namespaces if n != history.SCHEMA)
    if history_table is not None and not _holds_objects(schema, history_table):
        namespaces = tuple(n for n in namespaces if n != history_table[0])
    if len(tables) == len(schema.tables) and len(namespaces) == len(schema.namespaces):
        return schema
    return dataclasses.replace(schema, tables=tables, namespaces=namespaces)


def _holds_objects(schema: Schema, history_table: tuple[str, str]) -> bool:
    """Whether the history table's schema holds anything besides it."""
    name = history_table[0]
    return (any(t.schema == name and (t.schema, t.name) != history_table for t in schema.tables)
            or any(e.schema == name for e in schema.enums) or any(q.schema == name for q in schema.sequences)
            or any(v.schema == name for v in schema.views)
            or any(x.schema == name for x in schema.domains) or any(x.schema == name for x in schema.collations)
            or any(x.schema == name for x in schema.composite_types))


def drift_between(live: Schema, expected: Schema, default_schema: str = "public",
                  history_table: tuple[str, str] | None = None, ignore: Sequence[str] = (),
                  dialect: Dialect | None = None) -> Drift:
    """The drift of ``live`` from ``expected``; no database needed (rehearse can reuse it).

    ``dialect``: columns it cannot tell apart are no drift (SQLite: ``VARCHAR(40)`` and ``VARCHAR(80)``).

    ``ignore``: the project's patterns, left out of ``expected`` too (a snapshot written before an object
    was ignored still holds it; ``live`` comes from ``Engine.introspect``, which left them out already).
    """
    from safeshift.diff import diff
    from safeshift.ignore import leave_out
    from safeshift.renames import AssumeNew

    expected = leave_out(expected, ignore, default_schema).schema
    changes = diff(without_history(live, history_table), without_history(expected, history_table), None,
                   AssumeNew(), default_schema, same_column=dialect.same_column if dialect else None)
    return Drift(_differences(changes))


def drift(dialect: Dialect, url: str, expected: Schema | Path, options: IntrospectOptions | None = None) -> Drift:
    """Introspect the database at ``url`` and compare it with ``expected`` (a schema or a snapshot file);
    ``options``: the project's (privileges are compared only when read)."""
    conn = engine_for(dialect).connect_reader(url)
    try:
        kept = engine_for(dialect).introspect_kept(conn, options=options)
    finally:
        conn.close()
    found = _drift_from(kept.schema, expected, dialect.default_schema, options.ignore if options else (), dialect)
    return dataclasses.replace(found, ignored=kept.describe())


def _drift_from(live: Schema, expected: Schema | Path, default_schema: str, ignore: Sequence[str] = (),
                dialect: Dialect | None = None) -> Drift:
    """Fast path for the usual answer, no drift: a snapshot file whose text is the live schema's.

    Equal snapshot texts mean equal schemas, so parsing the file and diffing (most of the
    time of a clean check at a thousand tables) is needed only when the texts differ.
    """
    from safeshift import snapshot

    if isinstance(expected, Path):
        text = expected.read_text(encoding="utf-8") if expected.is_file() else None
        if text is not None and snapshot.to_json(without_history(live)) == text:
            return Drift()
        expected = migrations.read_snapshot(expected)  # a missing file: its clear error
    return drift_between(live, expected, default_schema, ignore=ignore, dialect=dialect)


def expected_schema(migrations_dir: Path, applied_versions: Sequence[str]) -> Schema | None:
    """The snapshot of the last applied migration; None when nothing is applied (expect an empty database).

    A hand-written migration may have no snapshot of its own; then the newest snapshot at or
    before it stands in (the best record of the intended schema there is).
    """
    path = expected_snapshot_path(migrations_dir, applied_versions)
    return None if path is None else migrations.read_snapshot(path)


def expected_snapshot_path(migrations_dir: Path, applied_versions: Sequence[str]) -> Path | None:
    """The file ``expected_schema`` reads (None: nothing applied, or no snapshot at all)."""
    if not applied_versions:
        return None
    last = max(applied_versions)
    found = [p for v, p in migrations.snapshots(Path(migrations_dir)) if v <= last]  # an orphan: refused
    return found[-1] if found else None


def verify(dialect: Dialect, url: str, migrations_dir: Path | MigrationFolder,
           settings: FolderSettings | None = None, reader: Any = None) -> Drift:
    """The whole check: applied versions from the folder's history, their snapshot, the live schema.

    Versions count as applied when their history row says so; a failed or half-applied
    migration is not, so its partial effects show up as drift.  A drizzle-kit folder's history
    is drizzle's table and its snapshots drizzle-kit's (``meta/NNNN_snapshot.json``).
    ``settings``: the folder's, when the caller has loaded them (else looked up from the path); with
    ``privileges = true`` in them the live privileges are read and compared with the snapshot's (a snapshot
    written before the project opted in holds none to compare).  The result's ``history`` says where the
    database stands against the folder; ``clean`` is about drift alone, so deploy, which verifies right
    after migrating, and rehearse read it as before.  ``reader``: a connection to ``url`` from
    ``engines.base.read_ahead`` (its catalog reads begun), which this uses and closes.
    """
    try:
        return _verify(dialect, url, migrations_dir, settings, reader)
    finally:
        if reader is not None:
            reader.close()  # also when the folder is refused before it is read


def _verify(dialect: Dialect, url: str, migrations_dir: Path | MigrationFolder,
            settings: FolderSettings | None, reader: Any) -> Drift:
    from safeshift.config import folder_settings
    from safeshift.model import make_schema

    folder = _drizzle_folder(migrations_dir, settings)
    if settings is None:
        settings = folder_settings(migrations_dir.path if isinstance(migrations_dir, migrations.MigrationFolder)
                                   else Path(migrations_dir))
    if settings.privileges and folder is not None:
        raise ConfigError("`privileges = true` compares GRANTs, which drizzle-kit snapshots do not record; "
                          "remove the key to verify this drizzle-kit folder.")
    options = settings.introspect_options
    whole = folder or _safeshift_folder(migrations_dir)
    store = history.store_for(whole)
    table = whole.history_table or (history.SCHEMA, history.TABLE)
    engine = engine_for(dialect)
    conn = reader or engine.connect_reader(url)
    if folder is None:
        from safeshift import snapshot

        snapshot.prepare()  # while the server still reads the catalog (``reader``'s reads ahead), not after
    try:
        # the catalog first: with ``reader``'s reads under way, a history query would wait behind all of
        # them, and the columns' rows, in first, would wait for it; a reader reads both in one snapshot
        kept = engine.introspect_kept(conn, options=options)
        records = store.read(dialect, conn)
        # a drizzle folder's record is drizzle's table; safeshift's is its own (no schema on SQLite)
        recorded = bool(records) or (history.exists(dialect, conn) if whole.history_table is None
                                     else engine.table_exists(conn, *table))
    finally:
        conn.close()
    live = kept.schema
    applied = [v for v, r in records.items() if r.status == "applied"]
    shown = ".".join(table) if dialect.capabilities.schemas or whole.history_table else table[1]
    state = history_of(whole, records, recorded, shown)
    if folder is not None:
        from safeshift.formats import drizzle

        expected = drizzle.expected_schema(folder, applied, dialect) or make_schema(dialect.name)
        found = drift_between(live, expected, dialect.default_schema, folder.history_table, settings.ignore,
                              dialect)
    else:
        path = expected_snapshot_path(whole.path, applied)
        nothing = make_schema(dialect.name, grants=() if settings.privileges else None)
        found = _drift_from(live, path or nothing, dialect.default_schema, settings.ignore, dialect)
    return dataclasses.replace(found, ignored=kept.describe(), history=state)


def _safeshift_folder(migrations_dir: Path | MigrationFolder) -> MigrationFolder:
    """The safeshift folder's migrations, for the history state (none when there is no folder yet: a
    database checked before the first `safeshift generate` is then compared with an empty schema)."""
    if isinstance(migrations_dir, migrations.MigrationFolder):
        return migrations_dir
    path = Path(migrations_dir)
    return migrations.read_folder(path) if path.is_dir() else migrations.MigrationFolder(path, ())


def _drizzle_folder(migrations_dir: Path | MigrationFolder,
                    settings: FolderSettings | None = None) -> MigrationFolder | None:
    """The drizzle-kit folder ``migrations_dir`` is (read, when given as a path), or None for safeshift's
    (whose snapshots are read by path, without parsing its migrations)."""
    if not isinstance(migrations_dir, migrations.MigrationFolder) and migrations.plainly_safeshift(Path(migrations_dir),
                                                                                                  settings):
        return None  # safeshift's by configuration and by its files: the drizzle reader is not even imported
    from safeshift.formats import folder as formats

    if isinstance(migrations_dir, migrations.MigrationFolder):
        return None if formats.of(migrations_dir).written_by_safeshift else migrations_dir
    return formats.drizzle_folder(migrations_dir, settings)


# -- changes → differences ------------------------------------------------------------------

def _object_kind(change: Change) -> str:
    """``create_table`` → "table", ``set_table_comment`` → "table comment"."""
    return change.kind.split("_", 1)[1].replace("_", " ")


def _field_changes(live: Any, expected: Any, skip: tuple[str, ...] = ()) -> str:
    """"type: live integer, expected bigint; nullable: ..." for each field that differs."""
    parts = []
    for f in dataclasses.fields(live):
        a, b = getattr(live, f.name), getattr(expected, f.name)
        if f.name not in skip and f.init and a != b:
            parts.append(f"{f.name}: live {_show(a)}, expected {_show(b)}")
    return "; ".join(parts)


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        shown = [f"{f.name}={_show(getattr(value, f.name))}" for f in dataclasses.fields(value)
                 if getattr(value, f.name) != f.default]
        return "{" + ", ".join(shown) + "}"
    return "null" if value is None else str(value)


def _summary(change: Change) -> str:
    """A short description of a whole object that is missing or extra."""
    from safeshift import changes as ch

    if isinstance(change, (ch.AddColumn, ch.DropColumn)):
        c = change.column
        return c.type + ("" if c.nullable else " NOT NULL") + (f" DEFAULT {c.default}" if c.default else "")
    if isinstance(change, (ch.CreateIndex, ch.DropIndex)):
        i = change.index
        cols = ", ".join(e.value for e in i.elements)
        return (f"{'unique ' if i.unique else ''}on {change.table} ({cols})"
                + (f" WHERE {i.where}" if i.where else ""))
    if isinstance(change, (ch.CreateTable, ch.DropTable)):
        of = change.table.partition_of
        if of is not None:  # its columns are the parent's
            return f"partition of {of.qualname} {of.bound}"
        return f"{len(change.table.columns)} column(s)" + (
            f", partitioned by {change.table.partition_by}" if change.table.partition_by else "")
    if isinstance(change, (ch.AddForeignKey, ch.DropForeignKey)):
        f = change.foreign_key
        return f"({', '.join(f.columns)}) -> {f.ref_schema}.{f.ref_table} ({', '.join(f.ref_columns)})"
    if isinstance(change, (ch.AddUnique, ch.DropUnique, ch.AddPrimaryKey, ch.DropPrimaryKey)):
        key = change.unique.columns if isinstance(change, (ch.AddUnique, ch.DropUnique)) \
            else change.primary_key.columns
        return f"({', '.join(key)})"
    if isinstance(change, (ch.AddCheck, ch.DropCheck, ch.AddDomainCheck, ch.DropDomainCheck)):
        return change.check.expression
    if isinstance(change, (ch.CreateDomain, ch.DropDomain)):
        d = change.domain
        return d.type + ("" if d.nullable else " NOT NULL") + (f" DEFAULT {d.default}" if d.default else "") \
            + "".join(f" CHECK ({c.expression})" for c in d.checks)
    if isinstance(change, (ch.CreateCompositeType, ch.DropCompositeType)):
        return "(" + ", ".join(f"{a.name} {a.type}" for a in change.type.attributes) + ")"
    if isinstance(change, (ch.CreateCollation, ch.DropCollation)):
        coll = change.collation
        return coll.provider + " " + (coll.locale or f"{coll.lc_collate}/{coll.lc_ctype}")
    if isinstance(change, (ch.GrantPrivilege, ch.RevokePrivilege)) and change.grant.grantable:
        return "with grant option"
    return ""


def _detail(change: Change) -> str:
    from safeshift import changes as ch

    if change.verb != "alter":
        return _summary(change)
    if isinstance(change, (ch.AlterColumn, ch.AlterEnum, ch.AlterSequence)):
        return _field_changes(change.old, change.new)
    if isinstance(change, (ch.RenameConstraint, ch.RenameIndex, ch.RenameTable, ch.RenameColumn)):
        return f"name: live {change.old}, expected {change.new}"
    if isinstance(change, ch.SetTableComment):
        return f"live {_show(change.old)}, expected {_show(change.new)}"
    if isinstance(change, ch.DetachPartition):
        return f"live: partition of {change.partition_of.qualname} {change.partition_of.bound}"
    if isinstance(change, ch.AttachPartition):
        return f"expected: partition of {change.partition_of.qualname} {change.partition_of.bound}"
    if isinstance(change, ch.SetTableStorage):
        return f"live {_storage(change.old)}, expected {_storage(change.new)}"
    if isinstance(change, ch.SetRowSecurity):
        return f"live {_row_security(change.old)}, expected {_row_security(change.new)}"
    if isinstance(change, (ch.SetTriggerState, ch.AlterPolicy, ch.ReplaceFunction, ch.RecreateFunction, ch.ReplaceView,
                           ch.MoveExtension)):
        return _field_changes(change.old, change.new)
    if isinstance(change, (ch.AlterDomain, ch.RecreateDomain, ch.AlterCompositeType, ch.RecreateCompositeType,
                           ch.RecreateCollation)):
        return _field_changes(change.old, change.new)
    return ""


def _storage(storage: tuple[bool, tuple[str, ...]]) -> str:
    unlogged, options = storage
    return ("unlogged" if unlogged else "logged") + (f" with ({', '.join(options)})" if options else "")


def _row_security(flags: tuple[bool, bool]) -> str:
    enabled, forced = flags
    return ("enabled" if enabled else "disabled") + (", forced" if forced else "")


#: the field of a create/add/drop change that holds the object itself
_PAYLOADS = ("view", "index", "check", "unique", "foreign_key", "primary_key", "exclusion", "trigger", "policy",
             "function", "domain", "composite_type", "collation", "extension", "sequence", "enum")


def _payload(change: Change) -> Any:
    return next((getattr(change, f) for f in _PAYLOADS if hasattr(change, f)), None)


def _differences(changes: Sequence[Change]) -> tuple[Difference, ...]:
    """One Difference per change; an object the diff drops and creates again under the same name (a view whose
    query differs, an index or constraint whose definition does) is one "changed" line naming what differs
    inside it, not an "extra" and a "missing" line that may read alike."""
    from safeshift import changes as ch

    dropped = {(_object_kind(c), c.target): c for c in changes if c.verb == "drop" and _payload(c) is not None}
    recreated = {k for c in changes if c.verb == "create" and (k := (_object_kind(c), c.target)) in dropped}
    out: list[Difference] = []
    # privileges that leave with an object the diff drops are no difference of their own (the object is);
    # on an object it drops and creates again (a changed view), one that the live object has too is none
    silent = {(type(c).__name__, c.grant) for c in changes
              if isinstance(c, (ch.GrantPrivilege, ch.RevokePrivilege)) and c.dropped}
    opposite = {"GrantPrivilege": "RevokePrivilege", "RevokePrivilege": "GrantPrivilege"}
    for c in changes:
        if isinstance(c, (ch.GrantPrivilege, ch.RevokePrivilege)) and (
                c.dropped or (c.created and (opposite[type(c).__name__], c.grant) in silent)):
            continue
        key = (_object_kind(c), c.target)
        if key in recreated:
            inside = _field_changes(_payload(dropped[key]), _payload(c)) if c.verb == "create" else ""
            if inside:  # identical: only re-created around another change, which has its own line
                out.append(Difference("changed", key[0], c.target, inside))
            continue
        out.append(Difference(_KIND_OF_VERB[c.verb], _object_kind(c), c.target, _detail(c)))
    return tuple(sorted(out, key=lambda d: (_ORDER[d.kind], d.name, d.object)))


# -- the application's own health check -------------------------------------------------------

def run_health(cmd: str, env: Mapping[str, str] | None = None, timeout: float = 300) -> tuple[int, str]:
    """Run ``--health "CMD"`` through the shell; (exit code, its output, stdout and stderr merged).

    Output goes to a temporary file, not a pipe, so a chatty check cannot stall on a full
    pipe.  On timeout the whole process group is killed and the code is 124 (as
    coreutils ``timeout``); only the last 64 KiB of output are kept.
    """
    import signal
    import subprocess
    import tempfile  # the three here: a check without --health does not pay for their imports

    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, shell=True, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, **(env or {})}, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
            note = ""
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):  # the group may be gone already
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code, note = 124, f"\n(health check timed out after {timeout:g} s and was killed)"
        size = out.seek(0, os.SEEK_END)
        out.seek(max(0, size - _HEALTH_OUTPUT_LIMIT))
        text = out.read().decode("utf-8", errors="replace")
    return code, text + note



def last_line(output: str) -> str:
    """What a failed health command is quoted by: its last output line, redacted (where it says why)."""
    lines = output.strip().splitlines()
    return redact_url(lines[-1].strip()) if lines else "no output"


def health_failed(cmd: str, code: int, output: str) -> DriftDetected:
    """The one sentence for a health command that exited non-zero."""
    return DriftDetected(f'the health check "{cmd}" failed (exit {code}): {last_line(output)}')

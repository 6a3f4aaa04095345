"""drizzle-kit migration folders, run by safeshift exactly as drizzle-orm's migrator would run them.

A drizzle-kit ``out`` folder holds ``NNNN_tag.sql`` files split by ``--> statement-breakpoint``
and ``meta/_journal.json`` listing them (``tag``, ``when`` in ms).  drizzle-orm's migrator
(``migrator.js`` ``readMigrationFiles`` and ``pg-core/dialect.js`` ``migrate``) reads the
journal in order, hashes each file's text with sha256, and in ONE transaction applies every
migration whose ``when`` is newer than the ``created_at`` of the newest row in
``drizzle.__drizzle_migrations`` (``id serial, hash text, created_at bigint``; the schema
and table are its ``migrationsSchema`` / ``migrationsTable``), inserting ``(hash, when)``.

Here the folder becomes ordinary ``Migration`` values (version = the entry's position,
``0000``, ``0001``, …; checksum = drizzle's hash) and ``DrizzleStore`` keeps the history in
drizzle's own table, so either tool can take over from the other.  safeshift's extra facts
(duration, who, failures) go to its own table beside it.  Where drizzle would silently skip a
migration (an entry older than the newest applied one but never applied, or a row whose file
is gone) safeshift refuses, as it does for its own folders.

drizzle-kit writes no down SQL.  Each migration's is derived from the snapshots before and
after it (``meta/NNNN_snapshot.json`` → ``model.Schema`` → ``diff`` → ``plan.render``'s down
section) and kept in ``.safeshift/drizzle-down/<version>.sql`` for review and hand edits;
``rollback`` runs it and deletes drizzle's row in the same transaction.  Review marks live in
``.safeshift/`` too: drizzle-kit reads every JSON file in ``meta/`` as a snapshot.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safeshift import config as cfg
from safeshift.dialects.base import Dialect
from safeshift.engines.base import engine_for
from safeshift.errors import MigrationsError, SafeshiftError
from safeshift.formats.base import Record, Status, Store
from safeshift.formats.safeshift import META_DIR, MigrationFolder, folder_format
from safeshift.sections import Allow, Migration, SqlStatement, parse_sql, parse_sql_allows

if TYPE_CHECKING:
    from safeshift.lint import Finding
    from safeshift.model import Column, ForeignKey, Index, Schema, Table
    from safeshift.model import Sequence as SequenceModel
    from safeshift.renames import RenameHints

JOURNAL = "_journal.json"
BREAKPOINT = "--> statement-breakpoint"
#: the journal dialects drizzle-kit writes for PostgreSQL (``pg`` before drizzle-kit 0.21)
_PG_DIALECTS = ("postgresql", "pg")
_TAG_PREFIX = re.compile(r"^\d+_")


# -- the folder ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One journal entry: what drizzle's migrator reads for a migration."""

    tag: str
    when: int
    breakpoints: bool = True


def journal_path(folder: Path) -> Path:
    return Path(folder) / META_DIR / JOURNAL


def resolve_format(folder: Path, settings: cfg.FolderSettings | None = None) -> cfg.Format:
    """The folder's format: the configuration's ``format`` if it sets one, else detected from the journal.

    ``format = "drizzle"`` without a journal is a mistake worth one sentence rather than
    safeshift's complaint about drizzle-kit's file names.
    """
    settings = settings if settings is not None else cfg.folder_settings(folder)
    if settings.format == "drizzle" and not journal_path(folder).is_file():
        raise MigrationsError(
            f"{Path(folder).name}/{META_DIR}/{JOURNAL} is missing, but the configuration says format = \"drizzle\"; "
            "run `drizzle-kit generate` to create it, or point `migrations` at the drizzle-kit `out` folder."
        )
    return settings.format or folder_format(folder)


def read_journal(folder: Path) -> tuple[Entry, ...]:
    """The journal's entries in order; ``when`` must grow, since drizzle's migrator compares it."""
    path = journal_path(folder)
    shown = f"{Path(folder).name}/{META_DIR}/{JOURNAL}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MigrationsError(f"Cannot read {shown} ({exc.strerror}); run `drizzle-kit generate`.") from exc
    except ValueError as exc:
        raise MigrationsError(f"{shown} is not valid JSON ({exc}); restore it from version control.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise MigrationsError(f"{shown} has no \"entries\" list; restore it from version control.")
    dialect = data.get("dialect")
    if dialect not in _PG_DIALECTS:
        raise MigrationsError(
            f"{shown} is for dialect {dialect!r}; safeshift runs drizzle-kit folders for PostgreSQL only "
            "(dialect \"postgresql\")."
        )
    out: list[Entry] = []
    for i, raw in enumerate(data["entries"]):
        tag, when = (raw.get("tag"), raw.get("when")) if isinstance(raw, dict) else (None, None)
        if not isinstance(tag, str) or not tag or not isinstance(when, int) or isinstance(when, bool):
            raise MigrationsError(f"{shown} entry {i} lacks a \"tag\" string or a \"when\" number; "
                                  "restore the journal from version control.")
        if out and when <= out[-1].when:
            raise MigrationsError(
                f"{shown}: {tag} has \"when\" {when}, not later than {out[-1].tag}'s {out[-1].when}, so drizzle's "
                "migrator would skip it; give it a later \"when\" (or regenerate it with drizzle-kit)."
            )
        out.append(Entry(tag, when, bool(raw.get("breakpoints", True))))
    return tuple(out)


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
        name = _TAG_PREFIX.sub("", entry.tag) or entry.tag
        found.append(Migration(
            version=version, name=name, path=path, up_sql=text.strip(), down_sql="",
            up_statements=statements, down_statements=(),
            allows=allows,
            sha256=drizzle_hash(text), created_at=entry.when,
        ))
    result = MigrationFolder(path=folder, migrations=tuple(found), format="drizzle",
                             snapshot_versions=tuple(m.version for m in found
                                                     if snapshot_file(folder, m.path.stem).is_file()),
                             history_table=(settings.drizzle_schema, settings.drizzle_table))
    return attach_down(result, settings)


# -- the history: drizzle's table, plus safeshift's facts ---------------------------------------

#: drizzle-applied rows say nothing of who or how long; status shows this instead
DRIZZLE_ONLY = "drizzle (no safeshift record)"


def names(folder: MigrationFolder) -> tuple[str, str]:
    """(schema, table) of the folder's drizzle history table (drizzle-orm's defaults unless configured)."""
    return folder.history_table or (cfg.DRIZZLE_SCHEMA, cfg.DRIZZLE_TABLE)


@dataclass(frozen=True)
class DrizzleStore:
    """The history of a drizzle folder: drizzle's table is the truth, safeshift's adds detail.

    A migration is applied when drizzle's table has a row whose ``created_at`` is its
    journal ``when`` (drizzle writes exactly that); the row's ``hash`` is its checksum.
    safeshift's own table (in the ``safeshift`` schema, named after drizzle's) keeps the
    duration and operator of what safeshift applied, and failed attempts, which drizzle's
    table cannot hold.
    """

    schema: str
    table: str
    #: (version, name, created_at) of each migration in the folder
    entries: tuple[tuple[str, str, int], ...]
    #: safeshift's own table for what drizzle's cannot hold (``history.store_for`` names it after drizzle's)
    facts: Store

    @classmethod
    def for_folder(cls, folder: MigrationFolder, facts: Store) -> DrizzleStore:
        schema, table = names(folder)
        return cls(schema, table, tuple((m.version, m.name, m.created_at) for m in folder.migrations
                                        if m.created_at is not None), facts)

    def _qualified(self, dialect: Dialect) -> str:
        return dialect.qualify(self.schema, self.table)

    def _when(self, version: str) -> int:
        for v, _, when in self.entries:
            if v == version:
                return when
        raise MigrationsError(f"There is no drizzle migration {version} in the folder; this is a bug in safeshift.")

    def ensure(self, dialect: Dialect, conn: Any) -> None:
        """drizzle's schema and table, created with drizzle's own DDL, and safeshift's facts table."""
        self.facts.ensure(dialect, conn)
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {dialect.quote(self.schema)}")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {self._qualified(dialect)} (\n"
                     "\tid SERIAL PRIMARY KEY,\n\thash text NOT NULL,\n\tcreated_at bigint\n)")

    def rows(self, dialect: Dialect, conn: Any) -> list[tuple[int, str, int | None]]:
        """drizzle's rows (id, hash, created_at) in the order they were written; none before the table exists."""
        if not engine_for(dialect).table_exists(conn, self.schema, self.table):
            return []
        cur = conn.execute(f"SELECT id, hash, created_at FROM {self._qualified(dialect)} ORDER BY id")
        return [(int(r[0]), str(r[1]), None if r[2] is None else int(r[2])) for r in cur.fetchall()]

    def read(self, dialect: Dialect, conn: Any) -> dict[str, Record]:
        by_when = {when: (version, name) for version, name, when in self.entries}
        facts = self.facts.read(dialect, conn)
        out: dict[str, Record] = {}
        for _, digest, created_at in self.rows(dialect, conn):
            found = by_when.get(created_at) if created_at is not None else None
            if found is None:
                # no journal entry has this `when`: a migration applied here whose file is gone
                key = str(created_at) if created_at is not None else f"null:{digest[:12]}"
                out.setdefault(key, Record(key, "not_in_journal",
                                           digest, "applied", "", 0, DRIZZLE_ONLY))
                continue
            version, name = found
            if version in out:
                continue  # a second row for the same migration: the first one counts
            f = facts.get(version)
            if f is not None and f.status == "applied" and f.checksum == digest:
                out[version] = replace(f, name=name)
            else:
                out[version] = Record(version, name, digest, "applied", "", 0, DRIZZLE_ONLY)
        for version, f in facts.items():
            # failures are safeshift's to record; an `applied` fact without drizzle's row is stale
            if version not in out and f.status != "applied":
                out[version] = f
        return out

    def read_one(self, dialect: Dialect, conn: Any, version: str) -> Record | None:
        return self.read(dialect, conn).get(version)

    def write(self, dialect: Dialect, conn: Any, *, version: str, name: str, checksum: str, status: Status,
              duration_ms: int, progress: int = 0, error: str | None = None, who: str | None = None,
              replace: bool = True, allowed_hazards: str | None = None) -> None:
        """An applied migration gets drizzle's row, exactly as drizzle's migrator inserts it (hash, when)."""
        if status == "applied":
            when = self._when(version)
            q = self._qualified(dialect)
            conn.execute(f'INSERT INTO {q} ("hash", "created_at") SELECT {dialect.literal(checksum)}, {when} '
                         f"WHERE NOT EXISTS (SELECT 1 FROM {q} WHERE created_at = {when})")
        # a stale fact may exist without drizzle's row: always an upsert
        self.facts.write(dialect, conn, version=version, name=name, checksum=checksum, status=status,
                         duration_ms=duration_ms, progress=progress, error=error, who=who, replace=True,
                         allowed_hazards=allowed_hazards)

    def delete(self, dialect: Dialect, conn: Any, version: str) -> None:
        conn.execute(f"DELETE FROM {self._qualified(dialect)} WHERE created_at = {self._when(version)}")
        self.facts.delete(dialect, conn, version)

    def set_status(self, dialect: Dialect, conn: Any, version: str, status: Status) -> None:
        self.facts.set_status(dialect, conn, version, status)

    def set_duration(self, dialect: Dialect, conn: Any, version: str, duration_ms: int) -> None:
        self.facts.set_duration(dialect, conn, version, duration_ms)


# -- review ----------------------------------------------------------------------------------------

#: fixes that move a statement out of the transaction (CONCURRENTLY), or commit between two steps
_OUTSIDE = re.compile(r"no-transaction|outside a transaction", re.IGNORECASE)
_SEPARATE = re.compile(r"separate transaction", re.IGNORECASE)


def drizzle_fix(f: Finding) -> Finding:
    """``f`` with a fix that can be done in a drizzle folder, whose pending migrations run in one transaction.

    safeshift's fixes put a CONCURRENTLY statement in a ``-- safeshift:no-transaction`` step,
    a VALIDATE in a transaction of its own, or name ``safeshift generate``; a drizzle folder
    refuses the directive (drizzle's migrator would run the statement inside its transaction)
    and drizzle-kit writes its files, so the fix says what works there.
    """
    if _OUTSIDE.search(f.fix):
        fix = ("A drizzle folder runs its pending migrations in one transaction, where CONCURRENTLY cannot run "
               "(`-- safeshift:no-transaction` is refused there): run the CONCURRENTLY statement by hand (psql) "
               "before deploying and write the migration so that it finds the work done (CREATE INDEX IF NOT "
               "EXISTS, DROP INDEX IF EXISTS, ADD CONSTRAINT ... USING INDEX), or, for a small table, accept the "
               f"lock with `-- safeshift:allow {f.rule} <reason>`.")
    elif _SEPARATE.search(f.fix):
        fix = (f"{f.fix.rstrip('.')}. A drizzle folder runs its pending migrations in one transaction, so put "
               "the later step in a migration of its own (`npx drizzle-kit generate --custom`) and apply the "
               "earlier one first (`safeshift migrate --to VERSION`, or a deploy of its own).")
    elif "safeshift generate" in f.fix:  # drizzle-kit writes the folder: the steps, not the command
        fix = re.sub(r"\s*\(safeshift generate[^)]*\)", "", f.fix)
    else:
        return f
    return replace(f, fix=fix)


def expected_schema(folder: MigrationFolder, applied: Sequence[str], dialect: Dialect | None = None) -> Schema | None:
    """The drizzle snapshot of the last applied migration (None: nothing applied, expect an empty database).

    drizzle-kit writes a snapshot for every migration (a custom one gets a copy of the one
    before); where one is missing, the newest snapshot before it stands in.
    """
    done = set(applied)
    last = max((i for i, m in enumerate(folder.migrations) if m.version in done), default=None)
    if last is None:
        return None
    for m in reversed(folder.migrations[: last + 1]):
        path = snapshot_file(folder.path, m.path.stem)
        if path.is_file():
            return snapshot_schema(path, dialect)
    raise SnapshotError(f"{folder.path.name}/{META_DIR}/ holds no snapshot up to {folder.migrations[last].path.name}, "
                        "so there is no expected schema; regenerate the folder with drizzle-kit.")


# -- snapshots -> safeshift's model ------------------------------------------------------------------

_SERIALS = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}
_FK_ACTIONS = {"no action": "NO ACTION", "restrict": "RESTRICT", "cascade": "CASCADE", "set null": "SET NULL",
               "set default": "SET DEFAULT"}


class SnapshotError(MigrationsError):
    """A drizzle snapshot holds something safeshift's model cannot express (so no down SQL from it)."""


def snapshot_file(folder: Path, tag: str) -> Path:
    """``meta/<prefix>_snapshot.json`` of a journal tag: drizzle-kit names it by the tag's prefix."""
    prefix = tag.split("_", 1)[0]
    return Path(folder) / META_DIR / f"{prefix}_snapshot.json"


def snapshot_schema(path: Path, dialect: Dialect | None = None) -> Schema:
    """A drizzle-kit PostgreSQL snapshot (version 7) as a canonical ``model.Schema``.

    Types, defaults and expressions go through the dialect's normalisers, so the result
    equals what introspecting a database built by the migrations gives.  What the model
    cannot hold (views without a definition) raises SnapshotError; row-level security
    policies and roles are not schema objects safeshift manages and are left out.
    """
    from safeshift.dialects import get_dialect

    return _load_snapshot(path, dialect or get_dialect("postgresql"))[1]


def _load_snapshot(path: Path, dialect: Dialect) -> tuple[Mapping[str, Any], Schema]:
    """A snapshot's JSON (which also holds drizzle-kit's rename answers) and its ``model.Schema``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"Cannot read the drizzle snapshot {path.name} ({exc}).") from exc
    if not isinstance(data, dict) or data.get("dialect") not in _PG_DIALECTS:
        raise SnapshotError(f"{path.name} is not a drizzle-kit PostgreSQL snapshot.")
    return data, _Snapshot(dialect, data, path.name).schema()


class _Snapshots:
    """The snapshots of one down-file pass, each read and converted once: a migration's "after" is
    the next one's "before".  A snapshot that cannot be converted raises the same error each time."""

    def __init__(self, dialect: Dialect) -> None:
        self.d = dialect
        self._loaded: dict[Path, tuple[Mapping[str, Any], Schema] | SafeshiftError] = {}

    def load(self, path: Path) -> tuple[Mapping[str, Any], Schema]:
        if path not in self._loaded:
            try:
                self._loaded[path] = _load_snapshot(path, self.d)
            except SafeshiftError as exc:
                self._loaded[path] = exc
        found = self._loaded[path]
        if isinstance(found, SafeshiftError):
            raise found
        return found


class _Snapshot:
    def __init__(self, dialect: Dialect, data: Mapping[str, Any], label: str) -> None:
        self.d = dialect
        self.data = data
        self.label = label
        self.default_schema = dialect.default_schema

    def schema_name(self, value: Any) -> str:
        return str(value) if value else self.default_schema

    def schema(self) -> Schema:
        from safeshift.model import Enum, View, make_schema

        tables = [self.table(t) for t in (self.data.get("tables") or {}).values()]
        enums = [Enum(self.schema_name(e.get("schema")), e["name"], tuple(e.get("values") or ()))
                 for e in (self.data.get("enums") or {}).values()]
        sequences = [self.sequence(s) for s in (self.data.get("sequences") or {}).values()]
        views = []
        for v in (self.data.get("views") or {}).values():
            if v.get("isExisting"):
                continue
            if not v.get("definition"):
                raise SnapshotError(f"{self.label}: view {v.get('name')} has no definition in the snapshot.")
            views.append(View(self.schema_name(v.get("schema")), v["name"], self.d.normalize_view(v["definition"]),
                              bool(v.get("materialized"))))
        namespaces = set((self.data.get("schemas") or {}).values())
        namespaces |= {t.schema for t in tables} | {e.schema for e in enums} | {s.schema for s in sequences}
        namespaces.discard(self.default_schema)
        return make_schema(self.d.name, namespaces=namespaces, tables=tables, enums=enums, sequences=sequences,
                           views=views)

    def table(self, t: Mapping[str, Any]) -> Table:
        from safeshift.model import Check, PrimaryKey, Table, Unique

        name, schema = t["name"], self.schema_name(t.get("schema"))
        raw_columns = list((t.get("columns") or {}).values())
        columns = tuple(self.column(name, c) for c in raw_columns)
        pk_cols = tuple(c["name"] for c in raw_columns if c.get("primaryKey"))
        composite = list((t.get("compositePrimaryKeys") or {}).values())
        pk = None
        if composite:
            pk = PrimaryKey(composite[0]["name"], tuple(composite[0]["columns"]))
        elif pk_cols:
            pk = PrimaryKey(self.d.default_constraint_name("pk", name, pk_cols), pk_cols)
        uniques = [Unique(u["name"], tuple(u["columns"]), nulls_not_distinct=bool(u.get("nullsNotDistinct")))
                   for u in (t.get("uniqueConstraints") or {}).values()]
        for c in raw_columns:
            if c.get("isUnique"):
                uniques.append(Unique(c.get("uniqueName") or f"{name}_{c['name']}_unique", (c["name"],),
                                      nulls_not_distinct=bool(c.get("nullsNotDistinct"))))
        checks = [Check(k["name"], self.d.normalize_expression(k["value"]))
                  for k in (t.get("checkConstraints") or {}).values()]
        fks = [self.foreign_key(schema, f) for f in (t.get("foreignKeys") or {}).values()]
        indexes = [self.index(i) for i in (t.get("indexes") or {}).values()]
        return Table(schema, name, columns, pk, tuple(uniques), tuple(checks), tuple(fks), tuple(indexes))

    def column(self, table: str, c: Mapping[str, Any]) -> Column:
        from safeshift.model import Column, Generated, Identity

        raw_type = str(c["type"])
        serial = raw_type.lower() in _SERIALS
        type_sql = _SERIALS.get(raw_type.lower(), raw_type)
        if c.get("typeSchema"):  # an enum (or a domain) in a schema of its own
            base, _, dims = type_sql.partition("[")
            type_sql = f"{self.d.qualify(c['typeSchema'], base)}" + (f"[{dims}" if dims else "")
        col_type = self.d.normalize_type(type_sql)
        identity = None
        if c.get("identity"):
            i = c["identity"]
            identity = Identity(always=i.get("type") == "always", **_sequence_options(col_type, i))
        generated = None
        if c.get("generated"):
            generated = Generated(self.d.normalize_expression(c["generated"]["as"]), stored=True)
        default = None
        raw_default = c.get("default")
        if raw_default is not None and identity is None and generated is None and not serial:
            text = ("true" if raw_default else "false") if isinstance(raw_default, bool) else str(raw_default)
            default = self.d.normalize_default(text, col_type)
        nullable = not c.get("notNull") and not c.get("primaryKey")
        return Column(c["name"], col_type, nullable, default, identity, serial, generated)

    def foreign_key(self, schema: str, f: Mapping[str, Any]) -> ForeignKey:
        from safeshift.model import ForeignKey

        def action(value: Any) -> Any:
            key = str(value or "no action").lower()
            if key not in _FK_ACTIONS:
                raise SnapshotError(f"{self.label}: foreign key {f['name']} has ON {value}, which safeshift "
                                    "cannot express.")
            return _FK_ACTIONS[key]

        return ForeignKey(f["name"], tuple(f["columnsFrom"]), self.schema_name(f.get("schemaTo")) or schema,
                          f["tableTo"], tuple(f["columnsTo"]), on_delete=action(f.get("onDelete")),
                          on_update=action(f.get("onUpdate")))

    def index(self, i: Mapping[str, Any]) -> Index:
        from safeshift.model import Index, IndexElement

        elements = []
        for e in i.get("columns") or ():
            if isinstance(e, str):  # snapshots before version 7 list column names
                elements.append(IndexElement(e))
                continue
            descending = not e.get("asc", True)
            nulls = e.get("nulls")
            nulls_first = None if nulls is None or (nulls == "first") == descending else nulls == "first"
            value = self.d.normalize_expression(e["expression"]) if e.get("isExpression") else e["expression"]
            elements.append(IndexElement(value, bool(e.get("isExpression")), descending, nulls_first,
                                         e.get("opclass") or None))
        where = i.get("where")
        return Index(i["name"], tuple(elements), bool(i.get("isUnique")), str(i.get("method") or "btree").lower(),
                     self.d.normalize_expression(where) if where else None)

    def sequence(self, s: Mapping[str, Any]) -> SequenceModel:
        from safeshift.model import Sequence as SequenceModel

        return SequenceModel(self.schema_name(s.get("schema")), s["name"], "bigint",
                             **_sequence_options("bigint", s))


def _sequence_options(data_type: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """drizzle's sequence or identity options (strings, defaults spelled out) as the introspector keeps them."""
    from safeshift.dialects.postgres.types import INT_BOUNDS
    from safeshift.introspect.postgres import _sequence_options as options_of

    increment = int(raw.get("increment") or 1)
    low, bounds = INT_BOUNDS.get(data_type, INT_BOUNDS["bigint"])
    minvalue = int(raw["minValue"]) if raw.get("minValue") not in (None, "") else (1 if increment > 0 else low)
    maxvalue = int(raw["maxValue"]) if raw.get("maxValue") not in (None, "") else (bounds if increment > 0 else -1)
    start = int(raw["startWith"]) if raw.get("startWith") not in (None, "") else (
        minvalue if increment > 0 else maxvalue)
    return options_of(data_type, {"increment": increment, "minvalue": minvalue, "maxvalue": maxvalue,
                                  "start": start, "cache": int(raw.get("cache") or 1),
                                  "cycle": bool(raw.get("cycle"))})


def _renames(data: Mapping[str, Any], default_schema: str) -> RenameHints:
    """drizzle-kit's answers to its rename prompts (``_meta``) as safeshift rename hints."""
    from safeshift.renames import RenameHints

    def parts(key: str) -> list[str]:
        return [p.replace('""', '"') for p in re.findall(r'"((?:[^"]|"")*)"', key)]

    meta = data.get("_meta") or {}
    tables: dict[tuple[str, str], str] = {}
    columns: dict[tuple[str, str, str], str] = {}
    for old, new in (meta.get("tables") or {}).items():
        o, n = parts(old), parts(new)
        if len(o) == 2 and len(n) == 2:
            tables[(o[0] or default_schema, o[1])] = n[1]
    for old, new in (meta.get("columns") or {}).items():
        o, n = parts(old), parts(new)
        if len(o) == 3 and len(n) == 3:
            columns[(o[0] or default_schema, n[1], o[2])] = n[2]
    return RenameHints(tables, columns)


# -- down SQL ---------------------------------------------------------------------------------------

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


def down_text(folder: MigrationFolder, index: int, snapshots: _Snapshots | None = None) -> str:
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
    snapshots = snapshots or _Snapshots(get_dialect("postgresql"))
    d = snapshots.d
    after_path = snapshot_file(folder.path, m.path.stem)
    before_path = snapshot_file(folder.path, folder.migrations[index - 1].path.stem) if index else None
    try:
        data, after = snapshots.load(after_path)
        before = snapshots.load(before_path)[1] if before_path is not None else make_schema(d.name)
        changes = diff(before, after, _renames(data, d.default_schema), AssumeNew(), d.default_schema)
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
    snapshots = _Snapshots(get_dialect("postgresql"))  # converted only when a down file is written
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

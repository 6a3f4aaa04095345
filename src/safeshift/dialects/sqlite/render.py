"""How SQLite runs each kind of Change: the ``render_<kind>`` methods (``SQLiteRender``) and the DDL
they are built from, including the table rebuild.

SQLite's ALTER TABLE can add, rename and drop columns and rename tables, nothing else;
every other change is folded by the planner into a RebuildTable, rendered as the
"create new, copy, drop old, rename" procedure of https://www.sqlite.org/lang_altertable.html.
That procedure needs ``PRAGMA foreign_keys=OFF`` *outside* the transaction (otherwise
``DROP TABLE`` of a parent deletes or cascades into child rows); the runner calls
``before_migration``/``after_migration`` for that, and ``check_before_commit`` runs
``PRAGMA foreign_key_check`` so a migration that breaks references never commits.
"""

from __future__ import annotations

from collections.abc import Sequence

from safeshift import changes as ch
from safeshift.dialects.base import Dialect, Statement
from safeshift.dialects.sqlite.normalize import is_literal
from safeshift.errors import UnsupportedConstruct
from safeshift.model import Column, ForeignKey, Index, IndexElement, Table

REBUILD_PREFIX = "_safeshift_new_"


class SQLiteRender(Dialect):
    """Every Change SQLite renders, one ``render_<kind>`` method each (``Dialect.render`` dispatches);
    what ALTER TABLE cannot do arrives here as a RebuildTable."""

    # -- rendering helpers ---------------------------------------------------------------
    def _default_sql(self, default: str) -> str:
        return default if is_literal(default) else f"({default})"

    def column_sql(self, c: Column, *, inline_pk: bool = False) -> str:
        parts = [self.quote(c.name)]
        if c.type:
            parts.append(c.type)
        if not c.nullable:
            parts.append("NOT NULL")
        if inline_pk:
            parts.append("PRIMARY KEY AUTOINCREMENT")
        default = c.default_sql
        if default is not None and c.generated is None:
            parts.append(f"DEFAULT {self._default_sql(default)}")
        if c.collation:
            parts.append(f"COLLATE {self.quote(c.collation)}")
        if c.generated is not None:
            kind = "STORED" if c.generated.stored else "VIRTUAL"
            parts.append(f"GENERATED ALWAYS AS ({c.generated.expression}) {kind}")
        return " ".join(parts)

    def _columns(self, cols: Sequence[str]) -> str:
        return ", ".join(self.quote(c) for c in cols)

    def foreign_key_sql(self, fk: ForeignKey) -> str:
        parts = []
        if fk.name:
            parts.append(f"CONSTRAINT {self.quote(fk.name)}")
        parts.append(f"FOREIGN KEY ({self._columns(fk.columns)}) REFERENCES {self.quote(fk.ref_table)} "
                     f"({self._columns(fk.ref_columns)})")
        if fk.on_delete != "NO ACTION":
            parts.append(f"ON DELETE {fk.on_delete}")
        if fk.on_update != "NO ACTION":
            parts.append(f"ON UPDATE {fk.on_update}")
        if fk.match_full:
            parts.append("MATCH FULL")
        if fk.deferrable:
            parts.append("DEFERRABLE INITIALLY DEFERRED" if fk.initially_deferred else "DEFERRABLE")
        return " ".join(parts)

    def table_sql(self, t: Table, name: str | None = None) -> str:
        """CREATE TABLE with every column and constraint, foreign keys inline; no indexes."""
        if t.schema != self.default_schema:
            raise UnsupportedConstruct(f"table {t.qualname}", "a schema other than main",
                                       "SQLite has a single namespace.")
        pk = t.primary_key
        serial = [c.name for c in t.columns if c.serial]
        inline = serial[0] if pk is not None and len(serial) == 1 and pk.columns == (serial[0],) else None
        lines = [self.column_sql(c, inline_pk=c.name == inline) for c in t.columns]
        if pk is not None and inline is None:
            named = f"CONSTRAINT {self.quote(pk.name)} " if pk.name else ""
            lines.append(f"{named}PRIMARY KEY ({self._columns(pk.columns)})")
        for u in t.uniques:
            named = f"CONSTRAINT {self.quote(u.name)} " if u.name else ""
            lines.append(f"{named}UNIQUE ({self._columns(u.columns)})")
        for c in t.checks:
            named = f"CONSTRAINT {self.quote(c.name)} " if c.name else ""
            lines.append(f"{named}CHECK ({c.sql})")
        lines += [self.foreign_key_sql(fk) for fk in t.foreign_keys]
        body = ",\n    ".join(lines)
        # STRICT, WITHOUT ROWID: a rebuild keeps them (dropping STRICT would stop SQLite enforcing the types)
        options = f" {', '.join(t.options)}" if t.options else ""
        return f"CREATE TABLE {self.quote(name or t.name)} (\n    {body}\n){options};"

    def element_sql(self, e: IndexElement) -> str:
        text = e.value if e.is_expression else self.quote(e.value)
        if e.collation:
            text += f" COLLATE {self.quote(e.collation)}"
        if e.descending:
            text += " DESC"
        return text

    def index_sql(self, table: str, ix: Index) -> str:
        if ix.method != "btree" or ix.include or ix.nulls_not_distinct:
            raise UnsupportedConstruct(f"index {ix.name}", "an index method, INCLUDE or NULLS NOT DISTINCT",
                                       "SQLite only has plain b-tree indexes.")
        if any(e.nulls_first is not None for e in ix.elements):
            raise UnsupportedConstruct(f"index {ix.name}", "NULLS FIRST/LAST on a key",
                                       "SQLite indexes sort NULLs first ascending and last descending; "
                                       "drop the NULLS clause.")
        unique = "UNIQUE " if ix.unique else ""
        elements = ", ".join(self.element_sql(e) for e in ix.elements)
        where = f" WHERE {ix.where}" if ix.where else ""
        return f"CREATE {unique}INDEX {self.quote(ix.name)} ON {self.quote(table)} ({elements}){where};"

    def placeholder(self, type_name: str, *, distinct: bool = False) -> str:
        """A value to stand in for lost data when a dropped NOT NULL column is re-created.

        Chosen by the column's type affinity (https://www.sqlite.org/datatype3.html), with
        date and time types given a valid date or time rather than 0; ``distinct`` (a key
        or unique column) derives it from the row's rowid so rows do not collide.
        """
        t = type_name.upper()
        if distinct:
            return "CAST(rowid AS TEXT)" if any(k in t for k in ("CHAR", "CLOB", "TEXT")) else "rowid"
        if "INT" in t:
            return "0"
        if any(k in t for k in ("CHAR", "CLOB", "TEXT")):
            return "''"
        if "BLOB" in t or not t:
            return "x''"
        if "DATETIME" in t or "TIMESTAMP" in t:
            return "'1970-01-01 00:00:00'"
        if "DATE" in t:
            return "'1970-01-01'"
        if "TIME" in t:
            return "'00:00:00'"
        return "0"

    def _alter(self, table: str, action: str) -> Statement:
        return Statement(f"ALTER TABLE {self.quote(table)} {action};")

    # -- renderers -----------------------------------------------------------------------
    def render_create_table(self, change: ch.CreateTable) -> list[Statement]:
        """The table with its foreign keys inline; the planner emits its indexes as CreateIndex."""
        return [Statement(self.table_sql(change.table))]

    def render_drop_table(self, change: ch.DropTable) -> list[Statement]:
        return [Statement(f"DROP TABLE {self.quote(change.table.name)};")]

    def render_rename_table(self, change: ch.RenameTable) -> list[Statement]:
        return [self._alter(change.old, f"RENAME TO {self.quote(change.new)}")]

    def render_rename_column(self, change: ch.RenameColumn) -> list[Statement]:
        return [self._alter(change.table, f"RENAME COLUMN {self.quote(change.old)} TO {self.quote(change.new)}")]

    def render_add_column(self, change: ch.AddColumn) -> list[Statement]:
        return [self._alter(change.table, f"ADD COLUMN {self.column_sql(change.column)}")]

    def render_drop_column(self, change: ch.DropColumn) -> list[Statement]:
        return [self._alter(change.table, f"DROP COLUMN {self.quote(change.column.name)}")]

    def render_create_index(self, change: ch.CreateIndex) -> list[Statement]:
        return [Statement(self.index_sql(change.table, change.index))]

    def render_drop_index(self, change: ch.DropIndex) -> list[Statement]:
        return [Statement(f"DROP INDEX {self.quote(change.index.name)};")]

    def render_create_view(self, change: ch.CreateView) -> list[Statement]:
        v = change.view
        if v.materialized:
            raise UnsupportedConstruct(f"view {v.schema}.{v.name}", "a materialized view",
                                       "SQLite has no materialized views.")
        return [Statement(f"CREATE VIEW {self.quote(v.name)} AS {v.definition};")]

    def render_drop_view(self, change: ch.DropView) -> list[Statement]:
        v = change.view
        if v.materialized:
            raise UnsupportedConstruct(f"view {v.schema}.{v.name}", "a materialized view",
                                       "SQLite has no materialized views.")
        return [Statement(f"DROP VIEW {self.quote(v.name)};")]

    def render_create_trigger(self, change: ch.CreateTrigger) -> list[Statement]:
        # SQLite keeps the CREATE TRIGGER text as written; its BEGIN ... END body is one statement
        return [Statement(change.trigger.definition.rstrip().rstrip(";") + ";")]

    def render_drop_trigger(self, change: ch.DropTrigger) -> list[Statement]:
        return [Statement(f"DROP TRIGGER {self.quote(change.trigger.name)};")]

    def render_rebuild_table(self, change: ch.RebuildTable) -> list[Statement]:
        """SQLite's documented procedure: create the new table, copy, drop the old, rename.

        Runs inside the migration's transaction with ``foreign_keys`` OFF (set by the
        runner outside it).  ``legacy_alter_table`` is on for the final rename only, so
        SQLite does not re-check views and triggers that name the table while it is
        momentarily missing.
        """
        old, new = change.old, change.new
        temp = REBUILD_PREFIX + new.name
        generated = {c.name for c in new.columns if c.generated is not None}
        pairs = [(dst, self.quote(src)) for dst, src in change.column_map if src is not None and dst not in generated]
        sources = dict(change.column_map)
        keyed = {*(new.primary_key.columns if new.primary_key else ()), *(n for u in new.uniques for n in u.columns),
                 *(e.value for ix in new.indexes if ix.unique for e in ix.elements if not e.is_expression)}
        filled = [(c.name, self.placeholder(c.type, distinct=c.name in keyed)) for c in new.columns
                  if c.name in change.backfill and sources.get(c.name) is None and c.name not in generated]
        pairs += filled
        out = [Statement(self.table_sql(new, temp),
                         comment=f"rebuild {new.name}: SQLite cannot make this change with ALTER TABLE; "
                                 "needs PRAGMA foreign_keys=OFF outside the transaction (the runner sets it)")]
        if pairs:
            note = None
            if filled:
                note = (f"existing rows get placeholder values for {', '.join(n for n, _ in filled)}; "
                        "the real values are only in a backup")
            out.append(Statement(
                f"INSERT INTO {self.quote(temp)} ({self._columns([d for d, _ in pairs])}) "
                f"SELECT {', '.join(v for _, v in pairs)} FROM {self.quote(old.name)};", comment=note))
        out += [
            Statement(f"DROP TABLE {self.quote(old.name)};"),
            Statement("PRAGMA legacy_alter_table=ON;"),
            Statement(f"ALTER TABLE {self.quote(temp)} RENAME TO {self.quote(new.name)};"),
            Statement("PRAGMA legacy_alter_table=OFF;"),
        ]
        out += [Statement(self.index_sql(new.name, ix)) for ix in new.indexes]
        out.append(Statement(f"PRAGMA foreign_key_check({self.quote(new.name)});"))
        return out

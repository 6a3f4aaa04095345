"""How PostgreSQL runs each kind of Change: the ``render_<kind>`` methods (``PgRender``) that turn a
Change into its plain DDL — schemas, enums (added values or a full swap), sequences, tables, columns,
constraints, indexes and views.

The clauses they are built from are ``clauses``; a column changed in place is ``alter_column``; the
lock-safe forms are ``safe``.  ``PostgresDialect`` takes these methods by extending ``PgRender``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from safeshift.dialects.base import Statement
from safeshift.dialects.postgres.alter_column import AlterColumn
from safeshift.dialects.postgres.clauses import PgClauses, default_start
from safeshift.dialects.postgres.names import make_object_name, quote_ident
from safeshift.dialects.postgres.normalize import BUILTIN_NAMES
from safeshift.dialects.postgres.types import NUMERIC_TYPES
from safeshift.model import Enum
from safeshift.model import Sequence as SequenceModel

if TYPE_CHECKING:  # the change classes load only where a change is rendered
    from safeshift import changes as ch

#: SQL condition (over pg_depend row ``d``) that the owned sequence feeds the column's default
_USED_BY_DEFAULT = (
    "EXISTS (SELECT 1 FROM pg_catalog.pg_attrdef ad JOIN pg_catalog.pg_depend dd "
    "ON dd.classid = 'pg_catalog.pg_attrdef'::regclass AND dd.objid = ad.oid AND dd.refobjid = d.objid "
    "WHERE ad.adrelid = d.refobjid AND ad.adnum = d.refobjsubid)"
)


class PgRender(PgClauses):
    """Every Change PostgreSQL renders, one ``render_<kind>`` method each (``Dialect.render`` dispatches)."""

    # -- namespaces ----------------------------------------------------------------------
    def render_create_schema(self, change: ch.CreateSchema) -> list[Statement]:
        return [Statement(f"CREATE SCHEMA IF NOT EXISTS {self.quote(change.name)};")]

    def render_drop_schema(self, change: ch.DropSchema) -> list[Statement]:
        return [Statement(f"DROP SCHEMA {self.quote(change.name)};")]

    # -- enums ---------------------------------------------------------------------------
    def _enum_values(self, values: Sequence[str]) -> str:
        return ", ".join(self.literal(v) for v in values)

    def render_create_enum(self, change: ch.CreateEnum) -> list[Statement]:
        e = change.enum
        return [Statement(f"CREATE TYPE {self.qualify(e.schema, e.name)} AS ENUM ({self._enum_values(e.values)});")]

    def render_drop_enum(self, change: ch.DropEnum) -> list[Statement]:
        return [Statement(f"DROP TYPE {self.qualify(change.enum.schema, change.enum.name)};")]

    def render_rename_enum(self, change: ch.RenameEnum) -> list[Statement]:
        return [Statement(f"ALTER TYPE {self.qualify(change.schema, change.old)} RENAME TO {self.quote(change.new)};")]

    def render_rename_enum_value(self, change: ch.RenameEnumValue) -> list[Statement]:
        return [Statement(f"ALTER TYPE {self.qualify(change.schema, change.enum)} RENAME VALUE "
                          f"{self.literal(change.old)} TO {self.literal(change.new)};")]

    def render_alter_enum(self, change: ch.AlterEnum) -> list[Statement]:
        old, new = change.old, change.new
        if _is_insertion(old.values, new.values):
            return self._enum_add_values(old, new)
        return self._enum_swap(old, new)

    def _enum_add_values(self, old: Enum, new: Enum) -> list[Statement]:
        target = self.qualify(new.schema, new.name)
        out: list[Statement] = []
        existing = set(old.values)
        for i, value in enumerate(new.values):
            if value in existing:
                continue
            if i > 0:
                where = f" AFTER {self.literal(new.values[i - 1])}"
            else:
                where = f" BEFORE {self.literal(old.values[0])}" if old.values else ""
            out.append(Statement(f"ALTER TYPE {target} ADD VALUE {self.literal(value)}{where};"))
            existing.add(value)
        return out

    def _enum_swap(self, old: Enum, new: Enum) -> list[Statement]:
        """Rename the old type away, create the new one, move every column over, drop the old one."""
        tmp = make_object_name(old.name, None, "old")
        old_q = self.qualify(old.schema, tmp)
        new_q = self.qualify(new.schema, new.name)
        body = (
            "DECLARE r record; BEGIN "
            "FOR r IN SELECT a.attrelid::regclass AS rel, a.attname, a.atttypid = "
            f"{self.literal(old_q)}::regtype AS scalar, pg_get_expr(d.adbin, d.adrelid) AS def "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            f"WHERE a.atttypid IN ({self.literal(old_q)}::regtype, "
            f"(SELECT typarray FROM pg_type WHERE oid = {self.literal(old_q)}::regtype)) "
            "AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') LOOP "
            "IF r.def IS NOT NULL THEN "
            "EXECUTE format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT', r.rel, r.attname); END IF; "
            "IF r.scalar THEN "
            f"EXECUTE format('ALTER TABLE %s ALTER COLUMN %I TYPE {_dollar_safe(new_q)} "
            f"USING %I::text::{_dollar_safe(new_q)}', r.rel, r.attname, r.attname); "
            "ELSE "
            f"EXECUTE format('ALTER TABLE %s ALTER COLUMN %I TYPE {_dollar_safe(new_q)}[] "
            f"USING %I::text[]::{_dollar_safe(new_q)}[]', r.rel, r.attname, r.attname); "
            "END IF; "
            "IF r.def IS NOT NULL THEN "
            "EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', r.rel, r.attname, "
            f"replace(r.def, {self.literal('::' + _regtype_text(old.schema, tmp))}, "
            f"{self.literal('::' + _regtype_text(new.schema, new.name))})); END IF; "
            "END LOOP; END"
        )
        return [
            Statement(f"ALTER TYPE {new_q} RENAME TO {self.quote(tmp)};"),
            Statement(f"CREATE TYPE {new_q} AS ENUM ({self._enum_values(new.values)});"),
            Statement(f"DO $safeshift$ {body} $safeshift$;"),
            Statement(f"DROP TYPE {old_q};"),
        ]

    # -- sequences -----------------------------------------------------------------------
    def _sequence_options(self, s: SequenceModel) -> list[str]:
        opts = [f"AS {s.data_type}"]
        if s.increment is not None:
            opts.append(f"INCREMENT BY {s.increment}")
        if s.minvalue is not None:
            opts.append(f"MINVALUE {s.minvalue}")
        if s.maxvalue is not None:
            opts.append(f"MAXVALUE {s.maxvalue}")
        if s.start is not None:
            opts.append(f"START WITH {s.start}")
        if s.cache is not None:
            opts.append(f"CACHE {s.cache}")
        if s.cycle:
            opts.append("CYCLE")
        return opts

    def render_create_sequence(self, change: ch.CreateSequence) -> list[Statement]:
        s = change.sequence
        return [Statement(f"CREATE SEQUENCE {self.qualify(s.schema, s.name)} {' '.join(self._sequence_options(s))};")]

    def render_drop_sequence(self, change: ch.DropSequence) -> list[Statement]:
        s = change.sequence
        return [Statement(f"DROP SEQUENCE {self.qualify(s.schema, s.name)};")]

    def render_alter_sequence(self, change: ch.AlterSequence) -> list[Statement]:
        old, new = change.old, change.new
        opts: list[str] = []
        if old.data_type != new.data_type:
            opts.append(f"AS {new.data_type}")
        if old.increment != new.increment:
            opts.append(f"INCREMENT BY {new.increment if new.increment is not None else 1}")
        if old.minvalue != new.minvalue or old.data_type != new.data_type:
            opts.append(f"MINVALUE {new.minvalue}" if new.minvalue is not None else "NO MINVALUE")
        if old.maxvalue != new.maxvalue or old.data_type != new.data_type:
            opts.append(f"MAXVALUE {new.maxvalue}" if new.maxvalue is not None else "NO MAXVALUE")
        if old.start != new.start:
            opts.append(f"START WITH {default_start(new.start, new.increment, new.minvalue, new.maxvalue)}")
        if old.cache != new.cache:
            opts.append(f"CACHE {new.cache if new.cache is not None else 1}")
        if old.cycle != new.cycle:
            opts.append("CYCLE" if new.cycle else "NO CYCLE")
        if not opts:
            return []
        return [Statement(f"ALTER SEQUENCE {self.qualify(new.schema, new.name)} {' '.join(opts)};")]

    def render_release_sequence(self, change: ch.ReleaseSequence) -> list[Statement]:
        own, seq = make_object_name(change.table, change.old.name, "seq"), change.sequence
        out = [Statement(f"ALTER SEQUENCE {self.qualify(change.schema, own)} OWNED BY NONE;")]
        if own != seq.name:
            out.append(Statement(f"ALTER SEQUENCE {self.qualify(change.schema, own)} RENAME TO {self.quote(seq.name)};"))
        from safeshift.changes import AlterSequence

        out += self.render_alter_sequence(AlterSequence(_serial_sequence_of(seq, change.old.type), seq))
        out.append(self._alter(change.schema, change.table,
                               f"ALTER COLUMN {self.quote(change.new.name)} SET DEFAULT {change.new.default_sql}"))
        return out

    def render_adopt_sequence(self, change: ch.AdoptSequence) -> list[Statement]:
        own, seq = make_object_name(change.table, change.new.name, "seq"), change.sequence
        from safeshift.changes import AlterSequence

        out = self.render_alter_sequence(AlterSequence(seq, _serial_sequence_of(seq, change.new.type)))
        if own != seq.name:
            out.append(Statement(f"ALTER SEQUENCE {self.qualify(seq.schema, seq.name)} RENAME TO {self.quote(own)};"))
        qualified = self.qualify(change.schema, own)
        out.append(Statement(f"ALTER SEQUENCE {qualified} OWNED BY {self._column_target(change.schema, change.table, change.new.name)};"))
        out.append(self._alter(change.schema, change.table, f"ALTER COLUMN {self.quote(change.new.name)} "
                                                             f"SET DEFAULT nextval({self.literal(qualified)}::regclass)"))
        return out

    # -- tables --------------------------------------------------------------------------
    def render_create_table(self, change: ch.CreateTable) -> list[Statement]:
        t = change.table
        lines = [self.column_sql(c) for c in t.columns]
        if t.primary_key is not None:
            lines.append(self.pk_sql(t.name, t.primary_key))
        lines += [self.unique_sql(t.name, u) for u in t.uniques]
        lines += [self.check_sql(t.name, c) for c in t.checks]
        lines += [f"CONSTRAINT {self.quote(x.name)} {x.definition}" for x in t.exclusions]
        body = ",\n    ".join(lines)
        unlogged = "UNLOGGED " if t.unlogged else ""
        storage = f" WITH ({', '.join(t.options)})" if t.options else ""
        partitioned = f" PARTITION BY {t.partition_by}" if t.partition_by else ""
        of = t.partition_of
        if of is not None:
            # the parent's columns, constraints, indexes and row triggers come with PARTITION OF: only the
            # partition's own constraints are written
            own = f" (\n    {body}\n)" if lines else ""
            out = [Statement(f"CREATE {unlogged}TABLE {self._table(t.schema, t.name)} PARTITION OF "
                             f"{self._table(of.schema, of.table)}{own} {of.bound}{partitioned}{storage};")]
        else:
            out = [Statement(f"CREATE {unlogged}TABLE {self._table(t.schema, t.name)} (\n    {body}\n)"
                             f"{partitioned}{storage};")]
        if t.comment is not None:
            out.append(self._comment("TABLE", self._table(t.schema, t.name), t.comment))
        for c in t.columns:
            if c.comment is not None:
                out.append(self._comment("COLUMN", self._column_target(t.schema, t.name, c.name), c.comment))
        return out

    def render_drop_table(self, change: ch.DropTable) -> list[Statement]:
        return [Statement(f"DROP TABLE {self._table(change.table.schema, change.table.name)};")]

    def render_attach_partition(self, change: ch.AttachPartition) -> list[Statement]:
        of = change.partition_of
        return [self._alter(of.schema, of.table,
                            f"ATTACH PARTITION {self._table(change.schema, change.table)} {of.bound}")]

    def render_detach_partition(self, change: ch.DetachPartition) -> list[Statement]:
        of = change.partition_of
        return [self._alter(of.schema, of.table, f"DETACH PARTITION {self._table(change.schema, change.table)}")]

    def render_rename_table(self, change: ch.RenameTable) -> list[Statement]:
        """Serial sequences follow the table, so the column stays a serial column under its new name."""
        table = self.literal(self.qualify(change.schema, change.new))
        body = (
            "DECLARE r record; BEGIN "
            "FOR r IN SELECT s.relname AS seq, a.attname AS col FROM pg_catalog.pg_depend d "
            "JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
            "WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass "
            f"AND d.deptype = 'a' AND d.refobjid = {table}::regclass AND {_USED_BY_DEFAULT} LOOP "
            f"IF r.seq = {self.literal(change.old + '_')} || r.col || '_seq' "
            f"AND octet_length({self.literal(change.new + '_')} || r.col || '_seq') <= 63 THEN "
            f"EXECUTE format('ALTER SEQUENCE %I.%I RENAME TO %I', {self.literal(change.schema)}, r.seq, "
            f"{self.literal(change.new + '_')} || r.col || '_seq'); "
            "END IF; END LOOP; END"
        )
        return [self._alter(change.schema, change.old, f"RENAME TO {self.quote(change.new)}"),
                Statement(f"DO $safeshift$ {body} $safeshift$;")]

    def render_add_exclusion(self, change: ch.AddExclusion) -> list[Statement]:
        x = change.exclusion
        return [self._alter(change.schema, change.table, f"ADD CONSTRAINT {self.quote(x.name)} {x.definition}")]

    def render_drop_exclusion(self, change: ch.DropExclusion) -> list[Statement]:
        return [self._alter(change.schema, change.table, f"DROP CONSTRAINT {self.quote(change.exclusion.name)}")]

    def render_set_table_comment(self, change: ch.SetTableComment) -> list[Statement]:
        return [self._comment("TABLE", self._table(change.schema, change.table), change.new)]

    def render_set_table_storage(self, change: ch.SetTableStorage) -> list[Statement]:
        target = self._table(change.schema, change.table)
        (old_unlogged, old_opts), (new_unlogged, new_opts) = change.old, change.new
        out = []
        if old_unlogged != new_unlogged:
            out.append(Statement(f"ALTER TABLE {target} SET {'UNLOGGED' if new_unlogged else 'LOGGED'};"))
        gone = sorted({o.split("=", 1)[0] for o in old_opts} - {o.split("=", 1)[0] for o in new_opts})
        if gone:
            out.append(Statement(f"ALTER TABLE {target} RESET ({', '.join(gone)});"))
        changed = [o for o in new_opts if o not in old_opts]
        if changed:
            out.append(Statement(f"ALTER TABLE {target} SET ({', '.join(changed)});"))
        return out

    # -- columns -------------------------------------------------------------------------
    def placeholder(self, type_name: str) -> str | None:
        """A value of ``type_name`` to stand in for lost data when a dropped NOT NULL column is re-created."""
        if type_name.endswith("]"):
            return "'{}'"
        if NUMERIC_TYPES.match(type_name):
            return "0"
        base = type_name.split("(")[0]
        fixed = {"boolean": "false", "text": "''", "character varying": "''", "character": "' '",
                 "date": "'epoch'", "timestamp without time zone": "'epoch'", "timestamp with time zone": "'epoch'",
                 "time without time zone": "'00:00'", "time with time zone": "'00:00+00'", "interval": "'0'",
                 "uuid": "'00000000-0000-0000-0000-000000000000'", "json": "'null'", "jsonb": "'null'",
                 "bytea": "''"}
        for prefix, value in fixed.items():
            if base.startswith(prefix):
                return value
        if base not in BUILTIN_NAMES:  # an enum: its first label
            return f"(pg_catalog.enum_range(NULL::{self._type_sql(type_name)}))[1]"
        return None

    def render_add_column(self, change: ch.AddColumn) -> list[Statement]:
        col = change.column
        value = self.placeholder(col.type) if change.backfill else None
        if value is not None:
            target = self.quote(col.name)
            add = self._alter(change.schema, change.table, f"ADD COLUMN {self.column_sql(replace(col, default=value))}")
            return [
                replace(add, comment=f"existing rows get the placeholder {value}; the real values are only in a backup"),
                self._alter(change.schema, change.table, f"ALTER COLUMN {target} DROP DEFAULT"),
                *self.render_add_column(replace(change, column=replace(col, default=None), backfill=False))[1:],
            ]
        out = [self._alter(change.schema, change.table, f"ADD COLUMN {self.column_sql(change.column)}")]
        if change.column.comment is not None:
            target = self._column_target(change.schema, change.table, change.column.name)
            out.append(self._comment("COLUMN", target, change.column.comment))
        return out

    def render_drop_column(self, change: ch.DropColumn) -> list[Statement]:
        return [self._alter(change.schema, change.table, f"DROP COLUMN {self.quote(change.column.name)}")]

    def render_rename_column(self, change: ch.RenameColumn) -> list[Statement]:
        """A serial column's sequence is renamed with it, so introspection still sees a serial."""
        rename = self._alter(change.schema, change.table,
                             f"RENAME COLUMN {self.quote(change.old)} TO {self.quote(change.new)}")
        if not change.serial:
            return [rename]
        old_seq = self._serial_sequence(change.schema, change.table, change.old)
        new_seq = make_object_name(change.table, change.new, "seq")
        table = self.literal(self.qualify(change.schema, change.table))
        body = (
            "BEGIN IF EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
            "WHERE d.classid = 'pg_catalog.pg_class'::regclass "
            f"AND d.objid = pg_catalog.to_regclass({self.literal(old_seq)}) "
            f"AND d.refobjid = {table}::regclass AND d.deptype = 'a' AND {_USED_BY_DEFAULT}) THEN "
            f"ALTER SEQUENCE {old_seq} RENAME TO {self.quote(new_seq)}; END IF; END"
        )
        return [rename, Statement(f"DO $safeshift$ {body} $safeshift$;")]

    def render_alter_column(self, change: ch.AlterColumn) -> list[Statement]:
        return list(AlterColumn(self, change).statements())

    def alter_column_statements(self, change: ch.AlterColumn) -> list[Statement]:
        """The plain statements of a column change (the lock-safe forms build on them)."""
        return list(AlterColumn(self, change).statements())

    # -- constraints ---------------------------------------------------------------------
    def render_add_primary_key(self, change: ch.AddPrimaryKey) -> list[Statement]:
        return [self._alter(change.schema, change.table, f"ADD {self.pk_sql(change.table, change.primary_key)}")]

    def render_drop_primary_key(self, change: ch.DropPrimaryKey) -> list[Statement]:
        pk = change.primary_key
        return [self._alter(change.schema, change.table,
                            f"DROP CONSTRAINT {self._cname(pk.name, 'pk', change.table, pk.columns)}")]

    def render_add_unique(self, change: ch.AddUnique) -> list[Statement]:
        return [self._alter(change.schema, change.table, f"ADD {self.unique_sql(change.table, change.unique)}")]

    def render_drop_unique(self, change: ch.DropUnique) -> list[Statement]:
        u = change.unique
        return [self._alter(change.schema, change.table,
                            f"DROP CONSTRAINT {self._cname(u.name, 'unique', change.table, u.columns)}")]

    def render_add_check(self, change: ch.AddCheck) -> list[Statement]:
        return [self._alter(change.schema, change.table, f"ADD {self.check_sql(change.table, change.check)}")]

    def render_drop_check(self, change: ch.DropCheck) -> list[Statement]:
        return [self._alter(change.schema, change.table,
                            f"DROP CONSTRAINT {self._cname(change.check.name, 'check', change.table, ())}")]

    def render_add_foreign_key(self, change: ch.AddForeignKey) -> list[Statement]:
        return [self._alter(change.schema, change.table, f"ADD {self.fk_sql(change.table, change.foreign_key)}")]

    def render_drop_foreign_key(self, change: ch.DropForeignKey) -> list[Statement]:
        fk = change.foreign_key
        return [self._alter(change.schema, change.table,
                            f"DROP CONSTRAINT {self._cname(fk.name, 'fk', change.table, fk.columns)}")]

    def render_rename_constraint(self, change: ch.RenameConstraint) -> list[Statement]:
        return [self._alter(change.schema, change.table,
                            f"RENAME CONSTRAINT {self.quote(change.old)} TO {self.quote(change.new)}")]

    # -- indexes -------------------------------------------------------------------------
    def render_create_index(self, change: ch.CreateIndex) -> list[Statement]:
        return [Statement(self.index_sql(change.schema, change.table, change.index))]

    def render_drop_index(self, change: ch.DropIndex) -> list[Statement]:
        return [Statement(f"DROP INDEX {self.qualify(change.schema, change.index.name)};")]

    def render_rename_index(self, change: ch.RenameIndex) -> list[Statement]:
        return [Statement(f"ALTER INDEX {self.qualify(change.schema, change.old)} RENAME TO {self.quote(change.new)};")]

    # -- views ---------------------------------------------------------------------------
    def render_create_view(self, change: ch.CreateView) -> list[Statement]:
        v = change.view
        kind = "MATERIALIZED VIEW" if v.materialized else "VIEW"
        target = self.qualify(v.schema, v.name)
        out = [Statement(f"CREATE {kind} {target} AS {v.definition.strip().rstrip(';')};")]
        if v.comment is not None:
            out.append(self._comment(kind, target, v.comment))
        out += [Statement(self.index_sql(v.schema, v.name, ix)) for ix in v.indexes]
        return out

    def render_replace_view(self, change: ch.ReplaceView) -> list[Statement]:
        old, new = change.old, change.new
        target = self.qualify(new.schema, new.name)
        out = []
        if old.definition != new.definition:
            out.append(Statement(f"CREATE OR REPLACE VIEW {target} AS {new.definition.strip().rstrip(';')};"))
        if old.comment != new.comment:
            out.append(self._comment("VIEW", target, new.comment))
        return out

    def render_drop_view(self, change: ch.DropView) -> list[Statement]:
        v = change.view
        kind = "MATERIALIZED VIEW" if v.materialized else "VIEW"
        return [Statement(f"DROP {kind} {self.qualify(v.schema, v.name)};")]


# -- small helpers --------------------------------------------------------------------------

def _serial_sequence_of(seq: SequenceModel, column_type: str) -> SequenceModel:
    """The sequence a serial column of ``column_type`` owns, under ``seq``'s name: its type and no options."""
    return replace(seq, data_type=column_type, start=None, increment=None, minvalue=None, maxvalue=None,
                   cycle=False, cache=None)


def _is_insertion(old: Sequence[str], new: Sequence[str]) -> bool:
    """True when ``new`` is ``old`` with values inserted (none removed, none reordered)."""
    it = iter(new)
    return len(set(new)) == len(new) and all(v in it for v in old)


def _regtype_text(schema: str, name: str) -> str:
    return quote_ident(name) if schema == "public" else f"{quote_ident(schema)}.{quote_ident(name)}"


def _dollar_safe(sql: str) -> str:
    """Text embedded in a format() string literal inside a DO block: double quotes stay, % and ' escape."""
    return sql.replace("%", "%%").replace("'", "''")

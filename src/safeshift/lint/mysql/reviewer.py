"""The rules over MySQL and MariaDB statements, in file order, with what earlier statements established.

MySQL's hazards are mostly about how the server runs an ALTER: INSTANT (a catalog change), INPLACE with
``LOCK=NONE`` (built while writes go on), or COPY (a copy of the table that blocks every write until it
ends), which the server picks silently unless the statement names an ``ALGORITHM``.  So the reviewer asks the
same verdict as the lock-safe renderer (``dialects.mysql.safe.alter_algorithm``) of each column change,
against the column as the schema before the migration has it (a folder's snapshot) or as an earlier
statement of the file left it; a statement that names ``ALGORITHM=INSTANT`` or ``INPLACE`` cannot copy (the
server refuses it instead), so it is not a copy finding.  Without the old definition a MODIFY that names no
algorithm may copy, and the finding says so.  The server's version is not known here: a change that copies on
some supported version is reported, the message saying which.

Every DDL statement also waits for the table's metadata lock, behind any transaction that read the table,
while every later query queues behind it: one ``mysql-metadata-lock`` finding (info) per file says so, with
the advice to bound the wait with ``lock_wait_timeout``, which safeshift's runner sets and retries.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace

from sqlglot import exp

from safeshift.dialects.mysql.safe import Server, alter_algorithm
from safeshift.dialects.mysql.types import enum_values, normalize_type
from safeshift.errors import UnsupportedConstruct
from safeshift.lint import glot
from safeshift.lint.context import Hit, TableRef
from safeshift.lint.finding import Facts, Finding
from safeshift.lint.mysql.parse import Parsed, parse
from safeshift.lint.sql import Step, enabled_rules
from safeshift.model import Column, Generated, Schema, Table
from safeshift.sections import SqlStatement

_INTS = ("tinyint", "smallint", "mediumint", "int", "bigint")
_COPY_FIX = ("Copy the table online with pt-online-schema-change or gh-ost, or run it while writes are quiet; "
             "safeshift generate writes ALGORITHM=INSTANT / INPLACE, LOCK=NONE where the server can, and refuses "
             "where only a copy would do.")
#: what an unknown server version is judged as: the clauses every supported server honours
_ANY_SERVER = Server()


def _key(name: str) -> str:
    return name.lower()


def _ref(node: exp.Expression | None) -> TableRef | None:
    if not isinstance(node, exp.Table) or not node.name:
        return None
    return (None, node.name)


class MySQLReviewer:
    """One pass over one file's MySQL statements (the ``StepReviewer`` of the ``mysql`` dialect)."""

    def __init__(self, *, file: str | None, facts: Mapping[str, Facts] | None, runner_timeouts: bool,
                 include: Collection[str] = (), schema: Schema | None = None) -> None:
        self.file = file
        self.facts = facts
        #: run by safeshift's runner, which sets lock_wait_timeout and retries
        self.runner = runner_timeouts
        self.enabled = enabled_rules(include)
        self.findings: list[Finding] = []
        self.tables: dict[str, Table] = {_key(t.name): t for t in schema.tables} if schema else {}
        self.created: set[str] = set()
        self.fk_checks_off = False
        self.lock_wait_set = False
        self.metadata_noted = False

    # -- findings -------------------------------------------------------------------------------
    def _emit(self, st: SqlStatement, hits: Iterable[Hit]) -> list[Finding]:
        out = glot.emit(st, hits, enabled=self.enabled, file=self.file, created=self.created, facts=self.facts,
                        graded=lambda t: (None, _key(t[1])) if _key(t[1]) in self.created else t,
                        shown=lambda t: t[1])
        self.findings += out
        return out

    # -- one statement ----------------------------------------------------------------------------
    def review(self, step: Step) -> list[Finding]:
        st = step.statement
        return self._emit(st, list(self._hits(parse(st.sql), st)))

    def _hits(self, parsed: Parsed, st: SqlStatement) -> Iterable[Hit]:
        if parsed.error is not None:
            yield Hit("unparsed-statement", f"Line {st.line}: sqlglot cannot read this statement as MySQL "
                      f"({parsed.error}), so no rule checked it.")
            return
        online = dict(parsed.options).get("ALGORITHM") in ("INSTANT", "INPLACE", "NOCOPY")
        if parsed.head is not None:
            yield from self._head(parsed, online)
            return
        tree = parsed.tree
        if isinstance(tree, exp.Alter):
            yield from self._alter(tree, online, dict(parsed.options).get("ALGORITHM"))
        elif isinstance(tree, exp.Create):
            yield from self._create(tree)
        elif isinstance(tree, exp.Drop):
            yield from self._drop(tree)
        elif isinstance(tree, exp.TruncateTable):
            for node in tree.expressions:
                if (ref := _ref(node)) is not None:
                    yield Hit("truncate-table", f"TRUNCATE deletes every row of {ref[1]} (and cannot be rolled "
                              "back: MySQL commits it like DDL).", table=ref)
        elif isinstance(tree, exp.Delete | exp.Update):
            ref = _ref(tree.this)
            if tree.args.get("where") is None and ref is not None:
                yield Hit("delete-without-where" if isinstance(tree, exp.Delete) else "update-without-where",
                          table=ref)
        elif isinstance(tree, exp.Set):
            self._set(tree)

    def _head(self, parsed: Parsed, online: bool) -> Iterable[Hit]:
        if parsed.head == "rename table":
            pairs = list(zip(parsed.names[::2], parsed.names[1::2], strict=True))
            for old, new in pairs:
                yield from self._metadata_lock((None, old))
                if _key(old) not in self.created:
                    yield Hit("renaming-table", f"Renaming {old} to {new} breaks running app instances that use "
                              "the old name.", table=(None, old))
                self._renamed(old, new)
        elif parsed.head == "convert charset":
            table, charset = parsed.names
            yield from self._metadata_lock((None, table))
            yield Hit("mysql-charset-change", f"CONVERT TO CHARACTER SET {charset} converts every text column of "
                      f"{table}: characters {charset} lacks become '?', and values may collide in unique keys.",
                      table=(None, table))
            yield Hit("mysql-table-copy", f"CONVERT TO CHARACTER SET copies the whole of {table} "
                      "(ALGORITHM=COPY), blocking writes until it ends.", _COPY_FIX, table=(None, table))
        elif parsed.head == "optimize":
            table = parsed.names[0]
            yield from self._metadata_lock((None, table))
            yield Hit("mysql-table-copy", f"OPTIMIZE TABLE rebuilds the whole of {table} (online for InnoDB without "
                      "a FULLTEXT index, a blocking copy otherwise), writing a second copy of it to disk.",
                      "Run it by hand in a quiet moment, not in a migration.", table=(None, table))
        elif parsed.head == "blocking index":
            name, table, kind = parsed.names
            yield from self._metadata_lock((None, table))
            yield Hit("mysql-table-copy", f"A {kind} index ({name}) is built under LOCK=SHARED: every write to "
                      f"{table} waits for the whole build.", _COPY_FIX, table=(None, table))

    # -- session settings --------------------------------------------------------------------------
    def _set(self, tree: exp.Set) -> None:
        for item in tree.expressions:
            node = item.this if isinstance(item, exp.SetItem) else item
            if not isinstance(node, exp.EQ):
                continue
            name = node.this.sql(dialect="mysql").lower().replace("@@session.", "").replace("@@", "")
            value = node.expression.sql(dialect="mysql").strip("'\"").lower()
            if name.endswith("foreign_key_checks"):
                self.fk_checks_off = value in ("0", "off", "false")
            elif name.endswith("lock_wait_timeout"):
                self.lock_wait_set = True

    def _metadata_lock(self, ref: TableRef | None) -> Iterable[Hit]:
        """Once per file, at the first DDL on a table that existed before it."""
        if self.metadata_noted or ref is None or _key(ref[1]) in self.created:
            return
        self.metadata_noted = True
        if self.runner or self.lock_wait_set:
            yield Hit("mysql-metadata-lock", f"DDL on {ref[1]} waits for its metadata lock behind any open "
                      "transaction that read it, and new queries on it queue meanwhile; the wait is bounded by "
                      "lock_wait_timeout (safeshift's runner sets it from lock_timeout and retries).", table=ref)
        else:
            yield Hit("mysql-metadata-lock", f"No SET lock_wait_timeout before this DDL on {ref[1]}: the default "
                      "is a year, so behind one long transaction it waits, and every query on the table queues "
                      "behind it meanwhile.", table=ref)

    # -- CREATE / DROP ------------------------------------------------------------------------------
    def _create(self, tree: exp.Create) -> Iterable[Hit]:
        kind = str(tree.args.get("kind") or "").upper()
        if kind == "TABLE":
            target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
            ref = _ref(target)
            if ref is not None:
                self.created.add(_key(ref[1]))
                self.tables.pop(_key(ref[1]), None)
        elif kind == "INDEX" and isinstance(tree.this, exp.Index):
            ref = _ref(tree.this.args.get("table"))
            yield from self._metadata_lock(ref)
            if ref is not None and tree.args.get("unique"):
                yield Hit("unique-on-existing-data", f"Existing rows of {ref[1]} may hold duplicates, which make "
                          f"unique index {tree.this.name} fail.", table=ref)

    def _drop(self, tree: exp.Drop) -> Iterable[Hit]:
        kind = str(tree.args.get("kind") or "").upper()
        if kind in ("DATABASE", "SCHEMA"):
            yield Hit("drop-database")
            return
        for node in tree.args.get("tables") or [tree.this]:
            ref = _ref(node)
            if ref is None:
                continue
            if kind == "TABLE":
                yield from self._metadata_lock(ref)
                yield Hit("drop-table", f"Dropping table {ref[1]} deletes it and every row in it.", table=ref)
                self.tables.pop(_key(ref[1]), None)
            elif kind == "VIEW":
                yield Hit("drop-view", f"Dropping view {ref[1]} breaks code that reads from it.")
            elif kind == "INDEX":
                cluster = tree.args.get("cluster")
                table = _ref(cluster.this) if isinstance(cluster, exp.OnProperty) else None
                yield from self._metadata_lock(table)
                yield Hit("drop-index", table=table)

    # -- ALTER TABLE ----------------------------------------------------------------------------------
    def _alter(self, tree: exp.Alter, online: bool, algorithm: str | None) -> Iterable[Hit]:
        ref = _ref(tree.this)
        if ref is None:
            return
        yield from self._metadata_lock(ref)
        name = ref[1]
        actions = list(tree.args.get("actions") or ())
        adds_pk = any(isinstance(a, exp.AddConstraint) and any(
            isinstance(e, exp.PrimaryKey) or (isinstance(e, exp.Constraint) and any(
                isinstance(x, exp.PrimaryKey) for x in e.expressions)) for e in a.expressions) for a in actions)
        if algorithm == "COPY":
            yield Hit("mysql-table-copy", f"ALGORITHM=COPY copies the whole of {name}, blocking writes until it "
                      "ends.", _COPY_FIX, table=ref)
        for prop in tree.args.get("options") or ():
            if isinstance(prop, exp.EngineProperty) and not online:
                yield Hit("mysql-table-copy", f"ENGINE={prop.name} rebuilds {name} (a copy when the engine changes).",
                          _COPY_FIX, table=ref)
        for action in actions:
            if isinstance(action, exp.ColumnDef):
                yield from self._add_column(ref, action, online, algorithm)
            elif isinstance(action, exp.ModifyColumn):
                yield from self._modify(ref, action, online)
            elif isinstance(action, exp.RenameColumn):
                old, new = action.this.name, action.args["to"].name
                if _key(name) not in self.created:
                    yield Hit("renaming-column", f"Renaming {name}.{old} to {new} breaks running app instances "
                              "that use the old name.", table=ref)
                self._column_renamed(name, old, new)
            elif isinstance(action, exp.AlterRename):
                new_ref = _ref(action.this)
                if new_ref is not None:
                    if _key(name) not in self.created:
                        yield Hit("renaming-table", f"Renaming {name} to {new_ref[1]} breaks running app instances "
                                  "that use the old name.", table=ref)
                    self._renamed(name, new_ref[1])
            elif isinstance(action, exp.Drop):
                yield from self._drop_action(ref, action)
            elif isinstance(action, exp.DropPrimaryKey):
                if not adds_pk and not online:
                    yield Hit("mysql-table-copy", f"Dropping the primary key of {name} without adding another in the "
                              "same statement copies the table (ALGORITHM=COPY), blocking writes.", _COPY_FIX,
                              table=ref)
            elif isinstance(action, exp.AddConstraint):
                yield from self._add_constraint(ref, action, online, algorithm)
            elif isinstance(action, exp.AlterColumn) and action.args.get("drop"):
                yield Hit("drop-default", f"Dropping the default of {name}.{action.name} makes inserts that omit "
                          "it fail (NOT NULL) or store NULL.", table=ref)

    def _drop_action(self, ref: TableRef, action: exp.Drop) -> Iterable[Hit]:
        kind = str(action.args.get("kind") or "").upper()
        for node in action.args.get("tables") or [action.this]:
            if node is None:
                continue
            what = node.name
            if kind == "COLUMN":
                yield Hit("drop-column", f"Dropping column {ref[1]}.{what} deletes its data, and a running app that "
                          "still reads or writes it fails.", table=ref)
                if (t := self.tables.get(_key(ref[1]))) is not None:
                    self.tables[_key(ref[1])] = replace(t, columns=tuple(
                        c for c in t.columns if _key(c.name) != _key(what)))
            elif kind == "INDEX":
                yield Hit("drop-index", table=ref)
            elif kind in ("FOREIGN KEY", "CONSTRAINT", "CHECK"):
                yield Hit("drop-constraint", f"Dropping {kind.lower()} {what} on {ref[1]} removes a guarantee "
                          "running code may rely on.", table=ref)

    def _add_constraint(self, ref: TableRef, action: exp.AddConstraint, online: bool,
                        algorithm: str | None) -> Iterable[Hit]:
        name = ref[1]
        for e in action.expressions:
            inner = list(e.expressions) if isinstance(e, exp.Constraint) else [e]
            for node in inner:
                if isinstance(node, exp.ForeignKey):
                    if not (self.fk_checks_off and algorithm == "INPLACE"):
                        yield Hit("adding-foreign-key-constraint", f"Adding a foreign key to {name} with "
                                  "foreign_key_checks on copies the table (ALGORITHM=COPY) and checks every row, "
                                  "blocking writes until it ends.",
                                  "Check for orphan rows first, then add the key with foreign_key_checks = 0 and "
                                  "ALGORITHM=INPLACE, LOCK=NONE (what safeshift generate writes).", table=ref)
                elif isinstance(node, exp.CheckColumnConstraint):
                    if not online:
                        yield Hit("mysql-table-copy", f"Adding a CHECK to {name} checks every row under a table "
                                  "copy (ALGORITHM=COPY), blocking writes until it ends.", _COPY_FIX, table=ref)
                elif isinstance(node, exp.UniqueColumnConstraint):
                    yield Hit("unique-on-existing-data", f"Existing rows of {name} may hold duplicates, which make "
                              "the unique key fail.", table=ref)
                elif isinstance(node, exp.PrimaryKey):
                    yield Hit("unique-on-existing-data", f"Existing rows of {name} may hold duplicates or NULLs, "
                              "which make the primary key fail.", table=ref)
                elif isinstance(node, exp.IndexColumnConstraint) and str(node.args.get("kind") or "").upper() in (
                        "FULLTEXT", "SPATIAL"):
                    yield Hit("mysql-table-copy", f"A {str(node.args['kind']).upper()} index on {name} is built "
                              "under LOCK=SHARED: every write waits for the whole build.", _COPY_FIX, table=ref)

    # -- columns ----------------------------------------------------------------------------------------
    def _add_column(self, ref: TableRef, defn: exp.ColumnDef, online: bool, algorithm: str | None) -> Iterable[Hit]:
        col, flags = _column(defn)
        where = f"{ref[1]}.{defn.name}"
        if defn.args.get("position") is not None and algorithm != "INSTANT":
            yield Hit("mysql-column-position", table=ref)
        if "auto_increment" in flags:
            yield Hit("mysql-table-copy", f"Adding AUTO_INCREMENT column {where} numbers every row under a lock "
                      "that blocks writes (LOCK=NONE is refused).", _COPY_FIX, table=ref)
        elif col is not None and col.generated is not None and col.generated.stored and not online:
            yield Hit("mysql-table-copy", f"Adding STORED generated column {where} computes it for every row "
                      "under a table copy (ALGORITHM=COPY).", _COPY_FIX, table=ref)
        elif col is not None and col.needs_backfill:
            yield Hit("adding-required-field", f"{where} is NOT NULL without a default: MySQL gives every existing "
                      "row the type's implicit value (0, '', a zero date), which the app cannot tell from real data.",
                      "Add it with the DEFAULT you mean, or nullable, backfill in batches, then make it NOT NULL.",
                      table=ref)
        yield Hit("add-column", table=ref)
        t = self.tables.get(_key(ref[1]))
        if t is not None and col is not None:
            self.tables[_key(ref[1])] = replace(t, columns=(*t.columns, col))

    def _modify(self, ref: TableRef, action: exp.ModifyColumn, online: bool) -> Iterable[Hit]:
        defn = action.this
        if not isinstance(defn, exp.ColumnDef):
            return
        renamed_from = action.args.get("rename_from")
        old_name = renamed_from.name if isinstance(renamed_from, exp.Expression) else defn.name
        name = ref[1]
        if _key(old_name) != _key(defn.name) and _key(name) not in self.created:
            yield Hit("renaming-column", f"CHANGE COLUMN renames {name}.{old_name} to {defn.name}, which breaks "
                      "running app instances that use the old name.", table=ref)
        if defn.args.get("position") is not None:
            yield Hit("mysql-column-position", f"Moving {name}.{defn.name} (FIRST/AFTER) rebuilds the table on "
                      "MySQL before 8.0.29 and MariaDB before 10.4.", table=ref)
        new, flags = _column(defn)
        table = self.tables.get(_key(name))
        old = next((c for c in table.columns if _key(c.name) == _key(old_name)), None) if table else None
        if _key(name) in self.created:
            old = None
        if new is None or old is None or table is None:
            if not online and _key(name) not in self.created:
                yield Hit("mysql-table-copy", f"{name}.{old_name}'s current definition is not known here, so whether "
                          "this MODIFY is done in place or copies the whole table cannot be told; name "
                          "ALGORITHM=INPLACE, LOCK=NONE so the server refuses instead of copying.", _COPY_FIX,
                          table=ref)
            if table is not None and new is not None:
                self._column_replaced(name, old_name, new)
            return
        charset = flags.get("charset")
        before = _charset_of(old, table)
        if charset is not None and charset != before:
            # an explicit CHARACTER SET other than the column's (or one the schema does not tell) converts it
            why = f"{name}.{old_name} is converted to {charset}" + (f" from {before}" if before else "")
            yield Hit("mysql-charset-change", f"{why}: characters {charset} lacks become '?', under a table copy.",
                      table=ref)
            if not online:
                yield Hit("mysql-table-copy", f"{why}, which copies the whole table (ALGORITHM=COPY).", _COPY_FIX,
                          table=ref)
        yield from _column_change(ref, old, new, table, online)
        self._column_replaced(name, old_name, replace(new, name=defn.name))

    # -- what the file did to the known tables ------------------------------------------------------------
    def _renamed(self, old: str, new: str) -> None:
        if (t := self.tables.pop(_key(old), None)) is not None:
            self.tables[_key(new)] = replace(t, name=new)
        if _key(old) in self.created:
            self.created.add(_key(new))

    def _column_renamed(self, table: str, old: str, new: str) -> None:
        if (t := self.tables.get(_key(table))) is not None:
            self.tables[_key(table)] = replace(t, columns=tuple(
                replace(c, name=new) if _key(c.name) == _key(old) else c for c in t.columns))

    def _column_replaced(self, table: str, old: str, new: Column) -> None:
        if (t := self.tables.get(_key(table))) is not None:
            self.tables[_key(table)] = replace(t, columns=tuple(
                new if _key(c.name) == _key(old) else c for c in t.columns))

    def finish(self) -> None:
        """Nothing is judged at the end of a MySQL file: each statement commits on its own."""


def _column_change(ref: TableRef, old: Column, new: Column, table: Table, online: bool) -> Iterable[Hit]:
    """What a MODIFY from ``old`` to ``new`` does: the lock-safe renderer's algorithm verdict, and the data it
    can lose or refuse."""
    where = f"{ref[1]}.{old.name}"
    olds, news = _enum(old.type), _enum(new.type)
    if olds is not None and news is not None:
        gone = [v for v in olds if v not in news]
        if gone:
            yield Hit("drop-enum-value", f"{where} loses ENUM value(s) {', '.join(gone)}: rows holding them fail the "
                      "change (strict mode) or become ''.", table=ref)
        elif news[:len(olds)] != olds:
            yield Hit("mysql-enum-reorder", table=ref)
        return
    if _narrows(old.type, new.type):
        yield Hit("narrowing-type-change", f"{where} narrows from {old.type} to {new.type}: rows that do not fit "
                  "fail the change (strict mode) or are truncated.", table=ref)
    algorithm, why = alter_algorithm(old, new, table, _ANY_SERVER)
    if algorithm == "COPY":
        if "character set" in why:
            yield Hit("mysql-charset-change", f"{where}: {why}.", table=ref)
        if not online:
            yield Hit("mysql-table-copy", f"{where}: {why}.", _COPY_FIX, table=ref)
    if old.nullable and not new.nullable:
        yield Hit("adding-not-nullable-field", f"{where} becomes NOT NULL: the server checks every row and the "
                  "change fails on any row holding NULL (strict mode; otherwise it stores 0 or '').",
                  "UPDATE the NULLs to a value in batches first.", table=ref, severity="warning")


def _column(defn: exp.ColumnDef) -> tuple[Column | None, dict[str, str]]:
    """The model's Column for a column definition (None when its type cannot be read), and the flags the model
    does not hold (``auto_increment``, ``charset``)."""
    flags: dict[str, str] = {}
    kind = defn.args.get("kind")
    nullable, default, collation, generated = True, None, None, None
    for c in defn.args.get("constraints") or ():
        k = c.args.get("kind") if isinstance(c, exp.ColumnConstraint) else c
        if isinstance(k, exp.NotNullColumnConstraint):
            nullable = bool(k.args.get("allow_null"))
        elif isinstance(k, exp.PrimaryKeyColumnConstraint):
            nullable = False
        elif isinstance(k, exp.DefaultColumnConstraint):
            default = k.this.sql(dialect="mysql") if isinstance(k.this, exp.Expression) else str(k.this)
        elif isinstance(k, exp.CollateColumnConstraint):
            collation = k.this.name if isinstance(k.this, exp.Expression) else str(k.this)
        elif isinstance(k, exp.CharacterSetColumnConstraint):
            flags["charset"] = k.name.lower()
        elif isinstance(k, exp.AutoIncrementColumnConstraint):
            flags["auto_increment"] = "yes"
        elif isinstance(k, exp.ComputedColumnConstraint):
            generated = Generated(k.this.sql(dialect="mysql") if isinstance(k.this, exp.Expression) else "",
                                  stored=bool(k.args.get("persisted")))
    if not isinstance(kind, exp.DataType):
        return None, flags
    try:
        type_ = normalize_type(kind.sql(dialect="mysql"))
    except UnsupportedConstruct:
        return None, flags
    if default is not None and default.upper() == "NULL":
        default = None
    return Column(defn.name, type_, nullable=nullable, default=default, collation=collation,
                  generated=generated, serial="auto_increment" in flags), flags


def _charset_of(col: Column, table: Table) -> str | None:
    collation = col.collation or next((o.split("=", 1)[1] for o in table.options if o.startswith("collate=")), None)
    if not collation:
        return None
    head = collation.split("_", 1)[0].lower()
    return "utf8mb3" if head == "utf8" else head


def _enum(type_: str) -> list[str] | None:
    return enum_values(type_[5:-1]) if type_.startswith("enum(") and type_.endswith(")") else None


def _narrows(old: str, new: str) -> bool:
    """A shorter (VAR)CHAR/(VAR)BINARY, or a smaller integer: values that fit before may not fit after."""
    import re

    a, b = re.fullmatch(r"(\w+)\((\d+)\)", old), re.fullmatch(r"(\w+)\((\d+)\)", new)
    if a and b and a[1] in ("varchar", "char", "varbinary", "binary") and b[1] in ("varchar", "char", "varbinary",
                                                                                     "binary"):
        return int(b[2]) < int(a[2])
    base_a, base_b = old.split(" ")[0], new.split(" ")[0]
    if base_a in _INTS and base_b in _INTS:
        return _INTS.index(base_b) < _INTS.index(base_a) or (old.endswith("unsigned") != new.endswith("unsigned"))
    return False

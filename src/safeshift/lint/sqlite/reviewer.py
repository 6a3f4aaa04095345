"""The rules over SQLite statements, in file order, with what earlier statements established.

SQLite's ALTER TABLE can add, rename and (since 3.35) drop a plain column; every other change is a
*table rebuild*: ``CREATE TABLE new``, ``INSERT INTO new SELECT ... FROM old``, ``DROP TABLE old``,
``ALTER TABLE new RENAME TO old`` (SQLite's own recipe, and what ``safeshift generate`` writes).  Read
statement by statement that looks like a dropped table; read as one change it is a copy of every row
under the database write lock, plus whatever the copy leaves out (dropped columns), renames (a column
copied under another name), or can fail on (a NOT NULL, a UNIQUE or a STRICT type the old rows may
break).  So the reviewer follows copies from one table into a table the file created, and judges the
``DROP TABLE`` of a copied table as the rebuild it is.  The old table's columns come from the schema
before the migration when the caller has it (a safeshift folder's snapshot), else from a CREATE TABLE
earlier in the file; without either, what a rebuild leaves out cannot be named, and the finding says so.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace

from sqlglot import exp

from safeshift.dialects.sqlite.affinity import affinity
from safeshift.lint import glot
from safeshift.lint.context import Hit, TableRef
from safeshift.lint.finding import Facts, Finding
from safeshift.lint.rules import RULES
from safeshift.lint.sql import Step, enabled_rules
from safeshift.lint.sqlite.parse import Parsed, parse
from safeshift.lint.sqlite.shape import ColumnShape, TableShape, from_create, from_model
from safeshift.model import Schema
from safeshift.sections import SqlStatement

_SIZE = re.compile(r"([A-Za-z ]+?)\s*\(\s*(\d+)\s*(?:,\s*\d+\s*)?\)")
_OFF = {"off", "0", "false", "no"}
_ON = {"on", "1", "true", "yes"}
_REBUILD_FIX = ("Run it while writes are quiet (the copy takes about a second per million rows), or keep the "
                "change to what ALTER TABLE does in place: ADD COLUMN, RENAME, DROP COLUMN of a plain column.")


@dataclass(frozen=True)
class _Copy:
    """``INSERT INTO target (...) SELECT ... FROM source``: target column -> the source column it copies
    (None: an expression); ``columns`` None when the SELECT is ``*`` (copied by position)."""

    target: str
    source: str
    columns: dict[str, str | None] | None
    statement: SqlStatement


def _key(name: str) -> str:
    return name.lower()


def _table(node: exp.Expression | None) -> TableRef | None:
    if not isinstance(node, exp.Table) or not node.name:
        return None
    return (node.db or None, node.name)


class SQLiteReviewer:
    """One pass over one file's SQLite statements (the ``StepReviewer`` of the ``sqlite`` dialect)."""

    def __init__(self, *, file: str | None, facts: Mapping[str, Facts] | None, runner_timeouts: bool,
                 include: Collection[str] = (), schema: Schema | None = None) -> None:
        self.file = file
        self.facts = facts
        #: run by safeshift's runner: it turns foreign keys off around the migration and checks them before commit
        self.runner = runner_timeouts
        self.enabled = enabled_rules(include)
        self.findings: list[Finding] = []
        self.known: dict[str, TableShape] = {_key(t.name): from_model(t) for t in schema.tables} if schema else {}
        self.created: set[str] = set()
        self.copies: dict[str, _Copy] = {}
        #: old table (key) -> the table its rows were copied into, once the old one is dropped
        self.replaced: dict[str, str] = {}
        #: tables renamed in the file (new key -> (old name, the statement)); judged at the end
        self.renamed: dict[str, tuple[str, SqlStatement]] = {}
        self.begin_line: int | None = None
        #: the statement that opened a ``PRAGMA foreign_keys=OFF`` window still open, and whether it was checked since
        self.fk_off: SqlStatement | None = None
        self.fk_checked = False

    # -- findings -------------------------------------------------------------------------------
    def _emit(self, st: SqlStatement, hits: Iterable[Hit]) -> list[Finding]:
        # created tables are kept by key (SQLite names are case-blind); facts by the name as written
        out = glot.emit(st, hits, enabled=self.enabled, file=self.file, created=self.created, facts=self.facts,
                        graded=lambda t: (t[0], _key(t[1])) if _key(t[1]) in self.created else t,
                        shown=lambda t: f"{t[0]}.{t[1]}" if t[0] else t[1])
        self.findings += out
        return out

    # -- one statement ----------------------------------------------------------------------------
    def review(self, step: Step) -> list[Finding]:
        st = step.statement
        parsed = parse(st.sql)
        return self._emit(st, list(self._hits(parsed, st, step.managed_transaction)))

    def _hits(self, parsed: Parsed, st: SqlStatement, managed: bool) -> Iterable[Hit]:
        if parsed.error is not None:
            yield Hit("unparsed-statement", f"Line {st.line}: sqlglot cannot read this statement as SQLite "
                      f"({parsed.error}), so no rule checked it.")
            return
        if parsed.head is not None:
            yield from self._head(parsed.head, managed)
            return
        tree = parsed.tree
        if isinstance(tree, exp.Create):
            yield from self._create(tree, st)
        elif isinstance(tree, exp.Insert):
            yield from self._insert(tree, st)
        elif isinstance(tree, exp.Drop):
            yield from self._drop(tree)
        elif isinstance(tree, exp.Alter):
            yield from self._alter(tree, st)
        elif isinstance(tree, exp.Delete | exp.Update):
            where = tree.args.get("where")
            table = _table(tree.this)
            if where is None and table is not None:
                rule = "delete-without-where" if isinstance(tree, exp.Delete) else "update-without-where"
                yield Hit(rule, table=table)
        elif isinstance(tree, exp.Pragma):
            yield from self._pragma(tree, st, managed)
        elif isinstance(tree, exp.Transaction):
            if managed or self.begin_line is not None:
                yield Hit("transaction-nesting", "BEGIN inside a transaction fails on SQLite (it has no nested "
                          "transactions; use SAVEPOINT).")
            self.begin_line = st.line
        elif isinstance(tree, exp.Commit | exp.Rollback):
            self.begin_line = None

    def _head(self, head: str, managed: bool) -> Iterable[Hit]:
        if head == "commit":
            self.begin_line = None
        elif head == "vacuum":
            yield Hit("prefer-repack", "VACUUM rewrites the whole database file under an exclusive lock, blocking "
                      "every reader and writer, and fails inside a transaction.",
                      "Run VACUUM by hand in a quiet moment (or VACUUM INTO a copy), not in a migration.")
        elif head == "reindex":
            yield Hit("require-concurrent-reindex", "REINDEX rebuilds the indexes under the write lock, so writers "
                      "wait until it finishes.", "Run it by hand while writes are quiet, not in a migration.",
                      severity="warning")

    # -- CREATE ---------------------------------------------------------------------------------
    def _create(self, tree: exp.Create, st: SqlStatement) -> Iterable[Hit]:
        kind = str(tree.args.get("kind") or "").upper()
        if kind == "TABLE":
            shape = from_create(tree, st.sql)
            target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
            ref = _table(target)
            if ref is None:
                return
            self.created.add(_key(ref[1]))
            if shape is not None:
                self.known[_key(ref[1])] = shape
            source = tree.expression
            if isinstance(source, exp.Select):
                src = _table((source.args.get("from_") or exp.From()).this)
                if src is not None and _key(src[1]) not in self.created:
                    yield Hit("sqlite-table-rebuild", f"Copying every row of {src[1]} into {ref[1]} holds SQLite's "
                              "write lock until the transaction commits.", _REBUILD_FIX, table=src)
        elif kind == "INDEX":
            index = tree.this
            ref = _table(index.args.get("table")) if isinstance(index, exp.Index) else None
            if ref is not None and tree.args.get("unique"):
                yield Hit("unique-on-existing-data", f"Existing rows of {ref[1]} may hold duplicates, which make "
                          f"unique index {index.name} fail.", table=ref)

    # -- INSERT ... SELECT: the copy of a rebuild ---------------------------------------------------
    def _insert(self, tree: exp.Insert, st: SqlStatement) -> Iterable[Hit]:
        target_node = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        target = _table(target_node)
        select = tree.expression
        if target is None or not isinstance(select, exp.Select) or select.args.get("joins"):
            return
        source = _table((select.args.get("from_") or exp.From()).this)
        if source is None:
            return
        listed = [i.name for i in tree.this.expressions] if isinstance(tree.this, exp.Schema) else None
        if any(isinstance(e, exp.Star) for e in select.expressions):
            columns: dict[str, str | None] | None = None
        else:
            names = listed
            if names is None and _key(target[1]) in self.known:
                names = list(self.known[_key(target[1])].names)
            values = [e.name if isinstance(e, exp.Column) else None for e in select.expressions]
            columns = dict(zip(names, values, strict=False)) if names is not None else None
        if _key(target[1]) in self.created and select.args.get("where") is None:
            self.copies[_key(target[1])] = _Copy(target[1], source[1], columns, st)
        if _key(source[1]) not in self.created:
            yield Hit("sqlite-table-rebuild", f"Copying every row of {source[1]} into {target[1]} holds SQLite's "
                      "write lock until the transaction commits: every other writer waits (and fails with "
                      "SQLITE_BUSY after its busy_timeout).", _REBUILD_FIX, table=source)

    # -- DROP -------------------------------------------------------------------------------------
    def _drop(self, tree: exp.Drop) -> Iterable[Hit]:
        kind = str(tree.args.get("kind") or "").upper()
        for node in tree.args.get("tables") or [tree.this]:
            ref = _table(node)
            if ref is None:
                continue
            if kind == "TABLE":
                copy = next((c for c in self.copies.values() if _key(c.source) == _key(ref[1])), None)
                if copy is None:
                    yield Hit("drop-table", f"Dropping table {ref[1]} deletes it and every row in it.", table=ref)
                else:
                    self.replaced[_key(ref[1])] = copy.target
                    yield from self._rebuild(ref, copy)
                self.known.pop(_key(ref[1]), None)
            elif kind == "VIEW":
                yield Hit("drop-view", f"Dropping view {ref[1]} breaks code that reads from it.")
            elif kind == "INDEX":
                yield Hit("drop-index")
            elif kind == "TRIGGER":
                yield Hit("drop-trigger", f"Dropping trigger {ref[1]} stops whatever it maintained or enforced.")

    def _rebuild(self, old_ref: TableRef, copy: _Copy) -> Iterable[Hit]:
        """What a rebuild does to ``old_ref``'s rows, judged when the old table is dropped."""
        old = self.known.get(_key(old_ref[1]))
        new = self.known.get(_key(copy.target))
        name = old_ref[1]
        mapping = copy.columns
        if mapping is None and old is not None and new is not None:  # SELECT *: by position
            mapping = dict(zip(new.names, old.names, strict=False))
        if mapping is None:
            yield Hit("drop-column", f"{name} is dropped after an INSERT ... SELECT * into {copy.target}: which "
                      f"columns that keeps is not known here (no schema of {name}), so review the rebuild by hand.",
                      table=old_ref, severity="warning")
            return
        copied = {_key(src) for src in mapping.values() if src is not None}
        if old is None:
            yield Hit("drop-column", f"{name} is rebuilt as {copy.target} copying only "
                      f"({', '.join(v or '?' for v in mapping.values())}); any other column of {name} is deleted, and "
                      f"which ones cannot be told here (no schema of {name}).", table=old_ref, severity="warning")
        else:
            for col in old.columns:
                if _key(col.name) not in copied:
                    yield Hit("drop-column", f"The rebuild of {name} does not copy column {col.name}: its data is "
                              "deleted, and a running app that still reads or writes it fails.", table=old_ref)
        for target_col, src in mapping.items():
            if src is None:
                continue
            if _key(src) != _key(target_col) and (old is None or old.column(target_col) is None):
                yield Hit("renaming-column", f"The rebuild of {name} copies {src} into {target_col}: renaming it "
                          "breaks running app instances that use the old name.", table=old_ref)
        if new is not None:
            yield from self._copied_into(old_ref, old, new, mapping)

    def _copied_into(self, old_ref: TableRef, old: TableShape | None, new: TableShape,
                     mapping: Mapping[str, str | None]) -> Iterable[Hit]:
        """What the copied rows may break in the new table: NOT NULL, UNIQUE, a STRICT type."""
        name = old_ref[1]
        for col in new.columns:
            src = mapping.get(col.name)
            if src is None and col.name not in mapping:
                if not col.nullable and not col.has_default:
                    yield Hit("adding-required-field", f"{new.name}.{col.name} is NOT NULL without a default and the "
                              f"copy from {name} gives it no value, so the copy fails as soon as {name} has a row.",
                              table=old_ref)
                continue
            before = old.column(src) if old is not None and src is not None else None
            if before is None:
                continue
            if before.nullable and not col.nullable:
                yield Hit("adding-not-nullable-field", f"{col.name} becomes NOT NULL: the copy from {name} fails on "
                          "any row holding NULL there (SQLite checks it row by row, under the write lock).",
                          "UPDATE the NULLs to a value in batches first, then rebuild.", table=old_ref)
            yield from _type_change(name, old, before, col, new)
        if old is not None:
            renamed = {_key(t): _key(s) for t, s in mapping.items() if s is not None}
            for cols in new.unique_sets - old.unique_sets:
                before_cols = frozenset(renamed.get(c, c) for c in cols)
                if before_cols not in old.unique_sets and all(c in renamed for c in cols):
                    yield Hit("unique-on-existing-data", f"The rebuilt {name} is unique on ({', '.join(sorted(cols))}): "
                              "existing duplicates make the copy fail.", table=old_ref)

    # -- ALTER TABLE --------------------------------------------------------------------------------
    def _alter(self, tree: exp.Alter, st: SqlStatement) -> Iterable[Hit]:
        ref = _table(tree.this)
        if ref is None:
            return
        shape = self.known.get(_key(ref[1]))
        for action in tree.args.get("actions") or ():
            if isinstance(action, exp.AlterRename):
                new = _table(action.this)
                if new is None:
                    continue
                if self.replaced.get(_key(new[1])) is not None and _key(self.replaced[_key(new[1])]) == _key(ref[1]):
                    pass  # the rebuild's last step: the copy takes the old table's name
                elif _key(ref[1]) not in self.created:
                    self.renamed[_key(new[1])] = (ref[1], st)
                if shape is not None:
                    self.known[_key(new[1])] = replace(shape, name=new[1])
                    self.known.pop(_key(ref[1]), None)
                if _key(ref[1]) in self.created:
                    self.created.add(_key(new[1]))
            elif isinstance(action, exp.RenameColumn):
                old_col, new_col = action.this.name, action.args["to"].name
                yield Hit("renaming-column", f"Renaming {ref[1]}.{old_col} to {new_col} breaks running app instances "
                          "that use the old name.", table=ref)
                if shape is not None and (c := shape.column(old_col)) is not None:
                    self.known[_key(ref[1])] = replace(shape, columns=tuple(
                        replace(x, name=new_col) if x is c else x for x in shape.columns))
            elif isinstance(action, exp.ColumnDef):
                yield from _add_column(ref, action)
                if shape is not None:
                    kind = action.args.get("kind")
                    self.known[_key(ref[1])] = replace(shape, columns=(*shape.columns, ColumnShape(
                        action.name, kind.sql() if kind is not None else "")))
            elif isinstance(action, exp.Drop):
                for node in action.args.get("tables") or ():
                    col = node.name
                    yield Hit("drop-column", f"Dropping column {ref[1]}.{col} deletes its data, and a running app that "
                              "still reads or writes it fails.", table=ref)
                    why = shape.pinned.get(_key(col)) if shape is not None else None
                    if why is not None:
                        yield Hit("sqlite-alter-fails", f"SQLite refuses to drop {ref[1]}.{col}: it is {why}, so this "
                                  "statement fails.")
                    if shape is not None:
                        self.known[_key(ref[1])] = replace(shape, columns=tuple(
                            x for x in shape.columns if _key(x.name) != _key(col)))
            else:  # sqlglot reads other databases' ALTER TABLE forms too; SQLite has only these four
                yield Hit("sqlite-alter-fails", f"SQLite's ALTER TABLE only renames the table, or adds, renames or "
                          f"drops a column; it rejects {action.sql(dialect='sqlite')[:60]!r}, so this statement fails.",
                          "Rebuild the table instead (safeshift generate writes the rebuild).")

    # -- PRAGMA ---------------------------------------------------------------------------------------
    def _pragma(self, tree: exp.Pragma, st: SqlStatement, managed: bool) -> Iterable[Hit]:
        node = tree.this
        name, value = "", ""
        if isinstance(node, exp.EQ):
            name, value = node.this.sql().split(".")[-1].lower(), node.expression.name.lower()
        elif isinstance(node, exp.Expression):
            name = (node.this if isinstance(node, exp.Anonymous | exp.Func) else node).sql().split("(")[0]
            name = name.split(".")[-1].lower()
        if name == "foreign_key_check":
            self.fk_checked = True
        elif name == "foreign_keys" and value in _OFF:
            if managed and self.runner:
                yield Hit("sqlite-foreign-keys-off", "PRAGMA foreign_keys=OFF does nothing inside the runner's "
                          "transaction; safeshift's runner already turns foreign keys off around the migration and "
                          "checks them before it commits.", severity="info")
            elif managed or self.begin_line is not None:
                yield Hit("sqlite-foreign-keys-off", "PRAGMA foreign_keys=OFF does nothing inside a transaction: "
                          "foreign keys stay on, so a DROP TABLE of a referenced table deletes (ON DELETE CASCADE) or "
                          "fails on the rows that reference it.",
                          "Turn foreign keys off before BEGIN, and run PRAGMA foreign_key_check before COMMIT.")
            else:
                self.fk_off, self.fk_checked = st, False
        elif name == "foreign_keys" and value in _ON and self.fk_off is not None:
            opened, self.fk_off = self.fk_off, None
            if not self.fk_checked:  # the window closes unchecked: references broken in it went unnoticed
                self._emit(opened, [Hit("sqlite-foreign-keys-off")])

    def finish(self) -> None:
        """End-of-file judgements: renames not part of a rebuild, an open foreign-key window or BEGIN."""
        for new_key, (old, st) in self.renamed.items():
            copy = self.copies.get(_key(old))
            if copy is not None and _key(copy.source) == new_key:
                continue  # renamed aside, created again under the old name and copied back: a rebuild
            self._emit(st, [Hit("renaming-table", f"Renaming {old} breaks running app instances that use the old "
                                "name.", table=(None, old))])
        if self.fk_off is not None:
            if not self.fk_checked:
                self._emit(self.fk_off, [Hit("sqlite-foreign-keys-off", "PRAGMA foreign_keys=OFF is never turned back on or "
                                    "checked in this file: references broken meanwhile stay broken unnoticed.")])
            self.fk_off = None
        if self.begin_line is not None and "uncommitted-transaction" in self.enabled:
            r = RULES["uncommitted-transaction"]
            self.findings.append(Finding("uncommitted-transaction", r.category, r.severity, self.file,
                                         self.begin_line, "BEGIN", r.summary, r.fix))


def _type_change(table: str, old: TableShape | None, before: ColumnShape, after: ColumnShape,
                 new: TableShape) -> Iterable[Hit]:
    """A column copied into another declared type: what SQLite enforces of it (affinity; the name when STRICT)."""
    if before.type.upper() == after.type.upper():
        return
    old_aff, new_aff = affinity(before.type), affinity(after.type)
    where = f"{table}.{before.name}"
    if new.strict and not (old is not None and old.strict and old_aff == new_aff):
        yield Hit("type-cast-can-fail", f"STRICT table {new.name} rejects any value of {where} that is not "
                  f"{after.type}: the copy fails on such a row.", table=(None, table))
    elif old_aff != new_aff:
        yield Hit("changing-column-type", f"{where} changes from {before.type} ({old_aff} affinity) to {after.type} "
                  f"({new_aff}): SQLite converts the values it can and keeps the others as they are.",
                  table=(None, table), severity="info")
    elif _shorter(before.type, after.type):
        yield Hit("narrowing-type-change", f"{where} narrows from {before.type} to {after.type}, which SQLite stores "
                  f"alike ({new_aff} affinity; it never enforces a length): every value is kept.",
                  table=(None, table), severity="info")


def _shorter(old: str, new: str) -> bool:
    """``VARCHAR(80)`` -> ``VARCHAR(40)``: the same type name with a smaller first size."""
    a, b = _SIZE.fullmatch(old.strip()), _SIZE.fullmatch(new.strip())
    return bool(a and b and a[1].upper() == b[1].upper() and int(b[2]) < int(a[2]))


def _add_column(ref: TableRef, col: exp.ColumnDef) -> Iterable[Hit]:
    """``ALTER TABLE ... ADD COLUMN``: instant on SQLite, but refused for what would need the rows rewritten."""
    kinds = [c.args.get("kind") for c in col.constraints]
    default = next((k.this for k in kinds if isinstance(k, exp.DefaultColumnConstraint)), None)
    where = f"{ref[1]}.{col.name}"
    if any(isinstance(k, exp.PrimaryKeyColumnConstraint | exp.UniqueColumnConstraint) for k in kinds):
        yield Hit("sqlite-alter-fails", f"SQLite refuses to add {where} as a PRIMARY KEY or UNIQUE column, so this "
                  "statement fails.")
    # the rest fail only on a table with rows (SQLite cannot fill them in without rewriting it): graded by facts
    if any(isinstance(k, exp.NotNullColumnConstraint) for k in kinds) and (
            default is None or isinstance(default, exp.Null)):
        yield Hit("adding-required-field", f"SQLite refuses to add {where} as NOT NULL without a default once "
                  f"{ref[1]} has a row, so this statement fails there.", table=ref)
    if any(isinstance(k, exp.ComputedColumnConstraint) and k.args.get("persisted") for k in kinds):
        yield Hit("sqlite-alter-fails", f"SQLite refuses to add {where} as a STORED generated column once {ref[1]} "
                  "has a row (a VIRTUAL one it can add).", table=ref)
    elif default is not None and not isinstance(default, exp.Literal | exp.Null | exp.Boolean | exp.Neg):
        yield Hit("sqlite-alter-fails", f"SQLite refuses to add {where} with a default that is not a constant "
                  f"({default.sql(dialect='sqlite')}) once {ref[1]} has a row.", table=ref)
    yield Hit("add-column", table=ref)

"""The same rules over safeshift's Change objects, for migrations that ``generate`` writes.

Changes know more than SQL does: the old column type, whether values are removed from an
enum, which tables the same migration creates.  So these findings are exact where the SQL
rules must guess.  Data-loss wording comes from ``Change.data_loss``.  Lock findings
describe the plain rendering; ``locks=False`` leaves them out for a plan that already
uses the lock-safe forms.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence

from safeshift import changes as ch
from safeshift.dialects.postgres.types import binary_compatible, bounded, parse_type, same_family, widens
from safeshift.lint.columns import default_volatility
from safeshift.lint.context import Hit, TableRef
from safeshift.lint.finding import Facts, Finding
from safeshift.lint.rules import RULES
from safeshift.lint.sql import enabled_rules, grade


def _column_hits(c: ch.AlterColumn, table: TableRef) -> Iterator[Hit]:
    old, new = c.old, c.new
    where = c.target
    if old.generated is None and new.generated is not None:
        yield Hit("drop-column", f"Column {where} becomes generated: PostgreSQL drops and re-adds it, replacing its "
                  "stored values.", table=table)
    if old.type != new.type:
        ot, nt = parse_type(old.type), parse_type(new.type)
        if ot is not None and nt is not None and binary_compatible(ot, nt):
            yield Hit("changing-column-type", f"{where} changes from {old.type} to {new.type} in place, without a "
                      "rewrite; running clients see the new type.", table=table, severity="info")
        else:
            yield Hit("changing-column-type", f"Changing {where} from {old.type} to {new.type} rewrites the table "
                      "under an ACCESS EXCLUSIVE lock.", table=table)
            if ot is None or nt is None or (bounded(nt) and not widens(ot, nt)):
                yield Hit("narrowing-type-change", c.data_loss, table=table)
            elif not same_family(ot, nt):
                yield Hit("type-cast-can-fail", f"Converting {where} from {old.type} to {new.type} fails on any "
                          "value that does not parse as the new type.", table=table)
    if old.nullable and not new.nullable:
        yield Hit("adding-not-nullable-field", f"SET NOT NULL on {where} scans every row under an ACCESS "
                  "EXCLUSIVE lock unless a validated CHECK proves it first.", table=table)
    if not old.nullable and new.nullable:
        yield Hit("drop-not-null", table=table)
    if old.default is not None and new.default is None and not new.serial and new.identity is None:
        yield Hit("drop-default", table=table)
    if old.identity != new.identity and old.identity is not None and new.identity is not None:
        yield Hit("alter-identity", table=table)


def _hits(change: ch.Change) -> Iterator[Hit]:
    """What one change risks, in the plain (not lock-safe) rendering."""
    if isinstance(change, ch.DropTable):
        t = change.table
        yield Hit("drop-table", change.data_loss, table=(t.schema, t.name))
    elif isinstance(change, ch.DropColumn):
        yield Hit("drop-column", change.data_loss, table=(change.schema, change.table))
    elif isinstance(change, ch.RebuildTable):
        if change.data_loss:
            yield Hit("drop-column", change.data_loss, table=(change.old.schema, change.old.name))
    elif isinstance(change, ch.DropSchema):
        yield Hit("drop-schema", f"Schema {change.name} and everything in it are deleted.")
    elif isinstance(change, ch.DropEnum):
        yield Hit("drop-type", f"Enum {change.target} is dropped.")
    elif isinstance(change, ch.AlterEnum):
        if change.data_loss:
            yield Hit("drop-enum-value", change.data_loss)
        if any(v not in change.old.values for v in change.new.values):
            yield Hit("add-enum-value")
    elif isinstance(change, ch.DropSequence):
        yield Hit("drop-sequence", change.data_loss)
    elif isinstance(change, ch.DropView):
        yield Hit("drop-view", change.data_loss or None)
    elif isinstance(change, ch.RenameTable):
        yield Hit("renaming-table", f"Renaming {change.target} breaks running app instances that use the old name.",
                  table=(change.schema, change.old))
    elif isinstance(change, ch.RenameColumn):
        yield Hit("renaming-column", f"Renaming {change.target} breaks running app instances that use the old "
                  "name.", table=(change.schema, change.table))
    elif isinstance(change, ch.RenameIndex | ch.RenameConstraint):
        yield Hit("renaming-object", f"Renaming {change.target} breaks code that refers to the old name.")
    elif isinstance(change, ch.AddColumn):
        yield from _add_column(change)
    elif isinstance(change, ch.AlterColumn):
        yield from _column_hits(change, (change.schema, change.table))
    elif isinstance(change, ch.AddForeignKey):
        table = (change.schema, change.table)
        yield Hit("adding-foreign-key-constraint", f"Adding foreign key {change.target} validates every row "
                  "while blocking writes on both tables.", table=table)
    elif isinstance(change, ch.AddCheck):
        yield Hit("constraint-missing-not-valid", f"Adding check {change.target} scans every row under an ACCESS "
                  "EXCLUSIVE lock.", table=(change.schema, change.table))
    elif isinstance(change, ch.AddUnique | ch.AddPrimaryKey):
        table = (change.schema, change.table)
        rule = "disallowed-unique-constraint" if isinstance(change, ch.AddUnique) else \
            "adding-serial-primary-key-field"
        yield Hit(rule, f"Adding {change.target} builds its index under an ACCESS EXCLUSIVE lock.", table=table)
        yield Hit("unique-on-existing-data", f"Existing rows may hold duplicates, which make {change.target} "
                  "fail.", table=table)
    elif isinstance(change, ch.CreateIndex):
        table = (change.schema, change.table)
        yield Hit("require-concurrent-index-creation", f"Building index {change.target} without CONCURRENTLY "
                  "blocks writes for the whole build.", table=table)
        if change.index.unique:
            yield Hit("unique-on-existing-data", f"Existing rows may hold duplicates, which make unique index "
                      f"{change.target} fail.", table=table)
    elif isinstance(change, ch.DropIndex):
        yield Hit("require-concurrent-index-deletion", table=(change.schema, change.table))
        yield Hit("drop-index")
    elif isinstance(change, ch.DropForeignKey | ch.DropCheck | ch.DropUnique | ch.DropPrimaryKey):
        yield Hit("drop-constraint", f"Dropping {change.target} removes a guarantee running code may rely on.",
                  table=(change.schema, change.table))
    else:
        yield from _object_hits(change)


def _object_hits(change: ch.Change) -> Iterator[Hit]:
    """The objects beside tables: code (functions, triggers, extensions), row-level security, storage."""
    if isinstance(change, ch.DropTrigger):
        t = change.trigger
        yield Hit("drop-trigger", f"Dropping trigger {change.target} stops whatever it maintained or enforced.",
                  table=(t.schema, t.table))
    elif isinstance(change, ch.SetTriggerState) and change.new.state == "disabled":
        t = change.new
        yield Hit("disable-trigger", f"Disabling trigger {change.target} lets writes skip what it enforces.",
                  table=(t.schema, t.table))
    elif isinstance(change, ch.DropFunction):
        yield Hit("drop-function", f"Dropping {change.target} breaks the code, defaults, checks and triggers that "
                  "call it.")
    elif isinstance(change, ch.RecreateFunction):
        yield Hit("drop-function", f"{change.target} is dropped and created again with another result type; "
                  "callers expecting the old one fail.")
    elif isinstance(change, ch.ReplaceView) and change.old.definition != change.new.definition:
        yield Hit("replace-view-or-function", f"CREATE OR REPLACE changes what {change.target} returns for the app "
                  "version still running.")
    elif isinstance(change, ch.ReplaceFunction):
        yield Hit("replace-view-or-function", f"CREATE OR REPLACE changes what {change.target} does for the app "
                  "version still running.")
    elif isinstance(change, ch.DropExtension):
        yield Hit("drop-extension", f"Dropping extension {change.target} fails while columns, indexes or code use "
                  "its types and functions.")
    elif isinstance(change, ch.MoveExtension):
        yield Hit("alter-extension", f"Moving extension {change.target} to schema {change.new.schema} changes how "
                  "its functions and types are named.")
    elif isinstance(change, ch.DropPolicy):
        p = change.policy
        yield Hit("drop-policy", f"Dropping policy {change.target} changes which rows running code can see or "
                  "write.", table=(p.schema, p.table))
    elif isinstance(change, ch.CreatePolicy):
        p = change.policy
        yield Hit("create-policy", table=(p.schema, p.table))
    elif isinstance(change, ch.AlterPolicy):
        p = change.new
        yield Hit("alter-policy", table=(p.schema, p.table))
    elif isinstance(change, ch.RevokePrivilege) and not change.dropped:  # dropped: its object goes anyway
        g = change.grant
        yield Hit("revoke", f"Revoking {change.target} makes the running app's queries fail if they run as "
                  f"{g.grantee}.", table=(g.schema, g.name) if g.object_type == "table" else None)
    elif isinstance(change, ch.SetRowSecurity):
        verb = "Enabling" if change.new[0] and not change.old[0] else \
            "Disabling" if change.old[0] and not change.new[0] else "Forcing or unforcing"
        yield Hit("row-level-security", f"{verb} row-level security on {change.target} changes what every query "
                  "on it returns.", table=(change.schema, change.table))
    elif isinstance(change, ch.CreateTable) and change.table.partition_of is not None:
        of = change.table.partition_of
        yield Hit("partition-of-locks-parent", f"Creating partition {change.target} locks {of.qualname} against "
                  "every query while it is added.", table=(of.schema, of.table))
    elif isinstance(change, ch.DetachPartition):
        of = change.partition_of
        parent = (of.schema, of.table)
        yield Hit("require-concurrent-partition-detach", f"Detaching partition {change.target} takes an ACCESS "
                  f"EXCLUSIVE lock on {of.qualname}, blocking every query on it.", table=parent)
        yield Hit("detach-inheritance", f"Until {change.target} is attached again, queries on {of.qualname} do not "
                  "see its rows (they stay in the table).", table=parent)
    elif isinstance(change, ch.AttachPartition):
        of = change.partition_of
        yield Hit("constraint-missing-not-valid", f"Attaching {change.target} to {of.qualname} ({of.bound}) scans "
                  f"every row of it, and of {of.qualname}'s DEFAULT partition if it has one, while blocking writes "
                  "to them.", "Add a validated CHECK constraint matching the bound first (NOT VALID, then VALIDATE): "
                  "ATTACH then skips the scan.", table=(change.schema, change.table))
    elif isinstance(change, ch.SetTableStorage) and change.old[0] != change.new[0]:
        yield Hit("table-rewrite", f"SET {'UNLOGGED' if change.new[0] else 'LOGGED'} rewrites {change.target} "
                  "under an ACCESS EXCLUSIVE lock.", table=(change.schema, change.table))
    else:
        yield from _type_hits(change)


def _type_hits(change: ch.Change) -> Iterator[Hit]:
    """Domains, stand-alone composite types and collations: a DROP fails while something uses them, and a
    domain constraint is checked against every column of the domain."""
    if isinstance(change, ch.DropDomain):
        yield Hit("drop-domain", f"Dropping domain {change.target} fails while columns, composite types or "
                  "functions use it.")
    elif isinstance(change, ch.RecreateDomain):
        yield Hit("drop-domain", f"Domain {change.target} is dropped and created again ({change.old.type} -> "
                  f"{change.new.type}): PostgreSQL has no ALTER for its base type or collation.")
    elif isinstance(change, ch.AddDomainCheck):
        yield Hit("alter-domain-add-constraint", f"Adding check {change.target} scans every column of the domain "
                  "and fails on any value that breaks it.")
    elif isinstance(change, ch.DropDomainCheck):
        yield Hit("drop-constraint", f"Dropping {change.target} removes a guarantee running code may rely on.")
    elif isinstance(change, ch.AlterDomain):
        if change.old.nullable and not change.new.nullable:
            yield Hit("adding-not-nullable-field", f"SET NOT NULL on domain {change.target} scans every column of "
                      "the domain and fails on any NULL.")
        if not change.old.nullable and change.new.nullable:
            yield Hit("drop-not-null", f"Domain {change.target} accepts NULL from now on.")
        if change.old.default is not None and change.new.default is None:
            yield Hit("drop-default", f"Domain {change.target} loses its default.")
    elif isinstance(change, ch.DropCompositeType | ch.RecreateCompositeType):
        yield Hit("drop-type", f"Composite type {change.target} is dropped"
                  + (" and created again" if isinstance(change, ch.RecreateCompositeType) else "")
                  + ": that fails while columns or functions use it.")
    elif isinstance(change, ch.AlterCompositeType):
        if change.data_loss:
            yield Hit("drop-column", change.data_loss)
        old = {a.name: a for a in change.old.attributes}
        if any(a.name in old and old[a.name].type != a.type for a in change.new.attributes):
            yield Hit("changing-column-type", f"Changing an attribute type of {change.target} fails while a "
                      "column uses the type.")
        if any(a.name not in old for a in change.new.attributes):
            yield Hit("add-composite-attribute")
    elif isinstance(change, ch.DropCollation | ch.RecreateCollation):
        yield Hit("drop-type", f"Collation {change.target} is dropped"
                  + (" and created again" if isinstance(change, ch.RecreateCollation) else "")
                  + ": that fails while columns, domains or indexes use it.")


def _add_column(change: ch.AddColumn) -> Iterator[Hit]:
    col = change.column
    table = (change.schema, change.table)
    yield Hit("add-column", table=table)
    if not col.nullable and col.default is None and col.identity is None and col.generated is None \
            and not col.serial and not change.backfill:
        yield Hit("adding-required-field", f"Adding {change.target} as NOT NULL without a default fails as soon "
                  "as the table has a row.", table=table)
    rewrite = None
    if col.identity is not None:
        rewrite = "an identity column"
    elif col.serial:
        rewrite = "a serial column"
    elif col.generated is not None and col.generated.stored:
        rewrite = "a stored generated column"
    elif col.default is not None:
        vol = default_volatility(col.default)
        if vol and vol[0] == "volatile":
            rewrite = f"a column whose default calls volatile {vol[1]}()"
    if rewrite:
        yield Hit("adding-field-with-default", f"Adding {change.target}, {rewrite}, rewrites every row under an "
                  "ACCESS EXCLUSIVE lock.", table=table)


_LOCK_FREE_CATEGORIES = ("data-loss", "data", "compat")


def _recreated_view(drop: ch.DropView, changes: Sequence[ch.Change]) -> list[Hit] | None:
    """A view the migration drops and creates again (its query changed, or a view or column it reads did):
    queries on it fail in between, and what hangs on it goes with it — say which triggers come back."""
    if not any(isinstance(c, ch.CreateView) and c.target == drop.target for c in changes):
        return None
    v = drop.view
    triggers = sorted(c.trigger.name for c in changes if isinstance(c, ch.CreateTrigger)
                      and (c.trigger.schema, c.trigger.table) == (v.schema, v.name))
    kind = "Materialized view" if v.materialized else "View"
    message = (f"{kind} {drop.target} is dropped and created again in this migration: until it is back, queries "
               "on it fail" + (f"; its triggers ({', '.join(triggers)}) are created again with it" if triggers else "")
               + (", and its rows come back only when it is refreshed" if v.materialized else "") + ".")
    return [Hit("drop-view", message)]


def review_changes(changes: Sequence[ch.Change], *, file: str | None = None,
                   facts: Mapping[str, Facts] | None = None, locks: bool = True,
                   include: Collection[str] = ()) -> list[Finding]:
    """Findings for a list of changes; tables the same list creates are harmless (``info``)."""
    enabled = enabled_rules(include)
    created = {c.table.name for c in changes if isinstance(c, ch.CreateTable)}
    out: list[Finding] = []
    for change in changes:
        hits = _recreated_view(change, changes) if isinstance(change, ch.DropView) else None
        for hit in hits or _hits(change):
            r = RULES[hit.rule]
            if hit.rule not in enabled or (not locks and r.category not in _LOCK_FREE_CATEGORIES):
                continue
            severity, described = grade(hit.rule, hit.severity, hit.table, created, facts)
            table = f"{hit.table[0]}.{hit.table[1]}" if hit.table else None
            out.append(Finding(hit.rule, r.category, severity, file, None, f"{change.kind} {change.target}",
                               hit.message or r.summary, hit.fix or r.fix, table=table, table_facts=described))
    return out

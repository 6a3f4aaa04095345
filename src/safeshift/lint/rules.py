"""The rule catalogue: every hazard safeshift knows, with a stable id, category, severity and fix.

Ids follow Squawk's names where the hazard is the same (``require-concurrent-index-creation``),
with Squawk's ``ban-`` prefix dropped for object drops (``drop-column``), so that teams moving
from Squawk keep their vocabulary.  ``SQUAWK_EQUIVALENT`` maps every Squawk rule (2.70) and
``STRONG_MIGRATIONS_EQUIVALENT`` every strong_migrations check to the safeshift rule that
covers it; the corpus test holds safeshift to that promise.

Rules off by default (``default=False``) are the ones Squawk also makes opt-in: application
rollback-compatibility checks whose answer depends on the app, not on the database.  Turn
them on with ``include=``.
"""

from __future__ import annotations

from dataclasses import dataclass

from safeshift.lint.finding import Category, Severity


@dataclass(frozen=True)
class Rule:
    id: str
    category: Category
    severity: Severity
    #: one sentence: the hazard, as the default message
    summary: str
    #: the safe alternative
    fix: str
    default: bool = True


_CONCURRENT_UNIQUE = ("CREATE UNIQUE INDEX CONCURRENTLY idx ON t (col); in its own no-transaction step, then "
                      "ALTER TABLE t ADD CONSTRAINT c UNIQUE USING INDEX idx;")
_EXPAND = ("expand/contract: add a new column, keep both in sync with a trigger, backfill in batches, switch "
           "reads, then drop the old column in a later release")

_RULES: tuple[Rule, ...] = (
    # -- data loss -----------------------------------------------------------------------
    Rule("drop-table", "data-loss", "error", "Dropping a table deletes it and every row in it.",
         "Stop using the table in a release first, take a backup, then drop it in a later migration "
         "(or rename it aside and drop it once nothing broke)."),
    Rule("drop-column", "data-loss", "error", "Dropping a column deletes its data, and a running app that "
         "still reads or writes it fails.",
         "Remove every use of the column in one release, then drop it in a later migration after a backup."),
    Rule("drop-schema", "data-loss", "error", "Dropping a schema deletes everything in it.",
         "Move or drop the objects one by one after a backup, then drop the empty schema without CASCADE."),
    Rule("drop-database", "data-loss", "error", "Dropping a database deletes all of its data.",
         "Never drop a database from a migration; do it by hand after a verified backup."),
    Rule("drop-type", "data-loss", "error", "Dropping a type fails while columns use it, and with CASCADE "
         "drops those columns and their data.",
         "Migrate every column off the type first, then drop it without CASCADE."),
    Rule("drop-enum-value", "data-loss", "error", "Removing an enum value makes rows holding it fail to "
         "convert or lose the value.",
         "UPDATE the rows to another value in batches first, and stop the app writing it, then swap the type."),
    Rule("drop-sequence", "data-loss", "warning", "Dropping a sequence loses its current value, and defaults "
         "that call nextval() on it fail.",
         "Drop the column defaults that use it first; recreate it with START at the old value if needed."),
    Rule("truncate-table", "data-loss", "error", "TRUNCATE deletes every row (CASCADE: also every row of "
         "tables referencing it) under an ACCESS EXCLUSIVE lock.",
         "Delete the rows you mean to delete with a WHERE clause, in batches, after a backup."),
    Rule("narrowing-type-change", "data-loss", "error", "The new type cannot hold every value the column may "
         "hold, so the change fails on existing rows or, with a USING cast, silently truncates them.",
         "Check the data first (SELECT count(*) WHERE length(col) > n), fix the rows, and use " + _EXPAND + "."),
    Rule("delete-without-where", "data-loss", "error", "DELETE without WHERE removes every row of the table.",
         "Add a WHERE clause, or delete in batches of a few thousand rows, after a backup."),
    Rule("update-without-where", "data-loss", "error", "UPDATE without WHERE overwrites a column in every row "
         "and locks every row until the transaction ends.",
         "Add a WHERE clause and backfill in batches (WHERE id BETWEEN ...) outside the schema migration."),
    # -- locks ---------------------------------------------------------------------------
    Rule("require-concurrent-index-creation", "lock", "error", "CREATE INDEX without CONCURRENTLY blocks all "
         "writes to the table for the whole index build.",
         "CREATE INDEX CONCURRENTLY IF NOT EXISTS ... as its own step outside a transaction "
         "(-- safeshift:no-transaction)."),
    Rule("require-concurrent-index-deletion", "lock", "warning", "DROP INDEX without CONCURRENTLY takes an "
         "ACCESS EXCLUSIVE lock on the table, queueing every query behind it.",
         "DROP INDEX CONCURRENTLY IF EXISTS ... as its own step outside a transaction."),
    Rule("require-concurrent-reindex", "lock", "error", "REINDEX without CONCURRENTLY blocks writes (and reads "
         "that use the index) until it finishes.",
         "REINDEX INDEX CONCURRENTLY ... (PostgreSQL 12+) outside a transaction."),
    Rule("require-concurrent-partition-detach", "lock", "error", "DETACH PARTITION without CONCURRENTLY takes "
         "an ACCESS EXCLUSIVE lock on the parent table.",
         "ALTER TABLE parent DETACH PARTITION p CONCURRENTLY (PostgreSQL 14+) outside a transaction."),
    Rule("partition-of-locks-parent", "lock", "warning", "CREATE TABLE ... PARTITION OF an existing table takes "
         "an ACCESS EXCLUSIVE lock on it, and scans its DEFAULT partition if it has one, blocking every query "
         "on it meanwhile.",
         "Create the table on its own with the parent's columns, add a CHECK matching the bound, then ALTER "
         "TABLE parent ATTACH PARTITION (a SHARE UPDATE EXCLUSIVE lock; the CHECK spares its scan)."),
    Rule("concurrently-in-transaction", "lock", "error", "A CONCURRENTLY operation cannot run inside a "
         "transaction block, so this statement fails.",
         "Put it in its own step marked -- safeshift:no-transaction (outside BEGIN ... COMMIT)."),
    Rule("constraint-missing-not-valid", "lock", "error", "Adding a constraint without NOT VALID checks every "
         "existing row while holding a lock that blocks writes.",
         "ADD CONSTRAINT ... NOT VALID; then ALTER TABLE ... VALIDATE CONSTRAINT ... in a separate transaction."),
    Rule("adding-foreign-key-constraint", "lock", "error", "Adding a foreign key validates every row while "
         "blocking writes on both tables.",
         "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID; then VALIDATE CONSTRAINT ... in a separate transaction."),
    Rule("validate-in-same-transaction", "lock", "error", "VALIDATE CONSTRAINT runs in the same transaction "
         "that just took a strong lock on the table, so the scan runs while writes are blocked.",
         "Commit after ADD CONSTRAINT ... NOT VALID and validate in a separate transaction (its own step)."),
    Rule("adding-not-nullable-field", "lock", "error", "SET NOT NULL scans the whole table under an ACCESS "
         "EXCLUSIVE lock unless a validated CHECK (col IS NOT NULL) already proves it.",
         "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c; (separate transaction) "
         "SET NOT NULL; DROP CONSTRAINT c (PostgreSQL 12+)."),
    Rule("changing-column-type", "lock", "error", "Changing a column's type rewrites the table (and its "
         "indexes) under an ACCESS EXCLUSIVE lock, and running clients see a different type.",
         "Use " + _EXPAND + "; only binary-compatible changes (varchar to text, wider varchar) are instant."),
    Rule("disallowed-unique-constraint", "lock", "error", "Adding a UNIQUE constraint builds its index under an "
         "ACCESS EXCLUSIVE lock, blocking reads and writes.", _CONCURRENT_UNIQUE),
    Rule("adding-serial-primary-key-field", "lock", "error", "Adding a primary key builds its index (and checks "
         "NOT NULL) under an ACCESS EXCLUSIVE lock.",
         "CREATE UNIQUE INDEX CONCURRENTLY idx ON t (col); then ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY "
         "USING INDEX idx; (columns already NOT NULL via a validated check)."),
    Rule("adding-field-with-default", "lock", "error", "Adding a column with a volatile default, an identity, "
         "a serial or a stored generated expression rewrites the whole table under an ACCESS EXCLUSIVE lock.",
         "Add the column without the default, SET DEFAULT for new rows, and backfill existing rows in batches."),
    Rule("alter-generated-expression", "lock", "error", "Changing a generated column's expression rewrites the "
         "table under an ACCESS EXCLUSIVE lock.",
         "Add a new generated column (or a trigger-maintained column), backfill, switch reads, drop the old."),
    Rule("table-rewrite", "lock", "error", "This ALTER TABLE form (SET LOGGED/UNLOGGED, SET TABLESPACE, SET "
         "ACCESS METHOD) rewrites the whole table under an ACCESS EXCLUSIVE lock.",
         "Do it in a maintenance window, or copy into a new table online (pg_repack, logical replication)."),
    Rule("prefer-repack", "lock", "error", "VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE "
         "lock, blocking reads and writes.",
         "Use pg_repack (or REPACK (CONCURRENTLY) on PostgreSQL 19+); plain VACUUM does not block."),
    Rule("require-lock-timeout", "lock", "warning", "No SET lock_timeout before a statement that locks an "
         "existing table: if it waits behind a long query, every query queues behind it.",
         "SET lock_timeout = '2s'; at the top (and retry on timeout); safeshift's runner does this for you."),
    Rule("require-statement-timeout", "lock", "info", "No SET statement_timeout before a potentially slow "
         "statement, so a runaway statement holds its locks indefinitely.",
         "SET statement_timeout = '5min'; at the top of hand-written scripts."),
    Rule("uncommitted-transaction", "lock", "error", "A BEGIN without a matching COMMIT leaves the transaction "
         "open and its locks held.",
         "End every BEGIN with COMMIT (or let safeshift manage transactions)."),
    Rule("alter-domain-add-constraint", "lock", "warning", "Adding a constraint to a domain checks every column "
         "that uses it under lock.",
         "Add the constraint NOT VALID and VALIDATE it separately, or use table CHECK constraints instead."),
    Rule("create-domain-with-constraint", "lock", "info", "Constraints on domains cannot be changed later "
         "without scanning every column that uses the domain.",
         "Use a plain type with table CHECK constraints, which can be added NOT VALID."),
    # -- data (changes that fail on existing data) -----------------------------------------
    Rule("adding-required-field", "data", "error", "Adding a NOT NULL column without a default fails on any "
         "table that has rows.",
         "Add the column nullable (or with a constant DEFAULT), backfill in batches, then set NOT NULL through "
         "a validated CHECK (safeshift generate --expand)."),
    Rule("unique-on-existing-data", "data", "warning", "A unique index or constraint on existing data fails if "
         "duplicates exist (a failed CONCURRENTLY build leaves an INVALID index behind).",
         "Check first: SELECT col, count(*) FROM t GROUP BY col HAVING count(*) > 1; clean up, then build it."),
    Rule("type-cast-can-fail", "data", "warning", "Converting existing values to the new type can fail on rows "
         "whose values do not parse, aborting the migration.",
         "Check the data with the same cast first (SELECT ... WHERE col !~ '^[0-9]+$'), or use " + _EXPAND + "."),
    Rule("duplicate-column-assignment", "data", "error", "The same column is assigned twice in one statement, "
         "which PostgreSQL rejects.",
         "Assign each column once."),
    Rule("disable-trigger", "data", "warning", "Disabling a trigger lets writes skip the rules it enforces "
         "(including foreign keys, with ALL) while it is off.",
         "Keep triggers enabled; if you must, disable only a named user trigger and re-enable in the same "
         "transaction."),
    Rule("drop-trigger", "data", "warning", "Dropping a trigger stops whatever it maintained (audit rows, "
         "denormalised columns, sync with a new column).",
         "Drop it only after the code no longer depends on what it maintains.", default=False),
    Rule("prefer-bigint-over-int", "data", "info", "A 32-bit integer key runs out at 2,147,483,647, and "
         "widening it later rewrites the table.",
         "Use bigint (bigint GENERATED BY DEFAULT AS IDENTITY for keys)."),
    Rule("prefer-bigint-over-smallint", "data", "info", "A 16-bit integer runs out at 32,767, and widening it "
         "later rewrites the table.",
         "Use bigint or integer."),
    Rule("prefer-timestamptz", "data", "info", "timestamp without time zone drops the UTC offset, so values "
         "are ambiguous once clients in other zones write them.",
         "Use timestamptz (timestamp with time zone)."),
    Rule("ban-char-field", "data", "info", "character(n) pads values with spaces and is no faster than text.",
         "Use text (with a CHECK on length if needed) or varchar."),
    Rule("prefer-text-field", "data", "info", "A varchar(n) limit can only be raised cheaply; lowering it "
         "rewrites the table, and app limits change more often than schemas.",
         "Use text with a CHECK (char_length(col) <= n) NOT VALID constraint."),
    Rule("prefer-jsonb", "data", "info", "json has no equality operator, so SELECT DISTINCT and GROUP BY on it "
         "fail, and it is re-parsed on every read.",
         "Use jsonb."),
    # -- compatibility with the app version still running ----------------------------------
    Rule("renaming-table", "compat", "error", "Renaming a table breaks every running app instance that still "
         "uses the old name.",
         "Create the new table (or a view with the new name), write to both, backfill, switch reads, then drop "
         "the old one in a later release."),
    Rule("renaming-column", "compat", "error", "Renaming a column breaks every running app instance that "
         "still uses the old name.",
         "Add the new column, keep both in sync with a trigger, backfill, switch reads, then drop the old "
         "column in a later release."),
    Rule("renaming-object", "compat", "warning", "Renaming an object (index, sequence, view, type, function, "
         "constraint, enum value) breaks code that refers to it by name.",
         "Create the new object alongside the old one and drop the old one once nothing uses it."),
    Rule("set-schema", "compat", "warning", "Moving an object to another schema breaks code that refers to it "
         "with the old schema or search_path.",
         "Create it in the new schema alongside the old one, switch the app, then drop the old one."),
    Rule("drop-not-null", "compat", "warning", "Dropping NOT NULL lets the new app write NULLs that the old app "
         "version (still running, or rolled back to) does not expect.",
         "Make sure every app version that may run handles NULL first."),
    Rule("drop-default", "compat", "warning", "Dropping a default makes inserts from the running app, which "
         "omit the column, fail or store NULL.",
         "Drop the default only after every app version supplies the value itself."),
    Rule("drop-constraint", "compat", "warning", "Dropping a constraint removes a guarantee that running code "
         "may rely on.",
         "Make sure no app version relies on the guarantee before dropping it."),
    Rule("drop-view", "compat", "warning", "Dropping a view breaks code that reads from it.",
         "Stop using the view in a release first, then drop it."),
    Rule("drop-function", "compat", "warning", "Dropping a function breaks code, defaults and triggers that "
         "call it.",
         "Stop calling the function in a release first, then drop it."),
    Rule("drop-domain", "compat", "warning", "Dropping a domain fails while columns use it, and with CASCADE "
         "drops those columns.",
         "Migrate columns off the domain first, then drop it without CASCADE."),
    Rule("drop-extension", "compat", "warning", "Dropping an extension removes its types and functions, and "
         "with CASCADE the columns and indexes that use them.",
         "Drop the objects that use the extension first, then drop it without CASCADE."),
    Rule("drop-generated-expression", "compat", "warning", "Dropping a generated expression turns the column "
         "into a plain column that no longer follows its sources.",
         "Make sure the app writes the column itself before dropping the expression."),
    Rule("alter-identity", "compat", "warning", "Changing a column's identity changes how the running app's "
         "inserts get their keys.",
         "Make the app independent of the key generation before changing it."),
    Rule("transaction-nesting", "compat", "warning", "BEGIN/COMMIT inside a migration that already runs in a "
         "transaction commits it early or warns, leaving the migration half applied.",
         "Remove BEGIN/COMMIT; safeshift wraps each transactional step itself."),
    Rule("require-enum-value-ordering", "compat", "info", "ADD VALUE without BEFORE or AFTER appends the value, "
         "so ORDER BY on the enum may not sort as intended.",
         "ALTER TYPE ... ADD VALUE 'x' BEFORE 'y' (or AFTER)."),
    Rule("identifier-too-long", "compat", "warning", "PostgreSQL truncates identifiers to 63 bytes, so the "
         "object gets a different name than the one written.",
         "Use a name of at most 63 bytes."),
    Rule("prefer-identity", "compat", "info", "serial columns own a separate sequence with its own permissions "
         "and ownership, which complicates copies and schema changes.",
         "Use bigint GENERATED BY DEFAULT AS IDENTITY."),
    Rule("prefer-robust-stmts", "compat", "info", "Outside a transaction, a statement without IF [NOT] EXISTS "
         "cannot be re-run after a failure part way through.",
         "Use IF NOT EXISTS / IF EXISTS, or run the statements in a transaction."),
    Rule("syntax-error", "compat", "error", "PostgreSQL's parser rejects this statement, so the migration "
         "fails here.",
         "Fix the SQL."),
    Rule("unparsed-statement", "compat", "info", "The dialect's parser cannot read this statement, so no rule "
         "checked it.",
         "Check the statement by hand (or write it in a form the parser reads); review still runs every other one."),
    # -- SQLite ---------------------------------------------------------------------------
    Rule("sqlite-table-rebuild", "lock", "warning", "A table rebuild (CREATE new, INSERT ... SELECT, DROP, RENAME) "
         "copies every row while holding SQLite's write lock, so every other writer waits until it commits.",
         "Run it while writes are quiet, or keep the change to what ALTER TABLE does in place (ADD COLUMN, RENAME, "
         "DROP COLUMN of a plain column)."),
    Rule("sqlite-alter-fails", "data", "error", "SQLite refuses this ALTER TABLE (dropping a key, indexed or "
         "constrained column; adding a UNIQUE column, or one it cannot fill on existing rows), so the migration "
         "fails here.",
         "Rebuild the table instead (safeshift generate writes the rebuild), or drop the index or constraint first."),
    Rule("sqlite-foreign-keys-off", "data", "warning", "PRAGMA foreign_keys=OFF lets the statements after it break "
         "references unchecked, and nothing reports them unless PRAGMA foreign_key_check runs before foreign keys "
         "are turned back on.",
         "Run PRAGMA foreign_key_check before PRAGMA foreign_keys=ON (outside the transaction); safeshift's runner "
         "turns foreign keys off around every SQLite migration and checks them before it commits."),
    # -- MySQL and MariaDB ---------------------------------------------------------------
    Rule("mysql-table-copy", "lock", "warning", "This ALTER cannot run online: the server copies the whole table "
         "(ALGORITHM=COPY), or holds a lock that blocks writes, until it ends, so every writer waits.",
         "Use a form the server does in place (safeshift generate writes ALGORITHM=INSTANT or ALGORITHM=INPLACE, "
         "LOCK=NONE, or refuses), or copy the table online with pt-online-schema-change or gh-ost."),
    Rule("mysql-metadata-lock", "lock", "info", "An ALTER waits for the table's metadata lock behind every open "
         "transaction that read the table, and while it waits every new query on the table queues behind it.",
         "SET SESSION lock_wait_timeout = 5; first and retry on timeout (safeshift's runner sets it from the "
         "environment's lock_timeout and retries)."),
    Rule("mysql-column-position", "lock", "warning", "ADD COLUMN with FIRST or AFTER (or a column moved) rebuilds "
         "the table on MySQL before 8.0.29 and MariaDB 10.3, where only a column added at the end is INSTANT.",
         "Add the column at the end (column order rarely matters to an app), or add ALGORITHM=INSTANT so an "
         "older server refuses instead of rebuilding."),
    Rule("mysql-charset-change", "data", "warning", "Changing a column's or table's character set converts every "
         "value under a table copy; characters the new set lacks become '?', and values that were distinct may "
         "collide in unique keys under the new collation.",
         "Check the data first (SELECT ... WHERE col <> CONVERT(col USING new_charset)), and copy the table online "
         "with pt-online-schema-change or gh-ost."),
    Rule("mysql-enum-reorder", "data", "warning", "Reordering an ENUM's values changes the number stored for each "
         "row (and how ORDER BY sorts it), which rewrites the whole table under ALGORITHM=COPY.",
         "Only append new values at the end (an INSTANT change); keep the existing order."),
    Rule("unused-allow", "compat", "info", "A -- safeshift:allow directive matches no finding (stale, or a "
         "misspelt rule id).",
         "Remove the directive or correct the rule id."),
    # -- opt-in rollback-compatibility rules (Squawk makes these opt-in too) ----------------
    Rule("add-column", "compat", "info", "A new column can break an old app version that uses SELECT * "
         "positionally or INSERT without a column list.", "Use explicit column lists in the app.", default=False),
    Rule("add-enum-value", "compat", "info", "An old app version cannot decode a new enum value written by the "
         "new one.", "Teach every app version about the value before writing it.", default=False),
    Rule("add-composite-attribute", "compat", "info", "An old app version may fail to decode a composite type "
         "with a new attribute.", "Make every app version tolerant first.", default=False),
    Rule("drop-index", "compat", "info", "Queries that relied on the dropped index get slower.",
         "Check pg_stat_user_indexes.idx_scan first.", default=False),
    Rule("drop-policy", "compat", "warning", "Dropping a row-level security policy changes which rows running "
         "code can see or write.", "Replace the policy in one transaction.", default=False),
    Rule("create-policy", "compat", "info", "A new row-level security policy can hide rows from, or reject "
         "writes by, the running app.", "Test the policy with the app's role first.", default=False),
    Rule("alter-policy", "compat", "info", "Changing a policy's roles or condition changes which rows running "
         "code can see or write.", "Test the policy with the app's role first.", default=False),
    Rule("row-level-security", "compat", "warning", "Enabling or disabling row-level security changes what "
         "every query on the table returns.", "Roll it out with policies tested against the app's role.",
         default=False),
    Rule("revoke", "compat", "warning", "Revoking a privilege can make the running app's queries fail.",
         "Revoke only after no app version needs the privilege.", default=False),
    Rule("replace-view-or-function", "compat", "info", "CREATE OR REPLACE changes the behaviour for the app "
         "version still running.", "Create a new version alongside and switch callers.", default=False),
    Rule("alter-function-options", "compat", "info", "Changing a function's options changes its behaviour "
         "for running code.", "Review callers first.", default=False),
    Rule("alter-view-options", "compat", "info", "Changing a view's options changes its behaviour for running "
         "code.", "Review readers first.", default=False),
    Rule("alter-role-options", "compat", "warning", "Changing role options can break the app's connections or "
         "permissions.", "Do role changes outside schema migrations.", default=False),
    Rule("alter-database-options", "compat", "warning", "Changing database options affects every session of "
         "every app.", "Do it outside schema migrations.", default=False),
    Rule("alter-system-options", "compat", "warning", "ALTER SYSTEM changes server configuration for every "
         "database.", "Change server settings through configuration management.", default=False),
    Rule("alter-extension", "compat", "info", "Updating an extension can change the behaviour of its functions "
         "and types.", "Update extensions in their own reviewed change.", default=False),
    Rule("alter-sequence-values", "compat", "warning", "Changing a sequence's values can make new keys collide "
         "with existing rows.", "Check max(id) against the new range first.", default=False),
    Rule("set-default", "compat", "info", "A new default applies to inserts from every running app version.",
         "Make sure every app version expects the new default.", default=False),
    Rule("replica-identity", "compat", "info", "Changing REPLICA IDENTITY changes what logical replication and "
         "CDC consumers receive.", "Coordinate with replication consumers.", default=False),
    Rule("detach-inheritance", "compat", "warning", "Detaching a partition or child table removes its rows "
         "from queries on the parent.", "Make sure no reader expects those rows.", default=False),
    Rule("new-write-restriction", "compat", "info", "A new constraint can reject writes that the running app "
         "version still makes.", "Deploy the app change that satisfies the constraint first.", default=False),
    Rule("require-table-schema", "compat", "info", "An unqualified table name depends on search_path.",
         "Qualify the table with its schema.", default=False),
)

RULES: dict[str, Rule] = {r.id: r for r in _RULES}
#: rules graded by the live row count of their table (``Facts.row_estimate``) instead of their fixed severity:
#: rule -> (rows from which it is a warning, rows from which it is an error); below the first, info
ROWS_GRADED: dict[str, tuple[int, int]] = {"sqlite-table-rebuild": (100_000, 1_000_000),
                                           "mysql-table-copy": (100_000, 1_000_000)}
DEFAULT_RULES: frozenset[str] = frozenset(r.id for r in _RULES if r.default)

#: every Squawk 2.70 rule → the safeshift rule that flags the same statement
#: an allow naming the key also covers these rules: each is a hazard once reported under both names (a foreign
#: key, a UNIQUE or PRIMARY KEY constraint, a VALIDATE in the adding transaction), so an allow written then for
#: ``constraint-missing-not-valid`` still holds, and is not reported unused, now that the hazard has one finding
ALSO_COVERS: dict[str, frozenset[str]] = {
    "constraint-missing-not-valid": frozenset({"adding-foreign-key-constraint", "disallowed-unique-constraint",
                                               "adding-serial-primary-key-field", "validate-in-same-transaction"}),
}

SQUAWK_EQUIVALENT: dict[str, str] = {
    "adding-field-with-default": "adding-field-with-default",
    "adding-foreign-key-constraint": "adding-foreign-key-constraint",
    "adding-not-nullable-field": "adding-not-nullable-field",
    "adding-required-field": "adding-required-field",
    "adding-serial-primary-key-field": "adding-serial-primary-key-field",
    "ban-add-column": "add-column",
    "ban-add-composite-attribute": "add-composite-attribute",
    "ban-add-enum-value": "add-enum-value",
    "ban-alter-database-options": "alter-database-options",
    "ban-alter-domain-with-add-constraint": "alter-domain-add-constraint",
    "ban-alter-extension": "alter-extension",
    "ban-alter-function-options": "alter-function-options",
    "ban-alter-generated-expression": "alter-generated-expression",
    "ban-alter-identity": "alter-identity",
    "ban-alter-policy-condition": "alter-policy",
    "ban-alter-policy-roles": "alter-policy",
    "ban-alter-role-options": "alter-role-options",
    "ban-alter-row-level-security": "row-level-security",
    "ban-alter-sequence-values": "alter-sequence-values",
    "ban-alter-system-options": "alter-system-options",
    "ban-alter-view-options": "alter-view-options",
    "ban-char-field": "ban-char-field",
    "ban-concurrent-index-creation-in-transaction": "concurrently-in-transaction",
    "ban-create-domain-with-constraint": "create-domain-with-constraint",
    "ban-create-policy": "create-policy",
    "ban-detach-inheritance": "detach-inheritance",
    "ban-disable-trigger": "disable-trigger",
    "ban-drop-column": "drop-column",
    "ban-drop-constraint": "drop-constraint",
    "ban-drop-database": "drop-database",
    "ban-drop-default": "drop-default",
    "ban-drop-domain": "drop-domain",
    "ban-drop-extension": "drop-extension",
    "ban-drop-function": "drop-function",
    "ban-drop-generated-expression": "drop-generated-expression",
    "ban-drop-index": "drop-index",
    "ban-drop-not-null": "drop-not-null",
    "ban-drop-policy": "drop-policy",
    "ban-drop-schema": "drop-schema",
    "ban-drop-sequence": "drop-sequence",
    "ban-drop-table": "drop-table",
    "ban-drop-trigger": "drop-trigger",
    "ban-drop-type": "drop-type",
    "ban-drop-view": "drop-view",
    "ban-duplicate-column-assignments": "duplicate-column-assignment",
    "ban-new-write-restriction": "new-write-restriction",
    "ban-replace-view-function": "replace-view-or-function",
    "ban-replica-identity": "replica-identity",
    "ban-revoke": "revoke",
    "ban-set-default": "set-default",
    "ban-set-schema": "set-schema",
    "ban-truncate-cascade": "truncate-table",
    "ban-uncommitted-transaction": "uncommitted-transaction",
    "changing-column-type": "changing-column-type",
    "constraint-missing-not-valid": "constraint-missing-not-valid",
    "disallowed-unique-constraint": "disallowed-unique-constraint",
    "identifier-too-long": "identifier-too-long",
    "prefer-bigint-over-int": "prefer-bigint-over-int",
    "prefer-bigint-over-smallint": "prefer-bigint-over-smallint",
    "prefer-identity": "prefer-identity",
    "prefer-repack": "prefer-repack",
    "prefer-robust-stmts": "prefer-robust-stmts",
    "prefer-text-field": "prefer-text-field",
    "prefer-timestamp-tz": "prefer-timestamptz",
    "renaming-column": "renaming-column",
    "renaming-object": "renaming-object",
    "renaming-table": "renaming-table",
    "require-concurrent-index-creation": "require-concurrent-index-creation",
    "require-concurrent-index-deletion": "require-concurrent-index-deletion",
    "require-concurrent-partition-detach": "require-concurrent-partition-detach",
    "require-concurrent-reindex": "require-concurrent-reindex",
    "require-enum-value-ordering": "require-enum-value-ordering",
    "require-lock-timeout": "require-lock-timeout",
    "require-statement-timeout": "require-statement-timeout",
    "require-table-schema": "require-table-schema",
    "require-timeout-settings": "require-lock-timeout",
    "syntax-error": "syntax-error",
    "transaction-nesting": "transaction-nesting",
    "unused-ignore": "unused-allow",
}

#: every strong_migrations check (lib/strong_migrations/error_messages.rb) → safeshift rule;
#: None where the check is about Rails itself (no SQL hazard to find)
STRONG_MIGRATIONS_EQUIVALENT: dict[str, str | None] = {
    "add_column_default": "adding-field-with-default",
    "add_column_default_null": "adding-field-with-default",
    "add_column_default_callable": "adding-field-with-default",
    "add_column_json": "prefer-jsonb",
    "add_column_generated_stored": "adding-field-with-default",
    "change_column": "changing-column-type",
    "change_column_with_not_null": "adding-not-nullable-field",
    "remove_column": "drop-column",
    "rename_column": "renaming-column",
    "rename_table": "renaming-table",
    "add_reference": "require-concurrent-index-creation",
    "add_index": "require-concurrent-index-creation",
    "remove_index": "require-concurrent-index-deletion",
    "add_index_columns": None,  # a performance opinion, not a migration hazard
    "add_index_corruption": None,  # a PostgreSQL 14.0-14.3 bug; depends on the server version
    "change_table": None,  # a Rails DSL limitation
    "create_table": "drop-table",  # force: true drops the existing table
    "execute": None,  # safeshift parses raw SQL instead of giving up on it
    "change_column_default": "set-default",
    "change_column_null": "update-without-where",
    "change_column_null_postgresql": "adding-not-nullable-field",
    "change_column_null_mysql": None,  # MySQL only
    "add_foreign_key": "adding-foreign-key-constraint",
    "validate_foreign_key": "validate-in-same-transaction",
    "add_check_constraint": "constraint-missing-not-valid",
    "add_check_constraint_mysql": None,  # MySQL only
    "validate_check_constraint": "validate-in-same-transaction",
    "add_exclusion_constraint": "constraint-missing-not-valid",
}

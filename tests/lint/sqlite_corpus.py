"""The SQLite review corpus: statements with the rules safeshift must report for each, on SQLite.

Cases are reviewed against ``SETUP``'s schema as a real SQLite file holds it (the schema before
the migration, as a folder's snapshot gives it), so a rebuild's dropped or tightened columns are
named.  ``expect`` follows ``tests/lint/corpus.py``: per statement the rules that must be reported
(``"rule"`` error or warning, ``"rule:severity"`` pinned), and nothing else of error or warning.
Sources: hand-written SQLite (PRAGMA, triggers, STRICT / WITHOUT ROWID, rebuild recipes, UPSERT,
ALTER TABLE forms) and the shapes safeshift's SQLite renderer writes (rebuilds, index renames).
"""

from __future__ import annotations

from tests.lint.corpus import NONE, Case, case

SETUP = """
CREATE TABLE orgs (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email VARCHAR(100) NOT NULL UNIQUE,
    nickname VARCHAR(40),
    age INTEGER,
    bio TEXT,
    org_id INTEGER REFERENCES orgs (id),
    score INTEGER CHECK (score >= 0)
);
CREATE INDEX ix_users_nickname ON users (nickname);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, title TEXT, FOREIGN KEY (user_id) REFERENCES users (id));
CREATE TABLE counts (id INTEGER PRIMARY KEY, n INT, label TEXT) STRICT;
CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER);
"""

#: what ``safeshift generate`` writes to drop users.bio (the rebuild, verbatim in shape)
GENERATED_DROP_COLUMN = """
CREATE TABLE "_safeshift_new_users" (
    "id" INTEGER NOT NULL,
    "email" VARCHAR(100) NOT NULL,
    "nickname" VARCHAR(40),
    "age" INTEGER,
    "org_id" INTEGER,
    "score" INTEGER,
    PRIMARY KEY ("id"),
    UNIQUE ("email"),
    FOREIGN KEY ("org_id") REFERENCES "orgs" ("id"),
    CHECK (score >= 0)
);
INSERT INTO "_safeshift_new_users" ("id", "email", "nickname", "age", "org_id", "score") SELECT "id", "email", "nickname", "age", "org_id", "score" FROM "users";
DROP TABLE "users";
PRAGMA legacy_alter_table=ON;
ALTER TABLE "_safeshift_new_users" RENAME TO "users";
PRAGMA legacy_alter_table=OFF;
CREATE INDEX "ix_users_nickname" ON "users" ("nickname");
PRAGMA foreign_key_check("users");
"""


def _generated(name: str, columns: str, select: str, *expect_at_drop: str) -> Case:
    """A generated rebuild of users: the new table's ``columns``, the copy's ``select`` list."""
    sql = (f'CREATE TABLE "_safeshift_new_users" (\n{columns},\n    PRIMARY KEY ("id")\n);\n'
           f'INSERT INTO "_safeshift_new_users" ({select[0]}) SELECT {select[1]} FROM "users";\n'
           'DROP TABLE "users";\nPRAGMA legacy_alter_table=ON;\n'
           'ALTER TABLE "_safeshift_new_users" RENAME TO "users";\nPRAGMA legacy_alter_table=OFF;\n'
           'PRAGMA foreign_key_check("users");\n')
    return case(name, sql, NONE, {"sqlite-table-rebuild"}, set(expect_at_drop), NONE, NONE, NONE, NONE,
                source="safeshift")


_ALL = '"id", "email", "nickname", "age", "bio", "org_id", "score"'
_COLS = ('    "id" INTEGER NOT NULL,\n    "email" VARCHAR(100) NOT NULL,\n    "nickname" {nick},\n    "age" INTEGER,\n'
         '    "bio" TEXT,\n    "org_id" INTEGER,\n    "score" INTEGER')

CASES: list[Case] = [
    # -- drops ----------------------------------------------------------------------------------
    case("drop_table", "DROP TABLE posts;", {"drop-table"}),
    case("drop_table_if_exists", "DROP TABLE IF EXISTS main.posts;", {"drop-table"}),
    case("created_then_dropped", "CREATE TABLE scratch (id INTEGER PRIMARY KEY);\nDROP TABLE scratch;",
         NONE, {"drop-table:info"}),
    case("drop_column_plain", "ALTER TABLE users DROP COLUMN bio;", {"drop-column"}),
    case("drop_column_without_keyword", "ALTER TABLE users DROP bio;", {"drop-column"}),
    case("drop_column_indexed", "ALTER TABLE users DROP COLUMN nickname;", {"drop-column", "sqlite-alter-fails"}),
    case("drop_column_unique", "ALTER TABLE users DROP COLUMN email;", {"drop-column", "sqlite-alter-fails"}),
    case("drop_column_primary_key", "ALTER TABLE users DROP COLUMN id;", {"drop-column", "sqlite-alter-fails"}),
    case("drop_column_foreign_key", "ALTER TABLE posts DROP COLUMN user_id;", {"drop-column", "sqlite-alter-fails"}),
    case("drop_view", "CREATE VIEW adults AS SELECT id FROM users WHERE age >= 18;\nDROP VIEW adults;",
         NONE, {"drop-view"}),
    case("drop_index_not_flagged", "DROP INDEX IF EXISTS ix_users_nickname;", NONE),
    # -- renames ----------------------------------------------------------------------------------
    case("rename_table", "ALTER TABLE posts RENAME TO articles;", {"renaming-table"}),
    case("rename_column", "ALTER TABLE users RENAME COLUMN bio TO about;", {"renaming-column"}),
    case("rename_column_without_keyword", "ALTER TABLE users RENAME bio TO about;", {"renaming-column"}),
    case("rename_new_table_not_flagged", "CREATE TABLE drafts (id INTEGER PRIMARY KEY);\n"
         "ALTER TABLE drafts RENAME TO notes;", NONE, NONE),
    # -- ADD COLUMN ---------------------------------------------------------------------------------
    case("add_column_nullable", "ALTER TABLE users ADD COLUMN last_seen TEXT;", NONE),
    case("add_column_not_null_with_default", "ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;", NONE),
    case("add_column_not_null_without_default", "ALTER TABLE users ADD COLUMN active INTEGER NOT NULL;",
         {"adding-required-field"}),
    case("add_column_not_null_to_new_table", "CREATE TABLE notes (id INTEGER PRIMARY KEY);\n"
         "ALTER TABLE notes ADD COLUMN body TEXT NOT NULL;", NONE, {"adding-required-field:info"}),
    case("drop_inline_references_column", "CREATE TABLE notes (id INTEGER PRIMARY KEY, org_id INTEGER REFERENCES orgs (id));"
         "\nALTER TABLE notes DROP COLUMN org_id;", NONE, {"drop-column:info"}),
    case("add_column_current_timestamp", "ALTER TABLE users ADD COLUMN created_at TEXT DEFAULT CURRENT_TIMESTAMP;",
         {"sqlite-alter-fails"}),
    case("add_column_unique", "ALTER TABLE users ADD COLUMN handle TEXT UNIQUE;", {"sqlite-alter-fails"}),
    case("add_column_stored_generated", "ALTER TABLE users ADD COLUMN twice INTEGER GENERATED ALWAYS AS (age * 2) "
         "STORED;", {"sqlite-alter-fails"}),
    case("add_column_virtual_generated", "ALTER TABLE users ADD COLUMN twice INTEGER GENERATED ALWAYS AS (age * 2) "
         "VIRTUAL;", NONE),
    case("alter_column_type_is_not_sqlite", "ALTER TABLE users ALTER COLUMN age TYPE TEXT;", {"sqlite-alter-fails"}),
    # -- CREATE -------------------------------------------------------------------------------------------
    case("create_table_strict", "CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL, n INT) STRICT;",
         NONE),
    case("create_table_without_rowid", "CREATE TABLE pairs (a TEXT, b TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;",
         NONE),
    case("create_table_strict_without_rowid", "CREATE TABLE IF NOT EXISTS tags (name TEXT PRIMARY KEY) "
         "STRICT, WITHOUT ROWID;", NONE),
    case("create_index_partial", "CREATE INDEX ix_users_adults ON users (age) WHERE bio IS NOT NULL;", NONE),
    case("create_unique_index", "CREATE UNIQUE INDEX ux_users_nickname ON users (lower(nickname));",
         {"unique-on-existing-data"}),
    case("create_trigger", """
CREATE TRIGGER IF NOT EXISTS users_touch AFTER UPDATE ON users FOR EACH ROW WHEN NEW.age IS NOT OLD.age
BEGIN
    UPDATE users SET score = CASE WHEN NEW.age > 60 THEN 0 ELSE score END WHERE id = NEW.id;
    INSERT INTO kv (k, v) VALUES ('touched', NEW.id) ON CONFLICT (k) DO UPDATE SET v = excluded.v;
END;""", NONE),
    case("create_table_as_select", "CREATE TABLE users_copy AS SELECT * FROM users;", {"sqlite-table-rebuild"}),
    # -- DML ------------------------------------------------------------------------------------------
    case("upsert", "INSERT INTO kv (k, v) VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET v = excluded.v;", NONE),
    case("insert_or_replace", "INSERT OR REPLACE INTO kv (k, v) VALUES ('a', 1);", NONE),
    case("replace_into", "REPLACE INTO kv (k, v) VALUES ('a', 1);", NONE),
    case("delete_without_where", "DELETE FROM posts;", {"delete-without-where"}),
    case("update_without_where", "UPDATE users SET score = 0;", {"update-without-where"}),
    case("delete_with_where", "DELETE FROM posts WHERE title IS NULL;", NONE),
    # -- PRAGMA and transactions ----------------------------------------------------------------------
    case("foreign_keys_off_unchecked", "PRAGMA foreign_keys=OFF;\nDELETE FROM orgs WHERE id = 1;\n"
         "PRAGMA foreign_keys=ON;", {"sqlite-foreign-keys-off"}, NONE, NONE),
    case("foreign_keys_off_checked", "PRAGMA foreign_keys = 0;\nDELETE FROM orgs WHERE id = 1;\n"
         "PRAGMA foreign_key_check;\nPRAGMA foreign_keys = 1;", NONE, NONE, NONE, NONE),
    case("foreign_keys_off_never_back_on", "PRAGMA foreign_keys=OFF;\nDELETE FROM orgs WHERE id = 1;",
         {"sqlite-foreign-keys-off"}, NONE),
    case("foreign_keys_off_inside_transaction", "BEGIN;\nPRAGMA foreign_keys=OFF;\nDROP TABLE kv;\nCOMMIT;",
         NONE, {"sqlite-foreign-keys-off"}, {"drop-table"}, NONE),
    case("pragma_journal_mode", "PRAGMA journal_mode=WAL;", NONE),
    case("begin_immediate_commit", "BEGIN IMMEDIATE;\nCREATE TABLE notes (id INTEGER PRIMARY KEY);\nEND TRANSACTION;",
         NONE, NONE, NONE),
    case("begin_without_commit", "BEGIN;\nCREATE TABLE notes (id INTEGER PRIMARY KEY);", {"uncommitted-transaction"},
         NONE),
    case("vacuum", "VACUUM;", {"prefer-repack"}),
    case("reindex", "REINDEX;", {"require-concurrent-reindex"}),
    case("savepoint", "SAVEPOINT s1;\nRELEASE s1;", NONE, NONE),
    case("unparsed", "CREATE TABLE t (id INTEGER PRIMARY KEY) WITH SOMETHING ODD;", {"unparsed-statement:info"}),
    # -- table rebuilds written by hand ---------------------------------------------------------------------
    case("rebuild_by_hand_drops_a_column", """
CREATE TABLE users_new (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE, nickname VARCHAR(40), age INTEGER,
                        org_id INTEGER REFERENCES orgs (id), score INTEGER CHECK (score >= 0));
INSERT INTO users_new SELECT id, email, nickname, age, org_id, score FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;""", NONE, {"sqlite-table-rebuild"}, {"drop-column"}, NONE),
    case("rebuild_by_hand_rename_aside", """
ALTER TABLE orgs RENAME TO orgs_old;
CREATE TABLE orgs (id INTEGER PRIMARY KEY, name TEXT NOT NULL, slug TEXT);
INSERT INTO orgs (id, name) SELECT id, name FROM orgs_old;
DROP TABLE orgs_old;""", NONE, NONE, {"sqlite-table-rebuild"}, NONE),
    case("rebuild_into_strict_with_another_type", """
CREATE TABLE counts_new (id INTEGER PRIMARY KEY, n TEXT, label TEXT) STRICT;
INSERT INTO counts_new (id, n, label) SELECT id, n, label FROM counts;
DROP TABLE counts;
ALTER TABLE counts_new RENAME TO counts;""", NONE, {"sqlite-table-rebuild"}, {"type-cast-can-fail"}, NONE),
    case("rebuild_new_not_null_column_without_default", """
CREATE TABLE kv_new (k TEXT PRIMARY KEY, v INTEGER, owner INTEGER NOT NULL);
INSERT INTO kv_new (k, v) SELECT k, v FROM kv;
DROP TABLE kv;
ALTER TABLE kv_new RENAME TO kv;""", NONE, {"sqlite-table-rebuild"}, {"adding-required-field"}, NONE),
    # -- what safeshift generate writes ------------------------------------------------------------------
    case("generated_drop_column", GENERATED_DROP_COLUMN, NONE, {"sqlite-table-rebuild"}, {"drop-column"}, NONE, NONE,
         NONE, NONE, NONE, source="safeshift"),
    _generated("generated_rename_column", _COLS.replace('"nickname" {nick}', '"handle" VARCHAR(40)'),
               (_ALL.replace('"nickname"', '"handle"'), _ALL), "renaming-column"),
    _generated("generated_set_not_null", _COLS.format(nick="VARCHAR(40) NOT NULL"), (_ALL, _ALL),
               "adding-not-nullable-field"),
    _generated("generated_drop_not_null_not_flagged", _COLS.format(nick="VARCHAR(40)"), (_ALL, _ALL)),
    _generated("generated_narrowing_is_a_no_op", _COLS.format(nick="VARCHAR(10)"), (_ALL, _ALL),
               "narrowing-type-change:info"),
    _generated("generated_affinity_change", _COLS.format(nick="INTEGER"), (_ALL, _ALL), "changing-column-type:info"),
    case("generated_index_rename", 'DROP INDEX "ix_users_nickname";\n'
         'CREATE INDEX "ix_users_handle" ON "users" ("nickname");', NONE, NONE, source="safeshift"),
    case("generated_add_column", 'ALTER TABLE "users" ADD COLUMN "score2" INTEGER NOT NULL DEFAULT \'0\';', NONE,
         source="safeshift"),
]


def statement_count() -> int:
    return sum(len(c.expect) for c in CASES)

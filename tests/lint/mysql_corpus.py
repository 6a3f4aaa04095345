"""The MySQL review corpus: statements with the rules safeshift must report for each, on MySQL/MariaDB.

Cases are reviewed against ``SETUP``'s schema as MariaDB holds it (read back by safeshift's introspection,
as a folder's snapshot gives it), so a MODIFY is judged against the column it replaces.  ``expect``
follows ``tests/lint/corpus.py``: per statement the rules that must be reported (``"rule"`` error or
warning, ``"rule:severity"`` pinned), and nothing else of error or warning.  Sources: what drizzle-kit
writes for MySQL (backquoted names, ``MODIFY COLUMN`` restating the column, foreign keys added by ALTER),
what safeshift's lock-safe renderer writes (``ALGORITHM``/``LOCK`` clauses, the foreign key's orphan check),
and hand-written MySQL.  ``COPIES`` names the cases whose ``mysql-table-copy`` claim the server itself
confirms: run with ``ALGORITHM=INPLACE, LOCK=NONE`` it refuses them (1845/1846).
"""

from __future__ import annotations

from tests.lint.corpus import NONE, Case, case

SETUP = """
CREATE TABLE orgs (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, name varchar(100) NOT NULL)
    COLLATE=utf8mb4_unicode_ci;
CREATE TABLE users (
    id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email varchar(255) NOT NULL,
    name varchar(50) NULL,
    age int NULL,
    status enum('active','banned') NOT NULL DEFAULT 'active',
    bio text NULL,
    org_id bigint unsigned NULL,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE KEY users_email_unique (email),
    KEY users_name_idx (name),
    CONSTRAINT users_org_id_fk FOREIGN KEY (org_id) REFERENCES orgs (id)
) COLLATE=utf8mb4_unicode_ci;
CREATE TABLE posts (
    id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id bigint unsigned NOT NULL,
    title varchar(200) NOT NULL,
    body text
) COLLATE=utf8mb4_unicode_ci;
CREATE TABLE tags (name varchar(40) NOT NULL PRIMARY KEY, hits int NULL) COLLATE=utf8mb4_unicode_ci;
"""

#: what the rows the server's refusals are checked against hold
ROWS = """
INSERT INTO orgs (id, name) VALUES (1, 'acme');
INSERT INTO users (id, email, name, age, org_id) VALUES (1, 'a@x', 'ann', 30, 1), (2, 'b@x', 'bob', 40, 1);
INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'hello');
INSERT INTO tags (name, hits) VALUES ('db', 1);
"""

#: safeshift's lock-safe foreign key, as ``generate`` writes it
SAFESHIFT_FK = """
SELECT (SELECT 1 UNION ALL SELECT 1 FROM DUAL WHERE EXISTS (SELECT 1 FROM `posts` c WHERE c.`user_id` IS NOT NULL AND NOT EXISTS (SELECT 1 FROM `users` p WHERE p.`id` = c.`user_id`))) AS orphans_check;
SET SESSION foreign_key_checks = 0;
ALTER TABLE `posts` ADD CONSTRAINT `posts_user_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`), ALGORITHM=INPLACE, LOCK=NONE;
SET SESSION foreign_key_checks = 1;
"""

DRIZZLE_NEW_TABLE = """
CREATE TABLE `comments` (
	`id` serial AUTO_INCREMENT NOT NULL,
	`post_id` bigint unsigned NOT NULL,
	`body` text NOT NULL,
	CONSTRAINT `comments_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
ALTER TABLE `comments` ADD CONSTRAINT `comments_post_id_posts_id_fk` FOREIGN KEY (`post_id`) REFERENCES `posts`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `comments_post_idx` ON `comments` (`post_id`);
"""

FLAGGED: list[Case] = [
    # -- drizzle-kit's MySQL output ------------------------------------------------------------
    case("drizzle_add_fk", "ALTER TABLE `posts` ADD CONSTRAINT `posts_user_id_users_id_fk` FOREIGN KEY (`user_id`) "
         "REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action;", {"adding-foreign-key-constraint"},
         source="drizzle"),
    case("drizzle_int_to_bigint", "ALTER TABLE `users` MODIFY COLUMN `age` bigint;", {"mysql-table-copy"},
         source="drizzle"),
    case("drizzle_narrow_varchar", "ALTER TABLE `users` MODIFY COLUMN `name` varchar(20);",
         {"narrowing-type-change", "mysql-table-copy"}, source="drizzle"),
    case("drizzle_required_column", "ALTER TABLE `users` ADD `email_verified` boolean NOT NULL;",
         {"adding-required-field"}, source="drizzle"),
    case("drizzle_drop_column", "ALTER TABLE `posts` DROP COLUMN `title`;", {"drop-column"}, source="drizzle"),
    case("drizzle_drop_table", "DROP TABLE `posts`;", {"drop-table"}, source="drizzle"),
    case("drizzle_rename_table", "RENAME TABLE `users` TO `members`;", {"renaming-table"}, source="drizzle"),
    case("drizzle_rename_column", "ALTER TABLE `users` RENAME COLUMN `name` TO `full_name`;", {"renaming-column"},
         source="drizzle"),
    # an in-place rebuild whose end blocks writers (NOT_NULL_REBUILD): flagged as a copy is, with its own reason
    case("drizzle_set_not_null", "ALTER TABLE `users` MODIFY COLUMN `age` int NOT NULL;",
         {"adding-not-nullable-field", "mysql-table-copy"}, source="drizzle"),
    case("drizzle_unique", "ALTER TABLE `users` ADD CONSTRAINT `users_name_unique` UNIQUE(`name`);",
         {"unique-on-existing-data"}, source="drizzle"),
    case("drizzle_drop_fk", "ALTER TABLE `users` DROP FOREIGN KEY `users_org_id_fk`;", {"drop-constraint"},
         source="drizzle"),
    # -- hand-written ----------------------------------------------------------------------------
    case("rename_to", "ALTER TABLE users RENAME TO members;", {"renaming-table"}),
    case("change_column_renames", "ALTER TABLE users CHANGE COLUMN name full_name varchar(50) NULL;",
         {"renaming-column"}),
    case("add_after", "ALTER TABLE users ADD COLUMN nickname varchar(40) NULL AFTER name;",
         {"mysql-column-position"}),
    case("add_first", "ALTER TABLE users ADD COLUMN tenant int NULL FIRST;", {"mysql-column-position"}),
    case("convert_charset", "ALTER TABLE users CONVERT TO CHARACTER SET latin1;",
         {"mysql-charset-change", "mysql-table-copy"}),
    case("column_charset", "ALTER TABLE users MODIFY name varchar(50) CHARACTER SET latin1 NULL;",
         {"mysql-charset-change", "mysql-table-copy"}),
    case("column_collation_other_charset", "ALTER TABLE users MODIFY name varchar(50) COLLATE latin1_swedish_ci NULL;",
         {"mysql-charset-change", "mysql-table-copy"}),
    case("enum_reorder", "ALTER TABLE users MODIFY status enum('banned','active') NOT NULL DEFAULT 'active';",
         {"mysql-enum-reorder"}),
    case("enum_value_removed", "ALTER TABLE users MODIFY status enum('active') NOT NULL DEFAULT 'active';",
         {"drop-enum-value"}),
    case("add_check", "ALTER TABLE users ADD CONSTRAINT adult CHECK (age >= 18);", {"mysql-table-copy"}),
    case("drop_primary_key", "ALTER TABLE tags DROP PRIMARY KEY;", {"mysql-table-copy"}),
    case("fulltext_add", "ALTER TABLE posts ADD FULLTEXT INDEX posts_body_ft (body);", {"mysql-table-copy"}),
    case("fulltext_create", "CREATE FULLTEXT INDEX posts_title_ft ON posts (title);", {"mysql-table-copy"}),
    case("stored_generated", "ALTER TABLE users ADD COLUMN age_next int AS (age + 1) STORED;", {"mysql-table-copy"}),
    case("explicit_copy", "ALTER TABLE users ADD COLUMN x int NULL, ALGORITHM=COPY;", {"mysql-table-copy"}),
    case("engine_change", "ALTER TABLE posts ENGINE=MyISAM;", {"mysql-table-copy"}),
    case("modify_unknown_column", "ALTER TABLE legacy MODIFY x int;", {"mysql-table-copy"}),
    case("truncate", "TRUNCATE TABLE posts;", {"truncate-table"}),
    case("delete_all", "DELETE FROM posts;", {"delete-without-where"}),
    case("update_all", "UPDATE users SET age = 0;", {"update-without-where"}),
    case("unique_index", "CREATE UNIQUE INDEX users_name_uq ON users (name);", {"unique-on-existing-data"}),
    case("drop_default", "ALTER TABLE users ALTER COLUMN status DROP DEFAULT;", {"drop-default"}),
    case("drop_database", "DROP DATABASE app;", {"drop-database"}),
    case("optimize", "OPTIMIZE TABLE posts;", {"mysql-table-copy"}),
    case("unique_index_using_btree", "CREATE UNIQUE INDEX `users_name_uq` ON `users` (`name`) USING BTREE;",
         {"unique-on-existing-data"}),
    case("retype_then_narrow", "ALTER TABLE users ADD COLUMN code varchar(40) NULL;\n"
         "ALTER TABLE users MODIFY COLUMN code varchar(10) NULL;", NONE, {"narrowing-type-change", "mysql-table-copy"}),
]

NOT_FLAGGED: list[Case] = [
    # -- safeshift's lock-safe forms -------------------------------------------------------------
    case("safeshift_add_column", "ALTER TABLE `users` ADD COLUMN `nickname` varchar(40) NULL, ALGORITHM=INSTANT;",
         NONE, source="safeshift"),
    case("safeshift_widen", "ALTER TABLE `users` MODIFY COLUMN `name` varchar(60) NULL, ALGORITHM=INSTANT;", NONE,
         source="safeshift"),
    case("safeshift_index", "CREATE INDEX `users_age_idx` ON `users` (`age`) ALGORITHM=INPLACE LOCK=NONE;", NONE,
         source="safeshift"),
    case("safeshift_drop_index", "ALTER TABLE `users` DROP INDEX `users_name_idx`, ALGORITHM=INPLACE, LOCK=NONE;",
         NONE, source="safeshift"),
    case("safeshift_rename_index", "ALTER TABLE `users` RENAME INDEX `users_name_idx` TO `users_nm_idx`, "
         "ALGORITHM=INPLACE, LOCK=NONE;", NONE, source="safeshift"),
    case("safeshift_fk", SAFESHIFT_FK, NONE, NONE, NONE, NONE, source="safeshift"),
    case("safeshift_enum_append", "ALTER TABLE `users` MODIFY COLUMN `status` enum('active','banned','deleted') NOT "
         "NULL DEFAULT 'active', ALGORITHM=INSTANT;", NONE, source="safeshift"),
    case("safeshift_default", "ALTER TABLE `users` MODIFY COLUMN `age` int NULL DEFAULT (18), ALGORITHM=INSTANT;",
         NONE, source="safeshift"),
    case("safeshift_comment", "ALTER TABLE `users` COMMENT = 'people', ALGORITHM=INSTANT;", NONE, source="safeshift"),
    # -- drizzle-kit: new tables and cheap changes --------------------------------------------------
    case("drizzle_new_table", DRIZZLE_NEW_TABLE, NONE, NONE, NONE, source="drizzle"),
    case("drizzle_add_nullable", "ALTER TABLE `users` ADD `deleted_at` datetime;", NONE, source="drizzle"),
    case("drizzle_add_with_default", "ALTER TABLE `users` ADD `score` int DEFAULT 0 NOT NULL;", NONE, source="drizzle"),
    case("drizzle_index", "CREATE INDEX `users_age_idx` ON `users` (`age`);", NONE, source="drizzle"),
    case("drizzle_widen", "ALTER TABLE `users` MODIFY COLUMN `name` varchar(120);", NONE, source="drizzle"),
    case("drizzle_enum_append", "ALTER TABLE `users` MODIFY COLUMN `status` enum('active','banned','deleted') NOT "
         "NULL DEFAULT 'active';", NONE, source="drizzle"),
    # -- hand-written ------------------------------------------------------------------------------
    case("set_default", "ALTER TABLE users ALTER COLUMN age SET DEFAULT 18;", NONE),
    case("comment_only", "ALTER TABLE users MODIFY COLUMN age int NULL COMMENT 'years';", NONE),
    case("collation_same_charset", "ALTER TABLE users MODIFY COLUMN name varchar(50) COLLATE utf8mb4_bin NULL;", NONE),
    case("virtual_generated", "ALTER TABLE users ADD COLUMN age_next int AS (age + 1) VIRTUAL;", NONE),
    case("drop_null", "ALTER TABLE users MODIFY COLUMN email varchar(255) NULL;", NONE),
    case("lock_wait", "SET SESSION lock_wait_timeout = 5;\nALTER TABLE users ADD COLUMN x int NULL;", NONE, NONE),
    case("insert", "INSERT INTO orgs (name) VALUES ('b');", NONE),
    case("update_some", "UPDATE users SET age = 1 WHERE id < 1000;", NONE),
    case("delete_some", "DELETE FROM users WHERE id = 1;", NONE),
    case("created_then_changed", "CREATE TABLE tmp (id int PRIMARY KEY, v varchar(10));\n"
         "ALTER TABLE tmp MODIFY v int;\nALTER TABLE tmp ADD CONSTRAINT tmp_v CHECK (v > 0);\nDROP TABLE tmp;",
         NONE, NONE, NONE, NONE),
    case("created_then_fk", "CREATE TABLE tags (id int PRIMARY KEY, user_id bigint unsigned);\n"
         "ALTER TABLE tags ADD CONSTRAINT tags_user_fk FOREIGN KEY (user_id) REFERENCES users (id);", NONE, NONE),
    case("select", "SELECT count(*) FROM users;", NONE),
    case("mysql8_drop_index_options", "DROP INDEX `users_name_idx` ON `users` ALGORITHM=INPLACE LOCK=NONE;", NONE),
    case("replace_into", "REPLACE INTO orgs (id, name) VALUES (1, 'acme');", NONE),
    case("lock_tables", "LOCK TABLES orgs WRITE;\nINSERT INTO orgs (name) VALUES ('c');\nUNLOCK TABLES;", NONE, NONE, NONE),
    case("add_pk_to_new", "CREATE TABLE kv (k varchar(20) NOT NULL, v text);\nALTER TABLE kv ADD PRIMARY KEY (k);",
         NONE, NONE),
    case("instant_add_after", "ALTER TABLE users ADD COLUMN nickname varchar(40) NULL AFTER name, ALGORITHM=INSTANT;",
         NONE),
]

CASES: list[Case] = FLAGGED + NOT_FLAGGED

#: cases whose mysql-table-copy the server confirms: with ALGORITHM=INPLACE, LOCK=NONE it refuses them
COPIES = ("drizzle_int_to_bigint", "drizzle_narrow_varchar", "column_charset", "column_collation_other_charset",
          "enum_reorder", "add_check", "drop_primary_key", "fulltext_add", "stored_generated", "engine_change",
          "convert_charset")


def statement_count(cases: list[Case]) -> int:
    return sum(len(c.expect) for c in cases)

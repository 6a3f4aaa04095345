"""The review corpus: SQL files with the rules safeshift must report for each statement.

Each case is one file (reviewed on its own, so state such as "created earlier in this file"
never leaks between cases).  ``expect`` has one entry per statement: the rule ids that must
be reported there, ``"rule"`` for error/warning and ``"rule:info"`` (or any severity) to pin
the severity.  Any other error or warning at that statement fails the test, except the
file-level advice rules in ``NOT_PINNED``.

Sources: hand-written SQL, the shapes safeshift's PostgreSQL dialect renders, and
drizzle-kit output (including the six-hazard migration from issue 4, verbatim).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: file-level advice that lands on whichever statement comes first; tested separately
NOT_PINNED = frozenset({"require-lock-timeout", "require-statement-timeout", "prefer-robust-stmts"})


@dataclass(frozen=True)
class Case:
    id: str
    sql: str
    expect: tuple[frozenset[str], ...]
    source: Literal["hand", "safeshift", "drizzle"] = "hand"
    in_transaction: bool = False


def case(id: str, sql: str, *expect: set[str] | frozenset[str], source: Literal["hand", "safeshift", "drizzle"] = "hand",
         in_transaction: bool = False) -> Case:
    return Case(id, sql.strip() + "\n", tuple(frozenset(e) for e in expect), source, in_transaction)


NONE: frozenset[str] = frozenset()

ISSUE_DRIZZLE = """\
ALTER TABLE "users" ALTER COLUMN "name" SET DATA TYPE varchar(100);   -- may fail or truncate; rewrites under ACCESS EXCLUSIVE
ALTER TABLE "users" ALTER COLUMN "age" SET DATA TYPE bigint;          -- full table rewrite, all reads and writes blocked
ALTER TABLE "users" ADD COLUMN "email_verified" boolean NOT NULL;     -- fails on any non-empty table
ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id");  -- validates under lock
CREATE INDEX "users_name_idx" ON "users" USING btree ("name");       -- blocks writes for the whole build
ALTER TABLE "posts" DROP COLUMN "title";                              -- data loss
"""

DRIZZLE_INITIAL = """\
CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" varchar(255) NOT NULL,
	"created_at" timestamp DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "posts" (
	"id" serial PRIMARY KEY NOT NULL,
	"author_id" integer NOT NULL,
	"title" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "posts_author_idx" ON "posts" USING btree ("author_id");
"""

DRIZZLE_DO_FK = """\
DO $$ BEGIN
 ALTER TABLE "comments" ADD CONSTRAINT "comments_post_id_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."posts"("id") ON DELETE no action ON UPDATE no action;
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
"""

SAFESHIFT_ENUM_SWAP = """\
ALTER TYPE "public"."mood" RENAME TO "mood_old";
CREATE TYPE "public"."mood" AS ENUM ('happy', 'ok');
DO $safeshift$ DECLARE r record; BEGIN FOR r IN SELECT a.attrelid::regclass AS rel, a.attname FROM pg_attribute a WHERE a.atttypid = 'public.mood_old'::regtype LOOP EXECUTE format('ALTER TABLE %s ALTER COLUMN %I TYPE public.mood USING %I::text::public.mood', r.rel, r.attname, r.attname); END LOOP; END $safeshift$;
DROP TYPE "public"."mood_old";
"""

STYLE_TABLE = """\
CREATE TABLE legacy (
    id serial PRIMARY KEY,
    code char(3),
    title varchar(200),
    happened_at timestamp,
    payload json,
    small smallint
);
"""

CASES: tuple[Case, ...] = (
    # -- data loss -------------------------------------------------------------------------
    case("drop-table", "DROP TABLE users;", {"drop-table"}),
    case("drop-table-cascade", "DROP TABLE IF EXISTS users CASCADE;", {"drop-table"}),
    case("drop-column", "ALTER TABLE users DROP COLUMN email;", {"drop-column"}),
    case("drop-column-if-exists", "ALTER TABLE users DROP COLUMN IF EXISTS email;", {"drop-column"}),
    case("drop-schema", "DROP SCHEMA billing CASCADE;", {"drop-schema"}),
    case("drop-database", "DROP DATABASE app;", {"drop-database"}),
    case("drop-type", "DROP TYPE mood;", {"drop-type"}),
    case("drop-enum-value-pg-enum", "DELETE FROM pg_enum WHERE enumlabel = 'sad';", {"drop-enum-value"}),
    case("truncate", "TRUNCATE events;", {"truncate-table"}),
    case("truncate-cascade", "TRUNCATE users CASCADE;", {"truncate-table"}),
    case("delete-all", "DELETE FROM sessions;", {"delete-without-where"}),
    case("delete-where", "DELETE FROM sessions WHERE expires_at < now();", NONE),
    case("update-all", "UPDATE users SET active = true;", {"update-without-where"}),
    case("update-where", "UPDATE users SET active = true WHERE id BETWEEN 1 AND 1000;", NONE),
    case("narrow-varchar", "ALTER TABLE users ALTER COLUMN name TYPE varchar(50);",
         {"changing-column-type", "narrowing-type-change"}),
    case("narrow-using", "ALTER TABLE users ALTER COLUMN bio TYPE varchar(20) USING substr(bio, 1, 20);",
         {"changing-column-type", "narrowing-type-change", "type-cast-can-fail"}),
    case("bigint-to-int", "ALTER TABLE orders ALTER COLUMN total TYPE integer;",
         {"changing-column-type", "narrowing-type-change"}),
    case("numeric-precision", "ALTER TABLE orders ALTER COLUMN amount TYPE numeric(10, 2);",
         {"changing-column-type", "narrowing-type-change"}),
    case("drop-sequence", "DROP SEQUENCE order_number_seq;", {"drop-sequence"}),
    # -- locks -------------------------------------------------------------------------------
    case("create-index", "CREATE INDEX users_email_idx ON users (email);", {"require-concurrent-index-creation"}),
    case("create-index-concurrently", "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);",
         NONE),
    case("create-unique-index", "CREATE UNIQUE INDEX users_email_key ON users (email);",
         {"require-concurrent-index-creation", "unique-on-existing-data"}),
    case("unique-index-concurrently",
         "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);",
         {"unique-on-existing-data"}),
    case("concurrently-in-begin",
         "BEGIN;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);\nCOMMIT;",
         NONE, {"concurrently-in-transaction"}, NONE),
    case("concurrently-in-managed-transaction",
         "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);",
         {"concurrently-in-transaction"}, in_transaction=True),
    case("drop-index", "DROP INDEX users_email_idx;", {"require-concurrent-index-deletion"}),
    case("drop-index-concurrently", "DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;", NONE),
    case("fk", "ALTER TABLE posts ADD CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
         {"adding-foreign-key-constraint"}),
    case("fk-not-valid-then-validate",
         "ALTER TABLE posts ADD CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n"
         "ALTER TABLE posts VALIDATE CONSTRAINT posts_user_fk;", NONE, NONE),
    case("validate-in-same-transaction",
         "BEGIN;\nSET LOCAL lock_timeout = '2s';\n"
         "ALTER TABLE posts ADD CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n"
         "ALTER TABLE posts VALIDATE CONSTRAINT posts_user_fk;\nCOMMIT;",
         NONE, NONE, NONE, {"validate-in-same-transaction"}, NONE),
    case("check", "ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0);", {"constraint-missing-not-valid"}),
    case("check-not-valid", "ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0) NOT VALID;", NONE),
    case("set-not-null", "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", {"adding-not-nullable-field"}),
    case("set-not-null-recipe",
         "SET lock_timeout = '2s';\n"
         "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\n"
         "ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\n"
         "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"
         "ALTER TABLE users DROP CONSTRAINT users_email_not_null;",
         NONE, NONE, NONE, NONE, NONE),
    case("unique-constraint", "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
         {"disallowed-unique-constraint", "unique-on-existing-data"}),
    case("unique-using-index", "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
         NONE),
    case("primary-key", "ALTER TABLE accounts ADD PRIMARY KEY (id);",
         {"adding-serial-primary-key-field", "unique-on-existing-data"}),
    case("primary-key-using-index",
         "ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_id_idx;", NONE),
    case("volatile-default", "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
         {"adding-field-with-default"}),
    case("unknown-function-default", "ALTER TABLE users ADD COLUMN score integer DEFAULT compute_score();",
         {"adding-field-with-default:warning"}),
    case("stable-default", "ALTER TABLE users ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();", NONE),
    case("constant-default", "ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;", NONE),
    case("add-serial", "ALTER TABLE users ADD COLUMN seq bigserial;", {"adding-field-with-default"}),
    case("add-stored-generated",
         "ALTER TABLE users ADD COLUMN full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED;",
         {"adding-field-with-default"}),
    case("add-identity", "ALTER TABLE events ADD COLUMN id bigint GENERATED BY DEFAULT AS IDENTITY;",
         {"adding-field-with-default"}),
    case("vacuum-full", "VACUUM FULL users;", {"prefer-repack"}),
    case("cluster", "CLUSTER users USING users_pkey;", {"prefer-repack"}),
    case("vacuum-analyze", "VACUUM ANALYZE users;", NONE),
    case("reindex", "REINDEX TABLE users;", {"require-concurrent-reindex"}),
    case("reindex-concurrently", "REINDEX INDEX CONCURRENTLY users_email_idx;", NONE),
    case("detach-partition", "ALTER TABLE measurements DETACH PARTITION measurements_2023;",
         {"require-concurrent-partition-detach"}),
    case("detach-partition-concurrently",
         "ALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;", NONE),
    case("set-logged", "ALTER TABLE events SET LOGGED;", {"table-rewrite"}),
    case("int-to-bigint", "ALTER TABLE users ALTER COLUMN id TYPE bigint;", {"changing-column-type"}),
    case("to-text", "ALTER TABLE users ALTER COLUMN name TYPE text;", {"changing-column-type:warning"}),
    case("varchar-widen-known",
         "CREATE TABLE tags (id bigint PRIMARY KEY, label varchar(20));\n"
         "ALTER TABLE tags ALTER COLUMN label TYPE varchar(40);",
         {"prefer-text-field:info"}, {"changing-column-type:info", "prefer-text-field:info"}),
    case("text-to-int-using", "ALTER TABLE users ALTER COLUMN zip TYPE integer USING zip::integer;",
         {"changing-column-type", "narrowing-type-change", "type-cast-can-fail"}),
    case("lock-timeout-set",
         "SET lock_timeout = '2s';\nSET statement_timeout = '10min';\nALTER TABLE users ADD COLUMN nickname text;",
         NONE, NONE, NONE),
    case("no-lock-timeout", "ALTER TABLE users ADD COLUMN nickname text;",
         {"require-lock-timeout", "require-statement-timeout:info"}),
    case("new-table-index",
         "CREATE TABLE widgets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\n"
         "CREATE INDEX widgets_name_idx ON widgets (name);",
         NONE, {"require-concurrent-index-creation:info"}),
    case("new-table-constraints",
         "CREATE TABLE gadgets (id bigint PRIMARY KEY);\n"
         "ALTER TABLE gadgets ADD COLUMN owner_id bigint NOT NULL;\n"
         "ALTER TABLE gadgets ADD CONSTRAINT gadgets_owner_fk FOREIGN KEY (owner_id) REFERENCES users (id);",
         NONE, {"adding-required-field:info"},
         {"adding-foreign-key-constraint:info"}),
    # -- data ----------------------------------------------------------------------------------
    case("add-required", "ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;", {"adding-required-field"}),
    case("add-nullable", "ALTER TABLE users ADD COLUMN middle_name text;", NONE),
    case("duplicate-assignment", "UPDATE users SET name = 'a', name = 'b' WHERE id = 1;",
         {"duplicate-column-assignment"}),
    case("backfill-batch", "UPDATE users SET tenant_id = 1 WHERE tenant_id IS NULL AND id < 10000;", NONE),
    case("add-fk-column", "ALTER TABLE posts ADD COLUMN editor_id bigint REFERENCES users (id);",
         {"adding-foreign-key-constraint:warning"}),
    case("disable-trigger", "ALTER TABLE users DISABLE TRIGGER ALL;", {"disable-trigger"}),
    case("exclusion", "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
         {"constraint-missing-not-valid"}),
    # -- compatibility ---------------------------------------------------------------------------
    case("rename-table", "ALTER TABLE users RENAME TO customers;", {"renaming-table"}),
    case("rename-column", "ALTER TABLE users RENAME COLUMN name TO full_name;", {"renaming-column"}),
    case("drop-not-null", "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;", {"drop-not-null"}),
    case("drop-default", "ALTER TABLE users ALTER COLUMN active DROP DEFAULT;", {"drop-default"}),
    case("drop-constraint", "ALTER TABLE users DROP CONSTRAINT users_age_check;", {"drop-constraint"}),
    case("drop-view", "DROP VIEW active_users;", {"drop-view"}),
    case("drop-function", "DROP FUNCTION set_updated_at();", {"drop-function"}),
    case("drop-extension", "DROP EXTENSION pg_trgm;", {"drop-extension"}),
    case("drop-domain", "DROP DOMAIN positive_int;", {"drop-domain"}),
    case("set-schema", "ALTER TABLE users SET SCHEMA archive;", {"set-schema"}),
    case("rename-index", "ALTER INDEX users_email_idx RENAME TO users_email_lower_idx;", {"renaming-object"}),
    case("rename-enum-value", "ALTER TYPE mood RENAME VALUE 'sad' TO 'unhappy';", {"renaming-object"}),
    case("enum-add-value", "ALTER TYPE mood ADD VALUE 'ecstatic';", {"require-enum-value-ordering:info"}),
    case("enum-add-value-after", "ALTER TYPE mood ADD VALUE 'ecstatic' AFTER 'happy';", NONE),
    case("create-domain-check", "CREATE DOMAIN positive_int AS bigint CHECK (VALUE > 0);",
         {"create-domain-with-constraint:info"}),
    case("alter-domain-check", "ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0);",
         {"alter-domain-add-constraint"}),
    case("alter-identity", "ALTER TABLE users ALTER COLUMN id SET GENERATED ALWAYS;", {"alter-identity"}),
    case("drop-expression", "ALTER TABLE users ALTER COLUMN full_name DROP EXPRESSION;",
         {"drop-generated-expression"}),
    case("set-expression", "ALTER TABLE orders ALTER COLUMN total SET EXPRESSION AS (price * qty);",
         {"alter-generated-expression"}),
    case("identifier-too-long",
         "CREATE INDEX CONCURRENTLY IF NOT EXISTS "
         "index_on_users_email_address_lowercased_and_tenant_identifier_for_fast_lookups ON users (tenant_id, lower(email));",
         {"identifier-too-long"}),
    case("nested-begin", "BEGIN;\nBEGIN;\nCOMMIT;", NONE, {"transaction-nesting"}, NONE),
    case("uncommitted", "BEGIN;\nSET LOCAL lock_timeout = '2s';\nALTER TABLE users ADD COLUMN x text;",
         {"uncommitted-transaction"}, NONE, NONE),
    case("syntax-error", "ALTER TABLE users ADD COLUMN;", {"syntax-error"}),
    case("style-create-table", STYLE_TABLE,
         {"prefer-bigint-over-int:info", "prefer-identity:info", "ban-char-field:info", "prefer-text-field:info",
          "prefer-timestamptz:info", "prefer-jsonb:info", "prefer-bigint-over-smallint:info"}),
    case("good-create-table",
         "CREATE TABLE IF NOT EXISTS audit_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
         "at timestamptz NOT NULL DEFAULT now(), payload jsonb NOT NULL);", NONE),
    case("select", "SELECT count(*) FROM users;", NONE),
    case("insert", "INSERT INTO settings (key, value) VALUES ('theme', 'dark');", NONE),
    case("replace-view", "CREATE OR REPLACE VIEW active_users AS SELECT * FROM users WHERE active;", NONE),
    # -- rollback-compatibility rules that are opt-in (in Squawk too): nothing by default ------------
    case("revoke", "REVOKE SELECT ON users FROM reporting;", NONE),
    case("create-policy", "CREATE POLICY tenant_rows ON documents USING (tenant_id = current_setting('app.tenant')::bigint);",
         NONE),
    case("alter-policy", "ALTER POLICY tenant_rows ON documents TO app_user;", NONE),
    case("drop-policy", "DROP POLICY IF EXISTS tenant_rows ON documents;", NONE),
    case("enable-rls", "ALTER TABLE documents ENABLE ROW LEVEL SECURITY;", NONE),
    case("replica-identity", "ALTER TABLE users REPLICA IDENTITY FULL;", NONE),
    case("alter-role", "ALTER ROLE app_user SET statement_timeout = '30s';", NONE),
    case("alter-database", "ALTER DATABASE app SET timezone = 'UTC';", NONE),
    case("alter-system", "ALTER SYSTEM SET work_mem = '64MB';", NONE),
    case("alter-extension", "ALTER EXTENSION postgis UPDATE;", NONE),
    case("alter-sequence-restart", "ALTER SEQUENCE order_number_seq RESTART WITH 100000;", NONE),
    case("alter-function", "ALTER FUNCTION set_updated_at() SECURITY DEFINER;", NONE),
    case("alter-view-options", "ALTER VIEW active_users SET (security_barrier = true);", NONE),
    case("add-composite-attribute", "ALTER TYPE address ADD ATTRIBUTE zip text;", NONE),
    case("no-inherit", "ALTER TABLE measurements_2022 NO INHERIT measurements;", NONE),
    case("drop-trigger", "DROP TRIGGER IF EXISTS users_audit ON users;", NONE),
    case("replace-function",
         "CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS "
         "$$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;", NONE),
    case("set-default", "ALTER TABLE users ALTER COLUMN active SET DEFAULT false;", NONE),
    # -- drizzle-kit output ----------------------------------------------------------------------
    case("drizzle-issue-six-hazards", ISSUE_DRIZZLE,
         {"changing-column-type", "narrowing-type-change"}, {"changing-column-type"}, {"adding-required-field"},
         {"adding-foreign-key-constraint"}, {"require-concurrent-index-creation"},
         {"drop-column"}, source="drizzle"),
    case("drizzle-initial", DRIZZLE_INITIAL,
         {"prefer-bigint-over-int:info", "prefer-identity:info", "prefer-text-field:info", "prefer-timestamptz:info"},
         {"prefer-bigint-over-int:info", "prefer-identity:info"},
         {"adding-foreign-key-constraint:info"},
         {"require-concurrent-index-creation:info"}, source="drizzle"),
    case("drizzle-do-fk", DRIZZLE_DO_FK, {"adding-foreign-key-constraint"},
         source="drizzle"),
    case("drizzle-add-column-default", 'ALTER TABLE "users" ADD COLUMN "role" text DEFAULT \'member\' NOT NULL;',
         NONE, source="drizzle"),
    case("drizzle-rename-column", 'ALTER TABLE "users" RENAME COLUMN "name" TO "full_name";', {"renaming-column"},
         source="drizzle"),
    case("drizzle-drop-table", 'DROP TABLE "sessions" CASCADE;', {"drop-table"}, source="drizzle"),
    case("drizzle-create-enum", "CREATE TYPE \"public\".\"role\" AS ENUM('admin', 'member');", NONE,
         source="drizzle"),
    case("drizzle-unique", 'ALTER TABLE "users" ADD CONSTRAINT "users_email_unique" UNIQUE("email");',
         {"disallowed-unique-constraint", "unique-on-existing-data"},
         source="drizzle"),
    case("drizzle-set-not-null", 'ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL;',
         {"adding-not-nullable-field"}, source="drizzle"),
    case("drizzle-drop-default", 'ALTER TABLE "users" ALTER COLUMN "role" DROP DEFAULT;', {"drop-default"},
         source="drizzle"),
    # -- safeshift-generated shapes ----------------------------------------------------------------
    case("safeshift-add-column", 'ALTER TABLE "public"."users" ADD COLUMN "email" text;', NONE, source="safeshift"),
    case("safeshift-create-index", 'CREATE INDEX "users_email_idx" ON "public"."users" ("email");',
         {"require-concurrent-index-creation"}, source="safeshift"),
    case("safeshift-concurrent-index",
         'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_email_idx" ON "public"."users" ("email");', NONE,
         source="safeshift"),
    case("safeshift-enum-swap", SAFESHIFT_ENUM_SWAP,
         {"renaming-object"}, NONE, NONE, {"drop-enum-value:warning"}, source="safeshift"),
    case("safeshift-narrow", 'ALTER TABLE "public"."users" ALTER COLUMN "name" SET DATA TYPE character varying(100);',
         {"changing-column-type", "narrowing-type-change"}, source="safeshift"),
    case("safeshift-cast",
         'ALTER TABLE "public"."users" ALTER COLUMN "zip" SET DATA TYPE integer USING "zip"::integer;',
         {"changing-column-type", "narrowing-type-change", "type-cast-can-fail"}, source="safeshift"),
    case("safeshift-comment", "COMMENT ON COLUMN \"public\".\"users\".\"email\" IS 'login';", NONE,
         source="safeshift"),
    case("safeshift-create-schema", 'CREATE SCHEMA IF NOT EXISTS "billing";', NONE, source="safeshift"),
    case("safeshift-drop-constraint", 'ALTER TABLE "public"."users" DROP CONSTRAINT "users_email_key";',
         {"drop-constraint"}, source="safeshift"),
    case("safeshift-create-sequence", 'CREATE SEQUENCE "public"."order_no" AS bigint START WITH 1000;', NONE,
         source="safeshift"),
    case("safeshift-fk-not-valid",
         'ALTER TABLE "public"."posts" ADD CONSTRAINT "posts_author_fk" FOREIGN KEY ("author_id") '
         'REFERENCES "public"."users" ("id") NOT VALID;', NONE, source="safeshift"),
    case("safeshift-drop-table", 'DROP TABLE "public"."sessions";', {"drop-table"}, source="safeshift"),
)


def statement_count() -> int:
    return sum(len(c.expect) for c in CASES)

"""Schema pairs written as SQL for the object kinds beside tables: extensions, functions and procedures,
triggers, row-level security and policies — and the kinds safeshift refuses by name.

Each pair is small and aimed at one failure class seen on real schemas (an object left out of the
migration, created before what it uses, dropped after what uses it, or compared as different when it
is the same).  Written for these tests; the shapes follow what migra's and Atlas's own test fixtures
exercise for the same kinds.
"""

from __future__ import annotations

from tests.objects._pair_oracle import Pair

USERS = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, updated_at timestamptz);\n"
SEED = "INSERT INTO users (id, email) SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 20) g;"

TOUCH = """CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;
"""
TOUCH_TRIGGER = "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();\n"
RLS = "ALTER TABLE users ENABLE ROW LEVEL SECURITY;\n"
OWN_ROWS = "CREATE POLICY own_rows ON users FOR SELECT TO PUBLIC USING (email = current_user);\n"

EXTENSIONS = [
    Pair("extension_create", USERS, USERS + "CREATE EXTENSION citext;", seed=SEED),
    Pair("extension_drop", USERS + "CREATE EXTENSION citext;", USERS, seed=SEED),
    Pair("extension_type_used_by_new_column", USERS,
         "CREATE EXTENSION hstore;\n" + USERS.replace("updated_at timestamptz", "updated_at timestamptz, tags hstore"),
         seed=SEED),
    Pair("extension_type_used_by_new_table", USERS,
         USERS + "CREATE EXTENSION citext;\nCREATE TABLE handles (id int PRIMARY KEY, handle citext UNIQUE);",
         seed=SEED),
    Pair("extension_in_its_own_schema", USERS,
         USERS + "CREATE SCHEMA ext;\nCREATE EXTENSION pg_trgm WITH SCHEMA ext;", seed=SEED),
    Pair("extension_function_used_by_index", USERS,
         USERS + "CREATE EXTENSION pg_trgm;\nCREATE INDEX users_email_trgm ON users USING gin (email gin_trgm_ops);",
         seed=SEED),
]

FUNCTIONS = [
    Pair("function_create_plpgsql", USERS, USERS + TOUCH, seed=SEED),
    Pair("function_create_sql", USERS,
         USERS + "CREATE FUNCTION user_count() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM users';",
         seed=SEED),
    Pair("function_drop", USERS + TOUCH, USERS, seed=SEED),
    Pair("function_replace_body", USERS + TOUCH, USERS + TOUCH.replace("now()", "clock_timestamp()"), seed=SEED),
    Pair("function_replace_options", USERS + "CREATE FUNCTION twice(x int) RETURNS int LANGUAGE sql AS 'SELECT 2 * x';",
         USERS + "CREATE FUNCTION twice(x int) RETURNS int LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
                 "AS 'SELECT 2 * x';", seed=SEED),
    Pair("function_return_type_changes",
         USERS + "CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42';",
         USERS + "CREATE FUNCTION answer() RETURNS bigint LANGUAGE sql AS 'SELECT 42::bigint';", seed=SEED),
    Pair("function_overload_added",
         USERS + "CREATE FUNCTION label(x int) RETURNS text LANGUAGE sql AS 'SELECT x::text';",
         USERS + "CREATE FUNCTION label(x int) RETURNS text LANGUAGE sql AS 'SELECT x::text';\n"
                 "CREATE FUNCTION label(x text) RETURNS text LANGUAGE sql AS 'SELECT upper(x)';", seed=SEED),
    Pair("function_with_defaults_and_out_params", USERS,
         USERS + "CREATE FUNCTION split_email(e text, sep text DEFAULT '@', OUT local text, OUT domain text) "
                 "LANGUAGE sql IMMUTABLE AS $$ SELECT split_part(e, sep, 1), split_part(e, sep, 2) $$;",
         seed=SEED),
    Pair("function_returns_table", USERS,
         USERS + "CREATE FUNCTION recent(n int) RETURNS TABLE (id bigint, email text) LANGUAGE sql STABLE "
                 "AS $$ SELECT id, email FROM users ORDER BY id DESC LIMIT n $$;", seed=SEED),
    Pair("function_security_definer_search_path", USERS,
         USERS + "CREATE FUNCTION safe_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER "
                 "SET search_path = public, pg_temp AS 'SELECT count(*) FROM users';", seed=SEED),
    Pair("function_used_by_new_default", USERS,
         "CREATE FUNCTION new_code() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT md5(random()::text) $$;\n"
         + USERS + "CREATE TABLE codes (id int PRIMARY KEY, code text NOT NULL DEFAULT new_code());", seed=SEED),
    Pair("function_used_by_new_check", USERS,
         "CREATE FUNCTION is_email(t text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT t LIKE '%@%' $$;\n"
         + USERS + "CREATE TABLE contacts (id int PRIMARY KEY, email text CHECK (is_email(email)));", seed=SEED),
    Pair("function_reads_table_created_in_same_change", "",
         "CREATE TABLE items (id int PRIMARY KEY);\n"
         "CREATE FUNCTION total() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM items';"),
    Pair("function_in_other_schema", USERS,
         USERS + "CREATE SCHEMA util;\nCREATE FUNCTION util.slug(t text) RETURNS text LANGUAGE sql IMMUTABLE "
                 "AS $$ SELECT lower(replace(t, ' ', '-')) $$;", seed=SEED),
    Pair("procedure_create", USERS,
         USERS + "CREATE PROCEDURE purge(keep int) LANGUAGE plpgsql AS $$ BEGIN DELETE FROM users WHERE id > keep; "
                 "END $$;", seed=SEED),
    Pair("procedure_drop",
         USERS + "CREATE PROCEDURE purge(keep int) LANGUAGE sql AS $$ DELETE FROM users WHERE id > keep $$;",
         USERS, seed=SEED),
]

TRIGGERS = [
    Pair("trigger_create_with_its_function", USERS, USERS + TOUCH + TOUCH_TRIGGER, seed=SEED),
    Pair("trigger_drop_with_its_function", USERS + TOUCH + TOUCH_TRIGGER, USERS, seed=SEED),
    Pair("trigger_drop_keeps_function", USERS + TOUCH + TOUCH_TRIGGER, USERS + TOUCH, seed=SEED),
    Pair("trigger_gains_when_clause", USERS + TOUCH + TOUCH_TRIGGER,
         USERS + TOUCH + TOUCH_TRIGGER.replace("FOR EACH ROW", "FOR EACH ROW WHEN (OLD.email IS DISTINCT FROM NEW.email)"),
         seed=SEED),
    Pair("trigger_disabled", USERS + TOUCH + TOUCH_TRIGGER,
         USERS + TOUCH + TOUCH_TRIGGER + "ALTER TABLE users DISABLE TRIGGER users_touch;", seed=SEED),
    Pair("trigger_enable_always", USERS + TOUCH + TOUCH_TRIGGER,
         USERS + TOUCH + TOUCH_TRIGGER + "ALTER TABLE users ENABLE ALWAYS TRIGGER users_touch;", seed=SEED),
    Pair("trigger_statement_level_with_transition_table", USERS,
         USERS + "CREATE TABLE audit (n bigint);\n"
                 "CREATE FUNCTION count_changes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                 "INSERT INTO audit SELECT count(*) FROM changed; RETURN NULL; END $$;\n"
                 "CREATE TRIGGER users_audit AFTER UPDATE ON users REFERENCING NEW TABLE AS changed "
                 "FOR EACH STATEMENT EXECUTE FUNCTION count_changes();", seed=SEED),
    Pair("trigger_on_new_table", USERS,
         USERS + TOUCH + "CREATE TABLE posts (id int PRIMARY KEY, updated_at timestamptz);\n"
                         "CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch();",
         seed=SEED),
    Pair("trigger_instead_of_on_view", USERS,
         USERS + "CREATE VIEW user_emails AS SELECT id, email FROM users;\n"
                 "CREATE FUNCTION user_emails_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                 "INSERT INTO users (id, email) VALUES (NEW.id, NEW.email); RETURN NEW; END $$;\n"
                 "CREATE TRIGGER user_emails_insert INSTEAD OF INSERT ON user_emails FOR EACH ROW "
                 "EXECUTE FUNCTION user_emails_insert();", seed=SEED),
    Pair("constraint_trigger_deferred", USERS,
         USERS + TOUCH + "CREATE CONSTRAINT TRIGGER users_check AFTER INSERT ON users DEFERRABLE INITIALLY DEFERRED "
                         "FOR EACH ROW EXECUTE FUNCTION touch();", seed=SEED),
]

ROW_SECURITY = [
    Pair("rls_enable", USERS, USERS + RLS, seed=SEED),
    Pair("rls_disable", USERS + RLS, USERS, seed=SEED),
    Pair("rls_force", USERS + RLS, USERS + RLS + "ALTER TABLE users FORCE ROW LEVEL SECURITY;", seed=SEED),
    Pair("policy_create", USERS + RLS, USERS + RLS + OWN_ROWS, seed=SEED),
    Pair("policy_drop", USERS + RLS + OWN_ROWS, USERS + RLS, seed=SEED),
    Pair("policy_using_changes", USERS + RLS + OWN_ROWS,
         USERS + RLS + OWN_ROWS.replace("email = current_user", "email = current_user OR id < 10"), seed=SEED),
    Pair("policy_roles_change", USERS + RLS + OWN_ROWS, USERS + RLS + OWN_ROWS.replace("PUBLIC", "postgres"),
         seed=SEED),
    Pair("policy_command_changes", USERS + RLS + OWN_ROWS,
         USERS + RLS + OWN_ROWS.replace("FOR SELECT", "FOR ALL"), seed=SEED),
    Pair("policy_restrictive_with_check", USERS + RLS,
         USERS + RLS + "CREATE POLICY no_admins ON users AS RESTRICTIVE FOR INSERT TO PUBLIC "
                       "WITH CHECK (email NOT LIKE '%@admin.example.com');", seed=SEED),
    Pair("policy_loses_with_check",
         USERS + RLS + "CREATE POLICY writes ON users FOR UPDATE USING (id > 0) WITH CHECK (id < 1000);",
         USERS + RLS + "CREATE POLICY writes ON users FOR UPDATE USING (id > 0);", seed=SEED),
    Pair("policy_calls_function", USERS + RLS,
         USERS + RLS + "CREATE FUNCTION visible(id bigint) RETURNS boolean LANGUAGE sql STABLE AS 'SELECT id > 5';\n"
                       "CREATE POLICY visible_rows ON users FOR SELECT USING (visible(id));", seed=SEED),
    Pair("new_table_with_rls_and_policy", USERS,
         USERS + "CREATE TABLE notes (id int PRIMARY KEY, owner text NOT NULL, body text);\n"
                 "ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nALTER TABLE notes FORCE ROW LEVEL SECURITY;\n"
                 "CREATE POLICY notes_owner ON notes USING (owner = current_user) WITH CHECK (owner = current_user);",
         seed=SEED),
]

TABLE_OPTIONS = [
    Pair("unlogged_table_created", USERS, USERS + "CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text);",
         seed=SEED),
    Pair("table_set_unlogged", USERS, USERS.replace("CREATE TABLE", "CREATE UNLOGGED TABLE"), seed=SEED),
    Pair("storage_parameters_set", USERS, USERS.rstrip().rstrip(";") + " WITH (fillfactor = 70);\n", seed=SEED),
    Pair("storage_parameters_changed_and_reset",
         USERS.rstrip().rstrip(";") + " WITH (fillfactor = 70, autovacuum_enabled = false);\n",
         USERS.rstrip().rstrip(";") + " WITH (fillfactor = 90);\n", seed=SEED),
    Pair("deferrable_primary_key", "", "CREATE TABLE t (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED);"),
    Pair("primary_key_becomes_deferrable", "CREATE TABLE t (id int PRIMARY KEY);",
         "CREATE TABLE t (id int PRIMARY KEY DEFERRABLE);"),
]

BOOKINGS = "CREATE TABLE bookings (id int PRIMARY KEY, room int NOT NULL, during tsrange NOT NULL);\n"
NO_OVERLAP = "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&);\n"

EXCLUSIONS = [
    Pair("exclusion_constraint_added", BOOKINGS, BOOKINGS + NO_OVERLAP),
    Pair("exclusion_constraint_dropped", BOOKINGS + NO_OVERLAP, BOOKINGS),
    Pair("exclusion_constraint_on_new_table_deferrable", "",
         BOOKINGS.replace("during tsrange NOT NULL", "during tsrange NOT NULL, CONSTRAINT no_overlap EXCLUDE USING gist "
                          "(during WITH &&) WHERE (room > 0) DEFERRABLE INITIALLY DEFERRED")),
    Pair("exclusion_constraint_needs_btree_gist", BOOKINGS,
         "CREATE EXTENSION btree_gist;\n" + BOOKINGS
         + "ALTER TABLE bookings ADD CONSTRAINT room_free EXCLUDE USING gist (room WITH =, during WITH &&);\n"),
]

REFUSED = [
    Pair("refuse_domain", "", "CREATE DOMAIN posint AS int CHECK (VALUE > 0);", refused=("domain public.posint",)),
    Pair("refuse_range_type", "", "CREATE TYPE floatrange AS RANGE (subtype = float8);",
         refused=("range type public.floatrange",)),
    Pair("refuse_composite_type", "", "CREATE TYPE pair AS (a int, b int);",
         refused=("stand-alone composite type public.pair",)),
    Pair("refuse_rule", USERS, USERS + "CREATE RULE no_delete AS ON DELETE TO users DO INSTEAD NOTHING;",
         refused=("rule no_delete on public.users",)),
    Pair("refuse_aggregate", "", "CREATE AGGREGATE my_sum(int) (sfunc = int4pl, stype = int);",
         refused=("aggregate public.my_sum(integer)",)),
    Pair("refuse_statistics", USERS, USERS + "CREATE STATISTICS users_stats ON id, email FROM users;",
         refused=("statistics object public.users_stats",)),
    Pair("refuse_index_comment", USERS, USERS + "COMMENT ON INDEX users_pkey IS 'the key';",
         refused=("comment on index public.users_pkey",)),
    Pair("refuse_toast_storage_parameters", USERS, USERS + "ALTER TABLE users SET (toast.autovacuum_enabled = false);",
         refused=("storage parameters (toast.autovacuum_enabled=false) of public.users",)),
    Pair("refuse_column_statistics_target", USERS, USERS + "ALTER TABLE users ALTER COLUMN email SET STATISTICS 500;",
         refused=("column settings (SET STATISTICS 500) of public.users.email",)),
    Pair("refuse_column_storage_and_options", USERS,
         USERS + "ALTER TABLE users ALTER COLUMN email SET STORAGE EXTERNAL, ALTER COLUMN email SET (n_distinct = 100);",
         refused=("column settings (SET STORAGE EXTERNAL, SET (n_distinct=100)) of public.users.email",)),
    Pair("refuse_column_compression", USERS, USERS + "ALTER TABLE users ALTER COLUMN email SET COMPRESSION pglz;",
         refused=("column settings (SET COMPRESSION pglz) of public.users.email",)),
    Pair("refuse_collation", "", "CREATE COLLATION plain_c (provider = libc, locale = 'C');",
         refused=("collation public.plain_c",)),
]

PAIRS = [*EXTENSIONS, *FUNCTIONS, *TRIGGERS, *ROW_SECURITY]

POSTS = "CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint NOT NULL, title text, body text);\n"
VIEW_CHAIN = (POSTS + "CREATE VIEW z_base AS SELECT id, user_id, title FROM posts;\n"
              "CREATE VIEW a_titles AS SELECT id, title FROM z_base WHERE title IS NOT NULL;\n")

VIEWS = [
    Pair("views_created_in_dependency_order_not_name_order", USERS + POSTS, USERS + VIEW_CHAIN, seed=SEED),
    Pair("views_dropped_readers_first", USERS + VIEW_CHAIN, USERS + POSTS, seed=SEED),
    Pair("view_change_recreates_its_readers", USERS + VIEW_CHAIN,
         USERS + VIEW_CHAIN.replace("SELECT id, user_id, title FROM posts", "SELECT id, user_id, title, body FROM posts"),
         seed=SEED),
    Pair("view_reader_chain_of_three", USERS + VIEW_CHAIN,
         USERS + VIEW_CHAIN.replace("SELECT id, user_id, title FROM posts;",
                                    "SELECT id, user_id, upper(title) AS title FROM posts;")
         + "CREATE VIEW b_count AS SELECT count(*) AS n FROM a_titles;\n", seed=SEED),
    Pair("view_over_join_and_function", USERS + POSTS,
         USERS + POSTS + "CREATE FUNCTION short(t text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT left(t, 10)';\n"
                         "CREATE VIEW feed AS SELECT p.id, short(p.title) AS title, u.email FROM posts p "
                         "JOIN users u ON u.id = p.user_id;", seed=SEED),
    Pair("materialized_view_index_added", USERS + "CREATE MATERIALIZED VIEW emails AS SELECT id, email FROM users;",
         USERS + "CREATE MATERIALIZED VIEW emails AS SELECT id, email FROM users;\n"
                 "CREATE UNIQUE INDEX emails_id ON emails (id);\nCREATE INDEX emails_lower ON emails (lower(email));",
         seed=SEED),
    Pair("materialized_view_with_indexes_recreated",
         USERS + "CREATE MATERIALIZED VIEW emails AS SELECT id, email FROM users;\n"
                 "CREATE UNIQUE INDEX emails_id ON emails (id);",
         USERS + "CREATE MATERIALIZED VIEW emails AS SELECT id, email FROM users WHERE id > 2;\n"
                 "CREATE UNIQUE INDEX emails_id ON emails (id);", seed=SEED),
    Pair("materialized_view_over_view", USERS + VIEW_CHAIN,
         USERS + VIEW_CHAIN + "CREATE MATERIALIZED VIEW title_counts AS SELECT count(*) AS n FROM a_titles;",
         seed=SEED),
    Pair("column_type_change_under_a_view", USERS + POSTS + "CREATE VIEW titles AS SELECT id, title FROM posts;",
         USERS + POSTS.replace("title text", "title varchar(200)")
         + "CREATE VIEW titles AS SELECT id, title FROM posts;", seed=SEED),
    Pair("column_drop_under_a_view_reading_other_columns",
         USERS + POSTS + "CREATE VIEW titles AS SELECT id, title FROM posts;",
         USERS + POSTS.replace(", body text", "") + "CREATE VIEW titles AS SELECT id, title FROM posts;", seed=SEED),
    Pair("enum_change_under_a_view",
         "CREATE TYPE mood AS ENUM ('happy', 'sad');\n" + USERS.replace("updated_at timestamptz", "mood mood")
         + "CREATE VIEW moods AS SELECT id, mood FROM users;",
         "CREATE TYPE mood AS ENUM ('happy', 'meh', 'sad');\n" + USERS.replace("updated_at timestamptz", "mood mood")
         + "CREATE VIEW moods AS SELECT id, mood FROM users;",
         seed=SEED),
    Pair("view_change_keeps_instead_of_trigger_on_reader", USERS + VIEW_CHAIN
         + "CREATE FUNCTION a_titles_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
           "CREATE TRIGGER a_titles_ins INSTEAD OF INSERT ON a_titles FOR EACH ROW EXECUTE FUNCTION a_titles_ins();",
         USERS + VIEW_CHAIN.replace("SELECT id, user_id, title FROM posts", "SELECT id, user_id, title, body FROM posts")
         + "CREATE FUNCTION a_titles_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
           "CREATE TRIGGER a_titles_ins INSTEAD OF INSERT ON a_titles FOR EACH ROW EXECUTE FUNCTION a_titles_ins();",
         seed=SEED),
]

PAIRS += VIEWS + TABLE_OPTIONS + EXCLUSIONS

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
    Pair("function_sql_standard_body_reads_table_created_in_same_change", "",
         "CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL DEFAULT 0);\n"
         "CREATE FUNCTION total_qty() RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT sum(qty) FROM items; END;\n"
         "CREATE FUNCTION has_item(i int) RETURNS boolean LANGUAGE sql STABLE "
         "RETURN EXISTS (SELECT 1 FROM items WHERE id = i);"),
    Pair("function_sql_standard_body_dropped_with_the_column_it_reads",
         USERS + "CREATE FUNCTION has_email(i bigint) RETURNS boolean LANGUAGE sql STABLE "
                 "RETURN EXISTS (SELECT 1 FROM users WHERE id = i AND updated_at IS NOT NULL);",
         USERS.replace(", updated_at timestamptz", ""), seed=SEED),
    Pair("function_sql_standard_body_replaced_to_read_a_new_column", USERS.replace(", updated_at timestamptz", "")
         + "CREATE FUNCTION n_users() RETURNS bigint LANGUAGE sql STABLE RETURN (SELECT count(*) FROM users);",
         USERS + "CREATE FUNCTION n_users() RETURNS bigint LANGUAGE sql STABLE "
                 "RETURN (SELECT count(*) FROM users WHERE updated_at IS NULL);", seed=SEED.replace("(id, email)", "(id, email)")),
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
    Pair("refuse_range_type", "", "CREATE TYPE floatrange AS RANGE (subtype = float8);",
         refused=("range type public.floatrange",)),
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
]

PAIRS = [*EXTENSIONS, *FUNCTIONS, *TRIGGERS, *ROW_SECURITY]

POSTS = "CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint NOT NULL, title text, body text);\n"
VIEW_CHAIN = (POSTS + "CREATE VIEW z_base AS SELECT id, user_id, title FROM posts;\n"
              "CREATE VIEW a_titles AS SELECT id, title FROM z_base WHERE title IS NOT NULL;\n")

TITLES_INS = ("CREATE FUNCTION a_titles_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
              "CREATE TRIGGER a_titles_ins INSTEAD OF INSERT ON a_titles FOR EACH ROW EXECUTE FUNCTION a_titles_ins();\n")

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
    Pair("view_columns_change_keeps_its_own_instead_of_trigger", USERS + VIEW_CHAIN + TITLES_INS,
         USERS + VIEW_CHAIN.replace("SELECT id, title FROM z_base", "SELECT id, title, user_id FROM z_base")
         + TITLES_INS, seed=SEED),
    Pair("view_query_change_same_columns_is_replaced_keeping_readers_and_trigger", USERS + VIEW_CHAIN + TITLES_INS
         + "CREATE VIEW b_count AS SELECT count(*) AS n FROM a_titles;\n",
         USERS + VIEW_CHAIN.replace("WHERE title IS NOT NULL", "WHERE title <> ''") + TITLES_INS
         + "CREATE VIEW b_count AS SELECT count(*) AS n FROM a_titles;\n", seed=SEED),
    Pair("view_comment_change_is_replaced", USERS + VIEW_CHAIN + "COMMENT ON VIEW a_titles IS 'titles';",
         USERS + VIEW_CHAIN + "COMMENT ON VIEW a_titles IS 'non-empty titles';", seed=SEED),
    Pair("view_column_type_change_is_recreated_with_readers", USERS + VIEW_CHAIN
         + "CREATE VIEW b_count AS SELECT count(*) AS n FROM a_titles;\n",
         USERS + VIEW_CHAIN.replace("SELECT id, title FROM z_base", "SELECT id::int AS id, title FROM z_base")
         + "CREATE VIEW b_count AS SELECT count(*) AS n FROM a_titles;\n", seed=SEED),
]

PAIRS += VIEWS + TABLE_OPTIONS + EXCLUSIONS

# -- declarative partitioning ------------------------------------------------------------------
EVENTS = ("CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text NOT NULL DEFAULT 'click', "
          "payload jsonb, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);\n")
E2024 = "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
E2025 = "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n"
E_DEFAULT = "CREATE TABLE events_default PARTITION OF events DEFAULT;\n"
#: rows in 2024 only, so a partition for another year can be added next to a DEFAULT one
SEED_2024 = "INSERT INTO events (id, at) SELECT g, date '2024-01-01' + g FROM generate_series(0, 300) g;"
SEED_2024_2025 = "INSERT INTO events (id, at) SELECT g, date '2024-01-01' + 2 * g FROM generate_series(0, 300) g;"
ORDERS = ("CREATE TABLE orders (id bigint NOT NULL, region text NOT NULL, total numeric(12,2)) "
          "PARTITION BY LIST (region);\n"
          "CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('de', 'fr');\n")
SEED_ORDERS = "INSERT INTO orders SELECT g, CASE WHEN g % 2 = 0 THEN 'de' ELSE 'fr' END, g FROM generate_series(1, 50) g;"

PARTITIONS = [
    Pair("partitioned_table_created_with_partitions", USERS,
         USERS + EVENTS + E2024 + E2025 + E_DEFAULT + "CREATE INDEX events_kind ON events (kind);", seed=SEED),
    Pair("partitioned_table_dropped_with_partitions", USERS + EVENTS + E2024 + E_DEFAULT, USERS, seed=SEED),
    Pair("partition_added_to_existing_parent", EVENTS + E2024, EVENTS + E2024 + E2025, seed=SEED_2024),
    Pair("partition_removed_empty", EVENTS + E2024 + E2025, EVENTS + E2024, seed=SEED_2024),
    Pair("default_partition_added", EVENTS + E2024, EVENTS + E2024 + E_DEFAULT, seed=SEED_2024),
    Pair("partition_bound_changed_rows_kept", EVENTS + E2024 + E2025,
         EVENTS + E2024 + E2025.replace("'2026-01-01'", "'2027-01-01'"), seed=SEED_2024_2025),
    Pair("list_partition_added_and_bound_widened", ORDERS,
         ORDERS.replace("('de', 'fr')", "('de', 'fr', 'it')")
         + "CREATE TABLE orders_us PARTITION OF orders FOR VALUES IN ('us');\n", seed=SEED_ORDERS),
    Pair("hash_partitioned_table_created", USERS,
         USERS + "CREATE TABLE sessions (id uuid NOT NULL, user_id bigint, PRIMARY KEY (id)) PARTITION BY HASH (id);\n"
         + "".join(f"CREATE TABLE sessions_{r} PARTITION OF sessions FOR VALUES WITH (modulus 4, remainder {r});\n"
                   for r in range(4)), seed=SEED),
    Pair("sub_partitioned_partition_added", EVENTS + E2024,
         EVENTS + E2024 + "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO "
         "('2026-01-01') PARTITION BY HASH (id);\n"
         "CREATE TABLE events_2025_0 PARTITION OF events_2025 FOR VALUES WITH (modulus 2, remainder 0);\n"
         "CREATE TABLE events_2025_1 PARTITION OF events_2025 FOR VALUES WITH (modulus 2, remainder 1);\n",
         seed=SEED_2024),
    Pair("partition_in_another_schema", EVENTS + E2024,
         "CREATE SCHEMA archive;\n" + EVENTS + E2024
         + "CREATE TABLE archive.events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');\n",
         seed=SEED_2024),
    Pair("index_added_to_partitioned_table", EVENTS + E2024 + E2025,
         EVENTS + E2024 + E2025 + "CREATE INDEX events_kind_at ON events (kind, at);", seed=SEED_2024_2025),
    Pair("index_added_to_parent_of_sub_partitioned_and_new_partitions",
         EVENTS + E2024 + E2025.replace(";", " PARTITION BY HASH (id);")
         + "CREATE TABLE events_2025_0 PARTITION OF events_2025 FOR VALUES WITH (modulus 2, remainder 0);\n"
         "CREATE TABLE events_2025_1 PARTITION OF events_2025 FOR VALUES WITH (modulus 2, remainder 1);\n",
         EVENTS + E2024 + E2025.replace(";", " PARTITION BY HASH (id);")
         + "CREATE TABLE events_2025_0 PARTITION OF events_2025 FOR VALUES WITH (modulus 2, remainder 0);\n"
         "CREATE TABLE events_2025_1 PARTITION OF events_2025 FOR VALUES WITH (modulus 2, remainder 1);\n"
         + E_DEFAULT + "CREATE INDEX events_kind_at ON events (kind, at);", seed=SEED_2024_2025),
    Pair("partition_own_index_and_check", EVENTS + E2024 + E2025,
         EVENTS + E2024 + E2025 + "CREATE INDEX events_2024_payload ON events_2024 USING gin (payload);\n"
         "ALTER TABLE events_2024 ADD CONSTRAINT events_2024_kind CHECK (kind <> '');", seed=SEED_2024_2025),
    Pair("unique_with_partition_key_added_to_parent", EVENTS + E2024 + E2025,
         EVENTS + E2024 + E2025 + "ALTER TABLE events ADD CONSTRAINT events_kind_id UNIQUE (kind, id, at);",
         seed=SEED_2024_2025),
    Pair("foreign_key_to_partitioned_table", EVENTS + E2024 + E2025,
         EVENTS + E2024 + E2025 + "CREATE TABLE clicks (id int PRIMARY KEY, event_id bigint, event_at date, "
         "FOREIGN KEY (event_id, event_at) REFERENCES events (id, at));", seed=SEED_2024_2025),
    Pair("foreign_key_from_partitioned_table", USERS + EVENTS.replace("payload jsonb", "payload jsonb, user_id bigint")
         + E2024 + E2025,
         USERS + EVENTS.replace("payload jsonb", "payload jsonb, user_id bigint REFERENCES users (id)") + E2024 + E2025,
         seed=SEED + SEED_2024_2025),
    Pair("column_added_to_partitioned_table", EVENTS + E2024 + E_DEFAULT,
         EVENTS.replace("payload jsonb", "payload jsonb, source text DEFAULT 'web'") + E2024 + E_DEFAULT,
         seed=SEED_2024),
    Pair("row_trigger_on_partitioned_table", EVENTS + E2024,
         EVENTS + E2024 + "CREATE FUNCTION events_kind() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
         "NEW.kind := lower(NEW.kind); RETURN NEW; END $$;\n"
         "CREATE TRIGGER events_kind BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_kind();",
         seed=SEED_2024),
    Pair("identity_key_and_check_on_partitioned_table_created_and_bound_changed",
         "CREATE TABLE metrics (id bigint GENERATED ALWAYS AS IDENTITY, at date NOT NULL, v int CHECK (v >= 0), "
         "PRIMARY KEY (id, at)) PARTITION BY RANGE (at);\n"
         "CREATE TABLE metrics_2024 PARTITION OF metrics FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n",
         "CREATE TABLE metrics (id bigint GENERATED ALWAYS AS IDENTITY, at date NOT NULL, v int CHECK (v >= 0), "
         "PRIMARY KEY (id, at)) PARTITION BY RANGE (at);\n"
         "CREATE TABLE metrics_2024 PARTITION OF metrics FOR VALUES FROM ('2023-07-01') TO ('2025-01-01');\n",
         seed="INSERT INTO metrics (at, v) SELECT date '2024-01-01' + g, g FROM generate_series(0, 99) g;"),
    Pair("serial_key_on_partitioned_table", USERS,
         USERS + "CREATE TABLE logs (id bigserial, at timestamptz NOT NULL, line text, PRIMARY KEY (id, at)) "
         "PARTITION BY RANGE (at);\nCREATE TABLE logs_2024 PARTITION OF logs FOR VALUES FROM ('2024-01-01') "
         "TO ('2025-01-01');", seed=SEED),
]

PAIRS += PARTITIONS
REFUSED += [
    Pair("refuse_table_inheritance", "",
         "CREATE TABLE base (id int);\nCREATE TABLE child (extra text) INHERITS (base);",
         refused=("public.base", "table inheritance")),
    Pair("refuse_partition_column_default_of_its_own", "",
         EVENTS + E2024 + "ALTER TABLE events_2024 ALTER COLUMN kind SET DEFAULT 'view';",
         refused=("public.events_2024.kind", "differs from its parent public.events")),
]

POSINT = "CREATE DOMAIN posint AS int CONSTRAINT posint_positive CHECK (VALUE > 0);\n"
PAIR_TYPE = "CREATE TYPE pair AS (a int, b text);\n"
PLAIN_C = "CREATE COLLATION plain_c (provider = libc, locale = 'C');\n"
WITH_SCORE = USERS.replace("updated_at timestamptz", "updated_at timestamptz, score posint")

#: domains, stand-alone composite types and collations (libc ones: the embedded PostgreSQL 18 has no ICU)
TYPES = [
    Pair("domain_create", USERS, USERS + POSINT, seed=SEED),
    Pair("domain_drop", USERS + POSINT, USERS, seed=SEED),
    Pair("domain_used_by_new_column", USERS + POSINT, POSINT + WITH_SCORE, seed=SEED),
    Pair("domain_created_with_the_column_using_it", USERS, POSINT + WITH_SCORE, seed=SEED),
    Pair("column_changed_to_a_domain", POSINT + USERS.replace("updated_at timestamptz", "updated_at timestamptz, score int"),
         POSINT + WITH_SCORE, seed=SEED),
    Pair("domain_default_changed", "CREATE DOMAIN qty AS int DEFAULT 1;\n" + USERS,
         "CREATE DOMAIN qty AS int DEFAULT 10;\n" + USERS, seed=SEED),
    Pair("domain_not_null_set", POSINT + WITH_SCORE, POSINT.replace("AS int", "AS int NOT NULL") + WITH_SCORE,
         seed=SEED + "UPDATE users SET score = id;"),
    Pair("domain_check_added", POSINT + WITH_SCORE,
         POSINT.replace(";", " CONSTRAINT posint_small CHECK (VALUE < 1000000);") + WITH_SCORE, seed=SEED),
    Pair("domain_check_dropped", POSINT + WITH_SCORE,
         "CREATE DOMAIN posint AS int;\n" + WITH_SCORE, seed=SEED),
    Pair("domain_over_an_enum", USERS,
         "CREATE TYPE mood AS ENUM ('happy', 'sad');\nCREATE DOMAIN happy_mood AS mood CHECK (VALUE = 'happy');\n"
         + USERS.replace("updated_at timestamptz", "updated_at timestamptz, mood happy_mood"), seed=SEED),
    Pair("domain_over_a_domain_in_another_schema", USERS,
         "CREATE SCHEMA app;\n" + POSINT + "CREATE DOMAIN app.small AS posint CHECK (VALUE < 100);\n"
         + USERS.replace("updated_at timestamptz", "updated_at timestamptz, rank app.small"), seed=SEED),
    Pair("domain_check_calls_a_function", USERS,
         "CREATE FUNCTION is_even(x int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT x % 2 = 0';\n"
         "CREATE DOMAIN even AS int CHECK (is_even(VALUE));\n" + USERS, seed=SEED),
    Pair("composite_type_create", USERS, USERS + PAIR_TYPE, seed=SEED),
    Pair("composite_type_drop", USERS + PAIR_TYPE, USERS, seed=SEED),
    Pair("composite_type_attribute_added", USERS + PAIR_TYPE, USERS + "CREATE TYPE pair AS (a int, b text, c date);",
         seed=SEED),
    Pair("composite_type_attribute_type_changed", USERS + PAIR_TYPE,
         USERS + "CREATE TYPE pair AS (a bigint, b text);", seed=SEED),
    Pair("composite_type_used_by_a_function", USERS,
         USERS + PAIR_TYPE + "CREATE FUNCTION first(p pair) RETURNS int LANGUAGE sql AS 'SELECT p.a';", seed=SEED),
    Pair("composite_type_used_by_a_column", USERS,
         PAIR_TYPE + USERS.replace("updated_at timestamptz", "updated_at timestamptz, extra pair"), seed=SEED),
    Pair("collation_create", USERS, USERS + PLAIN_C, seed=SEED),
    Pair("collation_drop", USERS + PLAIN_C, USERS, seed=SEED),
    Pair("collation_used_by_a_column", USERS,
         PLAIN_C + USERS.replace("email text NOT NULL", "email text COLLATE plain_c NOT NULL"), seed=SEED),
    Pair("collation_used_by_an_index", USERS,
         "CREATE SCHEMA app;\nCREATE COLLATION app.posix (provider = libc, locale = 'POSIX');\n" + USERS
         + "CREATE INDEX users_email_posix ON users (email COLLATE app.posix);", seed=SEED),
    Pair("collation_of_a_domain_and_an_attribute", USERS,
         USERS + PLAIN_C + "CREATE DOMAIN code AS text COLLATE plain_c;\n"
         "CREATE TYPE named AS (name text COLLATE plain_c, code code);", seed=SEED),
]

PAIRS += TYPES

REFUSED += [
    Pair("refuse_comment_on_collation", "", PLAIN_C + "COMMENT ON COLLATION plain_c IS 'bytewise';",
         refused=("comment on collation public.plain_c",)),
    Pair("refuse_comment_on_domain_constraint", "", POSINT + "COMMENT ON CONSTRAINT posint_positive ON DOMAIN posint "
         "IS 'above zero';", refused=("comment on constraint posint_positive on domain public.posint",)),
    Pair("refuse_comment_on_composite_attribute", "", PAIR_TYPE + "COMMENT ON COLUMN pair.a IS 'left';",
         refused=("comment on an attribute of composite type public.pair",)),
]

# -- privileges (compared with privileges = true; the roles are made by test_pairs.py first) -----------------

#: roles the privilege pairs grant to: cluster-wide, so created once per server before the pairs run
PRIVILEGE_ROLES = ("ss_app_reader", "ss_app_writer")
READ_VIEW = "CREATE VIEW user_emails AS SELECT id, email FROM users;\n"
PRIVILEGES = [
    Pair("grant_select_on_table", USERS, USERS + "GRANT SELECT ON users TO ss_app_reader;", seed=SEED,
         privileges=True),
    Pair("grant_with_grant_option", USERS + "GRANT SELECT, INSERT ON users TO ss_app_writer;",
         USERS + "GRANT SELECT ON users TO ss_app_writer WITH GRANT OPTION;\nGRANT INSERT ON users TO ss_app_writer;",
         seed=SEED, privileges=True),
    Pair("revoke_execute_from_public_on_function", USERS + TOUCH,
         USERS + TOUCH + "REVOKE EXECUTE ON FUNCTION touch() FROM PUBLIC;\n"
                         "GRANT EXECUTE ON FUNCTION touch() TO ss_app_writer;", seed=SEED, privileges=True),
    Pair("new_function_without_public_execute", USERS,
         USERS + TOUCH + "REVOKE ALL ON FUNCTION touch() FROM PUBLIC;", seed=SEED, privileges=True),
    Pair("grant_on_sequence", USERS + "CREATE SEQUENCE invoice_no;\n",
         USERS + "CREATE SEQUENCE invoice_no;\nGRANT USAGE, SELECT ON SEQUENCE invoice_no TO ss_app_writer;",
         seed=SEED, privileges=True),
    Pair("grant_on_serial_columns_sequence", "CREATE TABLE notes (id serial PRIMARY KEY, body text);\n",
         "CREATE TABLE notes (id serial PRIMARY KEY, body text);\n"
         "GRANT INSERT ON notes TO ss_app_writer;\nGRANT USAGE ON SEQUENCE notes_id_seq TO ss_app_writer;",
         privileges=True),
    Pair("schema_usage", USERS + "CREATE SCHEMA reporting;\n",
         USERS + "CREATE SCHEMA reporting;\nGRANT USAGE ON SCHEMA reporting TO ss_app_reader;", seed=SEED,
         privileges=True),
    Pair("new_schema_with_usage_and_table_grant", USERS,
         USERS + "CREATE SCHEMA reporting;\nCREATE TABLE reporting.daily (day date PRIMARY KEY, n int);\n"
                 "GRANT USAGE ON SCHEMA reporting TO ss_app_reader;\nGRANT SELECT ON reporting.daily TO ss_app_reader;",
         seed=SEED, privileges=True),
    Pair("grant_on_view_recreated_because_the_view_under_it_changes",
         USERS + READ_VIEW + "CREATE VIEW user_ids AS SELECT id FROM user_emails;\n"
                             "GRANT SELECT ON user_emails, user_ids TO ss_app_reader;",
         USERS + READ_VIEW.replace("FROM users", "FROM users WHERE id > 0")
         + "CREATE VIEW user_ids AS SELECT id FROM user_emails;\nGRANT SELECT ON user_emails, user_ids TO ss_app_reader;",
         seed=SEED, privileges=True),
    Pair("grant_on_function_recreated_with_another_result_type",
         USERS + "CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42';\n"
                 "REVOKE ALL ON FUNCTION answer() FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION answer() TO ss_app_reader;",
         USERS + "CREATE FUNCTION answer() RETURNS bigint LANGUAGE sql AS 'SELECT 42::bigint';\n"
                 "REVOKE ALL ON FUNCTION answer() FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION answer() TO ss_app_reader;",
         seed=SEED, privileges=True),
    Pair("grant_to_a_role_removed", USERS + "GRANT SELECT, UPDATE ON users TO ss_app_reader;",
         USERS + "GRANT SELECT ON users TO ss_app_reader;", seed=SEED, privileges=True),
    Pair("grant_on_a_new_table_in_the_same_migration", USERS,
         USERS + "CREATE TABLE audit (id bigint PRIMARY KEY, what text);\n"
                 "GRANT SELECT, INSERT ON audit TO ss_app_writer;\nGRANT SELECT ON audit TO PUBLIC;",
         seed=SEED, privileges=True),
    Pair("dropped_table_takes_its_grants", USERS + "CREATE TABLE audit (id bigint PRIMARY KEY, what text);\n"
                                                  "GRANT SELECT ON audit TO ss_app_reader;", USERS,
         seed=SEED, privileges=True),
    Pair("grant_on_procedure", USERS,
         USERS + "CREATE PROCEDURE purge() LANGUAGE sql AS 'DELETE FROM users WHERE id < 0';\n"
                 "REVOKE EXECUTE ON PROCEDURE purge() FROM PUBLIC;\nGRANT EXECUTE ON PROCEDURE purge() TO ss_app_writer;",
         seed=SEED, privileges=True),
    Pair("grant_on_materialized_view", USERS + "CREATE MATERIALIZED VIEW user_count AS SELECT count(*) AS n FROM users;\n",
         USERS + "CREATE MATERIALIZED VIEW user_count AS SELECT count(*) AS n FROM users;\n"
                 "GRANT SELECT ON user_count TO ss_app_reader;", seed=SEED, privileges=True),
]

#: refused by name with privileges = true (column privileges, default privileges)
PRIVILEGES_REFUSED = [
    Pair("column_privileges_refused", USERS, USERS + "GRANT SELECT (id, email) ON users TO ss_app_reader;",
         refused=("column privileges on", "public.users.id", "public.users.email"), privileges=True),
    Pair("default_privileges_refused", USERS,
         USERS + "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ss_app_reader;",
         refused=("default privileges", "on tables in schema public"), privileges=True),
]

#: objects renamed where PostgreSQL has a RENAME: code, triggers and policies carry no rows, so a drop and a
#: create is exact; a domain or an enum that columns use must move the columns without losing a row
RENAMES = [
    Pair("rename_trigger", USERS + TOUCH + TOUCH_TRIGGER,
         USERS + TOUCH + TOUCH_TRIGGER.replace("users_touch", "users_touch_updated"), seed=SEED),
    Pair("rename_policy", USERS + RLS + OWN_ROWS, USERS + RLS + OWN_ROWS.replace("own_rows", "rows_of_owner"),
         seed=SEED),
    Pair("rename_function_used_by_trigger", USERS + TOUCH + TOUCH_TRIGGER,
         USERS + TOUCH.replace("touch()", "set_updated_at()")
         + TOUCH_TRIGGER.replace("touch()", "set_updated_at()"), seed=SEED),
    Pair("rename_view_read_by_another", USERS + VIEW_CHAIN,
         USERS + VIEW_CHAIN.replace("z_base", "y_base"), seed=SEED),
    Pair("rename_domain_used_by_a_column", POSINT + WITH_SCORE,
         POSINT.replace("posint", "positive_int") + WITH_SCORE.replace("score posint", "score positive_int"),
         seed=SEED),
]
PAIRS += RENAMES

#: a serial column's sequence made explicit, and back: the sequence keeps its name and its current value
#: (a new sequence would start again at 1 and hand out keys the table already holds)
TICKETS_SERIAL = "CREATE TABLE tickets (id serial PRIMARY KEY, title text);\n"
TICKETS_SEQUENCE = ("CREATE SEQUENCE tickets_id_seq AS integer;\n"
                    "CREATE TABLE tickets (id integer NOT NULL DEFAULT nextval('tickets_id_seq') PRIMARY KEY, title text);\n")
TICKETS_SEED = "INSERT INTO tickets (title) SELECT 't' || g FROM generate_series(1, 30) g;"
SEQUENCES = [
    Pair("serial_becomes_explicit_sequence", TICKETS_SERIAL, TICKETS_SEQUENCE, seed=TICKETS_SEED),
    Pair("explicit_sequence_becomes_serial", TICKETS_SEQUENCE, TICKETS_SERIAL, seed=TICKETS_SEED),
    Pair("serial_becomes_renamed_sequence_with_options", TICKETS_SERIAL,
         "CREATE SEQUENCE ticket_numbers AS bigint START 1000 CACHE 10;\n"
         "CREATE TABLE tickets (id integer NOT NULL DEFAULT nextval('ticket_numbers') PRIMARY KEY, title text);\n",
         seed=TICKETS_SEED),
]
PAIRS += SEQUENCES

"""What the corpus expects of each app (tests/realapps/test_corpus.py), each item with the reason it is there.

"real" marks a difference between an app's models and the database its own migration command builds,
confirmed by reading the models and the migrations (the file names are given) and, where it can see it, by
Alembic's comparison.  "not a difference" marks what the independent comparison reports although the two
databases hold the same schema: a constraint name the models leave to the database, Alembic's own false
positives.  Refresh after an app upgrade with SAFESHIFT_REALAPPS_RECORD (see test_corpus.check) and review
every item again.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Expect:
    #: the statements `safeshift diff --url R` prints, in order
    diff: tuple[str, ...] = ()
    #: Alembic's comparison of the models with R, as `_in_app_venv.py alembic-compare` prints it
    alembic: tuple[str, ...] = ()
    #: R against S: migra's statements turning R into S, constraint renames as "name only" lines
    #: (PostgreSQL); the inspector's facts only one database holds (SQLite)
    between: tuple[str, ...] = ()



OPTUNA_PG = Expect(
    diff=(
        # real: models.py's TrialState has WAITING; v1.2.0.a widens the Enum through batch_alter_table, which
        #   on PostgreSQL never ALTERs the type (enum_range(NULL::trialstate) in R lacks WAITING; Alembic does
        #   not compare enum values)
        'ALTER TYPE "public"."trialstate" ADD VALUE \'WAITING\' AFTER \'FAIL\';',
        # real: v3.2.0.a creates the index as trials_study_id_key; the models declare study_id index=True,
        #   named ix_trials_study_id (Alembic: remove_index + add_index)
        'ALTER INDEX "public"."trials_study_id_key" RENAME TO "ix_trials_study_id";',
        # real: TrialHeartbeatModel (models.py) has no migration in optuna's history; optuna creates it with
        #   create_all only (Alembic: add_table)
        'CREATE TABLE "public"."trial_heartbeats" (\n    "trial_heartbeat_id" serial NOT NULL,\n    "trial_id" integer NOT NULL,\n    "heartbeat" timestamp without time zone NOT NULL,\n    CONSTRAINT "trial_heartbeats_pkey" PRIMARY KEY ("trial_heartbeat_id"),\n    CONSTRAINT "trial_heartbeats_trial_id_key" UNIQUE ("trial_id")\n);',
        # real: the models declare trial_values.trial_id nullable=False; v0.9.0.a creates it nullable
        #   (Alembic: modify_nullable)
        'ALTER TABLE "public"."trial_values" ALTER COLUMN "trial_id" SET NOT NULL;',
        # real: part of trial_heartbeats
        'ALTER TABLE "public"."trial_heartbeats" ADD CONSTRAINT "trial_heartbeats_trial_id_fkey" FOREIGN KEY ("trial_id") REFERENCES "public"."trials" ("trial_id");',
    ),
    alembic=(
        'add_index trials.ix_trials_study_id',
        'add_table trial_heartbeats',
        'modify_nullable trial_values.trial_id',
        'remove_index trials.trials_study_id_key',
    ),
    between=(
        # real: the index's name
        'CREATE INDEX ix_trials_study_id ON public.trials USING btree (study_id);',
        # real: the table optuna's history never creates
        'CREATE UNIQUE INDEX trial_heartbeats_pkey ON public.trial_heartbeats USING btree (trial_heartbeat_id);',
        'CREATE UNIQUE INDEX trial_heartbeats_trial_id_key ON public.trial_heartbeats USING btree (trial_id);',
        'alter sequence "public"."trial_heartbeats_trial_heartbeat_id_seq" owned by "public"."trial_heartbeats"."trial_heartbeat_id";',
        'alter table "public"."trial_heartbeats" add constraint "trial_heartbeats_pkey" PRIMARY KEY using index "trial_heartbeats_pkey";',
        'alter table "public"."trial_heartbeats" add constraint "trial_heartbeats_trial_id_fkey" FOREIGN KEY (trial_id) REFERENCES trials(trial_id) not valid;',
        'alter table "public"."trial_heartbeats" add constraint "trial_heartbeats_trial_id_key" UNIQUE using index "trial_heartbeats_trial_id_key";',
        'alter table "public"."trial_heartbeats" validate constraint "trial_heartbeats_trial_id_fkey";',
        # real: trial_values.trial_id NOT NULL
        'alter table "public"."trial_values" alter column "trial_id" set not null;',
        # real: the enum gains WAITING (migra re-creates the type to add a value)
        'alter table "public"."trials" alter column state type "public"."trialstate" using state::text::"public"."trialstate";',
        'alter type "public"."trialstate" rename to "trialstate__old_version_to_be_dropped";',
        # real: the table optuna's history never creates
        'create sequence "public"."trial_heartbeats_trial_heartbeat_id_seq";',
        'create table "public"."trial_heartbeats" (\n    "trial_heartbeat_id" integer not null default nextval(\'trial_heartbeats_trial_heartbeat_id_seq\'::regclass),\n    "trial_id" integer not null,\n    "heartbeat" timestamp without time zone not null\n);',
        # real: the enum gains WAITING (migra re-creates the type to add a value)
        'create type "public"."trialstate" as enum (\'RUNNING\', \'COMPLETE\', \'PRUNED\', \'FAIL\', \'WAITING\');',
        # real: the index's name
        'drop index if exists "public"."trials_study_id_key";',
        # real: the enum gains WAITING (migra re-creates the type to add a value)
        'drop type "public"."trialstate__old_version_to_be_dropped";',
        # not a difference: the models leave the unique constraint unnamed; optuna's v2.4.0.a named it uq_trial_values_trial_id_objective
        'name only: trial_values.uq_trial_values_trial_id_objective -> trial_values_trial_id_objective_key',
        # not a difference: CheckConstraint('version_info_id=1') unnamed in the models; R's name is
        #   PostgreSQL's for the migration's column-level check, S's for a table-level one
        'name only: version_info.version_info_version_info_id_check -> version_info_check',
    ),
)

OPTUNA_SQLITE = Expect(
    diff=(
        # real: the index rename (trials_study_id_key -> ix_trials_study_id), SQLite's DROP INDEX + CREATE
        #   INDEX
        'DROP INDEX "trials_study_id_key";',
        # real: trial_heartbeats, as on PostgreSQL
        'CREATE TABLE "trial_heartbeats" (\n    "trial_heartbeat_id" INTEGER NOT NULL,\n    "trial_id" INTEGER NOT NULL,\n    "heartbeat" DATETIME NOT NULL,\n    PRIMARY KEY ("trial_heartbeat_id"),\n    UNIQUE ("trial_id"),\n    FOREIGN KEY ("trial_id") REFERENCES "trials" ("trial_id")\n);',
        # real: trial_values.trial_id NOT NULL, which SQLite can only make by rebuilding the table
        'CREATE TABLE "_safeshift_new_trial_values" (\n    "trial_value_id" INTEGER NOT NULL,\n    "trial_id" INTEGER NOT NULL,\n    "objective" INTEGER NOT NULL,\n    "value" FLOAT,\n    "value_type" VARCHAR(7) NOT NULL,\n    PRIMARY KEY ("trial_value_id"),\n    UNIQUE ("trial_id", "objective"),\n    FOREIGN KEY ("trial_id") REFERENCES "trials" ("trial_id")\n);',
        'INSERT INTO "_safeshift_new_trial_values" ("trial_value_id", "trial_id", "objective", "value", "value_type") SELECT "trial_value_id", "trial_id", "objective", "value", "value_type" FROM "trial_values";',
        'DROP TABLE "trial_values";',
        'PRAGMA legacy_alter_table=ON;',
        'ALTER TABLE "_safeshift_new_trial_values" RENAME TO "trial_values";',
        'PRAGMA legacy_alter_table=OFF;',
        'PRAGMA foreign_key_check("trial_values");',
        # real: the index rename
        'CREATE INDEX "ix_trials_study_id" ON "trials" ("study_id");',
    ),
    alembic=(
        'add_index trials.ix_trials_study_id',
        'add_table trial_heartbeats',
        'modify_nullable trial_values.trial_id',
        'remove_index trials.trials_study_id_key',
    ),
    between=(
        # real: trial_values.trial_id NOT NULL in S
        'R only: trial_values column trial_id INTEGER null default=None',
        # real: the index's name
        'R only: trials index trials_study_id_key (study_id)',
        # real: the table optuna's history never creates
        'S only: trial_heartbeats column heartbeat DATETIME not null default=None',
        'S only: trial_heartbeats column trial_heartbeat_id INTEGER not null default=None',
        'S only: trial_heartbeats column trial_id INTEGER not null default=None',
        'S only: trial_heartbeats foreign key (trial_id) -> trials (trial_id)',
        'S only: trial_heartbeats primary key (trial_heartbeat_id)',
        'S only: trial_heartbeats unique (trial_id)',
        # real: trial_values.trial_id NOT NULL in S
        'S only: trial_values column trial_id INTEGER not null default=None',
        # real: the index's name
        'S only: trials index ix_trials_study_id (study_id)',
    ),
)

MLFLOW_PG = Expect(
    diff=(
        # real: migration 1bd49d398cd23 (secrets tables) creates this trigger and its function in raw SQL on
        #   PostgreSQL; the models do not declare them
        'DROP TRIGGER "prevent_secrets_aad_mutation" ON "public"."secrets";',
        # real: migration 1b5f0d9ad7c1 (workspaces) creates the idx_*workspace* indexes; the models do not
        #   declare them (Alembic: remove_index, all five)
        'DROP INDEX "public"."idx_experiments_workspace";',
        'DROP INDEX "public"."idx_experiments_workspace_creation_time";',
        'DROP INDEX "public"."idx_model_version_tags_workspace_name_version";',
        'DROP INDEX "public"."idx_registered_model_tags_workspace_name";',
        'DROP INDEX "public"."idx_registered_models_workspace";',
        # real: R's key is (key, request_id), the models' PrimaryKeyConstraint('request_id', 'key') (Alembic
        #   does not compare key column order); dropped here, added below
        'ALTER TABLE "public"."trace_request_metadata" DROP CONSTRAINT "trace_request_metadata_pk";',
        # real: the same for trace_tags
        'ALTER TABLE "public"."trace_tags" DROP CONSTRAINT "trace_tag_pk";',
        # real: the models name it PrimaryKeyConstraint('assessment_id', name='assessments_pkey'); migration
        #   770bee3ae1dd named it assessments_pk
        'ALTER TABLE "public"."assessments" RENAME CONSTRAINT "assessments_pk" TO "assessments_pkey";',
        # real: the models name it registered_model_alias_registered_model_fkey; migration 1b5f0d9ad7c1
        #   fk_registered_model_aliases_registered_models
        'ALTER TABLE "public"."registered_model_aliases" RENAME CONSTRAINT "fk_registered_model_aliases_registered_models" TO "registered_model_alias_registered_model_fkey";',
        # real: String(50) in the models, VARCHAR(20) from the migration (Alembic: modify_type)
        'ALTER TABLE "public"."assessments" ALTER COLUMN "assessment_type" SET DATA TYPE character varying(50);',
        # real: the migrations give these five a server default, the models only a Python-side default
        #   (Alembic: modify_default, all five)
        'ALTER TABLE "public"."endpoint_model_mappings" ALTER COLUMN "linkage_type" DROP DEFAULT;',
        'ALTER TABLE "public"."endpoints" ALTER COLUMN "usage_tracking" DROP DEFAULT;',
        'ALTER TABLE "public"."metrics" ALTER COLUMN "step" DROP DEFAULT;',
        'ALTER TABLE "public"."metrics" ALTER COLUMN "is_nan" DROP DEFAULT;',
        # real: String(20) in the models (Alembic: modify_type)
        'ALTER TABLE "public"."runs" ALTER COLUMN "status" SET DATA TYPE character varying(20);',
        'ALTER TABLE "public"."webhooks" ALTER COLUMN "status" DROP DEFAULT;',
        # real: declared in the models, never created by a migration (Alembic: add_index)
        'CREATE INDEX "index_issues_created_by" ON "public"."issues" ("created_by");',
        # real: the key in the models' column order
        'ALTER TABLE "public"."trace_request_metadata" ADD CONSTRAINT "trace_request_metadata_pk" PRIMARY KEY ("request_id", "key");',
        'ALTER TABLE "public"."trace_tags" ADD CONSTRAINT "trace_tag_pk" PRIMARY KEY ("request_id", "key");',
        # real: the models declare this foreign key twice, ForeignKey(..., ondelete='CASCADE') on the column
        #   and a named ForeignKeyConstraint (create_all builds both); R holds the named one (Alembic compares
        #   foreign keys as a set and cannot see a second copy)
        'ALTER TABLE "public"."evaluation_dataset_records" ADD CONSTRAINT "evaluation_dataset_records_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "public"."evaluation_datasets" ("dataset_id") ON DELETE CASCADE;',
        # real: the same declared-twice foreign key on evaluation_dataset_tags
        'ALTER TABLE "public"."evaluation_dataset_tags" ADD CONSTRAINT "evaluation_dataset_tags_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "public"."evaluation_datasets" ("dataset_id") ON DELETE CASCADE;',
        # real: the trigger's function
        'DROP FUNCTION "public"."prevent_secrets_aad_mutation"();',
    ),
    alembic=(
        'add_index issues.index_issues_created_by',
        'modify_default endpoint_model_mappings.linkage_type',
        'modify_default endpoints.usage_tracking',
        'modify_default metrics.is_nan',
        'modify_default metrics.step',
        'modify_default webhooks.status',
        'modify_type assessments.assessment_type',
        'modify_type runs.status',
        'remove_index experiments.idx_experiments_workspace',
        'remove_index experiments.idx_experiments_workspace_creation_time',
        'remove_index model_version_tags.idx_model_version_tags_workspace_name_version',
        'remove_index registered_model_tags.idx_registered_model_tags_workspace_name',
        'remove_index registered_models.idx_registered_models_workspace',
    ),
    between=(
        # real: see diff
        'CREATE INDEX index_issues_created_by ON public.issues USING btree (created_by);',
        # real: key column order (see diff)
        'CREATE UNIQUE INDEX trace_request_metadata_pk ON public.trace_request_metadata USING btree (request_id, key);',
        'CREATE UNIQUE INDEX trace_tag_pk ON public.trace_tags USING btree (request_id, key);',
        # real: see diff
        'alter table "public"."assessments" alter column "assessment_type" set data type character varying(50) using "assessment_type"::character varying(50);',
        'alter table "public"."endpoint_model_mappings" alter column "linkage_type" drop default;',
        'alter table "public"."endpoints" alter column "usage_tracking" drop default;',
        # real: the foreign key declared twice (see diff)
        'alter table "public"."evaluation_dataset_records" add constraint "evaluation_dataset_records_dataset_id_fkey" FOREIGN KEY (dataset_id) REFERENCES evaluation_datasets(dataset_id) ON DELETE CASCADE not valid;',
        'alter table "public"."evaluation_dataset_records" validate constraint "evaluation_dataset_records_dataset_id_fkey";',
        'alter table "public"."evaluation_dataset_tags" add constraint "evaluation_dataset_tags_dataset_id_fkey" FOREIGN KEY (dataset_id) REFERENCES evaluation_datasets(dataset_id) ON DELETE CASCADE not valid;',
        'alter table "public"."evaluation_dataset_tags" validate constraint "evaluation_dataset_tags_dataset_id_fkey";',
        # real: see diff
        'alter table "public"."metrics" alter column "is_nan" drop default;',
        'alter table "public"."metrics" alter column "step" drop default;',
        'alter table "public"."runs" alter column "status" set data type character varying(20) using "status"::character varying(20);',
        # real: key column order (see diff)
        'alter table "public"."trace_request_metadata" add constraint "trace_request_metadata_pk" PRIMARY KEY using index "trace_request_metadata_pk";',
        'alter table "public"."trace_request_metadata" drop constraint "trace_request_metadata_pk";',
        'alter table "public"."trace_tags" add constraint "trace_tag_pk" PRIMARY KEY using index "trace_tag_pk";',
        'alter table "public"."trace_tags" drop constraint "trace_tag_pk";',
        # real: see diff
        'alter table "public"."webhooks" alter column "status" drop default;',
        'drop function if exists "public"."prevent_secrets_aad_mutation"();',
        'drop index if exists "public"."idx_experiments_workspace";',
        'drop index if exists "public"."idx_experiments_workspace_creation_time";',
        'drop index if exists "public"."idx_model_version_tags_workspace_name_version";',
        'drop index if exists "public"."idx_registered_model_tags_workspace_name";',
        'drop index if exists "public"."idx_registered_models_workspace";',
        # real: key column order (see diff)
        'drop index if exists "public"."trace_request_metadata_pk";',
        'drop index if exists "public"."trace_tag_pk";',
        # real: see diff
        'drop trigger if exists "prevent_secrets_aad_mutation" on "public"."secrets";',
        # real: the name the models give (see diff)
        'name only: assessments.assessments_pk -> assessments_pkey',
        # not a difference: a constraint the models leave unnamed, which mlflow's migrations named (fk_*,
        #   runs_status_check)
        'name only: assessments.fk_assessments_trace_id -> assessments_trace_id_fkey',
        'name only: datasets.fk_datasets_experiment_id_experiments -> datasets_experiment_id_fkey',
        'name only: endpoint_bindings.fk_endpoint_bindings_endpoint_id -> endpoint_bindings_endpoint_id_fkey',
        'name only: endpoint_model_mappings.fk_endpoint_model_mappings_endpoint_id -> endpoint_model_mappings_endpoint_id_fkey',
        'name only: endpoint_model_mappings.fk_endpoint_model_mappings_model_definition_id -> endpoint_model_mappings_model_definition_id_fkey',
        'name only: endpoint_tags.fk_endpoint_tags_endpoint_id -> endpoint_tags_endpoint_id_fkey',
        'name only: endpoints.fk_endpoints_experiment_id -> endpoints_experiment_id_fkey',
        'name only: issues.fk_issues_experiment_id -> issues_experiment_id_fkey',
        'name only: issues.fk_issues_source_run_id -> issues_source_run_id_fkey',
        'name only: job_locks.fk_job_locks_job_id -> job_locks_job_id_fkey',
        'name only: label_schemas.fk_label_schemas_experiment_id -> label_schemas_experiment_id_fkey',
        'name only: model_definitions.fk_model_definitions_secret_id -> model_definitions_secret_id_fkey',
        'name only: model_version_tags.fk_model_version_tags_model_versions -> model_version_tags_workspace_name_version_fkey',
        'name only: model_versions.fk_model_versions_registered_models -> model_versions_workspace_name_fkey',
        'name only: online_scoring_configs.fk_online_scoring_configs_experiment_id -> online_scoring_configs_experiment_id_fkey',
        'name only: online_scoring_configs.fk_online_scoring_configs_scorer_id -> online_scoring_configs_scorer_id_fkey',
        # real: the name the models give (see diff)
        'name only: registered_model_aliases.fk_registered_model_aliases_registered_models -> registered_model_alias_registered_model_fkey',
        # not a difference: a constraint the models leave unnamed, which mlflow's migrations named (fk_*,
        #   runs_status_check)
        'name only: registered_model_tags.fk_registered_model_tags_registered_models -> registered_model_tags_workspace_name_fkey',
        'name only: review_queue_items.fk_review_queue_items_queue_id -> review_queue_items_queue_id_fkey',
        'name only: review_queue_label_schemas.fk_review_queue_label_schemas_queue_id -> review_queue_label_schemas_queue_id_fkey',
        'name only: review_queue_users.fk_review_queue_users_queue_id -> review_queue_users_queue_id_fkey',
        'name only: review_queues.fk_review_queues_experiment_id -> review_queues_experiment_id_fkey',
        'name only: runs.runs_status_check -> runs_check',
        'name only: scorer_versions.fk_scorer_versions_scorer_id -> scorer_versions_scorer_id_fkey',
        'name only: scorers.fk_scorers_experiment_id -> scorers_experiment_id_fkey',
        'name only: trace_info.fk_trace_info_experiment_id -> trace_info_experiment_id_fkey',
        'name only: trace_metrics.fk_trace_metrics_request_id -> trace_metrics_request_id_fkey',
        'name only: trace_request_metadata.fk_trace_request_metadata_request_id -> trace_request_metadata_request_id_fkey',
        'name only: trace_tags.fk_trace_tags_request_id -> trace_tags_request_id_fkey',
    ),
)

#: buildbot builds a new database from its models (create_all) and stamps its history: nothing differs
BUILDBOT_PG = Expect()

BUILDBOT_SQLITE = Expect(
    alembic=(
        # not a difference (Alembic's own false positive): server_default='' on these six; SQLite holds ''
        #   exactly as create_all wrote it, and safeshift's diff rightly prints nothing
        'modify_default changes.codebase',
        'modify_default changes.project',
        'modify_default changes.repository',
        'modify_default sourcestamps.codebase',
        'modify_default sourcestamps.project',
        'modify_default sourcestamps.repository',
    ),
)

MAILMAN_PG = Expect(
    diff=(
        # real: mailman/model/language.py declares Language, but nothing in mailman imports that module, so
        #   mailman's create_all never builds the table (Alembic: add_table)
        'CREATE TABLE "public"."language" (\n    "id" serial NOT NULL,\n    "code" character varying,\n    CONSTRAINT "language_pkey" PRIMARY KEY ("id")\n);',
    ),
    alembic=(
        'add_table language',
    ),
    between=(
        # real: the language table (see diff)
        'CREATE UNIQUE INDEX language_pkey ON public.language USING btree (id);',
        'alter sequence "public"."language_id_seq" owned by "public"."language"."id";',
        'alter table "public"."language" add constraint "language_pkey" PRIMARY KEY using index "language_pkey";',
        'create sequence "public"."language_id_seq";',
        'create table "public"."language" (\n    "id" integer not null default nextval(\'language_id_seq\'::regclass),\n    "code" character varying\n);',
    ),
)

MAILMAN_SQLITE = Expect(
    diff=(
        # real: mailman/model/language.py declares Language, but nothing in mailman imports that module, so
        #   mailman's create_all never builds the table (Alembic: add_table)
        'CREATE TABLE "language" (\n    "id" INTEGER NOT NULL,\n    "code" VARCHAR,\n    PRIMARY KEY ("id")\n);',
    ),
    alembic=(
        'add_table language',
    ),
    between=(
        # real: the language table (see diff)
        'S only: language column code VARCHAR null default=None',
        'S only: language column id INTEGER not null default=None',
        'S only: language primary key (id)',
    ),
)

MLFLOW_SQLITE = Expect(
    diff=(
        # real: migration 1bd49d398cd23 creates this trigger on SQLite too; the models do not declare it
        'DROP TRIGGER "prevent_secrets_aad_mutation";',
        # real: the idx_*workspace* indexes of migration 1b5f0d9ad7c1, not in the models
        'DROP INDEX "idx_experiments_workspace";',
        'DROP INDEX "idx_experiments_workspace_creation_time";',
        'DROP INDEX "idx_model_version_tags_workspace_name_version";',
        'DROP INDEX "idx_registered_model_tags_workspace_name";',
        'DROP INDEX "idx_registered_models_workspace";',
        # real: linkage_type loses the migration's server default (as on PostgreSQL): SQLite rebuilds the
        #   table
        'CREATE TABLE "_safeshift_new_endpoint_model_mappings" (\n    "mapping_id" VARCHAR(36) NOT NULL,\n    "endpoint_id" VARCHAR(36) NOT NULL,\n    "model_definition_id" VARCHAR(36) NOT NULL,\n    "weight" FLOAT NOT NULL,\n    "linkage_type" VARCHAR(64) NOT NULL,\n    "fallback_order" INTEGER,\n    "created_by" VARCHAR(255),\n    "created_at" BIGINT NOT NULL,\n    PRIMARY KEY ("mapping_id"),\n    FOREIGN KEY ("endpoint_id") REFERENCES "endpoints" ("endpoint_id") ON DELETE CASCADE,\n    FOREIGN KEY ("model_definition_id") REFERENCES "model_definitions" ("model_definition_id")\n);',
        'INSERT INTO "_safeshift_new_endpoint_model_mappings" ("mapping_id", "endpoint_id", "model_definition_id", "weight", "linkage_type", "fallback_order", "created_by", "created_at") SELECT "mapping_id", "endpoint_id", "model_definition_id", "weight", "linkage_type", "fallback_order", "created_by", "created_at" FROM "endpoint_model_mappings";',
        'DROP TABLE "endpoint_model_mappings";',
        'PRAGMA legacy_alter_table=ON;',
        'ALTER TABLE "_safeshift_new_endpoint_model_mappings" RENAME TO "endpoint_model_mappings";',
        'PRAGMA legacy_alter_table=OFF;',
        'CREATE INDEX "index_endpoint_model_mappings_endpoint_id" ON "endpoint_model_mappings" ("endpoint_id");',
        'CREATE INDEX "index_endpoint_model_mappings_model_definition_id" ON "endpoint_model_mappings" ("model_definition_id");',
        'CREATE UNIQUE INDEX "unique_endpoint_model_linkage_mapping" ON "endpoint_model_mappings" ("endpoint_id", "model_definition_id", "linkage_type");',
        'PRAGMA foreign_key_check("endpoint_model_mappings");',
        # real: usage_tracking loses the migration's server default
        'CREATE TABLE "_safeshift_new_endpoints" (\n    "endpoint_id" VARCHAR(36) NOT NULL,\n    "name" VARCHAR(255),\n    "created_by" VARCHAR(255),\n    "created_at" BIGINT NOT NULL,\n    "last_updated_by" VARCHAR(255),\n    "last_updated_at" BIGINT NOT NULL,\n    "routing_strategy" VARCHAR(64),\n    "fallback_config_json" TEXT,\n    "experiment_id" INTEGER,\n    "usage_tracking" BOOLEAN NOT NULL,\n    "workspace" VARCHAR(63) NOT NULL DEFAULT \'default\',\n    PRIMARY KEY ("endpoint_id"),\n    UNIQUE ("workspace", "name"),\n    FOREIGN KEY ("experiment_id") REFERENCES "experiments" ("experiment_id") ON DELETE SET NULL\n);',
        'INSERT INTO "_safeshift_new_endpoints" ("endpoint_id", "name", "created_by", "created_at", "last_updated_by", "last_updated_at", "routing_strategy", "fallback_config_json", "experiment_id", "usage_tracking", "workspace") SELECT "endpoint_id", "name", "created_by", "created_at", "last_updated_by", "last_updated_at", "routing_strategy", "fallback_config_json", "experiment_id", "usage_tracking", "workspace" FROM "endpoints";',
        'DROP TABLE "endpoints";',
        'PRAGMA legacy_alter_table=ON;',
        'ALTER TABLE "_safeshift_new_endpoints" RENAME TO "endpoints";',
        'PRAGMA legacy_alter_table=OFF;',
        'CREATE INDEX "idx_endpoints_workspace" ON "endpoints" ("workspace");',
        'PRAGMA foreign_key_check("endpoints");',
        # real: step and is_nan lose the migration's server defaults
        'CREATE TABLE "_safeshift_new_metrics" (\n    "key" VARCHAR(250) NOT NULL,\n    "value" FLOAT NOT NULL,\n    "timestamp" BIGINT NOT NULL,\n    "step" BIGINT NOT NULL,\n    "is_nan" BOOLEAN NOT NULL,\n    "run_uuid" VARCHAR(32) NOT NULL,\n    PRIMARY KEY ("key", "timestamp", "step", "run_uuid", "value", "is_nan"),\n    CHECK (is_nan IN (0, 1)),\n    FOREIGN KEY ("run_uuid") REFERENCES "runs" ("run_uuid")\n);',
        'INSERT INTO "_safeshift_new_metrics" ("key", "value", "timestamp", "step", "is_nan", "run_uuid") SELECT "key", "value", "timestamp", "step", "is_nan", "run_uuid" FROM "metrics";',
        'DROP TABLE "metrics";',
        'PRAGMA legacy_alter_table=ON;',
        'ALTER TABLE "_safeshift_new_metrics" RENAME TO "metrics";',
        'PRAGMA legacy_alter_table=OFF;',
        'CREATE INDEX "index_metrics_run_uuid" ON "metrics" ("run_uuid");',
        'CREATE INDEX "index_metrics_run_uuid_key_step" ON "metrics" ("run_uuid", "key", "step");',
        'PRAGMA foreign_key_check("metrics");',
        # real: the primary key in the models' column order (request_id, key); R's is (key, request_id)
        'CREATE TABLE "_safeshift_new_trace_request_metadata" (\n    "key" VARCHAR(250) NOT NULL,\n    "value" VARCHAR(8000),\n    "request_id" VARCHAR(50) NOT NULL,\n    PRIMARY KEY ("request_id", "key"),\n    FOREIGN KEY ("request_id") REFERENCES "trace_info" ("request_id") ON DELETE CASCADE\n);',
        'INSERT INTO "_safeshift_new_trace_request_metadata" ("key", "value", "request_id") SELECT "key", "value", "request_id" FROM "trace_request_metadata";',
        'DROP TABLE "trace_request_metadata";',
        'PRAGMA legacy_alter_table=ON;',
        'ALTER TABLE "_safeshift_new_trace_request_metadata" RENAME TO "trace_request_metadata";',
        'PRAGMA legacy_alter_table=OFF;',
        'CREATE INDEX "index_trace_request_metadata_request_id" ON "trace_request_metadata" ("request_id");',
        'PRAGMA foreign_key_check("trace_request_metadata");',
        # real: the same for trace_tags
        'CREATE TABLE "_safeshift_new_trace_tags" (\n    "key" VARCHAR(250) NOT NULL,\n    "value" VARCHAR(8000),\n    "request_id" VARCHAR(50) NOT NULL,\n    PRIMARY KEY ("request_id", "key"),\n    FOREIGN KEY ("request_id") REFERENCES "trace_info" ("request_id") ON DELETE CASCADE\n);',
        'INSERT INTO "_safeshift_new_trace_tags" ("key", "value", "request_id") SELECT "key", "value", "request_id" FROM "trace_tags";',
        'DROP TABLE "trace_tags";',
        'PRAGMA legacy_alter_table=ON;',
        'ALTER TABLE "_safeshift_new_trace_tags" RENAME TO "trace_tags";',
        'PRAGMA legacy_alter_table=OFF;',
        'CREATE INDEX "index_trace_tags_request_id" ON "trace_tags" ("request_id");',
        'PRAGMA foreign_key_check("trace_tags");',
        # real: status loses the migration's server default
        'CREATE TABLE "_safeshift_new_webhooks" (\n    "workspace" VARCHAR(63) NOT NULL DEFAULT \'default\',\n    "webhook_id" VARCHAR(256) NOT NULL,\n    "name" VARCHAR(256) NOT NULL,\n    "description" VARCHAR(1000),\n    "url" VARCHAR(500) NOT NULL,\n    "status" VARCHAR(20) NOT NULL,\n    "secret" VARCHAR(1000),\n    "creation_timestamp" BIGINT,\n    "last_updated_timestamp" BIGINT,\n    "deleted_timestamp" BIGINT,\n    PRIMARY KEY ("webhook_id")\n);',
        'INSERT INTO "_safeshift_new_webhooks" ("workspace", "webhook_id", "name", "description", "url", "status", "secret", "creation_timestamp", "last_updated_timestamp", "deleted_timestamp") SELECT "workspace", "webhook_id", "name", "description", "url", "status", "secret", "creation_timestamp", "last_updated_timestamp", "deleted_timestamp" FROM "webhooks";',
        'DROP TABLE "webhooks";',
        'PRAGMA legacy_alter_table=ON;',
        'ALTER TABLE "_safeshift_new_webhooks" RENAME TO "webhooks";',
        'PRAGMA legacy_alter_table=OFF;',
        'CREATE INDEX "idx_webhooks_name" ON "webhooks" ("name");',
        'CREATE INDEX "idx_webhooks_status" ON "webhooks" ("status");',
        'CREATE INDEX "idx_webhooks_workspace" ON "webhooks" ("workspace");',
        'PRAGMA foreign_key_check("webhooks");',
        # real: declared in the models, never created by a migration
        'CREATE INDEX "index_issues_created_by" ON "issues" ("created_by");',
    ),
    alembic=(
        # the same real differences as on PostgreSQL, and:
        'add_index issues.index_issues_created_by',
        # not a difference (Alembic's own false positive): Alembic cannot compare the text("version_major
        #   DESC") keys
        'add_index mcp_server_versions.idx_mcp_server_versions_latest',
        # real: the server defaults of the migrations
        'modify_default endpoint_model_mappings.linkage_type',
        'modify_default endpoints.usage_tracking',
        'modify_default metrics.is_nan',
        'modify_default metrics.step',
        # not a difference (Alembic's own false positive): Identity() on SQLite, where it is a plain INTEGER
        #   PRIMARY KEY
        'modify_default sql_assessment_daily_rollups.id',
        'modify_default sql_span_cost_daily_rollups.id',
        'modify_default sql_trace_metric_daily_rollups.id',
        # real: the server defaults of the migrations
        'modify_default webhooks.status',
        # real: VARCHAR lengths (which SQLite does not enforce, so safeshift's diff rightly rebuilds nothing
        #   for them)
        'modify_type assessments.assessment_type',
        'modify_type runs.status',
        # real: the idx_*workspace* indexes
        'remove_index experiments.idx_experiments_workspace',
        'remove_index experiments.idx_experiments_workspace_creation_time',
        # not a difference (Alembic's own false positive): Alembic cannot compare the text("version_major
        #   DESC") keys
        'remove_index mcp_server_versions.idx_mcp_server_versions_latest',
        # real: the idx_*workspace* indexes
        'remove_index model_version_tags.idx_model_version_tags_workspace_name_version',
        'remove_index registered_model_tags.idx_registered_model_tags_workspace_name',
        'remove_index registered_models.idx_registered_models_workspace',
    ),
    between=(
        # real, and not enforced by SQLite: S has the models' VARCHAR(50), R the migration's VARCHAR(20)
        'R only: assessments column assessment_type VARCHAR(20) not null default=None',
        # real: the migrations' server defaults, not in the models
        "R only: endpoint_model_mappings column linkage_type VARCHAR(64) not null default='PRIMARY'",
        "R only: endpoints column usage_tracking BOOLEAN not null default='0'",
        # real: the idx_*workspace* indexes
        'R only: experiments index idx_experiments_workspace (workspace)',
        'R only: experiments index idx_experiments_workspace_creation_time (workspace, creation_time)',
        # not a difference: DEFAULT 0 (R, sa.false()) and '0' (S, the models' server_default) on a BOOLEAN
        #   column store the same integer 0 (NUMERIC affinity)
        'R only: label_schemas column is_default BOOLEAN not null default=0',
        # real: the migrations' server defaults, not in the models
        "R only: metrics column is_nan BOOLEAN not null default='0'",
        "R only: metrics column step BIGINT not null default='0'",
        # real: the idx_*workspace* indexes
        'R only: model_version_tags index idx_model_version_tags_workspace_name_version (workspace, name, version)',
        'R only: registered_model_tags index idx_registered_model_tags_workspace_name (workspace, name)',
        'R only: registered_models index idx_registered_models_workspace (workspace)',
        # real, and not enforced by SQLite: VARCHAR(20) in the models, VARCHAR(9) from the migration
        'R only: runs column status VARCHAR(9) null default=None',
        # real: the key's column order
        'R only: trace_request_metadata primary key (key, request_id)',
        'R only: trace_tags primary key (key, request_id)',
        # real: the migrations' server defaults, not in the models
        "R only: webhooks column status VARCHAR(20) not null default='ACTIVE'",
        # real, and not enforced by SQLite: S has the models' VARCHAR(50), R the migration's VARCHAR(20)
        'S only: assessments column assessment_type VARCHAR(50) not null default=None',
        # real: the migrations' server defaults, not in the models
        'S only: endpoint_model_mappings column linkage_type VARCHAR(64) not null default=None',
        'S only: endpoints column usage_tracking BOOLEAN not null default=None',
        # real: declared in the models, never created by a migration
        'S only: issues index index_issues_created_by (created_by)',
        # not a difference: DEFAULT 0 (R, sa.false()) and '0' (S, the models' server_default) on a BOOLEAN
        #   column store the same integer 0 (NUMERIC affinity)
        "S only: label_schemas column is_default BOOLEAN not null default='0'",
        # real: the migrations' server defaults, not in the models
        'S only: metrics column is_nan BOOLEAN not null default=None',
        'S only: metrics column step BIGINT not null default=None',
        # real, and not enforced by SQLite: VARCHAR(20) in the models, VARCHAR(9) from the migration
        'S only: runs column status VARCHAR(20) null default=None',
        # real: the key's column order
        'S only: trace_request_metadata primary key (request_id, key)',
        'S only: trace_tags primary key (request_id, key)',
        # real: the migrations' server defaults, not in the models
        'S only: webhooks column status VARCHAR(20) not null default=None',
    ),
)

EXPECTED: dict[str, dict[str, Expect]] = {
    "optuna": {"pg": OPTUNA_PG, "sqlite": OPTUNA_SQLITE},
    "mlflow": {"pg": MLFLOW_PG, "sqlite": MLFLOW_SQLITE},
    "buildbot": {"pg": BUILDBOT_PG, "sqlite": BUILDBOT_SQLITE},
    "mailman": {"pg": MAILMAN_PG, "sqlite": MAILMAN_SQLITE},
}

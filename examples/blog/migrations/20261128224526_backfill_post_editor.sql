-- 20261128224526_backfill_post_editor: hand-written data migration (safeshift 0.1.0, postgresql)
-- Until now the author was the only editor: record that explicitly, so the app can stop
-- treating a NULL editor_id as "the author". On a large table, batch it (a loop of
-- UPDATE ... WHERE id IN (SELECT ... LIMIT 1000) under -- safeshift:no-transaction).

-- migrate:up

UPDATE "public"."posts" SET "editor_id" = "author_id" WHERE "editor_id" IS NULL;

-- migrate:down

UPDATE "public"."posts" SET "editor_id" = NULL WHERE "editor_id" = "author_id";

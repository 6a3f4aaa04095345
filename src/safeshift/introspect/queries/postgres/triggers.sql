-- Triggers on tables and views (the internal ones behind foreign keys are the constraints').
SELECT n.nspname::text AS schema,
       c.relname::text AS table,
       t.tgname::text AS name,
       pg_catalog.pg_get_triggerdef(t.oid) AS definition,
       t.tgenabled::text AS state
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal
  AND t.tgparentid = 0  -- a partition's clone of its parent's row trigger is implied by the parent's
  AND n.nspname::text = ANY (%(schemas)s::text[])
ORDER BY 1, 2, 3

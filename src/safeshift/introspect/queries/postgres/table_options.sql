-- The few tables with row-level security switched on (ENABLE) or forced on their owner too (FORCE),
-- UNLOGGED, or with storage parameters (reloptions: fillfactor, autovacuum_*, ...).
SELECT n.nspname::text AS schema, c.relname::text AS table,
       c.relrowsecurity AS rls, c.relforcerowsecurity AS rls_forced,
       c.relpersistence = 'u' AS unlogged,
       c.reloptions::text[] AS options
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND (c.relrowsecurity OR c.relforcerowsecurity OR c.relpersistence = 'u' OR c.reloptions IS NOT NULL)
  AND n.nspname::text = ANY (%(schemas)s::text[])
ORDER BY 1, 2

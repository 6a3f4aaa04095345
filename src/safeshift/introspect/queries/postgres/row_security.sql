-- Tables with row-level security switched on (ENABLE) or forced on their owner too (FORCE).
SELECT n.nspname::text AS schema, c.relname::text AS table,
       c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND (c.relrowsecurity OR c.relforcerowsecurity)
  AND n.nspname::text = ANY (%(schemas)s::text[])
ORDER BY 1, 2

-- The columns of materialized views that have indexes: names and collations for their index keys.
SELECT n.nspname::text AS schema, c.relname::text AS table, a.attnum, a.attname::text AS name,
       a.attcollation AS collation_oid
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind = 'm' AND c.relhasindex
  AND n.nspname::text = ANY (%(schemas)s::text[])

-- Installed extensions (plpgsql ships with every database and is left out) with the schema their
-- objects live in.
SELECT e.extname::text AS name, n.nspname::text AS schema
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'
  AND n.nspname::text = ANY (%(schemas)s::text[])
ORDER BY 1

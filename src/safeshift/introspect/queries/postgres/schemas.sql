-- User schemas: everything but the system catalogs, temp/toast schemas, extension-owned
-- schemas and safeshift's own bookkeeping schema.
SELECT n.nspname::text AS name,
       -- how much there is to read (the libpq reader reads a large schema on two connections)
       (SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid) AS relations
FROM pg_catalog.pg_namespace n
WHERE n.nspname !~ '^pg_'
  AND n.nspname NOT IN ('information_schema', 'safeshift')
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
ORDER BY 1

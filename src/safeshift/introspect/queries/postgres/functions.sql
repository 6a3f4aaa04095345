-- Functions and procedures the user wrote: not an extension's own, not a type's own (a range
-- type's constructors).  Aggregates and window functions are listed by unmodelled.sql instead.
SELECT n.nspname::text AS schema,
       p.proname::text AS name,
       pg_catalog.pg_get_function_identity_arguments(p.oid) AS arguments,
       coalesce(pg_catalog.pg_get_function_result(p.oid), '') AS returns,
       p.prokind = 'p' AS procedure,
       pg_catalog.pg_get_functiondef(p.oid) AS definition,
       -- a SQL-standard body (BEGIN ATOMIC, RETURN) is parsed at creation and depends on the tables and
       -- views it reads; a quoted body records no such dependency
       p.prosqlbody IS NOT NULL AND EXISTS (
           SELECT 1 FROM pg_catalog.pg_depend r
           WHERE r.classid = 'pg_catalog.pg_proc'::regclass AND r.objid = p.oid
             AND r.refclassid = 'pg_catalog.pg_class'::regclass) AS reads_relations
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname::text = ANY (%(schemas)s::text[])
  AND p.prokind IN ('f', 'p')
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype IN ('e', 'i'))
ORDER BY 1, 2, 3

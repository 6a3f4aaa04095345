-- Views and materialized views with their definitions and comments.
SELECT n.nspname::text AS schema,
       c.relname::text AS name,
       c.relkind = 'm' AS materialized,
       pg_catalog.pg_get_viewdef(c.oid) AS definition,
       d.description AS comment,
       CASE WHEN c.relkind = 'v' THEN ARRAY(
           SELECT pg_catalog.quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod)
                  || CASE WHEN a.attcollation <> t.typcollation
                          THEN ' COLLATE ' || a.attcollation::pg_catalog.regcollation::text ELSE '' END
           FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) END AS columns
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
WHERE c.relkind IN ('v', 'm')
  AND n.nspname::text = ANY (%(schemas)s::text[])
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend e
      WHERE e.classid = 'pg_catalog.pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
ORDER BY 1, 2

-- Collation names by oid, spelled as columns.sql spells a column's: bare in pg_catalog and public, else
-- "schema"."name".
SELECT co.oid,
       CASE WHEN cn.nspname IN ('pg_catalog', 'public') THEN co.collname::text
            ELSE '"' || replace(cn.nspname, '"', '""') || '"."' || replace(co.collname, '"', '""') || '"' END AS name
FROM pg_catalog.pg_collation co
JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE co.oid = ANY (%(oids)s::oid[])

-- Collation names by oid.
SELECT co.oid, co.collname::text AS name
FROM pg_catalog.pg_collation co
WHERE co.oid = ANY (%(oids)s::oid[])

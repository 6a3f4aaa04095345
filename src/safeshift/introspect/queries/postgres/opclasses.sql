-- The operator classes that are not their type's default for their method (a few dozen on a stock server,
-- more with extensions): an index key names its operator class only when it is one of these.  All of them,
-- not only those the indexes use, so the query needs nothing from the indexes' rows and is sent with them.
SELECT opc.oid, opc.opcname::text AS name
FROM pg_catalog.pg_opclass opc
WHERE NOT opc.opcdefault

-- The operator classes among the given oids that are not their type's default for the method.
SELECT opc.oid, opc.opcname::text AS name
FROM pg_catalog.pg_opclass opc
WHERE opc.oid = ANY (%(oids)s::oid[]) AND NOT opc.opcdefault

-- Privileges on the objects of the chosen schemas, read only when the project opts in (privileges = true).
-- Each object's effective access list, exploded into one row per grantee and privilege, minus the owner's
-- own entries (ownership is not compared: objects belong to whoever runs the migrations).  A relation or a
-- schema whose list was never set has only its owner's (the built-in default), so only those with a list are
-- read; a function's default also gives EXECUTE to PUBLIC, so every function is.  Objects an extension
-- owns are the extension's own.
WITH ns AS (
    SELECT n.oid, n.nspname::text AS nspname, n.nspowner, n.nspacl
    FROM pg_catalog.pg_namespace n
    WHERE n.nspname::text = ANY (%(schemas)s::text[])
), objects AS (
    SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END AS object_type,
           ns.nspname AS schema, c.relname::text AS name, NULL::text AS arguments, c.relowner AS owner,
           c.relacl AS acl
    FROM pg_catalog.pg_class c
    JOIN ns ON ns.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relacl IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend m WHERE m.classid = 'pg_catalog.pg_class'::regclass
                      AND m.objid = c.oid AND m.objsubid = 0 AND m.deptype = 'e')
    UNION ALL
    SELECT 'function', ns.nspname, p.proname::text, pg_catalog.pg_get_function_identity_arguments(p.oid),
           p.proowner, coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))
    FROM pg_catalog.pg_proc p
    JOIN ns ON ns.oid = p.pronamespace
    WHERE p.prokind IN ('f', 'p')
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass
                      AND d.objid = p.oid AND d.deptype IN ('e', 'i'))
    UNION ALL
    SELECT 'schema', ns.nspname, ns.nspname, NULL, ns.nspowner, ns.nspacl
    FROM ns
    WHERE ns.nspacl IS NOT NULL
)
SELECT o.object_type, o.schema, o.name, o.arguments,
       CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END AS grantee,
       a.privilege_type AS privilege,
       a.is_grantable AS grantable
FROM objects o
CROSS JOIN LATERAL pg_catalog.aclexplode(o.acl) a
WHERE a.grantee <> o.owner
ORDER BY 1, 2, 3, 4, 5, 6

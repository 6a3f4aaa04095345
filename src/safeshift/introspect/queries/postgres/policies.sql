-- Row-level security policies with their command, kind, roles and expressions.
SELECT n.nspname::text AS schema,
       c.relname::text AS table,
       pol.polname::text AS name,
       pol.polcmd::text AS command,
       pol.polpermissive AS permissive,
       CASE WHEN pol.polroles = '{0}'::oid[] THEN ARRAY['public']
            ELSE ARRAY(SELECT r.rolname::text FROM pg_catalog.pg_roles r WHERE r.oid = ANY (pol.polroles) ORDER BY 1)
       END AS roles,
       pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) AS using,
       pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) AS with_check
FROM pg_catalog.pg_policy pol
JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname::text = ANY (%(schemas)s::text[])
ORDER BY 1, 2, 3

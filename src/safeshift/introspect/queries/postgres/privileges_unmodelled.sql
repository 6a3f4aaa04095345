-- Privileges the model cannot represent, read only when the project opts in (privileges = true): column
-- privileges (GRANT SELECT (col) ON ...) and default privileges (ALTER DEFAULT PRIVILEGES) for the chosen
-- schemas or for every schema.  Refused by name like unmodelled.sql's kinds: comparing the rest without
-- them would say "no drift" when there is.  One row per object: (what, name).
WITH ns AS (
    SELECT n.oid, n.nspname::text AS nspname
    FROM pg_catalog.pg_namespace n
    WHERE n.nspname::text = ANY (%(schemas)s::text[])
)
SELECT 'column privileges on' AS what, ns.nspname || '.' || c.relname || '.' || a.attname AS name
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN ns ON ns.oid = c.relnamespace
WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT 'default privileges (ALTER DEFAULT PRIVILEGES)',
       'of role ' || pg_catalog.pg_get_userbyid(d.defaclrole) || ' on '
       || CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'
                               WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' ELSE 'large objects' END
       || ' in ' || coalesce('schema ' || n.nspname, 'every schema')
FROM pg_catalog.pg_default_acl d
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
WHERE d.defaclnamespace = 0 OR n.nspname::text = ANY (%(schemas)s::text[])
ORDER BY 1, 2

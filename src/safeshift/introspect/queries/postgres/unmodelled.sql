-- Objects and options in the chosen schemas that the model cannot represent yet: the introspector
-- refuses a database that holds any of them, naming each, rather than leave them out of a diff
-- or a drift check.  Objects that belong to an extension (pg_depend deptype 'e') are the
-- extension's own and never listed (probed per candidate through pg_depend's index: a full scan of
-- pg_depend costs more than the rest of the query on a schema of a thousand tables).  One row per object: (what, name), what reads "function",
-- "trigger", ... and name is schema-qualified.
WITH ns AS (
    SELECT n.oid, n.nspname::text AS nspname
    FROM pg_catalog.pg_namespace n
    WHERE n.nspname::text = ANY (%(schemas)s::text[])
)
SELECT 'what' AS what, 'name' AS name WHERE false  -- the column names
UNION ALL
SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' ELSE 'window function' END,
       ns.nspname || '.' || p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
FROM pg_catalog.pg_proc p JOIN ns ON ns.oid = p.pronamespace
WHERE p.prokind IN ('a', 'w')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend m WHERE m.classid = 'pg_catalog.pg_proc'::regclass AND m.objid = p.oid
                   AND m.objsubid = 0 AND m.deptype = 'e')
  AND NOT EXISTS (  -- a range type's constructors are the type's own
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')
UNION ALL
SELECT CASE c.relkind WHEN 'f' THEN 'foreign table'
            ELSE 'storage parameters (' || pg_catalog.array_to_string(c.reloptions, ', ') || ') of' END,
       ns.nspname || '.' || c.relname
FROM pg_catalog.pg_class c
JOIN ns ON ns.oid = c.relnamespace
WHERE (c.relkind = 'f' OR (c.reloptions IS NOT NULL AND c.relkind IN ('v', 'm', 'i')))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend m WHERE m.classid = 'pg_catalog.pg_class'::regclass
                  AND m.objid = c.oid AND m.objsubid = 0 AND m.deptype = 'e')
UNION ALL
SELECT 'storage parameters (toast.' || pg_catalog.array_to_string(toast.reloptions, ', toast.') || ') of',
       ns.nspname || '.' || c.relname
FROM pg_catalog.pg_class c
JOIN ns ON ns.oid = c.relnamespace
JOIN pg_catalog.pg_class toast ON toast.oid = c.reltoastrelid
WHERE c.relkind IN ('r', 'p', 'm') AND toast.reloptions IS NOT NULL
UNION ALL
SELECT CASE WHEN c.relkind = 'S' THEN 'comment on sequence' WHEN c.relkind IN ('i', 'I') THEN 'comment on index'
            WHEN c.relkind = 'c' THEN 'comment on an attribute of composite type'
            ELSE 'comment on a column of view' END,
       ns.nspname || '.' || c.relname
FROM pg_catalog.pg_description d
JOIN pg_catalog.pg_class c ON d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid = c.oid
JOIN ns ON ns.oid = c.relnamespace
WHERE c.relkind IN ('i', 'I', 'S') OR (c.relkind IN ('v', 'm', 'c') AND d.objsubid <> 0)
UNION ALL
SELECT CASE t.typtype WHEN 'r' THEN 'range type' ELSE 'base type' END,
       ns.nspname || '.' || t.typname
FROM pg_catalog.pg_type t JOIN ns ON ns.oid = t.typnamespace
WHERE (t.typtype = 'r' OR (t.typtype = 'b' AND t.typelem = 0))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend m WHERE m.classid = 'pg_catalog.pg_type'::regclass AND m.objid = t.oid
                   AND m.objsubid = 0 AND m.deptype = 'e')
UNION ALL
SELECT 'rule', r.rulename::text || ' on ' || ns.nspname || '.' || c.relname
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_class c ON c.oid = r.ev_class JOIN ns ON ns.oid = c.relnamespace
WHERE r.rulename <> '_RETURN'
UNION ALL
SELECT 'operator', ns.nspname || '.' || o.oprname
FROM pg_catalog.pg_operator o JOIN ns ON ns.oid = o.oprnamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend m WHERE m.classid = 'pg_catalog.pg_operator'::regclass AND m.objid = o.oid
                   AND m.objsubid = 0 AND m.deptype = 'e')
UNION ALL
SELECT 'statistics object', ns.nspname || '.' || s.stxname
FROM pg_catalog.pg_statistic_ext s JOIN ns ON ns.oid = s.stxnamespace
UNION ALL
SELECT 'text search configuration', ns.nspname || '.' || cfg.cfgname
FROM pg_catalog.pg_ts_config cfg JOIN ns ON ns.oid = cfg.cfgnamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend m WHERE m.classid = 'pg_catalog.pg_ts_config'::regclass AND m.objid = cfg.oid
                   AND m.objsubid = 0 AND m.deptype = 'e')
UNION ALL
SELECT 'comment on type', ns.nspname || '.' || t.typname
FROM pg_catalog.pg_description d
JOIN pg_catalog.pg_type t ON d.classoid = 'pg_catalog.pg_type'::regclass AND d.objoid = t.oid
JOIN ns ON ns.oid = t.typnamespace
UNION ALL
SELECT 'comment on schema', ns.nspname
FROM pg_catalog.pg_description d
JOIN ns ON d.classoid = 'pg_catalog.pg_namespace'::regclass AND d.objoid = ns.oid
WHERE NOT (ns.nspname = 'public' AND d.description = 'standard public schema')
UNION ALL
SELECT 'comment on constraint', co.conname::text || ' on ' || ns.nspname || '.' || c.relname
FROM pg_catalog.pg_description d
JOIN pg_catalog.pg_constraint co ON d.classoid = 'pg_catalog.pg_constraint'::regclass AND d.objoid = co.oid
JOIN pg_catalog.pg_class c ON c.oid = co.conrelid JOIN ns ON ns.oid = c.relnamespace
UNION ALL
SELECT 'comment on constraint', co.conname::text || ' on domain ' || ns.nspname || '.' || t.typname
FROM pg_catalog.pg_description d
JOIN pg_catalog.pg_constraint co ON d.classoid = 'pg_catalog.pg_constraint'::regclass AND d.objoid = co.oid
JOIN pg_catalog.pg_type t ON t.oid = co.contypid JOIN ns ON ns.oid = t.typnamespace
UNION ALL
SELECT 'comment on collation', ns.nspname || '.' || co.collname
FROM pg_catalog.pg_description d
JOIN pg_catalog.pg_collation co ON d.classoid = 'pg_catalog.pg_collation'::regclass AND d.objoid = co.oid
JOIN ns ON ns.oid = co.collnamespace
UNION ALL
SELECT 'event trigger', et.evtname::text
FROM pg_catalog.pg_event_trigger et
ORDER BY 1, 2

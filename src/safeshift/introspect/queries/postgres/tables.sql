-- One row per table, partitioned table and stand-alone composite type (relkind 'c') of the chosen schemas
-- that no extension owns: what columns.sql's rows belong to, by relid.  Kept apart from the columns so that
-- their 20,000 rows on a thousand tables do not each repeat their table's name, kind and comment (a third
-- of the columns query's time and of its text), and so the two run side by side on the libpq reader's lanes.
SELECT c.oid::int8 AS relid,
       n.nspname::text AS schema,
       c.relname::text AS table,
       c.relkind::text AS relkind,
       c.relispartition AS is_partition,
       inh.oid IS NOT NULL AS inherits,
       -- declarative partitioning, one column (NULL for every other table): {partition key, bound, parent
       -- schema, parent name}, evaluated only for partitioned tables and partitions
       CASE WHEN c.relkind = 'p' OR c.relispartition THEN
           ARRAY[pg_catalog.pg_get_partkeydef(c.oid), pg_catalog.pg_get_expr(c.relpartbound, c.oid)]
           || (SELECT ARRAY[pn.nspname::text, pc.relname::text] FROM pg_catalog.pg_inherits pi
               JOIN pg_catalog.pg_class pc ON pc.oid = pi.inhparent
               JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
               WHERE pi.inhrelid = c.oid AND c.relispartition)
       END AS partitioning,
       td.description AS table_comment
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
-- table inheritance (INHERITS), not partitioning: a parent of kind 'r' on either side
LEFT JOIN (SELECT inhrelid AS oid FROM pg_catalog.pg_inherits i
           JOIN pg_catalog.pg_class p ON p.oid = i.inhparent AND p.relkind = 'r'
           UNION
           SELECT inhparent FROM pg_catalog.pg_inherits i
           JOIN pg_catalog.pg_class p ON p.oid = i.inhparent AND p.relkind = 'r') inh ON inh.oid = c.oid
LEFT JOIN pg_catalog.pg_description td
       ON td.objoid = c.oid AND td.classoid = 'pg_catalog.pg_class'::regclass AND td.objsubid = 0
-- include relations.inc

-- One row per column of every table (a table without columns gives one row with attnum NULL), and per
-- attribute of every stand-alone composite type (relkind 'c': the same catalog rows, read in the same scan).
-- Unordered: sorting 20,000 wide rows spills to disk; the reader orders columns by attnum.
SELECT n.nspname::text AS schema,
       c.relname::text AS table,
       c.relkind::text AS relkind,
       c.relispartition AS is_partition,
       inh.oid IS NOT NULL AS inherits,
       -- declarative partitioning, one column (NULL for every other table, so the 20,000 rows of a large
       -- schema carry one more NULL): {partition key, bound, parent schema, parent name}, evaluated only
       -- for partitioned tables and partitions
       CASE WHEN c.relkind = 'p' OR c.relispartition THEN
           ARRAY[pg_catalog.pg_get_partkeydef(c.oid), pg_catalog.pg_get_expr(c.relpartbound, c.oid)]
           || (SELECT ARRAY[pn.nspname::text, pc.relname::text] FROM pg_catalog.pg_inherits pi
               JOIN pg_catalog.pg_class pc ON pc.oid = pi.inhparent
               JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
               WHERE pi.inhrelid = c.oid AND c.relispartition)
       END AS partitioning,
       td.description AS table_comment,
       a.attnum,
       a.attname::text AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       t.typtype::text AS typtype,
       a.attnotnull AS notnull,
       -- defaults cannot reference columns: relid 0 skips opening the table for every call
       -- looked up only for the columns that have one, through the index: a join made the planner hash
       -- every column row (20,000 wide rows on a thousand tables) to match a tenth as many defaults
       CASE WHEN a.atthasdef THEN (
           SELECT pg_catalog.pg_get_expr(ad.adbin, CASE WHEN a.attgenerated <> '' THEN ad.adrelid ELSE 0 END)
           FROM pg_catalog.pg_attrdef ad WHERE ad.adrelid = a.attrelid AND ad.adnum = a.attnum) END AS default,
       a.attidentity::text AS identity,
       a.attgenerated::text AS generated,
       CASE WHEN co.oid IS NULL THEN NULL
            WHEN cn.nspname IN ('pg_catalog', 'public') THEN co.collname::text
            ELSE '"' || replace(cn.nspname, '"', '""') || '"."' || replace(co.collname, '"', '""') || '"' END
           AS collation,  -- spelled as types.sql spells it
       a.attcollation AS collation_oid,  -- for index keys, whose collation may differ
       cd.description AS comment,
       -- per-column planner and storage settings the model does not carry: refused by name, not left out
       -- (the cheap tests first: this runs for every column)
       CASE WHEN a.attstattarget >= 0 OR a.attstorage <> t.typstorage OR a.attcompression <> ''
                 OR (a.attoptions IS NOT NULL AND (pg_catalog.cardinality(a.attoptions) > 3
                     OR a.attoptions[1] LIKE 'n\_distinct%%' OR a.attoptions[2] LIKE 'n\_distinct%%'
                     OR a.attoptions[3] LIKE 'n\_distinct%%'))
            THEN NULLIF(pg_catalog.concat_ws(', ',
           CASE WHEN COALESCE(a.attstattarget, -1) <> -1 THEN 'SET STATISTICS ' || a.attstattarget END,
           CASE WHEN a.attstorage <> t.typstorage THEN 'SET STORAGE ' || CASE a.attstorage WHEN 'p' THEN 'PLAIN'
                WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END END,
           CASE WHEN a.attcompression IN ('p', 'l') THEN 'SET COMPRESSION '
                || CASE a.attcompression WHEN 'p' THEN 'pglz' ELSE 'lz4' END END,
           -- n_distinct and n_distinct_inherited are the options PostgreSQL defines; some builds keep their
           -- own bookkeeping in attoptions (e.g. pg_attver=...), which no user sets
           -- (the test above looks element by element: printing the array for every column cost more than
           -- the rest of the settings together)
           'SET (' || (SELECT pg_catalog.string_agg(o, ', ') FROM pg_catalog.unnest(a.attoptions) o
                       WHERE o LIKE 'n\_distinct%%') || ')'
       ), '') END AS column_options
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
-- table inheritance (INHERITS), not partitioning: a parent of kind 'r' on either side
LEFT JOIN (SELECT inhrelid AS oid FROM pg_catalog.pg_inherits i
           JOIN pg_catalog.pg_class p ON p.oid = i.inhparent AND p.relkind = 'r'
           UNION
           SELECT inhparent FROM pg_catalog.pg_inherits i
           JOIN pg_catalog.pg_class p ON p.oid = i.inhparent AND p.relkind = 'r') inh ON inh.oid = c.oid
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> t.typcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
LEFT JOIN pg_catalog.pg_description td
       ON td.objoid = c.oid AND td.classoid = 'pg_catalog.pg_class'::regclass AND td.objsubid = 0
LEFT JOIN pg_catalog.pg_description cd
       ON cd.objoid = c.oid AND cd.classoid = 'pg_catalog.pg_class'::regclass AND cd.objsubid = a.attnum
WHERE c.relkind IN ('r', 'p', 'c')
  AND n.nspname::text = ANY (%(schemas)s::text[])
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  -- an extension's composite type is its member through the type, not the relation
  AND NOT (c.relkind = 'c' AND EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = c.reltype AND d.deptype = 'e'))

-- One row per column of every table that tables.sql lists, and per attribute of every stand-alone composite
-- type (relkind 'c': the same catalog rows, read in the same scan), by the table's relid; a table without
-- columns has no row here.  Unordered: sorting 20,000 wide rows spills to disk; the reader orders columns by
-- attnum.  The relations are tables.sql's (relations.inc).
SELECT a.attrelid::int8 AS relid,
       a.attnum,
       a.attname::text AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
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
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> t.typcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
LEFT JOIN pg_catalog.pg_description cd
       ON cd.objoid = c.oid AND cd.classoid = 'pg_catalog.pg_class'::regclass AND cd.objsubid = a.attnum
-- include relations.inc

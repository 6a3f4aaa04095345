-- Primary keys, uniques, checks, foreign keys and exclusion constraints of every table.
-- Key columns come as attribute numbers (the reader names them from the columns query),
-- which spares a subquery per constraint; only foreign keys name the referenced columns.
-- Unordered: the model sorts constraints by name.  i.indnullsnotdistinct (PostgreSQL 15+)
-- is replaced by false for older servers.
SELECT n.nspname::text AS schema,
       c.relname::text AS table,
       con.conname::text AS name,
       con.contype::text AS type,
       con.conkey::int2[] AS attnums,
       rn.nspname::text AS ref_schema,
       rc.relname::text AS ref_table,
       CASE WHEN con.contype = 'f' THEN
       -- one index probe per key column: a join here read every column of the referenced table and
       -- sorted them, a quarter of this query's time on a thousand tables
       ARRAY(SELECT (SELECT a.attname::text FROM pg_catalog.pg_attribute a
                     WHERE a.attrelid = con.confrelid AND a.attnum = k.attnum)
             FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
             ORDER BY k.ord)
       END AS ref_columns,
       con.confupdtype::text AS on_update,
       con.confdeltype::text AS on_delete,
       con.confmatchtype::text AS match_type,
       con.condeferrable AS deferrable,
       con.condeferred AS deferred,
       CASE WHEN con.contype = 'c' THEN pg_catalog.pg_get_expr(con.conbin, con.conrelid)
            WHEN con.contype = 'x' THEN pg_catalog.pg_get_constraintdef(con.oid) END AS expression,
       COALESCE(i.indnullsnotdistinct, false) AS nulls_not_distinct
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = con.conindid AND con.contype = 'u'
WHERE con.contype IN ('p', 'u', 'c', 'f', 'x')
  -- what a partition holds because its parent does (a key or foreign key cloned from the parent's, a
  -- check inherited, also one merged when the partition was attached) and the per-partition copies of a
  -- foreign key that references a partitioned table are implied by the parent's: not listed
  AND con.conparentid = 0 AND con.coninhcount = 0
  AND c.relkind IN ('r', 'p')
  AND n.nspname::text = ANY (%(schemas)s::text[])

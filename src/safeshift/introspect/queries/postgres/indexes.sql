-- Indexes of tables and materialized views that do not back a primary key, unique or exclusion constraint.
-- Keys come as the catalog's arrays (attribute numbers, 0 for an expression; options;
-- operator class and collation oids) and the reader names them: the columns query knows
-- the attribute names and collations, and two small lookups the operator classes and
-- collations, which spares several subqueries per key.  Only expression indexes get the
-- text of each key.  Unordered: the model sorts indexes by name.  i.indnullsnotdistinct
-- (PostgreSQL 15+) is replaced by false for older servers.
SELECT n.nspname::text AS schema,
       c.relname::text AS table,
       ic.relname::text AS name,
       i.indisunique AS is_unique,
       am.amname::text AS method,
       i.indnkeyatts AS nkeys,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS predicate,
       CASE WHEN i.indexprs IS NOT NULL THEN pg_catalog.pg_get_indexdef(i.indexrelid) END AS definition,
       i.indnullsnotdistinct AS nulls_not_distinct,
       i.indkey::int2[] AS attnums,
       i.indoption::int2[] AS options,
       i.indclass::oid[] AS opclasses,
       i.indcollation::oid[] AS collations,
       CASE WHEN i.indexprs IS NOT NULL
            THEN ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true)
                       FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k) END AS expressions
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname::text = ANY (%(schemas)s::text[])
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_constraint con
      WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
  -- a partition's index attached to its parent's index is implied by it (PostgreSQL builds it with the parent's)
  AND NOT (c.relispartition AND EXISTS (
      SELECT 1 FROM pg_catalog.pg_inherits ih WHERE ih.inhrelid = i.indexrelid))

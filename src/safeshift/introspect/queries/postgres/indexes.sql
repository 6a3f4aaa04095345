-- Indexes that do not back a primary key, unique or exclusion constraint, with their keys.
SELECT n.nspname::text AS schema,
       c.relname::text AS table,
       ic.relname::text AS name,
       i.indisunique AS is_unique,
       am.amname::text AS method,
       i.indnkeyatts AS nkeys,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS predicate,
       CASE WHEN i.indexprs IS NOT NULL THEN pg_catalog.pg_get_indexdef(i.indexrelid) END AS definition,
       COALESCE((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false) AS nulls_not_distinct,
       (SELECT json_agg(json_build_object(
                   'column', a.attname,
                   'expression', CASE WHEN k.attnum = 0
                                      THEN pg_catalog.pg_get_indexdef(i.indexrelid, k.ord::int, true) END,
                   'option', i.indoption[k.ord - 1],
                   'opclass', (SELECT opc.opcname::text FROM pg_catalog.pg_opclass opc
                               WHERE opc.oid = i.indclass[k.ord - 1] AND NOT opc.opcdefault),
                   'collation', (SELECT col.collname::text FROM pg_catalog.pg_collation col
                                 WHERE col.oid = i.indcollation[k.ord - 1]
                                   AND col.oid <> COALESCE(a.attcollation, 0)
                                   AND (k.attnum <> 0 OR col.oid <> 100)))
                ORDER BY k.ord)
        FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
        LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
       ) AS elements
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE c.relkind IN ('r', 'p')
  AND n.nspname::text = ANY (%(schemas)s::text[])
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_constraint con
      WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY n.nspname, c.relname, ic.relname

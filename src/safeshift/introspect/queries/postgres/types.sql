-- Domains with their CHECK constraints, and collations, in the chosen schemas: one round trip for both
-- kinds, which schemas hold few of (stand-alone composite types come with columns.sql, whose scan of
-- pg_class finds them for free).  One row per object; kind 'd' (domain) or 'l' (collation).  names/defs
-- are a domain's check names and expressions.  A collation is spelled bare in pg_catalog and public, else
-- "schema"."name" (as columns.sql spells it).
-- co.colllocale (PostgreSQL 17+) is replaced by co.colliculocale on 15 and 16.  An extension's own
-- objects are never listed.
WITH ns AS (
    SELECT n.oid, n.nspname::text AS nspname
    FROM pg_catalog.pg_namespace n
    WHERE n.nspname::text = ANY (%(schemas)s::text[])
)
SELECT ns.nspname AS schema,
       t.typname::text AS name,
       'd' AS kind,
       pg_catalog.format_type(t.typbasetype, t.typtypmod) AS base,
       t.typnotnull AS notnull,
       t.typdefault AS default,
       CASE WHEN co.oid IS NULL THEN NULL
            WHEN cn.nspname IN ('pg_catalog', 'public') THEN co.collname::text
            ELSE '"' || replace(cn.nspname, '"', '""') || '"."' || replace(co.collname, '"', '""') || '"' END
           AS collation,
       chk.names,
       chk.defs,
       NULL::text AS provider, NULL::text AS locale, NULL::text AS lc_collate, NULL::text AS lc_ctype,
       true AS deterministic
FROM pg_catalog.pg_type t
JOIN ns ON ns.oid = t.typnamespace
JOIN pg_catalog.pg_type b ON b.oid = t.typbasetype
LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation AND t.typcollation <> b.typcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
LEFT JOIN LATERAL (
    SELECT array_agg(c.conname::text ORDER BY c.conname) AS names,
           array_agg(pg_catalog.pg_get_expr(c.conbin, 0) ORDER BY c.conname) AS defs
    FROM pg_catalog.pg_constraint c
    WHERE c.contypid = t.oid AND c.contype = 'c') chk ON true
WHERE t.typtype = 'd'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend m WHERE m.classid = 'pg_catalog.pg_type'::regclass
                  AND m.objid = t.oid AND m.objsubid = 0 AND m.deptype = 'e')
UNION ALL
SELECT ns.nspname, co.collname::text, 'l', NULL, false, NULL, NULL, NULL, NULL,
       CASE co.collprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' WHEN 'b' THEN 'builtin'
            ELSE co.collprovider::text END,
       co.colllocale, co.collcollate, co.collctype, co.collisdeterministic
FROM pg_catalog.pg_collation co
JOIN ns ON ns.oid = co.collnamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend m WHERE m.classid = 'pg_catalog.pg_collation'::regclass
                  AND m.objid = co.oid AND m.objsubid = 0 AND m.deptype = 'e')

"""Rehearsals on PostgreSQL: copies built with pg_dump/pg_restore (or COPY samples), locks read from pg_locks."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safeshift.dialects.postgres.filters import USER_SCHEMA
from safeshift.engines import processes
from safeshift.engines.base import CopySpec, Lock, engine_for
from safeshift.engines.postgres.tools import error_line, find_pg_tool, pg_tool_conninfo, run

if TYPE_CHECKING:
    from safeshift.dialects.base import Dialect
    from safeshift.model import Schema


_PG_LOCKS = (
    "SELECT l.virtualtransaction, l.locktype, l.mode, n.nspname, c.relname, l.relation::bigint "
    "FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation "
    "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE l.pid = pg_catalog.pg_backend_pid() AND l.granted"
)
#: tables whose rows a copy samples: ordinary (leaf) tables, not catalogs, not extension members;
#: with the columns a COPY can write (not dropped, not generated), in order
_PG_TABLES = (
    "SELECT n.nspname, c.relname, ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a "
    "WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum) "
    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    f"WHERE c.relkind = 'r' AND {USER_SCHEMA} "
    "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass "
    "AND d.objid = c.oid AND d.deptype = 'e') ORDER BY 1, 2"
)
#: sequences that have a value, with the table that owns each (a serial or identity column's), if any
_PG_SEQUENCES = (
    "SELECT s.schemaname, s.sequencename, s.last_value, tn.nspname, t.relname FROM pg_catalog.pg_sequences s "
    "JOIN pg_catalog.pg_namespace sn ON sn.nspname = s.schemaname "
    "JOIN pg_catalog.pg_class sc ON sc.relnamespace = sn.oid AND sc.relname = s.sequencename "
    "LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = sc.oid "
    "AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i') "
    "LEFT JOIN pg_catalog.pg_class t ON t.oid = d.refobjid "
    "LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace "
    "WHERE s.last_value IS NOT NULL"
)
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")
#: one identifier as written: quoted (``""`` inside for a quote) or bare
_IDENT = r'(?:"(?:[^"]|"")+"|[^\s(),;."]+)'
#: a possibly schema-qualified name: ``"public"."order items"``, ``public.t``, ``t``
_NAME = rf"(?P<rel>{_IDENT}(?:\s*\.\s*{_IDENT})*)"
_PART = re.compile(_IDENT)
#: what a statement run outside a transaction locks, per the PostgreSQL documentation
_PG_DOCUMENTED = (
    (re.compile(r"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                rf"(?:{_IDENT}\s+)?ON\s+(?:ONLY\s+)?{_NAME}", re.IGNORECASE), "ShareUpdateExclusiveLock"),
    (re.compile(rf"^\s*DROP\s+INDEX\s+CONCURRENTLY\s+(?:IF\s+EXISTS\s+)?{_NAME}", re.IGNORECASE),
     "ShareUpdateExclusiveLock"),
    (re.compile(rf"^\s*REINDEX\s+(?:\([^)]*\)\s*)?\w+\s+CONCURRENTLY\s+{_NAME}", re.IGNORECASE),
     "ShareUpdateExclusiveLock"),
    (re.compile(rf"^\s*(?:VACUUM|ANALYZE)\b(?:\s*\([^)]*\))?\s*{_NAME}?", re.IGNORECASE),
     "ShareUpdateExclusiveLock"),
    # a backfill's batches (one UPDATE each, run alone by the runner): writers go on, rows of a batch wait for it
    (re.compile(rf"^\s*UPDATE\s+(?:ONLY\s+)?{_NAME}", re.IGNORECASE), "RowExclusiveLock"),
)


def relation_name(written: str) -> str:
    """A relation name as written in SQL, as pg_locks' rows are shown: ``"public"."order_items"`` →
    ``public.order_items``.  Quotes come off each part (``""`` is one quote); bare parts fold to
    lower case as PostgreSQL folds them."""
    parts = []
    for m in _PART.finditer(written):
        part = m.group(0)
        parts.append(part[1:-1].replace('""', '"') if part.startswith('"') else part.lower())
    return ".".join(parts)


class PostgresRehearsal:
    def locks(self, conn: Any, hidden_schemas: Collection[str] = ()) -> tuple[str | None, list[Lock]]:
        txn: str | None = None
        out: list[Lock] = []
        for vxid, locktype, mode, schema, name, oid in conn.execute(_PG_LOCKS).fetchall():
            txn = txn or vxid
            if locktype != "relation":
                continue
            if schema is not None and (schema in _SYSTEM_SCHEMAS or schema in hidden_schemas
                                       or schema.startswith("pg_toast")):
                continue
            relation = f"{schema}.{name}" if schema is not None else f"oid {oid} (dropped)"
            out.append(Lock(locktype, mode, relation))
        return txn, sorted(out, key=lambda lk: (lk.relation or "", lk.mode))

    def documented_locks(self, sql: str) -> list[Lock]:
        for pattern, mode in _PG_DOCUMENTED:
            m = pattern.match(sql)
            if m is not None:
                return [Lock("relation", mode, relation_name(m["rel"] or "") or None, documented=True)]
        return []

    def build_copy(self, dialect: Dialect, source: str, scratch: str, spec: CopySpec) -> str:

        engine = engine_for(dialect).backup_engine()
        src_major = engine.server_version(source)[0]
        dst_major = engine.server_version(scratch)[0]
        dump = find_pg_tool("pg_dump", src_major)
        restore = find_pg_tool("pg_restore", max(src_major, dst_major))
        src_info, src_env = pg_tool_conninfo(source)
        dst_info, dst_env = pg_tool_conninfo(scratch)
        restore_cmd = [str(restore), "--no-owner", "--no-acl", "--exit-on-error", "--no-password", "-d", dst_info]
        if spec.mode == "data":
            _pipe([str(dump), "-Fc", "--no-password", "-d", src_info], src_env,
                  [*restore_cmd, "--single-transaction"], dst_env)
            return "a fresh pg_dump of the source restored with pg_restore"
        with tempfile.TemporaryDirectory(prefix="safeshift-rehearse-") as tmp:
            schema_file = str(Path(tmp) / "schema.dump")
            _tool([str(dump), "-Fc", "--schema-only", "--no-password", "-f", schema_file, "-d", src_info], src_env,
                  "pg_dump --schema-only of the source")
            _tool([*restore_cmd, "--single-transaction", "--section=pre-data", schema_file], dst_env,
                  "pg_restore --section=pre-data into the scratch copy")
            self._copy_rows(dialect, source, scratch, spec.rows or 0, spec.schema, spec.history_tables,
                            spec.history_schema)
            _tool([*restore_cmd, "--single-transaction", "--section=post-data", schema_file], dst_env,
                  "pg_restore --section=post-data into the scratch copy")
        if spec.mode == "sample":
            return f"pg_dump --schema-only of the source, at most {spec.rows} rows per table (rows whose " \
                   "foreign keys point outside the sample removed), then indexes and constraints"
        if spec.history_tables:
            shown = ", ".join(f"{nsp}.{rel}" for nsp, rel in spec.history_tables)
            return f"pg_dump --schema-only of the source (with the history rows of safeshift and {shown})"
        return "pg_dump --schema-only of the source (with safeshift's history rows)"

    def _copy_rows(self, dialect: Dialect, source: str, scratch: str, rows: int, schema: Schema,
                   history_tables: tuple[tuple[str, str], ...] = (), history_schema: str | None = None) -> None:
        """The history tables whole and up to ``rows`` rows of every other table, in one snapshot of the source.

        History tables are safeshift's (its whole ``history_schema``) and ``history_tables`` (drizzle's),
        so the copy knows what is applied; their sequences (drizzle's ``id serial``) follow, so
        the next row a migration records does not collide.  Runs between pre-data and
        post-data, so no key or foreign key is there yet to get in the way; rows referencing
        rows that were not sampled are deleted before post-data creates the foreign keys.
        """
        from psycopg import sql

        src = engine_for(dialect).connect(source, create=False)
        dst = engine_for(dialect).connect(scratch)
        try:
            src.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            for nsp, rel, cols in src.execute(_PG_TABLES).fetchall():
                whole = nsp == history_schema or (nsp, rel) in history_tables
                if not whole and rows <= 0:
                    continue
                table = sql.Identifier(nsp, rel)
                if not cols:
                    continue
                col_list = sql.SQL(", ").join(sql.Identifier(c) for c in cols)
                limit = sql.SQL("") if whole else sql.SQL(" LIMIT {}").format(sql.Literal(rows))
                out_q = sql.SQL("COPY (SELECT {} FROM ONLY {}{}) TO STDOUT").format(col_list, table, limit)
                in_q = sql.SQL("COPY {} ({}) FROM STDIN").format(table, col_list)
                with src.cursor() as sc, dst.cursor() as dc, sc.copy(out_q) as cout, dc.copy(in_q) as cin:
                    for chunk in cout:
                        cin.write(chunk)
            if rows > 0:
                engine_for(dialect).delete_orphans(dst, schema)
            for nsp, name, last, owner_nsp, owner_rel in src.execute(_PG_SEQUENCES).fetchall():
                if rows > 0 or (owner_nsp, owner_rel) in history_tables:
                    dst.execute("SELECT pg_catalog.setval(%s, %s)", (dialect.qualify(nsp, name), last))
            dst.commit()
        finally:
            src.close()
            dst.close()


def _tool(cmd: list[str], env: Mapping[str, str], what: str) -> None:
    run(cmd, dict(env), f"Could not build the scratch copy: {what}")


def _pipe(first: list[str], first_env: Mapping[str, str], second: list[str], second_env: Mapping[str, str]) -> None:
    """``first | second`` (pg_dump into pg_restore) without a file in between; both killed on Ctrl-C."""
    processes.pipe(
        first, second,
        lambda err, code: f"Could not build the scratch copy: pg_dump of the source failed: "
                          f"{error_line(err, code).rstrip('.')}.",
        lambda err, code: f"Could not build the scratch copy: pg_restore failed: {error_line(err, code).rstrip('.')}.",
        first_env=first_env, second_env=second_env)

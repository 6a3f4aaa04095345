"""Lock-safe forms of MySQL and MariaDB changes on tables that already hold rows: the online DDL clauses.

Without an ``ALGORITHM`` clause the server picks the cheapest algorithm it can, and falls back to
``ALGORITHM=COPY`` without a word: a full copy of the table that blocks every write until it ends.  So each
statement here says which algorithm it expects (``ALGORITHM=INSTANT``: a catalog change; or
``ALGORITHM=INPLACE, LOCK=NONE``: built in place while writes go on), and a server that cannot honour it
refuses the statement (errors 1845/1846) instead of copying.  What only a copy can do (most type changes,
a CHECK, dropping the primary key, a FULLTEXT or SPATIAL index, which lock writes for the build) has no
lock-safe form: it is refused with the recipe.

Which algorithm applies depends on the operation and on the server (``Server``): MariaDB adds and drops
columns INSTANT from 10.4 (10.3 at the end), MySQL adds them INSTANT at the end from 8.0.12 and anywhere,
and drops them, from 8.0.29.  The version comes in ``SafeContext.server_version`` when the caller has a
live server to ask; without it the clauses are those every supported server (MariaDB 10.5+, MySQL 8.0.19+)
honours, and where they differ, ``INPLACE, LOCK=NONE``, which the one that can do better still runs online.

A foreign key is added INPLACE only with ``foreign_key_checks`` off, which also skips checking the rows
already there; safeshift checks them first with a query that fails when a row references nothing, then adds
the key in place with the checks off for that one statement.  Rows written between the check and the ALTER
are not checked (the window is the check's own length); PostgreSQL's NOT VALID + VALIDATE has no such gap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, Protocol

from safeshift import changes as ch
from safeshift.dialects.mysql.types import enum_values
from safeshift.dialects.safe import Refusal, SafeContext, SafeRender
from safeshift.dialects.statement import Statement

if TYPE_CHECKING:
    from safeshift.dialects.base import ConstraintKind
    from safeshift.model import Column, ForeignKey, Index, Schema, Table

Algorithm = Literal["INSTANT", "INPLACE", "COPY"]
_RANK: dict[Algorithm, int] = {"INSTANT": 0, "INPLACE": 1, "COPY": 2}
INSTANT = ", ALGORITHM=INSTANT"
INPLACE = ", ALGORITHM=INPLACE, LOCK=NONE"
#: why NULL -> NOT NULL has no lock-safe form: it is no ALGORITHM=COPY, but its in-place rebuild ends by
#: replaying every write made meanwhile under an exclusive metadata lock, and that is the stall (measured by
#: bench/write_stall_mysql.py on MariaDB 10.11: 1.8 s on a quiet machine; pt-osc's chunked copy: 44 ms)
NOT_NULL_REBUILD = ("NULL -> NOT NULL rebuilds the whole table (the server cannot do it INSTANT or NOCOPY), and "
                    "the rebuild ends by replaying the writes made meanwhile under an exclusive lock that blocks "
                    "every writer, for seconds on a busy large table; pt-online-schema-change stops at a row "
                    "holding NULL")
#: the recipe's chunk size: pt-osc's chunks aimed at 20 ms, as safeshift's own backfill batches are
#: (``backfill_batch_ms``), instead of its default 0.5 s, which is how long a writer to a row of the chunk waits
CHUNK_TIME = "--chunk-time=0.02"


class MySQLText(Protocol):
    """What the lock-safe forms ask of the MySQL renderer (``MySQLRender``), named here so this module, which
    the renderer imports, never imports it back."""

    def quote(self, ident: str) -> str: ...

    def render(self, change: ch.Change) -> list[Statement]: ...

    def index_sql(self, table: str, ix: Index) -> str: ...

    def default_constraint_name(self, kind: ConstraintKind, table: str, columns: Sequence[str]) -> str | None: ...

    def between(self, before: Schema, after: Schema) -> MySQLText: ...


@dataclass(frozen=True)
class Server:
    """The server family and version the clauses are chosen for; ``mariadb`` None: not known."""

    mariadb: bool | None = None
    version: tuple[int, int, int] = (0, 0, 0)

    @classmethod
    def parse(cls, text: str | None) -> Server:
        """``10.11.9-MariaDB-1:10.11.9+maria~ubu2204`` or ``8.0.36`` (what ``SELECT VERSION()`` says)."""
        if not text:
            return cls()
        m = re.match(r"(?:5\.5\.5-)?(\d+)\.(\d+)\.(\d+)", text)
        if m is None:
            return cls()
        return cls("mariadb" in text.lower(), (int(m[1]), int(m[2]), int(m[3])))

    def at_least(self, mariadb: tuple[int, int, int], mysql: tuple[int, int, int]) -> bool:
        """Whether this server is at least ``mariadb`` (a MariaDB) or ``mysql`` (a MySQL); unknown: no."""
        if self.mariadb is None:
            return False
        return self.version >= (mariadb if self.mariadb else mysql)

    @property
    def instant_drop_column(self) -> bool:
        return self.at_least((10, 4, 0), (8, 0, 29))

    @property
    def instant_rename_column(self) -> bool:
        return self.at_least((10, 5, 0), (8, 0, 28))

    @property
    def instant_metadata(self) -> bool:
        """A column's default or comment, a table's comment, a CHECK dropped, a VARCHAR widened: catalog-only
        changes MariaDB does INSTANT and MySQL in place."""
        return self.mariadb is True


def render(d: MySQLText, change: ch.Change, ctx: SafeContext) -> SafeRender | None:
    """The online form of ``change`` on a table that already holds rows; None: the plain form (a table this
    direction creates, or a statement that is a catalog change by nature: RENAME TABLE, DROP TABLE)."""
    table = getattr(change, "table", None)
    schema = getattr(change, "schema", None)
    if not isinstance(table, str) or not isinstance(schema, str):
        return None
    existing = ctx.existing(schema, table)
    if existing is None:
        return None
    server = Server.parse(ctx.server_version)
    if isinstance(change, ch.AddColumn):
        return _add_column(d, change, existing, ctx)
    if isinstance(change, ch.DropColumn):
        return _drop_column(d, change, existing, server)
    if isinstance(change, ch.RenameColumn):
        return _with(d, change, INSTANT if server.instant_rename_column else INPLACE)
    if isinstance(change, ch.AlterColumn):
        return _alter_column(d, change, existing, server, ctx)
    if isinstance(change, ch.CreateIndex):
        return _create_index(d, change, ctx)
    if isinstance(change, ch.DropIndex):
        return SafeRender([_clause(_as_alter(d, st, table), INPLACE) for st in d.render(change)])
    if isinstance(change, ch.AddForeignKey):
        return _add_foreign_key(d, change, ctx)
    if isinstance(change, ch.AddCheck):
        return _copy_only(d, change, ctx, f"{table}.{change.check.name or 'check'}",
                          "adding a CHECK checks every row under ALGORITHM=COPY, a full table copy that blocks writes")
    if isinstance(change, ch.DropPrimaryKey):
        after = ctx.after.table(schema, table) if ctx.after is not None else None
        if server.mariadb is not False and after is not None and _clustered_by_unique(existing, after):
            return _with(d, change, INPLACE)  # MariaDB: InnoDB clusters the rows by a NOT NULL unique key instead
        return _copy_only(d, change, ctx, f"{table} primary key",
                          "dropping the primary key (without adding another in the same statement) copies the "
                          "table (ALGORITHM=COPY), blocking writes")
    if isinstance(change, ch.DropCheck | ch.SetTableComment):
        return _with(d, change, INSTANT if server.instant_metadata else INPLACE)
    if isinstance(change, ch.AddPrimaryKey | ch.AddUnique | ch.DropUnique | ch.DropForeignKey | ch.RenameIndex):
        return _with(d, change, INPLACE)
    return None


# -- pieces -------------------------------------------------------------------------------------------

def _with(d: MySQLText, change: ch.Change, clause: str) -> SafeRender:
    """The plain statements, each ALTER TABLE ending with ``clause``."""
    return SafeRender([_clause(st, clause) for st in d.render(change)])


def _clause(st: Statement, clause: str) -> Statement:
    sql = st.sql.rstrip()
    if not sql.upper().startswith("ALTER TABLE ") or not sql.endswith(";"):
        return st
    return replace(st, sql=f"{sql[:-1]}{clause};")


def _as_alter(d: MySQLText, st: Statement, table: str) -> Statement:
    """``DROP INDEX i ON t;`` as ``ALTER TABLE t DROP INDEX i;``: MariaDB takes no ALGORITHM in DROP INDEX."""
    m = re.fullmatch(r"DROP INDEX (`(?:[^`]|``)+`) ON `(?:[^`]|``)+`;", st.sql.strip())
    return replace(st, sql=f"ALTER TABLE {d.quote(table)} DROP INDEX {m[1]};") if m else st


def _copy_only(d: MySQLText, change: ch.Change, ctx: SafeContext, target: str, reason: str) -> SafeRender:
    """Refused going up; going down (``ctx.refuse`` False) the plain form, with a comment saying it copies."""
    table = getattr(change, "table", "")
    if not ctx.refuse:
        plain = d.render(change)
        note = f"{reason}; for a large table undo it with pt-online-schema-change or gh-ost instead"
        return SafeRender([replace(plain[0], comment=note), *plain[1:]] if plain else [])
    action = _action(plain_sql(d, change))
    # a MODIFY run again after the copy restates what is there (a no-op the server accepts); anything else
    # would fail on what the copy already made or removed, so the migration must not run it again
    again = ("(its MODIFY then finds nothing left to change)" if isinstance(change, ch.AlterColumn) else
             "with its statement replaced by a comment saying the copy made it (then `safeshift rehash`), since "
             "running it again would fail")
    # a table other tables reference: pt-osc must be told how to point their keys at the copy (its "auto" may
    # pick drop_swap, which it refuses on MariaDB it takes for MySQL 8); with its own sessions' foreign-key
    # checks off, re-pointing the children's keys is in place instead of a copy of each child
    children = any(fk.ref_table == table for t in ctx.before.tables for fk in t.foreign_keys if t.name != table)
    flags = f" {CHUNK_TIME}"
    flags += " --alter-foreign-keys-method=rebuild_constraints --no-check-foreign-keys" if children else ""
    recipe = (f"copy the table online with pt-online-schema-change (pt-online-schema-change --alter "
              f"\"{action}\"{flags} D=<database>,t={table} --execute) or gh-ost, outside the migration, then keep "
              f"this change in a migration written with --no-safe {again}; or use --no-safe alone for a small table")
    return SafeRender([], Refusal(target, reason, recipe))


def plain_sql(d: MySQLText, change: ch.Change) -> str:
    return " ".join(st.sql for st in d.render(change))


def _action(sql: str) -> str:
    """``ALTER TABLE `t` MODIFY COLUMN ...;`` -> ``MODIFY COLUMN ...`` (what pt-online-schema-change's --alter
    takes), backquotes dropped so the recipe can be pasted into a shell."""
    body = re.sub(r"^ALTER TABLE\s+`(?:[^`]|``)+`\s+", "", sql.strip().rstrip(";"))
    return body.replace("`", "").replace('"', '\\"')


# -- columns ------------------------------------------------------------------------------------------

def _add_column(d: MySQLText, change: ch.AddColumn, table: Table, ctx: SafeContext) -> SafeRender | None:
    col = change.column
    where = f"{change.table}.{col.name}"
    if col.needs_backfill and not change.backfill and ctx.refuse and not ctx.expand:
        recipe = (f"give {col.name} a default, or add it nullable, backfill it in a custom migration (`safeshift "
                  "generate --custom`), and make it NOT NULL in a later migration; `--expand` writes the first step")
        return SafeRender([], Refusal(where, "a NOT NULL column without a default gets the type's implicit value "
                                      "(0, '') in every existing row, which the app cannot tell from real data",
                                      recipe))
    if col.generated is not None and col.generated.stored:
        return _copy_only(d, change, ctx, where, "a STORED generated column is computed for every row under "
                          "ALGORITHM=COPY, a table copy that blocks writes")
    if col.serial:
        return _copy_only(d, change, ctx, where, "an AUTO_INCREMENT column numbers every row under a lock that "
                          "blocks writes (LOCK=NONE is refused)")
    # the renderer adds at the end, which MariaDB 10.3+ and MySQL 8.0.12+ do INSTANT, but not beside a FULLTEXT index
    return _with(d, change, INPLACE if _has_fulltext(table) else INSTANT)


def _drop_column(d: MySQLText, change: ch.DropColumn, table: Table, server: Server) -> SafeRender:
    name = change.column.name
    # a primary key column goes with a DropPrimaryKey of its own, judged (and ordered before this) on its own
    keyed = (table.primary_key.columns if table.primary_key is not None else ())
    indexed = name in keyed or any(name in u.columns for u in table.uniques) or any(
        any(e.value == name for e in ix.elements) for ix in table.indexes)
    instant = server.instant_drop_column and not indexed and not _has_fulltext(table)
    return _with(d, change, INSTANT if instant else INPLACE)


def _alter_column(d: MySQLText, change: ch.AlterColumn, table: Table, server: Server,
                  ctx: SafeContext) -> SafeRender | None:
    verdict, why = alter_algorithm(change.old, change.new, table, server)
    if verdict == "COPY":
        return _copy_only(d, change, ctx, f"{change.table}.{change.new.name}", why)
    return _with(d, change, INSTANT if verdict == "INSTANT" else INPLACE)


def alter_algorithm(old: Column, new: Column, table: Table, server: Server) -> tuple[Algorithm, str]:
    """The cheapest algorithm ``MODIFY COLUMN`` from ``old`` to ``new`` can run with on ``server``, and for
    COPY why.  The worst of each aspect that changes; review's ``mysql-table-copy`` asks the same."""
    worst: Algorithm = "INSTANT"
    why = ""

    def worse(algorithm: Algorithm, reason: str = "") -> None:
        nonlocal worst, why
        if _RANK[algorithm] > _RANK[worst]:
            worst, why = algorithm, reason

    meta: Algorithm = "INSTANT" if server.instant_metadata else "INPLACE"
    if old.type != new.type:
        kind, reason = type_change(old.type, new.type, _bytes_per_char(new, table), server)
        worse(kind, reason)
    if old.collation != new.collation:
        a, b = _charset(old.collation or _table_collation(table)), _charset(new.collation or _table_collation(table))
        if a is not None and b is not None and a != b:
            worse("COPY", f"changing the character set ({a} -> {b}) converts every value under ALGORITHM=COPY, "
                  "a table copy that blocks writes")
        else:
            worse("INPLACE")
    if old.nullable and not new.nullable:
        worse("COPY", NOT_NULL_REBUILD)
    elif old.nullable != new.nullable:
        worse("INPLACE")  # NOT NULL -> NULL: MariaDB does it INSTANT only sometimes
    if old.serial != new.serial:
        worse("COPY", "adding or removing AUTO_INCREMENT copies the table (ALGORITHM=COPY), blocking writes")
    if old.generated != new.generated:
        stored = (old.generated is not None and old.generated.stored) or (new.generated is not None and new.generated.stored)
        worse("COPY" if stored else "INPLACE", "changing a STORED generated column recomputes every row under "
              "ALGORITHM=COPY, a table copy that blocks writes")
    if old.default_sql != new.default_sql or old.comment != new.comment or old.on_update != new.on_update:
        worse(meta)
    return worst, why


def type_change(old: str, new: str, bytes_per_char: int | None, server: Server) -> tuple[Algorithm, str]:
    """What changing a column's type from ``old`` to ``new`` takes: a VARCHAR widened (within its length-byte
    class on MySQL) or an ENUM/SET with values appended (same storage size) is a catalog change; anything
    else converts every value under ALGORITHM=COPY."""
    copy = (f"{old} -> {new} converts every value under ALGORITHM=COPY, a table copy that blocks writes")
    a, b = _sized(old, "varchar"), _sized(new, "varchar")
    if a is not None and b is not None:
        if b < a:
            return "COPY", copy
        if server.mariadb is True:
            return "INSTANT", ""
        if server.mariadb is False and bytes_per_char is not None and (a * bytes_per_char <= 255) != (b * bytes_per_char <= 255):
            return "COPY", (f"{old} -> {new} crosses 255 bytes, where MySQL stores the length in two bytes "
                            "instead of one: ALGORITHM=COPY, a table copy that blocks writes")
        return "INPLACE", ""  # MySQL: in place within the length-byte class (an unknown server refuses otherwise)
    for kind, sizes in (("enum", (255, 65535)), ("set", (8, 16, 24, 32, 64))):
        olds, news = _members(old, kind), _members(new, kind)
        if olds is not None and news is not None:
            appended = news[:len(olds)] == olds
            same_size = next(s for s in sizes if len(olds) <= s) >= len(news)
            if appended and same_size:
                return "INSTANT", ""
            return "COPY", (f"{old} -> {new} {'reorders or removes values' if not appended else 'grows its storage'}"
                            ", which rewrites every row under ALGORITHM=COPY, a table copy that blocks writes")
    return "COPY", copy


def _sized(type_: str, base: str) -> int | None:
    m = re.fullmatch(rf"{base}\((\d+)\)", type_)
    return int(m[1]) if m else None


def _members(type_: str, kind: str) -> list[str] | None:
    if not type_.startswith(f"{kind}(") or not type_.endswith(")"):
        return None
    return enum_values(type_[len(kind) + 1:-1])


def _table_collation(table: Table) -> str | None:
    return next((o.split("=", 1)[1] for o in table.options if o.startswith("collate=")), None)


def _charset(collation: str | None) -> str | None:
    """``utf8mb4_general_ci`` -> ``utf8mb4``; None when the collation (hence the charset) is not known."""
    if not collation:
        return None
    head = collation.split("_", 1)[0].lower()
    return "utf8mb3" if head == "utf8" else head


def _bytes_per_char(col: Column, table: Table) -> int | None:
    """Most bytes one character takes in ``col``'s character set; None when the set is not known."""
    cs = _charset(col.collation or _table_collation(table))
    if cs is None:
        return None
    return {"latin1": 1, "ascii": 1, "binary": 1, "utf8mb3": 3, "utf8mb4": 4, "ucs2": 2, "utf16": 4,
            "utf32": 4}.get(cs, 4)


def _clustered_by_unique(table: Table, after: Table) -> bool:
    """Whether ``table`` has a unique key on NOT NULL columns only that the change keeps (``after`` has it too):
    InnoDB clusters the rows by it once the primary key is gone, so MariaDB drops the key in place."""
    required = {c.name for c in table.columns if not c.nullable}
    return any(set(u.columns) <= required and u in after.uniques for u in table.uniques)


def _has_fulltext(table: Table) -> bool:
    return any(ix.method == "fulltext" for ix in table.indexes)


# -- indexes and keys ---------------------------------------------------------------------------------

def _create_index(d: MySQLText, change: ch.CreateIndex, ctx: SafeContext) -> SafeRender:
    ix = change.index
    if ix.method in ("fulltext", "spatial"):
        return _copy_only(d, change, ctx, f"{change.table}.{ix.name}", f"a {ix.method.upper()} index is built "
                          "under LOCK=SHARED, so every write to the table waits for the whole build")
    sql = d.index_sql(change.table, ix).rstrip().rstrip(";")
    return SafeRender([Statement(f"{sql} ALGORITHM=INPLACE LOCK=NONE;")])


def _add_foreign_key(d: MySQLText, change: ch.AddForeignKey, ctx: SafeContext) -> SafeRender:
    """Check the rows already there (a query that fails when one references nothing), then add the key in
    place with ``foreign_key_checks`` off for the ALTER alone (the only way InnoDB adds a foreign key without a
    copy).  Where no index serves the key, the ALTER builds the key's own index online, and its last phase
    holds writers while it replays the rows written meanwhile (93-100 ms on a 2,000,000-row table taking
    inserts, bench/write_stall_mysql.py; building the index first in a statement of its own measured no better,
    58-154 ms at that index's end, and was not kept).

    Each statement is undone on its own, in its step's block: a run stopped after the check has nothing to
    undo, while the change's inverse would drop a key that is not there (MySQL has no DROP FOREIGN KEY IF
    EXISTS)."""
    fk = change.foreign_key
    plain = d.render(change)
    check = Statement(orphan_check(d, change.table, fk), comment=(
        f"fails with 'Subquery returns more than 1 row' when a row of {change.table} references no row of "
        f"{fk.ref_table}: fix those rows first. The key is then added in place (ALGORITHM=INPLACE needs "
        "foreign_key_checks off, which skips the server's own check of the existing rows)"))
    # the ALTER's undo: the key's drop, and the drop of the index the server made for it where it made one, told
    # as the down section tells it, from the schema this migration leaves
    down = d.between(ctx.after, ctx.before) if ctx.after is not None else d
    undo = [_clause(st, INPLACE) for st in down.render(change.inverse())]
    # the check reads and the setting ends with the session: a block that says so, so a run stopped after them
    # undoes them by running nothing (a step without a block would mean "not undone alone")
    nothing = [Statement("SELECT 1;", comment="the orphan check and the session setting leave nothing to undo")]
    return SafeRender([
        check,
        Statement("SET SESSION foreign_key_checks = 0;"),
        *[_clause(st, INPLACE) for st in plain],
        Statement("SET SESSION foreign_key_checks = 1;"),
    ], undo_each=[nothing, [], undo, *[[] for _ in plain[1:]], []])


def orphan_check(d: MySQLText, table: str, fk: ForeignKey) -> str:
    """A statement that fails (error 1242) when a row of ``table`` holds a key ``fk`` finds no row for, and
    otherwise reads without locking (a consistent read): MATCH SIMPLE, so a key with a NULL part is not checked."""
    q = d.quote
    present = " AND ".join(f"c.{q(c)} IS NOT NULL" for c in fk.columns)
    join = " AND ".join(f"p.{q(r)} = c.{q(c)}" for c, r in zip(fk.columns, fk.ref_columns, strict=True))
    orphans = (f"SELECT 1 FROM {q(table)} c WHERE {present} AND NOT EXISTS "
               f"(SELECT 1 FROM {q(fk.ref_table)} p WHERE {join})")
    return f"SELECT (SELECT 1 UNION ALL SELECT 1 FROM DUAL WHERE EXISTS ({orphans})) AS orphans_check;"


__all__ = ["CHUNK_TIME", "NOT_NULL_REBUILD", "Server", "alter_algorithm", "orphan_check", "render", "type_change"]

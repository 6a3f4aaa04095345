"""The rules over pglast parse trees: each statement kind goes to its handler, which yields Hits.

A handler sees one statement and the file's state so far (tables created earlier, a
``lock_timeout`` seen, the transaction it runs in, NOT VALID checks validated), so that
``CREATE TABLE t …; CREATE INDEX … ON t`` is not a lock hazard and the four-step
``SET NOT NULL`` recipe is recognised as safe.  Handlers only say *what* is wrong; the
severity (new tables, live facts, acknowledgement) is decided once, in ``sql.py``.

The handlers live by the family of statement they judge (``columns``, ``constraints``,
``alter_table``, ``objects``, ``data_loss``, ``maintenance``, ``session``); this module holds
the table from statement kind to handler, the one-rule handlers, DO blocks (which recurse into
the dispatch) and the token-level check for identifiers PostgreSQL would truncate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import ObjectType
from pglast.parser import scan

from safeshift.lint.alter_table import alter_table
from safeshift.lint.constraints import alter_domain, create_domain
from safeshift.lint.context import Ctx, Hit
from safeshift.lint.data_loss import delete, drop, drop_database, truncate, update
from safeshift.lint.maintenance import cluster, reindex, vacuum
from safeshift.lint.objects import (
    alter_enum,
    alter_sequence,
    create_function,
    create_index,
    create_table,
    create_table_as,
    create_view,
    grant,
    rename,
    set_schema,
)
from safeshift.lint.session import transaction, variable_set

MAX_IDENTIFIER_BYTES = 63


def long_identifiers(sql: str) -> Iterator[Hit]:
    """Identifiers over 63 bytes, from the raw tokens: the parser has already truncated them."""
    seen: set[str] = set()
    try:
        tokens = scan(sql)  # offsets are character positions, end inclusive
    except Exception:
        return
    for tok in tokens:
        if tok.name != "IDENT":
            continue
        raw = sql[tok.start:tok.end + 1]
        name = raw[1:-1].replace('""', '"') if raw.startswith('"') else raw
        size = len(name.encode("utf-8"))
        if size > MAX_IDENTIFIER_BYTES and name not in seen:
            seen.add(name)
            yield Hit("identifier-too-long", f"{name!r} is {size} bytes; PostgreSQL keeps only the first "
                      f"{MAX_IDENTIFIER_BYTES}, so the object gets a different name than the one written.")


def _const(rule: str) -> Callable[[Any, Ctx], Iterator[Hit]]:
    def handler(node: Any, ctx: Ctx) -> Iterator[Hit]:
        yield Hit(rule)
    return handler


_DO_BODY = re.compile(r"^\s*BEGIN\s+(?P<body>.*?)\s*(?:\bEXCEPTION\b.*)?\bEND\s*;?\s*$", re.IGNORECASE | re.DOTALL)


def do_block(node: Any, ctx: Ctx) -> Iterator[Hit]:
    """Look inside simple DO blocks (drizzle-kit wraps foreign keys in ``DO $$ BEGIN … EXCEPTION …``)."""
    body = next((a.arg.sval for a in node.args or ()
                 if isinstance(a, ast.DefElem) and a.defname == "as" and isinstance(a.arg, ast.String)), None)
    m = _DO_BODY.match(body or "")
    if m is None:
        return
    try:
        inner = parse_sql(m["body"])
    except Exception:  # PL/pgSQL beyond plain SQL statements: not ours to judge
        return
    for raw in inner:
        yield from check(raw.stmt, ctx, line=0)


HANDLERS: dict[type, Callable[[Any, Ctx], Iterator[Hit]]] = {
    ast.AlterTableStmt: alter_table,
    ast.CreateStmt: create_table,
    ast.CreateTableAsStmt: create_table_as,
    ast.IndexStmt: create_index,
    ast.DropStmt: drop,
    ast.DropdbStmt: drop_database,
    ast.TruncateStmt: truncate,
    ast.DeleteStmt: delete,
    ast.UpdateStmt: update,
    ast.VacuumStmt: vacuum,
    ast.ClusterStmt: cluster,
    ast.ReindexStmt: reindex,
    ast.VariableSetStmt: variable_set,
    ast.RenameStmt: rename,
    ast.AlterObjectSchemaStmt: set_schema,
    ast.AlterEnumStmt: alter_enum,
    ast.CreateDomainStmt: create_domain,
    ast.AlterDomainStmt: alter_domain,
    ast.CreateFunctionStmt: create_function,
    ast.ViewStmt: create_view,
    ast.GrantStmt: grant,
    ast.AlterSeqStmt: alter_sequence,
    ast.AlterFunctionStmt: _const("alter-function-options"),
    ast.AlterRoleStmt: _const("alter-role-options"),
    ast.AlterRoleSetStmt: _const("alter-role-options"),
    ast.AlterDatabaseStmt: _const("alter-database-options"),
    ast.AlterDatabaseSetStmt: _const("alter-database-options"),
    ast.AlterSystemStmt: _const("alter-system-options"),
    ast.AlterExtensionStmt: _const("alter-extension"),
    ast.AlterExtensionContentsStmt: _const("alter-extension"),
    ast.CreatePolicyStmt: _const("create-policy"),
    ast.AlterPolicyStmt: _const("alter-policy"),
    ast.DoStmt: do_block,
}


def check(node: Any, ctx: Ctx, line: int) -> Iterator[Hit]:
    """Every hit for one parsed statement."""
    if isinstance(node, ast.TransactionStmt):
        yield from transaction(node, ctx, line)
        return
    if isinstance(node, ast.AlterTableStmt) and node.objtype == ObjectType.OBJECT_INDEX:
        return
    handler = HANDLERS.get(type(node))
    if handler is not None:
        yield from handler(node, ctx)

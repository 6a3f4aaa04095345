"""PostgreSQL's dialect (``PostgresDialect``): what it can do, and the questions the rest of safeshift asks
of it — canonical spellings, data-loss verdicts, lock-safe forms, lock timeouts.

The class is assembled from its facets, each in its own module: ``clauses`` (the DDL fragments) and
``render`` (one method per Change kind of tables, columns, constraints, indexes and views) and ``objects``
(extensions, functions, triggers, row-level security and policies) and ``usertypes`` (domains, composite
types, collations) and ``privileges`` (GRANT, REVOKE) by inheritance; ``normalize`` (canonical spellings), ``types``
(the type algebra behind the data-loss verdict) and ``safe`` (the lock-safe forms) through the methods
below.  ``safe``, and pglast under ``normalize``, are imported only when a question needs them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from safeshift.dialects.base import Capabilities, Statement
from safeshift.dialects.postgres import normalize
from safeshift.dialects.postgres.normalize import SERIAL_TYPES
from safeshift.dialects.postgres.objects import PgObjects
from safeshift.dialects.postgres.privileges import PgPrivileges
from safeshift.dialects.postgres.render import PgRender
from safeshift.dialects.postgres.usertypes import PgTypes

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect as SADialect

    from safeshift import changes as ch
    from safeshift.dialects.backfill import Backfill
    from safeshift.dialects.problems import Problem
    from safeshift.dialects.safe import SafeContext, SafeRender
    from safeshift.model import IndexElement, Schema, View


class PostgresDialect(PgObjects, PgTypes, PgPrivileges, PgRender):
    name = "postgresql"
    default_schema = "public"
    capabilities = Capabilities(transactional_ddl=True, concurrent_index=True, not_valid=True,
                                advisory_lock=True, hazard_review=True, one_round_trip=True,
                                drizzle_folders=True)
    relaxed_commit_sql = "SET LOCAL synchronous_commit = off"
    max_identifier_length = 63
    #: PostgreSQL's table lock modes (pg_locks.mode), weakest to strongest
    lock_modes = ("AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
                  "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock")
    serial_types = SERIAL_TYPES

    # -- normalisation -------------------------------------------------------------------
    def normalize_type(self, type_sql: str) -> str:
        return normalize.normalize_type(type_sql)

    def normalize_default(self, default_sql: str, column_type: str) -> str:
        return normalize.normalize_default(default_sql, column_type)

    def normalize_expression(self, sql: str) -> str:
        return normalize.normalize_expression(sql)

    def index_keys(self, create_index_sql: str) -> tuple[IndexElement, ...]:
        from safeshift.dialects.postgres.index_keys import index_keys  # pglast: only when keys are text

        return index_keys(create_index_sql)

    def normalize_view(self, sql: str) -> str:
        return normalize.normalize_view(sql)

    def view_dependencies(self, view: View) -> frozenset[tuple[str, str]]:
        from safeshift.dialects.postgres import expressions

        return expressions.view_relations(view.definition, self.default_schema)

    def sqlalchemy_dialect(self) -> SADialect:
        """The psycopg-less default dialect, with a paramstyle that keeps ``%`` single in literals."""
        from sqlalchemy.dialects import postgresql

        return postgresql.dialect(paramstyle="named")  # type: ignore[no-untyped-call]

    # -- validation ------------------------------------------------------------------------
    def schema_problems(self, schema: Schema) -> list[Problem]:
        """What a stock server would refuse: an index key without a default operator class, an extension's
        type, operator class or access method while the schema does not create the extension."""
        from safeshift.dialects.postgres import opclasses

        return opclasses.problems(schema)

    # -- running migrations ----------------------------------------------------------------
    def database_name(self, url: str) -> str:
        from psycopg.conninfo import conninfo_to_dict

        try:
            params = conninfo_to_dict(re.sub(r"^(postgres(?:ql)?)\+[A-Za-z0-9_]+:", r"\1:", url.strip()))
        except Exception:
            return super().database_name(url)
        return str(params.get("dbname") or params.get("user") or super().database_name(url))

    def can_apply(self, change: ch.Change) -> bool:
        return True

    def data_loss(self, change: ch.Change) -> str | None:
        """A type change every old value survives (int -> bigint, varchar(n) -> text) loses nothing."""
        from safeshift import changes as ch

        if isinstance(change, ch.AlterColumn) and change.old.type != change.new.type \
                and change.old.generated == change.new.generated:
            from safeshift.dialects.postgres.types import binary_compatible, parse_type, widens

            old, new = parse_type(change.old.type), parse_type(change.new.type)
            if old is not None and new is not None and (widens(old, new) or binary_compatible(old, new)):
                return None
        return change.data_loss

    def render_safe(self, change: ch.Change, ctx: SafeContext) -> SafeRender | None:
        from safeshift.dialects.postgres import safe

        return safe.render(self, change, ctx)

    def lock_timeout_sql(self, value: str) -> Statement | None:
        return Statement(f"SET LOCAL lock_timeout = {self.literal(value)};")

    def backfill(self, sql: str) -> Backfill | None:
        if sql.lstrip()[:6].upper() != "UPDATE":  # the cheap test first: most statements are not
            return None
        from safeshift.dialects.postgres import backfill

        return backfill.parse(sql)

    def cap_lock_timeout(self, sql: str, max_ms: int) -> str:
        m = _SET_LOCK_TIMEOUT.fullmatch(sql.strip())
        if m is None or max_ms <= 0:
            return sql
        value = int(m["n"]) * _GUC_UNIT_MS[(m["unit"] or "ms").lower()]
        if 0 < value <= max_ms:  # 0 means no limit at all
            return sql
        return f"SET {m['scope']} lock_timeout = '{max_ms}ms';"


__all__ = ["PostgresDialect"]


_SET_LOCK_TIMEOUT = re.compile(
    r"SET\s+(?P<scope>LOCAL|SESSION)\s+lock_timeout\s*(?:=|TO)\s*'?\s*(?P<n>\d+)\s*(?P<unit>ms|s|min|h|d)?\s*'?\s*;?",
    re.IGNORECASE)
_GUC_UNIT_MS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}

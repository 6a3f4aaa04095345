"""How PostgreSQL changes a column in place (``AlterColumn``): one ``ALTER COLUMN`` aspect at a time —
generated expression, serial default and sequence, identity, type (with the USING cast it needs),
default, nullability, comment — in an order the server accepts.

Both the plain rendering (``render``) and the lock-safe forms (``safe``, through the dialect's
``alter_column_statements``) start from these statements, so the logic sits apart from either.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from safeshift.dialects.base import Statement
from safeshift.dialects.postgres.clauses import PgClauses, default_start
from safeshift.dialects.postgres.normalize import BUILTIN_NAMES
from safeshift.model import Identity

if TYPE_CHECKING:  # the change classes load only where a change is rendered
    from safeshift import changes as ch


class AlterColumn:
    """The statements for one AlterColumn, one aspect at a time, in an order PostgreSQL accepts."""

    def __init__(self, dialect: PgClauses, change: ch.AlterColumn) -> None:
        self.d = dialect
        self.c = change
        self.old = change.old
        self.new = change.new
        self.col = dialect.quote(change.new.name)

    def alter(self, action: str) -> Statement:
        return self.d._alter(self.c.schema, self.c.table, f"ALTER COLUMN {self.col} {action}")

    def statements(self) -> Iterator[Statement]:
        old, new = self.old, self.new
        if old.generated != new.generated and new.generated is not None:
            yield from self.recreate_generated()
            return
        if old.generated is not None and new.generated is None:
            yield self.alter("DROP EXPRESSION")
        if old.serial and not new.serial:
            yield self.alter("DROP DEFAULT")
            yield Statement(f"DROP SEQUENCE {self.d._serial_sequence(self.c.schema, self.c.table, old.name)};")
        if old.identity is not None and new.identity is None:
            yield self.alter("DROP IDENTITY")
        type_changes = old.type != new.type or old.collation != new.collation
        default_blocks_type = type_changes and old.default is not None and old.type != new.type
        if default_blocks_type:
            yield self.alter("DROP DEFAULT")
        if type_changes:
            yield self.alter(self.type_action())
        if (old.default != new.default or default_blocks_type) and not new.serial:
            if new.default is not None:
                yield self.alter(f"SET DEFAULT {new.default_sql}")
            elif not default_blocks_type and not (old.serial and not new.serial):
                yield self.alter("DROP DEFAULT")
        if old.nullable != new.nullable and not (new.nullable and (new.serial or new.identity)):
            yield self.alter("DROP NOT NULL" if new.nullable else "SET NOT NULL")
        if new.serial and not old.serial:
            yield from self.add_serial()
        if new.identity is not None and old.identity is None:
            yield self.alter(f"ADD {self.d._identity_clause(new.identity, new.type)}")
        elif new.identity is not None and old.identity is not None and new.identity != old.identity:
            yield from self.alter_identity(old.identity, new.identity)
        if old.comment != new.comment:
            yield self.d._comment("COLUMN", self.d._column_target(self.c.schema, self.c.table, new.name),
                                  new.comment)

    def type_action(self) -> str:
        old, new = self.old, self.new
        sql = f"SET DATA TYPE {new.type}{self.d._collate(new.collation)}"
        if old.type == new.type or _same_base(old.type, new.type):
            return sql
        if _is_user_type(old.type) or _is_user_type(new.type):
            via = "text[]" if new.type.endswith("[]") else "text"
            return f"{sql} USING {self.col}::{via}::{new.type}"
        return f"{sql} USING {self.col}::{new.type}"

    def recreate_generated(self) -> Iterator[Statement]:
        """PostgreSQL cannot turn a column into a generated one in place: drop and re-add it."""
        yield self.d._alter(self.c.schema, self.c.table, f"DROP COLUMN {self.col}")
        yield self.d._alter(self.c.schema, self.c.table, f"ADD COLUMN {self.d.column_sql(self.new)}")
        if self.new.comment is not None:
            yield self.d._comment("COLUMN", self.d._column_target(self.c.schema, self.c.table, self.new.name),
                                  self.new.comment)

    def add_serial(self) -> Iterator[Statement]:
        seq = self.d._serial_sequence(self.c.schema, self.c.table, self.new.name)
        table = self.d._table(self.c.schema, self.c.table)
        yield Statement(f"CREATE SEQUENCE {seq} AS {self.new.type} OWNED BY {table}.{self.col};")
        yield Statement(f"SELECT setval({self.d.literal(seq)}, COALESCE(max({self.col}), 0) + 1, false) "
                        f"FROM {table};")
        yield self.alter(f"SET DEFAULT nextval({self.d.literal(seq)}::regclass)")
        if self.old.nullable:
            yield self.alter("SET NOT NULL")

    def alter_identity(self, old: Identity, new: Identity) -> Iterator[Statement]:
        opts: list[str] = []
        if old.always != new.always:
            opts.append("SET GENERATED " + ("ALWAYS" if new.always else "BY DEFAULT"))
        if old.increment != new.increment:
            opts.append(f"SET INCREMENT BY {new.increment if new.increment is not None else 1}")
        if old.minvalue != new.minvalue:
            opts.append(f"SET MINVALUE {new.minvalue}" if new.minvalue is not None else "SET NO MINVALUE")
        if old.maxvalue != new.maxvalue:
            opts.append(f"SET MAXVALUE {new.maxvalue}" if new.maxvalue is not None else "SET NO MAXVALUE")
        if old.start != new.start:
            opts.append(f"SET START WITH {default_start(new.start, new.increment, new.minvalue, new.maxvalue)}")
        if old.cache != new.cache:
            opts.append(f"SET CACHE {new.cache if new.cache is not None else 1}")
        if old.cycle != new.cycle:
            opts.append("SET CYCLE" if new.cycle else "SET NO CYCLE")
        if opts:
            yield self.alter(" ".join(opts))


def _base_name(type_name: str) -> str:
    return type_name.removesuffix("[]").split("(", 1)[0].strip()


def _same_base(a: str, b: str) -> bool:
    """Types that convert without an explicit cast, so no USING clause is needed: the same base type
    (modifiers aside) and array-ness.  Narrower than ``types.same_family`` (review's verdict, in
    which integer and bigint are one family): a change within a family may still need USING."""
    return _base_name(a) == _base_name(b) and a.endswith("[]") == b.endswith("[]")


def _is_user_type(type_name: str) -> bool:
    base = _base_name(type_name)
    return base not in BUILTIN_NAMES and not base.startswith(("timestamp", "time ", "interval", "bit"))

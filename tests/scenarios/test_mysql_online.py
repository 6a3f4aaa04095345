"""The lock-safe (online DDL) rendering of every portable scenario, applied on MariaDB with seeded rows.

Each scenario runs as the oracle runs it (create A, seed it, migrate to B and back, introspect after each
step), but rendered as ``generate`` writes it for tables that hold rows, with the server's own version in
the context: every ``ALGORITHM``/``LOCK`` clause safeshift emits must be accepted by the server (no error
1845/1846).  A change safeshift refuses because only a table copy could do it must be one the server
indeed cannot do online: its plain statement with ``ALGORITHM=INPLACE, LOCK=NONE`` is refused by the
server on the seeded table.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from safeshift.changes import Change
from safeshift.dialects import dialect_for_url
from safeshift.dialects.mysql.safe import INPLACE, NOT_NULL_REBUILD, Server, alter_algorithm
from safeshift.dialects.safe import SafeContext
from safeshift.diff import diff
from safeshift.engines import engine_for
from safeshift.errors import UnsafeChange
from safeshift.lint import review_sql
from safeshift.model import Column, ForeignKey, Table, make_schema
from safeshift.plan import plan, render
from safeshift.renames import RenameHints
from tests.oracle import Scenario, _check_rows, _expect, _Log, _seed, _snapshot, hints_for, schema_from
from tests.scenarios.test_mysql_scenarios import EXCLUDED
from tests.scenarios.test_scenarios import CATALOGUE

#: refusals that are not about a table copy (nothing to show the server would copy): data, and NULL -> NOT NULL,
#: which the server rebuilds in place but blocks writers at its end (``NOT_NULL_REBUILD``)
_NOT_A_COPY = ("NOT NULL column without a default", NOT_NULL_REBUILD[:40])


def _cases() -> list[object]:
    return [pytest.param(s, id=s.name) for s in CATALOGUE if "sqlite" in s.backends and s.name not in EXCLUDED]


def _server_version(conn: Any) -> str:
    return str(conn.execute("SELECT VERSION()").fetchone()[0])


def _run_online(s: Scenario, url: str) -> tuple[list[str], list[str]]:
    """The oracle with the lock-safe rendering; returns the SQL that ran up and the copy-only refusals'
    statements (each proven to be refused by the server with ALGORITHM=INPLACE)."""
    dialect = dialect_for_url(url)
    a, b = schema_from(s.a(), dialect), schema_from(s.b(), dialect)
    hints = hints_for(s, dialect)
    empty = make_schema(dialect.name)
    conn = engine_for(dialect).connect(url)
    try:
        version = _server_version(conn)
        log = _Log()
        log.run("create A", dialect, conn, render(diff(empty, a), empty, a, dialect).up)
        _seed(log, dialect, conn, a, dict(s.seed or {}))
        before = _snapshot(dialect, conn, a)
        changes = diff(a, b, hints)
        log.changes = changes
        try:
            sections = render(changes, a, b, dialect, safe=True, server_version=version)
        except UnsafeChange as refused:
            assert refused.targets and all(t in refused.message for t in refused.targets), refused.message
            return [], _prove_copies(dialect, conn, changes, a, b, version, refused)
        log.run("up (online)", dialect, conn, sections.up)
        _expect(log, dialect, conn, b, "after the online up")
        _check_rows(log, dialect, conn, a, b, before, hints or RenameHints(), s.lossy, "after the online up")
        if s.empty_before_down:
            return [st.sql for st in sections.up], []
        log.run("down (online)", dialect, conn, sections.down)
        _expect(log, dialect, conn, a, "after the online down")
        return [st.sql for st in sections.up], []
    finally:
        conn.close()


def _prove_copies(dialect: Any, conn: Any, changes: list[Change], a: Any, b: Any, version: str,
                  refused: UnsafeChange) -> list[str]:
    """The migration's plain statements on the seeded A, each ALTER asked to run online (``ALGORITHM=INPLACE,
    LOCK=NONE``): the server must refuse one with 1845/1846 (it would have copied the table).  Nothing to
    prove when every refusal is about data, not a copy."""
    ctx = SafeContext(a, frozenset(), after=b, server_version=version)
    copies: set[str] = set()
    for step in plan(changes, a, b, dialect):
        safe = dialect.render_safe(step.change, ctx)
        if safe is not None and safe.refusal is not None and not any(n in safe.refusal.reason for n in _NOT_A_COPY):
            copies.update(_online(st.sql) for st in dialect.render(step.change))
    if not copies:
        return []
    for step in plan(changes, a, b, dialect):
        for st in dialect.render(step.change):
            sql = _online(st.sql)
            try:
                conn.execute(sql)
            except Exception as exc:
                code = exc.args[0] if exc.args else None
                # the refused change's own statement, or one after it that its copy-only state forces (a unique
                # key left as the table's clustered index once the primary key is gone)
                assert code in (1845, 1846), f"{sql}: expected error 1845/1846, got {exc!r}"
                return [sql]
    raise AssertionError(f"the server ran every statement online, though safeshift refused {refused.targets}")


def _online(sql: str) -> str:
    sql = sql.rstrip().rstrip(";")
    return f"{sql}{INPLACE}" if sql.startswith("ALTER TABLE") else \
        f"{sql} ALGORITHM=INPLACE LOCK=NONE" if sql.startswith("CREATE") and " INDEX " in sql else sql


#: an ALTER of an existing table that changes it (what could copy it); RENAME TABLE and DROP TABLE are catalog-only
_ALTERS = re.compile(r"ALTER TABLE `(\w+)` (ADD|DROP|MODIFY|RENAME) ")


@pytest.mark.parametrize("scenario", _cases())
def test_online_scenario_on_mariadb(scenario: Scenario, mysql_url: str) -> None:
    ran, _ = _run_online(scenario, mysql_url)
    a = schema_from(scenario.a(), dialect_for_url(mysql_url))
    existing = {t.name for t in a.tables}
    for sql in ran:  # every ALTER of a table that held rows says how it must run: nothing is copied silently
        m = _ALTERS.match(sql)
        assert m is None or m[1] not in existing or "ALGORITHM=" in sql, sql
    # and review agrees: nothing safeshift wrote online is a table copy or a foreign key checked under a copy
    found = review_sql("\n".join(ran), dialect="mysql", schema=a)
    assert not [f for f in found if f.rule in ("mysql-table-copy", "adding-foreign-key-constraint")
                and f.severity != "info"], found  # info: on a table the same migration created


# -- the algorithm choices by server (pure) -------------------------------------------------------------

MARIADB = Server.parse("10.11.9-MariaDB-ubu2204")
MYSQL_OLD = Server.parse("8.0.19")
MYSQL_NEW = Server.parse("8.0.36")
T = Table("default", "t", (Column("id", "int", nullable=False),), options=("collate=utf8mb4_general_ci",))


def test_server_versions() -> None:
    assert (MARIADB.mariadb, MARIADB.version) == (True, (10, 11, 9))
    assert (MYSQL_NEW.mariadb, MYSQL_NEW.version) == (False, (8, 0, 36))
    assert Server.parse("5.5.5-10.4.2-MariaDB").version == (10, 4, 2)
    assert Server.parse(None).mariadb is None
    assert MARIADB.instant_drop_column and MYSQL_NEW.instant_drop_column and not MYSQL_OLD.instant_drop_column
    assert not Server().instant_drop_column  # unknown: the form every supported server honours


@pytest.mark.parametrize(("old", "new", "server", "want"), [
    ("varchar(20)", "varchar(40)", MARIADB, "INSTANT"),
    ("varchar(20)", "varchar(300)", MARIADB, "INSTANT"),
    ("varchar(20)", "varchar(40)", MYSQL_NEW, "INPLACE"),
    ("varchar(20)", "varchar(300)", MYSQL_NEW, "COPY"),  # utf8mb4: 80 -> 1200 bytes crosses 255
    ("varchar(20)", "varchar(300)", Server(), "INPLACE"),  # unknown: the server refuses if it cannot
    ("varchar(40)", "varchar(20)", MARIADB, "COPY"),
    ("int", "bigint", MARIADB, "COPY"),
    ("enum('a','b')", "enum('a','b','c')", MYSQL_OLD, "INSTANT"),
    ("enum('a','b')", "enum('b','a')", MARIADB, "COPY"),
    ("enum('a','b')", "enum('a')", MARIADB, "COPY"),
])
def test_type_changes(old: str, new: str, server: Server, want: str) -> None:
    got, why = alter_algorithm(Column("c", old), Column("c", new), T, server)
    assert got == want
    assert (why != "") == (want == "COPY")


def test_charset_change_copies_collation_change_does_not() -> None:
    base = Column("c", "varchar(20)", collation="utf8mb4_general_ci")
    assert alter_algorithm(base, Column("c", "varchar(20)", collation="utf8mb4_bin"), T, MARIADB)[0] == "INPLACE"
    assert alter_algorithm(base, Column("c", "varchar(20)", collation="latin1_swedish_ci"), T, MARIADB)[0] == "COPY"


def test_nullability_and_defaults() -> None:
    nullable = Column("c", "int")
    required = Column("c", "int", nullable=False)
    # NULL -> NOT NULL: an in-place rebuild whose end blocks writers, refused as a copy is (its reason says which)
    assert alter_algorithm(nullable, required, T, MARIADB) == ("COPY", NOT_NULL_REBUILD)
    assert alter_algorithm(nullable, required, T, MYSQL_NEW) == ("COPY", NOT_NULL_REBUILD)
    assert alter_algorithm(required, nullable, T, MARIADB)[0] == "INPLACE"
    assert alter_algorithm(nullable, Column("c", "int", default="5"), T, MARIADB)[0] == "INSTANT"
    stamped = Column("c", "datetime", default="current_timestamp()")
    refreshed = Column("c", "datetime", default="current_timestamp()", on_update="current_timestamp()")
    assert alter_algorithm(stamped, refreshed, T, MARIADB)[0] == "INSTANT"
    assert alter_algorithm(stamped, refreshed, T, Server())[0] == "INPLACE"


def test_new_tables_keep_the_plain_form() -> None:
    """A table the migration creates is empty: plain DDL, no clauses."""
    dialect = dialect_for_url("mysql://root@127.0.0.1/x")
    empty = make_schema(dialect.name)
    target = make_schema(dialect.name, tables=(T,))
    sections = render(diff(empty, target), empty, target, dialect, safe=True)
    assert sections.up and all("ALGORITHM" not in st.sql for st in sections.up)


def test_refusal_names_the_recipe() -> None:
    dialect = dialect_for_url("mysql://root@127.0.0.1/x")
    before = make_schema(dialect.name, tables=(T,))
    after = make_schema(dialect.name, tables=(Table("default", "t", (Column("id", "bigint", nullable=False),),
                                                    options=T.options),))
    with pytest.raises(UnsafeChange) as info:
        render(diff(before, after), before, after, dialect, safe=True, server_version="10.11.9-MariaDB")
    assert info.value.targets == ("t.id",)
    assert "ALGORITHM=COPY" in info.value.message
    assert ("pt-online-schema-change --alter \"MODIFY COLUMN id bigint NOT NULL\" --chunk-time=0.02 D=<database>,t=t"
            in info.value.message)
    plain = render(diff(before, after), before, after, dialect)
    assert [st.sql for st in plain.up] == ["ALTER TABLE `t` MODIFY COLUMN `id` bigint NOT NULL;"]


def test_the_recipe_for_a_referenced_table_says_how_to_move_its_children_keys() -> None:
    """pt-osc refuses a table other tables reference unless told how to point their keys at the copy (its "auto"
    may pick drop_swap, which 3.2.1 refuses on MariaDB); the recipe names rebuild_constraints, with the copy's
    sessions' foreign-key checks off so re-pointing a child's key is in place, not a copy of the child."""
    dialect = dialect_for_url("mysql://root@127.0.0.1/x")
    child = Table("default", "c", (Column("id", "int", nullable=False), Column("t_id", "int")),
                  foreign_keys=(ForeignKey("c_t_fk", ("t_id",), "default", "t", ("id",)),), options=T.options)
    wider = Table("default", "t", (Column("id", "bigint", nullable=False),), options=T.options)
    for tables, flags in (((T, child), True), ((T,), False)):
        before = make_schema(dialect.name, tables=tables)
        after = make_schema(dialect.name, tables=(wider, *tables[1:]))
        with pytest.raises(UnsafeChange) as info:
            render(diff(before, after), before, after, dialect, safe=True, server_version="10.11.9-MariaDB")
        said = "--alter-foreign-keys-method=rebuild_constraints --no-check-foreign-keys D=<database>,t=t"
        assert (said in info.value.message) is flags, info.value.message

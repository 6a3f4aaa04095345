"""`-- safeshift:undoes N` blocks: how the parser checks them, where the runner starts undoing, and what
generate writes for a migration that commits in several steps (one block per up step that starts a change)."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeshift import sections as text_sections
from safeshift.changes import AddCheck, AddColumn, AddUnique, AlterColumn, CreateIndex
from safeshift.dialects import get_dialect
from safeshift.errors import MigrationsError
from safeshift.formats import safeshift as migrations
from safeshift.model import Check, Column, Index, IndexElement, PrimaryKey, Table, Unique, make_schema
from safeshift.plan import render
from safeshift.schedule import steps
from safeshift.txsplit import step_numbers

UP = ("CREATE TABLE a (id int);\n-- safeshift:new-transaction\nALTER TABLE a ADD COLUMN b int;\n"
      "-- safeshift:no-transaction\nCREATE INDEX CONCURRENTLY a_b ON a (b);\n")


def _parse(down: str, up: str = UP) -> text_sections.Migration:
    text = f"-- migrate:up\n{up}\n-- migrate:down\n{down}\n"
    return text_sections.parse_migration(Path("migrations/20260101000001_x.sql"), text.encode())


def test_blocks_parse_and_start_steps_of_their_own() -> None:
    m = _parse("-- safeshift:undoes 3\nDROP INDEX CONCURRENTLY a_b;\n-- safeshift:undoes 2\n"
               "ALTER TABLE a DROP COLUMN b;\n-- safeshift:undoes 1\nDROP TABLE a;")
    assert [st.undoes for st in m.down_statements] == [3, 2, 1]
    assert len(steps(m.down_statements)) == 3  # a block always begins a new step
    assert text_sections.undo_start(m, 1) == 2 and text_sections.undo_start(m, 2) == 1 and text_sections.undo_start(m, 3) == 0


def test_a_file_without_blocks_cannot_be_undone_part_way() -> None:
    assert text_sections.undo_start(_parse("DROP TABLE a;"), 2) is None


@pytest.mark.parametrize(("down", "message"), [
    ("DROP TABLE a;\n-- safeshift:undoes 1\nSELECT 1;",
     "line 9: the down section has `-- safeshift:undoes N` blocks, so its first statement needs one too"),
    ("-- safeshift:undoes 4\nDROP TABLE a;", "`-- safeshift:undoes 4`, but the up section has 3 step(s)"),
    ("-- safeshift:undoes 1\nSELECT 1;\n-- safeshift:undoes 2\nDROP TABLE a;",
     "`-- safeshift:undoes 2` after `-- safeshift:undoes 1`; the blocks undo the up steps newest first"),
    ("-- safeshift:undoes x\nDROP TABLE a;", "`-- safeshift:undoes` takes the number of the up step it undoes"),
])
def test_wrong_blocks_are_refused_by_line(down: str, message: str) -> None:
    with pytest.raises(MigrationsError) as info:
        _parse(down)
    assert message in info.value.message, info.value.message


def test_a_block_in_the_up_section_is_refused() -> None:
    with pytest.raises(MigrationsError) as info:
        _parse("DROP TABLE a;", up="-- safeshift:undoes 1\nCREATE TABLE a (id int);")
    assert "belongs in the down section" in info.value.message


def _users() -> Table:
    return Table("public", "users", columns=(Column("id", "integer", nullable=False), Column("email", "text"),
                                             Column("name", "text")),
                 primary_key=PrimaryKey(None, ("id",)))


def test_generate_writes_one_block_per_step_that_starts_a_change() -> None:
    """The lock-safe form of four changes to a table with rows: each block undoes what began in its step,
    a change that spans steps (NOT NULL through a validated check, UNIQUE through a concurrent index) with
    statements that cope with any part of it done."""
    d = get_dialect("postgresql")
    old = make_schema("postgresql", tables=(_users(),))
    t = _users()
    name = Column("name", "text", nullable=False)
    new_t = Table("public", "users", columns=(t.columns[0], t.columns[1], name, Column("age", "integer")),
                  primary_key=t.primary_key, uniques=(Unique("users_email_key", ("email",)),),
                  checks=(Check("age_pos", "age > 0"),),
                  indexes=(Index("ix_users_name", (IndexElement("name"),)),))
    new = make_schema("postgresql", tables=(new_t,))
    changes = [AddColumn("public", "users", Column("age", "integer")),
               AlterColumn("public", "users", t.columns[2], name),
               AddUnique("public", "users", new_t.uniques[0]), AddCheck("public", "users", new_t.checks[0]),
               CreateIndex("public", "users", new_t.indexes[0])]
    sections = render(changes, old, new, d, safe=True)
    up_steps = max(step_numbers(sections.up)) + 1
    blocks = [st.undoes for st in sections.down if st.undoes is not None]
    assert blocks == sorted(blocks, reverse=True) and blocks[-1] == 1 and blocks[0] <= up_steps
    down = "\n".join(st.sql for st in sections.down)
    assert 'DROP CONSTRAINT IF EXISTS "users_name_not_null"' in down  # the helper check, if the run stopped there
    assert 'DROP CONSTRAINT IF EXISTS "users_email_key"' in down
    assert 'DROP INDEX CONCURRENTLY IF EXISTS "public"."users_email_key"' in down  # built, not yet attached
    assert 'ALTER COLUMN "name" DROP NOT NULL' in down
    text = migrations.render_file("20260101000001", "tighten", sections.up, sections.down, ["x"])
    m = text_sections.parse_migration(Path("migrations/20260101000001_tighten.sql"), text.encode())
    assert [st.undoes for st in m.down_statements if st.undoes] == blocks  # the file says it back


def test_a_one_transaction_migration_keeps_its_plain_down_section() -> None:
    d = get_dialect("postgresql")
    old = make_schema("postgresql", tables=(_users(),))
    new_t = Table("public", "users", columns=(*_users().columns, Column("age", "integer")),
                  primary_key=_users().primary_key)
    sections = render([AddColumn("public", "users", Column("age", "integer"))], old,
                      make_schema("postgresql", tables=(new_t,)), d, safe=True)
    assert all(st.undoes is None for st in sections.down)

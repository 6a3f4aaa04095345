"""Objects Python projects declare beside their SQLAlchemy metadata: DDL attached to create events and
alembic_utils entities listed in `objects`.  They run on the shadow database (the development server here)
and reach the migration, the database and `verify` like objects from SQL files; what SQLAlchemy would not
run on the dialect (``execute_if(dialect=...)``) is not read, a Python function listening is refused by
name, and a failure on the shadow is one sentence naming the listener and the server's message."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from safeshift.cli import main

TOUCH_BODY = '''"""RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$"""'''

USERS = """\
import sqlalchemy as sa

metadata = sa.MetaData()
users = sa.Table("users", metadata, sa.Column("id", sa.BigInteger, primary_key=True),
                 sa.Column("email", sa.Text, nullable=False),
                 sa.Column("updated_at", sa.DateTime(timezone=True)))
"""

LISTENERS = USERS + f"""
sa.event.listen(metadata, "before_create", sa.DDL("CREATE FUNCTION touch() " + {TOUCH_BODY}))
sa.event.listen(users, "after_create", sa.DDL(
    "CREATE TRIGGER %(table)s_touch BEFORE UPDATE ON %(fullname)s FOR EACH ROW EXECUTE FUNCTION touch()"))
sa.event.listen(users, "after_create", sa.DDL("ALTER TABLE %(fullname)s ENABLE ROW LEVEL SECURITY"))
sa.event.listen(users, "after_create", sa.DDL(
    "CREATE POLICY own_rows ON %(fullname)s FOR SELECT TO PUBLIC USING (email LIKE '%%@example.com')"))
# SQLite's trigger syntax: SQLAlchemy runs it on SQLite only, and so does safeshift
sa.event.listen(users, "after_create", sa.DDL(
    "CREATE TRIGGER sqlite_only AFTER INSERT ON users BEGIN SELECT 1; END").execute_if(dialect="sqlite"))
sa.Index("users_email_lite", users.c.email).ddl_if(dialect="sqlite")
# the inverse of the create listeners, for drop_all: accepted, not read
sa.event.listen(users, "before_drop", sa.DDL("DROP TRIGGER users_touch ON users"))
"""

ENTITIES = f"""\
from alembic_utils.pg_extension import PGExtension
from alembic_utils.pg_function import PGFunction
from alembic_utils.pg_policy import PGPolicy
from alembic_utils.pg_trigger import PGTrigger
from alembic_utils.pg_view import PGView

# listed before the function it calls: the order of an alembic_utils list is not a dependency order
users_touch = PGTrigger(schema="public", signature="users_touch", on_entity="public.users",
                        definition="BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.touch()")
touch = PGFunction(schema="public", signature="touch()", definition={TOUCH_BODY})
others = [
    PGPolicy(schema="public", signature="own_rows", on_entity="public.users",
             definition="AS PERMISSIVE FOR SELECT TO PUBLIC USING (email = current_user)"),
    PGView(schema="public", signature="user_emails", definition="SELECT id, email FROM public.users WHERE id > 0"),
    PGExtension(schema="public", signature="citext"),
]
"""


def _project(tmp_path: Path, url: str, models: str, *, entities: str | None = None,
             dialect: str = "postgresql") -> Path:
    """A project whose package has a fresh name: an imported module is cached for the whole test process."""
    package = f"app_{uuid.uuid4().hex[:8]}"
    root = tmp_path / "app"
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    (root / package / "models.py").write_text(models)
    objects = ""
    if entities is not None:
        (root / package / "entities.py").write_text(entities)
        objects = f'objects = ["{package}.entities"]\n'
    (root / "safeshift.toml").write_text(
        f'schema = "{package}.models:metadata"\n{objects}migrations = "migrations"\ndialect = "{dialect}"\n\n'
        f'[environments.development]\nurl = "{url}"\n')
    return root


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False, env={"SAFESHIFT_ENV": "development"})
    return result.exit_code, result.output


def _up_down(root: Path) -> tuple[str, str]:
    (migration,) = (root / "migrations").glob("*.sql")
    up, _, down = migration.read_text().partition("-- migrate:down")
    return up, down


def test_ddl_listeners_generate_apply_verify(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, pg_url, LISTENERS)
    monkeypatch.chdir(root)
    code, out = _run("generate", "--name", "listeners")
    assert code == 0, out
    up, down = _up_down(root)
    assert "CREATE OR REPLACE FUNCTION public.touch()" in up
    assert "CREATE TRIGGER users_touch BEFORE UPDATE ON public.users" in up
    assert 'ALTER TABLE "public"."users" ENABLE ROW LEVEL SECURITY' in up
    assert 'CREATE POLICY "own_rows" ON "public"."users"' in up and "'%@example.com'" in up
    assert "sqlite_only" not in up and "users_email_lite" not in up
    assert 'DROP TRIGGER "users_touch" ON "public"."users"' in down
    assert 'DROP POLICY "own_rows"' in down and 'DROP FUNCTION "public"."touch"()' in down

    code, out = _run("migrate", "--url", pg_url, "--yes")
    assert code == 0, out
    code, out = _run("verify", "--url", pg_url)
    assert code == 0, out
    code, out = _run("generate", "--name", "again")
    assert code == 0 and "no changes" in out, out

    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("DROP TRIGGER users_touch ON users")
    code, out = _run("verify", "--url", pg_url)
    assert code != 0, out
    assert "missing trigger users_touch on public.users" in out, out


def test_alembic_utils_entities_generate_apply_verify(pg_url: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, pg_url, USERS + 'sa.event.listen(users, "after_create", '
                    'sa.DDL("ALTER TABLE %(fullname)s ENABLE ROW LEVEL SECURITY"))\n', entities=ENTITIES)
    monkeypatch.chdir(root)
    code, out = _run("generate", "--name", "entities")
    assert code == 0, out
    up, down = _up_down(root)
    assert "CREATE OR REPLACE FUNCTION public.touch()" in up
    assert "CREATE TRIGGER users_touch BEFORE UPDATE ON public.users" in up
    assert 'CREATE POLICY "own_rows" ON "public"."users"' in up
    assert 'CREATE VIEW "public"."user_emails"' in up
    assert 'CREATE EXTENSION "citext"' in up
    assert 'DROP VIEW "public"."user_emails"' in down

    code, out = _run("migrate", "--url", pg_url, "--yes")
    assert code == 0, out
    code, out = _run("verify", "--url", pg_url)
    assert code == 0, out
    code, out = _run("generate", "--name", "again")
    assert code == 0 and "no changes" in out, out

    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("DROP POLICY own_rows ON users")
        c.execute("DROP VIEW user_emails")
    code, out = _run("verify", "--url", pg_url)
    assert code != 0, out
    assert "missing policy own_rows on public.users" in out, out
    assert "missing view public.user_emails" in out, out


def test_listeners_in_a_schema_of_the_models(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shadow creates the models' schemas as create_all needs them (unless the models' DDL did already);
    %(schema)s is substituted;
    FORCE ROW LEVEL SECURITY and a materialized view with its index are read."""
    models = textwrap.dedent("""\
        import sqlalchemy as sa

        metadata = sa.MetaData()
        orders = sa.Table("orders", metadata, sa.Column("id", sa.BigInteger, primary_key=True),
                          sa.Column("owner", sa.Text), schema="sales")
        # create_all does not create schemas: models often do it themselves, before the tables
        sa.event.listen(metadata, "before_create", sa.DDL("CREATE SCHEMA billing"))
        invoices = sa.Table("invoices", metadata, sa.Column("id", sa.BigInteger, primary_key=True), schema="billing")
        sa.event.listen(orders, "after_create", sa.DDL(
            "ALTER TABLE %(fullname)s ENABLE ROW LEVEL SECURITY; ALTER TABLE %(fullname)s FORCE ROW LEVEL SECURITY"))
        sa.event.listen(orders, "after_create", sa.DDL(
            "CREATE POLICY mine ON %(schema)s.%(table)s USING (owner = current_user)"))
        sa.event.listen(metadata, "after_create", sa.DDL(
            "CREATE MATERIALIZED VIEW sales.owners AS SELECT DISTINCT owner FROM sales.orders; "
            "CREATE UNIQUE INDEX owners_owner ON sales.owners (owner)"))
        """)
    root = _project(tmp_path, pg_url, models)
    monkeypatch.chdir(root)
    code, out = _run("generate", "--name", "sales")
    assert code == 0, out
    up, _ = _up_down(root)
    assert 'ALTER TABLE "sales"."orders" FORCE ROW LEVEL SECURITY' in up
    assert 'CREATE TABLE "billing"."invoices"' in up
    assert 'CREATE POLICY "mine" ON "sales"."orders"' in up
    assert 'CREATE UNIQUE INDEX "owners_owner" ON "sales"."owners"' in up
    code, out = _run("migrate", "--url", pg_url, "--yes")
    assert code == 0, out
    code, out = _run("verify", "--url", pg_url)
    assert code == 0, out


def test_failing_ddl_names_the_listener_and_the_servers_message(pg_url: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, pg_url, USERS + 'sa.event.listen(users, "after_create", sa.DDL(\n'
                    '    "CREATE TRIGGER broken BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION nope()"))\n')
    monkeypatch.chdir(root)
    code, out = _run("generate", "--name", "broken")
    assert code == 2, out
    assert out.strip() == (
        "error: The DDL listener on table public.users (after_create: CREATE TRIGGER broken BEFORE UPDATE ON "
        "users FOR EACH ROW EX...) failed on the shadow database: function nope() does not exist; fix it and "
        "try again."), out
    assert not (root / "migrations").exists() or not list((root / "migrations").glob("*.sql"))


def test_ddl_changing_a_declared_table_is_refused_naming_the_change(pg_url: str, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, pg_url, USERS + 'sa.event.listen(users, "after_create", sa.DDL(\n'
                    '    "CREATE INDEX users_email ON %(fullname)s (email)"))\n')
    monkeypatch.chdir(root)
    code, out = _run("generate", "--name", "index")
    assert code == 2, out
    assert "change tables, enums or sequences the SQLAlchemy metadata declares (create index " \
           "public.users_email); safeshift takes those from the metadata alone" in out, out


def test_entity_failure_names_the_entity(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entities = textwrap.dedent("""\
        from alembic_utils.pg_view import PGView

        bad = PGView(schema="public", signature="bad", definition="SELECT nothing FROM users")
        """)
    root = _project(tmp_path, pg_url, USERS, entities=entities)
    monkeypatch.chdir(root)
    code, out = _run("generate", "--name", "bad")
    assert code == 2, out
    assert ".entities.bad (PGView public.bad) failed on the shadow database: column \"nothing\" does not " \
           "exist" in out, out


def test_sqlite_ddl_listeners_read_on_a_sqlite_shadow(sqlite_url: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    models = textwrap.dedent("""\
        import sqlalchemy as sa

        metadata = sa.MetaData()
        items = sa.Table("items", metadata, sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("qty", sa.Integer), sa.Column("updated", sa.Text))
        sa.event.listen(items, "after_create", sa.DDL(
            "CREATE TRIGGER items_touch AFTER UPDATE OF qty ON items BEGIN "
            "UPDATE items SET updated = 'yes' WHERE id = new.id; END").execute_if(dialect="sqlite"))
        sa.event.listen(items, "after_create", sa.DDL(
            "ALTER TABLE items ENABLE ROW LEVEL SECURITY").execute_if(dialect="postgresql"))
        sa.event.listen(metadata, "after_create", sa.DDL("CREATE VIEW stocked AS SELECT id FROM items WHERE qty > 0"))
        """)
    root = _project(tmp_path, sqlite_url, models, dialect="sqlite")
    monkeypatch.chdir(root)
    code, out = _run("generate", "--name", "items")
    assert code == 0, out
    up, down = _up_down(root)
    assert "CREATE TRIGGER items_touch AFTER UPDATE OF qty ON items" in up
    assert 'CREATE VIEW "stocked"' in up
    assert "ROW LEVEL SECURITY" not in up
    assert 'DROP TRIGGER "items_touch"' in down
    code, out = _run("migrate", "--url", sqlite_url, "--yes")
    assert code == 0, out
    code, out = _run("verify", "--url", sqlite_url)
    assert code == 0, out
    code, out = _run("generate", "--name", "again")
    assert code == 0 and "no changes" in out, out

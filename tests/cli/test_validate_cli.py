"""`safeshift generate` and `diff` refuse a schema the database cannot build, through the CLI: every problem
in one sentence naming the model object and the models' (or .sql file's) line, exit 2, no traceback, and
nothing written.  SQLite's foreign key onto a non-unique column used to pass generate and die at migrate
with "internal error" (exit 70); an extension the schema does create is created before its first user."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from safeshift.engines.postgres import embedded

SAFESHIFT = [sys.executable, "-m", "safeshift.cli"]


def run(project: Path, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*SAFESHIFT, *args], cwd=project, capture_output=True, text=True, env={**os.environ},
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == expect, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    return proc


def project_with(tmp_path: Path, dialect: str, models: str, *, schema: str = "models:metadata",
                 files: dict[str, str] | None = None) -> Path:
    project = tmp_path / "app"
    project.mkdir()
    (project / "models.py").write_text(textwrap.dedent(models))
    for name, text in (files or {}).items():
        (project / name).write_text(textwrap.dedent(text))
    run(project, "init", "--schema", schema, "--dialect", dialect)
    return project


def written(project: Path) -> list[str]:
    folder = project / "migrations"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def refusal(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """The problem sentences of a refusal, one per line after the heading (rich may wrap: unwrapped here)."""
    text = " ".join(proc.stderr.split())
    assert "the database would refuse to build, so nothing was written" in text, proc.stderr
    return re.findall(r"(?:index|foreign key|column|unique constraint|primary key) \S.*?\.(?= (?:index|foreign "
                      r"key|column|unique constraint|primary key) |$)", text.split("run the command again:", 1)[1])


DECLARATIVE = """\
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Parent(Base):
        __tablename__ = "parents"
        id: Mapped[int] = mapped_column(primary_key=True)
        code: Mapped[str] = mapped_column(sa.String(10), index=True)
        __table_args__ = (sa.Index("ix_parents_code_again", "code"),)


    class Child(Base):
        __tablename__ = "children"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_code: Mapped[str] = mapped_column(sa.String(10), sa.ForeignKey("parents.code"))


    metadata = Base.metadata
"""


def test_sqlite_refuses_a_foreign_key_onto_a_non_unique_column_and_a_twice_declared_index(tmp_path: Path) -> None:
    project = project_with(tmp_path, "sqlite", DECLARATIVE)
    before = written(project)
    for args in (("generate", "--name", "initial"), ("generate", "--check")):
        problems = refusal(run(project, *args, expect=2))
        assert problems == [
            "foreign key (parent_code) on main.children (models.py:19) references main.parents(code), which has no "
            "primary key or unique constraint on exactly those columns; add one (a unique constraint or unique "
            "index without a WHERE clause) or reference the key it has.",
            "index ix_parents_code_again on main.parents (models.py:13) is the same index as ix_parents_code (same "
            "keys, method, predicate and uniqueness under another name); declare it once (index=True on a column "
            "and an explicit Index on it declare it twice)."]
    assert written(project) == before  # no migration, snapshot or sum
    # the fix the sentence asks for is enough
    (project / "models.py").write_text(textwrap.dedent(DECLARATIVE).replace(
        "sa.String(10), index=True)", "sa.String(10), unique=True)").replace(
        '    __table_args__ = (sa.Index("ix_parents_code_again", "code"),)\n', ""))
    run(project, "generate", "--name", "initial")
    run(project, "migrate")


def test_sqlite_sql_files_name_the_file_and_line(tmp_path: Path) -> None:
    schema = """\
        CREATE TABLE parents (id INTEGER PRIMARY KEY, code TEXT);

        CREATE TABLE children (
            id INTEGER PRIMARY KEY,
            parent_code TEXT,
            CONSTRAINT children_parent_fk FOREIGN KEY (parent_code) REFERENCES parents (code)
        );
    """
    project = project_with(tmp_path, "sqlite", "", schema="schema/*.sql")
    (project / "schema").mkdir()
    (project / "schema" / "app.sql").write_text(textwrap.dedent(schema))
    [problem] = refusal(run(project, "generate", "--name", "initial", expect=2))
    assert problem.startswith("foreign key (parent_code) on main.children (schema/app.sql:5) references "
                              "main.parents(code), which has no primary key or unique constraint")
    assert not list((project / "migrations").glob("*.sql"))


PG_MODELS = """\
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    metadata = sa.MetaData()

    docs = sa.Table(
        "docs", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("email", postgresql.CITEXT),
        sa.Column("addr", postgresql.INET),
        sa.Index("ix_docs_title", "title", postgresql_using="gin"),
        sa.Index("ix_docs_addr", "addr", postgresql_using="gist"),
    )
"""


@pytest.fixture
def pg18_database(pg18_admin_url: str) -> Iterator[str]:
    name = f"ss_validate_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg18_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield embedded.database_url(pg18_admin_url, name)
    finally:
        with psycopg.connect(pg18_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgres_refuses_missing_operator_classes_and_extensions_in_generate_and_diff(
        tmp_path: Path, pg18_database: str) -> None:
    project = project_with(tmp_path, "postgresql", PG_MODELS)
    expected = [
        "column public.docs.email (models.py:10) has the type citext of the citext extension, which the schema "
        "does not create; create it in the schema (CREATE EXTENSION citext) so it is created before its first use.",
        "index ix_docs_addr on public.docs (models.py:13) has a gist key on column addr of type inet, which has no "
        "default gist operator class; name the built-in operator class inet_ops, or create the btree_gist "
        "extension.",
        "index ix_docs_title on public.docs (models.py:12) has a gin key on column title of type text, which has no "
        "default gin operator class; name the operator class gin_trgm_ops (pg_trgm extension) for LIKE and "
        "similarity search, or create the btree_gin extension for equality."]
    assert refusal(run(project, "generate", "--name", "initial", expect=2)) == expected
    assert not list((project / "migrations").glob("*.sql"))
    diffed = run(project, "diff", "--url", pg18_database, expect=2)
    assert refusal(diffed) == expected and "CREATE" not in diffed.stdout


def test_postgres_creates_a_declared_extension_before_the_index_that_needs_it(tmp_path: Path, pg18_admin_url: str,
                                                                            pg18_database: str) -> None:
    models = textwrap.dedent(PG_MODELS).replace(
        'sa.Index("ix_docs_title", "title", postgresql_using="gin"),',
        'sa.Index("ix_docs_title", "title", postgresql_using="gin", postgresql_ops={"title": "gin_trgm_ops"}),'
    ).replace('postgresql_using="gist"', 'postgresql_using="gist", postgresql_ops={"addr": "inet_ops"}')
    models += ('\nsa.event.listen(metadata, "before_create", sa.DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm; "\n'
               '                                               "CREATE EXTENSION IF NOT EXISTS citext"))\n')
    project = project_with(tmp_path, "postgresql", models)
    config = project / "safeshift.toml"  # the listeners run on a scratch database of the run's PostgreSQL 18
    config.write_text(config.read_text().replace(
        "\n[environments.development]", f'\nshadow_url = "{pg18_admin_url}"\n\n[environments.development]', 1))
    run(project, "generate", "--name", "initial")
    [migration] = (project / "migrations").glob("*.sql")
    up = migration.read_text().split("-- migrate:down")[0]
    assert up.index("CREATE EXTENSION") < up.index("CREATE TABLE") < up.index("gin_trgm_ops")
    run(project, "migrate", "--url", pg18_database)
    assert run(project, "diff", "--url", pg18_database).stdout.strip() == "-- no changes"


def test_a_foreign_key_problem_is_named_before_ddl_listeners_run_on_a_shadow(tmp_path: Path) -> None:
    models = textwrap.dedent(PG_MODELS).replace('sa.Column("email", postgresql.CITEXT),', "").replace(
        'sa.Column("addr", postgresql.INET),', "").replace(
        'sa.Index("ix_docs_title", "title", postgresql_using="gin"),', "").replace(
        'sa.Index("ix_docs_addr", "addr", postgresql_using="gist"),', "")
    models += textwrap.dedent("""
        notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("title", sa.Text, sa.ForeignKey("docs.title")))
        sa.event.listen(metadata, "before_create", sa.DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    """)
    # no shadow server is given or started: the refusal comes before one is needed
    project = project_with(tmp_path, "postgresql", models)
    [problem] = refusal(run(project, "generate", "--name", "initial", expect=2))
    assert problem.startswith("foreign key (title) on public.notes (models.py:17) references public.docs(title), "
                              "which has no primary key or unique constraint")
    assert not (project / ".safeshift").exists()


def test_a_missing_operator_class_the_shadow_refuses_is_told_with_what_would_do(tmp_path: Path,
                                                                               pg18_admin_url: str) -> None:
    models = textwrap.dedent(PG_MODELS).replace('sa.Column("email", postgresql.CITEXT),', "").replace(
        'sa.Index("ix_docs_addr", "addr", postgresql_using="gist"),', "")
    models += '\nsa.event.listen(metadata, "before_create", sa.DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm"))\n'
    project = project_with(tmp_path, "postgresql", models)
    config = project / "safeshift.toml"
    config.write_text(config.read_text().replace(
        "\n[environments.development]", f'\nshadow_url = "{pg18_admin_url}"\n\n[environments.development]', 1))
    proc = run(project, "generate", "--name", "initial", expect=2)
    assert refusal(proc) == [
        "index ix_docs_title on public.docs (models.py:12) has a gin key on column title of type text, which has no "
        "default gin operator class; name the operator class gin_trgm_ops (pg_trgm extension) for LIKE and "
        "similarity search, or create the btree_gin extension for equality."]
    assert "failed on the shadow database" not in proc.stderr
    assert not list((project / "migrations").glob("*.sql"))

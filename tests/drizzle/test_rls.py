"""Row-level security, policies and roles in drizzle-kit folders (pgPolicy, .enableRLS(), pgRole), made by the
real drizzle-kit: down files bring a dropped table back WITH its RLS and policies, undo what a migration did
to roles, migrating up again keeps RLS on, and ``verify`` compares RLS and policies."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from safeshift.formats import drizzle
from safeshift.model import Schema, make_schema
from tests.drizzle._kit import (
    Step,
    app_schema,
    drizzle_rows,
    generate,
    make_project,
    node_migrate,
    require_node,
    scalar,
)
from tests.runner._project import connect

_HEAD = ('import { sql } from "drizzle-orm";\n'
         'import { pgTable, pgPolicy, pgRole, serial, text } from "drizzle-orm/pg-core";\n'
         'export const keep = pgTable("keep", { id: serial("id").primaryKey() }).enableRLS();\n')


def _schema(role: str, *, docs: bool, with_role: bool, inherit: bool = True) -> str:
    out = _HEAD
    if with_role:
        options = "" if inherit else ", { inherit: false }"
        out += f'export const writer = pgRole("{role}"{options});\n'
    if docs:
        out += ('export const docs = pgTable("docs", { id: serial("id").primaryKey(), owner: text("owner").notNull() },'
                ' (t) => [\n  pgPolicy("docs_write", { for: "insert", to: writer, withCheck: sql`${t.owner} = current_user` }),\n'
                '  pgPolicy("docs_read", { as: "restrictive", for: "select", using: sql`true` }),\n]);\n')
    return out


@pytest.fixture(scope="module")
def rls_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """create (a role, a table with RLS and two policies, one to that role), drop the table, change the role,
    drop the role: four drizzle-kit migrations; the role's name is this session's own (roles are the server's)."""
    require_node()
    role = f"safeshift_writer_{uuid.uuid4().hex[:8]}"
    root = tmp_path_factory.mktemp("drizzle-rls") / "project"
    generate(root, [Step("create", _schema(role, docs=True, with_role=True)),
                    Step("drop_docs", _schema(role, docs=False, with_role=True)),
                    Step("role_noinherit", _schema(role, docs=False, with_role=True, inherit=False)),
                    Step("drop_role", _schema(role, docs=False, with_role=False))])
    return root, role


def _snapshot(folder: Path, index: int) -> Schema:
    if index < 0:
        return make_schema("postgresql")
    return drizzle.snapshot_schema(drizzle.snapshot_file(folder, drizzle.read_journal(folder)[index].tag))


def _role(url: str, role: str) -> tuple[bool, ...] | None:
    conn = connect(url)
    try:
        row = conn.execute("SELECT rolinherit, rolcreatedb FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    finally:
        conn.close()
    return None if row is None else tuple(row)


def _drop_role(url: str, role: str) -> None:
    conn = connect(url)
    try:
        conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        conn.commit()
    finally:
        conn.close()


def test_rollback_to_empty_brings_back_rls_policies_and_roles_then_up_again(rls_source: tuple[Path, str],
                                                                          tmp_path: Path, pg_url: str) -> None:
    source, role = rls_source
    p = make_project(source, tmp_path, pg_url)
    try:
        assert "4 applied" in p.run("migrate").stdout
        assert app_schema(pg_url) == _snapshot(p.folder, 3)
        assert _role(pg_url, role) is None, "the last migration drops the role"
        downs = p.root / ".safeshift" / "drizzle-down"
        assert f'CREATE ROLE "{role}" WITH NOCREATEDB NOCREATEROLE NOINHERIT;' in (downs / "0003.sql").read_text()
        assert f'ALTER ROLE "{role}" WITH NOCREATEDB NOCREATEROLE INHERIT;' in (downs / "0002.sql").read_text()
        create = (downs / "0000.sql").read_text()
        statements = [ln for ln in create.splitlines() if ln.strip() and not ln.startswith("--")]
        assert statements[-1] == f'DROP ROLE "{role}";', "the role goes after the policies naming it"

        expected_roles = {3: None, 2: (False, False), 1: (True, False), 0: (True, False)}
        for index in (3, 2, 1, 0):
            p.run("rollback")
            assert app_schema(pg_url) == _snapshot(p.folder, index - 1), f"after rolling back migration {index}"
            assert _role(pg_url, role) == expected_roles.get(index - 1), f"the role after rolling back {index}"
            if index == 1:  # docs came back: with row-level security on and both policies
                docs = app_schema(pg_url).table("public", "docs")
                assert docs is not None and docs.row_security
                policies = {x.name: x for x in app_schema(pg_url).policies}
                assert set(policies) == {"docs_read", "docs_write"}
                assert policies["docs_write"].roles == (role,) and not policies["docs_read"].permissive
        assert drizzle_rows(pg_url) == []
        assert _role(pg_url, role) is None, "rolling back the migration that created the role drops it"

        assert "4 applied" in p.run("migrate").stdout
        assert app_schema(pg_url) == _snapshot(p.folder, 3)
        assert scalar(pg_url, "SELECT relrowsecurity FROM pg_class WHERE relname = 'keep'") is True
        rows = drizzle_rows(pg_url)
        node_migrate(pg_url, p.folder)
        assert drizzle_rows(pg_url) == rows, "drizzle's migrator finds nothing pending"
    finally:
        _drop_role(pg_url, role)


def test_verify_compares_rls_and_policies_of_a_drizzle_folder(rls_source: tuple[Path, str], tmp_path: Path,
                                                              pg_url: str) -> None:
    source, role = rls_source
    p = make_project(source, tmp_path, pg_url)
    try:
        drizzle_dir = p.folder
        journal = drizzle_dir / "meta" / "_journal.json"
        data = json.loads(journal.read_text())
        data["entries"] = data["entries"][:1]  # the folder after its first migration: docs with its policies
        journal.write_text(json.dumps(data))
        p.run("migrate")
        assert "no drift" in p.run("verify").stdout

        conn = connect(pg_url)
        try:
            conn.execute('DROP POLICY "docs_read" ON "docs"')
            conn.execute('ALTER TABLE "keep" DISABLE ROW LEVEL SECURITY')
            conn.commit()
        finally:
            conn.close()
        out = p.run("verify", expect=1).stdout
        assert "docs_read" in out and "keep" in out, out
    finally:
        conn = connect(pg_url)
        try:
            conn.execute('DROP TABLE IF EXISTS "docs"')
            conn.commit()
        finally:
            conn.close()
        _drop_role(pg_url, role)

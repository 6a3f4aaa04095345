"""A project to rehearse: hand-written migrations both dialects accept, snapshots taken from the
database they produce, rows in the source, and a smoke script that reports what the copy holds.

The smoke script is the real way to look inside a scratch copy: it runs with DATABASE_URL
pointing at it while it exists, and writes what it saw to a JSON file the test reads.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

from safeshift import history
from safeshift.backup import table_fingerprint
from safeshift.dialects import dialect_for_url
from safeshift.formats import safeshift as migrations
from safeshift.runner import Runner
from tests.runner._project import Project, connect, make_project, schema_of

Migr = tuple[str, str, str, str]

V1: Migr = ("20260101000001", "create_users",
            "CREATE TABLE users (id integer PRIMARY KEY, email varchar(200) NOT NULL);\n"
            "CREATE TABLE posts (id integer PRIMARY KEY, author_id integer NOT NULL REFERENCES users (id), "
            "title text);\n"
            "CREATE TABLE comments (id integer PRIMARY KEY, post_id integer REFERENCES posts (id), body text);",
            "DROP TABLE comments;\nDROP TABLE posts;\nDROP TABLE users;")
V2: Migr = ("20260101000002", "add_users_name",
            "ALTER TABLE users ADD COLUMN name varchar(100);",
            "ALTER TABLE users DROP COLUMN name;")
V3: Migr = ("20260101000003", "create_tags",
            "CREATE TABLE tags (id integer PRIMARY KEY, label text NOT NULL);\n"
            "CREATE INDEX posts_title ON posts (title);",
            "DROP INDEX posts_title;\nDROP TABLE tags;")
#: a down section that forgets to drop the column its up section added
V2_FORGETFUL: Migr = (V2[0], V2[1], V2[2], "SELECT 1;")
#: a unique index over emails the source holds twice
V2_UNIQUE: Migr = ("20260101000002", "unique_email", "CREATE UNIQUE INDEX users_email ON users (email);",
                   "DROP INDEX users_email;")

USERS, POSTS, COMMENTS = 60, 150, 300

SMOKE = '''
import json, os, sys
from safeshift.dialects import dialect_for_url
from safeshift.engines import engine_for

url = os.environ["DATABASE_URL"]
d = dialect_for_url(url)
conn = engine_for(d).connect(url, create=False)
schema = engine_for(d).introspect(conn)
counts, orphans, fks = {}, 0, 0
for t in schema.tables:
    name = d.qualify(t.schema, t.name)
    counts[t.name] = conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    for fk in t.foreign_keys:
        fks += 1
        match = " AND ".join(f"p.{d.quote(r)} = c.{d.quote(c)}" for c, r in zip(fk.columns, fk.ref_columns))
        present = " AND ".join(f"c.{d.quote(c)} IS NOT NULL" for c in fk.columns)
        orphans += conn.execute(f"SELECT count(*) FROM {name} c WHERE {present} AND NOT EXISTS "
                                f"(SELECT 1 FROM {d.qualify(fk.ref_schema, fk.ref_table)} p WHERE {match})").fetchone()[0]
columns = {t.name: [c.name for c in t.columns] for t in schema.tables}
json.dump({"url": url, "counts": counts, "orphans": orphans, "fks": fks, "columns": columns}, open(sys.argv[1], "w"))
print("smoke ok")
'''


def build(tmp_path: Path, url: str, items: Sequence[Migr] = (V1, V2, V3), *, applied: int = 1,
          rows: bool = True, environments: str = "") -> Project:
    """A sealed project with a snapshot per migration; ``url`` has the first ``applied`` migrations and rows."""
    p = make_project(tmp_path, url, environments)
    for version, name, up, down in items:
        p.add(version, name, up, down, seal=False)
    p.seal()
    d = dialect_for_url(url)
    folder = migrations.read_folder(p.folder)
    with Runner(d, url, folder) as r:  # each migration's snapshot: the schema it leaves behind
        for version, *_ in items:
            r.migrate(to=version)
            migrations.write_snapshot(migrations.snapshot_path(p.folder, version), schema_of(url))
        r.rollback(to=items[applied - 1][0] if applied else "0")
    p.seal()
    if rows:
        fill(url)
    (p.root / "smoke.py").write_text(textwrap.dedent(SMOKE), encoding="utf-8")
    return p


def fill(url: str, *, duplicate_email: bool = False) -> None:
    conn = connect(url)
    try:
        for i in range(1, USERS + 1):
            email = "same@example.com" if duplicate_email and i <= 2 else f"u{i}@example.com"
            conn.execute(f"INSERT INTO users (id, email) VALUES ({i}, '{email}')")
        for i in range(1, POSTS + 1):
            conn.execute(f"INSERT INTO posts (id, author_id, title) VALUES ({i}, {(i * 7) % USERS + 1}, 'post {i}')")
        for i in range(1, COMMENTS + 1):
            post = "NULL" if i % 10 == 0 else str((i * 13) % POSTS + 1)
            conn.execute(f"INSERT INTO comments (id, post_id, body) VALUES ({i}, {post}, 'c{i}')")
    finally:
        conn.close()


def smoke_cmd(out: Path) -> str:
    return f'"{sys.executable}" smoke.py "{out}"'


def smoke_result(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def state(url: str) -> tuple[Any, dict[str, tuple[int, str]], dict[str, Any]]:
    """What must not change in a source: its schema, every table's rows, its history."""
    d = dialect_for_url(url)
    conn = connect(url)
    try:
        rows = {v: r.status for v, r in history.read(d, conn).items()}
    finally:
        conn.close()
    return schema_of(url), table_fingerprint(url, d), rows


def scratch_databases(url: str) -> list[str]:
    """safeshift_scratch_* databases on ``url``'s server (none may survive a rehearsal)."""
    if not url.startswith("postgresql"):
        return []
    with psycopg.connect(url, autocommit=True) as conn:
        return [r[0] for r in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'safeshift\\_scratch\\_%'").fetchall()]


def report(project: Project) -> dict[str, Any]:
    """The newest rehearsal report's JSON, after checking that its copy is gone from the server."""
    found = sorted((project.root / ".safeshift" / "rehearsals").glob("*.json"))
    assert found, "no rehearsal report written"
    data: dict[str, Any] = json.loads(found[-1].read_text())
    assert not copy_survives(project.url, data), f"the scratch copy {data['copy_database']} survived"
    return data


def checks(doc: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["status"] for c in doc["checks"]}


def copy_survives(url: str, doc: dict[str, Any]) -> bool:
    """Whether the report's copy database still exists on the source's server."""
    name = doc.get("copy_database")
    if not name or not url.startswith("postgresql"):
        return False
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None

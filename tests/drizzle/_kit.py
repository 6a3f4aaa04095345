"""A drizzle-kit project made by the real drizzle-kit, and drizzle-orm's real migrator under Node.

The folder is generated once per test session (``drizzle-kit generate`` takes ~0.4 s per
step) from a TypeScript schema that changes five times; each test copies it.  The migrator
is drizzle-orm's ``postgres-js/migrator`` imported from ``bench/node_modules``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from safeshift import history
from safeshift.dialects import dialect_for_url
from safeshift.engines import engine_for
from safeshift.formats import drizzle
from safeshift.model import Schema
from tests.runner._project import Outcome, connect, invoke

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "bench" / "node_modules"
DRIZZLE_KIT = NODE_MODULES / "drizzle-kit" / "bin.cjs"

_HEAD = 'import { pgTable, serial, text, integer, varchar, index } from "drizzle-orm/pg-core";\n'
_AUDIT = 'export const audit = pgTable("audit", { id: serial("id").primaryKey(), note: text("note").notNull() });\n'


def _schema(*, email: bool, fk_index: bool, title: bool) -> str:
    users = ('export const users = pgTable("users", {\n  id: serial("id").primaryKey(),\n'
             '  name: text("name").notNull(),\n' + ('  email: varchar("email", { length: 255 }),\n' if email else "")
             + "});\n")
    author = ('integer("author_id").notNull().references(() => users.id, { onDelete: "cascade" })' if fk_index
              else 'integer("author_id").notNull()')
    posts = ('export const posts = pgTable("posts", {\n  id: serial("id").primaryKey(),\n'
             f'  authorId: {author},\n' + ('  title: text("title").notNull(),\n' if title else "") + "}"
             + (', (t) => [index("posts_author_idx").on(t.authorId)]' if fk_index else "") + ");\n")
    return _HEAD + users + posts + _AUDIT


@dataclass(frozen=True)
class Step:
    name: str
    #: the TypeScript schema after this step; None: a custom (hand-written) migration
    schema: str | None
    custom_sql: str = ""


#: five consecutive drizzle-kit migrations: create tables, add a column, a data migration,
#: an index and a foreign key, drop a column
STEPS: tuple[Step, ...] = (
    Step("create_tables", _schema(email=False, fk_index=False, title=True)),
    Step("add_email", _schema(email=True, fk_index=False, title=True)),
    Step("seed_audit", None, "INSERT INTO \"audit\" (\"note\") VALUES ('seeded');\n"),
    Step("author_index_fk", _schema(email=True, fk_index=True, title=True)),
    Step("drop_title", _schema(email=True, fk_index=True, title=False)),
)
TAGS = tuple(f"{i:04d}_{s.name}" for i, s in enumerate(STEPS))
VERSIONS = tuple(f"{i:04d}" for i in range(len(STEPS)))

CONFIG_TS = """import { defineConfig } from "drizzle-kit";
export default defineConfig({ dialect: "postgresql", schema: "./schema.ts", out: "./drizzle" });
"""

MIGRATE_MJS = """const [connection, folder, schema, table] = process.argv.slice(2);
const nm = process.env.SAFESHIFT_NODE_MODULES;
const { default: postgres } = await import(`${nm}/postgres/src/index.js`);
const { drizzle } = await import(`${nm}/drizzle-orm/postgres-js/index.js`);
const { migrate } = await import(`${nm}/drizzle-orm/postgres-js/migrator.js`);
const client = postgres({ ...JSON.parse(connection), max: 1, onnotice: () => {} });
const config = { migrationsFolder: folder };
if (schema) config.migrationsSchema = schema;
if (table) config.migrationsTable = table;
try {
  await migrate(drizzle(client), config);
} finally {
  await client.end();
}
"""


def require_node() -> None:
    if shutil.which("node") is None or not DRIZZLE_KIT.is_file():
        pytest.skip("node and bench/node_modules (npm install in bench/) are needed for the drizzle tests")


def _node_env() -> dict[str, str]:
    return {**os.environ, "NODE_PATH": str(NODE_MODULES), "SAFESHIFT_NODE_MODULES": str(NODE_MODULES)}


def drizzle_kit(project: Path, *args: str) -> str:
    """The real ``drizzle-kit`` in ``project`` (schema.ts and drizzle.config.ts there; NODE_PATH finds drizzle-orm);
    returns what it printed."""
    proc = subprocess.run(["node", str(DRIZZLE_KIT), *args], cwd=project, env=_node_env(), capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def generate(project: Path, steps: Sequence[Step] = STEPS, config: str = CONFIG_TS) -> Path:
    """Run drizzle-kit generate once per step; returns the ``drizzle/`` folder."""
    project.mkdir(parents=True, exist_ok=True)
    (project / "drizzle.config.ts").write_text(config, encoding="utf-8")
    for step in steps:
        if step.schema is None:
            drizzle_kit(project, "generate", "--custom", "--name", step.name)
            path = next((project / "drizzle").glob(f"*_{step.name}.sql"))
            path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + step.custom_sql, encoding="utf-8")
        else:
            (project / "schema.ts").write_text(step.schema, encoding="utf-8")
            drizzle_kit(project, "generate", "--name", step.name)
    return project / "drizzle"


def node_migrate(url: str, folder: Path, schema: str | None = None, table: str | None = None,
                 *, expect_ok: bool = True) -> subprocess.CompletedProcess[str]:
    """drizzle-orm's own ``migrate(db, { migrationsFolder, migrationsSchema, migrationsTable })``."""
    require_node()
    script = folder.parent / "drizzle-migrate.mjs"
    script.write_text(MIGRATE_MJS, encoding="utf-8")
    proc = subprocess.run(["node", str(script), _connection(url), str(folder), schema or "", table or ""], env=_node_env(),
                          capture_output=True, text=True, timeout=60, check=False)
    if expect_ok:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _connection(url: str) -> str:
    """postgres.js options for ``url`` as JSON: its URL parser cannot take a socket folder in ``?host=``."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    return json.dumps({"host": info.get("host") or "127.0.0.1", "port": int(info.get("port") or 5432),
                       "database": info.get("dbname"), "username": info.get("user") or "postgres",
                       "password": info.get("password") or ""})


def truncate_journal(folder: Path, keep: int) -> None:
    """Keep the first ``keep`` journal entries (and their files): the folder as it was back then."""
    path = folder / "meta" / "_journal.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for entry in data["entries"][keep:]:
        (folder / f"{entry['tag']}.sql").unlink()
        (folder / "meta" / f"{entry['tag'][:4]}_snapshot.json").unlink()
    data["entries"] = data["entries"][:keep]
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


@dataclass(frozen=True)
class DrizzleProject:
    root: Path
    url: str

    @property
    def folder(self) -> Path:
        return self.root / "drizzle"

    def run(self, *args: str, expect: int | None = 0) -> Outcome:
        """``safeshift ARGS --url URL`` in the project, in-process."""
        return invoke(self.root, *args, "--url", self.url, expect=expect)

    def status(self) -> dict[str, str]:
        """version -> state, from ``safeshift status --json``."""
        data = json.loads(self.run("status", "--json").stdout)
        return {m["version"]: m["state"] for m in data["migrations"]}


def make_project(source: Path, tmp_path: Path, url: str, toml: str = 'migrations = "drizzle"\n') -> DrizzleProject:
    """A copy of the generated drizzle-kit project with a safeshift.toml beside its folder."""
    root = tmp_path / "app"
    shutil.copytree(source, root)
    (root / "safeshift.toml").write_text(toml, encoding="utf-8")
    return DrizzleProject(root, url)


# -- what the database holds -------------------------------------------------------------------

def drizzle_rows(url: str, schema: str = "drizzle", table: str = "__drizzle_migrations") -> list[tuple[Any, ...]]:
    """drizzle's table as (id, hash, created_at) rows in id order; [] when it does not exist."""
    d = dialect_for_url(url)
    conn = connect(url)
    try:
        store = drizzle.DrizzleStore(schema, table, (), history.SafeshiftStore(f"{schema}.{table}"))
        return [tuple(r) for r in store.rows(d, conn)]
    finally:
        conn.close()


def scalar(url: str, sql: str) -> Any:
    conn = connect(url)
    try:
        row = conn.execute(sql).fetchone()
        return None if row is None else row[0]
    finally:
        conn.close()


def app_schema(url: str) -> Schema:
    """The live schema without safeshift's and drizzle's bookkeeping schemas."""
    d = dialect_for_url(url)
    conn = connect(url)
    try:
        s = engine_for(d).introspect(conn)
    finally:
        conn.close()
    skip = {history.SCHEMA, "drizzle"}
    return replace(s, namespaces=tuple(n for n in s.namespaces if n not in skip),
                   tables=tuple(t for t in s.tables if t.schema not in skip),
                   sequences=tuple(q for q in s.sequences if q.schema not in skip))


def write_folder(root: Path, files: dict[str, str], *, whens: Sequence[int] | None = None,
                 dialect: str = "postgresql") -> Path:
    """A hand-written drizzle folder (``tag -> SQL``) under ``root/drizzle``, journal included."""
    folder = root / "drizzle"
    (folder / "meta").mkdir(parents=True, exist_ok=True)
    for tag, text in files.items():
        (folder / f"{tag}.sql").write_bytes(text.encode("utf-8"))
    whens = list(whens or [1_700_000_000_000 + i * 1000 for i in range(len(files))])
    entries = [{"idx": i, "version": "7", "when": w, "tag": t, "breakpoints": True}
               for i, (t, w) in enumerate(zip(files, whens, strict=True))]
    (folder / "meta" / "_journal.json").write_text(json.dumps({"version": "7", "dialect": dialect,
                                                               "entries": entries}, indent=2))
    return folder


def journal(folder: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads((folder / "meta" / "_journal.json").read_text())["entries"]
    return entries

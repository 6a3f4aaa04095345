"""A drizzle-kit MySQL project made by the real drizzle-kit, and drizzle-orm's real mysql2 migrator.

The schema changes in three steps and a data migration between them: tables with every kind of
column drizzle's ``mysql-core`` writes (``int`` auto-increment keys, ``varchar``, ``enum``, ``boolean``,
``decimal``, ``json``, ``timestamp`` with ``defaultNow``/``onUpdateNow``, ``datetime(3)``), unique and
composite keys, a CHECK, indexes and a foreign key; then a new column, table and index; then a dropped
column and foreign key.  ``serial`` is left out on purpose: drizzle-kit writes it as ``serial
AUTO_INCREMENT``, which MariaDB rejects (``test_mysql_snapshot`` checks its conversion on its own).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from safeshift.dialects.mysql.url import parse_url
from tests.drizzle._kit import Step, _node_env, generate, require_node
from tests.runner._project import connect

CONFIG_TS = """import { defineConfig } from "drizzle-kit";
export default defineConfig({ dialect: "mysql", schema: "./schema.ts", out: "./drizzle" });
"""

_HEAD = ('import { mysqlTable, int, bigint, varchar, text, timestamp, datetime, mysqlEnum, boolean, decimal, json,\n'
         '  index, uniqueIndex, primaryKey, unique, check } from "drizzle-orm/mysql-core";\n'
         'import { sql } from "drizzle-orm";\n')


def _schema(*, bio: bool, audit: bool, title: bool, fk: bool) -> str:
    users = ('export const users = mysqlTable("users", {\n'
             '  id: int("id").autoincrement().primaryKey(),\n'
             '  name: varchar("name", { length: 256 }).notNull(),\n'
             '  email: varchar("email", { length: 256 }).unique(),\n'
             '  role: mysqlEnum("role", ["admin", "user"]).notNull().default("user"),\n'
             '  active: boolean("active").default(true),\n'
             '  balance: decimal("balance", { precision: 10, scale: 2 }).default("0.00"),\n'
             '  meta: json("meta"),\n'
             + ('  bio: text("bio"),\n' if bio else "")
             + '  createdAt: timestamp("created_at").notNull().defaultNow(),\n'
             '  updatedAt: timestamp("updated_at").defaultNow().onUpdateNow(),\n'
             '}, (t) => [check("users_name_len", sql`char_length(${t.name}) > 0`)'
             + (', uniqueIndex("users_name_idx").on(t.name)' if audit else "") + "]);\n")
    author = ('int("author_id").notNull().references(() => users.id, { onDelete: "cascade" })' if fk
              else 'int("author_id").notNull()')
    posts = ('export const posts = mysqlTable("posts", {\n'
             '  id: bigint("id", { mode: "number", unsigned: true }).autoincrement().primaryKey(),\n'
             f'  authorId: {author},\n'
             + ('  title: text("title").notNull(),\n' if title else "")
             + '  slug: varchar("slug", { length: 100 }).notNull(),\n'
             '  publishedAt: datetime("published_at", { fsp: 3 }),\n'
             '}, (t) => [index("posts_author_idx").on(t.authorId), uniqueIndex("posts_slug_idx").on(t.slug)'
             + (', index("posts_published_idx").on(t.publishedAt, t.slug)' if audit else "") + "]);\n")
    tags = ('export const postTags = mysqlTable("post_tags", {\n'
            '  postId: int("post_id").notNull(),\n'
            '  tag: varchar("tag", { length: 50 }).notNull(),\n'
            '}, (t) => [primaryKey({ columns: [t.postId, t.tag] }), unique("post_tags_tag_uq").on(t.tag, t.postId)]);\n')
    log = ('export const audit = mysqlTable("audit", {\n  id: int("id").autoincrement().primaryKey(),\n'
           '  note: varchar("note", { length: 200 }).notNull(),\n});\n') if audit else ""
    return _HEAD + users + posts + tags + log


#: the change `safeshift generate` writes after STEPS (test_mysql_generate), in TypeScript for drizzle-kit
COMMENTS_TS = """export const comments = mysqlTable("comments", {
  id: int("id").autoincrement().primaryKey(),
  postId: bigint("post_id", { mode: "number", unsigned: true }).notNull()
    .references(() => posts.id, { onDelete: "cascade" }),
  body: text("body").notNull(),
  hidden: boolean("hidden").notNull().default(false),
  kind: mysqlEnum("kind", ["note", "reply"]).default("note"),
  score: int("score").notNull().default(0),
  createdAt: timestamp("created_at").notNull().defaultNow(),
  editedAt: timestamp("edited_at", { fsp: 3 }).onUpdateNow(),
}, (t) => [index("comments_post_idx").on(t.postId), check("comments_score_positive", sql`${t.score} >= 0`)]);
"""


def next_schema_ts() -> str:
    """The last step's schema with ``users.nickname`` and the ``comments`` table: what MODELS_PY declares."""
    last = _schema(bio=True, audit=True, title=False, fk=False)
    nickname = '  nickname: varchar("nickname", { length: 64 }),\n'
    return last.replace('  createdAt: timestamp("created_at")', nickname + '  createdAt: timestamp("created_at")',
                        1) + COMMENTS_TS


#: the same schema as SQLAlchemy models, the schema source of a safeshift project on the drizzle folder
MODELS_PY = """from sqlalchemy import (JSON, Boolean, CheckConstraint, Column, Enum, ForeignKeyConstraint, Index,
                        Integer, MetaData, Numeric, PrimaryKeyConstraint, String, Table, Text, UniqueConstraint, text)
from sqlalchemy.dialects.mysql import BIGINT, DATETIME, TIMESTAMP

metadata = MetaData()
Table("users", metadata,
      Column("id", Integer, primary_key=True, autoincrement=True),
      Column("name", String(256), nullable=False),
      Column("email", String(256)),
      Column("role", Enum("admin", "user"), nullable=False, server_default="user"),
      Column("active", Boolean, server_default=text("1")),
      Column("balance", Numeric(10, 2), server_default=text("0.00")),
      Column("meta", JSON),
      Column("bio", Text),
      Column("nickname", String(64)),
      Column("created_at", TIMESTAMP, nullable=False, server_default=text("CURRENT_TIMESTAMP")),
      Column("updated_at", TIMESTAMP, server_default=text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP")),
      UniqueConstraint("email", name="users_email_unique"),
      CheckConstraint("char_length(`name`) > 0", name="users_name_len"),
      Index("users_name_idx", "name", unique=True))
Table("posts", metadata,
      Column("id", BIGINT(unsigned=True), primary_key=True, autoincrement=True),
      Column("author_id", Integer, nullable=False),
      Column("slug", String(100), nullable=False),
      Column("published_at", DATETIME(fsp=3)),
      Index("posts_author_idx", "author_id"),
      Index("posts_slug_idx", "slug", unique=True),
      Index("posts_published_idx", "published_at", "slug"))
Table("post_tags", metadata,
      Column("post_id", Integer, nullable=False),
      Column("tag", String(50), nullable=False),
      PrimaryKeyConstraint("post_id", "tag"),
      UniqueConstraint("tag", "post_id", name="post_tags_tag_uq"))
Table("audit", metadata,
      Column("id", Integer, primary_key=True, autoincrement=True),
      Column("note", String(200), nullable=False))
Table("comments", metadata,
      Column("id", Integer, primary_key=True, autoincrement=True),
      Column("post_id", BIGINT(unsigned=True), nullable=False),
      Column("body", Text, nullable=False),
      Column("hidden", Boolean, nullable=False, server_default=text("0")),
      Column("kind", Enum("note", "reply"), server_default="note"),
      Column("score", Integer, nullable=False, server_default=text("0")),
      Column("created_at", TIMESTAMP, nullable=False, server_default=text("CURRENT_TIMESTAMP")),
      Column("edited_at", TIMESTAMP(fsp=3), server_default=text("NULL ON UPDATE CURRENT_TIMESTAMP(3)")),
      ForeignKeyConstraint(["post_id"], ["posts.id"], name="comments_post_id_posts_id_fk", ondelete="CASCADE"),
      Index("comments_post_idx", "post_id"),
      CheckConstraint("`score` >= 0", name="comments_score_positive"))
"""

#: create the tables; seed a row by hand; add a column, a table and two indexes (one unique, on a table
#: that exists: CREATE UNIQUE INDEX); drop a column and the foreign key
STEPS: tuple[Step, ...] = (
    Step("create_tables", _schema(bio=False, audit=False, title=True, fk=True)),
    Step("seed_users", None, "INSERT INTO `users` (`name`) VALUES ('seeded');\n"),
    Step("add_bio_audit", _schema(bio=True, audit=True, title=True, fk=True)),
    Step("drop_title_fk", _schema(bio=True, audit=True, title=False, fk=False)),
)
TAGS = tuple(f"{i:04d}_{s.name}" for i, s in enumerate(STEPS))
VERSIONS = tuple(f"{i:04d}" for i in range(len(STEPS)))

MIGRATE_MJS = """const [connection, folder, table] = process.argv.slice(2);
const nm = process.env.SAFESHIFT_NODE_MODULES;
const mysql = (await import(`${nm}/mysql2/promise.js`)).default;
const { drizzle } = await import(`${nm}/drizzle-orm/mysql2/index.js`);
const { migrate } = await import(`${nm}/drizzle-orm/mysql2/migrator.js`);
const client = await mysql.createConnection(JSON.parse(connection));
const config = { migrationsFolder: folder };
if (table) config.migrationsTable = table;
try {
  await migrate(drizzle(client), config);
} finally {
  await client.end();
}
"""


_GENERATED: list[Path] = []


def source(factory: pytest.TempPathFactory) -> Path:
    """The drizzle-kit project of STEPS (schema.ts, drizzle.config.ts, drizzle/), made once per test process for
    every test module that uses it (drizzle-kit takes about a second per step here); copy it, never change it."""
    require_node()
    if not _GENERATED:
        root = factory.getbasetemp() / "drizzle-kit-mysql" / "project"
        generate(root, STEPS, CONFIG_TS)
        _GENERATED.append(root)
    return _GENERATED[0]


def node_migrate(url: str, folder: Path, table: str | None = None,
                 *, expect_ok: bool = True) -> subprocess.CompletedProcess[str]:
    """drizzle-orm's own ``migrate(drizzle(mysql2), { migrationsFolder, migrationsTable })``."""
    require_node()
    script = folder.parent / "drizzle-migrate-mysql.mjs"
    script.write_text(MIGRATE_MJS, encoding="utf-8")
    target = parse_url(url)
    connection = json.dumps({"host": target.host or "127.0.0.1", "port": target.port or 3306,
                             "user": target.user or "root", "password": target.password or "",
                             "database": target.database})
    proc = subprocess.run(["node", str(script), connection, str(folder), table or ""], env=_node_env(),
                          capture_output=True, text=True, timeout=60, check=False)
    if expect_ok:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def drizzle_rows(url: str, table: str = "__drizzle_migrations") -> list[tuple[Any, ...]]:
    """drizzle's MySQL table as (id, hash, created_at) rows in id order; [] when it does not exist."""
    conn = connect(url)
    try:
        if conn.execute("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                        "TABLE_NAME = %s", (table,)).fetchone() is None:
            return []
        rows = conn.execute(f"SELECT id, hash, created_at FROM `{table}` ORDER BY id").fetchall()
        return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]
    finally:
        conn.close()


def run_sql(url: str, path: Path) -> None:
    """A drizzle-kit SQL file's statements, one by one, as drizzle's migrator sends them."""
    conn = connect(url)
    try:
        for statement in path.read_text(encoding="utf-8").split("--> statement-breakpoint"):
            if statement.strip():
                conn.execute(statement)
    finally:
        conn.close()

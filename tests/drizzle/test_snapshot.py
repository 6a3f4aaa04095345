"""drizzle-kit snapshots as safeshift's model: equal to what introspecting the database drizzle's own
migrator built gives, for the column kinds, constraints and indexes drizzle-kit writes."""

from __future__ import annotations

from pathlib import Path

from safeshift.formats import drizzle
from safeshift.model import make_schema
from tests.drizzle._kit import Step, app_schema, drizzle_rows, generate, node_migrate, require_node
from tests.runner._project import invoke

RICH = '''import { sql } from "drizzle-orm";
import { pgTable, pgSchema, pgEnum, pgSequence, serial, bigserial, text, integer, bigint, varchar, boolean,
  timestamp, numeric, jsonb, uuid, index, uniqueIndex, unique, check, primaryKey, doublePrecision, date,
  smallint } from "drizzle-orm/pg-core";

export const ops = pgSchema("ops");
export const role = pgEnum("role", ["admin", "member"]);
export const level = ops.enum("level", ["low", "high"]);
export const counter = pgSequence("counter", { startWith: 100, increment: 5 });

export const accounts = pgTable("accounts", {
  id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity({ startWith: 1000 }),
  uid: uuid("uid").defaultRandom().notNull(),
  email: varchar("email", { length: 320 }).notNull().unique(),
  role: role("role").default("member").notNull(),
  active: boolean("active").default(true).notNull(),
  balance: numeric("balance", { precision: 12, scale: 2 }).default("0").notNull(),
  score: doublePrecision("score"),
  born: date("born"),
  settings: jsonb("settings").default({}).notNull(),
  tags: text("tags").array(),
  createdAt: timestamp("created_at", { withTimezone: true }).defaultNow().notNull(),
  updatedAt: timestamp("updated_at", { precision: 3 }),
}, (t) => [
  check("balance_not_negative", sql`${t.balance} >= 0`),
  index("accounts_created_idx").on(t.createdAt.desc()),
  index("accounts_active_email_idx").on(t.email).where(sql`${t.active}`),
  uniqueIndex("accounts_lower_email_idx").using("btree", sql`lower(${t.email})`),
]);

export const memberships = ops.table("memberships", {
  accountId: bigint("account_id", { mode: "number" }).notNull().references(() => accounts.id, { onDelete: "cascade", onUpdate: "restrict" }),
  team: text("team").notNull(),
  level: level("level").default("low"),
  rank: smallint("rank").default(1),
  seq: bigserial("seq", { mode: "number" }),
}, (t) => [primaryKey({ columns: [t.accountId, t.team] }), unique("memberships_team_rank_key").on(t.team, t.rank).nullsNotDistinct()]);

export const notes = pgTable("notes", {
  id: serial("id").primaryKey(),
  accountId: integer("account_id"),
  body: text("body").default("").notNull(),
  words: integer("words").generatedAlwaysAs(sql`0`),
});
'''


def test_snapshot_equals_the_database_drizzle_built(tmp_path: Path, pg_url: str) -> None:
    require_node()
    folder = generate(tmp_path / "rich", [Step("rich", RICH)])
    node_migrate(pg_url, folder)
    snapshot = drizzle.snapshot_schema(drizzle.snapshot_file(folder, drizzle.read_journal(folder)[0].tag))
    live = app_schema(pg_url)
    assert live.namespaces == snapshot.namespaces
    assert live.enums == snapshot.enums
    assert live.sequences == snapshot.sequences
    for table in live.tables:
        assert snapshot.table(*table.key) == table, table.key
    assert live == snapshot

    # its down SQL, from that snapshot, takes all of it away again: schema, enums, sequence and tables
    (folder.parent / "safeshift.toml").write_text('migrations = "drizzle"\n', encoding="utf-8")
    assert "1 rolled back" in invoke(folder.parent, "rollback", "--url", pg_url).stdout
    assert app_schema(pg_url) == make_schema("postgresql")
    assert drizzle_rows(pg_url) == []


RLS = '''import { sql } from "drizzle-orm";
import { pgTable, serial, text, pgPolicy } from "drizzle-orm/pg-core";

export const docs = pgTable("docs", {
  id: serial("id").primaryKey(),
  owner: text("owner").notNull(),
}, (t) => [
  pgPolicy("docs_owner", { as: "permissive", for: "select", to: "public", using: sql`${t.owner} = current_user` }),
  pgPolicy("docs_insert", { as: "restrictive", for: "insert", to: "public",
    withCheck: sql`${t.owner} = current_user` }),
]);

export const open = pgTable("open", { id: serial("id").primaryKey() }).enableRLS();
'''


def test_row_level_security_and_policies_in_the_snapshot_match_the_database(tmp_path: Path, pg_url: str) -> None:
    """drizzle-kit writes RLS and policies into its snapshots: read, they equal what its migrator built, so
    verify shows no false drift and a dropped policy is drift."""
    require_node()
    folder = generate(tmp_path / "rls", [Step("rls", RLS)])
    node_migrate(pg_url, folder)
    snapshot = drizzle.snapshot_schema(drizzle.snapshot_file(folder, drizzle.read_journal(folder)[0].tag))
    live = app_schema(pg_url)
    assert [p.name for p in snapshot.policies] == ["docs_insert", "docs_owner"]
    assert {t.name for t in snapshot.tables if t.row_security} == {"docs", "open"}
    assert live == snapshot

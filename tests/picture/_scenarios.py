"""Real schemas for the picture tests: the example blog's snapshots (written by safeshift generate from its
SQLAlchemy models on PostgreSQL) and SQLite databases with awkward identifiers, introspected by safeshift."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from safeshift.dialects import get_dialect
from safeshift.formats import safeshift as migrations
from safeshift.generate import introspect_url
from safeshift.model import Schema

ROOT = Path(__file__).resolve().parents[2]
BLOG = ROOT / "examples" / "blog"
BLOG_VERSIONS = ("20261125020721", "20261128224512", "20261128224513", "20261128224525", "20261128224526")


def blog_snapshot(version: str) -> Schema:
    return migrations.read_snapshot(migrations.snapshot_path(BLOG / "migrations", version))


def blog_copy(tmp: Path) -> Path:
    """A copy of the example blog project to run commands in (the checkout's stays untouched)."""
    target = tmp / "blog"
    shutil.copytree(BLOG, target, ignore=shutil.ignore_patterns(".safeshift", "__pycache__", "*.html"))
    return target


#: identifiers Mermaid's grammar cannot take as they are: spaces, quotes, %, #, a key word, non-ASCII, a digit first
ODD_BEFORE = """
CREATE TABLE "Users Table" ("user id" INTEGER PRIMARY KEY, "e-mail" TEXT UNIQUE, "名前" TEXT);
CREATE TABLE "order items" (
  "pk" INTEGER PRIMARY KEY,
  "select" TEXT NOT NULL,
  "quote""d" NUMERIC(10,2),
  "weird%col" TEXT,
  "1st#tag" TEXT,
  "owner" INTEGER REFERENCES "Users Table" ("user id")
);
CREATE TABLE "<b>gone</b>" (id INTEGER PRIMARY KEY, "owner" INTEGER REFERENCES "Users Table" ("user id"));
CREATE TABLE bystander (id INTEGER PRIMARY KEY, item INTEGER REFERENCES "order items" ("pk"));
CREATE TABLE unrelated (id INTEGER PRIMARY KEY);
"""
#: after: a column dropped, one added, one retyped, one made NOT NULL, a table dropped, one added with a FK
ODD_AFTER = """
CREATE TABLE "Users Table" ("user id" INTEGER PRIMARY KEY, "e-mail" TEXT UNIQUE, "名前" TEXT);
CREATE TABLE "order items" (
  "pk" INTEGER PRIMARY KEY,
  "select" TEXT NOT NULL,
  "quote""d" TEXT,
  "1st#tag" TEXT NOT NULL DEFAULT '',
  "owner" INTEGER REFERENCES "Users Table" ("user id"),
  "Ünïcode ✓" TEXT
);
CREATE TABLE bystander (id INTEGER PRIMARY KEY, item INTEGER REFERENCES "order items" ("pk"));
CREATE TABLE unrelated (id INTEGER PRIMARY KEY);
CREATE TABLE "new ""fancy"" table" (id INTEGER PRIMARY KEY, item INTEGER NOT NULL REFERENCES "order items" ("pk"));
"""


def sqlite_schema(tmp: Path, name: str, ddl: str) -> Schema:
    """The schema safeshift reads from a real SQLite database built by ``ddl``."""
    path = tmp / f"{name}.db"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(ddl)
    conn.close()
    return introspect_url(get_dialect("sqlite"), f"sqlite:///{path}")


def odd_schemas(tmp: Path) -> tuple[Schema, Schema]:
    return sqlite_schema(tmp, "odd_before", ODD_BEFORE), sqlite_schema(tmp, "odd_after", ODD_AFTER)

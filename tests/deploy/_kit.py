"""A project to deploy: the rehearse kit's migrations and rows, an environment `production` pointing at
the test's database, health scripts, and readers for the release record and the database's state.

The first migration is applied and the tables hold rows, as on a production database; the
migrations after it are what a deploy applies.  Snapshots come from the database each migration
leaves behind, so `verify` after a deploy is meaningful.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from safeshift import history
from safeshift.backup import table_fingerprint
from safeshift.dialects import dialect_for_url
from tests.rehearse._kit import V1 as V1  # re-exported: the first migrations are the rehearse kit's
from tests.rehearse._kit import V2 as V2
from tests.rehearse._kit import Migr, build, fill
from tests.runner._project import Outcome, Project, history_rows, invoke, run, schema_of

V3: Migr = ("20260101000003", "create_tags",
            "CREATE TABLE tags (id integer PRIMARY KEY, label text NOT NULL);\n"
            "CREATE INDEX tags_label ON tags (label);",
            "DROP INDEX tags_label;\nDROP TABLE tags;")
#: a unique index over emails production holds twice (acknowledged in review: users is small)
V3_UNIQUE: Migr = ("20260101000003", "unique_email",
                   "-- safeshift:allow require-concurrent-index-creation users holds a few hundred rows\n"
                   "CREATE UNIQUE INDEX users_email ON users (email);",
                   "DROP INDEX users_email;")
#: data loss `review` refuses on a table with rows
V3_DROP: Migr = ("20260101000003", "drop_comment_body",
                 "ALTER TABLE comments DROP COLUMN body;",
                 "ALTER TABLE comments ADD COLUMN body text;")
#: a table that counts how often the migration ran (applied exactly once, however many deploys race)
V3_LOG: Migr = ("20260101000003", "create_deploy_log",
                "CREATE TABLE deploy_log (id integer PRIMARY KEY, note text);\n"
                "INSERT INTO deploy_log (id, note) VALUES (1, 'applied');",
                "DROP TABLE deploy_log;")
PLAN = (V1, V2, V3)
START, NEW = V1[0], V3[0]

HEALTH_OK = "health_ok.py"
HEALTH_FAIL = "sh health_fail.sh"
HEALTH_FAIL_LINE = "GET /ready: 503 Service Unavailable"

_HEALTH_OK = '''
import os, sys
from safeshift.dialects import dialect_for_url
from safeshift.engines import engine_for

url = os.environ["DATABASE_URL"]
d = dialect_for_url(url)
conn = engine_for(d).connect(url, create=False)
users = conn.execute("SELECT count(*) FROM users").fetchone()[0]
names = conn.execute("SELECT count(name) FROM users").fetchone()[0]  # fails before V2
print(f"healthy: {users} users, {names} named")
'''


def health_ok() -> str:
    """A health command that reads the new column through DATABASE_URL, as an app's check would."""
    return f'"{sys.executable}" {HEALTH_OK}'


def make(tmp_path: Path, url: str, items: Sequence[Migr] = PLAN, *, env: str = "", health: str | None = None,
         env_url: str | None = None, duplicate_email: bool = False) -> Project:
    """A sealed project whose database has V1 and rows; ``env`` adds keys to [environments.production].

    ``health`` defaults to the passing check; ``env_url`` is what the table's url says (default: ``url``).
    """
    cmd = health_ok() if health is None else health
    table = (f"[environments.production]\nurl = {json.dumps(env_url or url)}\n"
             + (f"health = {_toml_literal(cmd)}\n" if cmd else "") + env)
    p = build(tmp_path, url, items, rows=False, environments=table)
    fill(url, duplicate_email=duplicate_email)
    (p.root / HEALTH_OK).write_text(_HEALTH_OK, encoding="utf-8")
    (p.root / "health_fail.sh").write_text(f'echo "checking"\necho "{HEALTH_FAIL_LINE}"\nexit 3\n', encoding="utf-8")
    return p


def _toml_literal(text: str) -> str:
    assert "'" not in text and "\n" not in text, text
    return f"'{text}'"


def deploy(p: Project, *args: str, expect: int | None = 0, env: Mapping[str, str] | None = None,
           subprocess: bool = False, yes: bool = True) -> Outcome:
    """``safeshift deploy --env production [--yes] ARGS`` in the project (in-process unless ``subprocess``)."""
    how = run if subprocess else invoke
    return how(p.root, "deploy", "--env", "production", *(("--yes",) if yes else ()), *args, expect=expect, env=env)


# -- the release record ------------------------------------------------------------------------------

def records(p: Project) -> list[Path]:
    folder = p.root / ".safeshift" / "releases"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def record(p: Project) -> dict[str, Any]:
    """The newest release record's JSON, after checking its markdown twin exists."""
    found = records(p)
    assert found, "no release record written"
    assert found[-1].with_suffix(".md").is_file(), "the record's markdown is missing"
    data: dict[str, Any] = json.loads(found[-1].read_text())
    return data


def statuses(doc: Mapping[str, Any]) -> dict[str, str]:
    return {i["key"]: i["status"] for i in doc["items"]}


def item(doc: Mapping[str, Any], key: str) -> dict[str, Any]:
    found: dict[str, Any] = next(i for i in doc["items"] if i["key"] == key)
    return found


def record_name(p: Project) -> str:
    """How messages name the newest record: its markdown, relative to the project."""
    return f".safeshift/releases/{records(p)[-1].with_suffix('.md').name}"


def backups(p: Project) -> list[Path]:
    folder = p.root / ".safeshift" / "backups" / "production"
    return sorted(folder.glob("*.dump")) if folder.is_dir() else []


# -- what the database holds -----------------------------------------------------------------------

def data(url: str) -> dict[str, tuple[int, str]]:
    """Every application table's (row count, checksum); the history table is compared on its own."""
    return {k: v for k, v in table_fingerprint(url, dialect_for_url(url)).items() if history.TABLE not in k}


def snapshot(url: str) -> tuple[Any, dict[str, tuple[int, str]], dict[str, str]]:
    """Schema (introspected), rows (fingerprints) and history of ``url``."""
    return schema_of(url), data(url), history_rows(url)


def columns(url: str, table: str) -> list[str]:
    return next([c.name for c in t.columns] for t in schema_of(url).tables if t.name == table)


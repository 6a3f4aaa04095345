#!/usr/bin/env python3
"""Write stalls on MariaDB/MySQL while six changes land: plain ALTER TABLE (drizzle-kit's SQL), safeshift's
plan and pt-online-schema-change, side by side in one run.

Two tables, ``users`` and ``posts``, of ``--rows`` rows each (default 2,000,000, made with MariaDB's
SEQUENCE engine), take a write load of ``--clients`` Python clients (default 4, one process each,
PyMySQL on loopback, every statement its own autocommit transaction, every write's latency recorded)
in one of three write patterns, as in bench/write_stall.py:

- **update-both**: each round updates one random row of ``users`` and one of ``posts``;
- **update-insert**: it updates one random user and inserts one post;
- **insert-only**: it inserts one user and one post.

The six changes of the PostgreSQL benchmark land one after another, each timed on its own: an index on
``users.name``, a unique key on ``users.email``, a foreign key ``posts.author_id -> users.id``, a check on
``users.age``, ``users.name`` NOT NULL and ``users.age`` int -> bigint.  Each pattern gets a fresh copy of
the data per variant:

- **plain**: the SQL drizzle-kit itself generates for each change (``drizzle-kit generate``, run here),
  statement by statement in autocommit, as drizzle's MySQL migrator sends it;
- **safeshift**: the migration ``safeshift generate --expand`` writes for each change (the lock-safe form:
  ``ALGORITHM=INPLACE, LOCK=NONE`` or ``INSTANT``), applied by ``safeshift migrate --to VERSION``.  A change it
  refuses (one only a table copy can make: the CHECK, int -> bigint) is done as the refusal says: its printed
  pt-online-schema-change command, then the change in a migration written with ``--no-safe`` (hand-edited to a
  no-op where re-running it fails, as ADD CONSTRAINT does).  Were ``migrate`` to refuse MySQL, the up
  sections' statements would run one by one through PyMySQL and the column would say "rendering only";
- **pt-osc**: ``pt-online-schema-change --execute`` (Debian's percona-toolkit) with the change as its
  ``--alter``, its defaults otherwise (chunks sized to 0.5 s); once ``posts`` references ``users``, with
  ``--alter-foreign-keys-method rebuild_constraints --no-check-foreign-keys`` (``FK_METHOD_NOTE``);
- **floor** (only with ``--variants ...,floor``): the online index build each change needs, by hand
  (``FLOOR_SQL``; for the foreign key, the index on ``posts.author_id`` it needs), and nothing else;
- **copy** (only with ``--variants ...,copy``): a table copy done by this script, as a copy-based plan of
  safeshift's own would do it (not in safeshift yet): a new table with the change, triggers that keep it
  current, the rows copied in primary-key chunks sized to about 20 ms each (a consistent read of the chunk,
  then ``INSERT IGNORE ... VALUES`` of its rows, in READ COMMITTED with foreign-key checks off, so a chunk
  locks no row of the old table or of a parent), then ``RENAME TABLE`` swaps the two.  Not a safe plan yet:
  a row deleted between a chunk's read and its insert comes back in the copy (a real plan must remove it
  again); it measures the stalls such a copy makes.  Only for a table no other table references (the
  index, the unique key and the foreign key here): with children, the swap would leave their keys on the
  old table;
- **alone** (only with ``--variants ...,safeshift,...,alone``): the same load for as long as each of
  safeshift's changes took, with nothing applied: the stalls the load and the server make by themselves
  over a window of that length, which no plan can go under.

For each change, pattern and variant it reports the change's wall time and the p99 and max latency of the
writes that overlapped it (failed writes counted, their number shown), with the writes before the first
change as the idle baseline, printed beside it and not subtracted (as bench/write_stall.py reports).  Target (issue 19): safeshift's max stall <= 100 ms and no worse than
pt-online-schema-change.  ``--waits`` also samples the server's process list every few ms and names what
the stalled clients waited on, and what ran meanwhile.  ``--quick`` (20,000 rows, one pattern, short idle
windows) is the smoke run.  The InnoDB settings a stall depends on most (buffer pool, redo log size, how
commits are flushed) are printed with the results; ``--buffer-pool-mb`` and ``--log-file-mb`` set the first two
for the run and put them back afterwards (the floor under an online index build moves with the redo log's
size: docs/benchmarks.md).

Needs MariaDB or MySQL at 127.0.0.1:3306 (user root; ``--server`` or BENCH_MYSQL_ADMIN to change),
``cd bench && npm install`` for drizzle-kit, and ``apt-get install percona-toolkit`` for the pt-osc column.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pymysql

from _stall import WindowStats, Write, idle_stats, read_writes, run_logged, tool_env, window_stats

HERE = Path(__file__).resolve().parent
DEFAULT_WORK = HERE / ".work" / "write_stall_mysql"
#: where projects, logs and the clients' latency files go (``--work``)
WORK = DEFAULT_WORK
VENV_BIN = Path(sys.executable).parent
ADMIN = os.environ.get("BENCH_MYSQL_ADMIN", "mysql://root@127.0.0.1:3306")
TARGET_MS = 100.0
#: ``--pt-osc-flags``: more options for every pt-online-schema-change run (both columns that use it)
PT_OSC_FLAGS: list[str] = []
#: every database this run made (each dropped when done with), for the smoke test to check
DATABASES: list[str] = []
VARIANTS = ("plain", "safeshift", "pt-osc", "floor", "copy", "alone")
#: ``floor``: the online index build a change needs, by hand and nothing else (the key's index for the foreign
#: key): what any online plan of it must do at least, so its stall is the floor under safeshift's.  The
#: changes that only a table copy makes have no such floor here.
FLOOR_SQL = {
    "index": "ALTER TABLE `users` ADD INDEX `users_name_floor_idx` (`name`), ALGORITHM=INPLACE, LOCK=NONE",
    "unique": "ALTER TABLE `users` ADD UNIQUE INDEX `users_email_floor_idx` (`email`), ALGORITHM=INPLACE, LOCK=NONE",
    "fk": "ALTER TABLE `posts` ADD INDEX `posts_author_floor_idx` (`author_id`), ALGORITHM=INPLACE, LOCK=NONE",
}


@dataclass(frozen=True)
class Change:
    """One of the six changes: its key in the models, the table pt-osc rebuilds and the ALTER it is given."""

    key: str
    title: str
    table: str
    pt_alter: str
    pt_flags: tuple[str, ...] = ()
    pt_note: str = ""


CHANGES = (
    Change("index", "index users.name", "users", "ADD INDEX `users_name_idx` (`name`)"),
    Change("unique", "unique users.email", "users", "ADD CONSTRAINT `users_email_unique` UNIQUE (`email`)",
           ("--no-check-unique-key-change",),
           "pt-osc copies rows with INSERT IGNORE, so a duplicate would be dropped silently; it refuses a new "
           "unique key unless told --no-check-unique-key-change (the data here is unique)"),
    Change("fk", "foreign key posts.author_id", "posts",
           "ADD CONSTRAINT `posts_author_id_users_id_fk` FOREIGN KEY (`author_id`) REFERENCES `users` (`id`)"),
    Change("check", "check users.age >= 0", "users", "ADD CONSTRAINT `users_age_check` CHECK (`age` >= 0)"),
    Change("not-null", "users.name NOT NULL", "users", "MODIFY COLUMN `name` varchar(200) NOT NULL"),
    Change("bigint", "users.age int -> bigint", "users", "MODIFY COLUMN `age` bigint NULL"),
)

#: the statements of one round of each write pattern: (sql, needs a random id)
LOADS: dict[str, tuple[tuple[str, bool], ...]] = {
    "update-both": (("UPDATE users SET updated_at = NOW() WHERE id = %s", True),
                    ("UPDATE posts SET title = 'bench' WHERE id = %s", True)),
    "update-insert": (("UPDATE users SET updated_at = NOW() WHERE id = %s", True),
                      ("INSERT INTO posts (author_id, title) VALUES (%s, 'bench')", True)),
    # the email is the client's own uuid: MariaDB's RAND() repeats across sessions within thousands of values,
    # and a repeat would break the unique key the benchmark adds
    "insert-only": (("INSERT INTO users (name, email, age, updated_at) VALUES ('bench', %s, 1, NOW())", False),
                    ("INSERT INTO posts (author_id, title) VALUES (%s, 'bench')", True)),
}

MODELS = '''\
import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200){name_null}),
    sa.Column("email", sa.String(255)),
    sa.Column("age", sa.{age_type}),
    sa.Column("updated_at", sa.DateTime),
{users_extra})

posts = sa.Table(
    "posts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("author_id", sa.Integer{fk}),
    sa.Column("title", sa.Text),
)
'''

DRIZZLE = '''\
import {{ mysqlTable, int, varchar, text, datetime, bigint, index, unique, check }} from "drizzle-orm/mysql-core";
import {{ sql }} from "drizzle-orm";

export const users = mysqlTable("users", {{
  id: int("id").autoincrement().primaryKey(),
  name: varchar("name", {{ length: 200 }}){name_null},
  email: varchar("email", {{ length: 255 }}),
  age: {age_type},
  updated_at: datetime("updated_at"),
}}{users_extra});

export const posts = mysqlTable("posts", {{
  id: int("id").autoincrement().primaryKey(),
  author_id: int("author_id"){fk},
  title: text("title"),
}});
'''


def models(done: set[str]) -> str:
    extra = "".join(line for key, line in (
        ("index", '    sa.Index("users_name_idx", "name"),\n'),
        ("unique", '    sa.UniqueConstraint("email", name="users_email_unique"),\n'),
        ("check", '    sa.CheckConstraint("age >= 0", name="users_age_check"),\n')) if key in done)
    return MODELS.format(
        name_null=", nullable=False" if "not-null" in done else "",
        age_type="BigInteger" if "bigint" in done else "Integer", users_extra=extra,
        fk=', sa.ForeignKey("users.id", name="posts_author_id_users_id_fk")' if "fk" in done else "")


def drizzle(done: set[str]) -> str:
    extra = [item for key, item in (
        ("index", 'index("users_name_idx").on(t.name)'), ("unique", 'unique("users_email_unique").on(t.email)'),
        ("check", 'check("users_age_check", sql`${t.age} >= 0`)')) if key in done]
    return DRIZZLE.format(
        name_null=".notNull()" if "not-null" in done else "",
        age_type='bigint("age", { mode: "number" })' if "bigint" in done else 'int("age")',
        users_extra=f", (t) => [{', '.join(extra)}]" if extra else "",
        fk=".references(() => users.id)" if "fk" in done else "")


# -- the server ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    password: str

    @staticmethod
    def parse(url: str) -> Server:
        parts = urlsplit(url)
        return Server(parts.hostname or "127.0.0.1", parts.port or 3306, unquote(parts.username or "root"),
                      unquote(parts.password or ""))

    def connect(self, db: str | None = None) -> pymysql.connections.Connection[Any]:
        return pymysql.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               database=db, autocommit=True, connect_timeout=5)

    def url(self, db: str) -> str:
        secret = f":{self.password}" if self.password else ""
        return f"mysql://{self.user}{secret}@{self.host}:{self.port}/{db}"

    def dsn(self, db: str, table: str) -> str:
        """pt-online-schema-change's DSN (its own format, not a URL)."""
        secret = f",p={self.password}" if self.password else ""
        return f"h={self.host},P={self.port},u={self.user}{secret},D={db},t={table}"

    def execute(self, *statements: str, db: str | None = None) -> None:
        with self.connect(db) as conn, conn.cursor() as cur:
            for sql in statements:
                cur.execute(sql)


# -- the three ways to apply each change -----------------------------------------------------

@dataclass
class Plans:
    """What each variant runs for each change, worked out once before any load starts."""

    init: list[str]
    init_version: str
    plain: dict[str, list[str]]
    safeshift: dict[str, list[str]]
    safeshift_versions: dict[str, str]
    project: Path
    #: "migrate" (safeshift migrate runs MySQL) or "rendering only"
    safeshift_mode: str = "rendering only"
    #: whether safeshift's plan carries ALGORITHM=/LOCK= clauses
    online_clauses: bool = False
    #: changes ``generate --expand`` refused, done by their recipe (pt-osc, then a --no-safe migration)
    refused: dict[str, Refused] = field(default_factory=dict)


@dataclass(frozen=True)
class Refused:
    """A change ``generate --expand`` has no lock-safe form for, with the pt-online-schema-change recipe it prints."""

    reason: str
    alter: str
    table: str
    #: the hand edit the --no-safe migration needed to run after pt-osc ("" none)
    edit: str = ""
    #: the recipe's own options (its chunk time, how to move the children's foreign keys)
    flags: tuple[str, ...] = ()


_RECIPE = re.compile(r'pt-online-schema-change --alter "(?P<alter>(?:[^"\\]|\\.)*)"(?P<flags>(?: --[\w.=-]+)*) '
                     r'D=<database>,t=(?P<table>\w+)')


def safeshift_plans(proj: Path, log: Path) -> tuple[list[str], str, dict[str, list[str]], dict[str, str],
                                                    dict[str, Refused]]:
    """One safeshift project, one migration per change (``generate --expand``), each change on top of the last.

    A change the lock-safe mode refuses is done as its refusal says: the printed pt-online-schema-change
    command, then the same change in a migration written with ``--no-safe`` (the history's record of it)."""
    from safeshift.sections import parse_migration

    proj.mkdir(parents=True)
    (proj / "safeshift.toml").write_text('schema = "models:metadata"\nmigrations = "migrations"\n'
                                         'dialect = "mysql"\n')
    exe = str(VENV_BIN / "safeshift")
    done: set[str] = set()
    (proj / "models.py").write_text(models(done))
    run_logged([exe, "generate", "--name", "init"], proj, log, accept=_generated)
    files = {"init": _newest(proj / "migrations")}
    refused: dict[str, Refused] = {}
    for change in CHANGES:
        done.add(change.key)
        (proj / "models.py").write_text(models(done))
        before = _newest(proj / "migrations")
        name = change.key.replace("-", "_")
        text = run_logged([exe, "generate", "--name", name, "--expand"], proj, log,
                          accept=lambda rc, text: _generated(rc, text) or (rc == 1 and "no lock-safe form" in text))
        if "no lock-safe form" in text:
            recipe = _RECIPE.search(text)
            if recipe is None:
                raise SystemExit(f"safeshift refused {change.title} without a pt-online-schema-change recipe; see {log}")
            reason = next((line.split(": ", 1)[1].split("; copy the table online")[0] for line in text.splitlines()
                           if line.startswith("  ") and ": " in line), "no lock-safe form")
            run_logged([exe, "generate", "--name", name, "--no-safe"], proj, log, accept=_generated)
            edit = _once_done(_newest(proj / "migrations"))
            if edit:
                run_logged([exe, "rehash"], proj, log)
            refused[change.key] = Refused(reason, recipe["alter"].replace('\\"', '"'), recipe["table"], edit,
                                          tuple(recipe["flags"].split()))
        files[change.key] = _newest(proj / "migrations")
        if files[change.key] == before:
            raise SystemExit(f"safeshift generate wrote no migration for {change.title}; see {log}")
    statements = {key: [s.sql for s in parse_migration(path).up_statements] for key, path in files.items()}
    versions = {key: path.name.split("_", 1)[0] for key, path in files.items()}
    init = statements.pop("init")
    return init, versions.pop("init"), statements, versions, refused


def _once_done(path: Path) -> str:
    """Hand-edit a --no-safe migration whose change pt-osc already made, where running it again would fail.

    The refusal says the ALTER "then finds nothing left to change"; that holds for MODIFY COLUMN (the same
    definition again is a no-op) but not for ADD CONSTRAINT, which fails on the name pt-osc already created
    (MariaDB: ERROR 1826 Duplicate CHECK constraint name).  So each such statement becomes a comment and the
    section a no-op ``SELECT 1``, as a user would edit it before applying it anywhere (then ``rehash``)."""
    from safeshift.sections import parse_migration

    migration = parse_migration(path)
    again = [st.sql for st in migration.up_statements if re.search(r"\bADD\s+(CONSTRAINT|UNIQUE|FOREIGN|INDEX|KEY)\b",
                                                                      st.sql, re.IGNORECASE)]
    if not again:
        return ""
    text = path.read_text()
    for sql in again:
        text = text.replace(sql + ";", "-- done by pt-online-schema-change: " + " ".join(sql.split()) + "\nSELECT 1;", 1)
    path.write_text(text)
    return f"hand-edited to SELECT 1 (running {' '.join(again[0].split())!r} after pt-osc fails: duplicate name)"


def _generated(rc: int, text: str) -> bool:
    """``generate`` wrote the migration: exit 0, or exit 2 when only its closing review could not read MySQL
    SQL yet (the file is written before that review runs; the caller checks a new file is there)."""
    return rc == 0 or (rc == 2 and "review cannot read mysql SQL" in text)


def _newest(folder: Path) -> Path:
    made = sorted(folder.glob("*.sql"))
    if not made:
        raise SystemExit(f"no migration in {folder}")
    return made[-1]


def drizzle_plans(proj: Path, log: Path) -> dict[str, list[str]]:
    """drizzle-kit's own SQL for each change, one generate per change, split at its statement breakpoints."""
    kit = HERE / "node_modules" / ".bin" / "drizzle-kit"
    if not kit.exists():
        raise SystemExit("drizzle-kit is not installed: run `cd bench && npm install` first.")
    proj.mkdir(parents=True)
    (proj / "node_modules").symlink_to(HERE / "node_modules")
    (proj / "drizzle.config.ts").write_text(textwrap.dedent("""\
        import { defineConfig } from 'drizzle-kit';
        export default defineConfig({ dialect: 'mysql', schema: './schema.ts', out: './drizzle' });
    """))
    done: set[str] = set()
    (proj / "schema.ts").write_text(drizzle(done))
    run_logged([str(kit), "generate", "--name", "init"], proj, log)
    plans: dict[str, list[str]] = {}
    for change in CHANGES:
        done.add(change.key)
        name = change.key.replace("-", "_")
        (proj / "schema.ts").write_text(drizzle(done))
        run_logged([str(kit), "generate", "--name", name], proj, log)
        made = sorted((proj / "drizzle").glob(f"*_{name}.sql"))
        if not made:
            raise SystemExit(f"drizzle-kit wrote no migration for {change.title}; see {log}")
        plans[change.key] = [s.strip() for s in made[-1].read_text().split("--> statement-breakpoint") if s.strip()]
    return plans


def safeshift_runs_mysql(server: Server, plans: Plans, log: Path) -> tuple[bool, str]:
    """Whether ``safeshift migrate`` applies MySQL migrations yet: tried on a scratch database with the init
    migration.  Only its documented refusal ("not supported ... yet", exit 2) means no; any other failure stops
    the benchmark, so a broken runner is never mistaken for a missing one."""
    db = f"bench_stall_probe_{uuid.uuid4().hex[:6]}"
    DATABASES.append(db)
    server.execute(f"CREATE DATABASE `{db}`")
    try:
        cmd = [str(VENV_BIN / "safeshift"), "migrate", "--url", server.url(db), "--yes", "--to", plans.init_version]
        proc = subprocess.run(cmd, cwd=plans.project, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              env=tool_env(cmd))
        with log.open("a") as out:
            out.write(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
        if proc.returncode == 0:
            return True, ""
        if proc.returncode == 2 and "not supported" in proc.stderr:
            return False, proc.stderr.strip().removeprefix("error: ")
        raise SystemExit(f"safeshift migrate failed on a scratch database ({proc.returncode}): {proc.stderr.strip()}")
    finally:
        server.execute(f"DROP DATABASE IF EXISTS `{db}`")


def pt_osc() -> str | None:
    return shutil.which("pt-online-schema-change")


# -- a copy of the data ----------------------------------------------------------------------

@contextmanager
def fresh_copy(server: Server, plans: Plans, variant: str, rows: int, log: Path) -> Iterator[str]:
    """A new database at the starting schema with ``rows`` users and posts; dropped afterwards, whatever
    happened (pt-osc's leftovers, its ``_users_new`` and triggers, go with it)."""
    db = f"bench_stall_my_{variant.replace('-', '')}_{uuid.uuid4().hex[:6]}"
    DATABASES.append(db)
    server.execute(f"CREATE DATABASE `{db}`")
    try:
        if variant == "safeshift" and plans.safeshift_mode == "migrate":
            run_logged([str(VENV_BIN / "safeshift"), "migrate", "--url", server.url(db), "--yes", "--to",
                        plans.init_version], plans.project, log)
        else:
            server.execute(*plans.init, db=db)
        server.execute(
            "INSERT INTO users (id, name, email, age, updated_at) SELECT seq, CONCAT('user ', seq), "
            f"CONCAT('u', seq, '@example.com'), seq % 90, '2026-01-01 00:00:00' FROM seq_1_to_{rows}",
            f"INSERT INTO posts (id, author_id, title) SELECT seq, seq, CONCAT('post ', seq) FROM seq_1_to_{rows}",
            "ANALYZE TABLE users, posts", db=db)
        yield db
    finally:
        server.execute(f"DROP DATABASE IF EXISTS `{db}`")


# -- the load --------------------------------------------------------------------------------

def client(server: Server, db: str, pattern: str, rows: int, seed: int, stop: Event, deadline: float,
           max_rounds: int, out: str) -> None:
    """One writer: rounds of the pattern's statements until told to stop (or the deadline or round bound),
    each statement's (began, latency, ok) kept; failed writes are kept too, with their error's text."""
    rnd = random.Random(seed)
    conn = server.connect(db)
    cur = conn.cursor()
    log = array("d")
    errors: list[tuple[float, str]] = []
    rounds = 0
    statements = LOADS[pattern]
    while not stop.is_set() and rounds < max_rounds and time.monotonic() < deadline:
        for sql, needs_id in statements:
            began = time.monotonic()
            ok = 1.0
            try:
                cur.execute(sql, (rnd.randint(1, rows),) if needs_id else
                            ((f"{uuid.uuid4().hex}@example.com",) if "%s" in sql else None))
            except pymysql.Error as exc:
                ok = 0.0
                if len(errors) < 10_000:
                    errors.append((began, str(exc)[:120]))
            log.extend((began, time.monotonic() - began, ok))
            if not ok:
                time.sleep(0.001)
                if not conn.open:
                    try:
                        conn = server.connect(db)
                        cur = conn.cursor()
                    except pymysql.Error:
                        time.sleep(0.01)
        rounds += 1
    conn.close()
    with open(out, "wb") as f:
        log.tofile(f)
    Path(out + ".errors.json").write_text(json.dumps(errors))


def sampler(server: Server, db: str, stop: Event, every_ms: float, stalled_ms: int, out: str) -> None:
    """``--waits``: the process list every ``every_ms``; a sample is kept when a load client's statement has
    run ``stalled_ms`` or more, with what every other statement of the database was doing at that moment."""
    load_heads = tuple({sql.split(" (")[0].split(" SET")[0] for stmts in LOADS.values() for sql, _ in stmts})
    kept = []
    with server.connect() as conn, conn.cursor() as cur:
        while not stop.is_set():
            now = time.monotonic()
            cur.execute("SELECT TIME_MS, STATE, LEFT(INFO, 70) FROM information_schema.PROCESSLIST "
                        "WHERE DB = %s AND COMMAND = 'Query' AND ID <> CONNECTION_ID()", (db,))
            rows = [(float(ms), state, info) for ms, state, info in cur.fetchall()]
            stalled = [(state or "", ms) for ms, state, info in rows
                       if info and info.startswith(load_heads) and ms >= stalled_ms]
            if stalled:
                others = [(state or "", (info or "")[:70]) for ms, state, info in rows
                          if not (info and info.startswith(load_heads))]
                kept.append((now, stalled, others))
            time.sleep(every_ms / 1000)
    Path(out).write_text(json.dumps(kept))


@dataclass
class Result:
    pattern: str
    variant: str
    change: str
    seconds: float
    writes: int
    errors: int
    p99_ms: float
    max_ms: float
    idle_p99_ms: float
    idle_max_ms: float
    worst: list[tuple[float, float]]
    note: str = ""
    error_kinds: dict[str, int] = field(default_factory=dict)
    #: --waits: what the stalled clients' statements were doing, and what else ran, during this change
    waits: dict[str, int] = field(default_factory=dict)
    running: dict[str, int] = field(default_factory=dict)
    #: False: the variant could not make this change (n/a; ``note`` says why)
    applied: bool = True
    #: --waits: the slowest write's wait, phase by phase: (its state, what the change ran meanwhile, ms)
    story: list[tuple[str, str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Settings:
    rows: int
    clients: int
    idle_s: float
    gap_s: float
    waits: bool
    waits_every_ms: float = 5.0
    waits_stalled_ms: int = 30


def measure(server: Server, plans: Plans, pattern: str, variant: str, settings: Settings,
            lengths: dict[str, float] | None = None) -> list[Result]:
    """One copy of the data under one write pattern; the six changes one after another, each its own window
    (``alone``: each window as long as ``lengths`` says, safeshift's time for that change, with nothing applied)."""
    logs = WORK / f"{pattern}_{variant}"
    logs.mkdir(parents=True)
    log = logs / "commands.log"
    results: list[Result] = []
    with fresh_copy(server, plans, variant, settings.rows, log) as db:
        appliers = {"plain": lambda c: _run_plain(server, db, plans.plain[c.key]),
                    "safeshift": lambda c: _run_safeshift(server, db, plans, c, log),
                    "pt-osc": lambda c: _run_pt_osc(server, db, c, log),
                    "floor": lambda c: _run_floor(server, db, c),
                    "copy": lambda c: _run_copy(server, db, c),
                    "alone": lambda c: _run_nothing((lengths or {}).get(c.key, 0.0))}
        apply: Callable[[Change], str] = appliers[variant]
        stop = mp.Event()
        deadline = time.monotonic() + 4 * 3600
        procs = [mp.Process(target=client, args=(server, db, pattern, settings.rows, i, stop, deadline, 10**8,
                                                 str(logs / f"client{i}.bin"))) for i in range(settings.clients)]
        if settings.waits:
            procs.append(mp.Process(target=sampler, args=(server, db, stop, settings.waits_every_ms,
                                                          settings.waits_stalled_ms, str(logs / "waits.json"))))
        for p in procs:
            p.start()
        windows: list[tuple[Change, float, float, str, bool]] = []
        try:
            time.sleep(settings.idle_s)
            for change in CHANGES:
                start = time.monotonic()
                applied = True
                try:
                    note = apply(change)
                except NotApplied as exc:
                    note, applied = str(exc), False
                windows.append((change, start, time.monotonic(), note, applied))
                time.sleep(settings.gap_s)
        finally:
            stop.set()
            for p in procs:
                p.join(60)
                if p.is_alive():
                    p.terminate()
    writes: list[Write] = []
    failures: list[tuple[float, str]] = []
    for i in range(settings.clients):
        path = logs / f"client{i}.bin"
        writes += read_writes(path)
        failures += [(at, text) for at, text in json.loads(Path(str(path) + ".errors.json").read_text())]
    samples = json.loads((logs / "waits.json").read_text()) if settings.waits else []
    idle_p99, idle_max = idle_stats(writes, windows[0][1])
    for change, start, end, note, applied in windows:
        stats: WindowStats = window_stats(writes, start, end)
        if stats.writes == 0:
            raise SystemExit(f"no write overlapped {change.title} ({variant}, {pattern}); see {logs}")
        waits: Counter[str] = Counter()
        running: Counter[str] = Counter()
        for at, stalled, others in samples:
            if start <= at <= end:
                waits.update(state or "(no state)" for state, _ in stalled)
                running.update(f"{state or '(no state)'}: {info}" for state, info in others)
        kinds = dict(Counter(text for at, text in failures if start <= at <= end).most_common(5))
        story = _worst_story(writes, samples, start, end)
        results.append(Result(pattern, variant, change.key, end - start, stats.writes, stats.errors, stats.p99_ms,
                              stats.max_ms, idle_p99, idle_max, list(stats.worst), note, kinds,
                              dict(waits.most_common(5)), dict(running.most_common(5)), applied, story))
    return results


def _worst_story(writes: list[Write], samples: list[Any], start: float, end: float) -> list[tuple[str, str, float]]:
    """The slowest write of a window told from the process-list samples taken while it waited: consecutive
    samples with the same (stalled clients' commonest state, the change's statement and state) merged into one
    phase with its length.  Says whether writers queued on a metadata lock, waited inside InnoDB ('Updating',
    'Commit'), or were simply slow while something else ran."""
    inside = [w for w in writes if w[0] <= end and w[0] + w[1] >= start]
    if not inside or not samples:
        return []
    began, latency, _ = max(inside, key=lambda w: w[1])
    phases: list[tuple[str, str, float]] = []
    last_at = began
    for at, stalled, others in samples:
        if not began <= at <= began + latency:
            continue
        state = Counter(st for st, _ in stalled).most_common(1)[0][0] or "(no state)"
        doing = "; ".join(f"{st or '(no state)'}: {' '.join(info.split())[:60]}" for st, info in others[:2]) or "-"
        ms = (at - last_at) * 1000
        if phases and phases[-1][:2] == (state, doing):
            phases[-1] = (state, doing, round(phases[-1][2] + ms, 1))
        else:
            phases.append((state, doing, round(ms, 1)))
        last_at = at
    return phases


def _run_floor(server: Server, db: str, change: Change) -> str:
    sql = FLOOR_SQL.get(change.key)
    if sql is None:
        raise NotApplied("no online form: a table copy is the least that makes it")
    return _run_plain(server, db, [sql])


#: ``copy``: what each chunk of the copy aims at, as safeshift's backfill batches do
COPY_CHUNK_MS = 20.0


def _run_copy(server: Server, db: str, change: Change) -> str:
    """``change`` by a chunked table copy (the ``copy`` variant); returns a note with its chunk count."""
    t = change.table
    new, old = f"_{t}_copy_new", f"_{t}_copy_old"
    with server.connect(db) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.KEY_COLUMN_USAGE WHERE REFERENCED_TABLE_SCHEMA = %s "
                    "AND REFERENCED_TABLE_NAME = %s", (db, t))
        if cur.fetchone()[0]:
            raise NotApplied("other tables reference it: a swap would leave their keys on the old table")
        cur.execute("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s "
                    "ORDER BY ORDINAL_POSITION", (db, t))
        cols = [r[0] for r in cur.fetchall()]
        names = ", ".join(f"`{c}`" for c in cols)
        values = ", ".join(f"NEW.`{c}`" for c in cols)
        cur.execute(f"CREATE TABLE `{new}` LIKE `{t}`")
        cur.execute(f"ALTER TABLE `{new}` {change.pt_alter}")
        cur.execute(f"CREATE TRIGGER `{t}_copy_ai` AFTER INSERT ON `{t}` FOR EACH ROW "
                    f"REPLACE INTO `{new}` ({names}) VALUES ({values})")
        cur.execute(f"CREATE TRIGGER `{t}_copy_au` AFTER UPDATE ON `{t}` FOR EACH ROW "
                    f"REPLACE INTO `{new}` ({names}) VALUES ({values})")
        cur.execute(f"CREATE TRIGGER `{t}_copy_ad` AFTER DELETE ON `{t}` FOR EACH ROW "
                    f"DELETE FROM `{new}` WHERE `id` = OLD.`id`")
        cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cur.execute("SET SESSION foreign_key_checks = 0")
        cur.execute(f"SELECT MAX(`id`) FROM `{t}`")
        last = cur.fetchone()[0] or 0
        after, rows, chunks = 0, 1000, 0
        while after < last:
            cur.execute(f"SELECT MAX(`id`) FROM (SELECT `id` FROM `{t}` WHERE `id` > %s ORDER BY `id` LIMIT %s) c",
                        (after, rows))
            hi = min(cur.fetchone()[0] or last, last)
            t0 = time.perf_counter()
            # read, then insert the rows as values: an INSERT ... SELECT is a bulk insert, which holds the new
            # table's AUTO-INC lock to its end, and a trigger's insert waiting for it while the chunk waits for
            # the trigger's row is a deadlock (innodb_autoinc_lock_mode 1, the default); a multi-row VALUES
            # insert takes the counter's mutex only
            cur.execute(f"SELECT {names} FROM `{t}` WHERE `id` > %s AND `id` <= %s", (after, hi))
            got = cur.fetchall()
            if got:
                cur.executemany(f"INSERT IGNORE INTO `{new}` ({names}) VALUES ({', '.join(['%s'] * len(cols))})",
                                got)
            ms = (time.perf_counter() - t0) * 1000
            chunks += 1
            after = hi
            rows = int(min(max(rows * COPY_CHUNK_MS / max(ms, 0.1), rows / 2, 100), rows * 1.5, 50_000))
        cur.execute(f"RENAME TABLE `{t}` TO `{old}`, `{new}` TO `{t}`")
        for suffix in ("ai", "au", "ad"):
            cur.execute(f"DROP TRIGGER `{t}_copy_{suffix}`")
        cur.execute(f"DROP TABLE `{old}`")
    return f"copied in {chunks} chunks aimed at {COPY_CHUNK_MS:g} ms"


def _run_nothing(seconds: float) -> str:
    time.sleep(seconds)
    return ""


def _run_plain(server: Server, db: str, statements: list[str]) -> str:
    try:
        return _run_sql(server, db, statements)
    except SystemExit as exc:  # the later changes are tried all the same
        raise NotApplied(str(exc)) from exc


def _run_sql(server: Server, db: str, statements: list[str]) -> str:
    with server.connect(db) as conn, conn.cursor() as cur:
        for sql in statements:
            try:
                cur.execute(sql)
            except pymysql.Error as exc:
                raise SystemExit(f"{sql!r} failed on {db}: {exc}") from exc
    return ""


class NotApplied(Exception):
    """A variant could not make the change at all (pt-osc refused): the result says n/a with the reason."""


def _run_safeshift(server: Server, db: str, plans: Plans, change: Change, log: Path) -> str:
    notes = []
    refused = plans.refused.get(change.key)
    if refused is not None:
        notes.append(f"refused by generate --expand ({refused.reason}); done by its recipe: pt-osc --alter "
                     f"{refused.alter!r} {' '.join(refused.flags)}, then the --no-safe migration"
                     + (f", {refused.edit}" if refused.edit else ""))
        notes += [n for n in [_pt_osc(server, db, refused.table, refused.alter, refused.flags, log)] if n]
    if plans.safeshift_mode == "migrate":
        # the --no-safe migration's ALTER is what review calls a table copy (mysql-table-copy), though pt-osc
        # has made the change already and it finds nothing to do: migrate's review gate needs the override
        allow = ["--allow-hazards"] if refused is not None else []
        if allow:
            notes.append("migrate needed --allow-hazards (review flags the no-op ALTER as a table copy)")
        try:
            run_logged([str(VENV_BIN / "safeshift"), "migrate", "--url", server.url(db), "--yes", *allow, "--to",
                        plans.safeshift_versions[change.key]], plans.project, log)
        except SystemExit as exc:  # the later changes are tried all the same, each failing or not on its own
            raise NotApplied(f"safeshift migrate failed: {' '.join(str(exc).splitlines()[1:])}") from exc
    elif refused is None:
        _run_sql(server, db, plans.safeshift[change.key])
    else:
        try:
            _run_sql(server, db, plans.safeshift[change.key])
        except SystemExit as exc:  # what the recipe's "finds nothing left to change" meets on this server
            notes.append(f"the --no-safe migration then failed: {exc}")
    return "; ".join(notes)


def _run_pt_osc(server: Server, db: str, change: Change, log: Path) -> str:
    note = _pt_osc(server, db, change.table, change.pt_alter, change.pt_flags, log)
    return "; ".join(n for n in (change.pt_note, note) if n)


#: why the benchmark picks pt-osc's foreign-key method itself once ``posts`` references ``users``
FK_METHOD_NOTE = (
    "posts references users, so pt-osc needs --alter-foreign-keys-method; its auto picks drop_swap for a child "
    "this size, which pt-osc 3.2.1 refuses here (it reads Debian's version_comment and takes MariaDB 10.11 for "
    "MySQL 8.0+), so rebuild_constraints, with --no-check-foreign-keys (pt-osc's sessions then run with "
    "foreign_key_checks off, so its ALTER TABLE posts re-adding the FK is in place, not a copy of posts)")


def _pt_osc(server: Server, db: str, table: str, alter: str, flags: tuple[str, ...], log: Path) -> str:
    """pt-online-schema-change with its defaults but for what this machine needs: no version check (no
    network), no replicas to look for, ``--no-check-unique-key-change`` for a unique key (the data is unique),
    and ``--alter-foreign-keys-method rebuild_constraints --no-check-foreign-keys`` where another table references
    this one (``FK_METHOD_NOTE``; without the second, the child's FK is re-added by a blocking copy of the child:
    ``--pt-osc-flags=--check-foreign-keys`` measures that).  A refusal of pt-osc's is ``NotApplied`` with its reason."""
    exe = pt_osc()
    assert exe is not None  # checked before any variant runs
    notes = []
    if "UNIQUE" in alter.upper() and "--no-check-unique-key-change" not in flags:
        flags = (*flags, "--no-check-unique-key-change")
    with server.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS "
                    "WHERE CONSTRAINT_SCHEMA = %s AND REFERENCED_TABLE_NAME = %s", (db, table))
        if cur.fetchone()[0] and not any(f.startswith("--alter-foreign-keys-method") for f in flags):
            flags = (*flags, "--alter-foreign-keys-method=rebuild_constraints", "--no-check-foreign-keys")
            notes.append(FK_METHOD_NOTE)
    try:
        run_logged([exe, "--execute", "--noversion-check", "--recursion-method=none", *flags, *PT_OSC_FLAGS,
                    "--alter", alter, server.dsn(db, table)], WORK, log)
    except SystemExit as exc:
        raise NotApplied(f"pt-online-schema-change refused or failed: {' '.join(str(exc).splitlines()[1:])}") from exc
    return "; ".join(notes)


# -- report ----------------------------------------------------------------------------------

def report(results: list[Result], patterns: list[str], variants: list[str], plans: Plans, settings: Settings,
           version: str) -> int:
    print(f"write stalls on {version}, users/posts x {settings.rows:,} rows, {settings.clients} Python clients "
          "(PyMySQL, one autocommit transaction per write)")
    if "safeshift" in variants:
        print(f"safeshift: {plans.safeshift_mode}; ALGORITHM/LOCK clauses in its plan: "
              f"{'yes' if plans.online_clauses else 'no'}")
    failed = 0
    for pattern in patterns:
        rows = {(r.variant, r.change): r for r in results if r.pattern == pattern}
        idle = ", ".join(f"{v} {rows[v, CHANGES[0].key].idle_p99_ms:.1f}/{rows[v, CHANGES[0].key].idle_max_ms:.1f}"
                         for v in variants)
        print(f"\n{pattern} (idle p99/max ms before the first change: {idle})")
        head = f"{'change':<12}" + "".join(f"{v + ' s':>13}{v + ' max':>15}{'err':>5}" for v in variants)
        print(head + "  verdict")
        for change in CHANGES:
            line = f"{change.key:<12}"
            for v in variants:
                r = rows[v, change.key]
                line += (f"{r.seconds:>13.2f}{r.max_ms:>15.1f}{r.errors:>5}" if r.applied else f"{'n/a':>13}{'n/a':>15}"
                                                                                                 f"{'':>5}")
            verdict = ""
            if "safeshift" in variants:
                ss = rows["safeshift", change.key]
                ok = ss.applied and ss.max_ms <= TARGET_MS and ss.errors == 0
                parts = [f"ss max {'<=' if ss.max_ms <= TARGET_MS else '>'} {TARGET_MS:.0f} ms"
                         if ss.applied else "safeshift could not make the change"]
                if ss.errors:
                    parts.append(f"{ss.errors} failed writes")
                for peer in ("plain", "pt-osc"):
                    other = rows.get((peer, change.key))
                    if other is not None and other.applied and ss.applied:
                        parts.append(f"{ss.max_ms / max(other.max_ms, 1e-3):.2f}x {peer} stall, "
                                     f"{ss.seconds / max(other.seconds, 1e-3):.2f}x its time")
                        if peer == "pt-osc":
                            ok = ok and ss.max_ms <= other.max_ms
                alone = rows.get(("alone", change.key))
                if alone is not None:
                    parts.append(f"the load alone {alone.max_ms:.1f} ms in as long")
                failed += not ok
                verdict = f"{'PASS' if ok else 'FAIL'} ({'; '.join(parts)})"
            print(line + "  " + verdict)
    notes = {(r.variant, r.change, r.note) for r in results if r.note}
    for variant, change_key, note in sorted(notes):
        print(f"note, {variant} {change_key}: {note}")
    for r in results:
        if r.errors:
            print(f"{r.pattern} {r.variant} {r.change}: {r.errors} failed writes: {r.error_kinds}")
    for r in results:
        print(f"{r.pattern} {r.variant} {r.change}: slowest writes (ms after start, ms): {r.worst}")
        if r.waits:
            print(f"    stalled clients' states: {r.waits}; meanwhile: {r.running}")
        for state, doing, ms in r.story:
            print(f"    slowest write: {ms:8.1f} ms {state!r} while {doing}")
    return 1 if failed else 0


def _stopped(signum: int, frame: object) -> None:
    """SIGTERM ends the run through its clean-up (clients stopped, databases dropped), as Ctrl-C does; a
    background job started from a script has SIGINT ignored, so SIGTERM is how one is stopped."""
    raise SystemExit(f"stopped by signal {signum}")


def main() -> int:
    global WORK
    signal.signal(signal.SIGTERM, _stopped)
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rows", type=int, help="rows per table (default 2,000,000; --quick: 20,000)")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--patterns", help=f"comma-separated write patterns (default all of {', '.join(LOADS)}; "
                                       "--quick: update-insert)")
    ap.add_argument("--variants", default="plain,safeshift,pt-osc",
                    help="comma-separated: plain, safeshift, pt-osc, floor (the changes' online index builds by hand), "
                         "copy (a chunked table copy by this script, as a copy-based plan would do it), "
                         "alone (the load for as long as safeshift took, nothing applied; after safeshift)")
    ap.add_argument("--quick", action="store_true", help="the smoke run: 20,000 rows, one pattern, short idle windows")
    ap.add_argument("--waits", action="store_true", help="sample the process list: what stalled writes waited on")
    ap.add_argument("--server", default=ADMIN, help="the server's URL without a database (default %(default)s)")
    ap.add_argument("--pt-osc-flags", default="", help="more options for every pt-online-schema-change run, "
                                                        "e.g. \"--chunk-time 0.1\"")
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK, help="folder for projects and logs, emptied first "
                                                            "(default %(default)s)")
    ap.add_argument("--buffer-pool-mb", type=int,
                    help="InnoDB's buffer pool size for the run (SET GLOBAL, put back at the end); default: the "
                         "server's own, printed with the results")
    ap.add_argument("--log-file-mb", type=int,
                    help="InnoDB's redo log size for the run (MariaDB 10.9+; put back at the end); default: the "
                         "server's own, printed with the results")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    WORK = args.work.resolve()
    PT_OSC_FLAGS[:] = shlex.split(args.pt_osc_flags)
    rows = args.rows or (20_000 if args.quick else 2_000_000)
    patterns = [p.strip() for p in (args.patterns or ("update-insert" if args.quick else ",".join(LOADS))).split(",")
                if p.strip()]
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if not patterns or any(p not in LOADS for p in patterns):
        raise SystemExit(f"unknown write pattern in {args.patterns!r}; use {', '.join(LOADS)}")
    if not variants or any(v not in VARIANTS for v in variants):
        raise SystemExit(f"unknown variant in {args.variants!r}; use {', '.join(VARIANTS)}")
    if "alone" in variants and ("safeshift" not in variants or variants.index("alone") < variants.index("safeshift")):
        raise SystemExit("the alone variant lasts as long as safeshift's changes took: list safeshift before it")
    if "pt-osc" in variants and pt_osc() is None:
        raise SystemExit("pt-online-schema-change is not on PATH: apt-get install percona-toolkit, "
                         "or leave it out with --variants plain,safeshift.")
    settings = Settings(rows, args.clients, 0.5 if args.quick else 3.0, 0.1 if args.quick else 2.0, args.waits)
    server = Server.parse(args.server)
    try:
        with server.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT VERSION()")
            version = str(cur.fetchone()[0])
    except pymysql.Error as exc:
        raise SystemExit(f"cannot reach the MySQL/MariaDB server at {server.host}:{server.port} ({exc}); "
                         "start it or pass --server.") from exc
    with sized_server(server, {"buffer_pool_mb": args.buffer_pool_mb, "log_file_mb": args.log_file_mb}):
        version += f" ({innodb_settings(server)})"
        return run(args, server, version, rows, patterns, variants, settings)


def innodb_settings(server: Server) -> str:
    """The server settings a write stall depends on most, printed with every run: how much of the two tables the
    buffer pool holds (the rest is read from disk while an index is built) and how commits reach the disk."""
    with server.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT @@innodb_buffer_pool_size, @@innodb_log_file_size, @@innodb_flush_log_at_trx_commit, "
                    "@@innodb_flush_method")
        pool, log_size, flush, method = cur.fetchone()
    return (f"innodb_buffer_pool_size {int(pool) // 2**20} MB, innodb_log_file_size {int(log_size) // 2**20} MB, "
            f"innodb_flush_log_at_trx_commit {flush}, innodb_flush_method {method}")


#: ``--buffer-pool-mb`` and ``--log-file-mb``: the InnoDB settings the run may size, both dynamic on MariaDB 10.9+
#: (MySQL 8 resizes the buffer pool online, the redo log only from 8.0.30, as innodb_redo_log_capacity)
SIZED = {"buffer_pool_mb": "innodb_buffer_pool_size", "log_file_mb": "innodb_log_file_size"}


@contextmanager
def sized_server(server: Server, sizes: dict[str, int | None]) -> Iterator[None]:
    """The InnoDB sizes asked for (MB, by ``SIZED`` key) set for the run with SET GLOBAL and put back afterwards,
    also when the run fails or is stopped: the server is left as it was found."""
    wanted = {SIZED[k]: mb * 2**20 for k, mb in sizes.items() if mb is not None}
    before: dict[str, int] = {}
    try:
        for name, size in wanted.items():
            with server.connect() as conn, conn.cursor() as cur:
                cur.execute(f"SELECT @@{name}")
                before[name] = int(cur.fetchone()[0])
            _set_size(server, name, size)
        yield
    finally:
        for name, size in before.items():
            _set_size(server, name, size)


def _set_size(server: Server, name: str, size: int) -> None:
    """SET GLOBAL returns before a resize is done: wait until the server reports the new size."""
    with server.connect() as conn, conn.cursor() as cur:
        cur.execute(f"SET GLOBAL {name} = {int(size)}")
        deadline = time.monotonic() + 300
        while True:
            cur.execute(f"SELECT @@{name}")
            now = int(cur.fetchone()[0])
            cur.execute("SHOW STATUS LIKE 'Innodb_buffer_pool_resize_status'")
            row = cur.fetchone()
            status = str(row[1]) if row is not None else ""
            busy = name == "innodb_buffer_pool_size" and status != "" and not status.startswith("Completed")
            # the server rounds a buffer pool to its chunk size: any size within a chunk of the one asked counts
            if not busy and abs(now - size) < 128 * 2**20:
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} did not reach {size // 2**20} MB in 300 s (it is {now // 2**20} MB)")
            time.sleep(0.2)


def run(args: argparse.Namespace, server: Server, version: str, rows: int, patterns: list[str],
        variants: list[str], settings: Settings) -> int:
    """The whole benchmark once the server is reached: plans, then each pattern and variant."""
    began = time.monotonic()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    log = WORK / "commands.log"
    with ThreadPoolExecutor(2) as pool:  # two tools' worth of process starts, side by side
        drizzle_job = pool.submit(drizzle_plans, WORK / "drizzle", WORK / "drizzle.log") if "plain" in variants else None
        init, init_version, ss_plans, ss_versions, refused = safeshift_plans(WORK / "safeshift", log)
        plain = drizzle_job.result() if drizzle_job is not None else {}
    plans = Plans(init, init_version, plain, ss_plans, ss_versions, WORK / "safeshift", refused=refused)
    if refused and pt_osc() is None and "safeshift" in variants:
        raise SystemExit("safeshift's plan refuses some changes with a pt-online-schema-change recipe, and "
                         "pt-online-schema-change is not on PATH: apt-get install percona-toolkit.")
    plans.online_clauses = any("ALGORITHM" in s.upper() for stmts in ss_plans.values() for s in stmts)
    print(f"{time.monotonic() - began:6.1f} s: plans written", file=sys.stderr, flush=True)
    if "safeshift" in variants:
        runs, why = safeshift_runs_mysql(server, plans, log)
        plans.safeshift_mode = "migrate" if runs else "rendering only"
        if not runs:
            print(f"safeshift migrate does not run MySQL yet ({why}); its plan's statements run one by one",
                  file=sys.stderr)
    results: list[Result] = []
    for pattern in patterns:
        for variant in variants:
            print(f"{time.monotonic() - began:6.1f} s: {pattern} {variant} ...", file=sys.stderr, flush=True)
            lengths = {r.change: r.seconds for r in results if r.pattern == pattern and r.variant == "safeshift"}
            measured = measure(server, plans, pattern, variant, settings, lengths)
            with (WORK / "results.jsonl").open("a") as out:  # a run cut short still leaves what it measured
                out.writelines(json.dumps(asdict(r)) + "\n" for r in measured)
            results += measured
    print(f"{time.monotonic() - began:6.1f} s: done", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps({"server": version, "rows": rows, "clients": args.clients,
                          "safeshift_mode": plans.safeshift_mode, "online_clauses": plans.online_clauses,
                          "databases": DATABASES, "refused": {k: asdict(v) for k, v in plans.refused.items()},
                          "plans": {"plain": plans.plain, "safeshift": plans.safeshift,
                                    "pt-osc": {c.key: c.pt_alter for c in CHANGES}},
                          "results": [asdict(r) for r in results]}, indent=2))
        return 0
    return report(results, patterns, variants, plans, settings, version)


if __name__ == "__main__":
    sys.exit(main())

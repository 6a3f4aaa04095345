#!/usr/bin/env python3
"""Write stalls while a schema change lands: drizzle-kit's plain SQL vs safeshift's lock-safe plan, under
three write patterns side by side.

Two tables, ``users`` and ``posts``, of ``--rows`` rows each (default 2,000,000), take a
pgbench write load of ``--clients`` clients (default 4) in one of three patterns:

- **update-both**: each transaction updates one random row of ``users`` and one of ``posts``;
- **update-insert**: it updates one random user and inserts one post;
- **insert-only**: it inserts one user and one post.

For each pattern the same set of changes is applied to two fresh copies of the same data:

- **plain**: the SQL drizzle-kit generates for the change (run for real, ``drizzle-kit
  generate``), applied the way drizzle's migrator applies it, in one transaction
  (``psql --single-transaction``);
- **safeshift**: the plan ``safeshift generate --expand`` writes for the same change,
  applied by ``safeshift migrate`` (backfill batches aimed at 20 ms, the default).

The change: an index on ``users.name``, a unique constraint on ``users.email``, a foreign key
``posts.author_id -> users.id``, a check on ``users.age``, ``users.name`` set NOT NULL, and
``users.age`` int -> bigint (safeshift: the expand phase).  A third copy takes the same load for as long
as safeshift's plan took, with nothing applied (**alone**): the stalls the load and the server make by
themselves over a window of that length (the kernel writing back the load's own dirty pages, a
checkpoint), which no plan can go under.  For each pattern and variant the script reports the apply
time and the p99 and max latency of the write transactions that overlapped the apply, from pgbench's
per-transaction log.  Target (issue 20): safeshift's max stall <= 50 ms in every pattern.
``--rows 200000 --patterns update-both`` makes a quick run.

Setup as for bench/generate_scale.py; needs PostgreSQL on 127.0.0.1:5432 (user postgres) and
pgbench on PATH or in /usr/lib/postgresql/*/bin.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _stall import tool_env  # beside this script

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "write_stall"
VENV_BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
TARGET_MS = 50.0
#: ``--floor``: the two indexes the change needs, built online by hand and nothing else: what every lock-safe
#: plan of it must do at least (an online build ends by fsyncing its index file, which the writers' WAL
#: fsyncs then wait behind; the unique index on ``email`` is the larger of the two)
FLOOR_SQL = ("CREATE UNIQUE INDEX CONCURRENTLY users_email_floor_idx ON users (email)",
             "CREATE INDEX CONCURRENTLY users_name_floor_idx ON users (name)")

MODELS = '''\
import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200){name_null}),
    sa.Column("email", sa.Text),
    sa.Column("age", sa.{age_type}),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
{users_extra})

posts = sa.Table(
    "posts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("author_id", sa.Integer{fk}),
    sa.Column("title", sa.Text),
)
'''

DRIZZLE = '''\
import {{ pgTable, serial, integer, varchar, text, timestamp, bigint, index, unique, check }} from "drizzle-orm/pg-core";
import {{ sql }} from "drizzle-orm";

export const users = pgTable("users", {{
  id: serial("id").primaryKey(),
  name: varchar("name", {{ length: 200 }}){name_null},
  email: text("email"),
  age: {age_type},
  updated_at: timestamp("updated_at", {{ withTimezone: true }}),
}}{users_extra});

export const posts = pgTable("posts", {{
  id: serial("id").primaryKey(),
  author_id: integer("author_id"){fk},
  title: text("title"),
}});
'''

#: pgbench scripts, one per write pattern (each transaction touches both tables)
LOADS = {
    "update-both": """\
\\set uid random(1, :rows)
\\set pid random(1, :rows)
BEGIN;
UPDATE users SET updated_at = now() WHERE id = :uid;
UPDATE posts SET title = 'bench' WHERE id = :pid;
END;
""",
    "update-insert": """\
\\set uid random(1, :rows)
BEGIN;
UPDATE users SET updated_at = now() WHERE id = :uid;
INSERT INTO posts (author_id, title) VALUES (:uid, 'bench');
END;
""",
    "insert-only": """\
\\set uid random(1, :rows)
BEGIN;
INSERT INTO users (name, email, age, updated_at) VALUES ('bench', md5(random()::text) || '@example.com', 1, now());
INSERT INTO posts (author_id, title) VALUES (:uid, 'bench');
END;
""",
}


def models(after: bool) -> str:
    extra = ""
    if after:
        extra = ('    sa.Index("users_name_idx", "name"),\n'
                 '    sa.UniqueConstraint("email", name="users_email_unique"),\n'
                 '    sa.CheckConstraint("age >= 0", name="users_age_check"),\n')
    return MODELS.format(
        name_null=", nullable=False" if after else "",
        age_type="BigInteger" if after else "Integer",
        users_extra=extra,
        fk=', sa.ForeignKey("users.id", name="posts_author_id_users_id_fk")' if after else "",
    )


def drizzle(after: bool) -> str:
    extra = ""
    if after:
        extra = (', (t) => [index("users_name_idx").on(t.name), unique("users_email_unique").on(t.email), '
                 'check("users_age_check", sql`${t.age} >= 0`)]')
    return DRIZZLE.format(
        name_null=".notNull()" if after else "",
        age_type='bigint("age", { mode: "number" })' if after else 'integer("age")',
        users_extra=extra,
        fk=".references(() => users.id)" if after else "",
    )


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    log = cwd / "commands.log"
    with log.open("ab") as out:
        out.write(f"$ {' '.join(cmd)}\n".encode())
        out.flush()
        rc = subprocess.run(cmd, cwd=cwd, env=tool_env(cmd, env), stdout=out, stderr=out,
                            stdin=subprocess.DEVNULL).returncode
    if rc != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({rc}); see {log}")


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise SystemExit(f"{name} not found on PATH or in /usr/lib/postgresql/*/bin; install the PostgreSQL client tools.")
    return candidates[-1]


def db_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


# -- the two plans ---------------------------------------------------------------------------

def safeshift_project(proj: Path) -> Path:
    """A safeshift project at the starting schema, then the change generated with --expand."""
    proj.mkdir(parents=True)
    (proj / "safeshift.toml").write_text('schema = "models:metadata"\nmigrations = "migrations"\n'
                                         'dialect = "postgresql"\n')
    exe = str(VENV_BIN / "safeshift")
    (proj / "models.py").write_text(models(False))
    run([exe, "generate", "--name", "init"], proj)
    (proj / "models.py").write_text(models(True))
    run([exe, "generate", "--name", "change", "--expand"], proj)
    return proj


def drizzle_sql(proj: Path) -> Path:
    """drizzle-kit's own SQL for the change, as one file psql can run."""
    kit = HERE / "node_modules" / ".bin" / "drizzle-kit"
    if not kit.exists():
        raise SystemExit("drizzle-kit is not installed: run `cd bench && npm install` first.")
    proj.mkdir(parents=True)
    (proj / "node_modules").symlink_to(HERE / "node_modules")
    (proj / "drizzle.config.ts").write_text(textwrap.dedent("""\
        import { defineConfig } from 'drizzle-kit';
        export default defineConfig({ dialect: 'postgresql', schema: './schema.ts', out: './drizzle' });
    """))
    (proj / "schema.ts").write_text(drizzle(False))
    run([str(kit), "generate", "--name", "init"], proj)
    (proj / "schema.ts").write_text(drizzle(True))
    run([str(kit), "generate", "--name", "change"], proj)
    made = sorted((proj / "drizzle").glob("*_change.sql"))
    if not made:
        raise SystemExit("drizzle-kit wrote no migration for the change")
    text = made[0].read_text().replace("--> statement-breakpoint", "")
    out = proj / "change.sql"
    out.write_text(text)
    return out


# -- the database and the load ---------------------------------------------------------------

def build_template(proj: Path, rows: int) -> str:
    """The starting schema (safeshift's init migration) with ``rows`` users and posts."""
    name = f"bench_stall_tmpl_{uuid.uuid4().hex[:8]}"
    admin(f'CREATE DATABASE "{name}"')
    url = db_url(name)
    init_only = proj.parent / "init_only"
    shutil.copytree(proj, init_only)
    for p in init_only.joinpath("migrations").glob("*_change.sql"):
        p.unlink()
        (p.parent / "meta" / f"{p.name.split('_', 1)[0]}_snapshot.json").unlink(missing_ok=True)
    run([str(VENV_BIN / "safeshift"), "rehash"], init_only)
    run([str(VENV_BIN / "safeshift"), "migrate", "--url", url, "--yes"], init_only)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (name, email, age, updated_at) SELECT 'user ' || g, 'u' || g || '@example.com',"
                      " g %% 90, now() FROM generate_series(1, %s) g", (rows,))  # type: ignore[arg-type]
        conn.execute("INSERT INTO posts (author_id, title) SELECT g, 'post ' || g FROM generate_series(1, %s) g",
                     (rows,))  # type: ignore[arg-type]
        conn.execute("VACUUM ANALYZE")
    return name


@dataclass
class Result:
    pattern: str
    variant: str
    apply_s: float
    transactions: int
    p99_ms: float
    max_ms: float
    baseline_p99_ms: float
    baseline_max_ms: float
    #: the slowest overlapping transactions: (ms after the apply started, latency ms)
    worst: list[tuple[float, float]]


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def measure(pattern: str, variant: str, template: str, rows: int, clients: int, apply: list[str] | float,
            cwd: Path) -> Result:
    """The load's latencies while ``apply`` runs on a fresh copy of ``template``: a command (psql's, or
    safeshift's, given the copy's URL), or a number of seconds of load with nothing applied."""
    name = f"bench_stall_{variant}_{uuid.uuid4().hex[:6]}"
    # the copy by files (checkpoints before and after), not PostgreSQL 15's default WAL_LOG, which sends both
    # 2M-row tables through the WAL just before the load starts: the checkpoint that this WAL sets off would
    # run during the apply, and its writes and fsyncs would stall the writers for reasons of the bench's own
    admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    admin("CHECKPOINT")
    url = db_url(name)
    logs = WORK / f"pgbench_{pattern}_{variant}"
    logs.mkdir()
    script = logs / "load.sql"
    script.write_text(LOADS[pattern])
    bench = subprocess.Popen(
        [pg_tool("pgbench"), "-n", "-c", str(clients), "-j", str(min(clients, 2)), "-T", "900", "-l",
         f"--log-prefix={logs}/tx", "-D", f"rows={rows}", "-f", str(script), url],
        stdout=(logs / "pgbench.out").open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        # SIGINT ends pgbench's run (and flushes its logs); a benchmark started in the background by a shell
        # inherits SIGINT ignored, which pgbench would inherit too and never stop
        preexec_fn=_default_sigint)
    try:
        time.sleep(3.0)
        start = time.time()
        if isinstance(apply, float):
            time.sleep(apply)
        else:
            run([*apply, url] if apply[0].endswith("psql") else [*apply, "--url", url], cwd)
        end = time.time()
        time.sleep(3.0)
    finally:
        os.killpg(bench.pid, signal.SIGINT)
        bench.wait()
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    overlapping: list[float] = []
    worst: list[tuple[float, float]] = []
    before: list[float] = []
    for log in logs.glob("tx*"):
        for line in log.read_text().splitlines():
            parts = line.split()
            if len(parts) < 6 or not parts[2].isdigit():
                continue
            latency = int(parts[2]) / 1e6
            done = int(parts[4]) + int(parts[5]) / 1e6
            began = done - latency
            if began <= end and done >= start:
                overlapping.append(latency * 1000)
                worst.append((round((began - start) * 1000, 1), round(latency * 1000, 1)))
            elif done < start:
                before.append(latency * 1000)
    if not overlapping:
        raise SystemExit(f"no write transaction overlapped the {variant} apply; see {logs}")
    worst = sorted(worst, key=lambda w: -w[1])[:5]
    return Result(pattern, variant, end - start, len(overlapping), percentile(overlapping, 99), max(overlapping),
                  percentile(before, 99) if before else 0.0, max(before, default=0.0), worst)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--patterns", default=",".join(LOADS),
                    help=f"comma-separated write patterns to run (default: all of {', '.join(LOADS)})")
    ap.add_argument("--floor", action="store_true",
                    help="also measure the change's two index builds (CREATE [UNIQUE] INDEX CONCURRENTLY by psql, no "
                         "tool): the least any online plan of these changes must do, so its stall is the floor "
                         "under safeshift's")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    patterns = [p.strip() for p in args.patterns.split(",") if p.strip()]
    unknown = [p for p in patterns if p not in LOADS]
    if unknown or not patterns:
        raise SystemExit(f"unknown write pattern {', '.join(unknown) or '(none)'}; use {', '.join(LOADS)}")
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    proj = safeshift_project(WORK / "safeshift")
    plain = drizzle_sql(WORK / "drizzle")
    template = build_template(proj, args.rows)
    results: list[Result] = []
    try:
        psql = [pg_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", str(plain)]
        for pattern in patterns:
            results.append(measure(pattern, "plain", template, args.rows, args.clients, psql, WORK))
            safe = measure(pattern, "safeshift", template, args.rows, args.clients,
                           [str(VENV_BIN / "safeshift"), "migrate", "--yes"], proj)
            results.append(safe)
            results.append(measure(pattern, "alone", template, args.rows, args.clients, safe.apply_s, WORK))
            if args.floor:
                bare = [pg_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        *(arg for sql in FLOOR_SQL for arg in ("-c", sql))]
                results.append(measure(pattern, "floor", template, args.rows, args.clients, bare, WORK))
    finally:
        admin(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    if args.json:
        print(json.dumps({"rows": args.rows, "clients": args.clients, "results": [asdict(r) for r in results]},
                         indent=2))
        return 0
    print(f"write stalls, users/posts x {args.rows:,} rows, pgbench {args.clients} clients")
    print(f"{'pattern':<15}{'variant':<11}{'apply s':>9}{'tx':>9}{'p99 ms':>10}{'max ms':>10}{'idle p99':>10}"
          f"{'idle max':>10}")
    for r in results:
        print(f"{r.pattern:<15}{r.variant:<11}{r.apply_s:>9.2f}{r.transactions:>9}{r.p99_ms:>10.1f}{r.max_ms:>10.1f}"
              f"{r.baseline_p99_ms:>10.1f}{r.baseline_max_ms:>10.1f}")
    for r in results:
        print(f"{r.pattern} {r.variant}: slowest writes (ms after apply start, latency ms): {r.worst}")
    failed = 0
    for pattern in patterns:
        plain_r, safe_r, alone_r = (next(r for r in results if r.pattern == pattern and r.variant == v)
                                    for v in ("plain", "safeshift", "alone"))
        ok = safe_r.max_ms <= TARGET_MS
        failed += not ok
        print(f"{pattern}: safeshift max stall {safe_r.max_ms:.1f} ms {'PASS' if ok else 'FAIL'} "
              f"(target <= {TARGET_MS:.0f} ms; plain {plain_r.max_ms:.1f} ms; the load alone, nothing applied, "
              f"{alone_r.max_ms:.1f} ms in as long); plan total {safe_r.apply_s:.1f} s "
              f"vs plain {plain_r.apply_s:.1f} s ({safe_r.apply_s / max(plain_r.apply_s, 1e-3):.1f}x)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""What any process beside the database costs the writers on this machine: safeshift's own stall on MariaDB,
apart from the DDL's.

``bench/write_stall_mysql.py`` runs safeshift as a command (a Python process started for each change) and
the floor as statements of its own connection (no process at all), on a machine whose two cores also run
the server, four load clients and the sampler.  This tells the two costs apart, under the same load as
there (``--pattern``, 4 clients, one autocommit write each), repeated ``--repeat`` times, interleaved:

- **safeshift, catalog-only ALTER**: ``safeshift migrate`` of one step run alone, ``ALTER TABLE users
  COMMENT = ..., ALGORITHM=INSTANT`` (metadata only: it locks the table for a moment and writes nothing);
- **the same ALTER by hand**, from this process's connection;
- **safeshift, a no-op step**: ``safeshift migrate`` of ``DO 0`` run alone (no table touched at all);
- **a CPU burner**: a Python process that spins for 1 s of CPU and never connects.

If the burner stalls writers as long as safeshift's steps do, the stall is the machine's scheduling (a
process competing for two cores), not a lock safeshift takes.  Prints the idle maximum, and for each kind the
longest write that overlapped any of its runs and each run's own longest.

Run: ``.venv/bin/python bench/cpu_floor_mysql.py [--rows 200000] [--repeat 8] [--pattern update-both]
[--waits]``; needs
MariaDB or MySQL at 127.0.0.1:3306 (user root; ``BENCH_MYSQL_ADMIN`` to change).  A quiet machine only.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing as mp
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import write_stall_mysql as ws
from _stall import Write, read_writes, tool_env, window_stats

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 1.0:\n    pass\n"
KINDS = ("safeshift, catalog-only ALTER", "the same ALTER by hand", "safeshift, a no-op step", "a CPU burner (1 s)")


def project(folder: Path, repeat: int) -> list[tuple[str, str]]:
    """A safeshift project with ``repeat`` pairs of migrations (the catalog-only ALTER, the no-op step), each
    step run alone; (version, kind) in order."""
    from safeshift.formats import safeshift as migrations

    (folder / "migrations").mkdir(parents=True)
    (folder / "safeshift.toml").write_text('dialect = "mysql"\nmigrations = "migrations"\n')
    out = []
    for i in range(2 * repeat):
        version = f"2026010100{i:04d}"
        if i % 2 == 0:
            up, kind = f"ALTER TABLE `users` COMMENT = 'safeshift {i}', ALGORITHM=INSTANT;", KINDS[0]
        else:
            up, kind = "DO 0;", KINDS[2]
        (folder / "migrations" / f"{version}_step{i}.sql").write_text(
            f"-- migrate:up\n-- safeshift:no-transaction\n{up}\n\n-- migrate:down\nSELECT 1;\n")
        out.append((version, kind))
    migrations.write_sum(folder / "migrations")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=8)
    ap.add_argument("--pattern", default="update-both", choices=sorted(ws.LOADS))
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--waits", action="store_true",
                    help="run write_stall_mysql.py's process-list sampler beside the load, as its --waits does")
    args = ap.parse_args()
    server = ws.Server.parse(ws.ADMIN)
    work = ws.HERE / ".work" / "cpu_floor_mysql"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = f"bench_cpu_floor_{uuid.uuid4().hex[:6]}"
    server.execute(f"CREATE DATABASE `{db}`")
    try:
        server.execute(
            "CREATE TABLE users (id int NOT NULL PRIMARY KEY, name varchar(200), email varchar(255), age int, "
            "updated_at datetime)",
            "CREATE TABLE posts (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, author_id int, title text)",
            "INSERT INTO users SELECT seq, CONCAT('user ', seq), CONCAT('u', seq, '@example.com'), seq % 90, "
            f"'2026-01-01' FROM seq_1_to_{args.rows}",
            f"INSERT INTO posts SELECT seq, seq, CONCAT('post ', seq) FROM seq_1_to_{args.rows}", db=db)
        steps = project(work / "project", args.repeat)
        windows, writes = run(server, db, args, steps, work)
    finally:
        server.execute(f"DROP DATABASE IF EXISTS `{db}`")
    idle = max((lat * 1000 for began, lat, _ in writes if began + lat < windows[0][1]), default=0.0)
    print(f"{args.pattern}, {args.clients} clients, {args.rows:,} rows per table; idle max {idle:.1f} ms")
    for kind in KINDS:
        runs = [window_stats(writes, start, end) for k, start, end in windows if k == kind]
        each = ", ".join(f"{r.max_ms:.0f}" for r in runs)
        print(f"{kind:<32} max {max(r.max_ms for r in runs):7.1f} ms   (each run: {each})")
    return 0


def run(server: ws.Server, db: str, args: argparse.Namespace, steps: list[tuple[str, str]],
        work: Path) -> tuple[list[tuple[str, float, float]], list[Write]]:
    """The load, and the four kinds interleaved under it: (kind, start, end) per run, and every write."""
    stop = mp.Event()
    deadline = time.monotonic() + 3600
    procs = [mp.Process(target=ws.client, args=(server, db, args.pattern, args.rows, i, stop, deadline, 10**9,
                                                str(work / f"client{i}.bin"))) for i in range(args.clients)]
    if args.waits:  # the process-list sampler of write_stall_mysql.py --waits: one more process on the cores
        procs.append(mp.Process(target=ws.sampler, args=(server, db, stop, 5.0, 30, str(work / "waits.json"))))
    for p in procs:
        p.start()
    windows: list[tuple[str, float, float]] = []
    exe = str(ws.VENV_BIN / "safeshift")

    def timed(kind: str, action: Callable[[], object]) -> None:
        start = time.monotonic()
        action()
        windows.append((kind, start, time.monotonic()))
        time.sleep(0.7)

    try:
        time.sleep(3)
        for version, kind in steps:
            timed(kind, functools.partial(subprocess.run, [exe, "migrate", "--url", server.url(db), "--yes", "--to",
                                                           version], cwd=work / "project", check=True,
                                          capture_output=True, env=tool_env([exe])))
            if kind == KINDS[0]:
                timed(KINDS[1], lambda: server.execute(
                    f"ALTER TABLE `users` COMMENT = 'by hand {len(windows)}', ALGORITHM=INSTANT", db=db))
            else:
                timed(KINDS[3], lambda: subprocess.run([sys.executable, "-c", BURN], check=True))
    finally:
        stop.set()
        for p in procs:
            p.join(60)
    writes: list[Write] = []
    for i in range(args.clients):
        writes += read_writes(work / f"client{i}.bin")
    return windows, writes


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The disk's own write-stall floor: how long a commit's flush waits while something else writes in bulk.

A commit on InnoDB (``innodb_flush_log_at_trx_commit = 1``) or PostgreSQL (``synchronous_commit = on``) ends
with a small write and an ``fdatasync`` of the log.  An online index build, a table copy (pt-osc, gh-ost) or
a checkpoint writes hundreds of megabytes meanwhile, and while the disk drains them the small flush waits
behind.  No schema tool can stall writers for less than that: this measures it without any database.

One thread appends 4 KB and ``fdatasync``\\ s it in a loop (the commits, every 2 ms); it runs idle, then beside
a bulk writer of ``--mb`` megabytes flushed every ``--flush-every-mb`` (as InnoDB's page cleaner and a
checkpoint do), then beside the same bulk written with one flush at the end.  Prints p50, p99 and max of the
commit flushes for each.  Files go in ``--dir`` (default: MariaDB's data directory, so the disk measured is
the one its redo log is on) and are removed afterwards.

Run: ``python3 bench/fsync_floor.py [--dir /var/lib/mysql] [--mb 1024] [--flush-every-mb 64]``; needs write
access to ``--dir`` and twice ``--mb`` free there.  Quiet machine only: any other writer moves the numbers.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

PROBE = "safeshift_fsync_probe.log"
BULK = "safeshift_fsync_bulk.dat"


def commits(folder: Path, stop: threading.Event, out: list[float]) -> None:
    """The commits: a 4 KB append and its fdatasync, every 2 ms, each flush's latency in ms into ``out``."""
    fd = os.open(folder / PROBE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    block = b"x" * 4096
    try:
        while not stop.is_set():
            start = time.perf_counter()
            os.write(fd, block)
            os.fdatasync(fd)
            out.append((time.perf_counter() - start) * 1000)
            time.sleep(0.002)
    finally:
        os.close(fd)


def bulk(folder: Path, mb: int, flush_every_mb: int) -> None:
    """``mb`` megabytes of incompressible data, flushed every ``flush_every_mb`` (0: once, at the end)."""
    fd = os.open(folder / BULK, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    chunk = os.urandom(1 << 20)
    try:
        for i in range(mb):
            os.write(fd, chunk)
            if flush_every_mb and (i + 1) % flush_every_mb == 0:
                os.fdatasync(fd)
        os.fdatasync(fd)
    finally:
        os.close(fd)


def measure(folder: Path, label: str, work: Callable[[], None]) -> None:
    stop = threading.Event()
    flushes: list[float] = []
    thread = threading.Thread(target=commits, args=(folder, stop, flushes))
    thread.start()
    start = time.perf_counter()
    try:
        work()
    finally:
        elapsed = time.perf_counter() - start
        stop.set()
        thread.join()
    flushes.sort()
    p50 = flushes[len(flushes) // 2]
    p99 = flushes[min(len(flushes) - 1, int(len(flushes) * 0.99))]
    print(f"{label:<48} {len(flushes):>6} commits in {elapsed:5.1f} s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   "
          f"max {flushes[-1]:7.1f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--dir", type=Path, default=Path("/var/lib/mysql"))
    ap.add_argument("--mb", type=int, default=1024)
    ap.add_argument("--flush-every-mb", type=int, default=64)
    args = ap.parse_args()
    folder: Path = args.dir
    try:
        measure(folder, "idle (5 s)", lambda: time.sleep(5))
        measure(folder, f"beside {args.mb} MB written, flushed every {args.flush_every_mb} MB",
                lambda: bulk(folder, args.mb, args.flush_every_mb))
        measure(folder, f"beside {args.mb} MB written, flushed once", lambda: bulk(folder, args.mb, 0))
    finally:
        for name in (PROBE, BULK):
            (folder / name).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

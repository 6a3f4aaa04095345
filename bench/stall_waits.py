#!/usr/bin/env python3
"""What the write-stall benchmark's clients wait on together: pg_stat_activity sampled every few ms.

Run it beside ``bench/write_stall.py`` (started first, for longer than the benchmark runs)::

    .venv/bin/python bench/stall_waits.py --seconds 150 &
    .venv/bin/python bench/write_stall.py --patterns insert-only

It keeps the samples in which at least ``--together`` pgbench clients wait at once, and prints
(1) how often each wait event was seen among them and (2) which safeshift statement was running when
the waiting clients waited on the WAL (LWLock WALWrite, IO WALSync): a stall shared by every client at
one moment is a server-wide wait, not a row lock of the plan.
"""

from __future__ import annotations

import argparse
import collections
import time

import psycopg

QUERY = """
SELECT application_name, wait_event_type, wait_event, left(query, 50)
FROM pg_stat_activity
WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state = 'active'
"""


def _statement(text: str) -> str:
    """The statement's kind: its first line, a prepared statement's name without its arguments."""
    first = text.split("\n")[0]
    return first.split("(")[0].strip() if first.startswith("EXECUTE") else first


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--seconds", type=float, default=150.0)
    ap.add_argument("--every-ms", type=float, default=3.0)
    ap.add_argument("--together", type=int, default=3, help="clients waiting at once for a sample to count")
    args = ap.parse_args()
    waits: collections.Counter[str] = collections.Counter()
    during: collections.Counter[str] = collections.Counter()
    kept = 0
    with psycopg.connect(args.url, autocommit=True) as conn:
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            rows = conn.execute(QUERY).fetchall()
            waiting = [r for r in rows if r[0] == "pgbench" and r[1] is not None]
            if len(waiting) >= args.together:
                kept += 1
                waits.update(f"{r[1]} {r[2]}" for r in waiting)
                if any(r[2] in ("WALWrite", "WALSync") for r in waiting):
                    during.update(_statement(r[3]) for r in rows if r[0] == "safeshift")
            time.sleep(args.every_ms / 1000)
    print(f"{kept} samples with {args.together} or more pgbench clients waiting at once")
    print("wait events of those clients:")
    for event, n in waits.most_common(10):
        print(f"  {n:6d}  {event}")
    print("safeshift's statement while they waited on the WAL:")
    for statement, n in during.most_common(10):
        print(f"  {n:6d}  {statement}")


if __name__ == "__main__":
    main()

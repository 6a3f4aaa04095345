#!/usr/bin/env python3
"""Trace the page cache's dirty data and the checkpointer's waits while another benchmark runs beside it.

Every 20 ms: ``Dirty`` and ``Writeback`` from ``/proc/meminfo`` (MB); every 100 ms also the wait event of the
checkpointer and of any autovacuum worker (``pg_stat_activity``).  With ``--sessions``, every sample also has
the server's WAL so far (``pg_stat_wal``: MB written, full-page images), how many lock requests wait ungranted
(``pg_locks``), the wait event and statement of safeshift's session (``application_name`` safeshift) and the
wait events of pgbench's.  One line per sample, the epoch time first, so that it can be matched with
pgbench's per-transaction logs (epoch times) and with ``log_checkpoints`` lines in the server log.  This is
how the write stalls of bench/write_stall.py were traced to dirty pages left for the checkpoint's fsync, and
to the backfill's own writeback (``DataFileFlush``) with the writers in ``WALSync`` (docs/benchmarks.md,
issue 20).

Run: ``.venv/bin/python bench/dirty_trace.py [--sessions] OUT SECONDS &`` then the benchmark; Linux only.
"""

from __future__ import annotations

import argparse
import os
import time

import psycopg

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
#: the processes whose writes a checkpoint's fsync, or the writers behind it, wait on
_WAITS = ("SELECT backend_type, wait_event FROM pg_stat_activity "
          "WHERE backend_type IN ('autovacuum worker', 'checkpointer')")
#: ``--sessions``: the WAL so far, the lock requests waiting, and what safeshift's and pgbench's sessions do
_SESSIONS = (
    "SELECT (SELECT round(wal_bytes / 1048576) FROM pg_stat_wal), (SELECT wal_fpi FROM pg_stat_wal), "
    "(SELECT count(*) FROM pg_locks WHERE NOT granted), "
    "(SELECT string_agg(coalesce(wait_event, '-') || ' ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 60), "
    "' | ') FROM pg_stat_activity WHERE application_name = 'safeshift' AND state = 'active'), "
    "(SELECT string_agg(DISTINCT coalesce(wait_event, '-'), ',') FROM pg_stat_activity "
    "WHERE application_name = 'pgbench' AND state = 'active')")


def meminfo() -> tuple[int, int]:
    found: dict[str, int] = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, value = line.split(":", 1)
            if key in ("Dirty", "Writeback"):
                found[key] = int(value.split()[0]) // 1024
    return found["Dirty"], found["Writeback"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("seconds", type=float)
    ap.add_argument("--sessions", action="store_true",
                    help="also the WAL, ungranted locks, and safeshift's and pgbench's sessions, every sample")
    args = ap.parse_args()
    end = time.time() + args.seconds
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn, open(args.out, "w") as out:
        n = 0
        while time.time() < end:
            now = time.time()
            dirty, writeback = meminfo()
            waits = ""
            if n % 5 == 0:
                waits = " " + " ".join(f"{kind.replace(' ', '_')}:{event or '-'}"
                                       for kind, event in conn.execute(_WAITS).fetchall())
            if args.sessions:
                wal_mb, fpi, ungranted, safeshift, pgbench = conn.execute(_SESSIONS).fetchone() or (None,) * 5
                waits += (f" wal_mb={wal_mb} fpi={fpi} locks_waiting={ungranted} pgbench={pgbench or '-'}"
                          f" safeshift={safeshift or '-'}")
            out.write(f"{now:.3f} dirty_mb={dirty} writeback_mb={writeback}{waits}\n")
            n += 1
            time.sleep(0.02)


if __name__ == "__main__":
    main()

"""A backfill sized by time: batches that each take about ``target_ms``, paused while the server is busy.

A writer that touches a row of the batch being copied waits for that batch's commit, so how long a
batch takes, not how many rows it has, is what a writer can stall for.  Rows per batch follow the
measured time: a smoothed cost per row from the last batches (a slower batch is believed at once),
growth by half at most per batch, a dead band so a steady server keeps one size (no see-saw), bounds
``min_rows``..``max_rows``.
Between batches the runner pauses when the server is busy: another session was waiting for a lock,
or the last batch took more than twice its target.  (There is no replica setting in safeshift.toml,
so replication lag is not watched.)  The engine records each batch's last key in the batch's own
transaction, so a run killed at any moment resumes after the last committed batch and no row is
copied twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

from safeshift.engines.base import BackfillSession

#: the default target per batch (``backfill_batch_ms`` in an environment of safeshift.toml)
TARGET_MS = 20


@dataclass
class Sizer:
    """Rows for the next batch from the times of the last ones."""

    target_ms: float
    rows: int = 100
    min_rows: int = 10
    max_rows: int = 50_000
    #: smoothed milliseconds per row (None until a batch with rows was timed)
    ms_per_row: float | None = None
    #: share of the newest measurement in the smoothed cost
    weight: float = 0.5
    #: a change of less than this share of the current size is not made
    dead_band: float = 0.2

    def measured(self, rows: int, ms: float) -> None:
        """A batch of ``rows`` rows took ``ms``: set the size of the next one.

        Cautious both ways: slower than the average, the batch's own cost decides (a server getting busy
        is believed at once); faster, the average does, and the size grows by half at most per batch.
        """
        if rows <= 0:
            return
        per = ms / rows
        self.ms_per_row = per if self.ms_per_row is None else self.weight * per + (1 - self.weight) * self.ms_per_row
        want = self.target_ms / max(self.ms_per_row, per, 1e-6)
        # far too slow: from this batch alone, however much smaller that is; else halving at most
        want = rows * self.target_ms / ms if ms > 1.5 * self.target_ms else max(want, self.rows / 2)
        want = min(want, self.rows * 1.5)
        if abs(want - self.rows) <= self.dead_band * self.rows:
            return
        self.rows = int(min(max(want, self.min_rows), self.max_rows))


@dataclass(frozen=True)
class Outcome:
    """What one run of a backfill did (this run only; ``resumed_rows`` were written by an earlier one)."""

    rows: int
    batches: int
    seconds: float
    paused_s: float
    smallest: int
    largest: int
    resumed_rows: int

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def run(session: BackfillSession, target_ms: float, label: str, say: Callable[[str], None] | None = None, *,
        every_s: float = 2.0, sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Copy every row, batch by batch, from where an earlier run stopped; ``say`` gets a progress line about
    every ``every_s`` seconds (rows, rows/s, batch size) and one at the end."""
    start = time.perf_counter()
    began = session.start()
    sizer = Sizer(target_ms)
    after, written, batches, paused = began.after, 0, 0, 0.0
    smallest, largest = sizer.rows, 0
    if say is not None and began.after is not None:
        say(f"backfill {label}: resuming after key {began.after} ({began.rows_done:,} rows in {began.batches:,} "
            "batches done earlier)")
    last_said = start
    try:
        while True:
            b = session.bounds(after, sizer.rows)
            if b.lo is None or b.hi is None:
                break
            t0 = time.perf_counter()
            written += session.batch(b.lo, b.hi)
            ms = (time.perf_counter() - t0) * 1000
            batches += 1
            smallest, largest = min(smallest, b.rows), max(largest, b.rows)
            after = b.hi
            sizer.measured(b.rows, ms)
            if b.lock_waiters or ms > 2 * target_ms:
                pause = min(max(ms, target_ms), 10 * target_ms) / 1000
                sleep(pause)
                paused += pause
            now = time.perf_counter()
            if say is not None and now - last_said >= every_s:
                last_said = now
                done = began.rows_done + written
                total = f" of ~{began.estimate:,}" if began.estimate else ""
                say(f"backfill {label}: {done:,}{total} rows, {written / (now - start):,.0f} rows/s, "
                    f"{sizer.rows:,} rows per batch")
        session.finish()
    finally:
        with suppress(Exception):  # a lost session forgets its statements anyway; the first error is the one to tell
            session.close()
    outcome = Outcome(written, batches, time.perf_counter() - start, paused, smallest if batches else 0, largest,
                      began.rows_done)
    if say is not None and batches:
        say(f"backfilled {label}: {written:,} rows in {outcome.seconds:.1f} s ({outcome.rate:,.0f} rows/s), "
            f"{batches:,} batches of {outcome.smallest:,}-{outcome.largest:,} rows aimed at {target_ms:g} ms each"
            + (f", paused {paused:.1f} s while the server was busy" if paused else ""))
    return outcome


__all__ = ["TARGET_MS", "Outcome", "Sizer", "run"]

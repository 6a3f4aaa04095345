"""What the write-stall benchmarks share: every write's latency, cut into the windows when a change ran.

A write is ``(began, latency_s, ok)``, with ``began`` on the clock the windows are taken on (one
``time.monotonic`` for every process on the machine).  A write counts for a window when it overlapped it at
all: a write that began before a statement took its lock and finished after it is exactly the stall we
look for.  The baseline is what writes cost before any change began ("idle"), printed beside the stall and
never subtracted from it, as bench/write_stall.py reports PostgreSQL's.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

Write = tuple[float, float, bool]


@dataclass(frozen=True)
class WindowStats:
    """The writes that overlapped one window: how many, how many failed, how slow."""

    writes: int
    errors: int
    p99_ms: float
    max_ms: float
    #: the slowest: (ms after the window began, latency ms)
    worst: tuple[tuple[float, float], ...]


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile, as bench/write_stall.py takes it (0.0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def window_stats(writes: Sequence[Write], start: float, end: float, worst: int = 5) -> WindowStats:
    """Every write that overlapped ``[start, end]``, failed ones included in the latencies (a writer that
    got an error after waiting waited all the same)."""
    inside = [(began, lat, ok) for began, lat, ok in writes if began <= end and began + lat >= start]
    latencies = [lat * 1000 for _, lat, _ in inside]
    slowest = sorted(inside, key=lambda w: -w[1])[:worst]
    return WindowStats(
        writes=len(inside), errors=sum(1 for *_, ok in inside if not ok),
        p99_ms=percentile(latencies, 99), max_ms=max(latencies, default=0.0),
        worst=tuple((round((b - start) * 1000, 1), round(lat * 1000, 1)) for b, lat, _ in slowest))


def read_writes(path: Path) -> list[Write]:
    """The writes a load client kept in ``path``: (began, latency_s, ok) triples of doubles, as ``array("d")``
    wrote them."""
    from array import array

    data = array("d")
    data.frombytes(path.read_bytes())
    return [(data[j], data[j + 1], data[j + 2] > 0.5) for j in range(0, len(data), 3)]


def idle_stats(writes: Sequence[Write], before: float) -> tuple[float, float]:
    """(p99 ms, max ms) of the writes that finished before ``before``: the machine's own noise."""
    latencies = [lat * 1000 for began, lat, _ in writes if began + lat < before]
    return percentile(latencies, 99), max(latencies, default=0.0)


#: where the benchmarks' runs of safeshift keep their bytecode (and codecache's generated code)
PYCACHE = Path(__file__).resolve().parent / ".work" / "pycache"


def tool_env(cmd: Sequence[str], env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment to run ``cmd`` in: ``env`` over this process's, and for safeshift itself bytecode cached as
    an installed copy has it.  This workplace sets PYTHONDONTWRITEBYTECODE, under which every run of the editable
    checkout compiled every module again (0.56 s of CPU for a no-op migrate instead of 0.44 s), a burst on the
    database's two cores that no user's run makes."""
    merged = {**os.environ, **(env or {})}
    if Path(cmd[0]).name == "safeshift":
        merged.update(PYTHONDONTWRITEBYTECODE="", PYTHONPYCACHEPREFIX=str(PYCACHE))
    return merged


def run_logged(cmd: Sequence[str], cwd: Path, log: Path, env: dict[str, str] | None = None, *,
               accept: Callable[[int, str], bool] = lambda rc, text: rc == 0) -> str:
    """Run ``cmd`` with its output appended to ``log``; a failure (an exit ``accept`` does not take, given the
    exit code and output) stops the benchmark naming the log.

    Output goes to the file, not a pipe, so a chatty tool never blocks on a full pipe mid-measurement.
    Returns what the command printed (from the log), for the callers that read a tool's report.
    """
    with log.open("ab") as out:
        out.write(f"$ {' '.join(cmd)}\n".encode())
        out.flush()
        mark = out.tell()
        rc = subprocess.run(list(cmd), cwd=cwd, env=tool_env(cmd, env), stdout=out,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
    with log.open("rb") as read:
        read.seek(mark)
        text = read.read().decode(errors="replace")
    if not accept(rc, text):
        tail = "\n".join(text.strip().splitlines()[-5:])
        raise SystemExit(f"{' '.join(cmd)} failed ({rc}); see {log}:\n{tail}")
    return text

"""One peer run, measured the same way for every benchmark: wall time, peak RSS of the process tree, client CPU."""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True)
class Measure:
    seconds: float
    peak_mb: float
    #: user + system CPU of the client process tree: the tool's own work, whatever the server does
    cpu_s: float = 0.0
    stdout: str = ""

    def as_dict(self) -> dict[str, float]:
        return {"seconds": self.seconds, "peak_mb": self.peak_mb, "cpu_s": self.cpu_s}


def run_measured(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, *,
                 replace_env: bool = False) -> Measure:
    """Run ``cmd`` to completion; a non-zero exit stops the benchmark with the tool's (redacted) output.

    Output goes to files, not pipes: a chatty tool (Alembic logs every reflected column) would
    otherwise fill the pipe and stall while only its memory is sampled.  The end is taken by a thread
    blocked in ``wait()``, the moment the process exits: the sampling loop's 10 ms sleep, which used to
    notice the exit, added up to 10 ms to every run (3% of a 0.3 s one, 0.5% of a 2 s one).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = psutil.Popen(cmd, cwd=cwd, env=(env or {}) if replace_env else {**os.environ, **(env or {})},
                            stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        ended: list[float] = []

        def wait() -> None:
            proc.wait()
            ended.append(time.perf_counter())

        waiter = threading.Thread(target=wait, daemon=True)
        waiter.start()
        peak = 0
        while waiter.is_alive():
            try:
                procs = [proc, *proc.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            waiter.join(0.01)
        elapsed = ended[0] - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the child was reaped by wait()
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
        if proc.returncode != 0:
            from safeshift.text import redact_url

            raise SystemExit(redact_url(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stdout[-4000:]}\n"
                                        f"{stderr[-4000:]}"))
    return Measure(elapsed, peak / 2**20, cpu, stdout)


def bytecode_env(cache: Path | None = None) -> dict[str, str]:
    """The environment with bytecode caching allowed (as in a pip-installed package); into ``cache``
    when given, else beside the sources as usual.

    This workplace sets PYTHONDONTWRITEBYTECODE, so an editable checkout recompiles every module
    on every start, which no installed copy does.  (With a ``cache`` prefix, Python looks for
    bytecode only there, so installed packages are compiled again into it on first use.)
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if cache is not None:
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env

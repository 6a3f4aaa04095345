"""Long-lived helper processes of the tests that answer one JSON line per JSON request line.

Starting an interpreter that imports migra, or an app's models, costs a second or more, and the tests
ask such tools many times: one process per tool (and per test process) answers every question.
``start`` makes it (ended when the test process exits), ``ask`` sends a request and waits for the answer.
"""

from __future__ import annotations

import atexit
import json
import select
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def start(argv: list[str], *, env: Mapping[str, str] | None = None, cwd: Path | str | None = None,
          quiet: bool = False) -> subprocess.Popen[str]:
    """The worker ``argv``, stopped when this process exits; ``quiet`` drops what it writes to stderr."""
    worker = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=cwd,
                              stderr=subprocess.DEVNULL if quiet else None)
    atexit.register(stop, worker)
    return worker


def ask(worker: subprocess.Popen[str], request: Any, *, timeout: float, what: str) -> Any:
    """``request`` as one JSON line, the worker's one-line JSON answer; an AssertionError naming ``what`` when
    no answer comes within ``timeout`` seconds (the worker is then killed)."""
    assert worker.stdin is not None and worker.stdout is not None
    worker.stdin.write(json.dumps(request) + "\n")
    worker.stdin.flush()
    ready, _, _ = select.select([worker.stdout], [], [], timeout)
    line = worker.stdout.readline() if ready else ""
    if not line:
        worker.kill()
        raise AssertionError(f"{what} did not answer within {timeout:.0f} s (or its process ended)")
    return json.loads(line)


def stop(worker: subprocess.Popen[str]) -> None:
    """End of input ends the worker's loop; one that does not end within 10 s is killed."""
    if worker.poll() is None:
        assert worker.stdin is not None
        worker.stdin.close()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()

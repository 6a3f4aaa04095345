"""engines/processes.py: the client-tool plumbing every engine's backup and rehearsal share, on real child
processes (sh, cat, sleep): a failure is the engine's one sentence, and a failing caller leaves no process."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import IO

import pytest

from safeshift.engines import processes
from safeshift.errors import BackupError


def _said(tool: str) -> processes.Failure:
    def fail(err: IO[bytes], code: int) -> str:
        err.seek(0)
        return f"{tool} failed ({code}): {err.read().decode().strip()}."
    return fail


def test_a_pipe_passes_the_bytes_and_each_end_fails_in_its_own_words(tmp_path: Path) -> None:
    out = tmp_path / "out"
    processes.pipe(["printf", "rows"], ["sh", "-c", f"cat > {out}"], _said("dump"), _said("load"))
    assert out.read_text() == "rows"
    with pytest.raises(BackupError, match=r"^dump failed \(3\): boom\.$"):
        processes.pipe(["sh", "-c", "echo boom >&2; exit 3"], ["cat"], _said("dump"), _said("load"))
    with pytest.raises(BackupError, match=r"^load failed \(4\): nope\.$"):
        processes.pipe(["printf", "rows"], ["sh", "-c", "cat >/dev/null; echo nope >&2; exit 4"], _said("dump"),
                       _said("load"))


def test_a_failing_block_kills_the_tool_and_its_error_goes_on() -> None:
    started: list[subprocess.Popen[bytes]] = []
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt), processes.running(["sleep", "60"], _said("sleep")) as proc:
        started.append(proc)
        raise KeyboardInterrupt
    assert started[0].returncode is not None and time.monotonic() - t0 < 10
    with pytest.raises(BackupError, match=r"^sh failed \(2\): late\.$"), \
            processes.running(["sh", "-c", "echo late >&2; exit 2"], _said("sh"), stdin=subprocess.DEVNULL):
        pass

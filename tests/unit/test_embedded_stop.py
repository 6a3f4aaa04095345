"""``embedded.stop_server`` stops only the server of its folder: a stale pid file never signals another process."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from safeshift.engines.postgres import embedded


def test_a_stale_pid_file_is_not_a_server(tmp_path: Path) -> None:
    data = tmp_path / "pg"
    data.mkdir()
    assert embedded.stop_server(data) is False  # no pid file: nothing runs, nothing to do
    other = subprocess.Popen(["sleep", "60"])  # the pid a crashed server's file names, since reused
    try:
        for pid in (other.pid, os.getpid()):
            (data / "postmaster.pid").write_text(f"{pid}\n{data}\n", encoding="utf-8")
            assert embedded.server_running(data) is False
            assert embedded.stop_server(data) is False
        assert other.poll() is None, "stop_server signalled a process that is not the folder's server"
    finally:
        other.kill()
        other.wait()
    (data / "postmaster.pid").write_text(f"{other.pid}\n", encoding="utf-8")  # gone by now
    assert embedded.stop_server(data) is False

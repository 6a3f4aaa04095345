"""The test suite's own servers stop when the run ends, however it ends (tests/_servers.py).

A child process starts an embedded server the way conftest's ``pg18_admin_url`` does, then is
ended by SIGINT, SIGTERM or SIGKILL: the server stops and its folder is deleted each time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from safeshift.engines.postgres import embedded

ROOT = Path(__file__).resolve().parents[2]

#: a stand-in for a test run: a server of its own, then waiting to be interrupted
_RUN = """
import sys, time
from tests import _servers
from safeshift.engines.postgres import embedded
_servers.stop_on_sigterm()
folder = _servers.server_folder("reaper")
try:
    embedded.ensure_server(folder / "pg")
    print(folder, flush=True)
    time.sleep(600)
finally:
    _servers.release(folder)
"""


def _postgres_pids(folder: Path) -> list[int]:
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if args and Path(args[0].decode(errors="replace")).name == "postgres" and str(folder).encode() in b" ".join(args):
            pids.append(int(cmdline.parent.name))
    return pids


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_a_run_ended_by_a_signal_leaves_no_server(sig: signal.Signals) -> None:
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    child = subprocess.Popen([sys.executable, "-c", _RUN], cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    folder = Path(child.stdout.readline().strip())
    try:
        assert folder.name.startswith("safeshift-test-reaper-"), folder
        assert embedded.server_running(folder / "pg") and _postgres_pids(folder)
        child.send_signal(sig)
        child.wait(timeout=60)
        deadline = time.monotonic() + 60
        while (folder.exists() or _postgres_pids(folder)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _postgres_pids(folder) == [], f"the server of {folder} survived {sig.name}"
        assert not folder.exists(), f"{folder} survived {sig.name}"
    finally:
        if child.poll() is None:
            child.kill()
        if folder.name.startswith("safeshift-test-reaper-") and folder.is_dir():
            embedded.stop_server(folder / "pg")

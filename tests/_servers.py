"""The database servers a test run starts: each in a folder of its own, all stopped when the run ends.

A run never adopts a server it did not start (a fixed folder shared between runs let a second
clone's run reuse servers whose binaries had gone with the first clone), and never leaves one
running, however it ends:

- normally, or on Ctrl-C (pytest tears the fixtures down): the fixture's finalizer;
- an exit that skips teardown: ``atexit``;
- SIGTERM: turned into KeyboardInterrupt (see ``stop_on_sigterm``), so the two above run;
- killed outright (SIGKILL, the OOM killer): a reaper process, started once per test process,
  holds the read end of a pipe; when the pipe closes (the test process is gone, however it
  ended) it stops every server still running under the folders it was told about, and deletes
  the folders that are the run's own.

Stopping uses ``embedded.stop_server``, which signals the server itself, so it also works for
servers not started through the wheel (``tests/runner/_project.py``'s password server).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import IO

from safeshift.engines.postgres import embedded

#: the reaper: reads "keep|delete<TAB>folder" lines until EOF, then stops and cleans up
_REAPER = r"""
import shutil, signal, sys
from pathlib import Path
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
folders = []
for line in sys.stdin:
    how, _, folder = line.rstrip("\n").partition("\t")
    folders.append((how, Path(folder)))
from safeshift.engines.postgres import embedded
for how, folder in folders:
    for pid_file in sorted(folder.glob("**/postmaster.pid")) if folder.is_dir() else ():
        embedded.stop_server(pid_file.parent)
    if how == "delete":
        shutil.rmtree(folder, ignore_errors=True)
"""

_lock = threading.Lock()
_reaper: subprocess.Popen[str] | None = None
_watched: list[tuple[str, Path]] = []


def _pipe() -> IO[str]:
    global _reaper
    if _reaper is None:
        # its own session: a Ctrl-C at the terminal reaches the run, not the reaper
        _reaper = subprocess.Popen([sys.executable, "-c", _REAPER], stdin=subprocess.PIPE, text=True,
                                   start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        atexit.register(_at_exit)
    assert _reaper.stdin is not None
    return _reaper.stdin


def watch(folder: Path, *, delete: bool) -> None:
    """Stop every server under ``folder`` when this process ends (and delete it if ``delete``)."""
    how = "delete" if delete else "keep"
    with _lock:
        _watched.append((how, folder))
        pipe = _pipe()
        pipe.write(f"{how}\t{folder}\n")
        pipe.flush()


def stop_all(folder: Path) -> list[Path]:
    """Stop every server whose data folder is under ``folder``; the data folders that were running."""
    stopped = []
    for pid_file in sorted(folder.glob("**/postmaster.pid")) if folder.is_dir() else ():
        if embedded.stop_server(pid_file.parent):
            stopped.append(pid_file.parent)
    return stopped


def server_folder(name: str) -> Path:
    """A new folder, this run's own, for a server: ``safeshift-test-<name>-XXXX`` in the temp dir (or in
    SAFESHIFT_TEST_PG18_DIR); short, so the server's Unix socket path fits, and reachable by the
    wheel's own user when the tests run as root.  Deleted, its servers stopped, when the process ends."""
    parent = os.environ.get("SAFESHIFT_TEST_PG18_DIR")
    if parent:
        Path(parent).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"safeshift-test-{name}-", dir=parent))
    folder.chmod(0o755)
    watch(folder, delete=True)
    return folder


def release(folder: Path) -> None:
    """The end of a folder from ``server_folder``: its servers stopped, the folder deleted."""
    stop_all(folder)
    shutil.rmtree(folder, ignore_errors=True)


def _at_exit() -> None:
    """An exit that skipped the fixtures' teardown: stop what still runs here, then let the reaper go."""
    for how, folder in list(_watched):
        stop_all(folder)
        if how == "delete":
            shutil.rmtree(folder, ignore_errors=True)
    if _reaper is not None and _reaper.stdin is not None:
        _reaper.stdin.close()  # the reaper finds nothing left to do and exits


def stop_on_sigterm() -> None:
    """SIGTERM ends the run the way Ctrl-C does (pytest tears the fixtures down, atexit runs)."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:  # someone else handles it already
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)

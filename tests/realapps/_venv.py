"""The corpus's own venv: the real applications and safeshift's runtime dependencies, pinned, built once.

The apps pin their own SQLAlchemy, Alembic and drivers and bring hundreds of megabytes of dependencies
(Twisted, numpy, opentelemetry), so they never enter the project's .venv.  One venv holds all of them,
built from ``requirements.txt`` with ``python -m venv`` and pip from the configured index, and kept under
``~/.cache/safeshift-tests/realapps/<hash>/`` where the hash covers the pinned requirements and the Python
version: a fresh clone on the same machine (CI) finds it there, and a changed pin builds a new one.
safeshift itself is not installed into it (an editable install would point at whichever clone built it
first): the tests run it with ``PYTHONPATH=<this clone>/src``.

Two xdist workers asking at once take a file lock, so only one builds; the other waits and uses it.  A
venv half built by an interrupted run is never used: the folder counts only once its ``ok`` marker is
written, after pip succeeded, and a folder without it is deleted and built again.  When pip fails (the index unreachable, a pin gone) the tests fail with
one sentence saying so and pip's last lines; they never skip.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
CACHE = Path(os.environ.get("SAFESHIFT_REALAPPS_CACHE", Path.home() / ".cache" / "safeshift-tests" / "realapps"))
#: how long a worker waits for another one's build before failing (a first build takes one to two minutes)
LOCK_WAIT_S = 900


def key() -> str:
    """The cache folder's name: the pinned requirements and the interpreter's exact version."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(f"{sys.version_info[:3]} {sys.implementation.name}".encode())
    return digest.hexdigest()[:16]


def python() -> Path:
    """The corpus venv's interpreter, building the venv first if no earlier run left it."""
    folder = CACHE / key()
    done = folder / "venv" / "bin" / "python"
    if (folder / "ok").exists():
        return done
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{key()}.lock", "w") as lock:
        _acquire(lock)
        try:
            if not (folder / "ok").exists():  # another worker may have built it while this one waited
                _build(folder)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return done


def _acquire(lock: object) -> None:
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[arg-type]
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                pytest.fail(f"the real-app venv under {CACHE} is still being built by another process after "
                            f"{LOCK_WAIT_S} s; wait for it or delete {CACHE / key()}.lock's owner.")
            time.sleep(1)


def _build(folder: Path) -> None:
    """Build in place (a venv's scripts name their own folder, so it cannot be moved after) and write the
    ``ok`` marker last: a folder without it is what an interrupted build left."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    venv = folder / "venv"
    started = time.monotonic()
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.fail(f"could not create the real-app venv at {venv}: {made.stderr.strip()[-1000:]}")
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", str(REQUIREMENTS)],
        capture_output=True, text=True, check=False)
    if pip.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail("could not install the real-app corpus (tests/realapps/requirements.txt) from the package "
                    "index: is the index pip is configured for reachable? pip said:\n"
                    + (pip.stderr or pip.stdout).strip()[-3000:])
    (folder / "built-in-seconds").write_text(f"{time.monotonic() - started:.1f}\n")
    (folder / "ok").write_text("")

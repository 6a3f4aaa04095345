"""Create .venv and install safeshift with its dev extras, once; stdlib only (runs before anything is installed)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".safeshift-installed"
#: test peers that must not share safeshift's environment (migra needs psycopg2 and its own SQLAlchemy pins)
PEERS = ROOT / ".peers"
MIGRA = ["migra==3.0.1663481299", "schemainspect==3.1.1663587362", "sqlbag==0.1.1617247075",
         "psycopg2-binary==2.9.13", "SQLAlchemy==2.1.9"]


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv() -> Path:
    if sys.version_info < (3, 11):  # noqa: UP036  (a clear message on an old Python)
        sys.exit(f"safeshift needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not venv_python().exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != want:
        print("installing safeshift and its dev tools into .venv ...", flush=True)
        pip = [str(venv_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
        STAMP.write_text(want)
    return venv_python()


def ensure_node_peers() -> None:
    """bench/node_modules (drizzle-kit, drizzle-orm, postgres-js) for the drizzle interoperability
    tests, installed once from bench/package-lock.json; without Node.js those tests say why they skip."""
    bench = ROOT / "bench"
    lock = bench / "package-lock.json"
    stamp = bench / "node_modules" / ".safeshift-installed"
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        return
    want = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return
    print("installing the drizzle peers into bench/node_modules (npm ci) ...", flush=True)
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=bench, check=False)
    if done.returncode == 0:
        stamp.write_text(want)
    else:
        print("npm ci failed: the drizzle interoperability tests will be skipped", flush=True)


def ensure_chromium() -> None:
    """Debian's chromium for the HTML review page's browser test, installed with apt-get when absent and
    this user may (root, or sudo without a password); otherwise that test says why it skips."""
    if any(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) or shutil.which("apt-get") is None:
        return
    root = os.name != "nt" and os.geteuid() == 0
    sudo = [] if root else ["sudo", "-n"]
    if not root and shutil.which("sudo") is None:
        return
    print("installing chromium (apt-get) for the HTML review page test ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, "apt-get", "install", "-y", "--no-install-recommends", "chromium"]
    done = subprocess.run(install, env=env, check=False, capture_output=True, text=True)
    if done.returncode != 0:  # a fresh machine's package lists may be empty
        subprocess.run([*sudo, "apt-get", "update"], env=env, check=False, capture_output=True)
        done = subprocess.run(install, env=env, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        print("installing chromium failed: the HTML review page test will be skipped "
              f"({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'apt-get failed'})", flush=True)


def ensure_python_peers() -> None:
    """.peers/migra: migra, the independent schema-diff oracle of the PostgreSQL object tests, in a venv
    of its own; if it cannot be installed those tests fail saying so (they never pass without it)."""
    folder = PEERS / "migra"
    stamp = folder / ".safeshift-installed"
    want = " ".join(MIGRA)
    if stamp.exists() and stamp.read_text() == want:
        return
    print("installing migra into .peers/migra ...", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *MIGRA],
                          check=False)
    if done.returncode == 0:
        stamp.write_text(want)
    else:
        print("installing migra failed: the PostgreSQL object tests will fail naming it", flush=True)

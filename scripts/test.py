#!/usr/bin/env python3
"""Run the whole test suite (real PostgreSQL 15 on 127.0.0.1:5432, embedded PostgreSQL 18, SQLite)."""

from __future__ import annotations

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _bootstrap import ROOT, ensure_chromium, ensure_node_peers, ensure_python_peers, ensure_venv


def main() -> int:
    python = ensure_venv()
    ensure_node_peers()
    ensure_python_peers()
    ensure_chromium()
    # the suite starts thousands of safeshift processes; compiled once here, each reads bytecode instead of
    # compiling every module it imports (a shell with PYTHONDONTWRITEBYTECODE set, as some CI machines have,
    # would otherwise leave a fresh clone without any: 13 min 52 s against 11 min 27 s on 2026-12-08)
    subprocess.run([str(python), "-m", "compileall", "-q", str(ROOT / "src" / "safeshift")], cwd=ROOT, check=True)
    # three workers on two cores: much of a test's time is spent waiting on a database server or a child
    # process, and a third worker fills it (2026-12-07: 12 min 44 s with two, 12 min 7 s with three on a
    # fresh clone, the cores then 99% busy); worksteal: a worker that runs out takes some of the others' tests
    args = sys.argv[1:] or ["-n", "3", "--dist", "worksteal", "-q", "tests"]
    return subprocess.run([str(python), "-m", "pytest", *args], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())

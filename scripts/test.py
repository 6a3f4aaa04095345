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
    # worksteal: a worker that runs out of tests takes some of the other's, so the run ends with both busy
    args = sys.argv[1:] or ["-n", "2", "--dist", "worksteal", "-q", "tests"]
    return subprocess.run([str(python), "-m", "pytest", *args], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())

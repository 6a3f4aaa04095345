"""The picture tests' outside judges: Mermaid's own parser and a real headless Chromium.

The npm packages (``node/package.json``, pinned by ``node/package-lock.json``) are installed once
into ``~/.cache/safeshift-tests/picture-node/<lock hash>/`` with ``npm ci`` and reused by every run;
Chromium is Debian's (``scripts/_bootstrap.ensure_chromium`` installs it with apt-get).  Without
Node.js, npm or Chromium the tests that need them skip, saying which is missing.  Each judge runs
once per batch: one Node process parses every Mermaid text, one browser launch opens every page.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent / "node"
CACHE = Path(os.environ.get("SAFESHIFT_PICTURE_CACHE", Path.home() / ".cache" / "safeshift-tests" / "picture-node"))
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def node_modules() -> Path:
    """The installed peers' folder (installing them on first use); skips when Node.js or npm is missing or
    the install fails."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are not installed: Mermaid's parser and playwright-core run under Node")
    lock = (HERE / "package-lock.json").read_bytes()
    folder = CACHE / hashlib.sha256(lock).hexdigest()[:16]
    stamp = folder / ".safeshift-installed"
    if not stamp.exists():
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(HERE / name, folder / name)
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder,
                              capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            pytest.skip(f"npm ci of the picture test peers failed in {folder}: {done.stderr.strip()[-400:]}")
        stamp.write_text("ok")
    return folder / "node_modules"


def _node(script: str, args: Sequence[str], stdin: str = "", timeout: int = 180) -> Any:
    modules = node_modules()
    # the scripts import by bare name: run them from the cache folder, whose node_modules Node finds
    target = modules.parent / script
    shutil.copyfile(HERE / script, target)
    done = subprocess.run(["node", str(target), *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert done.returncode == 0, f"{script} failed: {done.stderr[-2000:]}"
    return json.loads(done.stdout)


def parse_mermaid(texts: Sequence[str]) -> list[dict[str, Any]]:
    """Each text parsed by Mermaid's own parser, in one Node process."""
    return list(_node("parse_mermaid.mjs", [], json.dumps(list(texts))))


def chromium() -> str:
    """The system's Chromium; skips, saying how to get it, when there is none."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium on this machine: `scripts/test.py` installs Debian's with apt-get "
                "(or run `apt-get install chromium`)")


def shoot(pages: Sequence[tuple[Path, Path]]) -> list[dict[str, Any]]:
    """Open each (page, screenshot) in one headless Chromium launch: the SVG tables found and the PNG written."""
    exe = chromium()
    return list(_node("shoot.mjs", [exe, json.dumps([[str(h), str(p)] for h, p in pages])], timeout=300))

"""The corpus venv runs safeshift from this clone's src with only requirements.txt installed: every runtime
dependency pyproject.toml declares must be pinned there, or the corpus would fail on an import (or, worse,
test against whatever version an app happened to pull in)."""

from __future__ import annotations

import re
import tomllib

from tests.realapps._venv import REQUIREMENTS
from tests.realapps.test_corpus import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_safeshift_runtime_dependencies_are_pinned() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = {_name(line): line for line in REQUIREMENTS.read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    assert all("==" in line for line in pinned.values()), "every line of requirements.txt pins one version"
    missing = [d for d in declared if _name(d) not in pinned]
    assert not missing, f"add to tests/realapps/requirements.txt (pinned): {missing}"
    # psycopg[binary]: the binary wheel too
    assert "psycopg-binary" in pinned

"""The code that dataclasses generate is compiled once per interpreter (``safeshift.codecache``): the second
process compiles none of it, the classes behave exactly as compiled ones, and a file that cannot be used, or
a user who asked Python not to write bytecode, changes nothing but the speed."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from safeshift import codecache

#: the script's start (codecache first), the model imported, then what was compiled and how the classes behave
_DRIVER = """
import json, sys
from safeshift import codecache
codecache.install()
from safeshift.model import Column, Table
a = Column(name="id", type="integer", nullable=False)
b = Column(name="id", type="integer", nullable=False)
try:
    a.name = "x"
    frozen = False
except Exception as exc:
    frozen = type(exc).__name__
print(json.dumps({"new": len(codecache._new), "known": len(codecache._known), "path": codecache._path,
                  "eq": a == b, "hash": hash(a) == hash(b), "repr": repr(a), "frozen": frozen,
                  "table": repr(Table("public", "t", (a,)))[:40]}))
"""


def _run(cache: Path, **env: str) -> dict[str, object]:
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    environ.update({"PYTHONPYCACHEPREFIX": str(cache)}, **env)
    done = subprocess.run([sys.executable, "-c", _DRIVER], capture_output=True, text=True, env=environ,
                          check=True, timeout=120)
    found: dict[str, object] = json.loads(done.stdout)
    return found


def _file(cache: Path) -> Path:
    found = list(cache.rglob("generated-code.*.marshal"))
    assert len(found) == 1, found
    return found[0]


def test_the_second_process_compiles_nothing_and_the_classes_are_the_same(tmp_path: Path) -> None:
    first = _run(tmp_path)
    assert isinstance(first["new"], int) and first["new"] >= 100  # the model's 26 classes, 5-6 methods each
    second = _run(tmp_path)
    assert second["new"] == 0 and second["known"] == first["known"]
    for key in ("eq", "hash", "repr", "frozen", "table"):
        assert second[key] == first[key]
    assert first["eq"] is True and first["hash"] is True and first["frozen"] == "FrozenInstanceError"
    assert first["repr"] == repr(__import__("safeshift.model", fromlist=["Column"]).Column(
        name="id", type="integer", nullable=False))


def test_an_unreadable_file_is_ignored_and_written_anew(tmp_path: Path) -> None:
    _run(tmp_path)
    path = _file(tmp_path)
    path.write_bytes(b"\x00not marshal")
    again = _run(tmp_path)
    assert isinstance(again["new"], int) and again["new"] >= 100 and again["eq"] is True
    assert _run(tmp_path)["new"] == 0  # rewritten whole


def test_nothing_is_written_where_python_writes_no_bytecode(tmp_path: Path) -> None:
    found = _run(tmp_path, PYTHONDONTWRITEBYTECODE="1")
    assert found["eq"] is True
    assert list(tmp_path.rglob("generated-code.*")) == []


def test_cached_exec_is_exec() -> None:
    source = "def f(x):\n    return [x, __name__]\n"
    mine: dict[str, object] = {"__name__": "mine"}
    theirs: dict[str, object] = {"__name__": "mine"}
    codecache.cached_exec(source, mine)
    exec(source, theirs)
    f, g = mine["f"], theirs["f"]
    assert callable(f) and callable(g)
    assert f(1) == g(1) == [1, "mine"]
    assert f.__code__.co_filename == g.__code__.co_filename == "<string>"
    codecache.cached_exec(source, mine)  # the second time from what was kept
    assert source in codecache._known


@pytest.mark.parametrize("cls", [c for c in vars(__import__("safeshift.model", fromlist=["x"])).values()
                                 if isinstance(c, type) and dataclasses.is_dataclass(c)][:5])
def test_model_classes_are_still_frozen_dataclasses(cls: type) -> None:
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen  # type: ignore[attr-defined]

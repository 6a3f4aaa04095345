"""The public API says what it returns: no ``Any`` in the signature of a public function of ``safeshift.api`` or in
a field of a result it returns.  The result types are imported for type checking only (so ``safeshift restore``
stays light, see tests/backup/test_restore_imports.py); this test resolves them the way mypy does."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import typing
from pathlib import Path
from typing import Any

import pytest

from safeshift import api

#: what a few of them must return, as the README documents them
EXPECTED = {
    "review": "ReviewResult",
    "rehearse": "Rehearsal",
    "backup": "Backup",
    "restore": "Manifest",
    "deploy": "Release",
}


def _namespace() -> dict[str, Any]:
    """``safeshift.api``'s globals plus what its ``if TYPE_CHECKING:`` block imports."""
    tree = ast.parse(Path(inspect.getfile(api)).read_text(encoding="utf-8"))
    ns: dict[str, Any] = dict(vars(api))
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            exec(compile(ast.Module(body=node.body, type_ignores=[]), "<api TYPE_CHECKING>", "exec"), ns)
    return ns


def _public_functions() -> list[str]:
    return sorted(name for name, f in vars(api).items()
                  if inspect.isfunction(f) and f.__module__ == api.__name__ and not name.startswith("_"))


def _mentions_any(hint: object) -> bool:
    """``Any`` anywhere in ``hint``, also among a Callable's parameters (which typing gives as a list)."""
    inner = hint if isinstance(hint, list) else typing.get_args(hint)
    return hint is Any or any(_mentions_any(a) for a in inner)


@pytest.mark.parametrize("name", _public_functions())
def test_public_functions_are_typed_without_any(name: str) -> None:
    hints = typing.get_type_hints(getattr(api, name), globalns=_namespace())
    assert "return" in hints, f"api.{name} has no return type"
    loose = [k for k, v in hints.items() if _mentions_any(v) and not (name == "run_options" and k == "overrides")]
    assert loose == [], f"api.{name}: {loose} typed as Any"


def test_results_name_their_types() -> None:
    ns = _namespace()
    for name, expected in EXPECTED.items():
        assert typing.get_type_hints(getattr(api, name), globalns=ns)["return"] is ns[expected], name
    verify = typing.get_type_hints(api.verify, globalns=ns)["return"]
    assert typing.get_args(verify)[0] is ns["Drift"]
    report = typing.get_type_hints(api.report, globalns=ns)["return"]
    assert typing.get_args(report)[1] is ns["Release"]
    fields = typing.get_type_hints(api.RestoreResult, globalns=ns)
    assert fields["manifest"] is ns["Manifest"] and typing.get_args(fields["safety"])[0] is ns["Backup"]
    assert not any(_mentions_any(t) for f in dataclasses.fields(api.RestoreResult) for t in [fields[f.name]])

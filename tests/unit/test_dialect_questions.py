"""Dialect differences live in dialects/ and engines/; everything else asks them: outside those packages no
module compares a dialect's name with a literal (tests/rehearse/test_strongest_lock.py holds the same for lock
modes)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import safeshift

SRC = Path(safeshift.__file__).resolve().parent
#: where a database's own knowledge belongs
OWN = ("dialects", "engines")
NAMES = {"postgresql", "postgres", "pg", "sqlite", "sqlite3", "mysql", "mariadb"}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] not in OWN:
            yield str(rel), ast.parse(path.read_text(encoding="utf-8"))


def _literals(node: ast.expr) -> set[str]:
    """The string literals ``node`` is, or holds (a tuple, list or set of them)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return {s for e in node.elts for s in _literals(e)}
    return set()


def test_no_dialect_name_comparisons_outside_the_dialects() -> None:
    found = [f"{rel}:{node.lineno}" for rel, tree in _modules() for node in ast.walk(tree)
             if isinstance(node, ast.Compare)
             and any(_literals(side) & NAMES for side in (node.left, *node.comparators))]
    assert found == []

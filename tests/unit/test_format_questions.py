"""No module outside the folder formats compares a folder's format with a name: what differs between
safeshift's folders and drizzle-kit's is asked of the format object (``formats.folder.of``)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "safeshift"
#: the format modules themselves (formats/drizzle.py decides what a configured or detected folder is)
FORMAT_MODULES = ("formats/",)
NAMES = {"safeshift", "drizzle"}


def _format_comparisons(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        names = any(isinstance(s, ast.Constant) and s.value in NAMES for s in sides)
        formats = any(isinstance(s, ast.Attribute) and s.attr == "format" for s in sides)
        if names and formats:
            lines.append(node.lineno)
    return lines


def test_no_folder_format_branches_outside_the_formats() -> None:
    found = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith(FORMAT_MODULES):
            continue
        found += [f"{rel}:{line}" for line in _format_comparisons(ast.parse(path.read_text(encoding="utf-8")))]
    assert not found, "folder-format comparisons outside formats/: " + ", ".join(found)


def test_the_check_finds_one() -> None:
    assert _format_comparisons(ast.parse('if folder.format == "drizzle":\n    pass\n')) == [1]

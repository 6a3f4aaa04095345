"""The layering of shared/ARCHITECTURE.md, held by parsing every module: no import cycle, and no module
importing a module of a higher layer.  Imports are collected everywhere in a module — top level,
inside functions, under ``TYPE_CHECKING`` — because a function-local import is still a dependency.

``KNOWN`` lists the edges that still break the rules while the code moves into that shape.  It only
shrinks: an edge listed here that no longer exists fails the test too, so it is taken off the list.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "safeshift"

#: layer of each module, by the longest matching prefix (ARCHITECTURE.md, bottom to top)
LAYERS: dict[str, int] = {
    # 1 ground
    "safeshift.errors": 1, "safeshift.text": 1, "safeshift.files": 1, "safeshift.version": 1,
    "safeshift.interrupts": 1, "safeshift.progress": 1, "safeshift.codecache": 1,
    # 2 model
    "safeshift.model": 2,
    # 3 pure transforms
    "safeshift.changes": 3, "safeshift.diff": 3, "safeshift.renames": 3, "safeshift.snapshot": 3,
    "safeshift.txsplit": 3, "safeshift.sections": 3, "safeshift.ignore": 3,
    # 4 dialects: pure SQL knowledge
    "safeshift.dialects": 4,
    # 5 plan and lint
    "safeshift.plan": 5, "safeshift.lint": 5, "safeshift.validate": 5, "safeshift.picture": 5,
    # 6 engines, configuration, introspection, sources
    "safeshift.engines": 6, "safeshift.config": 6, "safeshift.introspect": 6, "safeshift.sources": 6,
    # 7 the migrations folder
    "safeshift.formats": 7,
    # 8 execution
    "safeshift.history": 8, "safeshift.schedule": 8, "safeshift.runner": 8,
    # 9 orchestration
    "safeshift.project": 9, "safeshift.generate": 9, "safeshift.review": 9, "safeshift.backup": 9,
    "safeshift.rehearse": 9, "safeshift.rehearse_report": 9, "safeshift.verify": 9, "safeshift.release": 9, "safeshift.deploy": 9,
    "safeshift.guard": 9, "safeshift.baseline": 9, "safeshift.pull": 9, "safeshift.review_picture": 9,
    # 10 façade
    "safeshift.api": 10, "safeshift.cli": 10, "safeshift.terminal": 10, "safeshift.__main__": 10,
    "safeshift": 10,
}

#: edges (importer, imported) that still break the rules; remove each as the code moves
KNOWN: frozenset[tuple[str, str]] = frozenset()


def modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in (SRC / PACKAGE).rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Every safeshift module ``name`` imports, wherever the import stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    yield _module(alias.name, known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:  # `from safeshift import api` imports the module api
                sub = f"{target}.{alias.name}"
                yield sub if sub in known else _module(target, known)


def _module(dotted: str, known: dict[str, Path]) -> str:
    while dotted not in known and "." in dotted:
        dotted = dotted.rpartition(".")[0]
    return dotted


def layer(name: str) -> int:
    best = max((p for p in LAYERS if name == p or name.startswith(p + ".")), key=len, default=None)
    assert best is not None, f"{name} has no layer: add it to LAYERS (and to shared/ARCHITECTURE.md)"
    return LAYERS[best]


def graph() -> dict[str, set[str]]:
    known = modules()
    return {n: {m for m in imported(n, p, known) if m != n} for n, p in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
    return found


def test_every_module_has_a_layer() -> None:
    for name in modules():
        layer(name)


def test_no_module_imports_a_higher_layer() -> None:
    upward = sorted((a, b) for a, targets in graph().items() for b in targets
                    if layer(b) > layer(a) and (a, b) not in KNOWN)
    assert not upward, "imports of a higher layer:\n" + "\n".join(
        f"  {a} (layer {layer(a)}) imports {b} (layer {layer(b)})" for a, b in upward)


def test_no_import_cycle() -> None:
    edges = {a: {b for b in targets if (a, b) not in KNOWN} for a, targets in graph().items()}
    found = cycles(edges)
    assert not found, "import cycles:\n" + "\n".join("  " + " <-> ".join(c) for c in found)


def test_known_exceptions_still_exist() -> None:
    edges = graph()
    gone = sorted(e for e in KNOWN if e[1] not in edges.get(e[0], set()))
    assert not gone, f"these edges are gone: take them off KNOWN: {gone}"

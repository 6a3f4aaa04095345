"""`safeshift rehearse` names each migration's strongest lock, ordered by the dialect's lock modes
(``Dialect.lock_modes``): no module outside dialects/ and engines/ spells a database's lock modes."""

from __future__ import annotations

import ast
from pathlib import Path

import safeshift
from safeshift.dialects import get_dialect
from tests.rehearse._kit import V1, V2, build

SRC = Path(safeshift.__file__).resolve().parent


def test_each_migration_names_its_strongest_lock(tmp_path: Path, db_url: str) -> None:
    p = build(tmp_path, db_url, (V1, V2))
    out = p.run("rehearse", "--scratch").stdout
    (line,) = [ln.strip() for ln in out.splitlines() if ln.strip().startswith(f"{V2[0]}_{V2[1]}:")]
    lock = ("AccessExclusiveLock on public.users" if db_url.startswith("postgresql")
            else "write lock on the whole database (BEGIN IMMEDIATE) (documented)")
    assert line.endswith(f", 1 statement(s), strongest lock {lock}"), line


def test_lock_modes_are_the_dialects() -> None:
    modes = get_dialect("postgresql").lock_modes
    assert modes[0] == "AccessShareLock" and modes[-1] == "AccessExclusiveLock" and len(modes) == 8
    assert get_dialect("sqlite").lock_modes == ()
    found = [f"{path.relative_to(SRC)}:{node.lineno} {node.value}" for path in sorted(SRC.rglob("*.py"))
             if path.relative_to(SRC).parts[0] not in ("dialects", "engines")
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Constant) and node.value in modes]
    assert found == []

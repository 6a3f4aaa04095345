"""The interactive rename question, answered on a real pseudo-terminal."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.cli.test_generate_cli import MODELS_V1, MODELS_V2_RENAMED, make_project, run, write_models
from tests.runner._project import run_on_tty


def _run_on_tty(project: Path, args: list[str], answer: str) -> tuple[int, str]:
    return run_on_tty(project, args, b"Answer", answer)


def test_prompt_rename_keeps_the_column(tmp_path: Path) -> None:
    project = make_project(tmp_path, "postgresql")
    run(project, "generate", "--name", "initial")
    write_models(project, MODELS_V2_RENAMED)
    code, screen = _run_on_tty(project, ["generate", "--name", "rename_fullname"], "1")
    assert code == 0, screen
    assert "renamed from fullname" in screen
    text = sorted((project / "migrations").glob("*_rename_fullname.sql"))[0].read_text()
    assert 'RENAME COLUMN "fullname" TO "name"' in text


def test_prompt_created_drops_and_adds(tmp_path: Path) -> None:
    project = make_project(tmp_path, "postgresql")
    run(project, "generate", "--name", "initial")
    write_models(project, MODELS_V2_RENAMED)
    code, screen = _run_on_tty(project, ["generate", "--name", "replace_fullname"], "0")
    # a new NOT NULL column without a default has no lock-safe form on a table with rows
    assert code == 1 and "public.users.name: a NOT NULL column without a default" in screen, screen
    code, screen = _run_on_tty(project, ["generate", "--name", "replace_fullname", "--expand"], "0")
    assert code == 0, screen
    assert "data loss" in screen and "public.users.name is added nullable" in screen
    assert textwrap.dedent(MODELS_V1)  # the v1 module is what the snapshot holds

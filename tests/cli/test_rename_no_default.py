"""The rename question has no default: Enter alone must not choose "created", which drops the old
column with its data; an empty answer asks again."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_generate_cli import MODELS_V2_RENAMED, make_project, run, write_models
from tests.runner._project import tty_session


def test_enter_alone_asks_again(tmp_path: Path) -> None:
    project = make_project(tmp_path, "postgresql")
    run(project, "generate", "--name", "initial")
    write_models(project, MODELS_V2_RENAMED)
    code, screen = tty_session(project, ["generate", "--name", "rename_fullname"], prompt=b"Answer",
                               answers=["", "1"], timeout=60)
    assert code == 0, screen
    assert screen.count("Answer (0-1):") == 2, screen  # the empty answer chose nothing
    assert "0) created (new and empty: no data is carried over)" in screen
    text = sorted((project / "migrations").glob("*_rename_fullname.sql"))[0].read_text()
    assert 'RENAME COLUMN "fullname" TO "name"' in text and "DROP COLUMN" not in text.split("-- migrate:down")[0]

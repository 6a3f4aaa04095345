"""The rename question has no default: Enter alone must not choose "created", which drops the old
column with its data; an empty answer asks again."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from tests.cli.test_generate_cli import MODELS_V2_RENAMED, make_project, run, write_models
from tests.runner._project import SAFESHIFT, clean_env


def _answer_each(project: Path, args: Sequence[str], prompt: bytes, answers: Sequence[str],
                 timeout: float = 60) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal and type the n-th answer at the n-th appearance of ``prompt``."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([*SAFESHIFT, *args], cwd=project, stdin=slave, stdout=slave, stderr=slave,
                            close_fds=True, env=clean_env())
    os.close(slave)
    seen, given, deadline = b"", 0, time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if given < len(answers) and seen.count(prompt) > given:
            os.write(master, answers[given].encode() + b"\n")
            given += 1
    if proc.poll() is None:
        proc.kill()
    code = proc.wait(10)
    os.close(master)
    return code, seen.decode(errors="replace")


def test_enter_alone_asks_again(tmp_path: Path) -> None:
    project = make_project(tmp_path, "postgresql")
    run(project, "generate", "--name", "initial")
    write_models(project, MODELS_V2_RENAMED)
    code, screen = _answer_each(project, ["generate", "--name", "rename_fullname"], b"Answer", ["", "1"])
    assert code == 0, screen
    assert screen.count("Answer (0-1):") == 2, screen  # the empty answer chose nothing
    assert "0) created (new and empty: no data is carried over)" in screen
    text = sorted((project / "migrations").glob("*_rename_fullname.sql"))[0].read_text()
    assert 'RENAME COLUMN "fullname" TO "name"' in text and "DROP COLUMN" not in text.split("-- migrate:down")[0]

"""The words people read (issue 21): each message, header and record says exactly what happened, naming the
user's file and line, the environment and what to do, on real databases and through the real CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.runner._project import SAFESHIFT, clean_env, error_line, run

BOOM = '''import sqlalchemy as sa

metadata = sa.MetaData()


def helper() -> None:
    raise RuntimeError("boom")


helper()
'''


@pytest.fixture
def broken_models(tmp_path: Path) -> Path:
    (tmp_path / "safeshift.toml").write_text('schema = "models:metadata"\nmigrations = "migrations"\n'
                                              'dialect = "sqlite"\n', encoding="utf-8")
    (tmp_path / "models.py").write_text(BOOM, encoding="utf-8")
    return tmp_path


def test_models_raising_on_import_name_the_file_and_line(broken_models: Path) -> None:
    line = error_line(run(broken_models, "generate", "--name", "x", expect=2))
    assert line == ("Cannot import 'models' named by schema = \"models:metadata\": RuntimeError: boom (raised at "
                    "models.py:7); check the module path (relative to the folder of safeshift.toml) and that it "
                    "imports cleanly (SAFESHIFT_DEBUG=1 prints the traceback).")


def test_models_raising_on_import_show_the_traceback_with_safeshift_debug(broken_models: Path) -> None:
    proc = subprocess.run([*SAFESHIFT, "generate", "--name", "x"], cwd=broken_models, capture_output=True, text=True,
                          env=clean_env({"SAFESHIFT_DEBUG": "1"}), stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("Traceback (most recent call last):")
    assert f'File "{broken_models / "models.py"}", line 10, in <module>' in proc.stderr
    assert 'raise RuntimeError("boom")' in proc.stderr
    assert proc.stderr.rstrip().splitlines()[-1].startswith("error: Cannot import 'models'")


def test_a_syntax_error_names_its_line(broken_models: Path) -> None:
    (broken_models / "models.py").write_text("import sqlalchemy as sa\nmetadata = sa.MetaData(\n", encoding="utf-8")
    assert "(raised at models.py:2)" in error_line(run(broken_models, "generate", "--name", "x", expect=2))

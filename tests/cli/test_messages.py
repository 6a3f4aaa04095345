"""The words people read (issue 21): each message, header and record says exactly what happened, naming the
user's file and line, the environment and what to do, on real databases and through the real CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.runner._project import MIGRATIONS, SAFESHIFT, clean_env, error_line, make_project, run

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


def test_a_missing_folder_beside_applied_migrations_says_it_is_elsewhere(tmp_path: Path) -> None:
    """The folder moved (or `migrations` names the wrong one) while the database has applied migrations:
    "run generate first" would write a new initial migration recreating everything; it says where things
    stand instead, and generate refuses for the active environment's database."""
    p = make_project(tmp_path, f"sqlite:///{tmp_path / 'app.db'}",
                     f'[environments.development]\nurl = "sqlite:///{tmp_path / "app.db"}"\n')
    (p.root / "models.py").write_text("import sqlalchemy as sa\n\nmetadata = sa.MetaData()\n"
                                      'sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True))\n')
    (p.root / "safeshift.toml").write_text('schema = "models:metadata"\n' + (p.root / "safeshift.toml").read_text())
    p.add_all(MIGRATIONS[:3])
    p.run("migrate", "--yes")
    p.folder.rename(p.root / "db_migrations")
    said = (f"There is no migrations folder at {p.folder}, but the database has 3 applied migration(s): the folder "
            "is not where the configuration points; point `migrations` in the configuration at the folder that "
            "holds them (or run the command from the project's folder).")
    assert error_line(p.run("migrate", "--yes", expect=2)) == said
    assert error_line(p.run("status", expect=2)) == said
    assert error_line(run(p.root, "generate", "--name", "initial", expect=2)) == said.replace(
        "the database", f"the database of environment development (sqlite:///{tmp_path / 'app.db'})")
    assert not p.folder.exists()
    # a database that has applied nothing: the folder is simply not made yet
    (tmp_path / "empty.db").touch()
    assert error_line(p.run("status", "--url", f"sqlite:///{tmp_path / 'empty.db'}", url=False, expect=2)) == (
        f"There is no migrations folder at {p.folder}; run `safeshift generate` first.")

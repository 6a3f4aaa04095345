"""generate tells the hazards of the migration it wrote (issue 18): from the Change objects where the dialect's
rules read them (PostgreSQL), from the written SQL against the schema before elsewhere (SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runner._project import invoke

MODELS = '''import sqlalchemy as sa
metadata = sa.MetaData()
users = sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.Text){extra})
'''


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_generate_names_the_drop_it_wrote_and_the_gate(dialect: str, tmp_path: Path) -> None:
    # each version of the models is a module of its own: the command runs in this process, which imports once
    config = tmp_path / "safeshift.toml"
    config.write_text(f'schema = "models_{dialect}_1:metadata"\nmigrations = "migrations"\ndialect = "{dialect}"\n')
    (tmp_path / f"models_{dialect}_1.py").write_text(MODELS.format(extra=', sa.Column("email", sa.Text)'))
    (tmp_path / f"models_{dialect}_2.py").write_text(MODELS.format(extra=""))
    first = invoke(tmp_path, "generate", "--name", "init")
    assert "review:" not in first.stdout and "error:" not in first.stdout, first.stdout  # new tables: no hazard
    config.write_text(config.read_text().replace("_1:", "_2:"))
    done = invoke(tmp_path, "generate", "--name", "drop_email")
    assert "error: [drop-column]" in done.stdout, done.stdout
    assert "email" in next(line for line in done.stdout.splitlines() if "[drop-column]" in line)
    written = next((tmp_path / "migrations").glob("*_drop_email.sql")).relative_to(tmp_path)
    assert f"run `safeshift review {written}`" in done.stdout, done.stdout
    assert "`safeshift migrate` refuses it until each error is fixed or acknowledged" in done.stdout


def test_a_custom_migration_is_not_reviewed_before_it_is_written(tmp_path: Path) -> None:
    (tmp_path / "safeshift.toml").write_text('schema = "models_custom:metadata"\nmigrations = "migrations"\n'
                                             'dialect = "sqlite"\n')
    (tmp_path / "models_custom.py").write_text(MODELS.format(extra=""))
    invoke(tmp_path, "generate", "--name", "init")
    done = invoke(tmp_path, "generate", "--name", "data", "--custom")
    assert "review:" not in done.stdout, done.stdout

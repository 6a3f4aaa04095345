"""A configured ``format = "safeshift"`` wins over a stray ``meta/_journal.json`` in every command: generate,
generate --check, rehash and deploy read the folder as migrate and review do (detection is only for a
configuration that names no format)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy._kit import START, V2, V3, deploy, item, make, record
from tests.deploy.test_gates import MODELS
from tests.runner._project import Project, history_rows

#: a module name of its own: the in-process commands import it, and no other test's models may answer
MODULE = "stray_journal_models"
JOURNAL = '{"version": "7", "dialect": "postgresql", "entries": []}'


@pytest.fixture
def project(tmp_path: Path, sqlite_url: str) -> Iterator[Project]:
    """The deploy kit's project with models that agree with its migrations, ``format = "safeshift"`` and a
    stray drizzle-kit journal in its migrations folder."""
    p = make(tmp_path, sqlite_url)
    config = p.root / "safeshift.toml"
    config.write_text(f'schema = "{MODULE}:metadata"\nformat = "safeshift"\n' + config.read_text(),
                      encoding="utf-8")
    (p.root / f"{MODULE}.py").write_text(MODELS, encoding="utf-8")
    (p.folder / "meta" / "_journal.json").write_text(JOURNAL, encoding="utf-8")
    sys.modules.pop(MODULE, None)
    yield p
    sys.modules.pop(MODULE, None)


def test_generate_check_and_rehash_read_a_configured_safeshift_folder(project: Project) -> None:
    project.run("generate", "--check", url=False)
    assert project.run("generate", "--name", "again", url=False).stdout.strip() == "no changes"
    before = (project.folder / "safeshift.sum").read_text()
    project.run("rehash", url=False)
    assert (project.folder / "safeshift.sum").read_text() == before
    assert (project.folder / "meta" / "_journal.json").read_text() == JOURNAL


def test_generate_writes_into_a_configured_safeshift_folder(project: Project) -> None:
    (project.root / f"{MODULE}.py").write_text(
        MODELS.replace('Column("name", String(100))', 'Column("name", String(100)), Column("nickname", String(50))'),
        encoding="utf-8")
    project.run("generate", "--name", "add_nickname", url=False)
    (written,) = [p.name for p in project.folder.glob("*_add_nickname.sql")]
    assert (project.folder / "meta" / f"{written[:14]}_snapshot.json").is_file()
    project.run("generate", "--check", url=False)


def test_deploy_preflight_reads_a_configured_safeshift_folder(project: Project, sqlite_url: str) -> None:
    deploy(project)
    doc = record(project)
    assert doc["outcome"] == "released"
    assert item(doc, "generated")["evidence"]["schema source agrees"] == f"yes ({MODULE}:metadata)"
    assert item(doc, "generated")["evidence"]["sum file"] == "sealed"
    assert history_rows(sqlite_url) == {START: "applied", V2[0]: "applied", V3[0]: "applied"}

"""One command reads the configuration once; one down-file pass converts each snapshot and reads each down file once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from safeshift import api
from safeshift.formats import drizzle
from tests.drizzle._kit import TAGS, VERSIONS, drizzle_rows, make_project

#: a table of drizzle's own: the folder's settings must reach the runner, not just be parsed once
TOML = 'migrations = "drizzle"\nformat = "drizzle"\n[drizzle]\nmigrations_table = "applied"\n'


def test_each_command_parses_the_configuration_once(drizzle_source: Path, tmp_path: Path, pg_url: str,
                                                    parses: list[Path]) -> None:
    p = make_project(drizzle_source, tmp_path, pg_url, TOML)
    for command in (("status",), ("migrate", "--dry-run"), ("migrate",), ("status",), ("verify",), ("rollback",)):
        parses.clear()
        p.run(*command)
        assert len(parses) == 1, f"safeshift {' '.join(command)} parsed the configuration {len(parses)} times"
    assert len(drizzle_rows(pg_url, table="applied")) == len(TAGS) - 1


def test_the_python_api_given_a_folder_finds_its_configuration_once(drizzle_source: Path, tmp_path: Path,
                                                                    pg_url: str, parses: list[Path]) -> None:
    p = make_project(drizzle_source, tmp_path, pg_url, TOML)
    assert len(api.migrate(pg_url, p.folder).applied) == len(TAGS)
    assert len(parses) == 1
    parses.clear()
    assert {s.state for s in api.status(pg_url, p.folder)} == {"applied"}
    assert len(parses) == 1
    assert len(drizzle_rows(pg_url, table="applied")) == len(TAGS)


def test_a_down_pass_converts_each_snapshot_and_reads_each_down_file_once(drizzle_source: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    p = make_project(drizzle_source, tmp_path, "")
    converted: Counter[str] = Counter()
    read: Counter[str] = Counter()
    schema, read_text = drizzle._Snapshot.schema, Path.read_text

    def counting_schema(self: Any) -> Any:
        converted[self.label] += 1
        return schema(self)

    def counting_read(self: Path, *args: Any, **kwargs: Any) -> str:
        if self.parent.name == drizzle.DOWN_DIR:
            read[self.name] += 1
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(drizzle._Snapshot, "schema", counting_schema)
    monkeypatch.setattr(Path, "read_text", counting_read)
    folder = drizzle.read_folder(p.folder)  # no down files yet: nothing to read, nothing converted
    assert (converted, read) == (Counter(), Counter())

    first = drizzle.attach_down(folder, write=True)
    assert converted == Counter(f"{v}_snapshot.json" for v in VERSIONS), "each snapshot converted once"
    assert read == Counter(), "a down file just written is not read back"

    converted.clear()
    again = drizzle.attach_down(folder, write=True)
    assert converted == Counter() and read == Counter(f"{v}.sql" for v in VERSIONS)
    assert again == first

    path = p.folder / f"{TAGS[4]}.sql"
    path.write_text(path.read_text() + "\n")  # a new hash: only its down file is written again
    edited = drizzle.read_folder(p.folder)
    converted.clear()
    read.clear()
    drizzle.attach_down(edited, write=True)
    assert converted == Counter([f"{VERSIONS[3]}_snapshot.json", f"{VERSIONS[4]}_snapshot.json"])
    assert read == Counter(f"{v}.sql" for v in VERSIONS)

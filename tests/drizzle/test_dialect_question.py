"""Whether a drizzle-kit folder can run on a database is the dialect's to say (``capabilities.drizzle_folders``),
not read off another capability (having schemas is not being PostgreSQL)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from safeshift import api
from safeshift.dialects import get_dialect
from safeshift.errors import ConfigError
from safeshift.formats import folder as formats
from tests.drizzle._kit import write_folder

URL = "postgresql://postgres@127.0.0.1:5432/app"


def test_a_drizzle_folder_is_refused_on_a_sqlite_database(tmp_path: Path, sqlite_url: str) -> None:
    folder = write_folder(tmp_path, {"0000_a": "CREATE TABLE a (id int);"})
    for run in (api.migrate, api.status):
        with pytest.raises(ConfigError) as refused:
            run(sqlite_url, folder)
        assert refused.value.message == (
            f"{sqlite_url} is a sqlite database, but the migrations are a drizzle-kit folder for PostgreSQL; give a "
            "PostgreSQL URL.")


def test_the_refusal_follows_the_dialects_answer(tmp_path: Path) -> None:
    """A dialect with schemas that does not run drizzle-kit folders (as MySQL will be) is refused too."""
    postgres = get_dialect("postgresql")
    assert postgres.capabilities.drizzle_folders and not get_dialect("sqlite").capabilities.drizzle_folders
    no_drizzle = type("NoDrizzle", (type(postgres),), {
        "capabilities": dataclasses.replace(postgres.capabilities, drizzle_folders=False)})()
    assert no_drizzle.capabilities.schemas
    folder = formats.read(write_folder(tmp_path, {"0000_a": "CREATE TABLE a (id int);"}))
    with pytest.raises(ConfigError, match="but the migrations are a drizzle-kit folder for PostgreSQL"):
        formats.DrizzleFolder().check_dialect(no_drizzle, URL, folder)
    formats.DrizzleFolder().check_dialect(postgres, URL, folder)

"""Reading a drizzle-kit folder exactly as drizzle-orm's ``readMigrationFiles`` does (no database)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from safeshift.config import FolderSettings, folder_settings, load_config
from safeshift.errors import ConfigError, MigrationsError
from safeshift.formats import drizzle
from safeshift.formats import folder as folder_format
from safeshift.formats import safeshift as migrations
from tests.drizzle._kit import STEPS, TAGS, journal, write_folder


def _folder(tmp_path: Path, files: dict[str, str], *, whens: list[int] | None = None,
            dialect: str = "postgresql") -> Path:
    return write_folder(tmp_path, files, whens=whens, dialect=dialect)


def test_generated_folder_reads_as_migrations_in_journal_order(drizzle_source: Path) -> None:
    folder = folder_format.read(drizzle_source / "drizzle")  # detected from meta/_journal.json
    assert folder.format == "drizzle"
    assert folder.history_table == ("drizzle", "__drizzle_migrations")
    assert [m.label for m in folder] == list(TAGS)
    assert [m.name for m in folder] == [s.name for s in STEPS]
    for m, entry in zip(folder, journal(drizzle_source / "drizzle"), strict=True):
        assert m.created_at == entry["when"]
        assert m.sha256 == hashlib.sha256(m.path.read_bytes()).hexdigest() == migrations.checksum(m)
        assert all(st.transactional for st in m.up_statements)
    # drizzle-kit's create_tables migration: one statement per breakpoint, lines as in the file
    first = folder.migrations[0]
    text = first.path.read_text(encoding="utf-8")
    assert len(first.up_statements) == text.count(drizzle.BREAKPOINT) + 1
    for st in first.up_statements:
        assert text.splitlines()[st.line - 1].lstrip().startswith(st.sql.splitlines()[0])


def test_breakpoints_split_like_drizzle_even_without_a_semicolon(tmp_path: Path) -> None:
    text = ("-- a comment\nCREATE TABLE a (id int)\n--> statement-breakpoint\nCREATE TABLE b (id int);"
            "--> statement-breakpoint\n\nINSERT INTO a VALUES (1); INSERT INTO a VALUES (2);\n")
    m = drizzle.read_folder(_folder(tmp_path, {"0000_x": text})).migrations[0]
    assert [(st.sql, st.line) for st in m.up_statements] == [
        ("CREATE TABLE a (id int)", 2), ("CREATE TABLE b (id int)", 4),
        ("INSERT INTO a VALUES (1)", 6), ("INSERT INTO a VALUES (2)", 6)]
    assert m.version == "0000" and m.name == "x"


def test_hash_is_drizzles_sha256_of_the_text(tmp_path: Path) -> None:
    text = "\ufeffCREATE TABLE caf\u00e9 (id int);\r\n"  # a BOM and CRLF stay part of what drizzle hashes
    m = drizzle.read_folder(_folder(tmp_path, {"0000_bom": text})).migrations[0]
    assert m.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_allow_directives_are_read(tmp_path: Path) -> None:
    text = "-- safeshift:allow drop-column the app stopped reading it\nALTER TABLE a DROP COLUMN b;"
    m = drizzle.read_folder(_folder(tmp_path, {"0000_drop": text})).migrations[0]
    assert [a.rule for a in m.up_statements[0].allows] == ["drop-column"]
    assert [a.rule for a in m.allows] == ["drop-column"]


@pytest.mark.parametrize(("files", "whens", "dialect", "message"), [
    ({"0000_a": "SELECT 1;"}, None, "sqlite",
     "is for dialect 'sqlite'; safeshift runs drizzle-kit folders for PostgreSQL (dialect \"postgresql\") and "
     "MySQL/MariaDB (dialect \"mysql\") only"),
    ({"0000_a": "-- safeshift:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);"}, None, "postgresql",
     "drizzle/0000_a.sql line 2: `-- safeshift:no-transaction` cannot apply in a drizzle folder"),
])
def test_folders_drizzle_would_mishandle_are_refused(tmp_path: Path, files: dict[str, str], whens: list[int] | None,
                                                     dialect: str, message: str) -> None:
    folder = _folder(tmp_path, files, whens=whens, dialect=dialect)
    with pytest.raises(MigrationsError, match=re.escape(message)):
        drizzle.read_folder(folder)


def test_a_journal_entry_without_its_file_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"0000_a": "SELECT 1;"})
    (folder / "0000_a.sql").unlink()
    with pytest.raises(MigrationsError, match=r"lists 0000_a, but drizzle/0000_a\.sql cannot be read"):
        drizzle.read_folder(folder)


def test_format_and_drizzle_keys_in_the_configuration(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"0000_a": "SELECT 1;"})
    (tmp_path / "safeshift.toml").write_text('migrations = "drizzle"\nformat = "drizzle"\n[drizzle]\n'
                                             'migrations_schema = "ops"\nmigrations_table = "done"\n')
    config = load_config(tmp_path)
    assert (config.format, config.drizzle_schema, config.drizzle_table) == ("drizzle", "ops", "done")
    assert folder_settings(folder) == FolderSettings("drizzle", "ops", "done", tmp_path)
    assert folder_format.read(folder).history_table == ("ops", "done")

    (tmp_path / "safeshift.toml").write_text('migrations = "drizzle"\nformat = "prisma"\n')
    with pytest.raises(ConfigError, match=r"'format' in .*safeshift.toml must be \"safeshift\" or \"drizzle\""):
        load_config(tmp_path)
    (tmp_path / "safeshift.toml").write_text('migrations = "drizzle"\n[drizzle]\nmigrations_tabel = "x"\n')
    with pytest.raises(ConfigError, match=r"Unknown key 'migrations_tabel'.*did you mean 'migrations_table'"):
        load_config(tmp_path)


def test_format_drizzle_without_a_journal_says_so(tmp_path: Path) -> None:
    (tmp_path / "drizzle").mkdir()
    (tmp_path / "safeshift.toml").write_text('migrations = "drizzle"\nformat = "drizzle"\n')
    with pytest.raises(MigrationsError, match=r"drizzle/meta/_journal\.json is missing, but the configuration says "
                                              r"format = \"drizzle\"; run `drizzle-kit generate`"):
        drizzle.resolve_format(tmp_path / "drizzle")

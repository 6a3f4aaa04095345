"""A drizzle-kit MySQL folder read by safeshift: migrations, drizzle's hashes, its history table, down files.

The folder comes from the real drizzle-kit (``_mysql_kit.STEPS``).  The down files are derived from
its snapshots and checked on MariaDB: run after the migrations, each brings the database back to the
snapshot before it.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from safeshift import verify
from safeshift.config import FolderSettings
from safeshift.dialects import get_dialect
from safeshift.errors import ConfigError, MigrationsError
from safeshift.formats import drizzle
from safeshift.formats import folder as formats
from safeshift.formats.drizzle.mysql_effects import read_mysql_effects
from safeshift.model import make_schema
from safeshift.sections import parse_sql
from tests.drizzle import _mysql_kit as kit
from tests.runner._project import connect, schema_of


@pytest.fixture(scope="module")
def mysql_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kit.source(tmp_path_factory)


@pytest.fixture
def project(mysql_source: Path, tmp_path: Path) -> Path:
    root = tmp_path / "app"
    shutil.copytree(mysql_source, root)
    return root


def test_the_folder_reads_as_drizzles_migrator_reads_it(project: Path) -> None:
    folder = drizzle.read_folder(project / "drizzle")
    journal = json.loads((project / "drizzle" / "meta" / "_journal.json").read_text())
    assert journal["dialect"] == "mysql"
    assert folder.versions == kit.VERSIONS
    assert [m.name for m in folder.migrations] == [s.name for s in kit.STEPS]
    assert [m.created_at for m in folder.migrations] == [e["when"] for e in journal["entries"]]
    for m in folder.migrations:
        assert m.sha256 == hashlib.sha256(m.path.read_bytes()).hexdigest()
    # drizzle's MySQL table lives in the URL's database: the model's one namespace
    assert folder.history_table == ("default", "__drizzle_migrations")
    first = folder.migrations[0]
    assert len(first.up_statements) == first.path.read_text().count(drizzle.BREAKPOINT) + 1
    assert all(st.sql.lstrip().startswith(("CREATE TABLE `", "ALTER TABLE `", "CREATE INDEX `"))
               for st in first.up_statements)


def test_a_migrations_schema_is_refused_for_mysql(project: Path) -> None:
    """drizzle's MySQL migrator has no migrationsSchema: a configured one would be silently ignored by it."""
    settings = FolderSettings(format="drizzle", drizzle_schema="ops", root=project)
    with pytest.raises(MigrationsError, match='has no migrationsSchema; remove `migrations_schema = "ops"`'):
        drizzle.read_folder(project / "drizzle", settings)


def test_a_mysql_folder_is_refused_on_a_postgresql_database(project: Path) -> None:
    folder = drizzle.read_folder(project / "drizzle")
    url = "postgresql://postgres@127.0.0.1:5432/app"
    with pytest.raises(ConfigError, match=re.escape("is a postgresql database, but the migrations are a drizzle-kit "
                                                    "folder for MySQL/MariaDB; give a MySQL/MariaDB URL.")):
        formats.DrizzleFolder().check_dialect(get_dialect("postgresql"), url, folder)


def test_down_files_bring_mariadb_back_to_each_snapshot_before(project: Path, mysql_url: str) -> None:
    settings = FolderSettings(root=project)
    folder = drizzle.attach_down(drizzle.read_folder(project / "drizzle", settings), settings, write=True)
    assert (project / ".safeshift" / drizzle.DOWN_DIR / "0000.sql").is_file()
    custom = folder.migrations[1]
    assert custom.irreversible and "(a custom or hand-written migration)" in custom.irreversible_reason
    # every other one has its down SQL (a unique index added to a table is a UNIQUE key to the snapshot too)
    assert [m.version for m in folder.migrations if m.irreversible] == [custom.version], \
        [m.irreversible_reason for m in folder.migrations]
    assert "ADD CONSTRAINT `users_name_idx` UNIQUE(`name`)" in folder.migrations[2].up_sql
    for m in folder.migrations:
        kit.run_sql(mysql_url, m.path)
    d = get_dialect("mysql")
    for i in reversed(range(len(folder.migrations))):
        m = folder.migrations[i]
        if m.irreversible:
            continue  # the seeded row: a person writes its down SQL
        conn = connect(mysql_url)
        try:
            for st in m.down_statements:
                conn.execute(st.sql)
        finally:
            conn.close()
        before = (drizzle.snapshot_schema(drizzle.snapshot_file(folder.path, folder.migrations[i - 1].path.stem))
                  if i else make_schema("mysql"))
        drift = verify.drift_between(schema_of(mysql_url), before, d.default_schema, dialect=d)
        assert drift.differences == (), (m.version, drift.differences)


def test_the_mysql_statements_effects() -> None:
    text = """CREATE TABLE `a` (`id` int);
CREATE UNIQUE INDEX `a_i` ON `a` (`id`);
ALTER TABLE `a` ADD `b` text;
ALTER TABLE `a` ADD CONSTRAINT `a_fk` FOREIGN KEY (`id`) REFERENCES `t`(`id`);
ALTER TABLE `t` DROP FOREIGN KEY `t_fk`, DROP COLUMN `old`, DROP INDEX `t_i`;
ALTER TABLE `t` RENAME COLUMN `x` TO `y`;
ALTER TABLE `t` CHANGE `p` `q` int;
RENAME TABLE `a` TO `a2`;
DROP TABLE `gone`;
DROP INDEX `ix` ON `t`;
INSERT INTO `t` (`y`) VALUES ('DROP TABLE x');
ALTER TABLE `t` MODIFY `y` bigint;
"""
    effects = read_mysql_effects(parse_sql(text, "x.sql"), "default")
    # a unique index is a UNIQUE key to the model too (it folds one into the other)
    assert effects.created == {("table", "default", "a2"), ("index", "default", "a_i"),
                               ("constraint", "default", "a2", "a_i"), ("column", "default", "a2", "b"),
                               ("constraint", "default", "a2", "a_fk")}
    assert effects.dropped == {("constraint", "default", "t", "t_fk"), ("column", "default", "t", "old"),
                               ("index", "default", "t_i"), ("table", "default", "gone"), ("index", "default", "ix")}
    assert [(r.kind, r.old[-1], r.new[-1]) for r in effects.renames] == [
        ("column", "x", "y"), ("column", "p", "q"), ("table", "a", "a2")]
    assert not effects.unreadable
    odd = read_mysql_effects(parse_sql("CREATE TRIGGER `t` BEFORE INSERT ON `a` FOR EACH ROW SET @x = 1;", "y.sql"),
                             "default")
    assert odd.unreadable == [(1, "CREATE TRIGGER `t` BEFORE")]


def test_review_reads_the_folder_as_mysql(project: Path) -> None:
    """The files are MySQL's SQL, reviewed by the MySQL rules (a drop of a column is a data-loss error), not
    parsed as PostgreSQL's; the fixes for a single transaction are not offered, as each statement commits alone."""
    from safeshift.review import review_drizzle_paths

    folder = drizzle.read_folder(project / "drizzle")
    last = folder.migrations[-1].path
    result = review_drizzle_paths(folder, [last], settings=FolderSettings(root=project), dialect=get_dialect("mysql"))
    rules = {f.rule for f in result.findings}
    assert "syntax-error" not in rules, [f.message for f in result.findings]
    assert "drop-column" in rules
    assert not any("one transaction" in f.fix for f in result.findings)


def test_a_project_of_another_dialect_is_told_to_set_mysql(project: Path) -> None:
    """Without `dialect = "mysql"` the project is PostgreSQL's: review and generate would read the folder's SQL
    and snapshots as PostgreSQL's, so they refuse, saying what to set."""
    from tests.runner._project import invoke

    (project / "safeshift.toml").write_text('migrations = "drizzle"\n', encoding="utf-8")
    for args in (("review",), ("generate", "--name", "x"), ("generate", "--check"),
                 ("review", "--accept", "drop-column", "drizzle/0003_drop_title_fk.sql:3", "--reason", "r")):
        told = invoke(project, *args, expect=None)
        assert told.returncode != 0
        assert ('drizzle/ is a drizzle-kit folder for MySQL/MariaDB, but the project\'s dialect is postgresql; set '
                'dialect = "mysql" in safeshift.toml.') in told.stderr, (args, told.stderr)

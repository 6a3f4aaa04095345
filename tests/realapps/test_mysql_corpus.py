"""Real applications' models on MariaDB (issue 19): optuna's and buildbot's SQLAlchemy models, which both apps
support on MySQL, built by SQLAlchemy's own ``create_all`` through PyMySQL (what each app's storage does on a
new MySQL database).  For each app:

1. R: ``create_all`` of the app's metadata on a fresh MariaDB database, in the corpus venv (the app's own
   pinned SQLAlchemy);
2. ``safeshift diff --url R`` with the same metadata as the schema source prints no statement: safeshift
   reads what create_all made as the models say it;
3. ``generate`` writes the first migration, ``migrate`` applies it to a new database S, ``verify --url S``
   finds no drift;
4. R and S compared by SQLAlchemy's inspector (no safeshift code): the same columns, keys, foreign keys,
   unique keys and indexes, but for the names of the indexes InnoDB makes for foreign keys the models leave
   unnamed (the server names create_all's, safeshift names its own).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MYSQL_ADMIN
from tests.realapps._apps import APPS
from tests.realapps.test_corpus import in_app_venv, project, run_safeshift, statements

#: the apps whose models both the app and SQLAlchemy create on MySQL (mlflow's need its migrations; mailman's
#: use PostgreSQL-only types in places)
MYSQL_APPS = ("optuna", "buildbot")


@contextlib.contextmanager
def _database() -> Iterator[str]:
    from tests import _mysql

    fresh = _mysql.fresh(MYSQL_ADMIN)
    try:
        yield next(fresh)
    finally:
        fresh.close()


_FK = re.compile(r"^(?P<table>\S+) foreign key \((?P<cols>[^)]*)\) -> ")
_INDEX = re.compile(r"^(?P<table>\S+) index (?P<name>\S+) \((?P<cols>[^)]*)\)$")


def _named_apart(facts: list[str]) -> list[str]:
    """Facts with the name of each index on exactly a foreign key's columns as ``*``: the index InnoDB makes
    for the key is named after it, and the models leave the key unnamed (the server names create_all's,
    ``<table>_ibfk_<n>`` with the index after the column; safeshift names its own ``<table>_<columns>_fk``)."""
    keys = {(m["table"], m["cols"]) for f in facts if (m := _FK.match(f))}
    out = []
    for fact in facts:
        m = _INDEX.match(fact)
        out.append(f"{m['table']} index * ({m['cols']})" if m and (m["table"], m["cols"]) in keys else fact)
    return sorted(out)


@pytest.mark.parametrize("name", MYSQL_APPS)
def test_app_on_mariadb(name: str, app_bin: Path, tmp_path: Path) -> None:
    app = APPS[name]
    with _database() as r_url, _database() as s_url:
        # 1. R by create_all, in the corpus venv
        driver_url = "mysql+pymysql://" + r_url.split("://", 1)[1]
        made = in_app_venv(app_bin, tmp_path, "create-all", driver_url, app.schema)
        assert made, f"create_all made no table for {name}"

        # 2. the models against R: nothing to change
        proj = project(tmp_path / "project", app, "mysql")
        done = run_safeshift(app_bin, proj, "diff", "--url", r_url, app=f"{name} on MariaDB")
        assert done.returncode == 0, done.stdout + done.stderr
        assert statements(done.stdout) == [], done.stdout

        # 3. generate, migrate S, verify S
        done = run_safeshift(app_bin, proj, "generate", "--name", "initial", app=f"{name} on MariaDB")
        assert done.returncode == 0, done.stdout + done.stderr
        done = run_safeshift(app_bin, proj, "migrate", "--url", s_url, "--yes", app=f"{name} on MariaDB")
        assert done.returncode == 0, done.stdout + done.stderr
        done = run_safeshift(app_bin, proj, "verify", "--url", s_url, app=f"{name} on MariaDB")
        assert done.returncode == 0 and "no drift" in done.stdout, done.stdout + done.stderr

        # 4. R and S by SQLAlchemy's inspector
        r, s = (in_app_venv(app_bin, proj, "inspect", "mysql+pymysql://" + u.split("://", 1)[1])
                for u in (r_url, s_url))
        r_facts, s_facts = _named_apart(r), _named_apart(s)
        assert r_facts == s_facts, "\n".join(
            [f"R only: {f}" for f in sorted(set(r_facts) - set(s_facts))]
            + [f"S only: {f}" for f in sorted(set(s_facts) - set(r_facts))])

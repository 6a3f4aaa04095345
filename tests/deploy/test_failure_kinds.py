"""What deploy is told, not what it guesses: the schema source's differences come with DiffCheckFailed
(never parsed back out of its message), and only a lost connection sends on_failure to a new session:
any other failure to read the history is raised as the bug it is."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from safeshift import api
from safeshift.config import Config
from safeshift.errors import DiffCheckFailed
from tests.deploy._kit import START, make
from tests.deploy.test_gates import MODELS
from tests.runner._project import Project, history_rows

#: a module name of its own: api.check imports it in this process, and no other test's models may answer
MODULE = "failure_kinds_models"
NICKNAME = MODELS.replace('Column("name", String(100))', 'Column("name", String(100)), Column("nickname", String(50))')
#: the health command's job here: leave a history table safeshift cannot read (a column renamed)
BREAK_HISTORY = '''
import os
from safeshift.dialects import dialect_for_url
from safeshift.engines import engine_for

url = os.environ["DATABASE_URL"]
d = dialect_for_url(url)
conn = engine_for(d).connect(url, create=False)
table = "safeshift.safeshift_migrations" if url.startswith("postgresql") else "safeshift_migrations"
conn.execute(f"ALTER TABLE {table} RENAME COLUMN duration_ms TO took_ms")
conn.commit()
print("history table broken")
raise SystemExit(1)
'''


@pytest.fixture
def models() -> Iterator[None]:
    sys.modules.pop(MODULE, None)
    yield
    sys.modules.pop(MODULE, None)


def _with_models(p: Project, text: str) -> Config:
    config = p.root / "safeshift.toml"
    config.write_text(f'schema = "{MODULE}:metadata"\n' + config.read_text(), encoding="utf-8")
    (p.root / f"{MODULE}.py").write_text(text, encoding="utf-8")
    return api.load_config(p.root, env="production")


def test_check_and_deploy_carry_the_differences(tmp_path: Path, sqlite_url: str, models: None) -> None:
    config = _with_models(make(tmp_path, sqlite_url), NICKNAME)
    with pytest.raises(DiffCheckFailed) as checked:
        api.check(config)
    assert checked.value.changes == ("add column: main.users.nickname",)
    assert checked.value.message == (
        "The schema source and the migrations disagree (1 change(s)); run `safeshift generate --name ...` and "
        "commit the result:\n  add column: main.users.nickname")

    with pytest.raises(DiffCheckFailed) as deployed:
        api.deploy(config)
    assert deployed.value.changes == ("add column: main.users.nickname",)
    assert deployed.value.message == (
        f"The schema source ({MODULE}:metadata) and the migrations disagree (1 change(s): add column: "
        "main.users.nickname); run `safeshift generate --name ...`, review and commit the migration, then deploy "
        "again.")
    assert history_rows(sqlite_url) == {START: "applied"}


def test_an_unreadable_history_is_not_a_lost_connection(tmp_path: Path, db_url: str) -> None:
    """The health command fails after breaking the history table: on_failure cannot read the history, and
    that is raised as the error it is, not reported as a lost connection (and no reconnect is tried)."""
    p = make(tmp_path, db_url)
    script = p.root / "break_history.py"
    script.write_text(BREAK_HISTORY, encoding="utf-8")
    said: list[str] = []
    with pytest.raises(KeyError, match="duration_ms"):
        api.deploy(api.load_config(p.root, env="production"), say=said.append,
                   health=f'"{sys.executable}" "{script}"')
    assert "reconnected for the on_failure policy" not in said
    assert said[-1].startswith("failed: the health check") and said[-1].endswith("; on_failure = rollback")
    assert not any("could not run without the connection" in line for line in said)

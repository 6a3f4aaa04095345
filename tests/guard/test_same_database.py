"""Issue 13: a URL that spells production's database differently reached it unasked.

The old guard compared URL text, so `localhost` for `127.0.0.1`, `?sslmode=prefer` or another
parameter order let `rollback --steps 1` drop a production column with no prompt.  Now every
command that changes a database asks the server which database it is and refuses one that
belongs to another protected environment, however its URL was given.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from safeshift import guard
from safeshift.dialects import dialect_for_url
from safeshift.text import redact_url
from tests.guard._kit import env, other_spelling, protected_project
from tests.runner._project import VERSIONS, connect, error_line, history_rows, table_names


def identity(url: str) -> tuple[object, ...] | None:
    return guard.identity(dialect_for_url(url), url)


def refusal(url: str, active: str = "development", why: str = "confirm = true") -> str:
    return (f"{redact_url(url)} is the database of environment 'production' ({why}), but the active environment "
            f"is '{active}'; pass --env production.")


# -- what the server says --------------------------------------------------------------------------

def test_pg_identity_is_the_servers_not_the_urls(pg_url: str, tmp_path: Path) -> None:
    same = other_spelling(pg_url, tmp_path)
    assert same != pg_url
    mine = identity(pg_url)
    assert mine is not None and mine[1] is not None  # the system identifier was readable
    assert identity(same) == mine
    assert identity(pg_url.rsplit("/", 1)[0] + "/postgres") != mine  # another database on the same server


def test_pg_identity_for_a_login_without_superuser(pg_url: str) -> None:
    """pg_control_system() and pg_postmaster_start_time() are executable by any login."""
    role = f"ss_guard_{uuid.uuid4().hex[:8]}"
    admin = connect(pg_url)
    try:
        admin.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        as_role = pg_url.replace("://postgres@", f"://{role}@", 1) if "://postgres@" in pg_url \
            else pg_url + ("&" if "?" in pg_url else "?") + f"user={role}"
        assert identity(as_role) == identity(pg_url)
        assert identity(as_role)[1] is not None  # type: ignore[index]
    finally:
        admin.execute(f"DROP ROLE IF EXISTS {role}")
        admin.close()


def test_sqlite_identity_is_the_files(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = connect(sqlite_url)
    conn.execute("CREATE TABLE t (id integer)")
    conn.close()
    real = Path(sqlite_url.removeprefix("sqlite:///"))
    monkeypatch.chdir(real.parent)
    mine = identity(sqlite_url)
    assert mine is not None
    assert identity(other_spelling(sqlite_url, tmp_path)) == mine  # through a symlink
    assert identity(f"sqlite:///{real.name}") == mine  # a relative path
    assert identity(f"sqlite:///{tmp_path / 'other.sqlite3'}") is None  # not there: not created, not the same
    assert not (tmp_path / "other.sqlite3").exists()


# -- the commands ------------------------------------------------------------------------------------

def test_rollback_through_another_spelling_is_refused(tmp_path: Path, db_url: str) -> None:
    """The reported incident: `rollback --steps 1 --url <production as localhost>` ran with no prompt."""
    p = protected_project(tmp_path, db_url)
    same = other_spelling(db_url, tmp_path)
    proc = p.run("rollback", "--steps", "1", "--url", same, url=False, env=env(p), expect=2)
    assert error_line(proc) == refusal(same)
    assert history_rows(db_url) == dict.fromkeys(VERSIONS[:3], "applied")
    conn = connect(db_url)
    try:
        assert conn.execute("SELECT count(name) FROM users").fetchone() == (0,)  # the column is still there
    finally:
        conn.close()


@pytest.mark.parametrize("how", ["--url", "DATABASE_URL"])
def test_migrate_through_another_spelling_is_refused(tmp_path: Path, db_url: str, how: str) -> None:
    p = protected_project(tmp_path, db_url)
    same = other_spelling(db_url, tmp_path)
    args, extra = (("--url", same), {}) if how == "--url" else ((), {"DATABASE_URL": same})
    proc = p.run("migrate", *args, url=False, env=env(p, **extra), expect=2)
    assert error_line(proc) == refusal(same)
    assert history_rows(db_url) == dict.fromkeys(VERSIONS[:3], "applied")
    assert "tags" not in table_names(db_url)


def test_a_protected_environments_own_command_is_not_refused(tmp_path: Path, db_url: str) -> None:
    """With --env production the same spelling is production's own database: its confirmation applies."""
    p = protected_project(tmp_path, db_url)
    same = other_spelling(db_url, tmp_path)
    proc = p.run("migrate", "--env", "production", "--url", same, url=False, env=env(p), expect=2)
    assert "asks for confirmation before it changes" in error_line(proc)  # asked, not refused as another's
    p.run("migrate", "--env", "production", "--url", same, "--yes", url=False, env=env(p))
    assert history_rows(db_url) == dict.fromkeys(VERSIONS, "applied")


def test_every_changing_command_checks_its_target(tmp_path: Path, db_url: str) -> None:
    """staging's url is production's database under another spelling: deploy, rehearse --env and
    restore --env as staging are refused before anything changes; reading it (status) is not."""
    p = protected_project(tmp_path, db_url, staging="${STAGING_URL}")
    same = other_spelling(db_url, tmp_path)
    variables = env(p, STAGING_URL=same)
    p.run("backup", "--env", "production", url=False, env=variables)
    dump = next((p.root / ".safeshift" / "backups" / "production").glob("*.dump"))
    for args in (("deploy", "--yes"), ("rehearse", "--yes"), ("restore", str(dump), "--yes"),
                 ("migrate", "--yes"), ("rollback", "--yes")):
        proc = p.run(*args, "--env", "staging", url=False, env=variables, expect=2)
        assert error_line(proc) == refusal(same, active="staging"), args
    assert history_rows(db_url) == dict.fromkeys(VERSIONS[:3], "applied")
    assert "3 applied" in p.run("status", "--env", "staging", url=False, env=variables).stdout


def test_an_unreachable_or_unset_protected_environment_is_skipped(tmp_path: Path, db_url: str) -> None:
    """Production's variable unset (a developer's machine): nothing to compare, the command runs."""
    p = protected_project(tmp_path, db_url)
    p.run("migrate", url=True, env={})
    assert history_rows(db_url) == dict.fromkeys(VERSIONS, "applied")


def test_gated_environment_is_protected_too(tmp_path: Path, sqlite_url: str) -> None:
    """An environment without confirm but with a gate (require_rehearsal) is not reached as another either."""
    p = protected_project(tmp_path, sqlite_url, "confirm = false\nrequire_rehearsal = true\n")
    same = other_spelling(sqlite_url, tmp_path)
    proc = p.run("migrate", "--url", same, url=False, env=env(p), expect=2)
    assert error_line(proc) == refusal(same, why="require_rehearsal = true")


def test_a_keyword_conninfo_is_compared_too(tmp_path: Path, pg_url: str) -> None:
    """production's url in libpq's keyword form ("host=... dbname=...") names no scheme; it is still
    production's database when --url spells it as a URL."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    p = protected_project(tmp_path, pg_url)
    keywords = make_conninfo(**{k: str(v) for k, v in conninfo_to_dict(pg_url).items()})
    proc = p.run("rollback", "--url", pg_url, url=False, env={"PROD_URL": keywords}, expect=2)
    assert error_line(proc) == refusal(pg_url)
    assert history_rows(pg_url) == dict.fromkeys(VERSIONS[:3], "applied")

"""Issue 13: gates belong to the environment, not the command.

An environment that sets `backup = true` or `require_rehearsal = true` was changed by a plain
`migrate` or `rollback` that skipped both.  Now both commands run the gates: the rehearsal is
looked up as deploy looks it up (refused without it), the verified backup is taken after the
typed confirmation and before anything changes.  `--skip-gates REASON` lets them through; the
reason is printed and kept in the history row of each migration applied.
"""

from __future__ import annotations

import json
from pathlib import Path

from safeshift import history
from safeshift.dialects import dialect_for_url
from tests.guard._kit import env, protected_project
from tests.runner._project import VERSIONS, connect, error_line, history_rows, json_lines, table_names

NO_REHEARSAL = ("Environment 'production' requires a passed rehearsal of these exact migrations (require_rehearsal "
                "= true) and none was found; run `safeshift rehearse --scratch --from production` first, or pass "
                '--skip-gates "REASON".')
NO_REHEARSAL_ROLLBACK = (
    "Environment 'production' requires a passed rehearsal (require_rehearsal = true) of the migrations to roll back, "
    "whose down sections every rehearsal runs, and none was found in .safeshift/rehearsals/; pass --skip-gates "
    '"REASON" to roll back without one.')


def backups(root: Path) -> list[Path]:
    folder = root / ".safeshift" / "backups" / "production"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def allowed(url: str) -> dict[str, str | None]:
    conn = connect(url)
    try:
        return {v: r.allowed_hazards for v, r in history.read(dialect_for_url(url), conn).items()}
    finally:
        conn.close()


def test_migrate_takes_the_backup_the_environment_asks_for(tmp_path: Path, db_url: str) -> None:
    p = protected_project(tmp_path, db_url, "confirm = true\nbackup = true\n")
    proc = p.run("migrate", "--env", "production", "--yes", url=False, env=env(p))
    made = backups(p.root)
    assert len(made) == 1
    manifest = json.loads(made[0].read_text())
    assert manifest["migrations_version"] == VERSIONS[2]  # taken before the fourth was applied
    assert "backup = true for production: dumping and verifying before the migrate" in proc.stdout
    assert history_rows(db_url) == dict.fromkeys(VERSIONS, "applied")

    p.run("migrate", "--env", "production", "--yes", url=False, env=env(p))  # nothing pending: no backup
    assert len(backups(p.root)) == 1


def test_rollback_takes_the_backup_first(tmp_path: Path, sqlite_url: str) -> None:
    p = protected_project(tmp_path, sqlite_url, "backup = true\n")
    proc = p.run("rollback", "--env", "production", "--yes", "--log-json", url=False, env=env(p))
    made = backups(p.root)
    assert len(made) == 1 and json.loads(made[0].read_text())["migrations_version"] == VERSIONS[2]
    notes = [e["message"] for e in json_lines(proc.stdout) if e["event"] == "note"]
    assert notes[0] == "backup = true for production: dumping and verifying before the rollback"
    assert history_rows(sqlite_url) == dict.fromkeys(VERSIONS[:2], "applied")


def test_migrate_without_the_required_rehearsal_is_refused_until_skipped(tmp_path: Path, db_url: str) -> None:
    p = protected_project(tmp_path, db_url, "confirm = true\nrequire_rehearsal = true\n")
    proc = p.run("migrate", "--env", "production", "--yes", url=False, env=env(p), expect=2)
    assert error_line(proc) == NO_REHEARSAL
    assert "tags" not in table_names(db_url)

    proc = p.run("migrate", "--env", "production", "--yes", "--skip-gates", "hotfix for incident 42", url=False,
                 env=env(p))
    note = "gates skipped: require_rehearsal (reason: hotfix for incident 42)"
    assert note in proc.stdout
    assert history_rows(db_url) == dict.fromkeys(VERSIONS, "applied")
    assert allowed(db_url)[VERSIONS[3]] == note
    assert allowed(db_url)[VERSIONS[2]] is None


def test_a_passed_rehearsal_satisfies_migrate(tmp_path: Path, sqlite_url: str) -> None:
    p = protected_project(tmp_path, sqlite_url, "require_rehearsal = true\n")
    p.run("rehearse", "--scratch", "--from", "production", url=False, env=env(p))
    p.run("migrate", "--env", "production", "--yes", url=False, env=env(p))
    assert history_rows(sqlite_url) == dict.fromkeys(VERSIONS, "applied")
    assert allowed(sqlite_url)[VERSIONS[3]] is None


def test_rollback_without_the_required_rehearsal_is_refused_until_skipped(tmp_path: Path, sqlite_url: str) -> None:
    p = protected_project(tmp_path, sqlite_url, "require_rehearsal = true\nbackup = true\n")
    proc = p.run("rollback", "--env", "production", "--yes", url=False, env=env(p), expect=2)
    assert error_line(proc) == NO_REHEARSAL_ROLLBACK
    assert backups(p.root) == []
    proc = p.run("rollback", "--env", "production", "--yes", "--skip-gates", "bad release", url=False, env=env(p))
    assert "gates skipped: backup, require_rehearsal (reason: bad release)" in proc.stdout
    assert backups(p.root) == []
    assert history_rows(sqlite_url) == dict.fromkeys(VERSIONS[:2], "applied")


def test_skip_gates_needs_a_reason(tmp_path: Path, sqlite_url: str) -> None:
    p = protected_project(tmp_path, sqlite_url, "backup = true\n")
    proc = p.run("migrate", "--env", "production", "--yes", "--skip-gates", " ", url=False, env=env(p), expect=2)
    assert error_line(proc) == ('--skip-gates needs a reason, e.g. --skip-gates "hotfix for incident 42"; it is '
                                "printed and kept in the history.")


def test_the_default_backup_is_deploys_only(tmp_path: Path, sqlite_url: str) -> None:
    """backup not set in the file: deploy still takes one, migrate does not (no gate)."""
    p = protected_project(tmp_path, sqlite_url)
    p.run("migrate", "--env", "production", "--yes", url=False, env=env(p))
    assert backups(p.root) == []


def test_rehearse_on_the_environment_runs_its_gates(tmp_path: Path, sqlite_url: str) -> None:
    """`rehearse --env` applies for real: the backup gate holds for it as for migrate."""
    p = protected_project(tmp_path, sqlite_url, "backup = true\n")
    proc = p.run("rehearse", "--env", "production", "--yes", url=False, env=env(p))
    assert "backup = true for production: dumping and verifying before the rehearse" in proc.stdout
    assert len(backups(p.root)) == 1
    assert history_rows(sqlite_url) == dict.fromkeys(VERSIONS, "applied")
    proc = p.run("rehearse", "--scratch", "--skip-gates", "x", url=False, env=env(p), expect=2)
    assert "--skip-gates applies without --scratch" in proc.stderr

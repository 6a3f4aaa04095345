"""Long work says what runs and for how long.

Off a terminal (a CI log, a pipe) each piece of work gets a line when it starts and one when it
ends, with its duration; migrate and rollback add those lines only for the steps of a migration
with several steps (a single-step migration has its start and ``applied ... in N ms`` lines
already), and ``--log-json`` is unchanged.  On a terminal a live line shows the running statement
and its elapsed time (checked on a pseudo-terminal).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from safeshift.text import redact_url
from tests.runner._project import json_lines, make_project, run, tty_session

#: a duration as progress lines print it
TOOK = r"(\d+ ms|\d\.\d s|\d+ s|\d+ min \d\d s)"
V1, V2 = "20260101000001", "20260101000002"
TWO_STEPS = ("CREATE TABLE a (id integer PRIMARY KEY);\n-- safeshift:new-transaction\n"
             "CREATE TABLE b (id integer PRIMARY KEY);")


def _matches(text: str, patterns: Sequence[str]) -> None:
    """Every line of ``text`` matches the pattern in the same place, and there are as many of each."""
    lines = text.splitlines()
    assert len(lines) == len(patterns), text
    for line, pattern in zip(lines, patterns, strict=True):
        assert re.fullmatch(pattern, line), f"{line!r} does not match {pattern!r}\n{text}"


def test_migrate_and_rollback_off_a_terminal(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add(V1, "two_steps", TWO_STEPS, "DROP TABLE b;\nDROP TABLE a;")
    p.add(V2, "one_step", "CREATE TABLE c (id integer PRIMARY KEY);", "DROP TABLE c;")
    where = re.escape(f"development ({redact_url(db_url)})")  # the environment first, then the URL
    done = run(p.root, "migrate", "--url", db_url).stdout
    _matches(done, [
        rf"applying {V1}_two_steps \.\.\.",
        r"  step 1 of 2 started: CREATE TABLE a \(id integer PRIMARY KEY\)",
        rf"  step 1 of 2 committed in {TOOK}",
        r"  step 2 of 2 started: CREATE TABLE b \(id integer PRIMARY KEY\)",
        rf"  step 2 of 2 committed in {TOOK}",
        rf"  applied {V1}_two_steps in \d+ ms",
        rf"applying {V2}_one_step \.\.\.",
        rf"  applied {V2}_one_step in \d+ ms",
        rf"{where}: 2 applied in \d+ ms, 0 were already applied",
    ])
    undone = run(p.root, "rollback", "--steps", "2", "--url", db_url).stdout
    _matches(undone, [
        rf"rolling back {V2}_one_step \.\.\.",
        rf"  rolled back {V2}_one_step in \d+ ms",
        rf"rolling back {V1}_two_steps \.\.\.",
        rf"  rolled back {V1}_two_steps in \d+ ms",
        rf"{where}: 2 rolled back",
    ])
    logged = json_lines(run(p.root, "migrate", "--log-json", "--url", db_url).stdout)
    assert [e["event"] for e in logged] == ["plan", "start", "applied", "start", "applied", "done"]  # no step_start


def test_backup_and_restore_off_a_terminal(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add(V1, "two_steps", TWO_STEPS, "DROP TABLE b;\nDROP TABLE a;")
    run(p.root, "migrate", "--url", db_url)
    pg = db_url.startswith("postgresql")
    where = re.escape(redact_url(db_url))
    dump, check = ("pg_dump", r"pg_restore --list") if pg else ("the SQLite backup API", r"PRAGMA integrity_check")
    made = run(p.root, "backup", "--verify-restore", "--url", db_url).stdout
    _matches(made, [
        rf"dumping {where} with {dump} \.\.\.",
        rf"dumping {where} with {dump} took {TOOK}",
        rf"checking the dump with {check} \.\.\.",
        rf"checking the dump with {check} took {TOOK}",
        r"restore check: restoring the dump into a scratch database and comparing it \.\.\.",
        rf"restore check: restoring the dump into a scratch database and comparing it took {TOOK}",
        r"backed up .*",
        r"verified: restored into a scratch database, .*",
    ])
    path = re.search(r"to (\S+\.dump) \(", made)
    assert path is not None
    if pg:
        import psycopg

        from safeshift.engines.postgres import embedded

        target = embedded.database_url(db_url, f"{embedded_name(db_url)}_copy")
        with psycopg.connect(embedded.database_url(db_url, "postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{embedded_name(db_url)}_copy"')
    else:
        target = f"sqlite:///{tmp_path / 'copy.db'}"
    try:
        name = Path(path.group(1)).name
        into = re.escape(redact_url(target))
        tool = "pg_restore" if pg else "the SQLite backup API"
        restored = run(p.root, "restore", path.group(1), "--into", target).stdout
        _matches(restored, [
            rf"restoring {name} into {into} with {tool} \.\.\.",
            rf"restoring {name} into {into} with {tool} took {TOOK}",
            r"restored .*",
        ])
    finally:
        if pg:
            with psycopg.connect(embedded.database_url(db_url, "postgres"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{embedded_name(db_url)}_copy" WITH (FORCE)')


def embedded_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def test_rehearsal_off_a_terminal(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add(V1, "two_steps", TWO_STEPS, "DROP TABLE b;\nDROP TABLE a;")
    out = run(p.root, "rehearse", "--scratch", "--url", db_url).stdout.splitlines()
    work = ["building a scratch copy of development (schema only)", "applying 1 migration(s) to the copy",
            "rolling the copy back to the empty schema", "applying again", "dropping the scratch copy"]
    _matches("\n".join(out[:10]), [line for w in work for line in (rf"{re.escape(w)} \.\.\.",
                                                                      rf"{re.escape(w)} took {TOOK}")])
    assert out[10].startswith("rehearsal on a scratch copy of development (schema only)")


def _screen(project: Path, args: Sequence[str], timeout: float = 60) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal of 120 columns; (exit code, everything it drew)."""
    return tty_session(project, args, env={"COLUMNS": "120", "LINES": "40", "TERM": "xterm"}, timeout=timeout)


def test_a_long_statement_shows_a_live_line_on_a_terminal(tmp_path: Path, pg_url: str) -> None:
    p = make_project(tmp_path, pg_url)
    p.add(V1, "slow", "CREATE TABLE a (id integer PRIMARY KEY);\nSELECT pg_sleep(2.5);", "DROP TABLE a;")
    code, drawn = _screen(p.root, ["migrate", "--url", pg_url])
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn)  # colours and cursor moves off
    assert code == 0, screen
    # redrawn while the step runs: its statement with the time so far, counting up
    times = re.findall(r"CREATE TABLE a \(id integer PRIMARY KEY\) \((\d\.\d) s\)", screen)
    assert len(set(times)) >= 3 and max(float(t) for t in times) >= 2.0, screen
    assert f"applied {V1}_slow in " in screen


def test_a_rehearsal_shows_the_running_statement_on_a_terminal(tmp_path: Path, pg_url: str) -> None:
    p = make_project(tmp_path, pg_url)
    p.add(V1, "slow", "CREATE TABLE a (id integer PRIMARY KEY);\nSELECT pg_sleep(2);", "DROP TABLE a;")
    code, drawn = _screen(p.root, ["rehearse", "--scratch", "--url", pg_url])
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn)
    assert code == 0, screen
    # the work, and below it the step running on the copy, each with its time so far
    outer = re.findall(r"applying 1 migration\(s\) to the copy \((\d\.\d) s\)", screen)
    inner = re.findall(rf"    {V1}_slow step 1 of 1: CREATE TABLE a \(id integer PRIMARY KEY\) \((\d\.\d) s\)", screen)
    assert len(set(outer)) >= 3 and len(set(inner)) >= 3 and max(float(t) for t in inner) >= 1.5, screen
    assert re.search(rf"applying 1 migration\(s\) to the copy took {TOOK}", screen)
    assert "rehearsal passed on a scratch copy of development (schema only)" in screen

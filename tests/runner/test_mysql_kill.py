"""SIGKILL the runner at random points of a multi-statement MariaDB run, and eight runners at once.

MySQL commits each DDL statement on its own, so a killed runner can leave a statement done whose history
write never happened; the schema fingerprint noted before it tells the next run.  After every kill the
history must be a prefix of the folder plus at most one ``running`` (or, during a rollback, ``rolling_back``)
row, the live schema must be one a correct runner may leave there (the oracle: every step run by hand and
introspected after each), and the next ``migrate`` (or ``rollback``) must finish, each data migration
applied exactly once.  The trials alternate directions: a killed ``migrate`` is finished and the next
trial kills ``rollback --to 0``, so each trial costs about one pass over the folder.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import safeshift
from safeshift.dialects import dialect_for_url
from safeshift.dialects.base import Statement
from safeshift.engines import engine_for
from safeshift.formats import safeshift as migrations
from safeshift.runner import run_statements
from safeshift.schedule import alone_where_committed, steps
from tests.runner import _faultkit as fk

#: kills in all, in test items of TRIALS / CHUNKS
TRIALS, CHUNKS = 30, 3
RUNNERS = 8

_USERS = ", ".join(f"({i}, {1 + i % 3}, 'u{i}@x.io')" for i in range(1, 31))

#: five hand-written migrations (no directives: the runner splits them at each DDL statement), 13 steps up
SPECS: list[fk.Spec] = [
    ("create_orgs", "CREATE TABLE orgs (id int PRIMARY KEY, name varchar(100) NOT NULL);\n"
                    "CREATE UNIQUE INDEX orgs_name ON orgs (name);", "DROP TABLE orgs;"),
    ("create_users", "CREATE TABLE users (id int PRIMARY KEY, org_id int NOT NULL, email varchar(200) NOT NULL);\n"
                     "ALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id);\n"
                     "CREATE INDEX users_email ON users (email);", "DROP TABLE users;"),
    ("seed", f"INSERT INTO orgs VALUES (1, 'a'), (2, 'b'), (3, 'c');\nINSERT INTO users VALUES {_USERS};",
     "DELETE FROM users;\nDELETE FROM orgs;"),
    # the UPDATE of orgs is not idempotent: run twice, a name ends in '++'
    ("users_name", "ALTER TABLE users ADD COLUMN name varchar(200);\n"
                   "UPDATE users SET name = email;\nUPDATE orgs SET name = CONCAT(name, '+');\n"
                   "ALTER TABLE users MODIFY name varchar(200) NOT NULL;",
     "ALTER TABLE users DROP COLUMN name;\nUPDATE orgs SET name = TRIM(TRAILING '+' FROM name);"),
    ("create_tags", "CREATE TABLE tags (id int PRIMARY KEY, label varchar(50) NOT NULL);\n"
                    "ALTER TABLE tags ADD COLUMN org_id int;\nCREATE INDEX tags_org ON tags (org_id);\n"
                    "RENAME TABLE tags TO labels;", "DROP TABLE labels;"),
]
FINAL_DATA = ("a+", "b+", "c+", 30, 30)


@pytest.fixture(scope="module")
def zygote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fk.Zygote]:
    yield from fk.zygote_fixture(tmp_path_factory)


# -- the database, without the PostgreSQL-only helpers of _faultkit -------------------------------

def _reset(url: str) -> None:
    conn = fk.connect(url)
    try:
        conn.execute("SET SESSION foreign_key_checks = 0")
        for (name,) in conn.execute("SELECT TABLE_NAME FROM information_schema.TABLES "
                                    "WHERE TABLE_SCHEMA = DATABASE()").fetchall():
            conn.execute(f"DROP TABLE `{name}`")
    finally:
        conn.close()


def _wait_quiet(url: str, timeout: float = 30) -> None:
    """Until no other session uses the database: a killed runner's server thread finishes its statement
    first (it notices the closed socket only then), and holds the runner lock until it does."""
    conn = fk.connect(url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            row = conn.execute("SELECT count(*) FROM information_schema.PROCESSLIST "
                               "WHERE DB = DATABASE() AND ID <> CONNECTION_ID()").fetchone()
            if row[0] == 0:
                return
            assert time.monotonic() < deadline, f"{row[0]} session(s) still use the database {timeout} s after the kill"
            time.sleep(0.01)
    finally:
        conn.close()


def _data(url: str) -> tuple[Any, ...]:
    conn = fk.connect(url)
    try:
        names = tuple(r[0] for r in conn.execute("SELECT name FROM orgs ORDER BY id").fetchall())
        users, named = conn.execute("SELECT count(*), count(name) FROM users").fetchone()
        return (*names, int(users), int(named))
    finally:
        conn.close()


def _oracle(url: str, folder: Path) -> fk.Oracle:
    """Every step of the folder run by hand (split as the runner splits it), introspected after each."""
    d = dialect_for_url(url)
    mf = alone_where_committed(migrations.read_folder(folder), d.commits_implicitly)
    conn = fk.connect(url)
    states = {(0, 0): engine_for(d).introspect(conn)}
    all_steps = []
    try:
        for k, m in enumerate(mf.migrations):
            todo = steps(m.up_statements)
            all_steps.append(todo)
            for j, step in enumerate(todo):
                run_statements(d, conn, [Statement(st.sql, st.transactional) for st in step.statements])
                states[(k + 1, 0) if j + 1 == len(todo) else (k, j + 1)] = engine_for(d).introspect(conn)
    finally:
        conn.close()
    _reset(url)
    return fk.Oracle(tuple(m.version for m in mf.migrations), tuple(all_steps), states)


def _check_rolling_back(url: str, oracle: fk.Oracle) -> int:
    """After a kill during ``rollback --to 0``: a prefix applied, at most one row part-way back, and the schema
    of one side of it (every down section here is one DDL step, or DDL then DML); returns the applied count."""
    records, live = fk.snapshot(url)
    applied = [v for v, r in records.items() if r.status == "applied"]
    k = len(applied)
    assert applied == list(oracle.versions[:k]), records
    others = {v: r for v, r in records.items() if r.status != "applied"}
    allowed = [(k, 0)]
    if others:
        (v, r), = others.items()
        assert v == oracle.versions[k] and r.status == "rolling_back", records
        allowed.append((k + 1, 0))
    assert any(live == oracle.states[s] for s in allowed), \
        fk.describe_difference(live, oracle.states[allowed[0]])
    return k


def _assert_complete(url: str, oracle: fk.Oracle) -> None:
    records, live = fk.snapshot(url)
    assert [v for v, r in records.items() if r.status == "applied"] == list(oracle.versions), records
    assert live == oracle.final, fk.describe_difference(live, oracle.final)
    assert _data(url) == FINAL_DATA  # the data migrations ran exactly once


def _assert_empty(url: str, oracle: fk.Oracle) -> None:
    records, live = fk.snapshot(url)
    assert records == {} and live == oracle.states[(0, 0)], records


def _run(zygote: fk.Zygote, root: Path, url: str, n: int, *args: str) -> fk.Forked:
    return zygote.run([*(args or fk.MIGRATE), "--url", url, "--log-json"], root, root / f"out{n}.txt",
                      root / f"err{n}.txt")


_ROLLBACK = ("rollback", "--to", "0", "--yes")


#: per test process: the oracle and the events of an undisturbed run each way (schemas name no database)
_PREPARED: list[tuple[fk.Oracle, dict[str, int]]] = []


def _prepare(zygote: fk.Zygote, url: str, root: Path, folder: Path) -> tuple[fk.Oracle, dict[str, int]]:
    """The oracle, and one undisturbed run each way that proves the runner agrees with it and counts events."""
    if not _PREPARED:
        oracle = _oracle(url, folder)
        up = _run(zygote, root, url, 0)
        assert up.wait() == 0, up.stderr
        _assert_complete(url, oracle)
        down = _run(zygote, root, url, 0, *_ROLLBACK)
        assert down.wait() == 0, down.stderr
        _assert_empty(url, oracle)
        _PREPARED.append((oracle, {"up": len(up.stdout.splitlines()) - 1, "down": len(down.stdout.splitlines()) - 1}))
    return _PREPARED[0]


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_sigkill_at_random_points_never_leaves_what_the_next_run_cannot_finish(
        zygote: fk.Zygote, mysql_url: str, tmp_path: Path, chunk: int) -> None:
    """``TRIALS`` kills in ``CHUNKS`` test items (so that xdist can share them out), each a fresh database."""
    url = mysql_url
    root = tmp_path / "project"
    folder = fk.write_project(root, SPECS, dialect="mysql")
    oracle, events = _prepare(zygote, url, root, folder)

    rng = random.Random(20261207 + chunk)
    direction = "up"
    interrupted = resumed_unrecorded = 0
    states: Counter[tuple[str, object]] = Counter()
    trials = len(range(chunk, TRIALS, CHUNKS))
    start = time.monotonic()
    attempts = 0
    reach = {"up": 0.15, "down": 0.05}
    # a kill that lands after the run finished (the machine was slow to reach the chosen point) is not counted:
    # the trials go on until ``trials`` kills have landed mid-run, within three times as many tries
    while interrupted < trials and attempts < 3 * trials:
        attempts += 1
        n = attempts
        # an event of the run (a migration's start or end), then up to a few steps' time (a down section
        # here is one or two steps, so the pause before a rollback's kill is shorter)
        # (never the run's last event: after it there is nothing left to interrupt)
        # (on a quick machine a run can end within the pause: each kill that came too late halves it)
        after, delay = rng.randrange(events[direction] - 1), rng.uniform(0, reach[direction])
        runner = _run(zygote, root, url, n, *(fk.MIGRATE if direction == "up" else _ROLLBACK))
        runner.wait_events(after)
        time.sleep(delay)
        landed = runner.kill()  # still running when killed
        interrupted += landed
        if not landed:
            reach[direction] /= 2
        _wait_quiet(url)
        notes: list[Any] = []
        if direction == "up":
            try:
                observed = fk.check_consistent(url, oracle)
            except AssertionError as exc:
                raise AssertionError(f"trial {n}: {exc}\nlast events:\n{runner.stdout[-600:]}") from exc
            states[("up", observed.state)] += 1
            result = safeshift.migrate(url, folder, allow_hazards=True, on_event=notes.append)
            assert result.versions == oracle.versions[observed.applied:], (observed, result.versions)
            _assert_complete(url, oracle)
            direction = "down"
        else:
            k = _check_rolling_back(url, oracle)
            states[("down", k)] += 1
            safeshift.rollback(url, folder, to="0", on_event=notes.append)
            _assert_empty(url, oracle)
            direction = "up"
        resumed_unrecorded += any("counted, not run again" in (e.message or "") for e in notes)
    took = time.monotonic() - start
    print(f"\nmysql chunk {chunk}: {attempts} kills in {took:.1f} s (events per run {events}), {interrupted} before the "
          f"end, {resumed_unrecorded} resumed a step that had committed unrecorded; states "
          f"{sorted(states.items(), key=str)}")
    assert interrupted >= trials, f"only {interrupted} of {attempts} kills landed before the run finished"
    assert len(states) >= trials // 2, f"kills landed in too few places: {states}"


def _seeded(runners: list[fk.Forked]) -> Counter[str]:
    return Counter(e["version"] for r in runners for e in _events(r) if e["event"] == "applied")


def _events(runner: fk.Forked) -> list[dict[str, Any]]:
    return [json.loads(line) for line in runner.stdout.splitlines() if line.startswith("{")]


def test_eight_runners_at_once_apply_each_migration_exactly_once(zygote: fk.Zygote, mysql_url: str,
                                                                 tmp_path: Path) -> None:
    root = tmp_path / "project"
    fk.write_project(root, SPECS, dialect="mysql")
    gate = tmp_path / "gate"
    runners = [zygote.run([*fk.MIGRATE, "--url", mysql_url, "--log-json", "--lock-wait", "60"], root,
                          tmp_path / f"out{i}.txt", tmp_path / f"err{i}.txt", gate=gate) for i in range(RUNNERS)]
    gate.touch()
    for r in runners:
        assert r.wait() == 0, r.stderr
        assert r.stderr == "", r.stderr
    applied = _seeded(runners)
    assert sorted(applied) == [fk.version(i) for i in range(1, len(SPECS) + 1)], applied
    assert set(applied.values()) == {1}, f"applied more than once: {applied}"
    assert {r.status for r in fk.read_history(mysql_url).values()} == {"applied"}
    assert _data(mysql_url) == FINAL_DATA
    done = [e for r in runners for e in _events(r) if e["event"] == "done"]
    assert len(done) == RUNNERS and sum(len(e["applied"]) for e in done) == len(SPECS)

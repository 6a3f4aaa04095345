"""SIGKILL `safeshift migrate` at random points of a drizzle-kit MySQL folder's run on MariaDB.

A drizzle folder keeps what is applied in drizzle's table and the step marks in safeshift's facts table
beside it (``safeshift_drizzle_migrations``).  After every kill the next ``migrate`` must finish the run
with each migration applied once (the hand-written seed row is the witness), drizzle's rows exactly
what its migrator writes, the schema that of the last snapshot, and drizzle's own migrator finding
nothing left to do.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from safeshift import verify
from safeshift.dialects import get_dialect
from safeshift.formats import drizzle
from tests.drizzle import _mysql_kit as kit
from tests.drizzle._kit import DrizzleProject, scalar
from tests.runner import _faultkit as fk
from tests.runner._project import connect, schema_of

TRIALS = 8


@pytest.fixture(scope="module")
def zygote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fk.Zygote]:
    yield from fk.zygote_fixture(tmp_path_factory)


@pytest.fixture(scope="module")
def mysql_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kit.source(tmp_path_factory)


def _drop_everything(url: str) -> None:
    conn = connect(url)
    try:
        conn.execute("SET SESSION foreign_key_checks = 0")
        tables = conn.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")
        for (name,) in tables.fetchall():
            conn.execute(f"DROP TABLE `{name}`")
    finally:
        conn.close()


def _others_gone(url: str, timeout: float = 30) -> None:
    """A killed runner's server thread ends its statement before it sees the closed socket, holding the runner
    lock meanwhile: wait until no other session is in the database."""
    conn = connect(url)
    try:
        until = time.monotonic() + timeout
        while conn.execute("SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
                           "AND ID <> CONNECTION_ID()").fetchone()[0]:
            assert time.monotonic() < until, "the killed runner's session is still there"
            time.sleep(0.02)
    finally:
        conn.close()


def _finished(p: DrizzleProject, url: str, *, ask_drizzle: bool = False) -> None:
    entries = json.loads((p.folder / "meta" / "_journal.json").read_text())["entries"]
    rows = kit.drizzle_rows(url)
    assert [r[2] for r in rows] == [e["when"] for e in entries], "each migration recorded once, in order"
    assert scalar(url, "SELECT count(*) FROM users") == 1, "the seed ran more than once (or never)"
    found = drizzle.read_folder(p.folder)
    expected = drizzle.expected_schema(found, found.versions)
    assert expected is not None
    drift = verify.drift_between(schema_of(url), expected, "default", found.history_table,
                                 dialect=get_dialect("mysql"))
    assert drift.differences == ()
    if ask_drizzle:  # a Node.js start: once per test is enough, the rows above are what it compares
        kit.node_migrate(url, p.folder)
        assert kit.drizzle_rows(url) == rows, "drizzle's migrator found something left to do"


def test_a_killed_run_is_finished_by_the_next(zygote: fk.Zygote, mysql_source: Path, tmp_path: Path,
                                              mysql_url: str) -> None:
    root = tmp_path / "app"
    shutil.copytree(mysql_source, root)
    (root / "safeshift.toml").write_text('migrations = "drizzle"\ndialect = "mysql"\n', encoding="utf-8")
    p = DrizzleProject(root, mysql_url)
    args = ["migrate", "--allow-hazards", "--url", mysql_url, "--log-json"]
    whole = zygote.run(args, root, root / "out0.txt", root / "err0.txt")
    assert whole.wait() == 0, whole.stderr
    events = len(whole.stdout.splitlines())
    _finished(p, mysql_url)

    rng = random.Random(20261207)
    cut = n = 0
    # a kill that lands after the run ended (the machine was quicker than the chosen point) is not counted:
    # the trials go on until TRIALS kills have landed mid-run, within three times as many tries
    while cut < TRIALS and n < 3 * TRIALS:
        n += 1
        _drop_everything(mysql_url)
        runner = zygote.run(args, root, root / f"out{n}.txt", root / f"err{n}.txt")
        runner.wait_events(rng.randrange(1, events - 1))  # never the last event: nothing is left after it
        time.sleep(rng.uniform(0, 0.05))
        cut += runner.kill()
        _others_gone(mysql_url)
        p.run("migrate", "--allow-hazards")
        _finished(p, mysql_url)
    _finished(p, mysql_url, ask_drizzle=True)  # drizzle's migrator (a Node.js start) once, after the last trial
    print(f"\ndrizzle MySQL folder: {n} kills, {cut} before the run ended")
    assert cut >= TRIALS, f"only {cut} of {n} kills landed before the run ended"

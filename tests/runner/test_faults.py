"""SIGKILL the runner at random points of a 20-migration run: nothing is ever half-applied.

After every kill the history must say exactly how far the run got (a prefix of the
folder, plus at most one ``running`` migration whose non-transactional steps committed),
the live schema must equal the oracle's schema for that point, and the next run must
finish the folder with the data migrations applied exactly once.
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import safeshift
from safeshift import history
from safeshift.dialects import dialect_for_url
from safeshift.engines import engine_for
from safeshift.formats import safeshift as migrations
from tests.runner import _faultkit as fk

#: kills per database: 2 x 25 on PostgreSQL (15 and 18), 20 on SQLite, in test items of 5
PG_TRIALS, PG_CHUNKS = 25, 5
SQLITE_TRIALS, SQLITE_CHUNKS = 20, 4


@pytest.fixture(scope="module")
def zygote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fk.Zygote]:
    yield from fk.zygote_fixture(tmp_path_factory)


def _run(zygote: fk.Zygote, root: Path, url: str, n: int) -> fk.Forked:
    return zygote.run([*fk.MIGRATE, "--url", url, "--log-json"], root, root / f"out{n}.txt",
                      root / f"err{n}.txt")


def _assert_complete(url: str, oracle: fk.Oracle) -> None:
    records, live = fk.snapshot(url)
    assert [v for v, r in records.items() if r.status == "applied"] == list(oracle.versions), records
    assert live == oracle.final, fk.describe_difference(live, oracle.final)
    assert fk.final_data(url) == fk.FINAL_DATA  # every backfill ran exactly once


#: per test process: (oracle, events in an undisturbed run) for each server, built on its first chunk
_PREPARED: dict[str, tuple[fk.Oracle, int]] = {}


def _server(url: str) -> str:
    """Which database server ``url`` is on (every SQLite file counts as one)."""
    dialect = dialect_for_url(url)
    return dialect.name if dialect.name == "sqlite" else url.replace(dialect.database_name(url), "")


def _prepare(zygote: fk.Zygote, url: str, root: Path, folder: Path) -> tuple[fk.Oracle, int]:
    """The oracle, and one undisturbed run that proves the runner agrees with it and counts its events."""
    key = _server(url)
    if key not in _PREPARED:
        oracle = fk.build_oracle(url, folder)
        calibrate = _run(zygote, root, url, 0)
        assert calibrate.wait() == 0, calibrate.stderr
        _assert_complete(url, oracle)
        fk.reset(url)
        _PREPARED[key] = (oracle, len(calibrate.stdout.splitlines()) - 1)  # all but the final "done"
    return _PREPARED[key]


def _kill_trials(zygote: fk.Zygote, url: str, tmp_path: Path, specs: list[fk.Spec], dialect: str, *, trials: int,
                 chunk: int, chunks: int, seed: int) -> None:
    """Kill points are chosen by progress, not by the clock, so a loaded machine still spreads them.

    Each trial picks an event of the run (``--log-json`` lines: start, step, applied) and a
    random few milliseconds after it: right after ``start`` lands inside a migration's
    transaction (each has a short sleep between its DDL statements).  The ``trials``
    points are spread over the whole run, and each of the ``chunks`` test items (so that
    xdist can share them out) takes every ``chunks``-th of them.
    """
    root = tmp_path / "project"
    folder = fk.write_project(root, specs, dialect=dialect)
    fk.fast_commits(url)
    fk.reset(url)
    oracle, events = _prepare(zygote, url, root, folder)

    rng = random.Random(seed + zlib.crc32(_server(url).encode()))  # other points on each server, same per chunk
    points = [(int((i + rng.random()) / trials * events), rng.uniform(0, 0.03)) for i in range(trials)][chunk::chunks]
    interrupted = inside = 0
    seen: list[fk.Observed] = []
    for n, (after_events, delay) in enumerate(points, 1):
        runner = _run(zygote, root, url, n)
        runner.wait_events(after_events)
        time.sleep(delay)
        runner.kill()
        inside += runner.last_event() in ("start", "step")  # killed between a migration's start and its end
        fk.wait_quiet(url)
        try:
            observed = fk.check_consistent(url, oracle)
        except AssertionError as exc:
            tail = "\n".join(runner.stdout.splitlines()[-4:])
            raise AssertionError(f"{exc}\nkilled after event {after_events} + {delay * 1000:.0f} ms; last events:\n"
                                 f"{tail}") from exc
        seen.append(observed)
        interrupted += observed.state != (len(oracle.versions), 0)
        result = fk.migrate(url, folder)
        assert result.versions == oracle.versions[observed.applied:], (observed, result.versions)
        _assert_complete(url, oracle)
        fk.reset(url)

    partial = sum(1 for o in seen if o.progress is not None)
    states = sorted({o.state for o in seen})
    print(f"\n{dialect} chunk {chunk}: {len(points)} kills after events {sorted(p[0] for p in points)} of {events}, "
          f"{interrupted} before the end, {inside} inside a migration, {partial} with a running row, states {states}")
    assert interrupted >= len(points) - 2, f"only {interrupted} of {len(points)} kills landed before the run finished"
    assert len(states) >= len(points) - 2, f"kills landed in too few places: {states}"


@pytest.mark.parametrize("chunk", range(PG_CHUNKS))
def test_sigkill_never_half_applies_postgres(zygote: fk.Zygote, pg_url: str, tmp_path: Path, chunk: int) -> None:
    _kill_trials(zygote, pg_url, tmp_path, fk.pg_folder(), "postgresql", trials=PG_TRIALS, chunk=chunk,
                 chunks=PG_CHUNKS, seed=20250101)


@pytest.mark.parametrize("chunk", range(SQLITE_CHUNKS))
def test_sigkill_never_half_applies_sqlite(zygote: fk.Zygote, sqlite_url: str, tmp_path: Path, chunk: int) -> None:
    _kill_trials(zygote, sqlite_url, tmp_path, fk.sqlite_folder(), "sqlite", trials=SQLITE_TRIALS, chunk=chunk,
                 chunks=SQLITE_CHUNKS, seed=20250102)


# -- the narrow windows a random kill rarely hits, set up exactly ---------------------------------

_CIC_FIRST = [
    ("create_items", "CREATE TABLE items (id bigint PRIMARY KEY, sku text NOT NULL);", "DROP TABLE items;"),
    ("items_sku_idx", f"{fk.NO_TX}\nCREATE INDEX CONCURRENTLY items_sku_idx ON items (sku);",
     "DROP INDEX items_sku_idx;"),
]
_CIC_SECOND = [
    _CIC_FIRST[0],
    ("items_note_and_sku_idx", f"ALTER TABLE items ADD COLUMN note text;\n{fk.NO_TX}\n"
     "CREATE INDEX CONCURRENTLY items_sku_idx ON items (sku);", "DROP INDEX items_sku_idx;"),
]


@pytest.mark.parametrize("specs", [_CIC_FIRST, _CIC_SECOND], ids=["index-first-step", "index-second-step"])
def test_kill_after_concurrent_index_before_its_record(pg_url: str, tmp_path: Path, specs: list[fk.Spec]) -> None:
    """The runner built the index, then died before recording the step: the rerun treats it as done.

    This is the state ``_alone`` leaves between the CREATE INDEX CONCURRENTLY and the
    history write: the row says ``running`` with the steps before the index.
    """
    folder = fk.write_project(tmp_path / "project", specs, dialect="postgresql")
    first, second = fk.version(1), fk.version(2)
    fk.migrate(pg_url, folder, to=first)
    dialect = dialect_for_url(pg_url)
    m = migrations.read_folder(folder).get(second)
    assert m is not None
    conn = fk.connect(pg_url)
    try:
        before = len(m.up_statements) - 1  # the transactional steps before the index committed
        if before:
            conn.execute(m.up_statements[0].sql)
        history.write(dialect, conn, version=second, name=m.name, checksum=migrations.checksum(m),
                      status="running", duration_ms=0, progress=before, who="killed runner")
        conn.execute(m.up_statements[-1].sql)
    finally:
        conn.close()

    result = fk.migrate(pg_url, folder)

    assert result.versions == (second,)
    assert fk.read_history(pg_url)[second].status == "applied"
    assert _sku_index_valid(pg_url)


def _sku_index_valid(url: str) -> bool:
    """items_sku_idx exists exactly once and is valid (not the INVALID leftover of a killed build)."""
    conn = fk.connect(url)
    try:
        rows = conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_sku_idx'::regclass").fetchall()
    finally:
        conn.close()
    return rows == [(True,)]


def test_kill_after_concurrent_drop_before_its_record(pg_url: str, tmp_path: Path) -> None:
    """Rollback's twin: the down section's DROP INDEX CONCURRENTLY ran, the runner died before
    recording it (the row says ``rolling_back``, 0 steps done); the rerun finishes the rollback."""
    specs = [_CIC_FIRST[0], ("items_sku_idx", f"{fk.NO_TX}\nCREATE INDEX CONCURRENTLY items_sku_idx ON items (sku);",
                              f"{fk.NO_TX}\nDROP INDEX CONCURRENTLY items_sku_idx;")]
    folder = fk.write_project(tmp_path / "project", specs, dialect="postgresql")
    fk.migrate(pg_url, folder)
    second = fk.version(2)
    m = migrations.read_folder(folder).get(second)
    assert m is not None
    conn = fk.connect(pg_url)
    try:
        history.write(dialect_for_url(pg_url), conn, version=second, name=m.name, checksum=migrations.checksum(m),
                      status="rolling_back", duration_ms=0, progress=0, who="killed runner")
        conn.execute(m.down_statements[0].sql)
    finally:
        conn.close()

    assert safeshift.rollback(pg_url, folder).versions == (second,)
    assert second not in fk.read_history(pg_url)


_CIC_THEN_STEP = [
    _CIC_FIRST[0],
    ("items_sku_idx_and_note", f"{fk.NO_TX}\nCREATE INDEX CONCURRENTLY items_sku_idx ON items (sku);\n"
     "ALTER TABLE items ADD COLUMN note text;", "ALTER TABLE items DROP COLUMN note; DROP INDEX items_sku_idx;"),
]


def _wait_for(conn: Any, condition: str, timeout: float = 20) -> None:
    """Until a safeshift session of this database matches ``condition`` (SQL over pg_stat_activity)."""
    deadline = time.monotonic() + timeout
    while not conn.execute("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                           f"AND application_name = 'safeshift' AND {condition})").fetchone()[0]:
        assert time.monotonic() < deadline, f"no safeshift session with {condition} within {timeout} s"
        time.sleep(0.01)


def test_kill_while_recording_a_concurrent_index_step(zygote: fk.Zygote, pg_url: str, tmp_path: Path) -> None:
    """SIGKILL exactly while the runner records the finished CREATE INDEX CONCURRENTLY step.

    Two sessions pin the runner there: one holds a snapshot so the index build waits;
    once the announce row exists, another row-locks it, then the first lets the build
    finish, so the runner's history write queues on the row lock and is killed there.
    The statement it had sent still commits when the lock goes.  The history must then
    say exactly how far the migration got (a DELETE + INSERT replacement used to leave no
    row at all, and the rerun then failed on the index that already existed).
    """
    root = tmp_path / "project"
    folder = fk.write_project(root, _CIC_THEN_STEP, dialect="postgresql", env={"lock_timeout": "30s"})
    first, second = fk.version(1), fk.version(2)
    fk.migrate(pg_url, folder, to=first)
    dialect = dialect_for_url(pg_url)
    snapshot, row_lock, watch = engine_for(dialect).connect(pg_url), engine_for(dialect).connect(pg_url), fk.connect(pg_url)
    try:
        snapshot.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        snapshot.execute("SELECT count(*) FROM items")
        runner = zygote.run([*fk.MIGRATE, "--url", pg_url], root, tmp_path / "out.txt", tmp_path / "err.txt")
        _wait_for(watch, "query LIKE 'CREATE INDEX CONCURRENTLY%' AND wait_event_type = 'Lock'")
        row_lock.execute("SELECT 1 FROM safeshift.safeshift_migrations WHERE version = %s FOR UPDATE", (second,))
        snapshot.rollback()
        _wait_for(watch, "query LIKE '%safeshift_migrations%' AND wait_event_type = 'Lock'")
        assert runner.kill()
        row_lock.rollback()
    finally:
        for conn in (snapshot, row_lock, watch):
            conn.close()
    fk.wait_quiet(pg_url)

    row = fk.read_history(pg_url).get(second)
    assert row is not None and (row.status, row.progress) == ("running", 1), row
    assert _sku_index_valid(pg_url)
    assert fk.migrate(pg_url, folder).versions == (second,)
    assert fk.read_history(pg_url)[second].status == "applied"


# -- the server ends the runner's connection mid-migration ---------------------------------------

#: sleeps as long as the database's safeshift_test.sleep setting says (0 once the test resets it)
_SETTABLE_SLEEP = "SELECT pg_sleep(coalesce(nullif(current_setting('safeshift_test.sleep', true), ''), '0')::float)"
_TERMINATED = [
    ("create_accounts", "CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);", "DROP TABLE accounts;"),
    ("accounts_balance", "ALTER TABLE accounts ADD COLUMN balance numeric NOT NULL DEFAULT 0;\n"
     f"{_SETTABLE_SLEEP};\nCREATE INDEX accounts_balance_idx ON accounts (balance);",
     "ALTER TABLE accounts DROP COLUMN balance;"),
    ("create_ledger", "CREATE TABLE ledger (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));",
     "DROP TABLE ledger;"),
]


def _columns(url: str, table: str) -> list[str]:
    conn = fk.connect(url)
    try:
        rows = conn.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                            "AND table_name = %s ORDER BY ordinal_position", (table,)).fetchall()
        return [r[0] for r in rows]
    finally:
        conn.close()


def _backend_running(url: str, text: str, timeout: float = 30) -> int:
    """The pid of the runner's backend once it is running ``text`` (alone, or in a step sent as one script)."""
    conn = fk.connect(url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND "
                               "application_name = 'safeshift' AND state = 'active' AND query LIKE %s",
                               ("%" + text + "%",)).fetchone()
            if row is not None:
                return int(row[0])
            time.sleep(0.01)
        raise AssertionError(f"no safeshift session ran {text!r} within {timeout} s")
    finally:
        conn.close()


def test_terminated_backend_fails_cleanly_and_the_rerun_succeeds(zygote: fk.Zygote, pg_url: str,
                                                                 tmp_path: Path) -> None:
    root = tmp_path / "project"
    folder = fk.write_project(root, _TERMINATED, dialect="postgresql")
    database = dialect_for_url(pg_url).database_name(pg_url)
    admin = fk.connect(pg_url)
    try:
        admin.execute(f"ALTER DATABASE \"{database}\" SET safeshift_test.sleep = '60'")
        runner = zygote.run([*fk.MIGRATE, "--url", pg_url], root, tmp_path / "out.txt", tmp_path / "err.txt")
        pid = _backend_running(pg_url, "SELECT pg_sleep(")
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        code = runner.wait()
        admin.execute(f"ALTER DATABASE \"{database}\" RESET safeshift_test.sleep")
    finally:
        admin.close()

    assert code == 1, runner.stderr
    lines = runner.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in runner.stderr, runner.stderr
    # the step went to the server as one script, so the message names the migration, not the line
    assert lines[0].startswith(f"error: The connection to {pg_url} was lost during the "
                               f"{fk.version(2)}_accounts_balance.sql (terminating connection"), lines[0]
    assert "nothing of it was applied" in lines[0] and lines[0].endswith("Run the command again.")

    records = fk.read_history(pg_url)
    assert records[fk.version(1)].status == "applied"
    assert fk.version(2) not in records or records[fk.version(2)].status == "failed"
    assert fk.version(3) not in records
    assert _columns(pg_url, "accounts") == ["id", "name"]  # the ADD COLUMN before the sleep was rolled back
    assert _columns(pg_url, "ledger") == []

    result = fk.migrate(pg_url, folder)
    assert result.versions == (fk.version(2), fk.version(3))
    assert _columns(pg_url, "accounts") == ["id", "name", "balance"]
    assert _columns(pg_url, "ledger") == ["id", "account_id"]


# -- a failed CREATE INDEX CONCURRENTLY leaves an INVALID index; the rerun rebuilds it -----------------

_DUPLICATES = ("create_members", "CREATE TABLE members (id bigint PRIMARY KEY, email text NOT NULL);\n"
               "INSERT INTO members VALUES (1, 'a@example.com'), (2, 'a@example.com'), (3, 'b@example.com');",
               "DROP TABLE members;")
_UNIQUE_FIRST = ("members_email_key", f"{fk.NO_TX}\n"
                 "CREATE UNIQUE INDEX CONCURRENTLY members_email_key ON members (email);",
                 "DROP INDEX members_email_key;")
_UNIQUE_SECOND = ("members_nick_and_email_key", f"ALTER TABLE members ADD COLUMN nick text;\n{fk.NO_TX}\n"
                  "CREATE UNIQUE INDEX CONCURRENTLY members_email_key ON members (email);",
                  "DROP INDEX members_email_key;")


def _index_valid(url: str, name: str) -> list[bool]:
    conn = fk.connect(url)
    try:
        rows = conn.execute("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                            "WHERE c.relname = %s", (name,)).fetchall()
        return [bool(r[0]) for r in rows]
    finally:
        conn.close()


@pytest.mark.parametrize("spec", [_UNIQUE_FIRST, _UNIQUE_SECOND], ids=["index-alone", "index-after-a-step"])
def test_failed_concurrent_index_is_dropped_and_rebuilt(zygote: fk.Zygote, pg_url: str, tmp_path: Path,
                                                        spec: fk.Spec) -> None:
    root = tmp_path / "project"
    fk.write_project(root, [_DUPLICATES, spec], dialect="postgresql")
    args = [*fk.MIGRATE, "--url", pg_url]

    first = zygote.run(args, root, tmp_path / "out1.txt", tmp_path / "err1.txt")
    assert first.wait() == 1, first.stderr
    lines = first.stderr.strip().splitlines()
    assert len(lines) == 1 and "(SQLSTATE 23505)" in lines[0] and f"{fk.version(2)}_{spec[0]}.sql" in lines[0]
    steps_before = 1 if spec is _UNIQUE_SECOND else 0
    row = fk.read_history(pg_url)[fk.version(2)]
    assert (row.status, row.progress) == ("failed", steps_before)
    # the INVALID index a failed concurrent build leaves is dropped with the failure, not left for the retry
    assert _index_valid(pg_url, "members_email_key") == []

    conn = fk.connect(pg_url)
    try:
        conn.execute("DELETE FROM members WHERE id = 2")
    finally:
        conn.close()
    second = zygote.run(args, root, tmp_path / "out2.txt", tmp_path / "err2.txt")
    assert second.wait() == 0, second.stderr
    assert fk.read_history(pg_url)[fk.version(2)].status == "applied"
    assert _index_valid(pg_url, "members_email_key") == [True]
    if steps_before:
        assert "resuming at step 2 of 2" in second.stdout

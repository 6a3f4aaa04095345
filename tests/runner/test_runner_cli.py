"""`safeshift migrate`, `status` and `rollback` as an operator meets them: the real CLI in a subprocess,
real databases, and the exact sentence and exit code for every way the folder and the database disagree."""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from tests.runner._project import (
    MIGRATIONS,
    PASSWORD,
    VERSIONS,
    error_line,
    history_exists,
    history_rows,
    json_lines,
    make_project,
    password_pg_fixture,  # noqa: F401  (the password_pg fixture)
    run_on_tty,
    schema_of,
    table_names,
)

V1, V2, V3, V4 = VERSIONS
FAILING = "CREATE TABLE broken (id integer PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- migrate --------------------------------------------------------------------------------------

def test_dry_run_prints_the_plan_and_creates_nothing(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add_all()
    out = p.run("migrate", "--dry-run").stdout
    assert "4 migration(s) would be applied" in out
    for version, name, up, _ in MIGRATIONS:
        assert f"{version}_{name}.sql" in out
        for statement in up.splitlines():
            assert statement in out, statement
    assert out.count("BEGIN;") == 4 and out.count("COMMIT;") == 4
    assert out.rstrip().endswith("dry run: nothing was changed")
    assert not history_exists(db_url), "a dry run must not even create the history table"
    assert table_names(db_url) == set()

    atomic = p.run("migrate", "--dry-run", "--atomic").stdout
    assert "in one transaction" in atomic
    assert atomic.count("BEGIN;") == 1 and atomic.count("COMMIT;") == 1
    assert not history_exists(db_url)


def test_to_applies_up_to_that_version(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add_all()
    out = p.run("migrate", "--to", V2).stdout
    assert re.search(r": 2 applied in \d+ ms, 0 were already applied", out)
    assert history_rows(db_url) == {V1: "applied", V2: "applied"}
    assert table_names(db_url) == {"users", "posts"}
    plan = p.run("migrate", "--dry-run").stdout
    assert "2 migration(s) would be applied" in plan and MIGRATIONS[0][1] not in plan
    out = p.run("migrate").stdout
    assert re.search(r": 2 applied in \d+ ms, 2 were already applied", out)
    assert "nothing to apply (4 already applied)" in p.run("migrate").stdout


def test_atomic_failure_applies_nothing(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add_all(MIGRATIONS[:2])
    bad = p.add("20260101000003", "broken", FAILING, "DROP TABLE broken;")
    proc = p.run("migrate", "--atomic", expect=1, subprocess=True)
    msg = error_line(proc)
    assert msg.startswith(f"{bad.name} line 3 failed")
    assert "no_such_table" in msg and "was rolled back" in msg
    assert table_names(db_url) == set(), "the two good migrations must be rolled back with the bad one"
    assert "applied" not in history_rows(db_url).values()

    proc = p.run("migrate", expect=1)  # one transaction each: the good ones stay
    assert history_rows(db_url) == {V1: "applied", V2: "applied", "20260101000003": "failed"}
    assert table_names(db_url) == {"users", "posts"}

    bad.write_text(bad.read_text().replace("INSERT INTO no_such_table VALUES (1);", ""))
    p.seal()
    out = p.run("migrate", "--atomic").stdout
    assert "1 applied" in out and "in one transaction" in out
    assert set(history_rows(db_url).values()) == {"applied"}


def test_status_text_and_json(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add_all(MIGRATIONS[:3])
    p.add("20260101000004", "broken", FAILING, "DROP TABLE broken;")
    p.add("20260101000005", "later", "CREATE TABLE later (id integer);", "DROP TABLE later;")
    p.run("migrate", expect=1)
    edited = p.file(V1)
    edited.write_text(edited.read_text() + "-- an edit after apply\n")
    p.file(V2).unlink()
    p.seal()

    text = p.run("status").stdout
    lines = {ln.split()[0]: ln for ln in text.splitlines() if re.match(r"\d{14} ", ln)}
    assert "edited since applied" in lines[V1]
    assert "applied, file missing" in lines[V2]
    assert re.search(r"\bapplied\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d+", lines[V3])
    assert "failed" in lines["20260101000004"] and "no_such_table" in lines["20260101000004"]
    assert "pending" in lines["20260101000005"]
    assert text.rstrip().splitlines()[-1] == "1 edited, 1 missing, 1 applied, 1 failed, 1 pending"

    data = json.loads(p.run("status", "--json").stdout)
    rows = {r["version"]: r for r in data["migrations"]}
    assert {v: r["state"] for v, r in rows.items()} == {
        V1: "edited", V2: "missing", V3: "applied", "20260101000004": "failed", "20260101000005": "pending"}
    for version in (V1, V2, V3):
        datetime.fromisoformat(rows[version]["applied_at"])
        assert isinstance(rows[version]["duration_ms"], int) and rows[version]["duration_ms"] >= 0
    assert rows[V2]["file"] is None and rows[V2]["name"] == "create_posts"
    assert rows["20260101000005"]["applied_at"] is None and rows["20260101000005"]["duration_ms"] is None
    assert "no_such_table" in rows["20260101000004"]["error"] and "line 3" in rows["20260101000004"]["error"]


# -- the folder does not fit the history: exit 3, one sentence --------------------------------------

def test_edited_after_apply(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add_all(MIGRATIONS[:2])
    p.run("migrate")
    path = p.file(V1)
    recorded = _sha(path)
    path.write_text(path.read_text().replace("varchar(200)", "varchar(300)"))

    now = _sha(path)
    edited = (f"{path.name} was edited after it was applied (recorded checksum {recorded[:12]}, file {now[:12]}); "
              f"put the file back as it was (`git checkout -- migrations/{path.name}`) and write a new migration "
              "for the change.")
    # unsealed too: the history judges an applied file before the sum file (whose advice, rehash, is wrong here)
    assert error_line(p.run("migrate", expect=3)) == edited

    p.seal()
    p.add(V3, "add_users_name", MIGRATIONS[2][2], MIGRATIONS[2][3])
    assert error_line(p.run("migrate", expect=3, subprocess=True)) == edited
    assert error_line(p.run("rollback", "--to", "0", expect=3)) == (
        f"Cannot roll back {path.name}: the file was edited after it was applied (recorded checksum "
        f"{recorded[:12]}, file {now[:12]}); put the file back as it was.")
    assert history_rows(db_url) == {V1: "applied", V2: "applied"}
    assert table_names(db_url) == {"users", "posts"}


def test_out_of_order(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add_all([MIGRATIONS[0], MIGRATIONS[2]])
    p.run("migrate")
    merged = p.add(*MIGRATIONS[1])
    assert error_line(p.run("migrate", expect=3)) == (
        f"{merged.name} is pending but older than {V3}, the newest migration this database has applied (a merged "
        "branch?); give it a newer version, or pass --allow-out-of-order if it does not depend on the newer ones.")
    assert history_rows(db_url) == {V1: "applied", V3: "applied"}
    assert "1 applied" in p.run("migrate", "--allow-out-of-order").stdout
    assert history_rows(db_url) == {V1: "applied", V2: "applied", V3: "applied"}


def test_applied_migration_missing_from_folder(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add_all(MIGRATIONS[:3])
    p.run("migrate")
    p.file(V2).unlink()
    p.add(*MIGRATIONS[3])
    assert error_line(p.run("migrate", expect=3)) == (
        f"The database has applied {V2}_create_posts, but migrations/ has no such file; put the file back (e.g. "
        "`git checkout` it), or deploy from a checkout that contains it.")
    assert "applied, file missing" in p.run("status").stdout
    assert error_line(p.run("rollback", "--to", V1, expect=3)) == (
        f"Cannot roll back {V2}_create_posts: its file is not in migrations/, so its down section is unknown; "
        "restore the file first.")
    assert history_rows(db_url) == {V1: "applied", V2: "applied", V3: "applied"}, "refused before anything ran"


@pytest.mark.parametrize("kind", ["empty", "irreversible"])
def test_rollback_refuses_what_cannot_be_undone(tmp_path: Path, db_url: str, kind: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add(*MIGRATIONS[0])
    version, name, up, down = MIGRATIONS[1]
    bad = p.add(version, name, up, "" if kind == "empty" else down, irreversible=kind == "irreversible")
    p.add(*MIGRATIONS[2])
    p.run("migrate")
    why = ("its down section is empty; undo it with a new migration or restore a backup taken before it."
           if kind == "empty" else "it is marked `-- safeshift:irreversible`; restore a backup or write a new "
           "migration that undoes it.")
    assert error_line(p.run("rollback", "--steps", "2", expect=3)) == f"Cannot roll back {bad.name}: {why}"
    assert history_rows(db_url) == {V1: "applied", V2: "applied", V3: "applied"}, "refused up front"
    users = next(t for t in schema_of(db_url).tables if t.name == "users")
    assert "name" in {c.name for c in users.columns}
    p.run("rollback")  # the newest one alone is fine
    assert history_rows(db_url) == {V1: "applied", V2: "applied"}


# -- rollback: the schema after each rollback is the schema of that prefix ----------------------------

def test_rollback_oracle(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add_all()
    prefix = [schema_of(db_url)]
    for version in VERSIONS:
        p.run("migrate", "--to", version)
        prefix.append(schema_of(db_url))
    assert len({repr(s) for s in prefix}) == 5, "each migration changes the schema"

    out = p.run("rollback", "--steps", "1").stdout
    assert f"rolled back {V4}_create_tags in" in out and ": 1 rolled back" in out
    assert schema_of(db_url) == prefix[3]
    p.run("rollback", "--to", V1)
    assert schema_of(db_url) == prefix[1]
    assert history_rows(db_url) == {V1: "applied"}
    p.run("migrate")
    assert schema_of(db_url) == prefix[4]
    p.run("rollback", "--steps", "2")
    assert schema_of(db_url) == prefix[2]
    out = p.run("rollback", "--to", "0").stdout
    assert ": 2 rolled back" in out
    assert schema_of(db_url) == prefix[0]
    assert history_rows(db_url) == {}
    assert "nothing to roll back" in p.run("rollback").stdout


# -- where the URL comes from -----------------------------------------------------------------------

MISSING_URL = "DATABASE_URL is not defined (and environment 'production' has no url in safeshift.toml)."


def test_missing_url_is_one_sentence(tmp_path: Path) -> None:
    p = make_project(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}", "[environments.production]\n")
    p.add(*MIGRATIONS[0])
    for command in ("migrate", "status", "rollback"):
        assert error_line(p.run(command, "--env", "production", url=False, expect=2)) == MISSING_URL
    assert error_line(p.run("migrate", url=False, expect=2, env={"SAFESHIFT_ENV": "production"},
                            subprocess=True)) == MISSING_URL


def test_dotenv_and_safeshift_env_pick_the_database(tmp_path: Path) -> None:
    prod, staging, exported = (tmp_path / f"{n}.db" for n in ("prod", "staging", "exported"))
    p = make_project(tmp_path, f"sqlite:///{prod}",
                     f'[environments.production]\n\n[environments.staging]\nurl = "sqlite:///{staging}"\n')
    p.add(*MIGRATIONS[0])
    (p.root / ".env").write_text(f"DATABASE_URL=sqlite:///{prod}\n")
    p.run("migrate", "--yes", url=False, env={"SAFESHIFT_ENV": "production"})
    assert history_rows(f"sqlite:///{prod}") == {V1: "applied"}
    p.run("migrate", url=False, env={"SAFESHIFT_ENV": "staging"})
    assert history_rows(f"sqlite:///{staging}") == {V1: "applied"}
    # --env wins over SAFESHIFT_ENV, and an exported DATABASE_URL over .env
    p.run("rollback", "--env", "staging", url=False, env={"SAFESHIFT_ENV": "production"})
    assert history_rows(f"sqlite:///{staging}") == {}
    p.run("migrate", "--env", "production", "--yes", url=False, env={"DATABASE_URL": f"sqlite:///{exported}"})
    assert history_rows(f"sqlite:///{exported}") == {V1: "applied"}


# -- the database cannot be reached -----------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "postgresql://app:s3cret-pw@127.0.0.1:1/app",
    "postgresql://app:s3cret-pw@10.255.255.1:5432/app?connect_timeout=1",
], ids=["closed-port", "unroutable"])
def test_unreachable_host(tmp_path: Path, url: str) -> None:
    p = make_project(tmp_path, url)
    p.add(*MIGRATIONS[0])
    for command in ("migrate", "status"):
        start = time.monotonic()
        proc = p.run(command, expect=4, subprocess=True)
        assert time.monotonic() - start < 10
        msg = error_line(proc)
        assert msg.startswith("Cannot connect to postgresql://app:***@")
        assert "s3cret-pw" not in proc.stdout + proc.stderr


def _fresh_database(admin_url: str, tmp_path: Path) -> str:
    name = f"pw_{tmp_path.name[-20:].replace('-', '_').lower()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def test_wrong_password_and_redaction(tmp_path: Path, password_pg: str) -> None:
    url = _fresh_database(password_pg, tmp_path)
    p = make_project(tmp_path, url)
    p.add_all(MIGRATIONS[:2])
    wrong = url.replace(PASSWORD, "wr0ng-Passw0rd")
    proc = p.run("migrate", "--url", wrong, url=False, expect=4, subprocess=True)
    assert error_line(proc) == (f"Cannot connect to {url.replace(PASSWORD, '***')}: password authentication "
                                'failed for user "app".')
    assert "wr0ng-Passw0rd" not in proc.stdout + proc.stderr
    assert history_rows(url) == {}

    outputs = [
        p.run("migrate", "--log-json"),
        p.run("status"),
        p.run("status", "--json"),
        p.run("rollback", "--steps", "2"),
        p.run("migrate", "--dry-run"),
        p.run("migrate", "--url", "postgresql://app:" + PASSWORD + "@127.0.0.1:1/x", url=False, expect=4),
    ]
    for proc in outputs:
        assert PASSWORD not in proc.stdout + proc.stderr
    assert "app:***@127.0.0.1" in outputs[1].stdout
    assert json.loads(outputs[2].stdout)["database"] == url.replace(PASSWORD, "***")


# -- protected environments -------------------------------------------------------------------------

def test_confirm_needs_yes_without_a_terminal(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'prod.db'}"
    live = f"sqlite:///{tmp_path / 'live.db'}"  # its own database: one database is one environment's
    p = make_project(tmp_path, db, '[environments.production]\nurl = "${DATABASE_URL}"\n\n'
                                   f'[environments.live]\nurl = "{live}"\nconfirm = true\n')
    p.add_all(MIGRATIONS[:2])
    env = {"DATABASE_URL": db}
    for name in ("production", "live"):
        assert error_line(p.run("migrate", "--env", name, url=False, env=env, expect=2)) == (
            f"Environment '{name}' asks for confirmation before it changes and there is no terminal to ask on; "
            "pass --yes to go ahead.")
    assert history_rows(db) == {} and table_names(db) == set()
    p.run("migrate", "--env", "production", "--yes", url=False, env=env)
    assert history_rows(db) == {V1: "applied", V2: "applied"}
    p.run("rollback", "--env", "production", url=False, env=env, expect=2)
    assert history_rows(db) == {V1: "applied", V2: "applied"}
    p.run("rollback", "--env", "production", "-y", url=False, env=env)
    assert history_rows(db) == {V1: "applied"}
    assert "Environment 'production'" not in p.run("status", "--env", "production", url=False, env=env).stderr


def test_confirm_by_typing_the_database_name(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'prod.db'}"
    p = make_project(tmp_path, db, f'[environments.production]\nurl = "{db}"\n')
    p.add(*MIGRATIONS[0])
    code, screen = run_on_tty(p.root, ["migrate", "--env", "production"], b"to go ahead", "staging.db")
    assert code == 2, screen
    assert "Nothing was applied to prod.db: the operator did not confirm." in screen
    assert history_rows(db) == {}
    code, screen = run_on_tty(p.root, ["migrate", "--env", "production"], b"to go ahead", "prod.db")
    assert code == 0, screen
    assert "type the database name (prod.db)" in screen
    assert history_rows(db) == {V1: "applied"}


# -- machines -----------------------------------------------------------------------------------------

def test_log_json(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add(*MIGRATIONS[0])
    p.add(*MIGRATIONS[1])
    p.add(V3, "keep_forever", MIGRATIONS[2][2], MIGRATIONS[2][3], irreversible=True)
    p.add(*MIGRATIONS[3])

    planned = json_lines(p.run("migrate", "--dry-run", "--log-json").stdout)
    assert [e["version"] for e in planned if e["event"] == "planned"] == list(VERSIONS)

    events = json_lines(p.run("migrate", "--log-json").stdout)
    applied = [e for e in events if e["event"] == "applied"]
    assert [e["version"] for e in applied] == list(VERSIONS)
    assert all(isinstance(e["duration_ms"], int) and e["duration_ms"] >= 0 for e in applied)
    assert [e["version"] for e in events if e["event"] == "start"] == list(VERSIONS)
    assert events[-1]["event"] == "done" and events[-1]["applied"] == list(VERSIONS)
    assert all("ts" in e for e in events)

    events = json_lines(p.run("rollback", "--log-json").stdout)
    assert [(e["event"], e["version"]) for e in events if e["event"] == "rolled_back"] == [("rolled_back", V4)]
    assert isinstance(events[-2]["duration_ms"], int) and events[-1] == {**events[-1], "rolled_back": [V4]}

    proc = p.run("rollback", "--log-json", expect=3)
    (error,) = json_lines(proc.stdout)
    assert error["event"] == "error" and error["exit_code"] == 3 and error["error"] == "NotReversible"
    assert error["message"] == error_line(proc)

"""`safeshift rehearse --env staging`, the command line's usage rules, and Ctrl-C during a rehearsal."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from tests.rehearse._kit import V1, V3, build, checks, report, smoke_cmd, smoke_result
from tests.runner._project import SAFESHIFT, clean_env, error_line, history_rows, invoke


def test_env_mode_applies_through_the_gates_then_checks_and_smokes(tmp_path: Path, pg_url: str) -> None:
    staging = f'[environments.staging]\nurl = "{pg_url}"\nconfirm = true\n'
    p = build(tmp_path, pg_url, environments=staging)
    seen = tmp_path / "seen.json"
    args = ("rehearse", "--env", "staging", "--smoke", smoke_cmd(seen))

    # posts holds rows and V3 builds an index on it without CONCURRENTLY: migrate's review gate refuses
    blocked = p.run(*args, expect=1, url=False)
    assert "require-concurrent-index-creation" in error_line(blocked)
    asked = p.run(*args, "--allow-hazards", expect=2, url=False)
    assert "asks for confirmation" in error_line(asked) and "--yes" in error_line(asked)
    assert history_rows(pg_url) == {V1[0]: "applied"}

    proc = p.run(*args, "--yes", "--allow-hazards", url=False)
    assert "rehearsal passed on staging" in proc.stdout
    doc = report(p)
    assert doc["mode"] == "env" and doc["source"]["env"] == "staging" and doc["copy"] is None
    assert checks(doc) == {"apply": "pass", "snapshot": "pass", "reversibility": "skipped", "reapply": "skipped",
                           "smoke": "pass"}
    assert any(lk["mode"] == "AccessExclusiveLock" for lk in doc["migrations"][0]["statements"][0]["locks"])
    assert smoke_result(seen)["url"] == pg_url, "the smoke command checks staging itself"
    assert set(history_rows(pg_url).values()) == {"applied"} and max(history_rows(pg_url)) == V3[0]
    assert "nothing pending on staging" in p.run("rehearse", "--env", "staging", url=False).stdout


def test_usage_mistakes_are_exit_2(tmp_path: Path) -> None:
    (tmp_path / "safeshift.toml").write_text('migrations = "migrations"\ndialect = "sqlite"\n')
    cases = {
        ("rehearse",): "Give --env NAME",
        ("rehearse", "--with-data"): "need --scratch",
        ("rehearse", "--env", "staging", "--sample", "5"): "need --scratch",
        ("rehearse", "--scratch", "--with-data", "--sample", "5"): "not both",
        ("rehearse", "--scratch", "--from", "production", "--env", "staging"): "Give --from or --env",
        ("rehearse", "--scratch", "--sample", "0"): "0 is not in the range",
    }
    for args, needle in cases.items():
        proc = invoke(tmp_path, *args, expect=2)
        assert needle in proc.stderr, (args, proc.stderr)


def test_ctrl_c_drops_the_copy(tmp_path: Path, pg_url: str) -> None:
    p = build(tmp_path, pg_url, rows=False)
    seen = tmp_path / "scratch_url"
    proc = subprocess.Popen([*SAFESHIFT, "rehearse", "--scratch", "--url", pg_url, "--smoke",
                             f'echo "$DATABASE_URL" > "{seen}"; sleep 3'],
                            cwd=p.root, env=clean_env({"PYTHONUNBUFFERED": "1"}), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 30
    while not (seen.exists() and seen.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    name = str(conninfo_to_dict(seen.read_text().strip())["dbname"])
    assert name.startswith("safeshift_scratch_")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    assert "interrupted" in err and "Traceback" not in err
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None

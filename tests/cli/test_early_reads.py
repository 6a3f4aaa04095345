"""`safeshift verify --url URL` sends its catalog reads before the command line is loaded (``safeshift.early``).

What must hold: the reads go out before click is imported; the command takes them only for the URL and
dialect it resolves itself; a wrong URL or a server that is down reads exactly as without the early start
(one sentence, exit 2 or 1, no traceback); an untaken reader is closed at exit, not left in an open
transaction.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from safeshift import early
from tests.cli.test_generate_cli import make_project, run

#: the script's own entry point, then the order of the first imports of libpq and click
_DRIVER = """
import json, sys
order = []
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in ("click", "safeshift.engines.postgres.libpq"):
            order.append(name)
        return None
sys.meta_path.insert(0, Watch())
import atexit
atexit.register(lambda: sys.stderr.write("\\nORDER " + json.dumps(order) + "\\n"))
sys.argv = ["safeshift", *sys.argv[1:]]
from safeshift.__main__ import main
main()
"""


def _script(project: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    done = subprocess.run([sys.executable, "-c", _DRIVER, *args], cwd=project, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, check=False, timeout=120)
    err, _, order = done.stderr.rpartition("\nORDER ")
    done.stderr = err
    return done, json.loads(order) if order else []


@pytest.mark.parametrize(("argv", "url"), [
    (["verify", "--url", "postgresql://h/db"], "postgresql://h/db"),
    (["verify", "--json", "--url=postgres://h/db"], "postgres://h/db"),
    (["verify", "--url", "a", "--url", "b"], "b"),  # click's rule: the last one given
    (["verify", "--url"], None),
    (["verify", "--url", "postgresql://h/db", "--help"], None),
    (["status", "--url", "postgresql://h/db"], None),
    (["--version", "verify", "--url", "postgresql://h/db"], None),
    ([], None),
])
def test_the_url_is_read_from_a_plain_verify_command_line(argv: list[str], url: str | None) -> None:
    assert early.verify_url(argv) == url


def test_a_reader_begun_for_another_url_or_dialect_is_closed_not_taken() -> None:
    closed: list[str] = []

    class Reader:
        def close(self) -> None:
            closed.append("closed")

    early._begun = ("postgresql", "postgresql://h/a", Reader(), None)
    assert early.take("postgresql", "postgresql://h/b") is None
    assert closed == ["closed"] and early._begun is None
    early._begun = ("postgresql", "postgresql://h/a", Reader(), None)
    assert early.take("sqlite", "postgresql://h/a") is None
    assert closed == ["closed", "closed"]
    failure = ConnectionError("down")
    early._begun = ("postgresql", "postgresql://h/a", None, failure)
    with pytest.raises(ConnectionError) as raised:
        early.take("postgresql", "postgresql://h/a")
    assert raised.value is failure and early._begun is None
    assert early.take("postgresql", "postgresql://h/a") is None  # taken once


def test_verify_sends_its_reads_before_loading_the_command_line(tmp_path: Path, pg_url: str) -> None:
    project = make_project(tmp_path, "postgresql")
    run(project, "generate", "--name", "initial")
    run(project, "migrate", "--url", pg_url)
    done, order = _script(project, "verify", "--url", pg_url)
    assert done.returncode == 0, done.stderr
    assert "no drift" in done.stdout
    assert order[:2] == ["safeshift.engines.postgres.libpq", "click"]
    # anything else on the line is the command's: --json, --at-applied, and the result is the same
    done, order = _script(project, "verify", "--at-applied", "--url", pg_url, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["clean"] is True
    assert order[:2] == ["safeshift.engines.postgres.libpq", "click"]


def test_a_server_that_is_down_reads_as_without_the_early_start(tmp_path: Path) -> None:
    project = make_project(tmp_path, "postgresql")
    url = "postgresql://postgres@127.0.0.1:1/nothing"
    done, order = _script(project, "verify", "--url", url)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert order[0] == "safeshift.engines.postgres.libpq"
    plain = run(project, "verify", "--url", url, expect=done.returncode)
    assert done.stderr.strip() == plain.stderr.strip()
    assert done.stderr.strip().count("\n") == 0 and "Cannot connect" in done.stderr


def test_a_configuration_error_comes_first_and_the_reader_is_closed(tmp_path: Path, pg_url: str) -> None:
    project = make_project(tmp_path, "postgresql")
    done, _ = _script(project, "verify", "--url", pg_url, "--env", "no-such-env")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "no-such-env" in done.stderr
    name = pg_url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for _ in range(50):  # the server notices a closed connection a moment later
            left = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'idle in "
                                "transaction' AND pid <> pg_backend_pid()", [name]).fetchone()
            if left == (0,):
                break
            time.sleep(0.05)
    assert left == (0,)

"""`safeshift verify` loads only what it runs (issue 20: the drift check end to end within 0.3 s).

The CLI group imports a command's module when the command is asked for, and verify prints plain
text, so a clean run of verify on PostgreSQL never imports the other commands' modules, rich, the
change classes, the drizzle-kit reader, or generate's and backup's halves of the API.  These are
checked in a fresh interpreter, as a user's run starts; every command stays listed by --help.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from safeshift.cli import COMMANDS, main
from tests.cli.test_generate_cli import make_project, run

#: modules a clean `safeshift verify` has no use for
_NOT_FOR_VERIFY = ("rich", "safeshift.changes", "safeshift.formats.drizzle", "safeshift.generate", "safeshift.backup",
                   "safeshift.cli.authoring", "safeshift.cli.running", "safeshift.cli.backups",
                   "safeshift.cli.release", "safeshift.cli.adopt", "safeshift.cli.project", "sqlalchemy")

#: runs the CLI in this interpreter, then prints the modules it loaded (argv: the CLI's arguments)
_DRIVER = """
import json, sys
from safeshift.cli import main
try:
    main(sys.argv[1:], prog_name="safeshift")
except SystemExit as exc:
    code = exc.code
print("\\nMODULES " + json.dumps(sorted(sys.modules)))
sys.exit(code)
"""


def _loaded(project: Path, *args: str) -> tuple[str, set[str]]:
    done = subprocess.run([sys.executable, "-c", _DRIVER, *args], cwd=project, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    text, _, modules = done.stdout.rpartition("\nMODULES ")
    return text, set(json.loads(modules))


def _unwanted(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in _NOT_FOR_VERIFY))


def test_every_command_is_listed_and_resolves() -> None:
    ctx = main.make_context("safeshift", ["--help"], resilient_parsing=True)
    assert main.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None and command.name == name


def test_verify_loads_only_what_it_runs(tmp_path: Path, pg_url: str) -> None:
    project = make_project(tmp_path, "postgresql")
    run(project, "generate", "--name", "initial")
    run(project, "migrate", "--url", pg_url)
    # generate's snapshot leaves the primary key unnamed, which the live one is not: equal as schemas, not as
    # text, so the check parses the snapshot and diffs (the change classes load for that, nothing else)
    text, modules = _loaded(project, "verify", "--url", pg_url)
    assert "no drift" in text
    # it did reach the database, through the libpq reader: psycopg's import is what the reader spares
    assert "safeshift.engines.postgres.libpq" in modules and "psycopg" not in modules
    assert [m for m in _unwanted(modules) if not m.startswith("safeshift.changes")] == []
    # the snapshot as the database reads back (what a baseline writes): equal texts, nothing parsed or diffed
    snapshot_file = max((project / "migrations" / "meta").glob("*_snapshot.json"))
    snapshot_file.write_text(_live_snapshot(pg_url))
    text, modules = _loaded(project, "verify", "--url", pg_url)
    assert "no drift" in text
    assert _unwanted(modules) == [] and "safeshift.diff" not in modules
    _, modules = _loaded(project, "verify", "--help")
    assert _unwanted(modules) == [] and "psycopg" not in modules


def _live_snapshot(url: str) -> str:
    from safeshift import snapshot
    from safeshift.dialects import get_dialect
    from safeshift.engines import engine_for
    from safeshift.verify import without_history

    engine = engine_for(get_dialect("postgresql"))
    conn = engine.connect(url)
    try:
        return snapshot.to_json(without_history(engine.introspect(conn)))
    finally:
        conn.close()


#: the script's entry point with an atexit handler of the caller's own (argv: the CLI's arguments)
_RUN = """
import atexit, sys
atexit.register(lambda: print("atexit ran", flush=True))
sys.argv = ["safeshift", *sys.argv[1:]]
from safeshift.cli import run
run()
"""


def test_the_script_ends_without_teardown_yet_runs_atexit_flushes_and_keeps_the_exit_code(tmp_path: Path) -> None:
    """``run`` (the console script, ``python -m safeshift``) leaves with ``os._exit``: atexit handlers have run,
    what was printed arrives, and the command's exit code is the process's, for success and for an error."""
    done = subprocess.run([sys.executable, "-c", _RUN, "--version"], cwd=tmp_path, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, check=False, timeout=60)
    assert (done.returncode, done.stdout.splitlines()) == (0, [done.stdout.splitlines()[0], "atexit ran"])
    assert done.stdout.startswith("safeshift, version ")
    failed = subprocess.run([sys.executable, "-c", _RUN, "verify", "--url", " "], cwd=tmp_path, capture_output=True,
                            text=True, stdin=subprocess.DEVNULL, check=False, timeout=60)
    assert failed.returncode != 0 and "--url is empty" in failed.stderr, failed.stdout + failed.stderr
    assert failed.stdout.strip() == "atexit ran"
    # a message given to sys.exit is printed and exits 1, as the interpreter does
    stopped = _RUN.replace("from safeshift.cli import run", "from safeshift import cli\n"
                           "cli.main = lambda: sys.exit('stopped here')\nrun = cli.run")
    message = subprocess.run([sys.executable, "-c", stopped], capture_output=True, text=True, check=False, timeout=60)
    assert (message.returncode, message.stderr, message.stdout) == (1, "stopped here\n", "atexit ran\n")

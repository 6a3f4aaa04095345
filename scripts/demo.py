#!/usr/bin/env python3
"""A narrated release of the example blog on the embedded default database.

Copies examples/blog to .safeshift/demo/blog (fresh each run) and walks the runbook the way
a team would ship its next release: bring the database to the current release and give it
some data, change the models, generate the migration (up and down), review it, rehearse it
on a throwaway copy with the data, take a verified backup, deploy (backup, apply, drift
check, the app's health check), verify, read the release record; then show a bad release
being rolled back automatically.  The project's embedded server keeps running at the end (the
last line says how to stop it: `safeshift dev stop` in the demo project); the next run drops
its databases and reuses it rather than stopping it and making a new one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _bootstrap import ROOT, VENV, ensure_venv

WORK = ROOT / ".safeshift" / "demo" / "blog"
HEALTH = "python app.py check"
#: the example's commands (app.py, safeshift, python) come from the project's virtual environment
ENV = {**os.environ, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
ENV.pop("DATABASE_URL", None)
ENV.pop("SAFESHIFT_ENV", None)


def say(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def run(*args: str, expect: int = 0, show: bool = True, env: dict[str, str] | None = None) -> str:
    shown = " ".join(a if " " not in a else repr(a) for a in args)
    print(f"$ {'DATABASE_URL=... ' if env else ''}{shown}", flush=True)
    proc = subprocess.run(list(args), cwd=WORK, text=True, capture_output=True, env={**ENV, **(env or {})})
    if show:
        sys.stdout.write(proc.stdout)
        sys.stdout.write(proc.stderr)
    if proc.returncode != expect:
        if not show:
            sys.stdout.write(proc.stdout + proc.stderr)
        sys.exit(f"demo stopped: `{' '.join(args)}` exited {proc.returncode}, expected {expect}")
    return proc.stdout


#: empties the previous run's embedded server (every database dropped) if it still runs, else removes its data:
#: stopping it (a checkpoint), deleting its cluster and making a new one (initdb, start) took ~4 s of a run
_RESET_SERVER = """
import shutil, sys
from pathlib import Path
import psycopg
from safeshift.engines.postgres import embedded

data = Path(sys.argv[1])
if embedded.server_running(data):
    admin = embedded.ensure_server(data)
    with psycopg.connect(embedded.database_url(admin, "postgres"), autocommit=True) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE NOT datistemplate "
                                            "AND datname <> 'postgres'")]
    for name in names:
        embedded.drop_database(admin, name)
else:
    shutil.rmtree(data, ignore_errors=True)
"""


def fresh_copy() -> None:
    """A fresh copy of the example with an empty database: everything the last run left is deleted, except
    its embedded server, which is emptied instead (every database dropped) and kept running."""
    python = ensure_venv()
    server = WORK / ".safeshift" / "pg"
    if server.exists():
        subprocess.run([str(python), "-c", _RESET_SERVER, str(server)], check=True)
    if WORK.exists():
        for item in [*WORK.iterdir(), *(WORK / ".safeshift").glob("*")]:
            if item in (WORK / ".safeshift", server):
                continue
            if item.is_dir() and not item.is_symlink():
                shutil.rmtree(item)
            else:
                item.unlink(missing_ok=True)
    shutil.copytree(ROOT / "examples" / "blog", WORK, ignore=shutil.ignore_patterns("__pycache__", ".safeshift"),
                    dirs_exist_ok=True)


def dev_url() -> str:
    return run("safeshift", "dev", "url", show=False).strip()


def main() -> int:
    started = time.monotonic()
    fresh_copy()
    say("1. The committed migrations match the models (what CI checks on every pull request)")
    run("safeshift", "generate", "--check")
    say("2. The development database runs the current release (5 migrations), with some data")
    run("safeshift", "migrate")
    run("python", "app.py", "seed", env={"DATABASE_URL": dev_url()})
    run("safeshift", "status")

    say("3. Next release: the models gain email verification; generate the migration (up and down)")
    shutil.copy(WORK / "models_next.py", WORK / "models.py")
    run("safeshift", "generate", "--name", "add_user_email_verification")
    newest = sorted((WORK / "migrations").glob("*_add_user_email_verification.sql"))[-1]
    print(newest.read_text())

    say("4. Review it for hazards, graded by the live table sizes (data loss, long locks, failing on rows)")
    run("safeshift", "review", "--pending")

    say("5. Rehearse on a throwaway copy with the data: apply, compare with the snapshot, roll back, "
        "apply again, run the app's check")
    run("safeshift", "rehearse", "--scratch", "--with-data", "--smoke", HEALTH)

    say("6. A verified backup: dumped, listed, restored into a scratch database and compared table by table")
    run("safeshift", "backup", "--verify-restore")

    say("7. Deploy: preflight (review, rehearsal evidence), backup, apply, drift check, the app's health check")
    run("safeshift", "deploy", "--yes", "--health", HEALTH)

    say("8. Verify again at any time: the live schema against the migrations' snapshot, then the app")
    run("safeshift", "verify", "--health", HEALTH)

    say("9. The release record: the runbook's checklist, each item with its evidence")
    run("safeshift", "report")

    say("10. A bad release: posts get a pinned flag, and a unique index the data violates (every author has "
        "two posts)")
    good_models = (WORK / "models.py").read_text()
    (WORK / "models.py").write_text(good_models.replace(
        '    view_count: Mapped[int] = mapped_column(server_default="0")\n',
        '    view_count: Mapped[int] = mapped_column(server_default="0")\n'
        '    pinned: Mapped[bool] = mapped_column(server_default=false())\n', 1))
    run("safeshift", "generate", "--name", "add_post_pinned")
    run("safeshift", "generate", "--custom", "--name", "one_post_per_author")
    bad = sorted((WORK / "migrations").glob("*_one_post_per_author.sql"))[-1]
    bad.write_text(bad.read_text().replace(
        "-- migrate:up\n", "-- migrate:up\n-- safeshift:allow require-concurrent-index-creation posts is small: a short lock is fine\n"
        "CREATE UNIQUE INDEX posts_one_per_author ON posts (author_id);\n", 1
    ).replace("-- migrate:down\n", "-- migrate:down\nDROP INDEX posts_one_per_author;\n", 1))
    run("safeshift", "rehash")
    run("safeshift", "deploy", "--yes", "--health", HEALTH, expect=1)
    say("The first migration of the release was applied, the second failed: deploy rolled the first back "
        "(on_failure = rollback) and checked the schema; the running app (the previous models) is fine")
    (WORK / "models.py").write_text(good_models)
    run("safeshift", "status")
    # the release was rolled back, so the folder's last migrations are not applied: verify the drift from what is
    run("safeshift", "verify", "--at-applied", "--health", HEALTH)
    for path in (bad, *(WORK / "migrations").glob("*_add_post_pinned.sql")):
        (WORK / "migrations" / "meta" / f"{path.name[:14]}_snapshot.json").unlink(missing_ok=True)
        path.unlink()
    run("safeshift", "rehash", show=False)

    records = sorted((WORK / ".safeshift" / "releases").glob("*.md"))
    say(f"Done in {time.monotonic() - started:.0f} s. The demo project is {WORK.relative_to(ROOT)}; its release "
        f"records are in {records[-1].parent.relative_to(ROOT)}/ (the good one: {records[-2].name}, the rolled-back "
        f"one: {records[-1].name}).")
    # the embedded server keeps running, as it does for a developer, so the project can be explored as left
    stop = os.path.relpath(VENV / "bin" / "safeshift", WORK)
    print(f"The demo's embedded PostgreSQL server keeps running (its data: {WORK.relative_to(ROOT)}/.safeshift/pg; "
          f"the next run empties and reuses it). Stop it now with: (cd {WORK.relative_to(ROOT)} && {stop} dev stop)",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

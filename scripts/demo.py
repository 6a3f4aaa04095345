#!/usr/bin/env python3
"""A narrated release of the example blog on the embedded default database.

Copies examples/blog to .safeshift/demo/blog (fresh each run), then walks the runbook:
apply the existing migrations, change the models for the next release, generate the
migration (up and down), read it, apply it, prove the database matches the models, and
roll the release back and forward again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _bootstrap import ROOT, VENV, ensure_venv

WORK = ROOT / ".safeshift" / "demo" / "blog"


def say(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def run(*args: str, expect: int = 0) -> str:
    exe = VENV / "bin" / "safeshift"
    print(f"$ safeshift {' '.join(args)}", flush=True)
    proc = subprocess.run([str(exe), *args], cwd=WORK, text=True, capture_output=True)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != expect:
        sys.exit(f"demo stopped: `safeshift {' '.join(args)}` exited {proc.returncode}, expected {expect}")
    return proc.stdout


def fresh_copy() -> None:
    python = ensure_venv()
    if WORK.exists():
        subprocess.run([str(python), "-c", "import sys; from pathlib import Path; from safeshift import embedded;"
                        "embedded.stop_server(Path(sys.argv[1]))", str(WORK / ".safeshift" / "pg")], check=False)
        shutil.rmtree(WORK)
    shutil.copytree(ROOT / "examples" / "blog", WORK, ignore=shutil.ignore_patterns("__pycache__", ".safeshift"))


def main() -> int:
    fresh_copy()
    say("1. The committed migrations match the models (what CI checks on every pull request)")
    run("generate", "--check")
    say("2. Apply them to the embedded development database")
    run("migrate")
    say("3. Next release: the models gain email verification; generate the migration")
    shutil.copy(WORK / "models_next.py", WORK / "models.py")
    run("generate", "--name", "add_user_email_verification")
    newest = sorted((WORK / "migrations").glob("*_add_user_email_verification.sql"))[-1]
    say(f"4. Read what was generated: migrations/{newest.name}")
    print(newest.read_text())
    say("4b. Review it for hazards, graded by the live table sizes (data loss, long locks, failing on rows)")
    run("review", "--pending")
    say("5. Apply it: first the plan (nothing changes), then for real")
    run("migrate", "--dry-run")
    run("migrate")
    run("status")
    say("6. Check: the live database equals the models, and nothing is left to generate")
    run("diff")
    run("generate", "--name", "nothing_left")
    say("7. Something broke? Roll the release back (its down section), then forward again")
    run("rollback", "--steps", "1")
    run("status")
    run("migrate")
    say(f"Done. The demo project is in {WORK.relative_to(ROOT)}; its database runs under "
        f"{(WORK / '.safeshift' / 'pg').relative_to(ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

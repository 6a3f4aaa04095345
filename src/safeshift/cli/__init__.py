"""The command line: a thin layer over ``safeshift.api`` that parses flags and formats results.

This module builds the command tree (the ``safeshift`` console script and ``python -m safeshift``
both run ``main``); the commands live by area beside it — authoring (generate, diff, rehash, drop),
running (migrate, rollback, status), checks (review, verify, rehearse), backups (backup, restore),
release (deploy, report), project (init, dev) — over the shared plumbing in common, prompts and
reporter.  Nothing here decides: every command is callable from Python through the API.

Importing it stays cheap (``safeshift restore`` pays only for what it runs): the command modules
import the heavy parts of safeshift inside the commands that need them.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def _interrupted_while_starting(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C while the command is still being loaded: nothing has run, so say so and leave (no traceback
    from the middle of an import; a loaded machine can spend seconds here)."""
    sys.stderr.write("interrupted while starting; nothing was done.\n")
    os._exit(130)


if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, _interrupted_while_starting)

import click  # noqa: E402  (after the handler: loading the commands is the slow part)

from safeshift.cli import adopt, authoring, backups, checks, project, release, running  # noqa: E402
from safeshift.version import __version__  # noqa: E402

if signal.getsignal(signal.SIGINT) is _interrupted_while_starting:
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the commands handle Ctrl-C from here on


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="safeshift")
def main() -> None:
    """safeshift: safe, fast, boring production schema changes."""


for _command in (
    project.init, authoring.generate, checks.review, checks.verify_cmd, checks.rehearse_cmd, backups.backup_cmd,
    backups.restore_cmd, authoring.diff_cmd, authoring.rehash, authoring.drop, running.migrate, running.rollback,
    running.status, release.deploy, release.report, project.dev, adopt.baseline_cmd, adopt.pull_cmd,
):
    main.add_command(_command)

__all__ = ["main"]

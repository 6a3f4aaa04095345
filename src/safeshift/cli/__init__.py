"""The command line: a thin layer over ``safeshift.api`` that parses flags and formats results.

This module builds the command tree (the ``safeshift`` console script and ``python -m safeshift``
both run ``main``); the commands live by area beside it — authoring (generate, diff, rehash, drop),
running (migrate, rollback, status), checks (review, verify, rehearse), backups (backup, restore),
release (deploy, report), project (init, dev) — over the shared plumbing in common, prompts and
reporter.  Nothing here decides: every command is callable from Python through the API.

Importing it stays cheap (``safeshift verify`` pays only for what it runs): the group knows each command
by name and the module that defines it (``COMMANDS``), and imports that one module when the command runs,
so a run of one command never loads the others' modules and what they import; ``safeshift --help``, which
lists every command with its summary, loads them all.  The command modules import the heavy parts of
safeshift inside the commands that need them.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading

from safeshift.interrupts import while_starting as _interrupted_while_starting

if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, _interrupted_while_starting)

import click  # after the handler: loading the commands is the slow part

from safeshift.version import __version__

if signal.getsignal(signal.SIGINT) is _interrupted_while_starting:
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the commands handle Ctrl-C from here on

#: command name -> "module:attribute" of its click command, in the order of the project's workflow
COMMANDS = {
    "init": "project:init", "generate": "authoring:generate", "review": "checks:review",
    "verify": "checks:verify_cmd", "rehearse": "checks:rehearse_cmd", "backup": "backups:backup_cmd",
    "restore": "backups:restore_cmd", "diff": "authoring:diff_cmd", "rehash": "authoring:rehash",
    "drop": "authoring:drop", "migrate": "running:migrate", "rollback": "running:rollback",
    "status": "running:status", "deploy": "release:deploy", "report": "release:report", "dev": "project:dev",
    "baseline": "adopt:baseline_cmd", "pull": "adopt:pull_cmd",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module only when that command is asked for.

    Loading every command module up front cost a run of ``safeshift verify`` the imports of generate,
    backup, the API's whole façade and more; here only ``checks`` is imported for it.  Listing the
    commands (``--help``) asks for each, so it still shows every command with its summary.
    """

    def __init__(self, *args: object, lazy: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in self.lazy:
            return found
        module, attribute = self.lazy[cmd_name].split(":")
        starting = (threading.current_thread() is threading.main_thread()  # only there can a handler be set
                    and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        if starting:  # loading the command is still starting: Ctrl-C here has done nothing yet
            signal.signal(signal.SIGINT, _interrupted_while_starting)
        try:
            command = getattr(importlib.import_module(f"safeshift.cli.{module}"), attribute)
        finally:
            if starting and signal.getsignal(signal.SIGINT) is _interrupted_while_starting:
                signal.signal(signal.SIGINT, signal.default_int_handler)
        if not isinstance(command, click.Command) or command.name != cmd_name:
            raise RuntimeError(f"safeshift.cli.COMMANDS names {self.lazy[cmd_name]} for {cmd_name!r}, "
                               "which is not that command")
        self.add_command(command)  # loaded once
        return command


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="safeshift")
def main() -> None:
    """safeshift: safe, fast, boring production schema changes."""


def run() -> None:
    """The ``safeshift`` script and ``python -m safeshift``: ``main``, then the process ends without the
    interpreter's teardown.

    Freeing every module and object one by one at exit cost 11 to 15 ms (5% of ``safeshift verify`` at 1,000
    tables) and does nothing the operating system does not do for a process that ends.  What an ordinary
    exit promises still happens first: ``atexit`` handlers run (which also run ``weakref.finalize``
    callbacks, such as a TemporaryDirectory's cleanup) and stdout and stderr are flushed.  While another
    thread is alive the exit is the ordinary one, which waits for it.  Calling ``main`` itself (tests, the
    API) is unaffected.
    """
    try:
        main()
        code: str | int | None = 0
    except SystemExit as done:
        code = done.code
    if threading.active_count() > 1:
        sys.exit(code)
    import atexit

    if code is None:
        code = 0
    elif not isinstance(code, int):  # what SystemExit prints for a message
        sys.stderr.write(f"{code}\n")
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`safeshift status | head`)
            stream.flush()
    os._exit(code)


__all__ = ["COMMANDS", "LazyGroup", "main", "run"]

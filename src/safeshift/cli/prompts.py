"""Questions asked on the terminal: is a look-alike a rename, and the typed confirmations a protected
environment or a restore needs.

Each one refuses to guess when there is no terminal to ask on (a CI job), so it lives apart from
the commands that only format; the answers go back to the API, which decides.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from safeshift.config import Config
from safeshift.errors import ConfirmationRequired
from safeshift.terminal import out


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


class TerminalQuestioner:
    """Asks on the terminal whether a look-alike is a rename, like drizzle-kit's prompt.

    There is no default answer: "created" drops the old object with its data, so a stray Enter
    must not choose it (an empty answer asks again).
    """

    def choose(self, kind: str, container: str, added: str, candidates: Sequence[str]) -> str | None:
        out.print(f"\n[bold]{kind.capitalize()} {added}[/] in {container} is new. Is it created, or renamed from:")
        out.print("  0) created (new and empty: no data is carried over)")
        for i, c in enumerate(candidates, 1):
            out.print(f"  {i}) renamed from {c} (keeps its data)")
        choice = click.prompt(f"Answer (0-{len(candidates)})", type=click.IntRange(0, len(candidates)))
        return None if choice == 0 else candidates[choice - 1]


def confirmer(config: Config, yes: bool, action: str) -> Any:
    """The typed confirmation a protected environment asks for, or None where none is needed."""
    env = config.environment()
    if not env.confirm or yes:
        return None

    def confirm(database: str, todo: Sequence[Any]) -> bool:
        if not interactive():
            raise ConfirmationRequired(
                f"Environment '{env.name}' asks for confirmation before it changes and there is no terminal to "
                "ask on; pass --yes to go ahead."
            )
        for m in todo:
            out.print(f"  {m.path.name}")
        typed = click.prompt(f"{action} {len(todo)} migration(s) on {env.name}: type the database name "
                             f"({database}) to go ahead", default="", show_default=False)
        return bool(typed.strip() == database)

    return confirm


def restore_confirmer(config: Config, yes: bool) -> Callable[[str], bool] | None:
    """Restoring over a database always asks for its name to be typed, unless --yes."""
    if yes:
        return None

    def confirm(database: str) -> bool:
        if not interactive():
            raise ConfirmationRequired(
                f"Restoring over environment '{config.env_name}' replaces everything in its database and there is "
                "no terminal to ask on; pass --yes to go ahead."
            )
        typed = click.prompt(f"This replaces everything in {database} ({config.env_name}) with the backup: type the "
                             f"database name ({database}) to go ahead", default="", show_default=False)
        return bool(typed.strip() == database)

    return confirm

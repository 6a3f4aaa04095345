"""How a run's progress reaches the operator: runner events as lines for people, or JSON lines for
machines (--log-json), and gate notes and failures in the same two forms.

migrate, rollback and deploy all report through this one sink, so a CI log reads the same whichever
command changed the database.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from typing import Any

from safeshift.cli.common import F
from safeshift.errors import SafeshiftError
from safeshift.terminal import LiveLine, escape, out, warm
from safeshift.text import elapsed, redact_url, utc_iso


class Reporter:
    """Turns runner events into lines for people, or JSON lines for machines.

    What runs right now is shown too, so a long statement (a concurrent index build) is never a
    silent wait: on a terminal, a live line with the step's statement and its elapsed time;
    off a terminal (a CI log), a line when each step of a migration with several steps (the
    lock-safe form) starts and one when it is committed, with its duration.  A migration of one
    step gets no extra line there: its start and ``applied ... in N ms`` lines say it all, so a
    run of 500 migrations does not flood the log.  The JSON log is unchanged (no step_start).
    """

    def __init__(self, log_json: bool, verb: str) -> None:
        self.log_json = log_json
        self.verb = verb
        # into a file or a CI log, progress lines skip rich's markup pass (a run of 500 migrations
        # spent a quarter of a second there)
        self.plain = not out.is_terminal
        #: the step running now: (number, of how many, what, started at)
        self._open: tuple[int, int, str, float] | None = None
        self._live: LiveLine | None = None

    def line(self, rich_text: str, plain_text: str) -> None:
        if self.plain:
            sys.stdout.write(plain_text + "\n")
            sys.stdout.flush()  # a CI log shows what started while it runs
        else:
            out.print(rich_text)

    def _step_started(self, event: Any) -> None:
        self._step_ended(committed=True)
        number, total = (event.step or 0) + 1, event.steps or 1
        statement = redact_url(event.message)
        what = f"step {number} of {total}: {statement}" if total > 1 else statement
        self._open = (number, total, what, time.monotonic())
        if not self.plain:
            self._live = self._live or LiveLine(out)
            self._live.push(f"  {what}")
        elif total > 1:
            self.line("", f"  step {number} of {total} started: {statement}")

    def _step_ended(self, *, committed: bool, announced: bool = False) -> None:
        """Close the open step; ``announced``: the runner said it committed (a step that ran alone)."""
        if self._open is None:
            return
        number, total, what, started = self._open
        self._open = None
        if self._live is not None:
            self._live.pop(f"  {what}")
        if committed and total > 1 and (self.plain or announced):
            text = f"  step {number} of {total} committed in {elapsed(time.monotonic() - started)}"
            self.line(escape(text), text)

    def __call__(self, event: Any) -> None:
        if self.log_json:
            if event.kind == "step_start":  # progress only: the JSON log keeps its events
                return
            self.json(event.kind, version=event.version or None, name=event.name or None,
                      duration_ms=event.duration_ms, message=redact_url(event.message) or None, step=event.step,
                      steps=event.steps, attempt=event.attempt)
            return
        if event.kind == "step_start":
            self._step_started(event)
            return
        if event.kind in ("step", "applied", "rolled_back", "failed", "skipped", "start"):
            self._step_ended(committed=event.kind in ("step", "applied", "rolled_back"),
                             announced=event.kind == "step")
        label = f"{event.version}_{event.name}"
        if event.kind == "start":
            resume = f" (resuming at step {event.step + 1} of {event.steps})" if event.step else ""
            text = f"{self.verb} {label}{resume} ..."
            self.line(escape(text), text)
        elif event.kind in ("applied", "rolled_back"):
            retries = f", after {event.attempt} lock retr{'y' if event.attempt == 1 else 'ies'}" if event.attempt else ""
            done = "applied" if event.kind == "applied" else "rolled back"
            tail = f" {label} in {event.duration_ms} ms{retries}"
            self.line(f"  [green]{done}[/]{escape(tail)}", f"  {done}{tail}")
        elif event.kind == "step":
            pass  # said when the step was closed above, with its duration
        elif event.kind == "retry":
            out.print(f"  [yellow]lock timeout[/]: {escape(redact_url(event.message))} (try {event.attempt})")
        elif event.kind == "skipped":
            out.print(f"  skipped {label}: {escape(redact_url(event.message))}")
        elif event.kind == "note":
            out.print(f"  {escape(redact_url(event.message))}")

    def json(self, event: str, **fields: Any) -> None:
        import json

        record = {"ts": utc_iso(zulu=False), "event": event}
        record.update({k: v for k, v in fields.items() if v is not None})
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


def sayer(report: Reporter) -> Callable[[str], None]:
    """Lines about the environment's gates: text, or JSON "note" events with --log-json."""

    def say(text: str) -> None:
        if report.log_json:
            report.json("note", message=redact_url(text))
        else:
            out.print(escape(redact_url(text)))

    return say


def json_errors(fn: F) -> F:
    """With --log-json every failure (a missing URL as much as a failed migration) is also one JSON line
    on stdout, so a pipeline reading only stdout sees it."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        warm()
        try:
            return fn(*args, **kwargs)
        except SafeshiftError as exc:
            if kwargs.get("log_json"):
                Reporter(True, "").json("error", message=redact_url(exc.message), exit_code=exc.exit_code,
                                        error=type(exc).__name__)
            raise

    return wrapper  # type: ignore[return-value]

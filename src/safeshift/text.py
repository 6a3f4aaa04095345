"""Small text helpers that every layer needs, each spelled once.

URL redaction, durations (parsed from configuration, measured, printed), one-line SQL and error
summaries, how a path is shown to the user, UTC time stamps and the time-sortable ids of backups,
release records and rehearsal reports.  This is the ground layer: it imports nothing from
safeshift but ``errors``, so the lowest modules (dialects, history) can use it without reaching
into configuration or the runner.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from safeshift.errors import ConfigError

# -- passwords ----------------------------------------------------------------------------------

# one slash too: a URL that went through a path normaliser ("postgresql:/app:pw@host") still hides its password
_PASSWORD_IN_URL = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*:/{1,2}[^:/@\s]*:)(?P<pw>[^\s/?#]*)(?P<at>@)")
_PASSWORD_PARAM = re.compile(r"(?P<head>\bpassword=)(?P<pw>[^&\s]+)", re.IGNORECASE)


def redact_url(text: str) -> str:
    """Replace every password in ``text`` (URLs or ``password=`` parameters) with ``***``."""
    text = _PASSWORD_IN_URL.sub(lambda m: m["head"] + ("***" if m["pw"] else "") + m["at"], text)
    return _PASSWORD_PARAM.sub(lambda m: m["head"] + "***", text)


# -- durations ----------------------------------------------------------------------------------

#: a duration as configuration spells it: "5s", "500ms", "2min", "1h", "1d" or a bare number of seconds
DURATION = re.compile(r"\d+\s*(ms|s|min|h|d)?")
_UNIT_MS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def duration_ms(text: str) -> int:
    """Milliseconds in a validated duration such as "5s", "500ms" or "2min" (a bare number is seconds)."""
    m = re.fullmatch(r"(\d+)\s*(ms|s|min|h|d)?", text.strip())
    if m is None:
        raise ConfigError(f"{text!r} is not a duration such as \"5s\" or \"500ms\".")
    return int(m[1]) * _UNIT_MS[m[2] or "s"]


def ms_since(start: float, clock: Callable[[], float] = time.perf_counter) -> int:
    """Whole milliseconds from ``start`` to now, read on the clock ``start`` came from."""
    return int((clock() - start) * 1000)


def elapsed(seconds: float) -> str:
    """``35 ms``, ``2.4 s``, ``12 s``, ``3 min 05 s``, ``1 h 02 min``: short enough for a live line."""
    if seconds < 1:
        return f"{int(seconds * 1000)} ms"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


# -- one line -----------------------------------------------------------------------------------

def first_line(exc: BaseException) -> str:
    """The first line of an error's text (drivers add context lines below it), else its class name."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def oneline(sql: str) -> str:
    """``sql`` with every run of white space (newlines too) folded to one space."""
    return " ".join(sql.split())


def shorten(sql: str, limit: int = 160) -> str:
    """``sql`` on one line, cut to ``limit`` characters with ``...`` when longer."""
    text = oneline(sql)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- paths --------------------------------------------------------------------------------------

def display_path(path: Path, root: Path | None = None) -> str:
    """``path`` as the user would type it: relative to ``root`` (the current folder by default)
    when it lies below it, else as given."""
    try:
        return str(path.resolve().relative_to((root or Path.cwd()).resolve()))
    except ValueError:
        return str(path)


# -- time ---------------------------------------------------------------------------------------

def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_iso(when: datetime | None = None, timespec: Literal["seconds", "milliseconds"] = "milliseconds", *,
            zulu: bool = True) -> str:
    """``2026-03-01T12:00:00.123Z`` (``+00:00`` instead of ``Z`` when not ``zulu``) for ``when`` or now."""
    text = (when or utc_now()).isoformat(timespec=timespec)
    return text.replace("+00:00", "Z") if zulu else text


def stamp_id(when: datetime, tail: str) -> str:
    """``20260301T120000123Z_tail``: a UTC time to the millisecond that sorts as text, then ``tail``;
    how backups, release records and rehearsal reports are named."""
    return f"{when.strftime('%Y%m%dT%H%M%S')}{when.microsecond // 1000:03d}Z_{tail}"

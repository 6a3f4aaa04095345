"""Catalog reads begun before the command line is even loaded: ``safeshift verify --url URL``.

``verify`` spends most of its time on two things that need not wait for each other: the server reading its
catalog, and this process importing the command line, the configuration, the model and the dialect.
``api.verify`` already sends the reads before the model is imported (``engines.base.read_ahead``); but by then
the process has loaded click, the command's module and the project's configuration, about a fifth of the
command's time, with the server idle.  When the URL is on the command line, the script's ``main`` hands the
arguments here first, and the reads go out before any of that is imported.

Nothing is decided here.  The reader is only kept: ``api.verify`` takes it (``take``) when it has resolved the
same URL to the same dialect by the usual rules, and otherwise closes it and reads as before.  A failure to
connect is kept too and raised there, at the moment the usual path would have raised it, so a wrong URL or a
server that is down reads exactly as before and never before the configuration's own errors.  An untaken
reader is closed at exit.  The command still decides what the URL is: this only guesses, from the arguments,
what it will most likely be.
"""

from __future__ import annotations

import signal
from typing import Any

#: (dialect name, URL, reader or None, the error connecting raised or None), until ``take`` or exit
_begun: tuple[str, str, Any, BaseException | None] | None = None


def verify_url(argv: list[str]) -> str | None:
    """The ``--url`` of a ``verify`` command line (``verify ... --url URL`` or ``--url=URL``), else None.

    Only the plain form is recognised: the command name first, no help asked for.  Anything else (another
    command, options before the command, ``--help``) is left to the command line as it is."""
    if not argv or argv[0] != "verify" or "--help" in argv or "-h" in argv:
        return None
    found = None
    for i, arg in enumerate(argv[1:], 1):
        if arg == "--url" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--url="):
            found = arg[len("--url="):]
    return found


def begin(argv: list[str]) -> None:
    """Send the catalog reads of ``verify --url URL`` (``argv``: the arguments after the program's name); any
    other command line, or a URL whose engine does not read ahead, does nothing."""
    global _begun
    url = verify_url(argv)
    if url is None:
        return
    from safeshift import interrupts
    from safeshift.dialects import name_for_url
    from safeshift.errors import ConfigError

    try:
        name = name_for_url(url)
    except ConfigError:
        return  # not a database URL: the command says so, in its own words

    default = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if default:  # still starting: a Ctrl-C while connecting has done nothing
        signal.signal(signal.SIGINT, interrupts.while_starting)
    try:
        from safeshift.engines.base import read_ahead

        try:
            _begun = (name, url, read_ahead(name, url), None)  # None where the engine does not read ahead
        except Exception as exc:  # raised by ``take``, where the usual path would raise it
            _begun = (name, url, None, exc)
    finally:
        if default:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    import atexit

    atexit.register(_close_untaken)


def take(name: str, url: str) -> Any | None:
    """The reader begun for ``url`` as dialect ``name`` (its error connecting, raised), or None when none was
    begun or it was begun for another URL or dialect (that one is closed)."""
    global _begun
    found, _begun = _begun, None
    if found is None:
        return None
    begun_name, begun_url, reader, error = found
    if (begun_name, begun_url) != (name, url):
        if reader is not None:
            reader.close()
        return None
    if error is not None:
        raise error
    return reader


def _close_untaken() -> None:
    """At exit: a reader no command took (the command failed before it read) is closed, not dropped with an
    open transaction."""
    global _begun
    found, _begun = _begun, None
    if found is not None and found[2] is not None:
        found[2].close()

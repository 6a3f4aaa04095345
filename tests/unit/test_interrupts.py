"""Ctrl-C is never swallowed: a signal that lands inside a callback whose exceptions Python only prints
("Exception ignored in ...") is raised again once the callback has returned (``safeshift.interrupts``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

_SCRIPT = textwrap.dedent('''
    import os, signal, time
    from safeshift import interrupts

    class Finalized:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)  # arrives while __del__ still runs
            time.sleep(0.05)

    interrupts.install()
    try:
        Finalized()
        time.sleep(2)
        print("not interrupted")
    except KeyboardInterrupt:
        print("interrupted")
''')


def test_a_signal_inside_a_finalizer_is_raised_after_it_not_lost() -> None:
    done = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "interrupted", (done.stdout, done.stderr)
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_without_the_handler_python_swallows_it() -> None:
    """What the handler is for: Python's own handler raises inside ``__del__``, which prints and carries on."""
    script = _SCRIPT.replace("interrupts.install()\n", "")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "not interrupted"
    assert "Exception ignored" in done.stderr

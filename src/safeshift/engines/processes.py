"""Client tools (dump, restore, load) as child processes, the same way for every engine: stderr kept in a
temporary file (a failing tool can say a lot; only its last error line is wanted), the process killed when
the caller's block fails or Ctrl-C arrives (never left writing into a database nobody watches), and a
non-zero exit turned into one ``BackupError`` sentence that the engine words (its tool names, its
redaction of passwords).  What to run and how to read a tool's error is the engine's own (``engines/*/tools``).
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, Any

from safeshift.errors import BackupError

#: what a failed tool says, as the engine words it: its stderr (a temp file) and exit code -> one sentence
Failure = Callable[[IO[bytes], int], str]


@contextlib.contextmanager
def running(cmd: Sequence[str], fail: Failure, **popen: Any) -> Iterator[subprocess.Popen[bytes]]:
    """``cmd`` running while the block feeds or drains it; killed if the block fails; ``BackupError(fail(...))``
    if it then exits non-zero."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(list(cmd), stderr=err, **popen)
        with killed_on_error(proc):
            yield proc
        code = proc.wait()
        if code != 0:
            raise BackupError(fail(err, code))


@contextlib.contextmanager
def killed_on_error(*procs: subprocess.Popen[bytes]) -> Iterator[None]:
    """Kill and reap ``procs`` when the block fails (Ctrl-C included), then let the error go on."""
    try:
        yield
    except BaseException:
        for proc in procs:
            proc.kill()
            proc.wait()
        raise


def pipe(first: Sequence[str], second: Sequence[str], first_fail: Failure, second_fail: Failure, *,
         first_env: Mapping[str, str] | None = None, second_env: Mapping[str, str] | None = None) -> None:
    """``first | second`` (a dump into a load) without a file in between.  Both are killed on Ctrl-C; the
    first gets a broken pipe if the second quits; a non-zero exit of either is its ``BackupError``."""
    with tempfile.TemporaryFile() as err1, tempfile.TemporaryFile() as err2:
        dump = subprocess.Popen(list(first), env=None if first_env is None else dict(first_env),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err1)
        try:
            load = subprocess.Popen(list(second), env=None if second_env is None else dict(second_env),
                                    stdin=dump.stdout, stdout=subprocess.DEVNULL, stderr=err2)
            assert dump.stdout is not None
            dump.stdout.close()  # the load's end only: the dump sees a broken pipe if the load quits
            with killed_on_error(load):
                load.wait()
            dump.wait()
        finally:
            if dump.poll() is None:
                dump.kill()
                dump.wait()
        if dump.returncode != 0:
            raise BackupError(first_fail(err1, dump.returncode))
        if load.returncode != 0:
            raise BackupError(second_fail(err2, load.returncode))


__all__ = ["Failure", "killed_on_error", "pipe", "running"]

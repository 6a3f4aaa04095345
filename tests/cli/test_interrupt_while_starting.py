"""Ctrl-C while the command is still being loaded (seconds on a loaded machine) ends quietly: no traceback
from the middle of an import, exit 130, and nothing was done."""

from __future__ import annotations

import subprocess
import sys

#: run the CLI with Ctrl-C arriving exactly while its commands are being imported
_DRIVER = """
import importlib.abc, os, runpy, signal, sys

class _Interrupt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "safeshift.cli.running":  # the module of `status`, loaded when the command is asked for
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, _Interrupt())
sys.argv = ["safeshift", "status"]
runpy.run_module("safeshift.cli", run_name="__main__")
"""


def test_ctrl_c_while_loading_the_commands_says_nothing_was_done(tmp_path: object) -> None:
    done = subprocess.run([sys.executable, "-c", _DRIVER], capture_output=True, text=True, timeout=60,
                          cwd=str(tmp_path), check=False)
    assert done.returncode == 130, done.stderr
    assert done.stderr == "interrupted while starting; nothing was done.\n"
    assert done.stdout == ""

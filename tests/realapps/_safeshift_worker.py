"""Run by a corpus venv's interpreter: safeshift's CLI, kept in one process for a case's many commands.

Each command of a case (diff, generate, migrate, verify, baseline, ...) started a new interpreter that
imported the app's models again: mlflow's take about 2.6 s to import, seven times per case and backend.
Here the app's packages stay imported; each request runs one command in this process (click's CliRunner,
as the suite's in-process tests do) from the project folder, and what the command changed is put back
afterwards: the working folder, the environment (the CLI loads ``.env``), ``sys.path``, and the modules
imported from the project folder, so the next project imports its own.

Protocol: one JSON object per line on stdin, ``{"cwd": ..., "args": [...]}``; one JSON answer per line,
``{"code": ..., "out": ..., "err": ...}``, on the file descriptor the lead opened as stdout (the process's
own stdout is sent to stderr, so nothing a command writes there can break the protocol).
"""

import json
import os
import sys
import traceback


def main() -> None:
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever writes to fd 1 from now on goes to stderr
    sys.stdout = sys.stderr
    from click.testing import CliRunner

    from safeshift.cli import main as cli

    for line in sys.stdin:
        request = json.loads(line)
        cwd = os.path.realpath(request["cwd"])
        env, path, modules = dict(os.environ), list(sys.path), set(sys.modules)
        try:
            os.chdir(cwd)
            result = CliRunner().invoke(cli, request["args"], catch_exceptions=True)
            code, out, err = result.exit_code, result.stdout, result.stderr
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                err += "".join(traceback.format_exception(result.exception))
        except BaseException as exc:  # the lead fails the test with it
            code, out, err = 1, "", "".join(traceback.format_exception(exc))
        finally:
            os.chdir("/")
            os.environ.clear()
            os.environ.update(env)
            sys.path[:] = path
            for name in set(sys.modules) - modules:
                where = getattr(sys.modules.get(name), "__file__", None) or ""
                if os.path.realpath(where).startswith(cwd + os.sep):
                    del sys.modules[name]
        answers.write(json.dumps({"code": code, "out": out, "err": err}) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()

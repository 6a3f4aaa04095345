"""Run by migra's own interpreter (.peers/migra): migra's command, kept in one process for many comparisons.

Starting migra costs about a second (its imports and SQLAlchemy's), which the pair tests paid twice per
pair.  This loop reads one JSON list of command-line arguments per line from stdin and answers one JSON
object per line: the exit code and what migra printed, exactly as the command would have.
"""

import io
import json
import sys

from migra.command import parse_args, run
from sqlbag import sqla


def _close_connections() -> None:
    """sqlbag keeps an engine (and its pooled connection) per URL for the life of the process; the test
    databases are new every time and dropped behind the tests, so each comparison's connections end with it."""
    for maker in sqla.SCOPED_SESSION_MAKERS.values():
        maker.remove()
        maker.session_factory.kw["bind"].dispose()
    sqla.SCOPED_SESSION_MAKERS.clear()


def main() -> None:
    for line in sys.stdin:
        out, err = io.StringIO(), io.StringIO()
        try:
            code = run(parse_args(json.loads(line)), out=out, err=err)
        except Exception as exc:  # reported to the test, which fails with it
            code, err = 1, io.StringIO(f"{type(exc).__name__}: {exc}")
        finally:
            _close_connections()
        sys.stdout.write(json.dumps({"code": code, "out": out.getvalue(), "err": err.getvalue()}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

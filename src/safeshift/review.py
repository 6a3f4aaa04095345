"""`safeshift review` and the hazard gate of `migrate`: which files, which live facts, which verdict.

The rules themselves are pure (``safeshift.lint``); this module picks the files (given ones,
the pending ones of a database, or the ones not yet reviewed), reads table sizes from a
live database when asked, and remembers which files passed so the default stays short.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safeshift import history
from safeshift.config import FolderSettings
from safeshift.engines.base import engine_for
from safeshift.errors import ConfigError, HazardBlocked, SafeshiftError
from safeshift.formats import safeshift as migrations
from safeshift.formats.safeshift import MigrationFolder
from safeshift.sections import MIGRATION_RE, Migration
from safeshift.text import display_path

if TYPE_CHECKING:
    from safeshift.dialects.base import Dialect
    from safeshift.lint import Facts, Finding
    from safeshift.model import Schema

#: migrations that passed review, by label, with the sha256 they had then
REVIEWED_FILE = "reviewed.json"


@dataclass(frozen=True)
class ReviewResult:
    files: tuple[Path, ...]
    findings: tuple[Finding, ...]

    @property
    def blocking(self) -> tuple[Finding, ...]:
        from safeshift.lint import unacknowledged_errors

        return tuple(unacknowledged_errors(self.findings))


def live_facts(dialect: Dialect, url: str, *, exact: Sequence[str] = ()) -> dict[str, Facts]:
    """Row estimates and sizes of every table, keyed ``schema.table`` (and ``table`` in the default schema).

    A table never analysed has no estimate; for those named in ``exact`` (``table`` or
    ``schema.table``) one row is read to tell an empty table from an unknown one.
    """
    conn = _connect(dialect, url)
    try:
        return _facts(dialect, conn, engine_for(dialect).table_facts(conn), exact)
    finally:
        conn.close()


def _facts(dialect: Dialect, conn: Any, raw: dict[str, tuple[int | None, int | None]],
           exact: Sequence[str]) -> dict[str, Facts]:
    from safeshift.lint import Facts

    wanted = {n if "." in n else f"{dialect.default_schema}.{n}" for n in exact}
    unknown = [k for k, (rows, _) in raw.items() if rows is None and k in wanted]
    empty = engine_for(dialect).empty_tables(conn, unknown) if unknown else set()
    out: dict[str, Facts] = {}
    for key, (rows, size) in raw.items():
        facts = Facts(exists=True, row_estimate=0 if key in empty else rows, size_bytes=size)
        out[key] = facts
        schema, _, table = key.partition(".")
        if schema == dialect.default_schema:
            out.setdefault(table, facts)
    return out


def review_files(paths: Sequence[Path], *, facts: dict[str, Facts] | None = None,
                 dialect: str = "postgresql") -> ReviewResult:
    """Review files as ``dialect``'s SQL; a file of a safeshift migrations folder is judged against the
    schema before it (``schema_before``) where the dialect's rules want it."""
    from safeshift.lint import review_file

    findings: list[Finding] = []
    for p in paths:
        if not p.is_file():
            raise ConfigError(f"{p} does not exist; name migration or SQL files to review.")
        findings += review_file(p, facts=facts, dialect=dialect, schema=schema_before(p, dialect))
    return ReviewResult(tuple(paths), tuple(findings))


def schema_before(path: Path, dialect: str) -> Schema | None:
    """The schema a migration file of a safeshift folder starts from: the snapshot of the newest migration
    before it (None for the first migration, a file outside a migrations folder, or a dialect whose rules
    judge statements alone).  A SQLite rebuild copies the columns it keeps; this says which ones it drops."""
    from safeshift.lint.reviewers import WANTS_SCHEMA

    found = MIGRATION_RE.fullmatch(path.name)
    if dialect not in WANTS_SCHEMA or found is None:
        return None
    version = found["version"]
    try:
        earlier = [(v, p) for v, p in migrations.snapshot_files(path.parent) if v < version]
        return migrations.read_snapshot(earlier[-1][1]) if earlier else None
    except (OSError, ValueError, SafeshiftError):  # no folder or an unreadable snapshot: review without it
        return None


def review_migration_of(m: Migration, dialect: Dialect, *, facts: Mapping[str, Facts] | None = None,
                        file: str | None = None) -> list[Finding]:
    """``lint.review_migration`` of a folder's migration as ``dialect``'s SQL, from the schema before it."""
    from safeshift.lint import review_migration

    return review_migration(m, file=file, facts=facts, dialect=dialect.name, schema=schema_before(m.path, dialect.name))


def unreviewed(folder: Path) -> list[Migration]:
    """Migrations not yet reviewed, or edited since they passed (a safeshift folder: drizzle's keep their marks
    elsewhere, ``drizzle.unreviewed``; so the format is not detected, a configured one may differ)."""
    return unreviewed_in(migrations.read_folder(folder).migrations, _reviewed_path(folder))


def mark_reviewed(folder: Path, result: ReviewResult) -> None:
    """Remember the folder's migrations among ``result.files`` that have no unacknowledged error."""
    mark_reviewed_in(migrations.read_folder(folder).migrations, result, _reviewed_path(folder))


def unreviewed_in(candidates: Sequence[Migration], reviewed: Path) -> list[Migration]:
    """Those of ``candidates`` the reviewed set at ``reviewed`` lacks, or has for other text."""
    done = load_reviewed(reviewed)
    return [m for m in candidates if done.get(m.label) != m.sha256]


def mark_reviewed_in(candidates: Sequence[Migration], result: ReviewResult, reviewed: Path) -> None:
    """Add to the reviewed set at ``reviewed`` those of ``candidates`` that ``result`` reviewed without an
    unacknowledged error.  Paths compare resolved: findings name files as the command line did."""
    files = {p.resolve() for p in result.files}
    blocked = {Path(f.file).resolve() for f in result.blocking if f.file}
    done = load_reviewed(reviewed)
    for m in candidates:
        where = m.path.resolve()
        if where in files and where not in blocked:
            done[m.label] = m.sha256
    reviewed.parent.mkdir(parents=True, exist_ok=True)
    reviewed.write_text(json.dumps(dict(sorted(done.items())), indent=1) + "\n", encoding="utf-8")


# -- drizzle-kit folders: reviewed as safeshift runs them -------------------------------------------

def review_drizzle_paths(folder: MigrationFolder, paths: Sequence[Path], *, facts: Mapping[str, Facts] | None = None,
                 settings: FolderSettings | None = None, dialect: Dialect | None = None) -> ReviewResult:
    """Review files, reading those of the drizzle folder as safeshift runs them.

    A drizzle migration is one step of a single transaction under safeshift's lock_timeout,
    so it is reviewed like a safeshift migration's up section (``lint.review_migration``),
    whether or not drizzle-kit put a breakpoint in it; other files are reviewed as usual.
    A migration's down file (``.safeshift/drizzle-down/``, when one was written for it) is
    reviewed too, its findings marked ``section="down"`` and named by that file.
    ``dialect``: the folder's (a MySQL folder's SQL is MySQL's, each statement a step of its own, so the fixes
    for a single transaction do not apply; its rules see the schema of the snapshots before the migration).
    """
    from safeshift.formats.drizzle import down_dir, drizzle_fix, expected_schema
    from safeshift.lint import review_down, review_file, review_migration
    from safeshift.lint.reviewers import WANTS_SCHEMA
    from safeshift.sections import parse_sql_allows

    name = dialect.name if dialect is not None else "postgresql"
    # the fixes for a single transaction do not apply where each DDL statement commits alone (MySQL)
    fix = drizzle_fix if dialect is None or dialect.capabilities.transactional_ddl else _unchanged

    mine = {m.path.resolve(): m for m in folder.migrations}
    downs = down_dir(folder.path, settings) if any(m.down_statements for m in folder.migrations) else None
    findings: list[Finding] = []
    for p in paths:
        if not p.is_file():
            raise ConfigError(f"{p} does not exist; name migration or SQL files to review.")
        m = mine.get(p.resolve())
        if m is None:
            findings += review_file(p, facts=facts, dialect=name)
            continue
        index = folder.migrations.index(m)
        before = (expected_schema(folder, folder.versions[:index], dialect) if name in WANTS_SCHEMA and index
                  else None)
        findings += [fix(f) for f in review_migration(m, file=str(p), facts=facts, dialect=name,
                                                              schema=before)]
        down_file = downs / f"{m.version}.sql" if downs is not None and m.down_statements else None
        if down_file is not None and down_file.is_file():
            text = down_file.read_text(encoding="utf-8")  # as written: the statements' lines are its lines
            label = display_path(down_file)
            allows = parse_sql_allows(text, label)[1]
            findings += [fix(f) for f in review_down(m.down_statements, text, file=label,
                                                     facts=facts, allows=allows, dialect=name)]
    return ReviewResult(tuple(paths), tuple(findings))


def _unchanged(f: Finding) -> Finding:
    return f


#: which drizzle migrations passed review (label -> hash), under ``.safeshift/``: drizzle-kit
#: reads every JSON file in ``meta/`` as a snapshot and refuses one that is not
DRIZZLE_REVIEWED_FILE = "drizzle-reviewed.json"


def drizzle_unreviewed(folder: MigrationFolder, state_dir: Path) -> list[Migration]:
    """A drizzle folder's migrations not yet reviewed, or edited since they passed."""
    return unreviewed_in(folder.migrations, state_dir / DRIZZLE_REVIEWED_FILE)


def mark_drizzle_reviewed(folder: MigrationFolder, result: ReviewResult, state_dir: Path) -> None:
    """Remember the drizzle folder's migrations among ``result.files`` that have no unacknowledged error."""
    mark_reviewed_in(folder.migrations, result, state_dir / DRIZZLE_REVIEWED_FILE)


def _reviewed_path(folder: Path) -> Path:
    return folder / migrations.META_DIR / REVIEWED_FILE


def gate(pending: Sequence[Migration], dialect: Dialect, url: str, *,
         history_table: tuple[str, str] | None = None,
         written: Mapping[Migration, Sequence[Finding]] | None = None) -> tuple[Finding, ...]:
    """The unacknowledged error findings of the migrations a run is about to apply.

    Graded with the live database's facts, so a change to a table that is new or empty
    (a fresh environment) does not block, while the same change on a busy table does.
    ``history_table`` (a drizzle folder's ``(schema, table)``) is bookkeeping like safeshift's
    own history: a database holding only those has no app tables yet.  ``written`` is each
    migration's ``lint.review_migration`` (no facts) when the caller has it already, as deploy
    does: a file is reviewed once per run.
    """
    if not dialect.capabilities.hazard_review or not pending:
        return ()
    from safeshift.lint import regrade, unacknowledged_errors
    from safeshift.lint.rules import ROWS_GRADED

    bookkeeping = {".".join(history_table)} if history_table else set()
    if not dialect.capabilities.schemas:  # the history table sits among the app's tables
        bookkeeping.add(f"{dialect.default_schema}.{history.TABLE}")
    engine = engine_for(dialect)
    conn = _connect(dialect, url, lock_wait_ms=GATE_WAIT_MS)
    try:
        try:
            tables = engine.table_facts(conn)
        except Exception as exc:
            if not engine.is_runner_busy(exc):
                raise
            # another runner is writing (SQLite's lock, held past the wait): judged without facts, which only
            # ever lower a finding or grade a copy by its rows, so nothing passes that facts would have stopped
            found = written if written is not None else {m: review_migration_of(m, dialect) for m in pending}
            return tuple(f for m in pending for f in unacknowledged_errors(found[m]))
        if all(key.startswith(f"{history.SCHEMA}.") or key in bookkeeping for key in tables):
            return ()  # a database without tables has no rows to lose and no app to break
        found = written if written is not None else {m: review_migration_of(m, dialect) for m in pending}
        # errors, and findings graded by row count (a SQLite rebuild), which facts may raise to an error
        first = {m: [f for f in found[m] if f in unacknowledged_errors(found[m])
                     or (f.rule in ROWS_GRADED and not f.acknowledged and f.section == "up")] for m in pending}
        suspects = [m for m, errors in first.items() if errors]
        if not suspects:
            return ()
        facts = _facts(dialect, conn, tables, sorted({f.table for m in suspects for f in first[m] if f.table}))
    finally:
        conn.close()
    # facts lower a finding (a new or empty table) or grade it by rows, so only the suspects are graded again
    return tuple(f for m in suspects for f in unacknowledged_errors(regrade(e, facts) for e in first[m]))


def allowed_by_version(pending: Sequence[Migration], blocking: Sequence[Finding]) -> dict[str, str]:
    """What ``--allow-hazards`` let through, per migration, for its history row: ``rule (line N), ...``."""
    out: dict[str, str] = {}
    for m in pending:
        found = [f"{f.rule} (line {f.line})" for f in blocking if f.file == str(m.path)]
        if found:
            out[m.version] = ", ".join(found)
    return out


def refuse(blocking: Sequence[Finding], folder: MigrationFolder | None = None) -> HazardBlocked:
    """The gate's refusal, naming the first blocking finding and how to acknowledge it in ``folder``'s format:
    a comment above the statement, or (a drizzle folder, whose files' hashes drizzle records) ``review --accept``,
    saying so when an acceptance recorded for an earlier text of the file no longer holds."""
    first = blocking[0]
    where = f"{Path(first.file).name}:{first.line}" if first.file else "?"
    more = f" (and {len(blocking) - 1} more)" if len(blocking) > 1 else ""
    how = f"add `-- safeshift:allow {first.rule} <reason>` above the statement"
    from safeshift.formats import folder as formats

    if folder is not None and not formats.of(folder).allow_comments:
        from safeshift.formats.drizzle.accept import ACCEPT_FILE, stale

        shown = display_path(Path(first.file)) if first.file else "FILE"
        how = f'accept it with `safeshift review --accept {first.rule} {shown}:{first.line} --reason "..."`'
        m = next((m for m in folder.migrations if first.file and m.path.resolve() == Path(first.file).resolve()), None)
        old = stale(folder.path, m, first.rule) if m is not None else None
        if old is not None:
            how = (f"{how} (its acceptance in {folder.path.name}/{ACCEPT_FILE} was for an earlier text of the file, "
                   f"sha256 {old.sha256[:12]}, and no longer holds)")
    return HazardBlocked(
        f"{where} has an unacknowledged hazard [{first.rule}]: {first.message.rstrip('.')}{more}; run `safeshift review`, "
        f"then fix it or {how}, or pass --allow-hazards.")


def accept(folder: MigrationFolder, rule: str, where: str, reason: str, dialect: str = "postgresql"
           ) -> tuple[Path, str]:
    """Record that ``rule`` at ``where`` (``FILE:LINE``) in a drizzle folder was reviewed and accepted.

    Only a finding review really reports there can be accepted (a typo must not pass silently),
    and only in a folder whose files cannot carry ``-- safeshift:allow``.  Returns the file written
    and the accepted text's sha256.
    """
    from safeshift.formats import folder as formats
    from safeshift.formats.drizzle.accept import accept_path, record
    from safeshift.lint import review_migration
    from safeshift.lint.sql import canonical_rule, covers

    file, _, number = where.rpartition(":")
    if not file or not number.isdigit():
        raise ConfigError(f"--accept {rule} {where}: give the place as FILE:LINE, as `safeshift review` prints it "
                          "(e.g. drizzle/0004_drop_title.sql:1).")
    line = int(number)
    path = Path(file)
    m = next((m for m in folder.migrations if m.path.resolve() == path.resolve()
              or (path.parent == Path(".") and m.path.name == path.name)), None)
    if m is None:
        raise ConfigError(f"--accept: {file} is not a migration of {folder.path.name}/; name one of its .sql files "
                          "as `safeshift review` prints it.")
    if formats.of(folder).allow_comments:
        raise ConfigError(f"{m.path.name} can carry its acknowledgement: add `-- safeshift:allow {rule} <reason>` "
                          f"directly above line {line} instead of --accept.")
    if not reason.strip():
        raise ConfigError('--accept needs --reason "...": say why the hazard is acceptable, for whoever reads it next.')
    rule = canonical_rule(rule)
    reported = review_migration(m, dialect=dialect)  # the folder's SQL, as `safeshift review` reads it
    found = [f for f in reported if f.line == line and f.section == "up" and covers(rule, f.rule)]
    if not found:
        at_line = sorted({f.rule for f in reported if f.line == line and f.section == "up"})
        have = f" (it has: {', '.join(at_line)})" if at_line else ""
        raise ConfigError(f"{display_path(m.path)}:{line} has no [{rule}] finding to accept{have}; run `safeshift "
                          f"review {display_path(m.path)}` for the rules and lines it reports.")
    record(folder, m, line, rule, reason.strip())
    return accept_path(folder.path), m.sha256


#: how long the gate's facts wait where the database has one writer at a time (SQLite: another runner
#: committing); past it the gate judges without facts
GATE_WAIT_MS = 2_000


def _connect(dialect: Dialect, url: str, *, lock_wait_ms: int = 0) -> Any:
    """Facts are a courtesy: their connection never queues behind a lock someone holds on a table (PostgreSQL's
    lock_timeout); ``lock_wait_ms`` is how long it waits for a database-wide write lock (SQLite's busy timeout)."""
    conn = engine_for(dialect).connect(url)
    engine_for(dialect).prepare_session(conn, lock_timeout_ms=200, statement_timeout_ms=10_000,
                                        lock_wait_ms=lock_wait_ms)
    return conn


def load_reviewed(path: Path) -> dict[str, str]:
    """A reviewed set (file -> checksum) from ``path``; empty when there is none yet."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON ({exc}); delete it and run `safeshift review` again.") from exc
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

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
import bisect
import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from safeshift.config import FolderSettings, Format
from safeshift.dialects.base import Statement
from safeshift.errors import ChecksumMismatch, MigrationsError, OrphanedSnapshot
from safeshift.txsplit import step_numbers

UP_MARKER = "-- migrate:up"
DOWN_MARKER = "-- migrate:down"
NO_TRANSACTION = "-- safeshift:no-transaction"
NEW_TRANSACTION = "-- safeshift:new-transaction"
ALLOW = "-- safeshift:allow"
IRREVERSIBLE = "-- safeshift:irreversible"
UNDOES = "-- safeshift:undoes"
NOTHING_TO_UNDO = "-- (nothing to undo)"
SUM_FILE = "safeshift.sum"
META_DIR = "meta"
VERSION_FORMAT = "%Y%m%d%H%M%S"

MIGRATION_RE = re.compile(r"(?P<version>\d{14})_(?P<name>[a-z0-9][a-z0-9_]{0,99})\.sql")
SNAPSHOT_RE = re.compile(r"(?P<version>\d{14})_snapshot\.json")
NAME_RE = re.compile(r"[a-z0-9][a-z0-9_]{0,99}")
VERSION_RE = re.compile(r"\d{14}")
PATTERN_HINT = ("<version>_<name>.sql (version: a 14-digit UTC timestamp yyyymmddHHMMSS; name: lowercase "
                "letters, digits and underscores, starting with a letter or digit, at most 100 characters)")

_MARKER = re.compile(r"--\s*migrate:(?P<section>up|down)\s*", re.IGNORECASE)
_DIRECTIVE = re.compile(r"--\s*safeshift:(?P<name>\S*)\s*(?P<args>.*?)\s*", re.DOTALL)
#: characters that cannot start a string, identifier quote, comment, dollar body or statement end
_PLAIN_RUN = re.compile(r"[^-/;'\"`$\s]+")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$")


# -- values -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Allow:
    """``-- safeshift:allow RULE reason``: a hazard a reviewer accepted."""

    rule: str
    reason: str
    line: int


@dataclass(frozen=True)
class SqlStatement:
    """One statement of a section as written in the file (without the closing ``;``)."""

    sql: str
    #: 1-based line of the statement's first token in the file
    line: int
    transactional: bool = True
    #: the plain ``--`` comment lines just before the statement, without the ``--``
    comment: str | None = None
    #: allow directives just before the statement
    allows: tuple[Allow, ...] = ()
    #: commit before this statement (``-- safeshift:new-transaction``)
    new_transaction: bool = False
    #: down sections: this statement starts what undoes up step N (``-- safeshift:undoes N``)
    undoes: int | None = None


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path
    up_sql: str
    down_sql: str
    up_statements: tuple[SqlStatement, ...]
    down_statements: tuple[SqlStatement, ...]
    #: every allow directive in the file, wherever it stands
    allows: tuple[Allow, ...] = ()
    irreversible: bool = False
    has_down: bool = False
    header: tuple[str, ...] = ()
    #: sha256 hex of the file bytes as read
    sha256: str = ""
    #: drizzle folders: the journal's ``when`` (ms), what drizzle's table records as ``created_at``
    created_at: int | None = None
    #: 1-based line of the ``-- migrate:down`` marker (None: the file has none); directives below it are the down section's
    down_line: int | None = None

    @property
    def label(self) -> str:
        return f"{self.version}_{self.name}"

    @property
    def transactional(self) -> bool:
        """Whether the whole up section can run in one transaction."""
        return all(s.transactional for s in self.up_statements)

    @property
    def reversible(self) -> bool:
        return self.has_down and not self.irreversible


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
    t = now or datetime.now(UTC)
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


# -- splitting SQL --------------------------------------------------------------------------

def _is_ident(c: str) -> bool:
    return c.isalnum() or c in "_$"


@dataclass
class _Pending:
    """Directives and comments seen since the last statement, waiting for the next one."""

    no_transaction_line: int | None = None
    new_transaction_line: int | None = None
    allows: list[Allow] | None = None
    comments: list[str] | None = None
    #: ``-- safeshift:undoes N``: (N, its line)
    undoes: tuple[int, int] | None = None

    def clear(self) -> None:
        self.no_transaction_line = None
        self.new_transaction_line = None
        self.undoes = None
        self.allows = None
        self.comments = None


class _Parser:
    """One pass over a migration file: sections, directives and statements with line numbers.

    Handles ``;`` inside strings (including E'' escapes), quoted identifiers, line and
    nested block comments and dollar-quoted bodies, so a function definition is one
    statement.  SQLite trigger bodies (BEGIN ... END) are not split-aware.
    """

    def __init__(self, text: str, label: str) -> None:
        self.text = text
        self.label = label
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]
        self.section: Literal["header", "up", "down"] = "header"
        self.sections: dict[str, list[SqlStatement]] = {"up": [], "down": []}
        self.bounds: dict[str, list[int]] = {}
        self.header: list[str] = []
        self.allows: list[Allow] = []
        self.irreversible = False
        self.pending = _Pending()
        self.stmt_start: int | None = None
        #: where the first SQL above ``-- migrate:up`` starts (an error once we know the file has sections)
        self.header_sql: int | None = None

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def error(self, pos: int, what: str) -> MigrationsError:
        return MigrationsError(f"{self.label} line {self.line(pos)}: {what}")

    # statements ------------------------------------------------------------------------
    def end_statement(self, end: int) -> None:
        if self.stmt_start is None:
            return
        start = self.stmt_start
        sql = self.text[start:end].strip()
        self.stmt_start = None
        p = self.pending
        stmt = SqlStatement(
            sql=sql,
            line=self.line(start),
            transactional=p.no_transaction_line is None,
            comment="\n".join(p.comments) if p.comments else None,
            allows=tuple(p.allows or ()),
            # what undoes an up step starts a step of its own, so the runner can undo committed steps alone
            new_transaction=p.new_transaction_line is not None or p.undoes is not None,
            undoes=p.undoes[0] if p.undoes is not None else None,
        )
        if self.section != "header":
            self.sections[self.section].append(stmt)
        p.clear()

    def start_statement(self, pos: int) -> None:
        if self.stmt_start is None:
            if self.section == "header" and self.header_sql is None:
                self.header_sql = pos
            self.stmt_start = pos

    def close_section(self, pos: int) -> None:
        self.end_statement(pos)
        for line, directive in ((self.pending.no_transaction_line, NO_TRANSACTION),
                                (self.pending.new_transaction_line, NEW_TRANSACTION),
                                (self.pending.undoes[1] if self.pending.undoes else None, UNDOES)):
            if line is not None:
                raise MigrationsError(
                    f"{self.label} line {line}: `{directive}` is not followed by "
                    "a statement; put it directly above the statement it applies to."
                )
        self.pending.clear()

    # comments --------------------------------------------------------------------------
    def line_comment(self, start: int, end: int) -> None:
        comment = self.text[start:end].rstrip()
        marker = _MARKER.fullmatch(comment)
        if marker is not None:
            self.marker(marker["section"].lower(), start, end)
            return
        directive = _DIRECTIVE.fullmatch(comment)
        if self.stmt_start is not None:
            if directive is not None:
                raise self.error(start, "a safeshift directive inside a statement; end the statement above "
                                 "it with `;`.")
            return
        if directive is not None:
            self.directive(directive["name"], directive["args"], start)
        elif self.section == "header":
            self.header.append(_uncomment(comment))
        else:
            p = self.pending
            p.comments = [*(p.comments or []), _uncomment(comment)]

    def marker(self, section: str, start: int, end: int) -> None:
        if section in self.bounds:
            raise self.error(start, f"a second `-- migrate:{section}`; a file has one of each section.")
        if section == "down" and "up" not in self.bounds:
            raise self.error(start, f"`{DOWN_MARKER}` before `{UP_MARKER}`; the up section comes first.")
        self.close_section(start)
        if self.section != "header":
            self.bounds[self.section].append(start)
        self.section = "up" if section == "up" else "down"
        self.bounds[section] = [end]

    def directive(self, name: str, args: str, pos: int) -> None:
        line = self.line(pos)
        if name == "no-transaction":
            if args:
                raise self.error(pos, f"`{NO_TRANSACTION}` takes no arguments.")
            if self.section == "header":
                raise self.error(pos, f"`{NO_TRANSACTION}` belongs directly above a statement, not in the header.")
            self.pending.no_transaction_line = line
        elif name == "new-transaction":
            if args:
                raise self.error(pos, f"`{NEW_TRANSACTION}` takes no arguments.")
            if self.section == "header":
                raise self.error(pos, f"`{NEW_TRANSACTION}` belongs directly above a statement, not in the header.")
            self.pending.new_transaction_line = line
        elif name == "allow":
            rule, _, reason = args.partition(" ")
            if not rule:
                raise self.error(pos, f"`{ALLOW}` needs a rule name: `{ALLOW} RULE reason`.")
            allow = Allow(rule, reason.strip(), line)
            self.allows.append(allow)
            if self.section != "header":
                self.pending.allows = [*(self.pending.allows or []), allow]
        elif name == "irreversible":
            self.irreversible = True
        elif name == "undoes":
            if self.section != "down":
                raise self.error(pos, f"`{UNDOES} N` belongs in the down section, above what undoes up step N.")
            if not args.isdigit() or int(args) < 1:
                raise self.error(pos, f"`{UNDOES}` takes the number of the up step it undoes (1, 2, ...).")
            self.pending.undoes = (int(args), line)
        else:
            raise self.error(pos, f"unknown directive `-- safeshift:{name}`; use no-transaction, "
                             "new-transaction, allow, irreversible or undoes.")

    # the scan ----------------------------------------------------------------------------
    def run(self) -> None:
        text, n, i = self.text, len(self.text), 0
        while i < n:
            c = text[i]
            if c == "-" and text.startswith("--", i):
                end = text.find("\n", i)
                end = n if end < 0 else end
                self.line_comment(i, end)
                i = end
            elif c == "/" and text.startswith("/*", i):
                i = self.skip_block_comment(i)
            elif c.isspace():
                i += 1
            elif c == ";":
                self.end_statement(i)
                i += 1
            else:
                self.start_statement(i)
                i = self.skip_token(i)
        self.close_section(n)
        if self.section != "header":
            self.bounds[self.section].append(n)

    def skip_block_comment(self, i: int) -> int:
        depth, j = 0, i
        while j < len(self.text):
            if self.text.startswith("/*", j):
                depth, j = depth + 1, j + 2
            elif self.text.startswith("*/", j):
                depth, j = depth - 1, j + 2
                if depth == 0:
                    return j
            else:
                j += 1
        raise self.error(i, "a /* comment is never closed; add the closing */.")

    def skip_token(self, i: int) -> int:
        text = self.text
        c = text[i]
        if c == "'":
            escapes = i > 0 and text[i - 1] in "eE" and (i < 2 or not _is_ident(text[i - 2]))
            return self.skip_quoted(i, "'", escapes, "a string")
        if c == '"':
            return self.skip_quoted(i, '"', False, "a quoted identifier")
        if c == "`":
            return self.skip_quoted(i, "`", False, "a quoted identifier")
        if c == "$" and (i == 0 or not _is_ident(text[i - 1])):
            m = _DOLLAR_TAG.match(text, i)
            if m is not None:
                end = text.find(m.group(), m.end())
                if end < 0:
                    raise self.error(i, f"the {m.group()} quoted body is never closed; add the closing {m.group()}.")
                return end + len(m.group())
        plain = _PLAIN_RUN.match(text, i)
        return plain.end() if plain is not None else i + 1

    def skip_quoted(self, i: int, quote: str, backslash: bool, what: str) -> int:
        text, j = self.text, i + 1
        while j < len(text):
            c = text[j]
            if backslash and c == "\\":
                j += 2
            elif c == quote:
                if text.startswith(quote, j + 1):
                    j += 2
                else:
                    return j + 1
            else:
                j += 1
        raise self.error(i, f"{what} starting here is never closed; add the closing {quote}.")


def _uncomment(comment: str) -> str:
    body = comment[2:]
    return body[1:] if body.startswith(" ") else body


def parse_sql(text: str, label: str = "<sql>") -> tuple[SqlStatement, ...]:
    """Split plain SQL (no sections) into statements; for hand-written snippets and tests."""
    return parse_sql_allows(text, label)[0]


def parse_sql_allows(text: str, label: str = "<sql>") -> tuple[tuple[SqlStatement, ...], tuple[Allow, ...]]:
    """``parse_sql`` plus every allow directive, also those below the last statement (which no statement carries)."""
    parser = _Parser(text, label)
    parser.section = "up"
    parser.bounds["up"] = [0]
    parser.run()
    return tuple(parser.sections["up"]), tuple(parser.allows)


# -- reading ----------------------------------------------------------------------------------

def _check_undo_blocks(label: str, up: Sequence[SqlStatement], down: Sequence[SqlStatement]) -> None:
    """``-- safeshift:undoes N`` blocks, when a down section has them, cover it from its first statement
    and count down from the last up step: the runner undoes a part-way migration by running the blocks
    of its committed steps, so a gap or a wrong number would undo the wrong things."""
    marked = [st for st in down if st.undoes is not None]
    if not marked:
        return
    up_steps = max(step_numbers(up), default=0) + 1
    if down[0].undoes is None:
        raise MigrationsError(f"{label} line {down[0].line}: the down section has `{UNDOES} N` blocks, so its first "
                              f"statement needs one too; put `{UNDOES} N` above it.")
    last: int | None = None
    for st in marked:
        assert st.undoes is not None
        if st.undoes > up_steps:
            raise MigrationsError(f"{label} line {st.line}: `{UNDOES} {st.undoes}`, but the up section has "
                                  f"{up_steps} step(s); number the blocks by the up step they undo.")
        if last is not None and st.undoes >= last:
            raise MigrationsError(f"{label} line {st.line}: `{UNDOES} {st.undoes}` after `{UNDOES} {last}`; the "
                                  "blocks undo the up steps newest first, so their numbers must go down.")
        last = st.undoes


def undo_start(m: Migration, committed: int) -> int | None:
    """The down step from which the rest of the down section undoes a migration whose first ``committed``
    up steps committed (the blocks of those steps run from there to the end; a block starts a step), or
    None when the file has no ``-- safeshift:undoes`` blocks and so does not say which statements undo
    which step."""
    for i, st in enumerate(m.down_statements):
        if st.undoes is not None and st.undoes <= committed:
            return step_numbers(m.down_statements)[i]
    return None

def parse_migration(path: Path, data: bytes | None = None) -> Migration:
    """Read one migration file; ``data`` lets callers parse bytes they already hold."""
    label = f"{path.parent.name}/{path.name}"
    m = MIGRATION_RE.fullmatch(path.name)
    if m is None:
        raise MigrationsError(f"{label} does not match the migration file pattern {PATTERN_HINT}; rename it.")
    raw = path.read_bytes() if data is None else data
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MigrationsError(f"{label} is not UTF-8 text; save it as UTF-8.") from exc
    parser = _Parser(text, label)
    parser.run()
    if "up" not in parser.bounds:
        raise MigrationsError(f"{label} has no `{UP_MARKER}` line; add it above the statements to apply.")
    if parser.header_sql is not None:
        raise parser.error(parser.header_sql, f"SQL before `{UP_MARKER}`; put statements under `{UP_MARKER}`.")

    def section(name: str) -> str:
        b = parser.bounds.get(name)
        return text[b[0]:b[1]].strip() if b else ""

    _check_undo_blocks(label, parser.sections["up"], parser.sections["down"])
    return Migration(
        version=m["version"],
        name=m["name"],
        path=path,
        up_sql=section("up"),
        down_sql=section("down"),
        up_statements=tuple(parser.sections["up"]),
        down_statements=tuple(parser.sections["down"]),
        allows=tuple(parser.allows),
        irreversible=parser.irreversible,
        has_down="down" in parser.bounds and bool(parser.sections["down"]),
        header=tuple(parser.header),
        sha256=hashlib.sha256(raw).hexdigest(),
        down_line=parser.line(parser.bounds["down"][0]) if "down" in parser.bounds else None,
    )


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


def read_folder(path: Path, format: Format | None = None, settings: FolderSettings | None = None) -> MigrationFolder:
    """Every migration in ``path``, in version order; ``format`` None: detected (``folder_format``).
    ``settings``: a drizzle folder's, when the caller has them (else looked up from the path)."""
    path = Path(path)
    if (format or folder_format(path)) == "drizzle":
        from safeshift import drizzle

        return drizzle.read_folder(path, settings)
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

"""A migration file's text: its sections, statements and directives, as values.

``-- migrate:up`` / ``-- migrate:down`` split a file into sections; ``;`` (outside strings,
quoted identifiers, comments and dollar-quoted bodies) splits a section into statements; and
``-- safeshift:`` comments are directives that change how the statement below them runs.  This
is pure text work, below the rules that read statements (lint) and the folder format that finds
the files (formats/safeshift.py), so both can use it without importing each other.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from safeshift.errors import MigrationsError
from safeshift.txsplit import step_numbers

UP_MARKER = "-- migrate:up"
DOWN_MARKER = "-- migrate:down"
NO_TRANSACTION = "-- safeshift:no-transaction"
NEW_TRANSACTION = "-- safeshift:new-transaction"
ALLOW = "-- safeshift:allow"
IRREVERSIBLE = "-- safeshift:irreversible"
UNDOES = "-- safeshift:undoes"
NOTHING_TO_UNDO = "-- (nothing to undo)"

MIGRATION_RE = re.compile(r"(?P<version>\d{14})_(?P<name>[a-z0-9][a-z0-9_]{0,99})\.sql")
PATTERN_HINT = ("<version>_<name>.sql (version: a 14-digit UTC timestamp yyyymmddHHMMSS; name: lowercase "
                "letters, digits and underscores, starting with a letter or digit, at most 100 characters)")

_MARKER = re.compile(r"--\s*migrate:(?P<section>up|down)\s*", re.IGNORECASE)
_DIRECTIVE = re.compile(r"--\s*safeshift:(?P<name>\S*)\s*(?P<args>.*?)\s*", re.DOTALL)
#: characters that cannot start a string, identifier quote, comment, dollar body or statement end
_PLAIN_RUN = re.compile(r"[^-/;'\"`$\s]+")
_CREATE_TRIGGER = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?TRIGGER\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: a dollar-quote tag: letters, _ and any character from U+0080 to U+FFFF, then digits too.  Spelled as what it
#: is not: the plain ranges took 3 to 5 ms to compile, on every start of every command
_DOLLAR_TAG = re.compile(r"\$(?:[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f\U00010000-\U0010ffff]"
                         r"[^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f\U00010000-\U0010ffff]*)?\$")


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
    #: why the down section is irreversible, when its maker said (a drizzle down file safeshift could not derive)
    irreversible_reason: str = ""

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
    statement; and the ``BEGIN ... END`` body of a SQLite trigger (with any ``CASE ... END`` in
    it), whose inner ``;`` do not end the CREATE TRIGGER.
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
        #: the statement is a CREATE TRIGGER, and how deep it is in BEGIN/CASE ... END blocks
        self.trigger_statement = False
        self.block_depth = 0

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def error(self, pos: int, what: str) -> MigrationsError:
        return MigrationsError(f"{self.label} line {self.line(pos)}: {what}")

    # statements ------------------------------------------------------------------------
    def end_statement(self, end: int) -> None:
        self.block_depth = 0
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
            self.trigger_statement = _CREATE_TRIGGER.match(self.text, pos) is not None
            self.block_depth = 0

    def word(self, start: int, end: int) -> None:
        """Track BEGIN/CASE ... END inside a CREATE TRIGGER, so only a ``;`` outside them ends it."""
        if not self.trigger_statement:
            return
        for word in _WORD.findall(self.text, start, end):  # a token may be "(CASE" or "END)"
            word = word.upper()
            if word in ("BEGIN", "CASE"):
                self.block_depth += 1
            elif word == "END" and self.block_depth:
                self.block_depth -= 1

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
                if not self.block_depth:
                    self.end_statement(i)
                i += 1
            else:
                self.start_statement(i)
                end = self.skip_token(i)
                self.word(i, end)
                i = end
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


def alone_where_committed(m: Migration, commits_implicitly: Callable[[str], bool]) -> Migration:
    """``m`` with every statement the database commits on its own marked to run alone, as if the file said
    ``-- safeshift:no-transaction`` above it (what ``generate`` writes for such a database), so the runner
    records it as a step of its own.  A hand-written file's ``-- safeshift:undoes N`` blocks are checked
    again against the steps this makes; the checksum stays the file's."""
    def alone(statements: tuple[SqlStatement, ...]) -> tuple[SqlStatement, ...]:
        return tuple(replace(st, transactional=False, new_transaction=st.undoes is not None)
                     if st.transactional and commits_implicitly(st.sql) else st for st in statements)

    up, down = alone(m.up_statements), alone(m.down_statements)
    if up == m.up_statements and down == m.down_statements:
        return m
    _check_undo_blocks(f"{m.path.parent.name}/{m.path.name}", up, down)
    return replace(m, up_statements=up, down_statements=down)


def undo_start(m: Migration, committed: int) -> int | None:
    """The down step from which the rest of the down section undoes a migration whose first ``committed``
    up steps committed (the blocks of those steps run from there to the end; a block starts a step), or
    None when the file has no ``-- safeshift:undoes`` blocks and so does not say which statements undo
    which step; None too when no block is for a committed step (a step that has nothing to undo gets a
    no-op block of its own, so a missing block is never read as "nothing to undo")."""
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

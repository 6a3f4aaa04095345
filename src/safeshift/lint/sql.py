"""Review PostgreSQL SQL text: split it, parse each statement with pglast, run the rules in order.

Statements are split by safeshift's own splitter (``sections.parse_sql``), which knows
strings, dollar quotes and comments and attaches ``-- safeshift:allow`` directives to the
statement below them (so a directive-like line inside a string or a function body is not
one); drizzle-kit's ``--> statement-breakpoint`` lines are plain comments to
it.  Each statement is then parsed by pglast — the real PostgreSQL parser — so rules look at
the tree, never at regular expressions over SQL.

Severity is decided here, once: a table created earlier in the file (or that live facts say
is new or empty) turns lock and data findings into ``info``; an allow directive marks a
finding acknowledged.  An allow directly above a statement covers that statement; one
separated from the next statement by a blank line (or in a migration's header) covers the
whole file.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from pglast import ast
from pglast import parse_sql as pg_parse

from safeshift.lint.checks import check, long_identifiers
from safeshift.lint.context import Ctx, Hit, State, TableRef
from safeshift.lint.finding import Facts, Finding, Severity, lookup_facts
from safeshift.lint.rules import ALSO_COVERS, DEFAULT_RULES, ROWS_GRADED, RULES, SQUAWK_EQUIVALENT
from safeshift.sections import Allow, SqlStatement, parse_sql_allows

if TYPE_CHECKING:
    from safeshift.model import Schema

#: statements that do not lock existing objects for long (or that other rules judge)
_NOT_DDL = (ast.SelectStmt, ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.VariableSetStmt,
            ast.VariableShowStmt, ast.TransactionStmt, ast.DoStmt, ast.CreateStmt, ast.CreateTableAsStmt)

@dataclass(frozen=True)
class Step:
    """A statement as reviewed: its SQL and line, and whether a runner wraps it in a transaction."""

    statement: SqlStatement
    #: the runner (safeshift step, drizzle migrator) runs it inside a transaction it manages
    managed_transaction: bool


def grade(rule: str, severity: Severity | None, table: TableRef | None, created: Collection[str],
          facts: Mapping[str, Facts] | None) -> tuple[Severity, str | None]:
    """The severity a finding gets, and what is known about its table.

    A table created earlier in the same file or migration is harmless to lock, change or
    drop (nobody uses it yet): ``info``.  Live facts saying a table is empty make lock and
    data findings ``info``; data loss and compatibility keep their severity.
    """
    r = RULES[rule]
    chosen: Severity = severity or r.severity
    if table is None:
        return chosen, None
    if table[1] in created:
        return "info", "created earlier in this file"
    found = lookup_facts(facts, table[0], table[1])
    if found is None:
        return chosen, None
    described = found.describe()
    if found.created_in_this_migration or not found.exists:
        return "info", described
    if rule in ROWS_GRADED and found.row_estimate is not None:
        warning, error = ROWS_GRADED[rule]
        rows = found.row_estimate
        return ("error" if rows >= error else "warning" if rows >= warning else "info"), described
    if found.harmless_locks and r.category in ("lock", "data"):
        return "info", described
    return chosen, described


def regrade(finding: Finding, facts: Mapping[str, Facts]) -> Finding:
    """``finding`` (graded without facts) as a review with ``facts`` grades it: facts change nothing but
    the grade of the finding's own table, so the file need not be reviewed again.

    ``finding.table`` is ``schema.table`` or ``table``; a schema holding a dot would split wrongly.
    """
    if finding.table is None:
        return finding
    schema, dot, name = finding.table.partition(".")
    severity, described = grade(finding.rule, finding.severity, (schema, name) if dot else (None, schema), (), facts)
    return replace(finding, severity=severity, table_facts=described)


def canonical_rule(rule: str) -> str:
    """A rule id as written in an allow directive; Squawk's names are accepted too."""
    return SQUAWK_EQUIVALENT.get(rule, rule)


def covers(allowed: str, rule: str) -> bool:
    """Whether an allow naming ``allowed`` acknowledges a finding of ``rule`` (``rules.ALSO_COVERS``)."""
    canonical = canonical_rule(allowed)
    return canonical == rule or rule in ALSO_COVERS.get(canonical, ())


def enabled_rules(include: Collection[str] = ()) -> frozenset[str]:
    """The default rules plus opted-in ones (``"all"`` turns every rule on)."""
    if "all" in include:
        return frozenset(RULES)
    return DEFAULT_RULES | {canonical_rule(r) for r in include}


class StepReviewer(Protocol):
    """One pass over one file's statements of one dialect: ``review`` each step in order, then ``finish``;
    ``findings`` then holds every finding (not yet acknowledged), ``enabled`` the rules that were on."""

    findings: list[Finding]
    enabled: frozenset[str]

    def review(self, step: Step) -> list[Finding]: ...

    def finish(self) -> None: ...


class ReviewerFactory(Protocol):
    """How a dialect's reviewer is made (``lint.reviewers``): the file's facts, and the schema before it."""

    def __call__(self, *, file: str | None, facts: Mapping[str, Facts] | None, runner_timeouts: bool,
                 include: Collection[str] = (), schema: Schema | None = None) -> StepReviewer: ...


class Reviewer:
    """One pass over one file's PostgreSQL statements, in order."""

    def __init__(self, *, file: str | None, facts: Mapping[str, Facts] | None, runner_timeouts: bool,
                 include: Collection[str] = (), schema: Schema | None = None) -> None:
        """``schema`` (the schema before the file) is unused: PostgreSQL's rules judge each statement alone."""
        self.file = file
        self.facts = facts
        self.runner_timeouts = runner_timeouts
        self.enabled = enabled_rules(include)
        self.state = State()
        self.findings: list[Finding] = []
        self._in_managed: bool | None = None
        #: [first statement without the setting before it, whether an existing table was locked unprotected]
        self._lock_advice: list[Any] = [None, False]
        self._statement_advice: list[Any] = [None, False]

    # -- severity --------------------------------------------------------------------------
    def _harmless(self, table: TableRef) -> bool:
        if table[1] in self.state.created:
            return True
        facts = lookup_facts(self.facts, table[0], table[1])
        return facts is not None and facts.harmless_locks

    def _grade(self, hit: Hit) -> tuple[Severity, str | None]:
        return grade(hit.rule, hit.severity, hit.table, self.state.created, self.facts)

    # -- one statement -----------------------------------------------------------------------
    def review(self, step: Step) -> list[Finding]:
        st = step.statement
        s = self.state
        if self._in_managed is not None and (step.managed_transaction != self._in_managed
                                             or (step.managed_transaction and st.new_transaction)):
            s.txn_locked.clear()  # a step boundary (or -- safeshift:new-transaction): the runner committed
        self._in_managed = step.managed_transaction
        try:
            raws = pg_parse(st.sql)
        except Exception as exc:  # pglast.parser.ParseError
            return self._emit(st, [Hit("syntax-error", f"PostgreSQL cannot parse this statement: {exc}.")])
        hits: list[Hit] = list(long_identifiers(st.sql))
        for raw in raws:
            in_txn = step.managed_transaction or s.begin_line is not None
            ctx = Ctx(state=s, in_transaction=in_txn, managed_transaction=step.managed_transaction)
            hits += check(raw.stmt, ctx, st.line)
            self._note_timeouts(st, raw.stmt, ctx)
            if not step.managed_transaction and s.begin_line is None:
                s.txn_locked.clear()  # autocommit: each statement is its own transaction
        return self._emit(st, hits)

    def _note_timeouts(self, st: SqlStatement, node: object, ctx: Ctx) -> None:
        """Remember the first statement a lock_timeout / statement_timeout should have preceded."""
        if self.runner_timeouts:
            return
        existing = any(not self._harmless(t) for t in ctx.locks)
        if not (existing or not isinstance(node, _NOT_DDL)):
            return
        for setting, advice in (("lock_timeout", self._lock_advice), ("statement_timeout", self._statement_advice)):
            if getattr(self.state, setting):
                continue
            if advice[0] is None:
                advice[0] = st
            advice[1] = advice[1] or existing

    def _emit(self, st: SqlStatement, hits: Iterable[Hit]) -> list[Finding]:
        out: list[Finding] = []
        seen: set[tuple[str, str | None]] = set()
        for hit in hits:
            if hit.rule not in self.enabled or (hit.rule, hit.message) in seen:
                continue
            seen.add((hit.rule, hit.message))
            r = RULES[hit.rule]
            severity, described = self._grade(hit)
            out.append(Finding(
                rule=hit.rule, category=r.category, severity=severity, file=self.file, line=st.line,
                statement=st.sql, message=hit.message or r.summary, fix=hit.fix or r.fix,
                table=f"{hit.table[0]}.{hit.table[1]}" if hit.table and hit.table[0] else
                (hit.table[1] if hit.table else None),
                table_facts=described,
            ))
        self.findings += out
        return out

    def finish(self) -> None:
        """End-of-file checks: timeouts never set before DDL, a BEGIN never committed."""
        s = self.state
        st, existing = self._lock_advice
        if st is not None:
            self._emit(st, [Hit("require-lock-timeout") if existing else Hit(
                "require-lock-timeout", "No SET lock_timeout before this DDL; it only locks new or empty tables "
                "here, but any later statement on a busy table would queue every query behind it.",
                severity="info")])
        st, _ = self._statement_advice
        if st is not None:
            self._emit(st, [Hit("require-statement-timeout")])
        if s.begin_line is not None and "uncommitted-transaction" in self.enabled:
            r = RULES["uncommitted-transaction"]
            self.findings.append(Finding("uncommitted-transaction", r.category, r.severity, self.file,
                                         s.begin_line, "BEGIN", r.summary, r.fix))


def _split_allows(statements: Sequence[SqlStatement], text: str,
                  loose: Iterable[Allow] = ()) -> tuple[dict[int, list[Allow]], list[Allow]]:
    """(statement line -> allows covering only it, allows covering the whole file).

    ``loose``: the parser's allows that no statement carries (header, below the last statement).
    """
    lines = text.splitlines()
    per_statement: dict[int, list[Allow]] = {}
    file_wide: list[Allow] = list(loose)
    for st in statements:
        for a in st.allows:
            gap = lines[a.line:st.line - 1]
            if any(not line.strip() for line in gap):
                file_wide.append(a)
            else:
                per_statement.setdefault(st.line, []).append(a)
    return per_statement, file_wide


def loose_allows(allows: Iterable[Allow], statements: Iterable[SqlStatement]) -> list[Allow]:
    """The allows that none of ``statements`` carries: they cover the whole file."""
    attached = {a.line for st in statements for a in st.allows}
    return [a for a in allows if a.line not in attached]


def acknowledge(findings: Sequence[Finding], per_statement: Mapping[int, Sequence[Allow]],
                file_wide: Sequence[Allow], *, file: str | None, enabled: Collection[str]) -> list[Finding]:
    """Mark findings covered by allow directives, and report directives that cover nothing."""
    used: set[int] = set()
    out: list[Finding] = []
    for f in findings:
        scope = [*per_statement.get(f.line or -1, ()), *file_wide]
        matches = [a for a in scope if covers(a.rule, f.rule)]
        if matches:
            used.update(a.line for a in matches)  # an allow under the rule's old name is no stale one
            exact = [a for a in matches if canonical_rule(a.rule) == f.rule]
            f = f.acknowledge((exact or matches)[0].reason)
        out.append(f)
    if "unused-allow" in enabled:
        r = RULES["unused-allow"]
        allows = {a.line: a for allows in per_statement.values() for a in allows}
        allows.update({a.line: a for a in file_wide})
        for line, a in sorted(allows.items()):
            if line in used:
                continue
            known = canonical_rule(a.rule) in RULES
            message = (f"-- safeshift:allow {a.rule} matches no finding here." if known else
                       f"-- safeshift:allow {a.rule} names no safeshift (or Squawk) rule.")
            out.append(Finding("unused-allow", r.category, r.severity, file, line,
                               f"-- safeshift:allow {a.rule} {a.reason}".rstrip(), message, r.fix))
    return out


def review_steps(steps: Sequence[Step], text: str, *, file: str | None = None,
                 facts: Mapping[str, Facts] | None = None, runner_timeouts: bool = False,
                 include: Collection[str] = (), file_allows: Iterable[Allow] = (),
                 reviewer: ReviewerFactory = Reviewer, schema: Schema | None = None) -> list[Finding]:
    """Review statements in order and acknowledge what the file's allow directives cover.

    ``file_allows``: the parser's allows that no step carries; ``text`` only tells whether a
    blank line separates a carried allow from its statement.  ``reviewer``: the dialect's
    (``lint.reviewers.reviewer_for``), PostgreSQL's by default; ``schema``: the schema before the file.
    """
    one = reviewer(file=file, facts=facts, runner_timeouts=runner_timeouts, include=include, schema=schema)
    for step in steps:
        one.review(step)
    one.finish()
    per_statement, file_wide = _split_allows([s.statement for s in steps], text, file_allows)
    findings = acknowledge(one.findings, per_statement, file_wide, file=file, enabled=one.enabled)
    rank = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: (f.line or 0, rank[f.severity]))


def review_text(text: str, *, file: str | None = None, facts: Mapping[str, Facts] | None = None,
                in_transaction: bool = False, runner_timeouts: bool = False,
                include: Collection[str] = (), reviewer: ReviewerFactory = Reviewer,
                schema: Schema | None = None) -> list[Finding]:
    """Review plain SQL (no migrate:up/down sections): hand-written, drizzle-kit, anything."""
    statements, allows = parse_sql_allows(text, file or "<sql>")
    steps = [Step(st, in_transaction and st.transactional) for st in statements]
    return review_steps(steps, text, file=file, facts=facts, runner_timeouts=runner_timeouts, include=include,
                        file_allows=loose_allows(allows, statements), reviewer=reviewer, schema=schema)

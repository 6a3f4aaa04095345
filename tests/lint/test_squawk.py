"""Squawk on the same corpus: safeshift must flag every statement Squawk flags, with the equivalent rule.

One squawk invocation over one file per case (JSON reporter).  Counts are printed and, when
SAFESHIFT_LINT_REPORT names a file, written there as markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from safeshift.lint import RULES, SQUAWK_EQUIVALENT, Finding, review_sql
from safeshift.lint.sql import covers
from safeshift.sections import parse_sql
from tests.lint.corpus import CASES, Case


def _squawk() -> str | None:
    local = Path(sys.executable).parent / "squawk"
    return str(local) if local.exists() else shutil.which("squawk")


SQUAWK = _squawk()


def _statement_index(case: Case, line: int) -> int:
    """The statement (0-based) that a 1-based line of the case file belongs to."""
    starts = [st.line for st in parse_sql(case.sql)]
    return max((i for i, start in enumerate(starts) if start <= line), default=0)


def _run_squawk(tmp_path: Path, *flags: str) -> tuple[dict[str, Case], list[dict[str, Any]]]:
    """Every corpus case as a file, one squawk run over all of them: (file name -> case, its findings)."""
    assert SQUAWK is not None
    files = {}
    for n, case in enumerate(CASES):
        path = tmp_path / f"{n:03d}.sql"
        path.write_text(case.sql, encoding="utf-8")
        files[path.name] = case
    out = tmp_path / "squawk.json"
    with out.open("w") as fh:
        proc = subprocess.run([SQUAWK, "--reporter", "json", *flags, *sorted(str(tmp_path / name) for name in files)],
                              stdout=fh, stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return files, json.loads(out.read_text() or "[]")


@pytest.mark.skipif(SQUAWK is None, reason="squawk is not installed (pip install squawk-cli)")
def test_safeshift_flags_everything_squawk_flags(tmp_path: Path) -> None:
    started = time.monotonic()
    files, squawk_findings = _run_squawk(tmp_path)
    squawk_seconds = time.monotonic() - started

    # squawk's view: (case id, statement index) -> safeshift rules it implies
    squawk_by_stmt: dict[tuple[str, int], set[str]] = {}
    squawk_rules: Counter[str] = Counter()
    for f in squawk_findings:
        case = files[Path(f["file"]).name]
        squawk_rules[f["rule_name"]] += 1
        assert f["rule_name"] in SQUAWK_EQUIVALENT, f"squawk rule {f['rule_name']} has no safeshift equivalent"
        key = (case.id, _statement_index(case, f["line"] + 1))
        squawk_by_stmt.setdefault(key, set()).add(SQUAWK_EQUIVALENT[f["rule_name"]])

    ours: dict[tuple[str, int], list[Finding]] = {}
    for case in CASES:
        # squawk does not assume a transaction, so neither do we here
        for finding in review_sql(case.sql, file=case.id):
            ours.setdefault((case.id, _statement_index(case, finding.line or 1)), []).append(finding)

    missed = []
    for key, rules in sorted(squawk_by_stmt.items()):
        got = {f.rule for f in ours.get(key, [])}
        # one safeshift finding per hazard: squawk's second name for it (``ALSO_COVERS``) is that finding
        missed += [f"{key[0]} statement {key[1] + 1}: {r}" for r in sorted(rules)
                   if not any(covers(r, g) for g in got)]
    assert not missed, "safeshift misses hazards squawk flags:\n" + "\n".join(missed)

    # what safeshift adds: error/warning findings at statements where squawk has no equivalent rule
    extra = [f for key, fs in ours.items() for f in fs
             if f.severity != "info" and f.rule not in squawk_by_stmt.get(key, set())]
    extra_by_category = Counter(f.category for f in extra)
    statements = sum(len(c.expect) for c in CASES)
    ours_total = sum(len(fs) for fs in ours.values())
    ours_blocking = sum(1 for fs in ours.values() for f in fs if f.severity != "info")
    advice = {"require-lock-timeout", "require-statement-timeout", "prefer-robust-stmts"}
    squawk_hazards = sum(1 for f in squawk_findings if SQUAWK_EQUIVALENT[f["rule_name"]] not in advice)
    squawk_hazard_stmts = {k for k, rules in squawk_by_stmt.items() if rules - advice}
    ours_hazard_stmts = {k for k, fs in ours.items() if any(f.severity != "info" and f.rule not in advice for f in fs)}
    only_ours = sorted(ours_hazard_stmts - squawk_hazard_stmts)
    report = "\n".join([
        "## safeshift review vs Squawk (corpus comparison)",
        "",
        f"- corpus: {len(CASES)} files, {statements} statements (hand-written, safeshift-generated, drizzle-kit)",
        f"- squawk {_version()}: {len(squawk_findings)} findings on {len(squawk_by_stmt)} statements "
        f"({squawk_seconds:.2f} s for one invocation)",
        f"- safeshift: {ours_total} findings ({ours_blocking} error/warning, {ours_total - ours_blocking} info)",
        f"- excluding timeout/re-runnability advice: squawk {squawk_hazards} findings on "
        f"{len(squawk_hazard_stmts)} statements; safeshift error/warning findings on {len(ours_hazard_stmts)} "
        "statements (squawk also warns on style rules and on tables created in the same file, which "
        "safeshift reports too, as info)",
        f"- squawk findings safeshift misses: {len(missed)}",
        f"- statements squawk passes (apart from advice) that safeshift flags: {len(only_ours)} "
        f"({', '.join(f'{case_id}#{i + 1}' for case_id, i in only_ours)})",
        f"- error/warning hazards safeshift flags that squawk does not: {len(extra)} "
        f"({', '.join(f'{k}: {v}' for k, v in sorted(extra_by_category.items()))})",
        f"- squawk rules seen: {', '.join(f'{k} ({v})' for k, v in sorted(squawk_rules.items()))}",
        f"- safeshift-only rules among them: "
        f"{', '.join(sorted({f.rule for f in extra if f.rule not in SQUAWK_EQUIVALENT.values()}))}",
        "",
    ])
    print("\n" + report)
    target = os.environ.get("SAFESHIFT_LINT_REPORT")
    if target:
        Path(target).write_text(report, encoding="utf-8")
    assert extra_by_category["data-loss"] > 0 and extra_by_category["data"] > 0
    assert all(rule in RULES for rule in SQUAWK_EQUIVALENT.values())


def _version() -> str:
    assert SQUAWK is not None
    out = subprocess.run([SQUAWK, "--version"], capture_output=True, text=True, check=False).stdout
    return out.strip().split()[-1] if out.strip() else "?"


@pytest.mark.skipif(SQUAWK is None, reason="squawk is not installed (pip install squawk-cli)")
def test_opt_in_rules_match_too(tmp_path: Path) -> None:
    """With every Squawk rule included, safeshift with every rule included still misses nothing."""
    opt_in = sorted(set(SQUAWK_EQUIVALENT) - {"unused-ignore", "syntax-error"})
    files, squawk_findings = _run_squawk(tmp_path, "--include", ",".join(opt_in))
    ours: dict[tuple[str, int], set[str]] = {}
    for case in CASES:
        for finding in review_sql(case.sql, file=case.id, include=["all"]):
            ours.setdefault((case.id, _statement_index(case, finding.line or 1)), set()).add(finding.rule)
    missed = set()
    for f in squawk_findings:
        case = files[Path(f["file"]).name]
        index = _statement_index(case, f["line"] + 1)
        if not any(covers(SQUAWK_EQUIVALENT[f["rule_name"]], g) for g in ours.get((case.id, index), set())):
            missed.add(f"{case.id} statement {index + 1}: {f['rule_name']}")
    assert not missed, "\n".join(sorted(missed))

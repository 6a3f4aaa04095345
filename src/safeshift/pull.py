"""`safeshift pull`: write a live database's schema as the project's SQL-file schema source.

The habit of ``drizzle-kit pull`` and ``prisma db pull`` for teams without models: the database is
the truth once, and from then on the SQL files are.  The files are written where ``schema`` in
safeshift.toml reads them (one file: the whole schema in dependency order, as ``generate`` would
create it from nothing), so that reading them back (``sources.sqlfiles``: run on a shadow database
and introspected) gives exactly the live schema; that is checked before anything is written.

A SQLAlchemy project is refused: writing Python models is out of scope (a generator would have to
guess the project's conventions), and ``safeshift diff --url`` already shows what the models lack.
"""

from __future__ import annotations

import fnmatch
import glob
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from safeshift.baseline import initial_sections, rebuild_differences
from safeshift.engines.base import engine_for
from safeshift.errors import ConfigError, MigrationsError
from safeshift.files import write_atomic
from safeshift.ignore import leave_out
from safeshift.project import dialect_for, dialect_of, shadow_database
from safeshift.sources import sqlfiles
from safeshift.text import display_path, redact_url
from safeshift.version import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence

    from safeshift.config import Config
    from safeshift.dialects.base import Statement
    from safeshift.model import Schema

__all__ = ["DEFAULT_FILE", "PullResult", "pull", "script"]

#: the file written into a folder or glob ``schema`` (``schema = "db/"`` → ``db/schema.sql``)
DEFAULT_FILE = "schema.sql"
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class PullResult:
    """What ``pull`` wrote."""

    path: Path
    #: other files ``schema`` matched, removed (``force``) so that only the pulled schema is read back
    removed: tuple[Path, ...]
    #: objects the file creates
    objects: int
    #: what introspection left out (bookkeeping tables, the ``ignore`` list); None: nothing
    ignored: str | None = None


def pull(config: Config, url: str, *, force: bool = False) -> PullResult:
    """Write the live schema at ``url`` where the project's SQL-file ``schema`` reads it.

    Refuses a project without SQL files as its source, a database holding nothing, and (unless ``force``)
    files ``schema`` matches that already hold SQL; with ``force`` the written file replaces them all.
    The SQL is read back on a shadow database first and must give the live schema exactly.
    """
    spec = _sql_spec(config)
    target = target_file(spec, config.root)
    held = [p for p in _matched(spec, config.root) if p.read_text(encoding="utf-8").strip()]
    if held and not force:
        shown = ", ".join(display_path(p) for p in held[:3]) + (f" and {len(held) - 3} more" if len(held) > 3 else "")
        raise ConfigError(f"{shown} already hold(s) SQL that `safeshift pull` would replace; pass --force to replace "
                          f"it with the schema of the database, or point `schema` at an empty file.")
    dialect = dialect_for(url, config.declared_dialect)
    engine = engine_for(dialect)
    options = config.introspect_options
    conn = engine.connect(url, create=False)
    try:
        kept = engine.introspect_kept(conn, options=options)
    finally:
        conn.close()
    live = kept.schema
    changes, sections = initial_sections(dialect, live)
    if not changes:
        raise ConfigError(f"{redact_url(url)} holds no tables or other objects to pull; check the URL.")
    text = script(sections.up, [
        f"The schema of database {dialect.database_name(url)}, written by `safeshift pull` (safeshift {__version__}, "
        f"{dialect.name}).",
        "This file is the schema source now: edit it, then `safeshift generate --name ...`.",
    ])
    _check_read_back(config, text, live, redact_url(url))
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, text)
    target.chmod(0o644)  # a schema file is source code, not a secret
    removed = tuple(p for p in held if p.resolve() != target.resolve())
    for p in removed:
        p.unlink()
    return PullResult(target, removed, len(changes), kept.describe())


def _sql_spec(config: Config) -> str:
    if not config.schema:
        raise ConfigError(f"{config.config_name} has no `schema`; set it to the SQL file `safeshift pull` should "
                          f'write (e.g. schema = "{DEFAULT_FILE}").')
    if not sqlfiles.is_sql_glob(config.schema):
        raise ConfigError(f"`schema` names SQLAlchemy models ({config.schema}), and `safeshift pull` writes SQL files "
                          "only (writing Python models is out of scope); write the models by hand and check them "
                          "with `safeshift diff`, or use `safeshift baseline` to adopt the database as it is.")
    return config.schema


def target_file(spec: str, root: Path) -> Path:
    """The one file ``pull`` writes for ``schema = spec``: the file itself, ``schema.sql`` in a folder, or
    ``schema.sql`` where a glob starts (when the glob reads it back)."""
    base = Path(spec) if Path(spec).is_absolute() else root / spec
    if spec.endswith("/"):
        return base / DEFAULT_FILE
    parts = Path(spec).parts
    if not any(_GLOB_CHARS & set(part) for part in parts):
        return base
    fixed = _until_glob(parts)
    folder = Path(*fixed) if fixed else Path()
    candidate = (folder if folder.is_absolute() else root / folder) / DEFAULT_FILE
    pattern = str(base)
    if not (fnmatch.fnmatch(str(candidate), pattern) or fnmatch.fnmatch(str(candidate), pattern.replace("**/", ""))):
        raise ConfigError(f'`schema = "{spec}"` is a glob that would not read {display_path(candidate)} back; set '
                          f"`schema` to one .sql file for `safeshift pull` to write.")
    return candidate


def _until_glob(parts: Sequence[str]) -> list[str]:
    out: list[str] = []
    for part in parts:
        if _GLOB_CHARS & set(part):
            break
        out.append(part)
    return out


def _matched(spec: str, root: Path) -> list[Path]:
    """The files ``schema`` reads now (none yet is fine: pull writes the first)."""
    pattern = spec if Path(spec).is_absolute() else str(root / spec)
    if pattern.endswith("/"):
        pattern += "*.sql"
    return sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())


def script(statements: Sequence[Statement], header: Sequence[str]) -> str:
    """Rendered statements as one SQL script, each ended by ``;`` (on its own line after a line comment)."""
    out = [f"-- {line}" for line in header]
    for st in statements:
        out.append("")
        if st.comment:
            out += [f"-- {line}".rstrip() for line in st.comment.splitlines()]
        sql = st.sql.strip().rstrip(";").rstrip()
        out.append(sql + ("\n;" if "--" in sql.rsplit("\n", 1)[-1] else ";"))
    return "\n".join(out) + "\n"


def _check_read_back(config: Config, text: str, live: Schema, where: str) -> None:
    """Read ``text`` back as the SQL-file source reads it (the project's shadow database) and compare it
    with ``live``; a difference is refused before any file is written."""
    dialect = dialect_of(config)
    with tempfile.TemporaryDirectory(prefix="safeshift-pull-") as tmp:
        path = Path(tmp) / DEFAULT_FILE
        path.write_text(text, encoding="utf-8")
        read = sqlfiles.schema_from_sql_files([path], dialect, lambda: shadow_database(config),
                                              config.introspect_options)
    read = leave_out(read, config.ignore, dialect.default_schema).schema
    lines = rebuild_differences(read, live, dialect, config.ignore)
    if lines:
        shown = "; ".join(lines[:8]) + (f"; and {len(lines) - 8} more" if len(lines) > 8 else "")
        raise MigrationsError(f"The pulled SQL would not read back as {where} ({shown}); nothing was written: "
                              "leave those objects out with `ignore` in safeshift.toml, or report this as a "
                              "safeshift bug.")

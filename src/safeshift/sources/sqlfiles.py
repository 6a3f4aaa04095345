"""Desired state written as plain ``.sql`` files → Schema.

Rather than parse SQL ourselves (and disagree with the database about what it means),
we run the files on a throwaway shadow database and introspect the result — the same
idea as Atlas's dev database.  PostgreSQL uses a scratch database on the embedded
server; SQLite an in-memory database.
"""

from __future__ import annotations

import glob
import re
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from safeshift.dialects.base import Dialect
from safeshift.engines.base import IntrospectOptions, engine_for
from safeshift.errors import SourceError
from safeshift.model import Schema
from safeshift.text import display_path, first_line

#: opens a shadow database and yields its URL; dropped when the context exits
ShadowFactory = Callable[[], AbstractContextManager[str]]


def is_sql_glob(spec: str) -> bool:
    return spec.endswith(".sql") or "*" in spec or spec.endswith("/")


def sql_files(spec: str, root: Path) -> list[Path]:
    pattern = spec if Path(spec).is_absolute() else str(root / spec)
    if pattern.endswith("/"):
        pattern += "*.sql"
    files = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
    if not files:
        raise SourceError(f"schema = \"{spec}\" matches no .sql files under {root}; fix the glob in safeshift.toml.")
    return files


#: SQLSTATEs that say the server lacks something (a feature of its build, an extension's files), not that
#: the SQL is wrong: feature_not_supported, undefined_file, system_error
SERVER_LACKS = frozenset({"0A000", "58P01", "58000"})


def schema_from_sql_files(files: list[Path], dialect: Dialect, shadow: ShadowFactory,
                          options: IntrospectOptions | None = None) -> Schema:
    """The schema ``files`` make on a fresh shadow database; ``options`` as the project's (its privileges:
    the GRANTs and REVOKEs in the files are then read from the shadow's catalog like everything else)."""
    engine = engine_for(dialect)
    with shadow() as url:
        conn: Any = engine.connect(url)
        try:
            for f in files:
                text = f.read_text(encoding="utf-8")
                try:
                    run_script(conn, text)
                except Exception as exc:
                    if engine.error_code(exc) in SERVER_LACKS:
                        raise SourceError(
                            f"{f.name} needs something the shadow database's server does not have "
                            f"({first_line(exc)}); set shadow_url in safeshift.toml to a server like "
                            "production's.") from exc
                    raise SourceError(
                        f"{f.name} failed on the shadow database: {first_line(exc)}; fix the SQL and try again."
                    ) from exc
            return engine.introspect(conn, options=options)
        finally:
            conn.close()


def run_script(conn: Any, text: str) -> None:
    """Run ``text`` (one or more statements) and commit it; the SQLAlchemy source's shadow runs its DDL here too."""
    if hasattr(conn, "executescript"):  # sqlite3
        conn.executescript(text)
        return
    with conn.transaction():
        conn.execute(text)



def shadow_name() -> str:
    return f"safeshift_shadow_{uuid.uuid4().hex[:10]}"


def sql_locator(files: list[Path]) -> Callable[[tuple[str, str] | None, str | None], str | None]:
    """A function from (table key, object name) to ``schema/app.sql:12``: the ``CREATE INDEX`` naming an
    index, else the line inside the table's ``CREATE TABLE`` that names the constraint or column, else the
    ``CREATE TABLE`` line itself.  Read only when a refusal asks (the files are small and already read once)."""

    def locate(table: tuple[str, str] | None, name: str | None) -> str | None:
        if table is None:
            return None
        texts = [(f, f.read_text(encoding="utf-8").splitlines()) for f in files]
        if name:
            index = re.compile(rf'\bINDEX\b.*(?:^|[\s."]){re.escape(name)}(?:$|[\s"(])', re.IGNORECASE)
            for f, lines in texts:
                for number, text in enumerate(lines, 1):
                    if index.search(text):
                        return f"{display_path(f)}:{number}"
        create = re.compile(r'CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:"?' + re.escape(table[0])
                            + r'"?\s*\.\s*)?"?' + re.escape(table[1]) + r'(?:"|\b)', re.IGNORECASE)
        word = re.compile(rf'(?:^|[^\w$"]){re.escape(name)}(?:$|[^\w$"])|"{re.escape(name)}"') if name else None
        for f, lines in texts:
            for number, text in enumerate(lines, 1):
                if not create.search(text):
                    continue
                for inner in range(number, len(lines) + 1):
                    if word is not None and word.search(lines[inner - 1]) and inner > number:
                        return f"{display_path(f)}:{inner}"
                    if ";" in lines[inner - 1]:
                        break
                return f"{display_path(f)}:{number}"
        return None

    return locate

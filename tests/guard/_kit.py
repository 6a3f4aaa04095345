"""A project with a confirm-protected production environment, and other spellings of its database's URL.

The spellings are what bit a user: ``localhost`` for ``127.0.0.1``, an added ``?sslmode=prefer``,
another parameter order, a symlink to the SQLite file.  Each reaches the same database under
different text, which only the server (or the file system) can tell.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from safeshift import api
from tests.runner._project import MIGRATIONS, Project, dialect_name, make_project


def other_spelling(url: str, tmp_path: Path) -> str:
    """The same database under another URL: a symlinked file for SQLite; for PostgreSQL another host
    alias (localhost for 127.0.0.1) and extra parameters in another order."""
    if dialect_name(url) == "sqlite":
        real = Path(urlsplit(url).path)
        link = tmp_path / "elsewhere" / "alias.sqlite3"
        link.parent.mkdir(exist_ok=True)
        link.symlink_to(real)
        return f"sqlite:///{link}"
    alias = url.replace("@127.0.0.1:", "@localhost:")
    extra = "application_name=ops&sslmode=prefer"
    return alias + ("&" if "?" in alias else "?") + extra


def protected_project(tmp_path: Path, url: str, production: str = "confirm = true\n", *,
                      staging: str | None = None, applied: int = 3) -> Project:
    """A sealed project whose production url is ``${PROD_URL}`` (set to ``url`` by ``env``) with
    ``applied`` of the four migrations applied; ``staging`` gives staging's url text."""
    tables = f'[environments.production]\nurl = "${{PROD_URL}}"\n{production}'
    if staging is not None:
        tables += f'\n[environments.staging]\nurl = "{staging}"\n'
    p = make_project(tmp_path, url, tables)
    p.add_all(MIGRATIONS)
    if applied:  # the URL-level API: no environment, so no gates to satisfy while setting up
        api.migrate(url, p.folder, to=MIGRATIONS[applied - 1][0])
    return p


def env(p: Project, **extra: str) -> dict[str, str]:
    return {"PROD_URL": p.url, **extra}

"""Projects the picture tests share, built once per session: the example blog (a copy) reviewed as a
pull request would be, and the deploy kit's SQLite project rehearsed, reviewed as HTML and deployed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy._kit import V2, V3, deploy, make, records
from tests.picture._scenarios import BLOG_VERSIONS, blog_copy
from tests.runner._project import invoke

FENCE = re.compile(r"^```mermaid\n(?P<body>.*?)^```$", re.DOTALL | re.MULTILINE)


def mermaid_blocks(markdown: str) -> list[str]:
    return [m["body"] for m in FENCE.finditer(markdown)]


@dataclass(frozen=True)
class Blog:
    root: Path
    #: `review --format markdown` of add_post_editor and the rename (two files of a pull request)
    markdown: str
    #: the same review as an HTML page
    page: Path
    #: `review --format markdown` of every migration, from an empty database
    whole_markdown: str


@pytest.fixture(scope="session")
def blog(tmp_path_factory: pytest.TempPathFactory) -> Blog:
    root = blog_copy(tmp_path_factory.mktemp("picture-blog"))
    files = [str(next((root / "migrations").glob(f"{v}_*.sql")).relative_to(root)) for v in BLOG_VERSIONS[2:4]]
    md = invoke(root, "review", "--format", "markdown", *files).stdout
    invoke(root, "review", "--format", "html", *files, "review.html")
    every = sorted(str(p.relative_to(root)) for p in (root / "migrations").glob("*.sql"))
    whole = invoke(root, "review", "--format", "markdown", *every).stdout
    return Blog(root, md, root / "review.html", whole)


@dataclass(frozen=True)
class Deployed:
    root: Path
    page: Path
    record_md: str


@pytest.fixture(scope="session")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    """The deploy kit on SQLite: rehearsed on a scratch copy, its pending V2 and V3 reviewed as a page, deployed."""
    tmp = tmp_path_factory.mktemp("picture-deploy")
    p = make(tmp, f"sqlite:///{tmp / 'prod.db'}")
    p.run("rehearse", "--scratch", "--from", "production", url=False)
    files = [str(p.file(v[0]).relative_to(p.root)) for v in (V2, V3)]
    invoke(p.root, "review", "--format", "html", *files, "out/review.html")
    deploy(p)
    (record,) = records(p)
    return Deployed(p.root, p.root / "out" / "review.html", record.with_suffix(".md").read_text(encoding="utf-8"))

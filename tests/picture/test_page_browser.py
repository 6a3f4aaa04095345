"""The HTML review page in a real headless Chromium (Debian's, driven by playwright-core; one launch for
every page): each changed table is an SVG group that is really drawn (its screenshot is not blank), the
page fetches nothing and runs no script, and hostile identifiers and SQL stay text.

Set SAFESHIFT_PICTURE_SHOTS=DIR to keep the full-page screenshots for a look.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from safeshift.lint.finding import Finding
from safeshift.picture import build
from safeshift.picture.page import SqlFile, render_page
from tests.picture._peers import shoot
from tests.picture._scenarios import odd_schemas
from tests.picture.conftest import Blog, Deployed

HOSTILE_SQL = 'ALTER TABLE "order items" ADD COLUMN x int; -- </code></div><script>alert(1)</script>\nSELECT 1;\n'


@pytest.fixture(scope="module")
def odd_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("odd-page")
    before, after = odd_schemas(tmp)
    finding = Finding("drop-column", "data-loss", "error", "odd.sql", 1, HOSTILE_SQL.splitlines()[0],
                      "Dropping <img src=x onerror=alert(1)> loses data.", "Do <b>not</b>.")
    page = tmp / "odd.html"
    page.write_text(render_page(title="odd <identifiers>", diagram=build(before, after, default_schema="main"),
                                files=[SqlFile("odd.sql", HOSTILE_SQL)], findings=[finding], rehearsal=None),
                    encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def shots(blog: Blog, deployed: Deployed, odd_page: Path,
          tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("shots")
    pages = {"blog": blog.page, "deployed": deployed.page, "odd": odd_page}
    results = shoot([(path, folder / f"{name}.png") for name, path in pages.items()])
    keep = os.environ.get("SAFESHIFT_PICTURE_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for name in pages:
            shutil.copyfile(folder / f"{name}.png", Path(keep) / f"{name}.png")
    return dict(zip(pages, results, strict=True))


@pytest.mark.parametrize(("page", "changed"), [
    ("blog", {"public.posts", "public.users"}),
    ("deployed", {"main.users", "main.tags"}),
    ("odd", {"main.<b>gone</b>", 'main.new "fancy" table', "main.order items"}),
])
def test_every_changed_table_is_drawn(page: str, changed: set[str], shots: dict[str, dict[str, Any]]) -> None:
    found = shots[page]
    assert Path(found["png"]).stat().st_size > 10_000
    drawn = {t["table"] for t in found["tables"]}
    assert changed <= drawn, f"{page}: {sorted(changed - drawn)} not drawn; drawn: {sorted(drawn)}"
    for t in found["tables"]:
        name = t["table"].split(".", 1)[1]
        assert name in t["text"], t
        box, shot = t["box"], t["shot"]
        assert box["width"] > 100 and box["height"] > 40, t
        # drawn, not blank: a border, a title bar and text make many colours and a good share of ink
        assert shot["colours"] >= 8 and shot["nonwhite"] > shot["pixels"] * 0.05, t


def test_before_and_after_sides(shots: dict[str, dict[str, Any]]) -> None:
    sides: dict[str, set[str]] = {}
    for t in shots["odd"]["tables"]:
        sides.setdefault(t["table"], set()).add(t["side"].split()[-1])
    assert sides["main.<b>gone</b>"] == {"diagram-before"}  # dropped: only before
    assert sides['main.new "fancy" table'] == {"diagram-after"}  # new: only after
    assert sides["main.order items"] == {"diagram-before", "diagram-after"}


def test_self_contained_and_escaped(shots: dict[str, dict[str, Any]], odd_page: Path) -> None:
    for found in shots.values():
        assert found["requests"] == [] and found["scripts"] == 0
    text = odd_page.read_text(encoding="utf-8")
    assert "<script" not in text and "<img" not in text and "<b>gone" not in text
    assert "&lt;/code&gt;&lt;/div&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_rehearsal_timings_and_locks_on_the_page(deployed: Deployed) -> None:
    text = deployed.page.read_text(encoding="utf-8")
    section = text.split("<h2>Last rehearsal</h2>", 1)[1]
    assert "passed, on scratch-" in section and "20260101000002_add_users_name (" in section
    assert "<th>locks taken</th>" in section and "ALTER TABLE users ADD COLUMN name varchar(100)" in section


def test_no_rehearsal_is_said(blog: Blog) -> None:
    assert "No rehearsal of these migrations was found" in blog.page.read_text(encoding="utf-8")

"""Every Mermaid block safeshift writes parses with Mermaid's own parser (npm ``mermaid`` under jsdom, one
Node process for the whole batch) and names every table the change alters: the review's Markdown of a pull
request's migrations, of a whole folder, of awkward identifiers, and the release record's Markdown."""

from __future__ import annotations

import html
from typing import Any

import pytest

from safeshift.picture import build, mermaid
from tests.picture._peers import parse_mermaid
from tests.picture._scenarios import odd_schemas
from tests.picture.conftest import Blog, Deployed, mermaid_blocks

#: each case: its Mermaid text and the entity names its changed tables must have
Case = tuple[str, set[str]]


@pytest.fixture(scope="module")
def cases(blog: Blog, deployed: Deployed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    (pr,) = mermaid_blocks(blog.markdown)
    (whole,) = mermaid_blocks(blog.whole_markdown)
    (release,) = mermaid_blocks(deployed.record_md)
    before, after = odd_schemas(tmp_path_factory.mktemp("odd"))
    odd = mermaid(build(before, after, default_schema="main"))
    return {
        "pull request": (pr, {"posts (changed)", "users (changed)"}),
        "whole folder": (whole, {"posts (new)", "users (new)"}),
        "release record": (release, {"users (changed)", "tags (new)"}),
        "odd identifiers": (odd, {"<b>gone</b> (dropped)", 'new "fancy" table (new)', "order items (changed)"}),
    }


@pytest.fixture(scope="module")
def parsed(cases: dict[str, Case]) -> dict[str, dict[str, Any]]:
    results = parse_mermaid([text for text, _ in cases.values()])
    return dict(zip(cases, results, strict=True))


def _decoded(name: str) -> str:
    """An entity name as Mermaid draws it.  Its parser keeps entity codes (``#quot;``) as placeholders
    (``ﬂ°quot¶ß``) that its renderer turns into HTML entities (``&quot;``) for the browser to decode."""
    return html.unescape(name.replace("ﬂ°°", "&#").replace("ﬂ°", "&").replace("¶ß", ";"))


@pytest.mark.parametrize("case", ["pull request", "whole folder", "release record", "odd identifiers"])
def test_parses_and_names_every_changed_table(case: str, cases: dict[str, Case],
                                              parsed: dict[str, dict[str, Any]]) -> None:
    text, changed = cases[case]
    result = parsed[case]
    assert result["ok"], f"Mermaid rejected the {case} diagram: {result.get('error')}\n{text}"
    assert result["type"] == "er"
    names = {_decoded(n) for n in result["entities"]}
    assert changed <= names, f"{case}: {sorted(changed - names)} missing from {sorted(names)}"


def test_attributes_survive_parsing(cases: dict[str, Case], parsed: dict[str, dict[str, Any]]) -> None:
    attrs = parsed["odd identifiers"]["attributes"]
    assert attrs["order items (changed)"] == ["pk_", "select", "quote_d", "weird_col", "_1st_tag", "owner", "n_code"]
    assert parsed["pull request"]["relationships"] == 2  # author_id and the new editor_id


def test_release_record_shows_the_diagram_before_its_checklist(deployed: Deployed) -> None:
    md = deployed.record_md
    assert md.index("### The change, as a diagram") < md.index("```mermaid") < md.index("## Checklist")


def test_review_markdown_notes_a_data_only_migration(blog: Blog) -> None:
    assert ("20261128224526_backfill_post_editor.sql changes no table's definition: the tables its SQL names are "
            "drawn as touched (posts).") in blog.whole_markdown

"""`safeshift review --format markdown|html` as a user runs it: where the page goes, and the one-sentence
errors when the page's FILE is missing, doubled, or given without --format html."""

from __future__ import annotations

from tests.picture._scenarios import ROOT
from tests.picture.conftest import Blog
from tests.runner._project import invoke


def test_markdown_has_the_findings_then_the_diagram(blog: Blog) -> None:
    md = blog.markdown
    assert md.startswith("**safeshift review**") and md.index("| Severity |") < md.index("```mermaid")
    assert "- posts: index ix_posts_editor_id added, foreign key posts_editor_id_fkey added" in md


def test_html_page_is_written_where_asked(blog: Blog) -> None:
    text = blog.page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.count("<svg") == 2 and 'data-table="public.posts"' in text
    assert 'id="f1-L9"' in text and 'href="#f1-L9"' in text  # the finding links to its line


def test_html_needs_exactly_one_page_file(blog: Blog) -> None:
    out = invoke(blog.root, "review", "--format", "html", expect=2)
    assert "name exactly one FILE ending in .html" in out.stderr
    out = invoke(blog.root, "review", "--format", "html", "a.html", "b.html", expect=2)
    assert "name exactly one FILE ending in .html" in out.stderr
    out = invoke(blog.root, "review", "page.html", expect=2)
    assert "page.html is an HTML file, not SQL" in out.stderr and "--format html" in out.stderr
    assert not (blog.root / "a.html").exists() and "Traceback" not in out.stderr


def test_the_documented_example_is_the_real_output(blog: Blog) -> None:
    doc = (ROOT / "docs" / "review-picture.md").read_text(encoding="utf-8")
    shown = doc.split("~~~markdown\n", 1)[1].split("~~~\n", 1)[0]
    assert shown == blog.markdown, ("docs/review-picture.md shows an older review: run its command in a copy of "
                                    "examples/blog and paste the output (and its diagram) again")

"""substack.html keeps only what Substack's editor keeps; the checker says what it would drop."""

from __future__ import annotations

from pathlib import Path

from papercast.config import Settings
from papercast.render import render_issue, substack_problems
from support.issue_builders import sample_issue


def test_shipped_substack_html_has_no_problems(tmp_path: Path) -> None:
    settings = Settings()
    path = render_issue(sample_issue(settings), settings=settings, out_dir=tmp_path,
                        formats=["substack"])["substack"]  # fmt: skip
    html = path.read_text(encoding="utf-8")
    assert substack_problems(html) == []
    assert "<h2>" in html and "<blockquote>" in html and "<ul>" in html


def test_substack_check_flags_what_the_editor_drops() -> None:
    assert substack_problems('<table><tr><td>a</td></tr></table><a href="ftp://x">') == [
        "<a href='ftp://x'> is not an http(s) link",
        "<table> is not kept by the Substack editor",
        "<td> is not kept by the Substack editor",
        "<tr> is not kept by the Substack editor",
    ]


def test_substack_check_flags_attributes_on_allowed_tags() -> None:
    assert substack_problems('<p class="x" style="y">a</p>') == [
        "<p class=…> attribute is not kept",
        "<p style=…> attribute is not kept",
    ]

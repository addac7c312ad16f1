"""Rendering: every format carries every highlight's five sections, one-liners for the rest,
hostile text is inert, links are http(s) only, output is deterministic, templates override."""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from papercast.config import Settings
from papercast.errors import ConfigError, ExportError, InputError
from papercast.render import FORMATS, render_format, render_issue
from papercast.text import md_escape, safe_url
from support.html_checks import Tags, assert_inert
from support.issue_builders import sample_issue

SECTIONS = ("TLDR", "METHOD", "RESULTS", "CRITIQUES", "IMPLICATIONS")


@pytest.fixture
def rendered(tmp_path: Path) -> dict[str, str]:
    settings = Settings()
    paths = render_issue(sample_issue(settings), settings=settings, out_dir=tmp_path,
                         formats=list(FORMATS))  # fmt: skip
    assert {p.name for p in paths.values()} == {
        "issue.md", "issue.html", "email.html", "issue.txt", "substack.html", "issue.bib"
    }  # fmt: skip
    assert not list(tmp_path.glob(".*.tmp"))
    return {fmt: path.read_text(encoding="utf-8") for fmt, path in paths.items()}


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "bib"])  # bib: test_details.py
def test_every_highlight_has_its_five_sections_and_the_rest_are_one_liners(
    rendered: dict[str, str], fmt: str
) -> None:
    text = rendered[fmt]
    if fmt != "md" and fmt != "txt":
        text = Tags.of(text).all_text
    text = " ".join(text.split())
    for n in range(1, 6):
        for section in SECTIONS:
            assert f"{section}-{n}" in text, (fmt, section, n)
        assert f"REASON-{n}" in text and f"WHY-{n}" in text
    for label in ("TL;DR", "Method", "Results", "Critiques", "Implications"):
        assert label in text
    # also-noteworthy: tldr for summarized, abstract's first sentence otherwise; no full summary
    assert "TLDR-6" in text and "TLDR-7" in text
    assert "METHOD-6" not in text and "RESULTS-7" not in text
    for n in (8, 9, 10):
        assert f"We study thing {n} in depth." in text
        assert "It works well" not in text
    assert "Also noteworthy" in text or "ALSO NOTEWORTHY" in text
    for n in range(1, 11):
        if n != 2:
            assert f"Paper Number {n}: A Study of Things" in text


@pytest.mark.parametrize("fmt", ["html", "email", "substack"])
def test_html_outputs_escape_hostile_text_and_link_only_http(
    rendered: dict[str, str], fmt: str
) -> None:
    html = rendered[fmt]
    assert_inert(html)
    assert "javascript:" not in " ".join(Tags.of(html).hrefs())
    assert "data:text/html" not in html
    assert "https://arxiv.org/abs/2410.00001v1" in Tags.of(html).hrefs()


def test_markdown_renders_to_inert_html(rendered: dict[str, str]) -> None:
    html = MarkdownIt("commonmark", {"html": True}).render(rendered["md"])
    assert_inert(html)
    hrefs = Tags.of(html).hrefs()
    assert hrefs and all(h.startswith("https://") for h in hrefs)
    md = rendered["md"]
    assert md.startswith("# This Week's New Papers - Oct 13, 2024\n")
    assert "*This issue was written by gpt-4o-mini on October 13, 2024.*" in md
    assert "## Paper Number 1: A Study of Things\n\n<https://arxiv.org/abs/2410.00001v1>" in md
    assert "- ⭐ **[Paper Number 6: A Study of Things](https://arxiv.org/abs/2410.00006v1)**" in md


def test_email_html_is_table_based_inlined_and_600px(rendered: dict[str, str]) -> None:
    doc = Tags.of(rendered["email"])
    names = [t for t, _ in doc.tags]
    assert "style" not in names, "CSS must be inlined"
    tables = [a for t, a in doc.tags if t == "table"]
    assert any("max-width: 600px" in (a.get("style") or "") for a in tables)
    assert any(a.get("style") for t, a in doc.tags if t == "h1")


def test_text_is_wrapped_and_keeps_urls_whole(rendered: dict[str, str]) -> None:
    txt = rendered["txt"]
    for line in txt.splitlines():
        assert len(line) <= 78 or "://" in line, line
    assert "   https://arxiv.org/abs/2410.00001v1" in txt
    assert "HIGHLIGHTS" in txt and "ALSO NOTEWORTHY (* = most interesting)" in txt


def test_rendering_is_deterministic(tmp_path: Path) -> None:
    settings = Settings()
    first = render_issue(sample_issue(settings), settings=settings, out_dir=tmp_path / "a",
                         formats=list(FORMATS))  # fmt: skip
    second = render_issue(sample_issue(settings), settings=settings, out_dir=tmp_path / "b",
                          formats=list(FORMATS))  # fmt: skip
    for fmt in FORMATS:
        assert first[fmt].read_bytes() == second[fmt].read_bytes(), fmt


def test_a_user_template_overrides_the_shipped_one_by_name(tmp_path: Path) -> None:
    user = tmp_path / "templates"
    user.mkdir()
    (user / "issue.md.j2").write_text("CUSTOM {{ title|md }} {{ highlights|length }}\n")
    settings = Settings(issue={"templates_dir": user})
    issue = sample_issue(settings)
    assert render_format(issue, "md", settings=settings) == (
        "CUSTOM This Week's New Papers - Oct 13, 2024 5\n"
    )
    # other formats still come from the shipped templates
    assert "<!doctype html>" in render_format(issue, "html", settings=settings)


def test_user_html_templates_are_autoescaped_too(tmp_path: Path) -> None:
    user = tmp_path / "templates"
    user.mkdir()
    (user / "issue.html.j2").write_text("<h1>{{ highlights[1].title }}</h1>")
    settings = Settings(issue={"templates_dir": user})
    html = render_format(sample_issue(settings), "html", settings=settings)
    assert html == "<h1>Attention &lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; Is Enough</h1>"


def test_a_missing_variable_is_an_error_naming_the_template(tmp_path: Path) -> None:
    user = tmp_path / "templates"
    user.mkdir()
    (user / "issue.txt.j2").write_text("{{ title }}\n{{ subtitle }}\n")
    settings = Settings(issue={"templates_dir": user})
    with pytest.raises(ExportError, match=r"template issue.txt.j2 failed.*'subtitle' is undefined"):
        render_issue(sample_issue(settings), settings=settings, out_dir=tmp_path / "out",
                     formats=["md", "txt"])  # fmt: skip
    assert not (tmp_path / "out" / "issue.md").exists(), "nothing is written when one fails"


def test_bad_templates_dir_and_unknown_format_are_clear_errors(tmp_path: Path) -> None:
    settings = Settings(issue={"templates_dir": tmp_path / "missing"})
    with pytest.raises(ConfigError, match="templates_dir"):
        render_format(sample_issue(Settings()), "md", settings=settings)
    with pytest.raises(InputError, match="unknown format 'pdf'"):
        render_issue(sample_issue(), settings=Settings(), out_dir=tmp_path, formats=["md", "pdf"])


def test_safe_url_allows_only_http_links() -> None:
    assert safe_url("https://arxiv.org/abs/2410.05258") == "https://arxiv.org/abs/2410.05258"
    assert safe_url("http://x.org/a b(c)") == "http://x.org/a%20b%28c%29"
    for bad in ("javascript:alert(1)", " JAVASCRIPT:alert(1)", "data:text/html,x", "ftp://x.org",
                "//evil.org/x", "https:///x", "java\tscript:alert(1)", "", None):  # fmt: skip
        assert safe_url(bad) is None, bad


def test_md_escape_neutralises_markup() -> None:
    assert md_escape("[x](javascript:alert(1)) <b>") == r"\[x\](javascript:alert(1)) \<b\>"
    assert md_escape("# heading") == r"\# heading"
    assert md_escape("a_b*c*") == r"a\_b\*c\*"

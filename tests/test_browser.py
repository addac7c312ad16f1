"""issue.html and email.html in a real headless Chromium at phone and desktop widths:
no horizontal overflow, every paper present, every link visible and clickable, no script runs.
Screenshots land in test-artifacts/browser/. Where Chromium is missing the test skips with the
reason, and fails instead where TESTS_REQUIRE names chromium (as .ci/run sets it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from papercast.config import Settings
from papercast.models import IssueEntry
from papercast.render import render_issue
from support.browser_cdp import Browser
from support.issue_builders import paper, sample_issue, summary

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "browser"
WIDTHS = (375, 1200)

CHECK = """
(() => {
  const out = {width: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
               papers: [], links: [], overflowing: [], alerted: !!window.__alerted};
  document.querySelectorAll('[data-paper-id]').forEach(el => out.papers.push(el.dataset.paperId));
  document.querySelectorAll('a[href]').forEach(a => {
    a.scrollIntoView({block: 'center', inline: 'nearest'});
    const r = a.getClientRects()[0];
    let hit = false;
    if (r) {
      const el = document.elementFromPoint(r.left + Math.min(r.width / 2, 4), r.top + r.height / 2);
      hit = !!el && (el === a || a.contains(el));
    }
    out.links.push({href: a.href, protocol: a.protocol, text: a.textContent.trim(),
                    w: r ? r.width : 0, h: r ? r.height : 0, hit});
  });
  window.scrollTo(0, 0);
  document.querySelectorAll('body *').forEach(el => {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > window.innerWidth + 1) out.overflowing.push(el.tagName + ' ' + el.className);
  });
  return out;
})()
"""


def _issue_with_long_strings(settings: Settings):  # type: ignore[no-untyped-def]
    issue = sample_issue(settings)
    long_word = "Supercalifragilistic" * 8
    long_url = "https://example.org/" + "very-long-path-segment/" * 12 + "paper.pdf"
    extra = paper(11, title=f"A {long_word} title", abs_url=long_url)
    issue.noteworthy.append(IssueEntry(paper=extra, why="long strings"))
    issue.highlights[0] = issue.highlights[0].model_copy(
        update={"summary": summary(1, 9, method=f"See {long_url} and {long_word}.")}
    )
    return issue


@pytest.mark.browser
@pytest.mark.parametrize("fmt", ["html", "email"])
def test_issue_pages_render_in_chromium(tmp_path: Path, fmt: str) -> None:
    settings = Settings()
    issue = _issue_with_long_strings(settings)
    page = render_issue(issue, settings=settings, out_dir=tmp_path, formats=[fmt])[fmt]
    expected = [e.paper.id for e in [*issue.highlights, *issue.noteworthy]]
    with Browser(tmp_path) as browser:
        browser.call(
            "Page.addScriptToEvaluateOnNewDocument",
            source="window.alert = window.confirm = window.prompt = () => { window.__alerted = true; };",
        )
        for width in WIDTHS:
            browser.open(page, width)
            result = browser.evaluate(CHECK)
            browser.screenshot(ARTIFACTS / f"{fmt}-{width}.png")
            where = f"{fmt} at {width}px"
            assert result["width"] == width, where
            assert result["scrollWidth"] <= width, f"{where}: horizontal overflow {result}"
            assert result["overflowing"] == [], where
            assert result["papers"] == expected, where
            assert not result["alerted"], f"{where}: a script ran"
            links = result["links"]
            assert len(links) >= len(expected), where
            for link in links:
                assert link["protocol"] in ("http:", "https:"), (where, link)
                assert link["w"] > 0 and link["h"] > 0 and link["hit"], (where, link)
            titles = {link["text"] for link in links}
            assert "Attention <script>alert('t')</script> Is Enough" in titles, where
    assert (ARTIFACTS / f"{fmt}-375.png").stat().st_size > 1000


@pytest.mark.browser
def test_a_japanese_issue_renders_in_chromium(tmp_path: Path) -> None:
    """The Japanese page: lang="ja", the translated headings drawn by a font that has every
    glyph (no empty boxes), no overflow at phone width, and the published titles beside their
    translations."""
    from test_i18n import TEXTS, TITLES, _issue

    issue, settings = _issue("ja")
    page = render_issue(issue, settings=settings, out_dir=tmp_path, formats=["html"])["html"]
    with Browser(tmp_path) as browser:
        for width in WIDTHS:
            browser.open(page, width)
            result = browser.evaluate(
                """(() => ({lang: document.documentElement.lang, dir: document.dir,
                   text: document.body.innerText, width: window.innerWidth,
                   scrollWidth: document.documentElement.scrollWidth,
                   also: document.querySelector('section.also h2').innerText}))()"""
            )
            browser.screenshot(ARTIFACTS / f"ja-{width}.png")
            assert (result["lang"], result["dir"]) == ("ja", "ltr")
            assert result["scrollWidth"] <= result["width"], f"overflow at {width}px"
            assert result["also"] == "そのほかの注目論文"
            for text in ("要点", "手法", "結果", "掲載理由", TEXTS["ja"]["tldr"], TITLES[0]):
                assert text in result["text"], (width, text)
            assert TEXTS["ja"]["title_translated"] in result["text"]
            fonts = browser.fonts_for("section.also h2")
            drawn = sum(f["glyphCount"] for f in fonts)
            assert drawn == len(result["also"]), f"glyphs missing: {fonts}"
    assert (ARTIFACTS / "ja-375.png").stat().st_size > 1000

"""One hostile corpus for every output papercast writes, and the checks every output must pass.

The corpus is what a broken or hostile server, PDF or LLM can hand papercast: markup that runs
when rendered (``<script>``, ``<img onerror>``, ``<svg onload>``, ``javascript:`` links,
remote tracking images, in HTML and Markdown spellings) and characters no output may carry
(U+FFFE/U+FFFF and other noncharacters, control characters, lone surrogates, bidi controls
that reorder what a reader sees, invisible characters).

Checks: :func:`assert_no_unsafe_characters` for every file; :func:`assert_html_inert` for HTML;
:func:`assert_markdown_inert` renders Markdown the way Obsidian or a Markdown site does (HTML
allowed, CommonMark) and checks the result is inert.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

from support.html_checks import Tags

# Characters that must never reach a file (name -> character). A lone surrogate cannot be
# written as UTF-8 at all, so servers send it JSON-escaped: see LONE_SURROGATE_JSON.
UNSAFE_CHARACTERS = {
    "U+FFFE noncharacter": "\ufffe",
    "U+FFFF noncharacter": "\uffff",
    "U+1FFFE noncharacter": "\U0001fffe",
    "U+FDD0 noncharacter": "\ufdd0",
    "U+0008 backspace": "\x08",
    "U+000B vertical tab": "\x0b",
    "U+001B escape": "\x1b",
    "U+0085 next line": "\x85",
    "U+202E right-to-left override": "\u202e",
    "U+2066 left-to-right isolate": "\u2066",
    "U+200F right-to-left mark": "\u200f",
    "U+200B zero-width space": "\u200b",
    "U+FEFF byte order mark": "\ufeff",
    "U+2028 line separator": "\u2028",
    "U+E0041 tag character": "\U000e0041",
}
LONE_SURROGATE_MARK = "@@LONE-SURROGATE@@"  # replaced by LONE_SURROGATE_JSON in JSON payloads
LONE_SURROGATE_JSON = b"\\ud800"


def sprinkle(text: str) -> str:
    """``text`` with every unsafe character inside its words (where a reader would not see it)."""
    words = text.split(" ")
    chars = list(UNSAFE_CHARACTERS.values())
    out = []
    for i, word in enumerate(words):
        if len(word) > 2:
            word = word[:2] + chars[i % len(chars)] + word[2:]
        out.append(word)
    return " ".join(out) + "".join(chars)


# Markup that is live when rendered, in the spellings an attacker would use.
SCRIPT = "<script>alert('pwned')</script>"
IMG_ONERROR = '<img src=x onerror="alert(1)">'
SVG_ONLOAD = "<svg onload=alert(2)>"
JS_LINK_MD = "[click me](javascript:alert(3))"
JS_LINK_HTML = '<a href="javascript:alert(4)">here</a>'
JS_AUTOLINK = "<javascript:alert(5)>"
TRACKER_MD = "![](https://tracker.example/pixel.gif?who=reader)"
TRACKER_HTML = '<img src="https://tracker.example/pixel2.gif">'
IFRAME = "<iframe src=https://evil.example/></iframe>"
BREAKOUT = '"><img src=x onerror=alert(6)>'

HOSTILE_TITLE = f"Attention {SCRIPT} Is {SVG_ONLOAD} All You {JS_LINK_MD} Need"
HOSTILE_ABSTRACT = (
    f"We {IMG_ONERROR} study things {JS_LINK_HTML} and {TRACKER_MD} more. {TRACKER_HTML} "
    f"Results {JS_AUTOLINK} improve {IFRAME} by 10.5% on the benchmark."
)
HOSTILE_AUTHORS = [BREAKOUT, f"Eve {JS_LINK_MD}", "Mallory <b onmouseover=alert(7)>M</b>"]
HOSTILE_SUMMARY = {
    "tldr": sprinkle(f"A model {SCRIPT} beats the baselines {JS_LINK_MD}."),
    "method": sprinkle(f"We train {SVG_ONLOAD} a transformer {BREAKOUT} on data."),
    "results": sprinkle(f"Accuracy improves by 10.5% {JS_LINK_HTML} {IFRAME}."),
    "critiques": sprinkle(f"Only one dataset {TRACKER_MD} {TRACKER_HTML}."),
    "implications": sprinkle(f"Practitioners can adopt it {JS_AUTOLINK}."),
    "significance": 9,
    "significance_reason": sprinkle("<b onmouseover=alert(8)>big</b> deal"),
    "keywords": [SCRIPT, "transformers", "javascript:alert(9)"],
}
HOSTILE_URL = "javascript:alert(document.cookie)"
# arXiv comment, journal reference and affiliations: what the venue, code and affiliation
# lines of every format are made of (BibTeX's own specials included: braces, %, \\, @)
HOSTILE_COMMENT = (
    f"Accepted at {SCRIPT} ICLR {{2025}}}} % {JS_LINK_MD}. Code: "
    f'https://github.com/acme/repo"><script>alert(10)</script> and {JS_AUTOLINK} '
    "project page: javascript:alert(11)"
)
HOSTILE_JOURNAL_REF = f"Proc. {IMG_ONERROR} @misc{{evil, title={{x}}}} \\ 2024 {BREAKOUT}"
HOSTILE_AFFILIATION = f"{SVG_ONLOAD} University }} of {JS_LINK_HTML} @article{{x,"
VISIBLE_AS_TEXT = "<script>alert('pwned')</script>"  # what a reader must still see, as text

_LIVE_TAGS = {"script", "img", "svg", "iframe", "object", "embed", "style", "link", "meta"}


def assert_no_unsafe_characters(text: str, where: object) -> None:
    found = [name for name, char in UNSAFE_CHARACTERS.items() if char in text]
    assert not found, (where, found)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text), (where, "lone surrogate")


def _safe_link(value: str, *, relative_ok: bool) -> bool:
    if value.startswith(("https://", "http://", "mailto:", "#")):
        return "tracker.example" not in value and "evil.example" not in value
    scheme = urlsplit(value).scheme
    return relative_ok and not scheme and not value.startswith("//")


def assert_html_inert(html: str, where: object, *, relative_ok: bool = True) -> Tags:
    """No live element, no on* handler, links only to http(s) (or relative pages)."""
    doc = Tags.of(html)
    allowed_meta = {"meta", "style", "link"}  # the page's own head elements
    for tag, attrs in doc.tags:
        if tag in _LIVE_TAGS - allowed_meta:
            raise AssertionError((where, "live element", tag, attrs))
        if tag == "link" and attrs.get("href"):
            assert _safe_link(attrs["href"] or "", relative_ok=True), (where, tag, attrs)
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, (where, tag, attrs)
        for key in ("href", "src", "action", "formaction"):
            value = attrs.get(key)
            if value is None or tag in ("audio", "source", "link"):
                continue
            assert _safe_link(value, relative_ok=relative_ok), (where, tag, key, value)
    return doc


def assert_markdown_inert(markdown: str, where: object) -> Tags:
    """Render as CommonMark with raw HTML allowed (as Obsidian does); the result is inert."""
    html = MarkdownIt("commonmark").render(markdown)
    doc = assert_html_inert(html, where, relative_ok=False)
    assert not [t for t, _ in doc.tags if t in ("style", "meta", "link")], where
    return doc


def assert_file_safe(path: Path) -> None:
    """Every output file: UTF-8 without unsafe characters; HTML, Markdown, JSON, XML inert."""
    data = path.read_bytes()
    if path.suffix in (".mp3", ".eml", ".wav", ".pdf", ".db"):
        return
    text = data.decode("utf-8")
    assert_no_unsafe_characters(text, path)
    if path.suffix == ".html":
        assert_html_inert(text, path)
    elif path.suffix == ".md":
        assert_markdown_inert(text, path)
    elif path.suffix == ".json":
        json.loads(text)
    elif path.suffix == ".xml":
        from lxml import etree

        etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def hostile_issue(settings: object | None = None, issue_id: str = "2024-W41") -> object:
    """An issue whose first highlight and first noteworthy paper carry the whole corpus."""
    from datetime import UTC, datetime

    from papercast.config import Settings
    from papercast.issue import assemble_issue
    from papercast.models import Author, IssueEntry, Paper, Summary, SummaryRecord

    ranked, summaries = [], {}
    for n in range(1, 6):
        hostile = n in (1, 4)
        paper = Paper(
            id=f"arxiv:2410.{n:05d}",
            source="arxiv",
            version=1,
            title=sprinkle(HOSTILE_TITLE) if hostile else f"Plain paper {n}",
            authors=[
                Author(name=sprinkle(a), affiliations=[sprinkle(HOSTILE_AFFILIATION)])
                for a in HOSTILE_AUTHORS
            ]
            if hostile
            else [],
            comment=sprinkle(HOSTILE_COMMENT) if n == 1 else None,
            journal_ref=sprinkle(HOSTILE_JOURNAL_REF) if n == 4 else None,
            abstract=sprinkle(HOSTILE_ABSTRACT) if hostile else f"Abstract {n}. More text.",
            categories=["<b>cs.CR</b>", "cs.LG"],
            published=datetime(2024, 10, 8, 12, tzinfo=UTC),
            abs_url=HOSTILE_URL if hostile else f"https://arxiv.org/abs/2410.{n:05d}v1",
            pdf_url="data:text/html,<script>alert(1)</script>" if hostile else None,
        )
        ranked.append(IssueEntry(paper=paper, score=1 - n / 10, why=sprinkle(JS_LINK_MD)))
        fields = dict(HOSTILE_SUMMARY)
        fields["significance"] = 10 - n
        summaries[paper.id] = SummaryRecord(
            paper_id=paper.id,
            version=1,
            model="gpt-4o-mini",
            summary=Summary.model_validate(fields),
        )
    chosen = settings if isinstance(settings, Settings) else Settings(issue={"highlights": 2})
    return assemble_issue(issue_id, ranked=ranked, summaries=summaries, settings=chosen)

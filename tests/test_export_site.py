"""The static archive site: index newest first, a page per issue, audio, feed.xml, and every
relative link resolving to a file that exists."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser

from papercast.config import Settings
from papercast.export.site import build_site
from support.html_checks import Tags, assert_inert
from support.issue_builders import sample_issue


def _local_links(page: Path) -> list[str]:
    doc = Tags.of(page.read_text(encoding="utf-8"))
    links = []
    for _, attrs in doc.tags:
        for key in ("href", "src"):
            value = attrs.get(key)
            if value and not urlsplit(value).scheme:
                links.append(value)
    return links


def test_site_pages_feed_audio_and_links_resolve(tmp_path: Path) -> None:
    settings = Settings()
    out = tmp_path / "out"
    issues = [sample_issue(settings, issue_id=w) for w in ("2024-W40", "2024-W41", "2024-W39")]
    issues[1].audio_file = "episode.mp3"
    issues[1].audio_duration_seconds = 125
    (out / "2024-W41").mkdir(parents=True)
    (out / "2024-W41" / "episode.mp3").write_bytes(b"ID3" + b"\0" * 100)
    (out / "2024-W41" / "chapters.json").write_text("{}")
    (out / "2024-W41" / "episode.vtt").write_text("WEBVTT\n")
    (out / "2024-W41" / "episode.txt").write_text("words\n")
    site = tmp_path / "site"
    index = build_site(issues, settings=settings, site_dir=site, audio_root=out)

    assert index == site / "index.html"
    html = index.read_text(encoding="utf-8")
    order = [a["data-issue-id"] for t, a in Tags.of(html).tags if "data-issue-id" in a]
    assert order == ["2024-W41", "2024-W40", "2024-W39"], "newest first"
    assert "2:05" in html

    pages = [index, *(site / w / "index.html" for w in ("2024-W39", "2024-W40", "2024-W41"))]
    for page in pages:
        links = _local_links(page)
        assert links, page
        for link in links:
            assert not link.startswith("/"), f"absolute path {link} in {page}"
            target = (page.parent / unquote(link)).resolve()
            assert target.is_file(), f"{page}: {link} does not resolve"
    w41 = (site / "2024-W41" / "index.html").read_text(encoding="utf-8")
    assert '<audio controls preload="none" src="episode.mp3">' in w41
    assert (site / "2024-W41" / "episode.mp3").read_bytes().startswith(b"ID3")
    assert (site / "2024-W41" / "chapters.json").is_file()
    assert '<a href="episode.txt">transcript</a> (<a href="episode.vtt">WebVTT</a>)' in w41
    assert '<track kind="captions" src="episode.vtt"' in w41
    assert (site / "2024-W41" / "episode.vtt").read_text() == "WEBVTT\n"
    assert "<audio" not in (site / "2024-W40" / "index.html").read_text(encoding="utf-8")
    assert '<a href="../index.html">All issues</a>' in w41
    assert_inert(w41, relative_ok=True)
    for n in range(1, 6):
        assert f"METHOD-{n}" in w41

    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo
    assert [e.link for e in feed.entries] == [
        "2024-W41/index.html", "2024-W40/index.html", "2024-W39/index.html"
    ]  # fmt: skip
    assert feed.entries[0].title == "This Week's New Papers - Oct 13, 2024"


def test_site_feed_uses_the_public_url_when_configured_and_rebuilds_identically(
    tmp_path: Path,
) -> None:
    settings = Settings(publish={"site_url": "https://papers.example/archive/"})
    issues = [sample_issue(settings)]
    build_site(issues, settings=settings, site_dir=tmp_path / "a")
    build_site(issues, settings=settings, site_dir=tmp_path / "b")
    feed = feedparser.parse((tmp_path / "a" / "feed.xml").read_bytes())
    assert feed.entries[0].link == "https://papers.example/archive/2024-W41/index.html"
    for name in ("index.html", "feed.xml", "2024-W41/index.html"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()

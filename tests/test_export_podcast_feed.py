"""The podcast RSS feed, parsed back with feedparser and lxml: every required field."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from lxml import etree

from papercast.config import Settings
from papercast.errors import ConfigError
from papercast.export.podcast_feed import ITUNES_NS, PODCAST_NS, build_podcast_feed
from papercast.models import Issue
from support.issue_builders import sample_issue

NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS}


def _settings(**podcast: object) -> Settings:
    config: dict[str, object] = {
        "title": "Papers Weekly",
        "description": "New papers, read aloud.",
        "author": "Ada",
        "email": "ada@papers.example",
        "image": "https://papers.example/cover.png",
        "language": "en",
        "category": "Science > Natural Sciences",
        "base_url": "https://cdn.papers.example/pc/",
    }
    config.update(podcast)
    return Settings(podcast=config)


def _issues(root: Path, settings: Settings) -> list[Issue]:
    issues = []
    for week, size, chapters in (("2024-W40", 1000, False), ("2024-W41", 2345, True)):
        issue = sample_issue(settings, issue_id=week)
        issue.audio_file = "episode.mp3"
        issue.audio_duration_seconds = 999.6
        folder = root / week
        folder.mkdir(parents=True)
        (folder / "episode.mp3").write_bytes(b"\xff" * size)
        if chapters:
            (folder / "chapters.json").write_text('{"version": "1.2.0", "chapters": []}')
            (folder / "episode.vtt").write_text("WEBVTT\n")
            (folder / "episode.txt").write_text("words\n")
        issues.append(issue)
    no_audio = sample_issue(settings, issue_id="2024-W39")
    return [*issues, no_audio]


def test_feed_has_every_required_channel_and_item_field(tmp_path: Path) -> None:
    settings = _settings()
    out = build_podcast_feed(_issues(tmp_path / "out", settings), settings=settings,
                             out_path=tmp_path / "podcast.xml", audio_root=tmp_path / "out")  # fmt: skip
    parsed = feedparser.parse(out.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    feed = parsed.feed
    assert feed.title == "Papers Weekly"
    assert feed.subtitle == "New papers, read aloud."
    assert feed.language == "en"
    assert feed.image.href == "https://papers.example/cover.png"
    assert feed.author_detail.name == "Ada"

    entries = parsed.entries
    assert [e.id for e in entries] == ["papercast-2024-W41", "papercast-2024-W40"], (
        "no-audio left out"
    )
    newest = entries[0]
    assert newest.title == "This Week's New Papers - Oct 13, 2024"
    assert newest.published == "Sun, 13 Oct 2024 12:00:00 +0000"
    assert newest.itunes_duration == "1000"
    enclosure = newest.enclosures[0]
    assert enclosure.href == "https://cdn.papers.example/pc/2024-W41/episode.mp3"
    assert enclosure.length == "2345" and enclosure.type == "audio/mpeg"
    assert "Paper Number 1: A Study of Things" in newest.summary

    tree = etree.parse(str(out))
    channel = tree.getroot().find("channel")
    assert channel is not None
    assert [e.text for e in channel.findall("itunes:explicit", namespaces=NS)] == ["false"]
    category = channel.find("itunes:category", namespaces=NS)
    assert category is not None and category.get("text") == "Science"
    assert [c.get("text") for c in category.findall("itunes:category", namespaces=NS)] == [
        "Natural Sciences"
    ]
    assert channel.find("itunes:image", namespaces=NS).get("href") == (  # type: ignore[union-attr]
        "https://papers.example/cover.png"
    )
    assert channel.findtext("itunes:owner/itunes:email", namespaces=NS) == "ada@papers.example"
    assert channel.findtext("lastBuildDate") == "Sun, 13 Oct 2024 12:00:00 +0000"
    items = channel.findall("item")
    chapters = [i.find("podcast:chapters", namespaces=NS) for i in items]
    assert chapters[0] is not None
    assert chapters[0].get("url") == "https://cdn.papers.example/pc/2024-W41/chapters.json"
    assert chapters[0].get("type") == "application/json+chapters"
    assert chapters[1] is None, "no chapters.json, no link"
    transcripts = [i.findall("podcast:transcript", namespaces=NS) for i in items]
    assert [(t.get("url"), t.get("type"), t.get("language")) for t in transcripts[0]] == [
        ("https://cdn.papers.example/pc/2024-W41/episode.vtt", "text/vtt", "en"),
        ("https://cdn.papers.example/pc/2024-W41/episode.txt", "text/plain", "en"),
    ]
    assert transcripts[1] == [], "no transcript files, no links"
    assert items[0].find("guid").get("isPermaLink") == "false"  # type: ignore[union-attr]


def test_feed_is_deterministic_and_explicit_true(tmp_path: Path) -> None:
    settings = _settings(explicit=True)
    issues = _issues(tmp_path / "out", settings)
    a = build_podcast_feed(issues, settings=settings, out_path=tmp_path / "a.xml",
                           audio_root=tmp_path / "out")  # fmt: skip
    b = build_podcast_feed(issues, settings=settings, out_path=tmp_path / "b.xml",
                           audio_root=tmp_path / "out")  # fmt: skip
    assert a.read_bytes() == b.read_bytes()
    assert b"<itunes:explicit>true</itunes:explicit>" in a.read_bytes()


def test_feed_needs_a_public_base_url_and_an_http_image(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="base_url"):
        build_podcast_feed(
            [], settings=Settings(), out_path=tmp_path / "x.xml", audio_root=tmp_path
        )
    with pytest.raises(ConfigError, match="image"):
        build_podcast_feed([], settings=_settings(image="javascript:alert(1)"),
                           out_path=tmp_path / "x.xml", audio_root=tmp_path)  # fmt: skip
    assert not (tmp_path / "x.xml").exists()

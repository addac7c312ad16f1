"""The podcast RSS feed: one item per issue that has audio (feedgen + its podcast extension).

feedgen's podcast extension predates Apple's current spec in places, so a small extension of
our own writes those tags instead: ``itunes:explicit`` as ``true``/``false``, ``itunes:category``
from Apple's current list (``"Science > Natural Sciences"``), ``itunes:image`` for any http(s)
image, and the Podcasting 2.0 ``podcast:chapters`` link to each episode's chapters JSON and
``podcast:transcript`` links to its transcript (WebVTT, and plain text).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from papercast.config import Settings
from papercast.errors import ConfigError
from papercast.i18n import Language, get_language
from papercast.layout import atomic_write_bytes, safe_name
from papercast.models import Issue
from papercast.text import plain, safe_url

log = logging.getLogger(__name__)

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
CHAPTERS_TYPE = "application/json+chapters"
AUDIO_NAME = "episode.mp3"
CHAPTERS_NAME = "chapters.json"
# The episode's transcripts beside the MP3 (audio/transcript.py writes them), and their types.
TRANSCRIPTS = (("episode.vtt", "text/vtt"), ("episode.txt", "text/plain"))


class AppleTagsExtension(BaseExtension):  # type: ignore[misc]
    """Channel tags written to Apple's current spec (feedgen writes older forms)."""

    def __init__(self) -> None:
        self.explicit = False
        self.category: list[str] = []
        self.image: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"itunes": ITUNES_NS, "podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        explicit = etree.SubElement(channel, f"{{{ITUNES_NS}}}explicit")
        explicit.text = "true" if self.explicit else "false"
        if self.category:
            parent = etree.SubElement(channel, f"{{{ITUNES_NS}}}category", text=self.category[0])
            for sub in self.category[1:2]:
                etree.SubElement(parent, f"{{{ITUNES_NS}}}category", text=sub)
        if self.image:
            etree.SubElement(channel, f"{{{ITUNES_NS}}}image", href=self.image)
        return rss_feed


class ChaptersEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """``<podcast:chapters url="…" type="application/json+chapters"/>`` on an item, and a
    ``<podcast:transcript url="…" type="…"/>`` per transcript file."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.transcripts: list[tuple[str, str]] = []
        self.language: str | None = None

    def extend_rss(self, item: Any) -> Any:
        if self.url:
            etree.SubElement(item, f"{{{PODCAST_NS}}}chapters", url=self.url, type=CHAPTERS_TYPE)
        for url, kind in self.transcripts:
            attributes = {"url": url, "type": kind}
            if self.language:
                attributes["language"] = self.language
            etree.SubElement(item, f"{{{PODCAST_NS}}}transcript", **attributes)
        return item


def episode_audio(issue: Issue, audio_root: Path) -> Path | None:
    """The MP3 of ``issue`` on disk, if it has one."""
    if not issue.audio_file:
        return None
    given = Path(issue.audio_file)
    candidates = [given] if given.is_absolute() else []
    candidates.append(audio_root / safe_name(issue.id) / given.name)
    return next((c for c in candidates if c.is_file()), None)


def public_url(base_url: str, issue: Issue, name: str) -> str:
    return f"{base_url.rstrip('/')}/{safe_name(issue.id)}/{name}"


def pub_datetime(day: date) -> datetime:
    """Issues are dated by day; the feed says noon UTC so no timezone shifts the day."""
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def _channel(settings: Settings, base_url: str, newest: date | None) -> FeedGenerator:
    podcast = settings.podcast
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("apple", AppleTagsExtension, ChaptersEntryExtension)
    title = podcast.title or settings.issue.show_name
    fg.title(title)
    lang = get_language(settings.issue.language)
    description = podcast.description or lang.gettext(
        "Weekly summaries of new research papers, read aloud."
    )
    fg.description(description)
    fg.link(href=safe_url(settings.publish.site_url) or base_url, rel="alternate")
    fg.language(podcast.language or settings.issue.language)
    fg.author({"name": podcast.author, **({"email": podcast.email} if podcast.email else {})})
    fg.podcast.itunes_author(podcast.author)
    fg.podcast.itunes_summary(description)
    fg.podcast.itunes_type("episodic")
    if podcast.email:
        fg.podcast.itunes_owner(name=podcast.author, email=podcast.email)
    fg.apple.explicit = podcast.explicit
    fg.apple.category = [p.strip() for p in podcast.category.replace("/", ">").split(">")]
    if podcast.image:
        image = safe_url(podcast.image)
        if image is None:
            raise ConfigError(
                f"[podcast] image {podcast.image!r} is not an http(s) URL",
                "give the public URL of a square JPEG or PNG (1400-3000 px)",
            )
        fg.apple.image = image
        fg.image(url=image, title=title, link=safe_url(settings.publish.site_url) or base_url)
    when = pub_datetime(newest) if newest else datetime(2000, 1, 1, tzinfo=UTC)
    fg.lastBuildDate(when)
    return fg


def _description(issue: Issue, lang: Language) -> str:
    lines = [plain(issue.intro)] if issue.intro else []
    lines += [f"- {plain(e.paper.title)}" for e in issue.highlights]
    if issue.noteworthy:
        count = len(issue.noteworthy)
        lines.append(
            lang.ngettext(
                "Plus %(num)s more paper in the written issue.",
                "Plus %(num)s more papers in the written issue.",
                count,
            )
            % {"num": lang.number(count)}
        )
    lines.append(plain(issue.transparency))
    return "\n".join(line for line in lines if line)


def build_podcast_feed(
    issues: list[Issue], *, settings: Settings, out_path: Path, audio_root: Path
) -> Path:
    """Write the podcast RSS for every issue with an MP3 under ``audio_root/<issue id>/``."""
    base_url = safe_url(settings.podcast.base_url)
    if base_url is None:
        raise ConfigError(
            "the podcast feed needs [podcast] base_url (the public URL where episodes live)",
            'set base_url = "https://example.org/papercast" and upload each issue folder there',
        )
    ordered = sorted(issues, key=lambda i: (i.date, i.id))
    with_audio = [(i, episode_audio(i, audio_root)) for i in ordered]
    episodes = [(i, path) for i, path in with_audio if path is not None]
    for issue, path in with_audio:
        if path is None:
            log.info("issue %s has no audio file; left out of the podcast feed", issue.id)
    fg = _channel(settings, base_url, episodes[-1][0].date if episodes else None)
    for issue, path in episodes:
        entry = fg.add_entry()
        entry.guid(f"papercast-{issue.id}", permalink=False)
        entry.title(plain(issue.title))
        entry.description(_description(issue, get_language(settings.issue.language)))
        page = safe_url(settings.publish.site_url)
        if page:
            entry.link(href=f"{page.rstrip('/')}/{safe_name(issue.id)}/")
        entry.enclosure(
            public_url(base_url, issue, path.name), str(path.stat().st_size), "audio/mpeg"
        )
        entry.pubDate(pub_datetime(issue.date))
        if issue.audio_duration_seconds is not None:
            entry.podcast.itunes_duration(round(issue.audio_duration_seconds))
        if (path.parent / CHAPTERS_NAME).is_file():
            entry.apple.url = public_url(base_url, issue, CHAPTERS_NAME)
        entry.apple.transcripts = [
            (public_url(base_url, issue, name), kind)
            for name, kind in TRANSCRIPTS
            if (path.parent / name).is_file()
        ]
        entry.apple.language = settings.podcast.language or settings.issue.language
    atomic_write_bytes(out_path, fg.rss_str(pretty=True))
    return out_path

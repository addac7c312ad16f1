"""The static archive site: an index of every issue (newest first), one page per issue with
its audio player, and ``feed.xml`` (RSS of the issues). Only relative links between pages, so
the folder works opened from disk or uploaded anywhere.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from feedgen.feed import FeedGenerator

from papercast.config import Settings
from papercast.export.podcast_feed import (
    CHAPTERS_NAME,
    TRANSCRIPTS,
    episode_audio,
    pub_datetime,
)
from papercast.i18n import get_language
from papercast.layout import atomic_write_bytes, atomic_write_text, safe_name
from papercast.models import Issue
from papercast.render import make_environment, render_format, render_template
from papercast.text import plain, safe_url

log = logging.getLogger(__name__)

FEED_NAME = "feed.xml"


@dataclass(frozen=True)
class IndexItem:
    id: str
    href: str
    title: str
    date_label: str
    count: int
    highlights: list[str]
    audio: bool
    duration: str | None


def _copy_if_changed(src: Path, dst: Path) -> None:
    if (
        dst.is_file()
        and dst.stat().st_size == src.stat().st_size
        and dst.stat().st_mtime >= src.stat().st_mtime
    ):
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.copyfile(src, tmp)
    tmp.replace(dst)


def _issue_page(
    issue: Issue, settings: Settings, site_dir: Path, audio_root: Path | None
) -> IndexItem:
    folder = site_dir / safe_name(issue.id)
    audio = episode_audio(issue, audio_root) if audio_root else None
    transcript: dict[str, Any] = {"captions_src": None, "transcript_src": None}
    if audio is not None:
        _copy_if_changed(audio, folder / audio.name)
        for name in (CHAPTERS_NAME, *(name for name, _ in TRANSCRIPTS)):
            if (audio.parent / name).is_file():
                _copy_if_changed(audio.parent / name, folder / name)
        if all((audio.parent / name).is_file() for name, _ in TRANSCRIPTS):
            transcript = {"captions_src": TRANSCRIPTS[0][0], "transcript_src": TRANSCRIPTS[1][0]}
    html = render_format(
        issue,
        "html",
        settings=settings,
        nav={"home": "../index.html", "feed": f"../{FEED_NAME}"},
        audio_src=quote(audio.name) if audio else None,
        **transcript,
    )
    atomic_write_text(folder / "index.html", html)
    return IndexItem(
        id=issue.id,
        href=f"{safe_name(issue.id)}/index.html",
        title=plain(issue.title),
        date_label=get_language(settings.issue.language).date(issue.date, "medium"),
        count=len(issue.highlights) + len(issue.noteworthy),
        highlights=[plain(e.paper.title) for e in issue.highlights],
        audio=audio is not None,
        duration=issue.audio_duration,
    )


def _feed(issues: list[Issue], items: list[IndexItem], settings: Settings) -> bytes:
    base = safe_url(settings.publish.site_url)
    root = base.rstrip("/") + "/" if base else ""
    fg = FeedGenerator()
    fg.title(settings.issue.show_name)
    lang = get_language(settings.issue.language)
    fg.description(lang.gettext("Every issue of %(show)s.") % {"show": settings.issue.show_name})
    fg.link(href=root + "index.html" if root else "index.html", rel="alternate")
    fg.language(settings.podcast.language or settings.issue.language)
    if issues:
        fg.lastBuildDate(pub_datetime(max(i.date for i in issues)))
    for issue, item in sorted(zip(issues, items, strict=True), key=lambda p: (p[0].date, p[0].id)):
        entry = fg.add_entry()
        entry.guid(f"papercast-issue-{issue.id}", permalink=False)
        entry.title(item.title)
        entry.link(href=root + item.href)
        entry.pubDate(pub_datetime(issue.date))
        entry.description("\n".join(item.highlights) or plain(issue.intro) or item.title)
    result: bytes = fg.rss_str(pretty=True)
    return result


def build_site(
    issues: list[Issue],
    *,
    settings: Settings,
    site_dir: Path,
    audio_root: Path | None = None,
    podcast_feed: str | None = None,
) -> Path:
    """Write the site into ``site_dir``; returns the index page."""
    ordered = sorted(issues, key=lambda i: (i.date, i.id), reverse=True)
    items = [_issue_page(i, settings, site_dir, audio_root) for i in ordered]
    env = make_environment(settings)
    lang = get_language(settings.issue.language)
    index = render_template(
        env,
        "site_index.html.j2",
        {
            "show_name": plain(settings.issue.show_name),
            "issues": items,
            "podcast_feed": podcast_feed,
            "lang": lang.tag,
            "dir": lang.direction,
        },
    )
    atomic_write_text(site_dir / "index.html", index)
    atomic_write_bytes(site_dir / FEED_NAME, _feed(ordered, items, settings))
    log.info("site: %d issues in %s", len(items), site_dir)
    return site_dir / "index.html"

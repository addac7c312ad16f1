"""Chapters of an episode: one per highlight plus intro and outro, and their JSON form.

The JSON is the Podcasting 2.0 chapters format (``application/json+chapters``,
https://github.com/Podcastindex-org/podcast-namespace/blob/main/chapters/jsonChapters.md),
written beside the MP3 as ``chapters.json`` for the feed's ``<podcast:chapters>`` tag.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CHAPTERS_VERSION = "1.2.0"


class Chapter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    start_seconds: float = Field(ge=0)
    end_seconds: float = Field(ge=0)
    url: str | None = None

    @property
    def start_ms(self) -> int:
        return round(self.start_seconds * 1000)

    @property
    def end_ms(self) -> int:
        return round(self.end_seconds * 1000)


def chapters_json(chapters: list[Chapter], *, title: str | None = None) -> str:
    items: list[dict[str, Any]] = []
    for chapter in chapters:
        item: dict[str, Any] = {
            "startTime": round(chapter.start_seconds, 3),
            "endTime": round(chapter.end_seconds, 3),
            "title": chapter.title,
        }
        if chapter.url:
            item["url"] = chapter.url
        items.append(item)
    document: dict[str, Any] = {"version": CHAPTERS_VERSION}
    if title:
        document["title"] = title
    document["chapters"] = items
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def read_chapters(text: str) -> list[Chapter]:
    """The chapters of a chapters.json document; a malformed one gives no chapters."""
    try:
        items = json.loads(text).get("chapters", [])
        return [
            Chapter(
                title=str(item["title"]),
                start_seconds=float(item["startTime"]),
                end_seconds=float(item.get("endTime", item["startTime"])),
                url=item.get("url"),
            )
            for item in items
        ]
    except (ValueError, TypeError, KeyError, AttributeError):
        return []

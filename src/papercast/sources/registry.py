"""Paper sources by name (``papercast fetch --source``): arxiv, biorxiv, feeds.

Each factory reads its own settings section and returns the sources it configures (none when
the section is empty, one per bioRxiv server or feed URL). Sources take no plugins: see
``papercast.plugins``.
"""

from __future__ import annotations

from papercast.config import Settings
from papercast.http import Limits
from papercast.plugins import Choice, Registry
from papercast.sources.base import Source


def _arxiv(settings: Settings) -> list[Source]:
    from papercast.sources.arxiv import ArxivSource

    if not settings.arxiv.enabled or not (settings.arxiv.categories or settings.arxiv.authors):
        return []
    return [ArxivSource(settings.arxiv, Limits.from_config(settings.download))]


def _biorxiv(settings: Settings) -> list[Source]:
    from papercast.sources.biorxiv import BiorxivSource

    limits = Limits.from_config(settings.download)
    return [BiorxivSource(settings.biorxiv, server, limits) for server in settings.biorxiv.servers]


def _feeds(settings: Settings) -> list[Source]:
    from papercast.sources.feeds import FeedSource

    limits = Limits.from_config(settings.download)
    return [FeedSource(settings.feeds, url, limits) for url in settings.feeds.urls]


SOURCES: Registry[[Settings], list[Source]] = Registry(
    Choice("source", ("arxiv", "biorxiv", "feeds")),
    {"arxiv": _arxiv, "biorxiv": _biorxiv, "feeds": _feeds},
)


def create_sources(settings: Settings, only: list[str] | None = None) -> list[Source]:
    """The configured sources (optionally only some kinds, by name), ready to fetch."""
    factories = [SOURCES.factory(name) for name in only or SOURCES.names()]
    return [source for factory in factories for source in factory(settings)]

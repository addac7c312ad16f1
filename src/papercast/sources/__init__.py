"""Paper sources behind one small protocol (``base``), found by name (``registry``)."""

from papercast.sources.base import Source, SourceResult
from papercast.sources.registry import SOURCES, create_sources

__all__ = ["SOURCES", "Source", "SourceResult", "create_sources"]

"""Paper sources behind one small protocol, found by name in a registry."""

from papercast.sources.base import Source, SourceResult, build_sources, source_names

__all__ = ["Source", "SourceResult", "build_sources", "source_names"]

"""Exports of an issue: podcast feed, archive site, notes, email (and the Substack-ready HTML,
which is a rendering: ``papercast.render``). ``Exporter`` (``publish``) is the one way the
weekly run and the commands call them."""

from papercast.export.publish import Exporter, ExportReport

__all__ = ["ExportReport", "Exporter"]

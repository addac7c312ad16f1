"""``papercast run --sample``: the recorded week in data/sample/, served from 127.0.0.1.

- ``manifest``: data/sample/manifest.json (which file answers which request) and its checks.
- ``server``: ``FixtureServer``, the small local HTTP server that serves the files.
- ``week``: ``serve_sample`` (server + settings overrides), ``sample_settings``, ``seed_pdfs``.
"""

from papercast.sample.week import SampleWeek, sample_settings, seed_pdfs, serve_sample

__all__ = ["SampleWeek", "sample_settings", "seed_pdfs", "serve_sample"]

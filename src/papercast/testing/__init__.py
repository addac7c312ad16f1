"""Test and benchmark helpers shipped with papercast: local servers on 127.0.0.1.

``FixtureServer`` serves recorded payloads (arXiv Atom, bioRxiv JSON, RSS, PDFs) with
scriptable faults; the fake OpenAI-compatible server lives in ``papercast.testing.fake_openai``.
"""

from papercast.testing.http_server import FixtureServer, RecordedRequest, Reply

__all__ = ["FixtureServer", "RecordedRequest", "Reply"]

"""RSS/Atom feeds via feedparser, including arXiv announcement feeds."""

from __future__ import annotations

from datetime import date

import pytest

from papercast.config import load_settings
from papercast.errors import SourceError
from papercast.models import DateWindow
from papercast.sample.server import FixtureServer, Reply
from papercast.sources.base import SourceResult
from papercast.sources.feeds import FeedSource
from support.fixtures import ARXIV_RSS

WEEK = DateWindow(since=date(2024, 10, 7), until=date(2024, 10, 13))

EMPTY_WEEKEND = """<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" version="2.0"><channel>
<title>cs.LG updates on arXiv.org</title><link>http://rss.arxiv.org/rss/cs.LG</link>
<description>cs.LG updates on the arXiv.org e-print archive.</description>
</channel></rss>"""


def _run(url: str, window: DateWindow = WEEK):
    settings = load_settings(overrides={"feeds": {"urls": [url], "num_retries": 1}})
    source = FeedSource(settings.feeds, url)
    result = SourceResult(name=source.name)
    try:
        return list(source.fetch(window, result)), result
    finally:
        source.close()


def test_arxiv_rss_items_become_arxiv_papers(fixture_server: FixtureServer) -> None:
    fixture_server.route("/rss/cs.LG", Reply(body=ARXIV_RSS, content_type="application/rss+xml"))
    papers, result = _run(fixture_server.url("/rss/cs.LG"))
    assert [p.id for p in papers] == ["arxiv:2410.06205", "arxiv:2301.00001"]
    rope = papers[0]
    assert rope.source == "arxiv" and rope.version == 1 and rope.announce_type == "new"
    assert rope.abstract.startswith("Positional Encodings (PEs)")
    assert "Announce Type" not in rope.abstract
    assert [a.name for a in rope.authors][-1] == "Petar Veličković"
    assert len(rope.authors) == 5
    assert rope.categories == ["cs.LG", "cs.CL"]
    assert rope.origin == "cs.LG updates on arXiv.org"
    assert papers[1].announce_type == "replace" and papers[1].version == 3
    assert result.requests == 1


def test_empty_arxiv_feed_explains_weekends(fixture_server: FixtureServer) -> None:
    fixture_server.route(
        "/arxiv.org/rss/cs.LG", Reply(body=EMPTY_WEEKEND, content_type="application/rss+xml")
    )
    papers, result = _run(fixture_server.url("/arxiv.org/rss/cs.LG"))
    assert papers == []
    assert result.empty_reason and "Saturdays, Sundays and holidays" in result.empty_reason


def test_items_outside_the_window_explained(fixture_server: FixtureServer) -> None:
    fixture_server.route("/rss", Reply(body=ARXIV_RSS, content_type="application/rss+xml"))
    window = DateWindow(since=date(2024, 9, 1), until=date(2024, 9, 7))
    papers, result = _run(fixture_server.url("/rss"), window)
    assert papers == []
    assert result.empty_reason and "dated 2024-10-10..2024-10-10" in result.empty_reason


def test_a_web_page_is_not_a_feed(fixture_server: FixtureServer) -> None:
    fixture_server.route(
        "/page", Reply(body="<html><body><p>Hello</p></body></html>", content_type="text/html")
    )
    with pytest.raises(SourceError, match="is not an RSS or Atom feed"):
        _run(fixture_server.url("/page"))


def test_http_404_is_a_clear_error(fixture_server: FixtureServer) -> None:
    with pytest.raises(SourceError, match="answered HTTP 404") as info:
        _run(fixture_server.url("/missing"))
    assert info.value.status == 404


def test_non_http_feed_url_is_refused() -> None:
    with pytest.raises(SourceError, match="only http"):
        _run("file:///etc/passwd")


def test_generic_atom_feed_with_doi(fixture_server: FixtureServer) -> None:
    atom = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">
  <title>Journal of Examples</title><id>urn:x</id><updated>2024-10-09T00:00:00Z</updated>
  <entry><title>A &lt;b&gt;bold&lt;/b&gt; result</title><id>urn:item:1</id>
    <link href="https://journal.example/article/1"/><updated>2024-10-09T00:00:00Z</updated>
    <prism:doi>10.5555/example.1</prism:doi>
    <summary type="html">&lt;p&gt;We show &lt;script&gt;alert(1)&lt;/script&gt; things.&lt;/p&gt;</summary>
    <author><name>Grace Hopper</name></author></entry>
</feed>"""
    fixture_server.route("/atom", Reply(body=atom, content_type="application/atom+xml"))
    [paper], _ = _run(fixture_server.url("/atom"))
    assert paper.source == "feed" and paper.id.startswith("feed:")
    assert paper.doi == "10.5555/example.1" and "doi:10.5555/example.1" in paper.aliases
    assert "<script>" not in paper.abstract and "alert" not in paper.abstract
    assert paper.abs_url == "https://journal.example/article/1"

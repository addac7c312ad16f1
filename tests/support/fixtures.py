"""Small recorded payloads and fixture files the tests share.

``fixture_bytes(name)`` reads tests/fixtures/ (a missing file is a loud error); ``ARXIV_RSS`` is
an arXiv announcement feed in the live format; ``record`` and ``page_json`` build bioRxiv
``/details`` records and pages.
"""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

ARXIV_RSS = """<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">
  <channel>
    <title>cs.LG updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/cs.LG</link>
    <description>cs.LG updates on the arXiv.org e-print archive.</description>
    <atom:link href="http://rss.arxiv.org/rss/cs.LG" rel="self" type="application/rss+xml"/>
    <docs>http://www.rssboard.org/rss-specification</docs>
    <language>en-us</language>
    <lastBuildDate>Thu, 10 Oct 2024 04:00:00 +0000</lastBuildDate>
    <managingEditor>rss-help@arxiv.org</managingEditor>
    <pubDate>Thu, 10 Oct 2024 00:00:00 -0400</pubDate>
    <skipDays>
      <day>Sunday</day>
      <day>Saturday</day>
    </skipDays>
    <item>
      <title>Round and Round We Go! What makes Rotary Positional Encodings useful?</title>
      <link>https://arxiv.org/abs/2410.06205</link>
      <description>arXiv:2410.06205v1 Announce Type: new
Abstract: Positional Encodings (PEs) are a critical component of Transformer-based Large Language Models.</description>
      <guid isPermaLink="false">oai:arXiv.org:2410.06205v1</guid>
      <category>cs.LG</category>
      <category>cs.CL</category>
      <pubDate>Thu, 10 Oct 2024 00:00:00 -0400</pubDate>
      <arxiv:announce_type>new</arxiv:announce_type>
      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
      <dc:creator>Federico Barbero, Alex Vitvitskyi, Christos Perivolaropoulos, Razvan Pascanu, Petar Veli\u010dkovi\u0107</dc:creator>
    </item>
    <item>
      <title>An older paper, revised</title>
      <link>https://arxiv.org/abs/2301.00001</link>
      <description>arXiv:2301.00001v3 Announce Type: replace
Abstract: A revised abstract.</description>
      <guid isPermaLink="false">oai:arXiv.org:2301.00001v3</guid>
      <category>cs.LG</category>
      <pubDate>Thu, 10 Oct 2024 00:00:00 -0400</pubDate>
      <arxiv:announce_type>replace</arxiv:announce_type>
      <dc:creator>Ada Lovelace</dc:creator>
    </item>
  </channel>
</rss>
"""


def fixture_bytes(name: str) -> bytes:
    """A recorded payload from tests/fixtures; a missing fixture is a loud error."""
    path = FIXTURES / name
    if not path.is_file():
        raise FileNotFoundError(f"test fixture {name} is missing from {FIXTURES}")
    return path.read_bytes()


def record(i: int, *, version: int = 1, day: str = "2024-10-08", server: str = "biorxiv") -> dict:
    return {
        "doi": f"10.1101/2024.10.{i:02d}.6000{i:02d}",
        "title": f"Cortical circuit {i} \n  in mice",
        "authors": "Smith, J.; Doe, A. B.; Roe, R.",
        "author_corresponding": "Jane Doe",
        "author_corresponding_institution": "University of Somewhere",
        "date": day,
        "version": str(version),
        "type": "new results",
        "license": "cc_by",
        "category": "neuroscience",
        "jatsxml": f"https://www.biorxiv.org/content/early/2024/10/08/6000{i:02d}.source.xml",
        "abstract": f"We recorded {i * 10} neurons.",
        "published": "NA",
        "server": server,
    }


def page_json(collection: list[dict], *, cursor: int, total: int, status: str = "ok") -> bytes:
    return json.dumps(
        {
            "messages": [
                {
                    "status": status,
                    "interval": "2024-10-07:2024-10-13",
                    "cursor": cursor,
                    "count": len(collection),
                    "count_new_papers": str(len(collection)),
                    "total": total,
                }
            ],
            "collection": collection,
        }
    ).encode()

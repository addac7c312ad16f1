"""Build arXiv API pages from the real recorded response (tests/fixtures), for paging tests."""

from __future__ import annotations

import copy
from pathlib import Path

from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
REAL = Path(__file__).resolve().parent.parent / "fixtures" / "arxiv_query_testing_10_entries.xml"


def real_entries() -> list[etree._Element]:
    root = etree.fromstring(REAL.read_bytes())
    return list(root.iter(f"{ATOM}entry"))


def page(entries: list[etree._Element], *, total: int, start: int) -> bytes:
    """An API page holding ``entries`` with the header values the real API sends."""
    root = etree.fromstring(REAL.read_bytes())
    for entry in list(root.iter(f"{ATOM}entry")):
        root.remove(entry)
    root.find(f"{OPENSEARCH}totalResults").text = str(total)
    root.find(f"{OPENSEARCH}startIndex").text = str(start)
    root.find(f"{OPENSEARCH}itemsPerPage").text = str(len(entries))
    for entry in entries:
        root.append(copy.deepcopy(entry))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def with_id(entry: etree._Element, arxiv_id: str, published: str | None = None) -> etree._Element:
    clone = copy.deepcopy(entry)
    clone.find(f"{ATOM}id").text = f"http://arxiv.org/abs/{arxiv_id}"
    for doi in clone.findall("{http://arxiv.org/schemas/atom}doi"):
        clone.remove(doi)  # a journal DOI is an identity: clones must not share it
    if published:
        clone.find(f"{ATOM}published").text = published
    return clone


ERROR_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link xmlns="http://www.w3.org/2005/Atom" href="http://arxiv.org/api/query?search_query=&amp;id_list=1234.12345&amp;start=0&amp;max_results=10" rel="self" type="application/atom+xml"/>
  <title xmlns="http://www.w3.org/2005/Atom" type="html">ArXiv Query: search_query=&amp;id_list=1234.12345</title>
  <id xmlns="http://www.w3.org/2005/Atom">http://arxiv.org/api/kvuntZ8c9a4Eq5CF7KY03nMug+Q</id>
  <updated xmlns="http://www.w3.org/2005/Atom">2024-10-14T00:00:00-04:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:itemsPerPage>
  <entry xmlns="http://www.w3.org/2005/Atom">
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.12345</summary>
    <updated>2024-10-14T00:00:00-04:00</updated>
    <link href="http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345" rel="alternate" type="text/html"/>
    <author>
      <name>arXiv api core</name>
    </author>
  </entry>
</feed>
"""

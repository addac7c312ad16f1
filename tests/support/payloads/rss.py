"""RSS payloads: arXiv's announcement feeds (rss.arxiv.org) and generic journal feeds.

An arXiv announcement item (format in use since 2024)::

    <item>
      <title>Differential Transformer</title>
      <link>https://arxiv.org/abs/2410.05258</link>
      <description>arXiv:2410.05258v1 Announce Type: new
    Abstract: Transformer tends to ...</description>
      <guid isPermaLink="false">oai:arXiv.org:2410.05258v1</guid>
      <category>cs.CL</category>
      <pubDate>Tue, 08 Oct 2024 00:00:00 -0400</pubDate>
      <arxiv:announce_type>new</arxiv:announce_type>
      <dc:rights>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</dc:rights>
      <dc:creator>Tianzhu Ye, Li Dong, Yuqing Xia</dc:creator>
    </item>

``announce_type`` is ``new``, ``cross`` (primary category elsewhere), ``replace`` (a new
version of an older paper) or ``replace-cross``. Weekend feeds have a channel and no items.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Literal, NotRequired, TypedDict
from xml.sax.saxutils import escape, quoteattr

from support.payloads.arxiv import ArxivEntry

RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"
ATOM_FEED_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
AnnounceType = Literal["new", "cross", "replace", "replace-cross"]
NONEXCLUSIVE = "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"


class RssItem(TypedDict):
    id: str  # version-free arXiv id
    version: int
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    announce_type: AnnounceType
    rights: NotRequired[str]


def _announce_date(day: date) -> str:
    # arXiv stamps feeds at midnight US Eastern; -0400 during daylight saving time.
    offset = "-0400" if 3 <= day.month <= 10 else "-0500"
    return f"{day:%a, %d %b %Y} 00:00:00 {offset}"


def rss_item_from_entry(entry: ArxivEntry, announce_type: AnnounceType) -> RssItem:
    """The announcement item for an API entry (``cross`` when listed outside its primary)."""
    return {
        "id": entry["id"],
        "version": entry["version"],
        "title": entry["title"],
        "abstract": entry["summary"],
        "authors": [a["name"] for a in entry["authors"]],
        "categories": list(entry["categories"]),
        "announce_type": announce_type,
    }


def announce_type_for(entry: ArxivEntry, category: str) -> AnnounceType:
    """How ``entry`` appears in ``category``'s feed on the day it is announced."""
    replaced = entry["version"] > 1
    if entry["primary_category"] == category:
        return "replace" if replaced else "new"
    return "replace-cross" if replaced else "cross"


def _item_xml(item: RssItem, stamp: str) -> str:
    vid = f"{item['id']}v{item['version']}"
    lines = [
        "    <item>",
        f"      <title>{escape(item['title'])}</title>",
        f"      <link>https://arxiv.org/abs/{item['id']}</link>",
        f"      <description>arXiv:{vid} Announce Type: {item['announce_type']} \n"
        f"Abstract: {escape(item['abstract'])}</description>",
        f'      <guid isPermaLink="false">oai:arXiv.org:{vid}</guid>',
    ]
    lines += [f"      <category>{escape(c)}</category>" for c in item["categories"]]
    lines += [
        f"      <pubDate>{stamp}</pubDate>",
        f"      <arxiv:announce_type>{item['announce_type']}</arxiv:announce_type>",
        f"      <dc:rights>{escape(item.get('rights', NONEXCLUSIVE))}</dc:rights>",
        f"      <dc:creator>{escape(', '.join(item['authors']))}</dc:creator>",
        "    </item>",
    ]
    return "\n".join(lines)


def arxiv_rss(category: str, day: date, items: Sequence[RssItem]) -> bytes:
    """``rss.arxiv.org/rss/<category>`` as served on ``day``; no items = a weekend/holiday feed."""
    stamp = _announce_date(day)
    feed_url = f"http://rss.arxiv.org/rss/{category}"
    lines = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">',
        "  <channel>",
        f"    <title>{escape(category)} updates on arXiv.org</title>",
        f"    <link>{feed_url}</link>",
        f"    <description>{escape(category)} updates on the arXiv.org e-print archive."
        "</description>",
        f'    <atom:link href="{feed_url}" rel="self" type="application/rss+xml"/>',
        "    <docs>http://www.rssboard.org/rss-specification</docs>",
        "    <language>en-us</language>",
        f"    <lastBuildDate>{stamp}</lastBuildDate>",
        "    <managingEditor>rss-help@arxiv.org</managingEditor>",
        f"    <pubDate>{stamp}</pubDate>",
        "    <skipDays>",
        "      <day>Saturday</day>",
        "      <day>Sunday</day>",
        "    </skipDays>",
    ]
    lines.extend(_item_xml(item, stamp) for item in items)
    lines += ["  </channel>", "</rss>"]
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- generic journal feeds --------------------------------------------------------------


class JournalItem(TypedDict):
    title: str
    link: str
    summary: str
    authors: list[str]
    published: datetime
    doi: NotRequired[str]


def _rfc822(value: datetime) -> str:
    return format_datetime(value if value.tzinfo else value.replace(tzinfo=UTC))


def journal_rss(title: str, link: str, items: Sequence[JournalItem]) -> bytes:
    """A plain RSS 2.0 table-of-contents feed, as journals publish them (DOI in dc:identifier)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">',
        "  <channel>",
        f"    <title>{escape(title)}</title>",
        f"    <link>{escape(link)}</link>",
        f"    <description>Latest articles from {escape(title)}</description>",
    ]
    for item in items:
        lines += [
            "    <item>",
            f"      <title>{escape(item['title'])}</title>",
            f"      <link>{escape(item['link'])}</link>",
            f"      <description>{escape(item['summary'])}</description>",
            f"      <pubDate>{_rfc822(item['published'])}</pubDate>",
            f"      <guid>{escape(item['link'])}</guid>",
        ]
        lines += [f"      <dc:creator>{escape(a)}</dc:creator>" for a in item["authors"]]
        if "doi" in item:
            lines.append(f"      <dc:identifier>doi:{escape(item['doi'])}</dc:identifier>")
            lines.append(f"      <prism:doi>{escape(item['doi'])}</prism:doi>")
        lines.append("    </item>")
    lines += ["  </channel>", "</rss>"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def journal_atom(title: str, link: str, items: Sequence[JournalItem]) -> bytes:
    """The same table of contents as an Atom 1.0 feed."""
    newest = max((i["published"] for i in items), default=datetime(2024, 1, 1, tzinfo=UTC))
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <title>{escape(title)}</title>",
        f'  <link href={quoteattr(link)} rel="alternate"/>',
        f"  <id>{escape(link)}</id>",
        f"  <updated>{newest.isoformat()}</updated>",
    ]
    for item in items:
        lines += [
            "  <entry>",
            f"    <title>{escape(item['title'])}</title>",
            f'    <link href={quoteattr(item["link"])} rel="alternate"/>',
            f"    <id>{escape(item.get('doi', item['link']))}</id>",
            f"    <updated>{item['published'].isoformat()}</updated>",
            f"    <published>{item['published'].isoformat()}</published>",
            f"    <summary>{escape(item['summary'])}</summary>",
        ]
        lines += [f"    <author><name>{escape(a)}</name></author>" for a in item["authors"]]
        lines.append("  </entry>")
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")

"""Payloads in the real formats of the services papercast reads, for tests and benchmarks.

- arXiv API Atom pages and error feeds, a synthetic week, a paging ``/api/query`` handler;
- bioRxiv/medRxiv ``/details`` JSON pages, "no posts found", a paging handler (30 per page);
- arXiv announcement RSS (new/cross/replace/replace-cross, empty weekend feeds) and generic
  journal RSS/Atom feeds.

Every generator is deterministic for its arguments (seeded; no clock), so fixtures built from
it are byte-for-byte reproducible.
"""

from support.payloads.arxiv import (
    ATOM_CONTENT_TYPE,
    SYNTHETIC_ID_BASE,
    ArxivApiHandler,
    ArxivAuthor,
    ArxivEntry,
    arxiv_atom,
    arxiv_entries_from_atom,
    arxiv_error_feed,
    arxiv_error_reply,
    synthetic_arxiv_week,
)
from support.payloads.biorxiv import (
    JSON_CONTENT_TYPE,
    BiorxivApiHandler,
    BiorxivRecord,
    biorxiv_author_list,
    biorxiv_details_page,
    biorxiv_no_posts,
    synthetic_biorxiv_records,
)
from support.payloads.rss import (
    RSS_CONTENT_TYPE,
    JournalItem,
    RssItem,
    announce_type_for,
    arxiv_rss,
    journal_atom,
    journal_rss,
    rss_item_from_entry,
)

__all__ = [
    "ATOM_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "RSS_CONTENT_TYPE",
    "SYNTHETIC_ID_BASE",
    "ArxivApiHandler",
    "ArxivAuthor",
    "ArxivEntry",
    "BiorxivApiHandler",
    "BiorxivRecord",
    "JournalItem",
    "RssItem",
    "announce_type_for",
    "arxiv_atom",
    "arxiv_entries_from_atom",
    "arxiv_error_feed",
    "arxiv_error_reply",
    "arxiv_rss",
    "biorxiv_author_list",
    "biorxiv_details_page",
    "biorxiv_no_posts",
    "journal_atom",
    "journal_rss",
    "rss_item_from_entry",
    "synthetic_arxiv_week",
    "synthetic_biorxiv_records",
]

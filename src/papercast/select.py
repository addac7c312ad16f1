"""Selection rules: keyword, category, author and announce-type rules; seen-tracking.

Keywords match whole words, case-insensitively, on title + abstract; a trailing ``*`` matches a
prefix (``robot*``) and a phrase matches as a phrase. Followed authors are always kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from papercast.config import Settings
from papercast.models import Paper


class KeywordMatcher:
    """One compiled alternation for a list of keywords; reports which keyword matched."""

    def __init__(self, keywords: Iterable[str]) -> None:
        self.keywords = [k.strip() for k in keywords if k and k.strip()]
        parts = []
        for keyword in self.keywords:
            prefix = keyword.endswith("*")
            body = re.escape(keyword.rstrip("*").strip())
            body = body.replace(r"\ ", r"[\s-]+")
            tail = r"\w*" if prefix else r"(?!\w)"
            parts.append(rf"(?<!\w)({body}{tail})")
        self._regex = re.compile("|".join(parts), re.IGNORECASE) if parts else None

    def __bool__(self) -> bool:
        return self._regex is not None

    def first_match(self, text: str) -> str | None:
        if self._regex is None:
            return None
        match = self._regex.search(text)
        if match is None or match.lastindex is None:
            return None
        return self.keywords[match.lastindex - 1]


def _norm_name(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


class Selector:
    """Decides whether a fetched paper is a candidate; ``check`` returns the excluding rule."""

    def __init__(self, settings: Settings) -> None:
        sel = settings.select
        self.follow = {_norm_name(a) for a in [*sel.authors, *settings.arxiv.authors] if a.strip()}
        self.exclude_authors = {_norm_name(a) for a in sel.exclude_authors if a.strip()}
        self.skip_types = {t.lower() for t in settings.feeds.skip_announce_types}
        self.include_categories = set(sel.include_categories)
        self.exclude_categories = set(sel.exclude_categories)
        self.exclude_all = KeywordMatcher(sel.exclude)
        self.include_all = KeywordMatcher(sel.include)
        self.exclude_arxiv = KeywordMatcher(settings.arxiv.exclude)
        self.include_arxiv = KeywordMatcher(settings.arxiv.include)

    def _followed(self, paper: Paper) -> bool:
        return bool(self.follow) and any(_norm_name(a.name) in self.follow for a in paper.authors)

    def check(self, paper: Paper) -> str | None:
        """None if ``paper`` is a candidate, else a short name of the rule that excluded it."""
        if paper.announce_type and paper.announce_type in self.skip_types:
            return f"announce type: {paper.announce_type}"
        if self._followed(paper):
            return None
        for author in paper.authors:
            if _norm_name(author.name) in self.exclude_authors:
                return f"author: {author.name}"
        primary = paper.primary_category or (paper.categories[0] if paper.categories else None)
        if primary and primary in self.exclude_categories:
            return f"category: {primary}"
        if self.include_categories and not self.include_categories.intersection(paper.categories):
            return "category: not in include_categories"
        text = paper.text_for_matching
        is_arxiv = paper.source == "arxiv"
        for matcher in (self.exclude_all, self.exclude_arxiv if is_arxiv else None):
            if matcher:
                hit = matcher.first_match(text)
                if hit:
                    return f"exclude: {hit}"
        for matcher in (self.include_all, self.include_arxiv if is_arxiv else None):
            if matcher and matcher.first_match(text) is None:
                return "include: no keyword matched"
        return None

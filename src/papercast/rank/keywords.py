"""Keyword boosts and the stated-interest ranker: the cold start that needs no history.

With no picks and no imported history, candidates are ordered by how well they match
``[rank] interests`` (TF-IDF cosine), then by boosts, then newest first, and the "why" says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from papercast.models import Paper
from papercast.rank.base import Scored
from papercast.rank.models import Profile
from papercast.rank.why import compose, top_terms

COLD_START = "cold start (no picks or history yet)"


def _pattern(keyword: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in keyword.split()]
    return re.compile(r"(?<!\w)" + r"[\s\-]+".join(words) + r"(?!\w)", re.IGNORECASE)


def boost_matches(
    papers: Sequence[Paper], boosts: Mapping[str, float]
) -> tuple[NDArray[np.float64], list[list[str]]]:
    """Per paper: the summed boost of every keyword found in title/abstract, and the labels."""
    totals = np.zeros(len(papers))
    labels: list[list[str]] = [[] for _ in papers]
    patterns = [(kw, w, _pattern(kw)) for kw, w in boosts.items() if kw.strip() and w]
    for index, paper in enumerate(papers):
        text = paper.text_for_matching
        for keyword, weight, pattern in patterns:
            if pattern.search(text):
                totals[index] += weight
                labels[index].append(f"boost '{keyword}' {weight:+g}")
    return totals, labels


def interest_similarity(
    papers: Sequence[Paper], interests: str, explain: bool
) -> tuple[NDArray[np.float64], list[list[str]]]:
    """Cosine similarity of each paper to the interests text, and the shared terms."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [p.text_for_matching for p in papers]
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, stop_words="english", dtype=np.float64
    )
    try:
        matrix = vectorizer.fit_transform([*texts, interests])
    except ValueError:  # nothing but stop words
        return np.zeros(len(papers)), [[] for _ in papers]
    query = matrix[len(texts)]
    candidates = matrix[: len(texts)]
    scores = np.asarray((candidates @ query.T).toarray()).ravel()
    terms: list[list[str]] = [[] for _ in papers]
    if explain:
        names = vectorizer.get_feature_names_out()
        weights = np.asarray(query.toarray()).ravel()
        terms = [top_terms(candidates[i], weights, names) for i in range(len(texts))]
    return scores, terms


class KeywordRanker:
    """Stated interests (and boosts, added by the caller) only; deterministic."""

    name = "keywords"

    def score(self, candidates: Sequence[Paper], profile: Profile, explain: bool) -> Scored:
        prefix = "" if profile.has_positives else COLD_START
        if not profile.interests.strip():
            return Scored(
                np.zeros(len(candidates)),
                [(prefix or "no interests set") + ", newest first" for _ in candidates],
            )
        scores, terms = interest_similarity(candidates, profile.interests, explain)
        whys = [
            compose(prefix=prefix, terms=t) if t else (prefix or "no match with your interests")
            for t in terms
        ]
        if prefix:
            whys = [w.replace("; terms:", ": matches your interests in", 1) for w in whys]
        return Scored(scores, whys)

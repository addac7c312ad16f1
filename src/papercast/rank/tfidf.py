"""The default ranker: TF-IDF word and character n-grams + class-weighted logistic regression.

Trained on the profile each run, offline, in seconds: word 1-2-grams over title and abstract
catch topics ("state space model"), character 3-5-grams over titles catch spelling variants
("MLP-Mixer", "mixers", "Mamba-ND").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from papercast.models import Paper
from papercast.rank.base import Scored
from papercast.rank.freshness import FreshnessColumns, freshness_columns
from papercast.rank.freshness import explain as explain_freshness
from papercast.rank.models import Profile
from papercast.rank.training import TrainingSet, build_training_set, fit_scores
from papercast.rank.why import compose, nearest, terms_from

CHAR_WEIGHT = 0.25  # chosen on bench/rank_eval.py: 0 to 0.3 best, 1.0 clearly worse
WHY_CHUNK = 512
WORD_PATTERN = r"(?u)\b[^\W\d_][\w\-]*\w\b"


def _fit(vectorizer: Any, texts: list[str]) -> tuple[Any, list[str]]:
    """Fit and transform; an empty vocabulary (only stop words) gives zero columns."""
    from scipy.sparse import csr_matrix

    try:
        matrix = vectorizer.fit_transform(texts).tocsr()
    except ValueError:
        return csr_matrix((len(texts), 0), dtype=np.float32), []
    return matrix, [str(n) for n in vectorizer.get_feature_names_out()]


ExtraFeatures = Callable[[list[str]], Any]  # texts -> one dense or sparse row per text


def _with_freshness(
    whys: list[str], fresh: FreshnessColumns | None, coef: NDArray[np.float64]
) -> list[str]:
    """The why gains the batch features that moved a paper's score (their weights come last)."""
    if fresh is None:
        return whys
    extra = explain_freshness(fresh.candidates, coef[-fresh.candidates.shape[1] :])
    return [
        "; ".join(part for part in (why, more) if part)
        for why, more in zip(whys, extra, strict=True)
    ]


class TfidfRanker:
    name = "tfidf"

    def __init__(self, half_life_days: float = 365.0, regularization: float = 0.3) -> None:
        self.half_life_days = half_life_days
        self.regularization = regularization

    def extra_features(self) -> ExtraFeatures | None:
        """More feature columns beside the n-grams (the hybrid ranker adds embeddings)."""
        return None

    def score(self, candidates: Sequence[Paper], profile: Profile, explain: bool) -> Scored:
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer

        training = build_training_set(profile, len(candidates), self.half_life_days)
        item_texts = [item.text for item in training.items]
        cand_texts = [paper.text_for_matching for paper in candidates]
        n_docs = len(item_texts) + len(cand_texts)
        min_df, max_df = (2, 0.5) if n_docs >= 50 else (1, 1.0)
        words = TfidfVectorizer(
            ngram_range=(1, 2),
            sublinear_tf=True,
            stop_words="english",
            token_pattern=WORD_PATTERN,
            min_df=min_df,
            max_df=max_df,
            dtype=np.float32,
        )
        chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            sublinear_tf=True,
            min_df=min_df,
            lowercase=True,
            dtype=np.float32,
        )
        titles = [item.title for item in training.items] + [p.title for p in candidates]
        word_matrix, names = _fit(words, item_texts + cand_texts)
        char_matrix, _ = _fit(chars, titles)
        blocks = [word_matrix, char_matrix * CHAR_WEIGHT]
        extra = self.extra_features()
        if extra is not None:
            blocks.append(extra(item_texts + cand_texts))
        matrix = hstack(blocks, format="csr")
        if matrix.shape[1] == 0:
            return Scored(np.zeros(len(candidates)), ["no words to match"] * len(candidates))
        n_items = len(item_texts)
        train = matrix if training.background else matrix[:n_items]
        cand = matrix[n_items:]
        fresh = freshness_columns(
            training.items, train.shape[0] - n_items, candidates
        )  # the batch features, learned with the words (see rank/freshness.py)
        if fresh is not None:
            train = hstack([train, fresh.train], format="csr")
            cand = hstack([cand, fresh.candidates], format="csr")
        scores, coef = fit_scores(train, training, cand, self.regularization)
        whys = [""] * len(candidates)
        if explain:
            whys = self._explain(training, word_matrix, n_items, coef, names)
            whys = _with_freshness(whys, fresh, coef)
        return Scored(scores, whys)

    def _explain(
        self,
        training: TrainingSet,
        word_matrix: Any,
        n_items: int,
        coef: NDArray[np.float64],
        names: Sequence[str],
    ) -> list[str]:
        word_coef = coef[: word_matrix.shape[1]]
        picks = [
            i for i, item in enumerate(training.items) if item.picked and item.origin != "interests"
        ]
        pick_titles = [training.items[i].title for i in picks]
        pick_matrix = word_matrix[picks].T.tocsc() if picks else None
        cand = word_matrix[n_items:]
        whys: list[str] = []
        for start in range(0, cand.shape[0], WHY_CHUNK):
            block = cand[start : start + WHY_CHUNK]
            if pick_matrix is not None:
                sims = np.asarray((block @ pick_matrix).toarray(), dtype=np.float64)
                close = nearest(sims, pick_titles)
            else:
                close = [[] for _ in range(block.shape[0])]
            for offset in range(block.shape[0]):
                lo, hi = block.indptr[offset], block.indptr[offset + 1]
                terms = terms_from(block.indices[lo:hi], block.data[lo:hi], word_coef, names)
                whys.append(
                    compose(nearest=close[offset], terms=terms)
                    or "little in common with your picks"
                )
        return whys

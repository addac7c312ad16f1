"""The shared learning step: labelled profile items (+ background) -> a linear model's scores.

Positives are weighted by recency (a pick ``half_life`` days older than the newest counts half,
never less than a fifth); the classes are balanced so a few dozen picks are not drowned by
thousands of passed-over papers. When the reader has labelled fewer negatives than positives
(an imported library is all positives), the candidates themselves stand in as weak negatives,
the way arxiv-sanity trains on "everything else".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from papercast.rank.models import Profile, ProfileItem

MIN_RECENCY_WEIGHT = 0.2


@dataclass(frozen=True)
class TrainingSet:
    """Labelled texts for one run: profile items first, then (if used) the candidates."""

    items: list[ProfileItem]
    labels: NDArray[np.int_]
    weights: NDArray[np.float64]
    background: bool
    interests_index: int | None


def _age_days(newest: datetime, when: datetime | None) -> float:
    if when is None:
        return 0.0
    return max(0.0, (newest - when).total_seconds() / 86400.0)


def recency_weights(items: list[ProfileItem], half_life_days: float) -> NDArray[np.float64]:
    """1.0 for the newest item (and undated ones), halving every ``half_life_days`` before."""
    dated = [item.when for item in items if item.when is not None]
    if not dated:
        return np.ones(len(items))
    newest = max(dated)
    ages = np.array([_age_days(newest, item.when) for item in items])
    return np.maximum(MIN_RECENCY_WEIGHT, np.power(0.5, ages / half_life_days))


def build_training_set(profile: Profile, n_candidates: int, half_life_days: float) -> TrainingSet:
    items = [item for item in profile.items if item.text.strip()]
    interests_index = None
    if profile.interests.strip():
        interests_index = len(items)
        items.append(ProfileItem(title=profile.interests, origin="interests"))
    labels = np.array([1 if item.picked else 0 for item in items], dtype=int)
    n_pos = int(labels.sum())
    n_neg = len(items) - n_pos
    background = n_neg < n_pos
    weights = np.ones(len(items))
    positive = labels == 1
    weights[positive] = recency_weights([i for i in items if i.picked], half_life_days)
    if background:
        labels = np.concatenate([labels, np.zeros(n_candidates, dtype=int)])
        weights = np.concatenate([weights, np.ones(n_candidates)])
        positive = labels == 1
    negative_total = float(weights[~positive].sum())
    positive_total = float(weights[positive].sum())
    if positive_total > 0 and negative_total > 0:
        weights[positive] *= negative_total / positive_total  # balanced classes
    weights *= len(weights) / float(weights.sum())  # mean 1: C keeps its meaning
    return TrainingSet(items, labels, weights, background, interests_index)


def fit_scores(
    train: Any, training: TrainingSet, candidates: Any, regularization: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fit a class-weighted logistic regression; returns (candidate scores in 0..1, coef)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=regularization, solver="liblinear", max_iter=1000)
    model.fit(train, training.labels, sample_weight=training.weights)
    margin = np.asarray(model.decision_function(candidates), dtype=np.float64)
    scores = 1.0 / (1.0 + np.exp(-margin))
    return scores, np.asarray(model.coef_[0], dtype=np.float64)

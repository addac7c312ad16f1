"""The local (sentence-transformers) backend: a clear error when missing; the adapter ranks."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from papercast.config import Settings
from papercast.errors import ConfigError
from papercast.models import Paper
from papercast.rank import Profile, ProfileItem, rank_papers
from papercast.rank.embeddings import EmbeddingsRanker
from papercast.rank.local import LocalEmbedder
from papercast.store import Database
from papercast.store.embeddings import EmbeddingStore

VOCAB = ["mlp", "mixer", "state", "space", "sequence", "attention"]


class WordCountEncoder:
    """A stand-in with sentence-transformers' encode() signature: counts of six words."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: list[str], batch_size: int, convert_to_numpy: bool) -> np.ndarray:
        self.seen.extend(texts)
        return np.array([[t.lower().count(w) + 0.01 for w in VOCAB] for t in texts])


def paper(i: int, title: str, abstract: str) -> Paper:
    return Paper(id=f"arxiv:2410.0000{i}", source="arxiv", title=title, abstract=abstract)


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is not None,
    reason="sentence-transformers is installed here; the missing-package error cannot occur",
)
def test_missing_package_is_a_clear_config_error() -> None:
    settings = Settings(rank={"backend": "local"})
    profile = Profile(items=[ProfileItem(title="MLP", abstract="mlp mixer")])
    with pytest.raises(ConfigError, match="needs sentence-transformers") as info:
        rank_papers([paper(1, "A", "b")], profile, settings)
    assert "pip install sentence-transformers" in str(info.value)


def test_local_embedder_ranks_and_caches(tmp_path: Path) -> None:
    encoder = WordCountEncoder()
    profile = Profile(
        items=[
            ProfileItem(title="MLP-Mixer", abstract="mlp mixer mlp"),
            ProfileItem(title="Mamba", abstract="state space sequence", picked=False),
        ]
    )
    candidates = [paper(1, "S5", "state space sequence layers"), paper(2, "gMLP", "mlp mlp")]
    with Database(tmp_path / "db.sqlite") as db:
        store = EmbeddingStore(db)
        ranker = EmbeddingsRanker(LocalEmbedder(encoder, "mini", store, 8))
        scored = ranker.score(candidates, profile, explain=True)
        assert scored.scores[1] > scored.scores[0]
        assert scored.why[1] == 'like your pick "MLP-Mixer"'
        assert store.count("local:mini") == 4
        again = EmbeddingsRanker(LocalEmbedder(WordCountEncoder(), "mini", store, 8))
        again.score(candidates, profile, explain=False)
        assert again.embedder.requests == 0  # all four vectors from the store

"""The hybrid ranker: the default TF-IDF features plus a small static embedding model.

A static embedding model maps each token to a fixed vector and a text to the mean of its
tokens' vectors: no network, no GPU, thousands of texts a second. papercast uses WordLlama's
``l2_supercat`` (256 dimensions, 16 MB of weights shipped inside the ``wordllama`` wheel:
``pip install 'papercast[static]'``), read from the package's own files (never downloaded),
so it works offline and in tests. ``[rank] static_model_dir`` points at another folder
holding WordLlama-format ``weights/`` and ``tokenizers/``.

The embeddings join the n-gram features (at ``EMBEDDING_WEIGHT``) in the same logistic
regression, so the why (nearest picks, terms) works as for ``tfidf``. When the model cannot be
loaded (package not installed, weights missing or damaged), the ranker says so in one warning
and ranks with the TF-IDF features alone: a weekly run never fails for it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from papercast.errors import ConfigError
from papercast.rank.tfidf import ExtraFeatures, TfidfRanker

log = logging.getLogger(__name__)

MODEL = "l2_supercat"
DIMENSIONS = 256
WEIGHTS = Path("weights") / f"{MODEL}_{DIMENSIONS}.safetensors"
TOKENIZER = Path("tokenizers") / f"{MODEL}_tokenizer_config.json"
# Chosen on bench/rank_eval.py (simulated reader, titles + abstracts): 0.25 to 0.5 help
# (0.5: sparse MAP 0.40 -> 0.56), the real reader (titles only) is flat at 0.5 and worse at 1.
EMBEDDING_WEIGHT = 0.5
INSTALL_HINT = "pip install 'papercast[static]', or use [rank] backend = 'tfidf'"

_lock = threading.Lock()
_models: dict[Path | None, Any] = {}


class StaticModelError(ConfigError):
    """The static embedding model cannot be loaded."""


def _import_wordllama() -> Any:
    """Import wordllama without letting it configure the root logger (it calls basicConfig)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import wordllama
    except ImportError:
        raise StaticModelError(
            "the hybrid ranking backend needs the wordllama package, which is not installed",
            INSTALL_HINT,
        ) from None
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    logging.getLogger("wordllama").setLevel(logging.WARNING)
    return wordllama


def load_static_model(model_dir: Path | None = None) -> Any:
    """The WordLlama model from ``model_dir`` (default: the wordllama package), never downloaded.

    Loaded once per process. Raises StaticModelError with a hint when it cannot be loaded.
    """
    with _lock:
        if model_dir in _models:
            return _models[model_dir]
        wordllama = _import_wordllama()
        folder = model_dir or Path(wordllama.__file__).parent
        missing = [str(folder / f) for f in (WEIGHTS, TOKENIZER) if not (folder / f).is_file()]
        if missing:
            raise StaticModelError(
                f"the static embedding model is incomplete: {', '.join(missing)} missing",
                INSTALL_HINT,
            )
        try:
            from safetensors import safe_open

            with safe_open(str(folder / WEIGHTS), framework="np") as weights:
                embedding = weights.get_tensor("embedding.weight")
            tokenizer = wordllama.WordLlama.load_tokenizer(folder / TOKENIZER)
            model = wordllama.WordLlamaInference(embedding, tokenizer)
            model.embed(["a test sentence"])  # a vocabulary / matrix mismatch fails here
        except Exception as exc:  # a damaged file: safetensors, tokenizers or shape errors
            raise StaticModelError(
                f"cannot load the static embedding model from {folder}: {exc}", INSTALL_HINT
            ) from None
        _models[model_dir] = model
        return model


def embed(model: Any, texts: list[str]) -> NDArray[np.float32]:
    """Unit-length vectors, one row per text (an empty text gives a zero row)."""
    vectors = np.asarray(model.embed(texts, norm=True), dtype=np.float32)
    return np.nan_to_num(vectors, copy=False)


class HybridRanker(TfidfRanker):
    name = "hybrid"

    def __init__(
        self,
        half_life_days: float = 365.0,
        regularization: float = 0.3,
        model_dir: Path | None = None,
    ) -> None:
        super().__init__(half_life_days, regularization)
        self.model_dir = model_dir

    def extra_features(self) -> ExtraFeatures | None:
        try:
            model = load_static_model(self.model_dir)
        except StaticModelError as exc:
            log.warning("%s; ranking with TF-IDF alone (%s)", exc.message, exc.hint)
            return None

        def features(texts: list[str]) -> NDArray[np.float32]:
            return embed(model, texts) * np.float32(EMBEDDING_WEIGHT)

        return features

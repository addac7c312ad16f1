"""The hybrid ranker: a static embedding model shipped in a wheel, loaded offline, with a
clear warning and a TF-IDF fallback when its weights cannot be loaded."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from papercast.config import Settings
from papercast.models import Paper
from papercast.rank import Profile, ProfileItem, rank_papers, static

pytest.importorskip(
    "wordllama", reason="the hybrid backend's model: pip install 'papercast[static]'"
)

PAPERCAST = str(Path(sys.executable).parent / "papercast")

PICKS = [
    "Large language models can reason step by step",
    "Emergent abilities of large language models",
    "Scaling laws for neural language models",
    "In-context learning in transformer language models",
]
PASSED = [
    "Soil erosion in river basins under heavy rainfall",
    "Groundwater recharge estimation in arid regions",
    "Sediment transport in mountain rivers",
    "Flood frequency analysis for urban catchments",
]


def _profile() -> Profile:
    items = [ProfileItem(title=t, picked=True) for t in PICKS]
    items += [ProfileItem(title=t, picked=False) for t in PASSED]
    return Profile(items=items)


def _papers(titles: list[str]) -> list[Paper]:
    return [Paper(id=f"local:{i}", source="local", title=t) for i, t in enumerate(titles)]


def test_the_shipped_model_loads_offline_and_embeds_meaning() -> None:
    model = static.load_static_model()
    vectors = static.embed(
        model,
        [
            "chatbots answering questions",
            "conversational assistants that answer queries",
            "sediment in mountain rivers",
        ],
    )
    assert vectors.shape == (3, static.DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1
    assert static.load_static_model() is model  # loaded once per process


def test_hybrid_generalises_beyond_shared_words_and_explains() -> None:
    # Neither candidate shares a word with the history: TF-IDF sees only a few shared letter
    # n-grams, the static embeddings see that chatbots are about language models.
    titles = ["Watershed hydrology of alpine catchments", "GPT chatbots answering questions"]
    ranked = rank_papers(_papers(titles), _profile(), Settings(), backend="hybrid")
    assert [r.paper.title for r in ranked] == [titles[1], titles[0]]
    lexical = rank_papers(_papers(titles), _profile(), Settings(), backend="tfidf")
    hybrid_gap = ranked[0].score - ranked[1].score
    assert hybrid_gap > 2 * abs(lexical[0].score - lexical[1].score)
    # the why still names the nearest picks and the terms for a candidate that shares words
    why = rank_papers(_papers(["Reasoning in large language models"]), _profile(), Settings())
    hybrid_why = rank_papers(
        _papers(["Reasoning in large language models"]), _profile(), Settings(), backend="hybrid"
    )[0].why
    assert "like your picks" in hybrid_why and "language" in hybrid_why
    assert hybrid_why == why[0].why


def _cli(args: list[str], home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PAPERCAST, "rank", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PAPERCAST_HOME": str(home), "COLUMNS": "200", **env},
    )


def _files(tmp_path: Path) -> list[str]:
    history = tmp_path / "history.csv"
    history.write_text(
        "title,picked\n" + "".join(f"{t},1\n" for t in PICKS) + "".join(f"{t},0\n" for t in PASSED),
        encoding="utf-8",
    )
    candidates = tmp_path / "week.jsonl"
    candidates.write_text(
        "".join(
            json.dumps({"id": f"p{i}", "title": t}) + "\n"
            for i, t in enumerate(
                ["Language models that reason", "Rainfall and river floods", "Quantum dots"]
            )
        ),
        encoding="utf-8",
    )
    return ["--history", str(history), "--candidates", str(candidates)]


@pytest.mark.timeout(300)
def test_missing_weights_warn_clearly_and_rank_like_tfidf(tmp_path: Path) -> None:
    empty = tmp_path / "model"
    (empty / "weights").mkdir(parents=True)
    (empty / "tokenizers").mkdir()
    args = _files(tmp_path)
    fallback = _cli(
        [*args, "--backend", "hybrid"],
        tmp_path / "home",
        PAPERCAST_RANK__STATIC_MODEL_DIR=str(empty),
    )
    assert fallback.returncode == 0, fallback.stderr
    warning = " ".join(fallback.stderr.split())
    assert f"the static embedding model is incomplete: {empty}/weights/" in warning
    assert "ranking with TF-IDF alone" in warning and "papercast[static]" in warning
    assert "Traceback" not in fallback.stderr
    lexical = _cli([*args, "--backend", "tfidf"], tmp_path / "home")
    assert lexical.returncode == 0, lexical.stderr
    assert fallback.stdout == lexical.stdout  # the same ids, order and scores
    assert json.loads(fallback.stdout.splitlines()[0])["id"] == "p0"


def test_damaged_weights_fall_back_to_tfidf_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shipped = Path(static._import_wordllama().__file__).parent
    damaged = tmp_path / "model"
    (damaged / "weights").mkdir(parents=True)
    (damaged / "tokenizers").mkdir()
    (damaged / "weights" / "l2_supercat_256.safetensors").write_bytes(b"not a safetensors file")
    tokenizer = next((shipped / "tokenizers").glob("l2_supercat*"))
    (damaged / "tokenizers" / tokenizer.name).write_bytes(tokenizer.read_bytes())
    settings = Settings(rank={"static_model_dir": damaged})
    papers = _papers(["Language models that reason", "Rainfall and river floods"])
    with caplog.at_level(logging.WARNING, logger="papercast.rank.static"):
        ranked = rank_papers(papers, _profile(), settings, backend="hybrid")
    assert f"cannot load the static embedding model from {damaged}" in caplog.text
    lexical = rank_papers(papers, _profile(), settings, backend="tfidf")
    assert [(r.paper.id, r.score, r.why) for r in ranked] == [
        (r.paper.id, r.score, r.why) for r in lexical
    ]


def test_without_the_package_the_error_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(static, "_models", {})
    monkeypatch.setitem(sys.modules, "wordllama", None)  # what `import` sees when absent
    with pytest.raises(static.StaticModelError) as caught:
        static.load_static_model()
    assert "needs the wordllama package" in str(caught.value)
    assert "pip install 'papercast[static]'" in str(caught.value)


def test_importing_the_model_leaves_the_root_logger_alone() -> None:
    root = logging.getLogger()
    before = list(root.handlers), root.level
    static._import_wordllama()
    assert (list(root.handlers), root.level) == before

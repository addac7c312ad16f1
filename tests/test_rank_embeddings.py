"""The embeddings backend, driven through the real openai SDK against the fake server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from papercast.config import Settings
from papercast.errors import ConfigError
from papercast.models import Paper
from papercast.rank import Profile, ProfileItem, rank_papers
from papercast.rank.embeddings import EmbeddingError
from papercast.store import Database
from papercast.store.embeddings import EmbeddingStore
from support.fake_openai import FakeOpenAI
from support.screenings import newest_share_of_top, profile_of, screenings, week

KEY = "sk-sentinel-rank-0123456789"

PICKS = [
    ("Scaling MLPs", "multi layer perceptron mlp blocks scale with data"),
    ("MLP mixer", "token mixing mlp and channel mixing mlp layers"),
]
PASSED = [
    ("Mamba", "selective state space sequence model for long sequences"),
    ("S4", "structured state space sequence layers"),
]
CANDIDATES = [
    ("Hyena", "long convolution sequence model replaces attention for long sequences"),
    ("gMLP", "gated mlp blocks with mlp layers rival attention"),
]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as server:
        yield server


def settings_for(fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    return Settings(
        rank={"backend": "embeddings", "embedding_base_url": fake.base_url},
        llm={"max_retries": 1, "timeout": 5},
    )


def profile() -> Profile:
    items = [ProfileItem(title=t, abstract=a) for t, a in PICKS]
    items += [ProfileItem(title=t, abstract=a, picked=False) for t, a in PASSED]
    return Profile(items=items)


def candidates() -> list[Paper]:
    return [
        Paper(id=f"arxiv:2410.0000{i}", source="arxiv", title=t, abstract=a)
        for i, (t, a) in enumerate(CANDIDATES)
    ]


def test_ranks_with_embeddings_and_caches_them(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = settings_for(fake, monkeypatch)
    with Database(tmp_path / "db.sqlite") as db:
        ranked = rank_papers(candidates(), profile(), settings, db=db, run_id=7)
        assert [r.paper.title for r in ranked] == ["gMLP", "Hyena"]
        assert ranked[0].why.startswith("like your pick")
        assert "MLP mixer" in ranked[0].why or "Scaling MLPs" in ranked[0].why
        calls = fake.calls_to("/v1/embeddings")
        assert calls and all(c.body["model"] == "text-embedding-3-small" for c in calls)
        assert all(c.headers.get("authorization") == f"Bearer {KEY}" for c in calls)
        sent = [text for c in calls for text in c.body["input"]]
        assert len(sent) == len(set(sent)) == 6  # 4 profile items + 2 candidates, once each
        assert "Hyena\nlong convolution" in "\n".join(sent)
        assert EmbeddingStore(db).count("text-embedding-3-small") == 6

        again = rank_papers(candidates(), profile(), settings, db=db)
        assert len(fake.calls_to("/v1/embeddings")) == len(calls)  # all from the cache
        assert [r.paper.id for r in again] == [r.paper.id for r in ranked]

        logged = db.query("SELECT model, purpose, input_tokens, status, run_id FROM llm_calls")
        assert {(r["model"], r["purpose"], r["run_id"]) for r in logged} == {
            ("text-embedding-3-small", "embedding", 7)  # the run that asked
        }
        assert all(r["input_tokens"] > 0 and r["status"] == "ok" for r in logged)
    dump = (tmp_path / "db.sqlite").read_bytes()
    assert KEY.encode() not in dump


def test_batches_follow_the_configured_size(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(fake, monkeypatch)
    settings.rank.embedding_batch_size = 2
    rank_papers(candidates(), profile(), settings)
    sizes = [len(c.body["input"]) for c in fake.calls_to("/v1/embeddings")]
    assert sizes == [2, 2, 2]


def test_server_failure_is_a_clear_error(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = settings_for(fake, monkeypatch)
    fake.fail_next("500", times=10, path="/v1/embeddings")
    with Database(tmp_path / "db.sqlite") as db:
        with pytest.raises(EmbeddingError) as info:
            rank_papers(candidates(), profile(), settings, db=db)
        logged = [tuple(r) for r in db.query("SELECT status, error FROM llm_calls")]
        assert len(logged) == 1 and logged[0][0] == "error" and "HTTP 500" in logged[0][1]
    assert "the embeddings endpoint at" in str(info.value) and "HTTP 500" in str(info.value)
    assert "backend = 'tfidf'" in str(info.value)
    assert len(fake.calls_to("/v1/embeddings")) == 2  # first try + max_retries=1


def test_wrong_key_is_reported_without_leaking_it(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(fake, monkeypatch)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-sentinel")
    with pytest.raises(EmbeddingError) as info:
        rank_papers(candidates(), profile(), settings)
    assert "rejected the API key (HTTP 401)" in str(info.value)
    assert "sk-wrong-key-sentinel" not in str(info.value)


def test_no_key_and_no_url_is_a_config_error() -> None:
    settings = Settings(rank={"backend": "embeddings"})
    with pytest.raises(ConfigError, match="needs an API key"):
        rank_papers(candidates(), profile(), settings)


def test_cold_start_does_not_call_the_endpoint(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(fake, monkeypatch)
    ranked = rank_papers(candidates(), Profile(interests="mlp"), settings)
    assert ranked[0].paper.title == "gMLP"
    assert fake.calls == []


def test_the_batch_features_are_learned_with_the_vectors(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(fake, monkeypatch)
    ranked = rank_papers(week(), profile_of(screenings(picked_age=0)), settings)
    assert newest_share_of_top(ranked) == 10  # the 10 papers of the newest day first
    backlog = rank_papers(week(), profile_of(screenings(picked_age=2)), settings)
    assert newest_share_of_top(backlog) == 0

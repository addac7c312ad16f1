"""Ranking: learning from picks and history, recency, cold start, boosts, the why, the split."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from papercast.config import Settings
from papercast.errors import ConfigError
from papercast.models import Paper
from papercast.rank import (
    Profile,
    ProfileItem,
    load_profile,
    rank_papers,
    record_picks,
    split_ranked,
)
from papercast.store import Database, PaperStore

MLP = [
    ("Scaling MLPs: A Tale of Inductive Bias", "We study multi-layer perceptrons (MLPs) at scale."),
    ("MLP-Mixer: An all-MLP Architecture", "Token-mixing and channel-mixing MLP layers."),
    ("Bilinear MLPs enable interpretability", "Gated linear units without nonlinearity in MLPs."),
    ("KAN: Kolmogorov-Arnold Networks", "Learnable activations on edges replace MLP weights."),
    ("Sparse MLP kernels", "Block sparse MLP weight matrices give fast inference."),
    ("gMLP: Pay Attention to MLPs", "Gating MLP blocks rival attention in vision and language."),
]
SEQ = [
    ("Mamba: Linear-Time Sequence Modeling", "Selective state space models for long sequences."),
    ("Scaling Laws for Neural Language Models", "Loss follows a power law in compute and data."),
    ("RWKV: Reinventing RNNs", "A recurrent sequence model trained like a transformer."),
    ("Hyena Hierarchy", "Long convolutions replace attention for long sequence modeling."),
    ("Chinchilla: compute-optimal training", "Scaling model size and tokens together."),
    ("S4: Structured State Spaces", "State space sequence layers for long range dependencies."),
]


def paper(i: int, title: str, abstract: str, days_ago: int | None = None) -> Paper:
    published = (
        datetime(2024, 10, 13, tzinfo=UTC) - timedelta(days=days_ago)
        if days_ago is not None
        else None
    )
    return Paper(
        id=f"arxiv:2410.{i:05d}",
        source="arxiv",
        title=title,
        abstract=abstract,
        published=published,
    )


def item(
    title: str, abstract: str, picked: bool = True, when: datetime | None = None
) -> ProfileItem:
    return ProfileItem(title=title, abstract=abstract, picked=picked, when=when)


def test_learns_a_cluster_from_labelled_history() -> None:
    profile = Profile(
        items=[item(t, a) for t, a in MLP[:3]] + [item(t, a, picked=False) for t, a in SEQ[:3]]
    )
    candidates = [paper(i, t, a) for i, (t, a) in enumerate(SEQ[3:] + MLP[3:])]
    ranked = rank_papers(candidates, profile, Settings())
    top = [r.paper.title for r in ranked[:3]]
    assert set(top) == {t for t, _ in MLP[3:]}
    assert ranked[0].score > ranked[-1].score
    assert all(0.0 <= r.score <= 1.0 for r in ranked)
    best = ranked[0]
    assert "like your pick" in best.why
    assert any(t[:20] in best.why for t, _ in MLP[:3])  # names a real past pick
    assert "terms:" in best.why and "mlp" in best.why.lower()


def test_imported_library_without_negatives_still_ranks() -> None:
    """All-positive history (a Zotero library): the candidates serve as the background."""
    profile = Profile(items=[item(t, a) for t, a in MLP[:4]])
    candidates = [paper(i, t, a) for i, (t, a) in enumerate(SEQ[:4] + MLP[4:])]
    ranked = rank_papers(candidates, profile, Settings())
    assert {r.paper.title for r in ranked[:2]} == {t for t, _ in MLP[4:]}


def test_recent_picks_count_more_than_old_ones() -> None:
    old, new = datetime(2019, 1, 1, tzinfo=UTC), datetime(2024, 10, 1, tzinfo=UTC)
    mlp_cand = paper(1, *MLP[5])
    seq_cand = paper(2, *SEQ[5])

    def top_with(mlp_when: datetime, seq_when: datetime) -> str:
        items = [item(t, a, when=mlp_when) for t, a in MLP[:4]]
        items += [item(t, a, when=seq_when) for t, a in SEQ[:4]]
        return rank_papers([mlp_cand, seq_cand], Profile(items=items), Settings())[0].paper.title

    assert top_with(mlp_when=new, seq_when=old) == mlp_cand.title
    assert top_with(mlp_when=old, seq_when=new) == seq_cand.title


def test_cold_start_is_deterministic_newest_first_and_says_so() -> None:
    candidates = [
        paper(1, "Older", "x", days_ago=5),
        paper(2, "Newest", "y", days_ago=0),
        paper(3, "Undated", "z"),
        paper(4, "Also newest", "w", days_ago=0),
    ]
    first = rank_papers(candidates, Profile(), Settings())
    second = rank_papers(list(candidates), Profile(), Settings())
    assert [r.paper.title for r in first] == ["Newest", "Also newest", "Older", "Undated"]
    assert [r.paper.id for r in first] == [r.paper.id for r in second]
    assert all(r.why.startswith("cold start") for r in first)
    assert "newest first" in first[0].why


def test_cold_start_interests_and_boosts() -> None:
    candidates = [paper(i, t, a, days_ago=i) for i, (t, a) in enumerate(SEQ + MLP)]
    profile = Profile(
        interests="state space models for long sequences",
        boosts={"Kolmogorov-Arnold": 2.0, "scaling laws": -5.0},
    )
    ranked = rank_papers(candidates, profile, Settings())
    assert ranked[0].paper.title == "KAN: Kolmogorov-Arnold Networks"
    assert "boost 'Kolmogorov-Arnold' +2" in ranked[0].why
    assert {r.paper.title for r in ranked[1:3]} == {
        "Mamba: Linear-Time Sequence Modeling",
        "S4: Structured State Spaces",
    }
    assert "matches your interests in" in ranked[1].why and "space models" in ranked[1].why
    assert ranked[-1].paper.title == "Scaling Laws for Neural Language Models"
    assert "boost 'scaling laws' -5" in ranked[-1].why


def test_boosts_apply_on_top_of_a_learned_profile() -> None:
    profile = Profile(
        items=[item(t, a) for t, a in MLP[:3]] + [item(t, a, picked=False) for t, a in SEQ[:3]],
        boosts={"hyena": 3.0},
    )
    candidates = [paper(i, t, a) for i, (t, a) in enumerate(SEQ[3:] + MLP[3:])]
    ranked = rank_papers(candidates, profile, Settings())
    assert ranked[0].paper.title == "Hyena Hierarchy"
    assert ranked[0].why.endswith("boost 'hyena' +3")


def test_only_negatives_falls_back_to_cold_start() -> None:
    profile = Profile(items=[item(t, a, picked=False) for t, a in SEQ])
    ranked = rank_papers([paper(1, *MLP[0]), paper(2, *MLP[1])], profile, Settings())
    assert all(r.why.startswith("cold start") for r in ranked)


def test_tiny_and_degenerate_inputs() -> None:
    assert rank_papers([], Profile(items=[item("A", "b")]), Settings()) == []
    ranked = rank_papers(
        [paper(1, "The", "and of the")], Profile(items=[item("A", "b")]), Settings()
    )
    assert len(ranked) == 1
    ranked = rank_papers([paper(1, "the and", "")], Profile(interests="of the"), Settings())
    assert len(ranked) == 1 and ranked[0].score == 0.0


def test_explain_false_skips_the_why() -> None:
    profile = Profile(items=[item(t, a) for t, a in MLP[:3]])
    ranked = rank_papers([paper(1, *MLP[4])], profile, Settings(), explain=False)
    assert ranked[0].why == ""


def test_unknown_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown \\[rank\\] backend 'magic'"):
        rank_papers(
            [paper(1, *MLP[0])], Profile(items=[item("A", "b")]), Settings(), backend="magic"
        )


def test_keywords_backend_ignores_history() -> None:
    settings = Settings(rank={"backend": "keywords", "interests": "state space"})
    profile = Profile(items=[item(t, a) for t, a in MLP], interests="state space")
    ranked = rank_papers([paper(1, *MLP[5]), paper(2, *SEQ[5])], profile, settings)
    assert ranked[0].paper.title == SEQ[5][0]


def test_record_picks_feeds_the_profile(tmp_path: Path) -> None:
    settings = Settings(rank={"interests": "mlps", "boosts": {"mixer": 1.0}})
    with Database(tmp_path / "db.sqlite") as db:
        store = PaperStore(db)
        papers = [paper(i, t, a) for i, (t, a) in enumerate(MLP[:2] + SEQ[:2])]
        for p in papers:
            store.upsert(p)
        shown = [p.id for p in papers]
        assert record_picks(db, "2024-W41", picked=[papers[0].id], shown=shown) == (1, 3)
        profile = load_profile(db, settings)
        assert [(i.title, i.picked) for i in profile.items if i.picked] == [(MLP[0][0], True)]
        assert len(profile.negatives) == 3
        assert {i.origin for i in profile.items} == {"pick:2024-W41"}
        assert profile.interests == "mlps" and profile.boosts == {"mixer": 1.0}
        # the reader changes their mind: the same issue recorded again replaces the labels
        record_picks(db, "2024-W41", picked=[papers[1].id], shown=shown, origin="email")
        profile = load_profile(db, settings)
        assert [i.title for i in profile.positives] == [MLP[1][0]]
        assert len(profile.items) == 4
        # a pick of a paper papercast never stored has no text: left out, not a crash
        record_picks(db, "2024-W42", picked=["arxiv:2501.00001"], shown=[])
        assert len(load_profile(db, settings).items) == 4
        assert load_profile(db, settings, exclude_issue="2024-W41").items == []


def test_split_uses_issue_counts_and_min_score() -> None:
    profile = Profile(items=[item(t, a) for t, a in MLP[:3]])
    candidates = [paper(i, t, a) for i, (t, a) in enumerate(SEQ + MLP[3:])]
    ranked = rank_papers(candidates, profile, Settings())
    settings = Settings(issue={"highlights": 2, "noteworthy": 3})
    split = split_ranked(ranked, settings)
    assert [r.paper.id for r in split.highlights] == [r.paper.id for r in ranked[:2]]
    assert [r.paper.id for r in split.noteworthy] == [r.paper.id for r in ranked[2:5]]
    assert len(split.dropped) == len(ranked) - 5
    floor = ranked[1].score
    strict = split_ranked(ranked, Settings(issue={"highlights": 2}, rank={"min_score": floor}))
    assert len(strict.highlights) == 2 and strict.noteworthy == []
    assert all(r.score < floor for r in strict.dropped)


def test_why_terms_do_not_repeat_words_of_a_longer_term() -> None:
    import numpy as np

    from papercast.rank.why import terms_from

    names = ["positional", "positional encodings", "encodings", "rope"]
    indices = np.array([0, 1, 2, 3])
    data = np.array([1.0, 1.0, 1.0, 1.0])
    weights = np.array([0.5, 0.9, 0.4, 0.3])
    assert terms_from(indices, data, weights, names, k=3) == ["positional encodings", "rope"]

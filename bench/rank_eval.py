"""Ranking quality and speed: does the top of the list hold what the reader would have picked?

Quality. The two paper listings in ../shared/examples (or --listings DIR) hold real titles and
abstracts of two topical clusters: "MLP architectures" and "scaling & sequence models". A
simulated reader likes one cluster. The listing order stands in for time: papers are
interleaved by their relative position and split, the first half is the reader's history
(picked = in the liked cluster), the second half is next week's candidates. Every method ranks
the same candidates in the same run:

  random      expected value over 200 shuffles
  keywords    only the stated interest text (the cold start; no history)
  tfidf       the default: TF-IDF word+char n-grams + class-weighted logistic regression
  tfidf+int   tfidf with the interest text as an extra positive
  embeddings  the embeddings backend against support.fake_openai (hashed bag of
              words: this checks the plumbing, it is NOT a real embedding model)

Three regimes: "all" (the reader picked every liked paper; ~half the pool is relevant),
"sparse" (the reader picked 20% of liked papers in the history and only ~10% of candidates
are relevant, like a reader who picks a few papers a week) and "library" (the same picks
imported from a reference manager: positives only, no passed-over papers); the last two are
averaged over 10 seeds.
Metrics: MAP (average precision of the ranking), recall@10% and recall@20% (share of relevant
candidates in the top 10% / 20% of the list); "ideal" is the best any ranking could do.

Speed. 20,000 history rows x 5,000 candidates through the real CLI (`papercast rank ...`, a
subprocess), against the keyword-only backend on the same files in the same run.

    python bench/rank_eval.py [--listings DIR] [--skip-speed] [--skip-quality] [--skip-embeddings]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from papercast.config import Settings
from papercast.models import Paper
from papercast.rank import Profile, ProfileItem, rank_papers

DEFAULT_LISTINGS = Path(__file__).resolve().parents[2] / "shared" / "examples"
CLUSTERS = {
    "mlp": "paper-listing-mlp-architectures.txt",
    "scaling": "paper-listing-scaling-and-sequence-models.txt",
}
INTERESTS = {
    "mlp": "MLP architectures: multi-layer perceptrons, MLP-Mixer, gated MLPs, KANs",
    "scaling": "scaling laws and sequence models: state space models, RNNs, long context",
}
START = datetime(2024, 1, 1, tzinfo=UTC)
SEEDS = list(range(10))


@dataclass(frozen=True)
class Doc:
    title: str
    abstract: str
    cluster: str
    position: float  # 0..1: where in its listing (our stand-in for time)


def parse_listing(path: Path, cluster: str) -> list[Doc]:
    """Title line, abstract line, repeated, after a two-line page header."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    while lines and lines[0].startswith("Get trending papers"):
        lines.pop(0)
    if lines:
        lines[0] = lines[0].removeprefix("Subscribe")
    pairs = [(lines[i], lines[i + 1]) for i in range(0, len(lines) - 1, 2)]
    return [
        Doc(title, abstract, cluster, index / max(1, len(pairs) - 1))
        for index, (title, abstract) in enumerate(pairs)
    ]


def _key(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", title.lower()).strip()


def load_pool(listings: Path) -> list[Doc]:
    """Both clusters interleaved by relative position; a title in both listings kept once."""
    docs: list[Doc] = []
    for cluster, name in CLUSTERS.items():
        docs.extend(parse_listing(listings / name, cluster))
    docs.sort(key=lambda d: (d.position, d.cluster))
    seen: dict[str, Doc] = {}
    for doc in docs:
        seen.setdefault(_key(doc.title), doc)
    return list(seen.values())


# --- metrics ------------------------------------------------------------------------------


def average_precision(relevant: Sequence[bool]) -> float:
    hits, total = 0, 0.0
    for rank, rel in enumerate(relevant, start=1):
        if rel:
            hits += 1
            total += hits / rank
    return total / hits if hits else 0.0


def recall_at(relevant: Sequence[bool], fraction: float) -> float:
    k = max(1, round(len(relevant) * fraction))
    positives = sum(relevant)
    return sum(relevant[:k]) / positives if positives else 0.0


def metrics(relevant: Sequence[bool]) -> dict[str, float]:
    return {
        "MAP": average_precision(relevant),
        "R@10%": recall_at(relevant, 0.10),
        "R@20%": recall_at(relevant, 0.20),
    }


# --- one evaluation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    history: list[tuple[Doc, bool]]
    candidates: list[Doc]
    relevant: list[bool]


def make_split(pool: list[Doc], liked: str, regime: str, seed: int) -> Split:
    rng = random.Random(seed)
    cut = len(pool) // 2
    past, future = pool[:cut], pool[cut:]
    if regime == "all":
        history = [(d, d.cluster == liked) for d in past]
        candidates = list(future)
    else:
        history = [(d, d.cluster == liked and rng.random() < 0.2) for d in past]
        if regime == "library":  # an imported library: the picks only, no negatives at all
            history = [(d, True) for d, picked in history if picked]
        others = [d for d in future if d.cluster != liked]
        liked_docs = [d for d in future if d.cluster == liked]
        keep = max(2, round(len(others) / 9))  # ~10% of candidates relevant
        candidates = others + rng.sample(liked_docs, min(keep, len(liked_docs)))
        candidates.sort(key=lambda d: d.position)
    return Split(history, candidates, [d.cluster == liked for d in candidates])


def to_papers(docs: Sequence[Doc]) -> list[Paper]:
    return [
        Paper(
            id=f"local:{i}",
            source="local",
            title=d.title,
            abstract=d.abstract,
            published=START + timedelta(days=round(d.position * 365)),
        )
        for i, d in enumerate(docs)
    ]


def to_profile(history: Sequence[tuple[Doc, bool]], interests: str = "") -> Profile:
    items = [
        ProfileItem(
            title=d.title,
            abstract=d.abstract,
            picked=picked,
            when=START + timedelta(days=round(d.position * 365)),
        )
        for d, picked in history
    ]
    return Profile(items=items, interests=interests)


def shuffled(split: Split) -> list[list[bool]]:
    rng = random.Random(0)
    orders = []
    for _ in range(200):
        order = list(split.relevant)
        rng.shuffle(order)
        orders.append(order)
    return orders


def ranked_relevance(ranked: list[object], split: Split) -> list[bool]:
    return [split.relevant[int(r.paper.short_id)] for r in ranked]  # type: ignore[attr-defined]


def run_method(name: str, split: Split, liked: str, settings: Settings) -> list[list[bool]]:
    papers = to_papers(split.candidates)
    if name == "random":
        return shuffled(split)
    if name == "ideal":
        return [sorted(split.relevant, reverse=True)]
    if name == "keywords":
        profile = Profile(interests=INTERESTS[liked])
        backend = "keywords"
    elif name == "tfidf":
        profile = to_profile(split.history)
        backend = "tfidf"
    elif name == "tfidf+int":
        profile = to_profile(split.history, INTERESTS[liked])
        backend = "tfidf"
    elif name == "embeddings":
        profile = to_profile(split.history)
        backend = "embeddings"
    else:
        raise ValueError(name)
    ranked = rank_papers(papers, profile, settings, backend=backend, explain=False)
    return [ranked_relevance(list(ranked), split)]


def evaluate(
    pool: list[Doc], methods: list[str], settings: Settings
) -> dict[tuple[str, str, str], dict[str, float]]:
    results: dict[tuple[str, str, str], dict[str, float]] = {}
    for regime, seeds in (("all", [0]), ("sparse", SEEDS), ("library", SEEDS)):
        for liked in CLUSTERS:
            for method in methods:
                runs: list[dict[str, float]] = []
                for seed in seeds:
                    split = make_split(pool, liked, regime, seed)
                    for relevant in run_method(method, split, liked, settings):
                        runs.append(metrics(relevant))
                results[(regime, liked, method)] = {
                    k: statistics.fmean(r[k] for r in runs) for k in runs[0]
                }
    return results


def print_quality(
    results: dict[tuple[str, str, str], dict[str, float]], methods: list[str], pool: list[Doc]
) -> None:
    counts = {c: sum(1 for d in pool if d.cluster == c) for c in CLUSTERS}
    print(f"pool: {len(pool)} papers ({', '.join(f'{c}: {n}' for c, n in counts.items())})")
    print()
    print("| regime | reader likes | method | MAP | recall@10% | recall@20% |")
    print("|---|---|---|---:|---:|---:|")
    for (regime, liked, method), m in results.items():
        print(
            f"| {regime} | {liked} | {method} | {m['MAP']:.3f} | {m['R@10%']:.3f} "
            f"| {m['R@20%']:.3f} |"
        )
    print()
    print("Mean over both readers:")
    print("| regime | method | MAP | recall@10% | recall@20% |")
    print("|---|---|---:|---:|---:|")
    for regime in ("all", "sparse", "library"):
        for method in methods:
            rows = [results[(regime, liked, method)] for liked in CLUSTERS]
            mean = {k: statistics.fmean(r[k] for r in rows) for k in rows[0]}
            print(
                f"| {regime} | {method} | {mean['MAP']:.3f} | {mean['R@10%']:.3f} "
                f"| {mean['R@20%']:.3f} |"
            )


# --- speed --------------------------------------------------------------------------------


def synthetic_rows(pool: list[Doc], n: int, seed: int) -> list[tuple[str, str]]:
    """Distinct realistic-length papers: sentences of real abstracts recombined."""
    rng = random.Random(seed)
    sentences = [s for d in pool for s in re.split(r"(?<=\.)\s+", d.abstract) if len(s) > 30]
    titles = [d.title for d in pool]
    rows = []
    for i in range(n):
        title = f"{rng.choice(titles)} ({i})"
        abstract = " ".join(rng.sample(sentences, 6))
        rows.append((title, abstract))
    return rows


def time_cli(args: list[str], env: dict[str, str], repeat: int = 2) -> float:
    """Best of ``repeat`` wall-clock runs (the 2 cores are shared: the minimum is the signal)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).parent / "papercast"), *args],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - started)
    return min(times)


def speed(pool: list[Doc], n_history: int, n_candidates: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        history = base / "history.csv"
        with history.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["title", "abstract", "id", "picked"])
            rng = random.Random(1)
            for i, (t, a) in enumerate(synthetic_rows(pool, n_history, 1)):
                writer.writerow([t, a, f"h{i}", int(rng.random() < 0.05)])
        candidates = base / "candidates.jsonl"
        candidates.write_text(
            "".join(
                json.dumps({"id": f"c{i}", "title": t, "abstract": a}) + "\n"
                for i, (t, a) in enumerate(synthetic_rows(pool, n_candidates, 2))
            ),
            encoding="utf-8",
        )
        env = {**os.environ, "PAPERCAST_HOME": str(base / "home")}
        common = ["rank", "--history", str(history), "--candidates", str(candidates)]
        out = base / "out.jsonl"
        baseline = time_cli([*common, "--backend", "keywords", "--out", str(out)], env)
        tfidf = time_cli([*common, "--out", str(out)], env)
        lines = out.read_text(encoding="utf-8").splitlines()
        assert len(lines) == n_candidates, len(lines)
        with_why = time_cli([*common, "--why", "--out", str(out)], env)
        print(
            f"speed: {n_history} history x {n_candidates} candidates, `papercast rank` "
            f"(subprocess, {os.cpu_count()} cores): tfidf {tfidf:.1f} s (with --why "
            f"{with_why:.1f} s); keyword-only baseline {baseline:.1f} s; "
            f"ratio {tfidf / baseline:.2f}x"
        )


def quality(pool: list[Doc], with_embeddings: bool) -> None:
    methods = ["ideal", "random", "keywords", "tfidf", "tfidf+int"]
    if not with_embeddings:
        print_quality(evaluate(pool, methods, Settings()), methods, pool)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/support
    from support.fake_openai import FakeOpenAI

    methods.append("embeddings")
    with FakeOpenAI() as fake:
        settings = Settings(rank={"embedding_base_url": fake.base_url})
        print_quality(evaluate(pool, methods, settings), methods, pool)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=Path, default=DEFAULT_LISTINGS)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-embeddings", action="store_true")
    parser.add_argument("--history", type=int, default=20000)
    parser.add_argument("--candidates", type=int, default=5000)
    args = parser.parse_args()
    pool = load_pool(args.listings)
    if not args.skip_quality:
        quality(pool, with_embeddings=not args.skip_embeddings)
    if not args.skip_speed:
        print()
        speed(pool, args.history, args.candidates)


if __name__ == "__main__":
    main()

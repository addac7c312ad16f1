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
  hybrid      tfidf + the static embedding model shipped in the wordllama wheel (when installed)
  embeddings  the embeddings backend against support.fake_openai (hashed bag of
              words: this checks the plumbing, it is NOT a real embedding model)

Three regimes: "all" (the reader picked every liked paper; ~half the pool is relevant),
"sparse" (the reader picked 20% of liked papers in the history and only ~10% of candidates
are relevant, like a reader who picks a few papers a week) and "library" (the same picks
imported from a reference manager: positives only, no passed-over papers); the last two are
averaged over 10 seeds.
Metrics: MAP (average precision of the ranking), recall@10% and recall@20% (share of relevant
candidates in the top 10% / 20% of the list); "ideal" is the best any ranking could do.

A real reader. ../shared/ranking-dev/screening-2024-06-07.csv (or --real-reader PATH) holds
6,805 titles that the author of the weekly AI-papers newsletter screened in June-July 2024 and
the 180 he picked. Protocol (its README): the history is everything screened before 2024-07-10,
the candidates are ranked per later screening day; batches with at least 20 rows and one pick
are scored (average precision and recall in the top 20%, mean over batches). Every backend runs
through the real CLI (`papercast rank --history H --candidates C`, a subprocess: titles, links,
screening days and paper dates, in a fixed shuffled order so that no ranker profits from the
file's own order), against same-run baselines: random (expected value over 200 shuffles) and a
plain TF-IDF (word 1-2-grams, sublinear tf, English stop words) + balanced logistic regression.
The default also runs with the paper dates withheld (the ranker before its batch features) and,
as a control, with the paper dates shuffled among the papers of each screening day: a gain
that comes from the dates must vanish there. The spread is shown per batch, as a bootstrap over
batches, and as a paired bootstrap of the differences. A diagnostic shows how much of each
batch was the backlog since the previous screening. A rolling evaluation ranks every screening
day from 2024-06-21 (13 days) from everything screened before it (--skip-rolling skips it).

Speed. 20,000 history rows x 5,000 candidates through the real CLI (`papercast rank ...`, a
subprocess), against the keyword-only backend on the same files in the same run. The history
carries screening days and paper dates and the candidates dates, so the batch features are
computed and learned too.

    python bench/rank_eval.py [--listings DIR] [--real-reader PATH] [--skip-real]
                              [--skip-rolling] [--skip-speed] [--skip-quality] [--skip-embeddings]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.util
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
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from papercast.config import Settings
from papercast.models import Paper
from papercast.rank import Profile, ProfileItem, rank_papers

HAS_STATIC = importlib.util.find_spec("wordllama") is not None  # the hybrid backend's model
LISTINGS_DIR = Path("examples")
REAL_READER_FILE = Path("ranking-dev") / "screening-2024-06-07.csv"
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
    elif name == "hybrid":
        profile = to_profile(split.history)
        backend = "hybrid"
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


# --- the real reader ----------------------------------------------------------------------

CUTOFF = "2024-07-10"  # the protocol: learn from what was screened before, rank what came after
MIN_BATCH = 20
BOOTSTRAP = 2000
COLUMNS = {"title", "url", "paper_date", "screened_on", "picked"}


@dataclass(frozen=True)
class Screened:
    title: str
    url: str
    paper_date: str
    screened_on: str
    picked: bool


@dataclass(frozen=True)
class RealSplit:
    history: list[Screened]
    batches: dict[str, list[Screened]]  # scored screening days only
    unscored: int  # later screening days too small or without a pick


def find_shared(relative: Path) -> tuple[Path | None, list[Path]]:
    """shared/<relative> beside the repository (../shared), or beside any folder above it (a
    git worktree sits deeper than the main checkout); also returns every place looked at."""
    tried = []
    for parent in Path(__file__).resolve().parents[1:]:
        path = parent / "shared" / relative
        tried.append(path)
        if path.exists():
            return path, tried
    return None, tried


def find_listings(given: Path | None) -> Path:
    listings, tried = (given, [given]) if given else find_shared(LISTINGS_DIR)
    if listings is None or not listings.is_dir():
        looked = ", ".join(str(t) for t in tried)
        raise SystemExit(f"the example listings are not there (looked in {looked}); use --listings")
    return listings


def find_real_reader(given: Path | None) -> tuple[Path | None, list[Path]]:
    """The file given (or the file in the folder given), else the one found by find_shared."""
    if given is None:
        return find_shared(REAL_READER_FILE)
    path = given / REAL_READER_FILE.name if given.is_dir() else given
    return (path if path.is_file() else None), [path]


def load_screening(path: Path) -> list[Screened]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = COLUMNS - set(reader.fieldnames or [])
        if missing:
            raise SystemExit(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        return [
            Screened(
                row["title"],
                row["url"],
                row["paper_date"],
                row["screened_on"],
                row["picked"] == "1",
            )
            for row in reader
        ]


def real_split(rows: Sequence[Screened]) -> RealSplit:
    history = [r for r in rows if r.screened_on < CUTOFF]
    days: dict[str, list[Screened]] = {}
    for row in rows:
        if row.screened_on >= CUTOFF:
            days.setdefault(row.screened_on, []).append(row)
    batches = {
        day: batch
        for day, batch in sorted(days.items())
        if len(batch) >= MIN_BATCH and any(r.picked for r in batch)
    }
    return RealSplit(history, batches, len(days) - len(batches))


def write_real_history(path: Path, history: Sequence[Screened]) -> None:
    """What the reader saw before: the screening day dates each row (recency weighting) and
    makes the batch; the paper's date (empty when withheld) places it in its batch."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "url", "picked", "date", "screened_on", "paper_date"])
        for row in history:
            day = row.screened_on
            writer.writerow([row.title, row.url, int(row.picked), day, day, row.paper_date])


DATE_MODES = {
    "dates": "the paper dates as logged",
    "no dates": "the paper dates withheld (the ranker before the batch features)",
    "shuffled dates": "control: the paper dates shuffled among the papers of each screening day",
}


def with_dates(rows: Sequence[Screened], mode: str) -> list[Screened]:
    """The log as a ranker sees it in one of DATE_MODES (history and candidates alike)."""
    if mode == "dates":
        return list(rows)
    if mode == "no dates":
        return [replace(r, paper_date="") for r in rows]
    by_day: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        by_day.setdefault(row.screened_on, []).append(index)
    result = list(rows)
    for day, indices in by_day.items():
        dates = [rows[i].paper_date for i in indices]
        random.Random(f"shuffled-dates:{day}").shuffle(dates)
        for i, paper_date in zip(indices, dates, strict=True):
            result[i] = replace(rows[i], paper_date=paper_date)
    return result


def shuffled_batch(batch: Sequence[Screened], day: str) -> list[Screened]:
    """A fixed shuffle: the file lists papers newest first, which a tie-breaking ranker would
    otherwise inherit (and newest-first alone is a strong signal in this log: see below)."""
    order = list(batch)
    random.Random(f"real-reader:{day}").shuffle(order)
    return order


def cli_rank(
    backend: str, history: Path, batch: Sequence[Screened], env: dict[str, str]
) -> list[Screened]:
    """``batch`` in the order `papercast rank` puts it (the candidate ids are the urls)."""
    with tempfile.TemporaryDirectory() as tmp:
        candidates = Path(tmp) / "candidates.jsonl"
        candidates.write_text(
            "".join(
                json.dumps({"id": r.url, "title": r.title, "date": r.paper_date}) + "\n"
                if r.paper_date
                else json.dumps({"id": r.url, "title": r.title}) + "\n"
                for r in batch
            ),
            encoding="utf-8",
        )
        out = Path(tmp) / "ranked.jsonl"
        subprocess.run(
            [
                str(Path(sys.executable).parent / "papercast"),
                "rank",
                "--history",
                str(history),
                "--candidates",
                str(candidates),
                "--backend",
                backend,
                "--out",
                str(out),
            ],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        by_url = {r.url: r for r in batch}
        ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(ids) == sorted(by_url), "the CLI must return every candidate id as given"
    return [by_url[i] for i in ids]


def plain_tfidf_lr(history: Sequence[Screened], batch: Sequence[Screened]) -> list[bool]:
    """The README's baseline: word 1-2-grams, sublinear tf, English stop words; balanced LR."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english")
    matrix = vectorizer.fit_transform([r.title for r in history] + [r.title for r in batch])
    model = LogisticRegression(class_weight="balanced", max_iter=1000)
    model.fit(matrix[: len(history)], [r.picked for r in history])
    scores = model.decision_function(matrix[len(history) :])
    order = sorted(range(len(batch)), key=lambda i: (-scores[i], i))
    return [batch[i].picked for i in order]


def newest_listing(batch: Sequence[Screened]) -> set[str]:
    """Urls of the papers from the batch's newest listing day, or older than a week (hand-added);
    the rest is the backlog of listing days since the previous screening."""
    newest = max(r.paper_date for r in batch)
    week_before = (datetime.fromisoformat(newest) - timedelta(days=7)).date().isoformat()
    return {r.url for r in batch if r.paper_date == newest or r.paper_date < week_before}


def real_metrics(relevant: Sequence[bool]) -> tuple[float, float]:
    return average_precision(relevant), recall_at(relevant, 0.20)


def bootstrap(per_batch: Sequence[tuple[float, float]], seed: int = 0) -> list[tuple[float, float]]:
    """5th and 95th percentile of (MAP, R@20%) over batches drawn with replacement."""
    rng = random.Random(seed)
    n = len(per_batch)
    draws = []
    for _ in range(BOOTSTRAP):
        sample = [per_batch[rng.randrange(n)] for _ in range(n)]
        draws.append(
            (statistics.fmean(s[0] for s in sample), statistics.fmean(s[1] for s in sample))
        )
    bounds = []
    for k in (0, 1):
        values = sorted(d[k] for d in draws)
        bounds.append((values[int(0.05 * BOOTSTRAP)], values[int(0.95 * BOOTSTRAP) - 1]))
    return bounds


def bootstrap_difference(
    new: Sequence[tuple[float, float]], old: Sequence[tuple[float, float]], seed: int = 0
) -> list[tuple[float, float, float]]:
    """(mean, 5th, 95th percentile) of the per-batch difference new - old, MAP then R@20%,
    over batches drawn with replacement (paired: the same batches for both)."""
    deltas = [(a[0] - b[0], a[1] - b[1]) for a, b in zip(new, old, strict=True)]
    bounds = bootstrap(deltas, seed)
    return [(statistics.fmean(d[k] for d in deltas), bounds[k][0], bounds[k][1]) for k in (0, 1)]


def print_methods(per_batch: dict[str, list[tuple[float, float]]], notes: dict[str, str]) -> None:
    print("| method | MAP | R@20% | MAP 90% interval | R@20% 90% interval |")
    print("|---|---:|---:|---|---|")
    for method, values in per_batch.items():
        (map_lo, map_hi), (rec_lo, rec_hi) = bootstrap(values)
        note = f" ({notes[method]})" if method in notes else ""
        print(
            f"| {method}{note} | {statistics.fmean(v[0] for v in values):.3f} "
            f"| {statistics.fmean(v[1] for v in values):.3f} | {map_lo:.3f}-{map_hi:.3f} "
            f"| {rec_lo:.3f}-{rec_hi:.3f} |"
        )


def print_differences(
    per_batch: dict[str, list[tuple[float, float]]], pairs: Sequence[tuple[str, str]]
) -> None:
    print("| difference (paired over batches) | MAP | MAP 90% interval | R@20% | R@20% 90% |")
    print("|---|---:|---|---:|---|")
    for new, old in pairs:
        (dm, mlo, mhi), (dr, rlo, rhi) = bootstrap_difference(per_batch[new], per_batch[old])
        print(
            f"| {new} - {old} | {dm:+.3f} | {mlo:+.3f} to {mhi:+.3f} | {dr:+.3f} "
            f"| {rlo:+.3f} to {rhi:+.3f} |"
        )


def random_expected(order: Sequence[Screened]) -> tuple[float, float]:
    rng = random.Random(0)
    draws = []
    for _ in range(200):
        labels = [r.picked for r in order]
        rng.shuffle(labels)
        draws.append(real_metrics(labels))
    return statistics.fmean(d[0] for d in draws), statistics.fmean(d[1] for d in draws)


ROLLING_FROM = "2024-06-21"  # the first screening day with an earlier day to learn from


def rolling(rows: Sequence[Screened], env: dict[str, str], tmp: Path) -> None:
    """Every screening day from ROLLING_FROM with >= MIN_BATCH rows and a pick, each ranked
    from everything screened before it (the past only), in each of DATE_MODES."""
    days: dict[str, list[Screened]] = {}
    for row in rows:
        days.setdefault(row.screened_on, []).append(row)
    scored = [
        day
        for day, batch in sorted(days.items())
        if day >= ROLLING_FROM and len(batch) >= MIN_BATCH and any(r.picked for r in batch)
    ]
    if not scored:
        print("rolling evaluation: no screening day to score")
        return
    variants = {mode: with_dates(rows, mode) for mode in DATE_MODES}
    per_batch: dict[str, list[tuple[float, float]]] = {}
    for day in scored:
        past = [r for r in rows if r.screened_on < day]
        batch = shuffled_batch(days[day], day)
        per_batch.setdefault("random", []).append(random_expected(batch))
        per_batch.setdefault("plain TF-IDF+LR", []).append(
            real_metrics(plain_tfidf_lr(past, batch))
        )
        for mode, variant in variants.items():
            history = tmp / f"rolling-{mode.replace(' ', '-')}.csv"
            write_real_history(history, [r for r in variant if r.screened_on < day])
            by_url = {r.url: r for r in variant if r.screened_on == day}
            ranked = cli_rank("tfidf", history, [by_url[r.url] for r in batch], env)
            per_batch.setdefault(f"tfidf, {mode}", []).append(
                real_metrics([r.picked for r in ranked])
            )
    print(
        f"Rolling evaluation: {len(scored)} screening days from {scored[0]} to {scored[-1]}, "
        "each ranked by `papercast rank` from everything screened before it"
    )
    print()
    print_methods(per_batch, {})
    print()
    print_differences(
        per_batch,
        [("tfidf, dates", "tfidf, no dates"), ("tfidf, shuffled dates", "tfidf, no dates")],
    )
    print()
    print("| day | rows | picks | " + " | ".join(f"{m} AP" for m in per_batch) + " |")
    print("|---|---:|---:|" + "---:|" * len(per_batch))
    for index, day in enumerate(scored):
        cells = " | ".join(f"{values[index][0]:.3f}" for values in per_batch.values())
        print(f"| {day} | {len(days[day])} | {sum(r.picked for r in days[day])} | {cells} |")


def real_reader(given: Path | None, with_embeddings: bool, with_rolling: bool = True) -> None:
    path, tried = find_real_reader(given)
    if path is None:
        print("real reader: skipped, no screening history found; looked for:")
        for candidate in tried:
            print(f"  {candidate}")
        print("pass --real-reader PATH (the CSV or its folder)")
        return
    rows = load_screening(path)
    splits = {mode: real_split(with_dates(rows, mode)) for mode in DATE_MODES}
    split = splits["dates"]
    n_picks = sum(r.picked for r in split.history)
    print(
        f"real reader: {path} ({len(split.history)} history rows with {n_picks} picks before "
        f"{CUTOFF}; {len(split.batches)} scored batches, {split.unscored} later days unscored)"
    )
    print(
        "Every ranker gets the titles, the screening days and (unless said) the paper dates: "
        + "; ".join(f"{mode}: {what}" for mode, what in DATE_MODES.items())
    )
    backends = ["hybrid", "keywords"] if HAS_STATIC else ["keywords"]
    notes = {
        "tfidf": "the default",
        "keywords": "no interests given: newest first, then the shuffled file order",
    }
    if with_embeddings:
        backends.append("embeddings")
        notes["embeddings"] = "fake BoW server: plumbing only"
    if importlib.util.find_spec("sentence_transformers") is None:
        print("(local backend skipped: sentence-transformers is not installed)")
    else:
        backends.append("local")
    per_batch: dict[str, list[tuple[float, float]]] = {}
    diagnostic: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        env = {**os.environ, "PAPERCAST_HOME": str(Path(tmp) / "home")}
        if with_embeddings:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/support
            from support.fake_openai import FakeOpenAI

            fake = stack.enter_context(FakeOpenAI())
            env["PAPERCAST_RANK__EMBEDDING_BASE_URL"] = fake.base_url
        histories = {}
        for mode, variant in splits.items():
            histories[mode] = Path(tmp) / f"history-{mode.replace(' ', '-')}.csv"
            write_real_history(histories[mode], variant.history)
        for day, batch in split.batches.items():
            order = shuffled_batch(batch, day)
            per_batch.setdefault("random", []).append(random_expected(order))
            per_batch.setdefault("plain TF-IDF+LR", []).append(
                real_metrics(plain_tfidf_lr(split.history, order))
            )
            fresh = newest_listing(order)
            for mode, variant in splits.items():
                by_url = {r.url: r for r in variant.batches[day]}
                ranked = cli_rank("tfidf", histories[mode], [by_url[r.url] for r in order], env)
                name = "tfidf" if mode == "dates" else f"tfidf, {mode}"
                per_batch.setdefault(name, []).append(real_metrics([r.picked for r in ranked]))
                if mode == "no dates":
                    first = sorted(ranked, key=lambda r: r.url not in fresh)  # stable
                    diagnostic.setdefault("tfidf, no dates, newest listing first", []).append(
                        real_metrics([r.picked for r in first])
                    )
            for backend in backends:
                ranked = cli_rank(backend, histories["dates"], order, env)
                per_batch.setdefault(backend, []).append(real_metrics([r.picked for r in ranked]))
            rng = random.Random(0)
            draws = []
            for _ in range(200):
                shuffled = list(order)
                rng.shuffle(shuffled)
                first = sorted(shuffled, key=lambda r: r.url not in fresh)  # stable
                draws.append(real_metrics([r.picked for r in first]))
            diagnostic.setdefault("random, newest listing first", []).append(
                (statistics.fmean(d[0] for d in draws), statistics.fmean(d[1] for d in draws))
            )
        print()
        print_methods(per_batch, notes)
        print()
        print_differences(
            per_batch, [("tfidf", "tfidf, no dates"), ("tfidf, shuffled dates", "tfidf, no dates")]
        )
        print()
        methods = list(per_batch)
        print("| batch | rows | picks | " + " | ".join(f"{m} AP / R@20%" for m in methods) + " |")
        print("|---|---:|---:|" + "---|" * len(methods))
        for index, (day, batch) in enumerate(split.batches.items()):
            cells = " | ".join(
                f"{per_batch[m][index][0]:.3f} / {per_batch[m][index][1]:.2f}" for m in methods
            )
            print(f"| {day} | {len(batch)} | {sum(r.picked for r in batch)} | {cells} |")
        print()
        print("Diagnostic (hand-made from the paper dates): newest listing vs backlog")
        print(
            "| batch | rows | newest listing (+ hand-added) rows | picks there "
            "| picks in the backlog |"
        )
        print("|---|---:|---:|---:|---:|")
        for day, batch in split.batches.items():
            fresh = newest_listing(batch)
            print(
                f"| {day} | {len(batch)} | {len(fresh)} | "
                f"{sum(r.picked for r in batch if r.url in fresh)} | "
                f"{sum(r.picked for r in batch if r.url not in fresh)} |"
            )
        print()
        print("| diagnostic ranking (a hand-set rule on the listing dates) | MAP | R@20% |")
        print("|---|---:|---:|")
        for method, values in diagnostic.items():
            print(
                f"| {method} | {statistics.fmean(v[0] for v in values):.3f} "
                f"| {statistics.fmean(v[1] for v in values):.3f} |"
            )
        if with_rolling:
            print()
            rolling(rows, env, Path(tmp))


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


def write_speed_files(
    pool: list[Doc], n_history: int, n_candidates: int, base: Path, dated: bool
) -> tuple[Path, Path]:
    """A synthetic history and candidates file; ``dated``: with screening days (batches of 200)
    and paper dates, so the batch features are computed and learned too."""
    suffix = "dated" if dated else "plain"
    history = base / f"history-{suffix}.csv"
    with history.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        dates = ["screened_on", "paper_date"] if dated else []
        writer.writerow(["title", "abstract", "id", "picked", *dates])
        rng = random.Random(1)
        for i, (t, a) in enumerate(synthetic_rows(pool, n_history, 1)):
            screened = START + timedelta(days=i // 200)
            listed = screened - timedelta(days=rng.randrange(6))
            picked = int(rng.random() < 0.05)
            when = [screened.date(), listed.date()] if dated else []
            writer.writerow([t, a, f"h{i}", picked, *when])
    candidates = base / f"candidates-{suffix}.jsonl"
    newest = START + timedelta(days=n_history // 200)
    rows = []
    for i, (t, a) in enumerate(synthetic_rows(pool, n_candidates, 2)):
        row = {"id": f"c{i}", "title": t, "abstract": a}
        if dated:
            row["date"] = (newest - timedelta(days=i % 6)).date().isoformat()
        rows.append(json.dumps(row) + "\n")
    candidates.write_text("".join(rows), encoding="utf-8")
    return history, candidates


def speed(pool: list[Doc], n_history: int, n_candidates: int, with_hybrid: bool = True) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        history, candidates = write_speed_files(pool, n_history, n_candidates, base, dated=True)
        plain_history, plain_candidates = write_speed_files(
            pool, n_history, n_candidates, base, dated=False
        )
        env = {**os.environ, "PAPERCAST_HOME": str(base / "home")}
        common = ["rank", "--history", str(history), "--candidates", str(candidates)]
        out = base / "out.jsonl"
        baseline = time_cli([*common, "--backend", "keywords", "--out", str(out)], env)
        tfidf = time_cli([*common, "--out", str(out)], env)
        lines = out.read_text(encoding="utf-8").splitlines()
        assert len(lines) == n_candidates, len(lines)
        with_why = time_cli([*common, "--why", "--out", str(out)], env)
        plain = ["rank", "--history", str(plain_history), "--candidates", str(plain_candidates)]
        undated = time_cli([*plain, "--out", str(out)], env)
        print(
            f"speed: {n_history} history x {n_candidates} candidates, `papercast rank` "
            f"(subprocess, {os.cpu_count()} cores): tfidf {tfidf:.1f} s (with --why "
            f"{with_why:.1f} s); keyword-only baseline {baseline:.1f} s; "
            f"ratio {tfidf / baseline:.2f}x; the same files without dates (no batch features) "
            f"{undated:.1f} s, ratio {undated / baseline:.2f}x"
        )
        if HAS_STATIC and with_hybrid:
            hybrid = time_cli([*common, "--backend", "hybrid", "--out", str(out)], env)
            print(f"speed: hybrid {hybrid:.1f} s; ratio to the baseline {hybrid / baseline:.2f}x")


def quality(pool: list[Doc], with_embeddings: bool) -> None:
    methods = ["ideal", "random", "keywords", "tfidf", "tfidf+int"]
    if HAS_STATIC:
        methods.append("hybrid")
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
    parser.add_argument(
        "--listings", type=Path, default=None, help="default: shared/examples beside the repo"
    )
    parser.add_argument(
        "--real-reader",
        type=Path,
        default=None,
        help="the real reader's screening CSV (or its folder); default: shared/"
        + str(REAL_READER_FILE),
    )
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument(
        "--skip-rolling", action="store_true", help="real reader: the 6-day split only"
    )
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-hybrid-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-embeddings", action="store_true")
    parser.add_argument("--history", type=int, default=20000)
    parser.add_argument("--candidates", type=int, default=5000)
    args = parser.parse_args()
    pool: list[Doc] = []
    if not (args.skip_quality and args.skip_speed):
        pool = load_pool(find_listings(args.listings))
    if not args.skip_quality:
        quality(pool, with_embeddings=not args.skip_embeddings)
    if not args.skip_real:
        print()
        real_reader(
            args.real_reader,
            with_embeddings=not args.skip_embeddings,
            with_rolling=not args.skip_rolling,
        )
    if not args.skip_speed:
        print()
        speed(pool, args.history, args.candidates, with_hybrid=not args.skip_hybrid_speed)


if __name__ == "__main__":
    main()

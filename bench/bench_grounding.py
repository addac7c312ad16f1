"""What reading numbers in words costs the grounding check: per summary, against digits only.

    python bench/bench_grounding.py [--chars 100000] [--repeat 5]

The grounding check (``papercast/numbers.py``) runs once per summary (against the paper's text)
and once per dialogue attempt. This times it on a paper-sized text (the LaTeX corpus papers of
tests/corpus/tex, repeated to ``--chars``) and a summary's six fields: with numbers in words
read in English (the paper) and in German (an issue in German: two languages read), and, as
the same-run baseline, the digits-only check it replaced, alternating them so a busy machine
slows all alike. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from papercast.numbers import numbers_in, ungrounded

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus" / "tex"
SUMMARY = [
    "A conformal method that keeps coverage at 90% with twelve percent smaller sets.",
    "They train three models on two datasets, one of them new, for 40 epochs.",
    "Coverage holds at ninety point five percent; sets shrink two-fold on the second benchmark.",
    "Only one dataset is public, and the seven billion parameter model is not released.",
    "Cheaper uncertainty estimates for deployed classifiers.",
    "Solid gains on three hundred tasks.",
]


def digits_only(texts: list[str], source: str) -> list[str]:
    """The check before numbers in words were read (the baseline)."""
    known = {norm for _, norm in numbers_in(source)}
    missing: list[str] = []
    for text in texts:
        for written, norm in numbers_in(text):
            if norm not in known and written not in missing:
                missing.append(written)
    return missing


def timed(check: Callable[[], object], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        check()
    return (time.perf_counter() - start) / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chars", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    corpus = "\n".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.tex")))
    source = (corpus * (args.chars // len(corpus) + 1))[: args.chars]
    checks: dict[str, Callable[[], object]] = {
        "digits only (baseline: the check before)": lambda: digits_only(SUMMARY, source),
        "digits and words, en": lambda: ungrounded(SUMMARY, source, language="en"),
        "digits and words, de issue (en + de read)": lambda: ungrounded(
            SUMMARY, source, language="de"
        ),
    }
    best = dict.fromkeys(checks, float("inf"))
    for _ in range(args.repeat):
        for name, check in checks.items():
            best[name] = min(best[name], timed(check, args.rounds))
    base = best["digits only (baseline: the check before)"]
    print(f"## Grounding check ({len(source):,}-character paper, six summary fields)\n")
    print("| check | ms per summary | vs baseline |")
    print("|---|---:|---:|")
    for name, seconds in best.items():
        print(f"| {name} | {seconds * 1000:.1f} | {seconds / base:.1f}x |")
    print(
        f"\nReading numbers in words adds {(best['digits and words, en'] - base) * 1000:.0f} ms "
        "per summary in English (per dialogue attempt too), next to seconds of LLM time."
    )


if __name__ == "__main__":
    main()

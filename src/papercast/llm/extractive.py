"""The offline backend: a structured summary built from the paper's own sentences.

No key, no server, no network: a fresh install works end to end. Every field is copied from the
abstract (and the full text when present), chosen by simple cue words, so it never invents a
number. Records carry ``backend="extractive"`` and ``model="extractive"`` and every renderer
labels them as such.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Literal

from papercast.llm.base import BackendResult, Recorder, SummaryJob
from papercast.models import Summary, Usage

EXTRACTIVE_MODEL = "extractive"
EXTRACTIVE_VERSION = "extractive-v1"
EXTRACTIVE_PROMPT_HASH = hashlib.sha256(EXTRACTIVE_VERSION.encode()).hexdigest()[:16]

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")
_WORD = re.compile(r"[A-Za-z][A-Za-z-]{3,}")
_STOP = frozenset(
    """this that with from have been were which their these those into than also such using
    used show shows paper propose proposed method methods approach results result work based
    more most over while where when what they them there here both each other only however
    between through across within without about after before under first second third
    model models data task tasks large small well high able given can could would should
    """.split()  # noqa: SIM905
)
_CUES = {
    "results": (
        "%",
        "outperform",
        "improv",
        "achiev",
        "accuracy",
        "state-of-the-art",
        "results show",
        "reduc",
        "speedup",
        "faster",
        "better",
    ),
    "method": (
        "we propose",
        "we present",
        "we introduce",
        "method",
        "approach",
        "framework",
        "we train",
        "architecture",
        "we use",
        "dataset",
        "we develop",
        "algorithm",
    ),
    "critiques": (
        "limitation",
        "limited to",
        "however,",
        "future work",
        "fails",
        "drawback",
        "restricted to",
        "we assume",
        "does not generalize",
    ),
    "implications": (
        "enable",
        "implication",
        "suggest",
        "practical",
        "impact",
        "open-source",
        "release",
        "code is available",
        "could",
        "pave",
    ),
}
_NO_CRITIQUE = (
    "Not assessed: this is an extractive summary made offline without a language model, "
    "so it offers no critique."
)


def _is_heading(line: str) -> bool:
    """Short lines without a final stop: titles and section headings, not prose."""
    words = line.split()
    return 0 < len(words) <= 8 and not line.rstrip().endswith((".", "!", "?", ":", ","))


def split_sentences(text: str) -> list[str]:
    """Sentences of prose; headings and titles (short unpunctuated lines) are boundaries."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if not line.strip() or _is_heading(line):
            blocks.append([])
        else:
            blocks[-1].append(line.strip())
    out: list[str] = []
    for block in blocks:
        flat = " ".join(" ".join(block).split())
        out.extend(s.strip() for s in _SENTENCE.split(flat) if len(s.strip().split()) >= 4)
    return out


def _distinct(sentences: list[str]) -> list[str]:
    """Drop repeats, including fragments of a sentence already kept (page breaks cut some)."""
    kept: list[str] = []
    seen: set[str] = set()
    for sentence in sentences:
        key = " ".join(sentence.lower().split())
        if key in seen or any(key in other for other in seen):
            continue
        seen.add(key)
        kept.append(sentence)
    return kept


def top_keywords(text: str, limit: int = 6) -> list[str]:
    counts = Counter(w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP)
    return [word for word, _ in counts.most_common(limit)]


def _pick(sentences: list[str], cues: tuple[str, ...], count: int, exclude: set[int]) -> str:
    scored = [
        (
            sum(cue in s.lower() for cue in cues) + ("%" in cues and any(c.isdigit() for c in s)),
            -i,
            i,
        )
        for i, s in enumerate(sentences)
        if i not in exclude
    ]
    best = sorted((t for t in scored if t[0] > 0), reverse=True)[:count]
    chosen = sorted(i for _, _, i in best)
    exclude.update(chosen)
    return " ".join(sentences[i] for i in chosen)


def extractive_summary(title: str, abstract: str, body: str = "") -> Summary:
    """A Summary whose every sentence comes from the title, abstract or body."""
    abstract_sents = split_sentences(abstract)
    body_sents = [s for s in split_sentences(body)[:400] if len(s) < 400]
    pool = _distinct(abstract_sents + body_sents)
    if not pool:
        empty = "The paper's abstract is empty, so there is nothing to summarize offline."
        return Summary(
            tldr=title or "Untitled paper.",
            method=empty,
            results=empty,
            critiques=_NO_CRITIQUE,
            implications=empty,
            significance=1,
            significance_reason="Not assessed (extractive summary, no abstract).",
            keywords=top_keywords(title),
        )
    used: set[int] = {0}
    tldr = pool[0]
    fields = {name: _pick(pool, cues, 2, used) for name, cues in _CUES.items()}
    rest = [i for i in range(len(pool)) if i not in used]
    for name in ("method", "results", "implications"):
        if not fields[name] and rest:
            index = rest.pop(0)
            used.add(index)
            fields[name] = pool[index]
    return Summary(
        tldr=tldr,
        method=fields["method"] or tldr,
        results=fields["results"] or "The abstract states no specific results.",
        critiques=fields["critiques"] or _NO_CRITIQUE,
        implications=fields["implications"] or "Not assessed (extractive summary).",
        significance=5,
        significance_reason="Not assessed: extractive summary without a language model.",
        keywords=top_keywords(f"{title} {title} {abstract}"),
    )


class ExtractiveBackend:
    """SummaryBackend that never calls a model."""

    name = "extractive"
    kind: Literal["llm", "extractive"] = "extractive"
    model = EXTRACTIVE_MODEL
    prompt_hash = EXTRACTIVE_PROMPT_HASH

    async def summarize(self, job: SummaryJob, record: Recorder) -> BackendResult:
        body = job.text if job.source_text == "full" else ""
        summary = extractive_summary(job.paper.title, job.paper.abstract, body)
        return BackendResult(summary=summary, usage=Usage())

    async def aclose(self) -> None:
        return None

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
from papercast.sections import Role, split_sections

EXTRACTIVE_MODEL = "extractive"
EXTRACTIVE_VERSION = "extractive-v2"  # v2: per-section picks, no fragments, no repeats
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
# Where each field's sentences come from when the full text has sections, best first.
_SOURCES: dict[str, tuple[Role, ...]] = {
    "method": ("method",),
    "results": ("results",),
    "critiques": ("limitations", "discussion", "conclusion"),
    "implications": ("conclusion", "discussion"),
}
_END = re.compile(r"[.!?][\"'”’)\]]?$")
_CAPTION = re.compile(r"^(?:Table|Figure|Fig\.|Algorithm|Listing)\s*[A-Z]?\d+[.:]", re.I)
_REFERENCE_ENTRY = re.compile(r"^\[\d+\]|^\d+\.\s+[A-Z]\.\s")
_NUMBER = re.compile(r"\d")
_LETTERS = re.compile(r"[^\W\d_]{2,}")


def _is_heading(line: str) -> bool:
    """Short lines without a final stop: titles and section headings, not prose."""
    words = line.split()
    return 0 < len(words) <= 8 and not line.rstrip().endswith((".", "!", "?", ":", ","))


def is_fragment(sentence: str) -> bool:
    """Not a sentence a reader should see: no final stop (so a trailing colon, comma or page
    number), starting in lower case (the tail of a sentence cut by a formula), a figure or table caption, a reference entry, unbalanced brackets (a lone
    citation bracket), or mostly symbols (an equation that pdfium read as words)."""
    text = sentence.strip()
    words = text.split()
    if not 5 <= len(words) <= 80 or not _END.search(text) or text[0].islower():
        return True  # too short or long, no final stop, or the tail of a cut sentence
    if _CAPTION.match(text) or _REFERENCE_ENTRY.match(text):
        return True
    if text.count("[") != text.count("]") or text.count("(") != text.count(")"):
        return True
    odd = [  # symbols and math tokens ("=", "π(z)", "|"), not words, numbers or "a"
        not _LETTERS.search(w) and not _NUMBER.search(w) and not w.strip(".,;:()").isalpha()
        for w in words
    ]
    run = longest = 0
    for flag in odd:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    return longest >= 3 or sum(odd) > 0.2 * len(words)


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


def _key(sentence: str) -> str:
    """What makes two sentences the same: their words, whatever the spacing and punctuation."""
    return " ".join(re.findall(r"[a-z0-9]+", sentence.lower()))


class _Chosen:
    """Sentences already used in this summary: no sentence appears twice, even as a part."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def fresh(self, sentence: str) -> bool:
        key = _key(sentence)
        return bool(key) and not any(key in k or k in key for k in self.keys)

    def add(self, sentence: str) -> None:
        self.keys.append(_key(sentence))


def top_keywords(text: str, limit: int = 6) -> list[str]:
    counts = Counter(w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP)
    return [word for word, _ in counts.most_common(limit)]


def _score(sentence: str, cues: tuple[str, ...], numbers: bool) -> int:
    lowered = sentence.lower()
    score = sum(cue in lowered for cue in cues)
    if numbers and _NUMBER.search(sentence):
        score += 2
    return score


def _pick(
    sentences: list[str],
    cues: tuple[str, ...],
    count: int,
    chosen: _Chosen,
    *,
    numbers: bool = False,
    require_cue: bool = True,
) -> list[str]:
    """Up to ``count`` of ``sentences``, best cue score first (ties: earlier), in text order."""
    scored = [
        (_score(s, cues, numbers), -i, i)
        for i, s in enumerate(sentences)
        if not is_fragment(s) and chosen.fresh(s)
    ]
    if require_cue:
        scored = [t for t in scored if t[0] > 0]
    picked: list[int] = []
    for _, _, index in sorted(scored, reverse=True):
        if len(picked) == count:
            break
        if chosen.fresh(sentences[index]):
            chosen.add(sentences[index])
            picked.append(index)
    return [sentences[i] for i in sorted(picked)]


def _by_role(body: str) -> dict[Role, list[str]]:
    out: dict[Role, list[str]] = {}
    for section in split_sections(body):  # headings are found there: join the section's lines
        for paragraph in re.split(r"\n\s*\n", section.text):
            flat = " ".join(paragraph.split())
            out.setdefault(section.role, []).extend(
                s.strip() for s in _SENTENCE.split(flat) if s.strip()
            )
    return out


def _from_sections(
    field: str, roles: dict[Role, list[str]], chosen: _Chosen, count: int
) -> list[str]:
    """Sentences for ``field`` from the sections it belongs to, cued ones first."""
    numbers = field == "results"
    if field == "critiques" and roles.get("limitations"):  # every sentence there is one
        return _pick(roles["limitations"], _CUES[field], count, chosen, require_cue=False)
    pool = [s for role in _SOURCES[field] for s in roles.get(role, [])]
    if not pool:
        return []
    picked = _pick(pool, _CUES[field], count, chosen, numbers=numbers)
    if len(picked) < count and field != "critiques":  # then the section's opening sentences
        picked += _pick(
            pool, _CUES[field], count - len(picked), chosen, numbers=numbers, require_cue=False
        )
    return picked


def extractive_summary(title: str, abstract: str, body: str = "") -> Summary:
    """A Summary whose every sentence comes from the abstract or the body, none twice.

    With a full text that has sections, each field quotes its own sections (method from the
    method section, results with their numbers from results/experiments, implications from the
    conclusion or discussion, critiques from a limitations section); otherwise cue words pick
    from the abstract. Fragments (captions, trailing colons, page numbers, equations) are never
    quoted. The significance is a placeholder that no output shows (nothing assessed it).
    """
    abstract_sents = [s for s in split_sentences(abstract) if not is_fragment(s)]
    roles = _by_role(body) if body else {}
    intro = [s for s in roles.get("intro", []) if not is_fragment(s)]
    if not abstract_sents and not intro:
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
    chosen = _Chosen()
    tldr = (abstract_sents or intro)[0]
    chosen.add(tldr)
    fields: dict[str, list[str]] = {}
    for name in ("results", "method", "critiques", "implications"):  # numbers first
        fields[name] = _from_sections(name, roles, chosen, 2)
        if len(fields[name]) < (1 if name == "critiques" else 2):  # top up from the abstract
            more = _pick(
                abstract_sents,
                _CUES[name],
                2 - len(fields[name]),
                chosen,
                numbers=name == "results",
            )
            fields[name] += more
    leftovers = [s for s in abstract_sents if chosen.fresh(s)]
    for name in ("method", "results", "implications"):
        if not fields[name] and leftovers:
            fields[name] = [leftovers.pop(0)]
            chosen.add(fields[name][0])
    return Summary(
        tldr=tldr,
        method=" ".join(fields["method"]) or "The abstract does not describe the method.",
        results=" ".join(fields["results"]) or "The abstract states no specific results.",
        critiques=" ".join(fields["critiques"]) or _NO_CRITIQUE,
        implications=" ".join(fields["implications"]) or "Not assessed (extractive summary).",
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

"""What the fake OpenAI server answers: schema-shaped JSON, embeddings and audio from the input.

Everything is deterministic in the input text so tests can assert on it:

- ``fill_schema(schema, text)`` builds a JSON value conforming to a JSON schema, with strings
  copied from sentences of ``text`` (so every number in the answer appears in the source),
  integers inside their bounds and keyword lists of the text's frequent words.
- ``embed(text, dimensions)`` is a hashed bag of words, L2-normalised: texts sharing words get
  similar vectors.
- ``speech_pcm(text, speed)`` is 16-bit mono PCM at 24 kHz, one tone burst per word, so the
  duration grows with the input (about 2.5 words a second at speed 1).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import subprocess
import wave
from collections import Counter
from typing import Any

import numpy as np

SAMPLE_RATE = 24000
WORDS_PER_SECOND = 2.5

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,}")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "that",
        "this",
        "from",
        "are",
        "was",
        "were",
        "have",
        "has",
        "been",
        "their",
        "our",
        "which",
        "into",
        "than",
        "these",
        "those",
        "they",
        "them",
        "also",
        "can",
        "not",
        "but",
        "its",
        "over",
        "such",
        "using",
        "used",
        "use",
        "show",
        "shows",
        "paper",
        "we",
        "propose",
        "method",
        "methods",
        "results",
        "result",
        "section",
        "work",
        "approach",
        "based",
        "more",
        "most",
    ]
)
_FIELD_HINTS: dict[str, tuple[str, ...]] = {
    "method": ("propose", "method", "approach", "model", "train", "architecture", "we "),
    "result": ("%", "improv", "outperform", "achiev", "accuracy", "result", "score"),
    "critique": ("limit", "however", "only", "future", "fail", "cost"),
    "limitation": ("limit", "however", "only", "future", "fail"),
    "implication": ("enable", "impact", "important", "practical", "application", "suggest"),
    "reason": ("significant", "first", "novel", "state-of-the-art"),
}


def tokens_for(text: str) -> int:
    """A rough token count (4 characters a token), at least 1."""
    return max(1, math.ceil(len(text) / 4))


def sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [s.strip() for s in _SENTENCE.split(flat) if len(s.strip()) > 3]


def keywords(text: str, limit: int = 5) -> list[str]:
    counts = Counter(w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP)
    return [word for word, _ in counts.most_common(limit)] or ["paper"]


def _stable_int(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def _pick_sentences(name: str, pool: list[str], used: set[int], count: int = 2) -> str:
    if not pool:
        return f"No {name} given."
    hints = next((h for key, h in _FIELD_HINTS.items() if key in name.lower()), ())
    ranked = sorted(
        range(len(pool)),
        key=lambda i: (-sum(h in pool[i].lower() for h in hints), i in used, i),
    )
    chosen = sorted(ranked[:count])
    used.update(chosen)
    return " ".join(pool[i] for i in chosen)[:700]


class _Filler:
    def __init__(self, schema: dict[str, Any], text: str) -> None:
        self.root = schema
        self.text = text
        self.pool = sentences(text)
        self.used: set[int] = set()

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target[part]
            return self.resolve(dict(target))
        for combo in ("anyOf", "oneOf", "allOf"):
            options = node.get(combo)
            if isinstance(options, list) and options:
                non_null = [o for o in options if o.get("type") != "null"] or options
                return self.resolve(dict(non_null[0]))
        return node

    def value(self, node: dict[str, Any], name: str) -> Any:
        node = self.resolve(node)
        if "enum" in node:
            return node["enum"][0]
        if "const" in node:
            return node["const"]
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object" or "properties" in node:
            props = node.get("properties", {})
            return {key: self.value(sub, key) for key, sub in props.items()}
        if kind == "array":
            items = node.get("items", {"type": "string"})
            if self.resolve(dict(items)).get("type") == "string":
                return keywords(self.text, int(node.get("maxItems", 5)))
            return [self.value(items, name)]
        if kind == "integer":
            low = int(node.get("minimum", 1 if "signif" in name or "score" in name else 0))
            high = int(node.get("maximum", 10 if "signif" in name or "score" in name else 100))
            return low + _stable_int(self.text + name) % (high - low + 1)
        if kind == "number":
            return 0.5
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        count = 1 if name in ("tldr", "title", "significance_reason") else 2
        return _pick_sentences(name, self.pool, self.used, count)


def fill_schema(schema: dict[str, Any], text: str) -> Any:
    """A value conforming to ``schema`` whose strings are sentences taken from ``text``."""
    return _Filler(schema, text).value(schema, str(schema.get("title", "root")).lower())


def is_dialogue_schema(schema: dict[str, Any]) -> bool:
    """A podcast dialogue segment: ``{"turns": [{"speaker": <enum>, "text": ...}]}``."""
    return "turns" in schema.get("properties", {}) and bool(_speakers(schema))


def _speakers(schema: dict[str, Any]) -> list[str]:
    turn = schema.get("$defs", {}).get("Turn", {})
    return list(turn.get("properties", {}).get("speaker", {}).get("enum", []))


_LABELS = re.compile(r"\b(?:TL;DR|Method|Results|Critiques|Implications):\s*")
_WANTED_WORDS = re.compile(r"about (\d+) words")
_WANTED_TURNS = re.compile(r"\((\d+) turns or so\)")
_FIRST = re.compile(r"starting with (\w+)")


def dialogue(schema: dict[str, Any], source: str, request: str) -> dict[str, Any]:
    """The source's sentences (reused when it is short) until the words asked for are said,
    shared out over the turns asked for, the hosts alternating."""
    hosts = _speakers(schema)
    first = _FIRST.search(request)
    if first and first.group(1) in hosts:
        hosts = hosts[hosts.index(first.group(1)) :] + hosts[: hosts.index(first.group(1))]
    wanted = _WANTED_WORDS.search(request)
    target = int(wanted.group(1)) if wanted else 150
    asked = _WANTED_TURNS.search(request)
    count = max(2, int(asked.group(1)) if asked else 4)
    pool = sentences(_LABELS.sub("", source)) or ["There is little to say about this one."]
    said: list[str] = []
    words = 0
    while words < target:
        sentence = pool[len(said) % len(pool)]
        if words + len(sentence.split()) > target * 1.03:
            sentence = " ".join(sentence.split()[: max(3, target - words)])
        said.append(sentence)
        words += len(sentence.split())
    per_turn = words / count
    turns: list[dict[str, str]] = []
    current: list[str] = []
    for sentence in said:
        current.append(sentence)
        if len(" ".join(current).split()) >= per_turn and len(turns) < count - 1:
            turns.append({"speaker": hosts[len(turns) % 2], "text": " ".join(current)})
            current = []
    if current:
        turns.append({"speaker": hosts[len(turns) % 2], "text": " ".join(current)})
    return {"turns": turns}


def find_embedded_schema(text: str) -> dict[str, Any] | None:
    """The first JSON object with ``properties`` written inside ``text`` (JSON-mode prompts)."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and "properties" in value:
            return value
    return None


def embed(text: str, dimensions: int = 256) -> list[float]:
    """A hashed bag of words (signed), L2-normalised; similar texts get similar vectors."""
    vector = np.zeros(dimensions, dtype=np.float64)
    for word in _WORD.findall(text.lower()):
        digest = _stable_int(word)
        vector[digest % dimensions] += 1.0 if (digest >> 32) & 1 else -1.0
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:
        vector[0] = 1.0
        norm = 1.0
    return [float(x) for x in vector / norm]


def speech_seconds(text: str, speed: float = 1.0) -> float:
    words = max(1, len(text.split()))
    return max(0.4, words / (WORDS_PER_SECOND * max(speed, 0.25)))


def speech_pcm(text: str, speed: float = 1.0) -> bytes:
    """16-bit little-endian mono PCM at 24 kHz: a tone burst per word, a short gap after each."""
    words = text.split() or ["..."]
    total = int(speech_seconds(text, speed) * SAMPLE_RATE)
    per_word = max(1, total // len(words))
    t = np.arange(per_word) / SAMPLE_RATE
    envelope = np.minimum(1.0, np.minimum(t, t[::-1]) * 80)  # 12 ms fade in/out, no clicks
    envelope[int(per_word * 0.8) :] = 0.0
    rng = np.random.default_rng(_stable_int(text) % (2**32))
    chunks = []
    for word in words:
        freq = 140 + _stable_int(word) % 260
        tone = 0.35 * np.sin(2 * np.pi * freq * t) + 0.02 * rng.standard_normal(per_word)
        chunks.append(tone * envelope)
    samples = np.concatenate(chunks)[:total] if total else np.zeros(1)
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def pcm_to_wav(pcm: bytes) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm)
    return buffer.getvalue()


_FFMPEG_FORMATS: dict[str, list[str]] = {
    "mp3": ["-f", "mp3", "-b:a", "64k"],
    "flac": ["-f", "flac"],
    "aac": ["-f", "adts"],
    "opus": ["-f", "ogg", "-c:a", "libopus"],
}


def encode_audio(pcm: bytes, response_format: str) -> bytes:
    """PCM as ``response_format``: pcm, wav, or mp3/flac/aac/opus through ffmpeg."""
    if response_format == "pcm":
        return pcm
    if response_format == "wav":
        return pcm_to_wav(pcm)
    import imageio_ffmpeg

    args = _FFMPEG_FORMATS[response_format]
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error"]
    command += ["-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "pipe:0", *args]
    done = subprocess.run([*command, "pipe:1"], input=pcm, capture_output=True, check=True)
    return done.stdout


AUDIO_TYPES = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
    "flac": "audio/flac",
    "aac": "audio/aac",
    "opus": "audio/ogg",
}

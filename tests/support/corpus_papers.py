"""The LaTeX corpus (tests/corpus): its PDFs and the hand-written expectations in corpus.json."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@cache
def manifest() -> dict[str, dict[str, Any]]:
    papers: dict[str, dict[str, Any]] = json.loads(
        (CORPUS / "corpus.json").read_text(encoding="utf-8")
    )["papers"]
    return papers


NAMES = sorted(manifest())


def corpus_pdf(name: str) -> bytes:
    path = CORPUS / "pdfs" / f"{name}.pdf"
    if not path.is_file():
        raise FileNotFoundError(f"corpus PDF {name} is missing: run scripts/build_corpus.py")
    return path.read_bytes()


def expected(name: str) -> dict[str, Any]:
    return manifest()[name]

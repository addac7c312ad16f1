"""PDF text: the candidate extraction libraries, and papercast's cleaning on real LaTeX PDFs.

    python bench/bench_pdf.py [--repeat 3]

1. Libraries: each extracts the same PDFs in a fresh subprocess (so peak RSS is its own): the
   sample PDFs in data/sample/pdf plus generated papers (support.pdfs: a 12-page
   paper and a 300-page report).
2. Cleaning, on the LaTeX corpus (tests/corpus: pdflatex-built papers with an arXiv stamp,
   running headers, page and line numbers, line-end hyphenation, ligatures): artefacts per
   1,000 words in pdfium's raw text and in papercast's clean text, counted by patterns and the
   corpus manifest (independent of the cleaning code); and pages/s of pdfium's raw extraction
   (the same-run baseline), of cleaning alone, and of the whole PdfExtractor (extraction,
   cleaning, identity).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("pypdfium2", "pypdf", "pdfminer")


def _extract(library: str, data: bytes) -> tuple[int, int]:
    """(pages, characters) extracted by ``library``."""
    if library == "pypdfium2":
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(data)
        chars = 0
        for page in document:
            textpage = page.get_textpage()
            chars += len(textpage.get_text_range())
            textpage.close()
            page.close()
        pages = len(document)
        document.close()
        return pages, chars
    if library == "pypdf":
        import io

        import pypdf

        reader = pypdf.PdfReader(io.BytesIO(data))
        return len(reader.pages), sum(len(p.extract_text() or "") for p in reader.pages)
    import io

    from pdfminer.high_level import extract_text
    from pdfminer.pdfpage import PDFPage

    pages = sum(1 for _ in PDFPage.get_pages(io.BytesIO(data)))
    return pages, len(extract_text(io.BytesIO(data)))


def worker(library: str, paths: list[str], repeat: int) -> None:
    blobs = [Path(p).read_bytes() for p in paths]
    _extract(library, blobs[0])  # import and warm up
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pages = chars = 0
    started = time.perf_counter()
    for _ in range(repeat):
        for blob in blobs:
            p, c = _extract(library, blob)
            pages += p
            chars += c
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "pages": pages,
                "chars": chars,
                "seconds": seconds,
                "peak_mb": peak / 1024,
                "growth_mb": (peak - before) / 1024,
            }
        )
    )


def inputs(folder: Path) -> list[Path]:
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "tests"))  # tests/support
    from support.pdfs import make_many_page_pdf, make_pdf, sample_paper_pages

    paths = sorted((ROOT / "data" / "sample" / "pdf").glob("*.pdf"))
    paper = folder / "paper-12p.pdf"
    paper.write_bytes(make_pdf(sample_paper_pages("A Dense Paper", body_paragraphs=6) * 1))
    report = folder / "report-300p.pdf"
    report.write_bytes(make_many_page_pdf(300))
    return [*paths, paper, report]


ARTEFACT_PATTERNS = {
    "hyphen marks": re.compile("[\ufffe\u00ad]|(?<=\\w)-\n(?=[a-z])"),
    "ligatures": re.compile("[\ufb00-\ufb06]"),
    "number lines": re.compile(r"(?m)^[ \t]*\d{1,4}[ \t]*\r?$"),  # page and line numbers
    "line numbers": re.compile(r"(?m)(?:^|\ufffe)\d{1,3} (?=[a-z])"),  # lineno, before prose
}
WORD = re.compile(r"[^\W\d_]{2,}")


def count_artefacts(text: str, layout_strings: list[str]) -> dict[str, int]:
    """Artefacts in ``text``: pattern hits, plus stamp/header/footer strings from the manifest."""
    counts = {name: len(pattern.findall(text)) for name, pattern in ARTEFACT_PATTERNS.items()}
    flat = " ".join(text.split())
    counts["stamp, headers, footers"] = sum(flat.count(s) for s in layout_strings)
    return counts


def _raw_pages(data: bytes) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        pages = []
        for page in document:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return pages
    finally:
        document.close()


def corpus_report(repeat: int) -> None:
    """Artefacts before/after cleaning and pages/s, on the LaTeX corpus."""
    sys.path.insert(0, str(ROOT / "src"))
    from papercast.summarize.fulltext import PdfExtractor
    from papercast.summarize.pdftext import clean_pages, rejoin

    corpus = ROOT / "tests" / "corpus"
    manifest = json.loads((corpus / "corpus.json").read_text(encoding="utf-8"))["papers"]
    blobs = {name: (corpus / "pdfs" / f"{name}.pdf").read_bytes() for name in sorted(manifest)}
    extractor = PdfExtractor()
    print(
        "\n| paper | pages | words | artefacts before | per 1,000 words | after | per 1,000 words |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    totals = {"words": 0, "before": 0, "after": 0}
    kinds: dict[str, list[int]] = {}
    for name, data in blobs.items():
        raw = "\n".join(_raw_pages(data))
        clean = extractor.extract(data).text
        strings = manifest[name]["artefacts"]
        before, after = count_artefacts(raw, strings), count_artefacts(clean, strings)
        for kind in before:
            kinds.setdefault(kind, [0, 0])
            kinds[kind][0] += before[kind]
            kinds[kind][1] += after[kind]
        words = len(WORD.findall(clean))
        b, a = sum(before.values()), sum(after.values())
        totals["words"] += words
        totals["before"] += b
        totals["after"] += a
        print(
            f"| {name} | {len(_raw_pages(data))} | {words:,} | {b} | {b * 1000 / words:.1f} "
            f"| {a} | {a * 1000 / words:.1f} |"
        )
    w = totals["words"]
    print(
        f"| **all** | | {w:,} | {totals['before']} | {totals['before'] * 1000 / w:.1f} "
        f"| {totals['after']} | {totals['after'] * 1000 / w:.1f} |"
    )
    print(
        "\nBy kind (before -> after): "
        + ", ".join(f"{k} {v[0]} -> {v[1]}" for k, v in kinds.items())
    )

    raw_pages = {name: _raw_pages(data) for name, data in blobs.items()}
    rejoin("warm\ufffeup the word list: fixed\ufffelength")  # the one-time dictionary load
    rounds = max(5, repeat * 10)
    timings: dict[str, tuple[int, float]] = {}
    steps: dict[str, Callable[[], int]] = {
        "pdfium raw text (baseline)": lambda: sum(len(_raw_pages(d)) for d in blobs.values()),
        "cleaning alone (clean_pages)": lambda: sum(
            len(p) for p in raw_pages.values() if clean_pages(p).text
        ),
        "PdfExtractor, weekly run: pdfium + cleaning": lambda: sum(
            extractor.extract(d, identify=False).pages for d in blobs.values()
        ),
        "PdfExtractor, summarize a PDF: + identity": lambda: sum(
            extractor.extract(d).pages for d in blobs.values()
        ),
    }
    for label, work in steps.items():
        started = time.perf_counter()
        pages = sum(work() for _ in range(rounds))
        timings[label] = (pages, time.perf_counter() - started)
    base = timings["pdfium raw text (baseline)"]
    print(f"\n{len(blobs)} corpus PDFs x {rounds} rounds")
    print("| step | pages | pages/s | time vs baseline |")
    print("|---|---:|---:|---:|")
    for label, (pages, seconds) in timings.items():
        print(f"| {label} | {pages} | {pages / seconds:,.0f} | {seconds / base[1]:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker", nargs="+")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1:], args.repeat)
        return
    with tempfile.TemporaryDirectory() as tmp:
        paths = [str(p) for p in inputs(Path(tmp))]
        results = {}
        for library in LIBRARIES:
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--repeat",
                    str(args.repeat),
                    "--worker",
                    library,
                    *paths,
                ],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                print(f"{library}: not available ({done.stderr.strip().splitlines()[-1]})")
                continue
            results[library] = json.loads(done.stdout)
    base = results.get("pypdfium2")
    print(f"{len(paths)} PDFs x {args.repeat} runs")
    print("| library | pages/s | vs pypdfium2 | peak RSS MB | chars extracted |")
    print("|---|---:|---:|---:|---:|")
    for library, r in results.items():
        rate = r["pages"] / r["seconds"]
        ratio = rate / (base["pages"] / base["seconds"]) if base else float("nan")
        print(f"| {library} | {rate:,.0f} | {ratio:.2f}x | {r['peak_mb']:.0f} | {r['chars']:,} |")
    corpus_report(args.repeat)


if __name__ == "__main__":
    main()

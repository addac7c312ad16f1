"""PDF text extraction: pages/s and peak memory of the candidate libraries, same run.

    python bench/bench_pdf.py [--repeat 3]

Each library extracts the same PDFs in a fresh subprocess (so peak RSS is its own): the sample
PDFs in data/sample/pdf plus generated papers (papercast.testing.pdfs: a 12-page paper and a
300-page report). No real arXiv PDFs are available offline; real papers have denser pages
(fonts, figures, two columns), so absolute pages/s there are lower, the ranking holds.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
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
    from papercast.testing.pdfs import make_many_page_pdf, make_pdf, sample_paper_pages

    paths = sorted((ROOT / "data" / "sample" / "pdf").glob("*.pdf"))
    paper = folder / "paper-12p.pdf"
    paper.write_bytes(make_pdf(sample_paper_pages("A Dense Paper", body_paragraphs=6) * 1))
    report = folder / "report-300p.pdf"
    report.write_bytes(make_many_page_pdf(300))
    return [*paths, paper, report]


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


if __name__ == "__main__":
    main()

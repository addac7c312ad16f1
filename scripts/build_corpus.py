"""Rebuild the LaTeX corpus: tests/corpus/tex/<name>.tex -> tests/corpus/pdfs/<name>.pdf.

Usage: ``python scripts/build_corpus.py [NAME ...] [--check]``

The tests read the committed PDFs, so neither CI nor a contributor needs TeX; run this only
after editing a source. It needs ``pdflatex`` with Debian's texlive-latex-base,
texlive-latex-recommended, texlive-latex-extra and lmodern (or the same packages from any
TeX Live).

Builds are deterministic: each source is compiled twice (for references and "Page N of M")
in a scratch directory with ``SOURCE_DATE_EPOCH``/``FORCE_SOURCE_DATE`` fixed, and the sources
set ``\\pdftrailerid{}``, ``\\pdfinfoomitdate=1`` and ``\\pdfsuppressptexinfo=-1``, so a rebuild
with the same TeX Live gives the same bytes. ``--check`` rebuilds into a scratch directory and
exits 1 if any committed PDF differs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEX_DIR = ROOT / "tests" / "corpus" / "tex"
PDF_DIR = ROOT / "tests" / "corpus" / "pdfs"
EPOCH = "1717200000"  # 2024-06-01, so \today and any date TeX writes never change


def sources() -> list[Path]:
    """Every paper in the corpus (macro files such as arxivstamp.tex have no documentclass)."""
    return sorted(
        path for path in TEX_DIR.glob("*.tex") if "\\documentclass" in path.read_text("utf-8")
    )


def build(source: Path, out_dir: Path) -> Path:
    """Compile ``source`` twice with pdflatex; the PDF lands in ``out_dir``."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "FORCE_SOURCE_DATE": "1", "TZ": "UTC"}
    with tempfile.TemporaryDirectory(prefix="papercast-corpus-") as scratch:
        work = Path(scratch)
        for extra in TEX_DIR.iterdir():
            if extra.is_file():
                shutil.copy2(extra, work / extra.name)
        command = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name]
        for _ in range(2):
            result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
            if result.returncode != 0:
                log = (work / source.with_suffix(".log").name).read_text("utf-8", "replace")
                tail = "\n".join(log.splitlines()[-25:])
                raise SystemExit(f"pdflatex failed on {source.name}:\n{tail}")
        target = out_dir / source.with_suffix(".pdf").name
        shutil.copy2(work / target.name, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="papers to build (default: all)")
    parser.add_argument("--check", action="store_true", help="fail if a rebuild differs")
    args = parser.parse_args(argv)
    if shutil.which("pdflatex") is None:
        print("pdflatex not found: install texlive-latex-extra and lmodern", file=sys.stderr)
        return 2
    chosen = [s for s in sources() if not args.names or s.stem in args.names]
    if args.names and len(chosen) != len(args.names):
        known = ", ".join(s.stem for s in sources())
        print(f"unknown paper name; the corpus has: {known}", file=sys.stderr)
        return 2
    differ = []
    with tempfile.TemporaryDirectory(prefix="papercast-corpus-out-") as scratch_out:
        out_dir = Path(scratch_out) if args.check else PDF_DIR
        out_dir.mkdir(parents=True, exist_ok=True)
        for source in chosen:
            built = build(source, out_dir)
            committed = PDF_DIR / built.name
            if args.check and (
                not committed.is_file() or committed.read_bytes() != built.read_bytes()
            ):
                differ.append(built.name)
            print(f"{built.name}: {built.stat().st_size:,} bytes")
    if differ:
        print(f"differs from the committed PDF: {', '.join(differ)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Tiny, dependency-free writers of real PDF files for tests, samples and benchmarks.

``make_pdf(["1 Introduction\\n...", "3 Method\\n..."], title="A paper")`` returns the bytes of a
valid PDF 1.4 file with one page per entry (a long entry flows onto extra pages), set in
Helvetica so that every text extractor (pdfium, pypdf, pdfminer) reads the words back. Lines are
word-wrapped; blank lines separate paragraphs. Characters outside Latin-1 become ``?``.

Also: ``make_corrupt_pdf()`` (starts like a PDF, is not one), ``make_image_only_pdf()`` (a scan:
a page with a picture and no text layer), ``make_many_page_pdf(n)`` (a long paper with section
headings, for bounded-time tests).
"""

from __future__ import annotations

import textwrap
import zlib

PAGE_WIDTH = 612  # US Letter, points
PAGE_HEIGHT = 792
MARGIN = 72
FONT_SIZE = 10
LEADING = 13
WRAP_COLUMNS = 95
LINES_PER_PAGE = (PAGE_HEIGHT - 2 * MARGIN) // LEADING


def _escape(text: str) -> bytes:
    """A PDF literal string body: Latin-1, with backslash and parentheses escaped."""
    raw = text.encode("latin-1", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _wrap(page: str) -> list[str]:
    lines: list[str] = []
    for paragraph in page.split("\n"):
        if not paragraph.strip():
            lines.append("")
            continue
        lines.extend(textwrap.wrap(paragraph, WRAP_COLUMNS) or [""])
    return lines


def _content_stream(lines: list[str]) -> bytes:
    parts = [b"BT", f"/F1 {FONT_SIZE} Tf".encode(), f"{LEADING} TL".encode()]
    parts.append(f"{MARGIN} {PAGE_HEIGHT - MARGIN} Td".encode())
    for line in lines:
        parts.append(b"(" + _escape(line) + b") Tj T*")
    parts.append(b"ET")
    return b"\n".join(parts)


class _Writer:
    """Collects numbered objects and writes the body, xref table and trailer."""

    def __init__(self) -> None:
        self.objects: list[bytes] = []

    def reserve(self) -> int:
        self.objects.append(b"")
        return len(self.objects)

    def set(self, number: int, body: bytes) -> None:
        self.objects[number - 1] = body

    def add(self, body: bytes) -> int:
        self.objects.append(body)
        return len(self.objects)

    def stream(self, data: bytes, extra: bytes = b"", compress: bool = True) -> int:
        if compress:
            data = zlib.compress(data)
            extra += b" /Filter /FlateDecode"
        header = b"<< /Length " + str(len(data)).encode() + extra + b" >>"
        return self.add(header + b"\nstream\n" + data + b"\nendstream")

    def render(self, root: int, info: int | None) -> bytes:
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(self.objects) + 1}\n".encode()
        out += b"0000000000 65535 f \n"
        for offset in offsets:
            out += f"{offset:010d} 00000 n \n".encode()
        trailer = f"<< /Size {len(self.objects) + 1} /Root {root} 0 R".encode()
        if info is not None:
            trailer += f" /Info {info} 0 R".encode()
        out += b"trailer\n" + trailer + b" >>\n" + f"startxref\n{xref}\n%%EOF\n".encode()
        return bytes(out)


def _info(
    writer: _Writer, title: str | None, author: str | None, subject: str | None = None
) -> int | None:
    if title is None and author is None and subject is None:
        return None
    fields = b"/Producer (support.pdfs)"
    if title is not None:
        fields += b" /Title (" + _escape(title) + b")"
    if author is not None:
        fields += b" /Author (" + _escape(author) + b")"
    if subject is not None:
        fields += b" /Subject (" + _escape(subject) + b")"
    return writer.add(b"<< " + fields + b" >>")


def _paginate(pages: list[str]) -> list[list[str]]:
    physical: list[list[str]] = []
    for page in pages:
        lines = _wrap(page)
        if not lines:
            physical.append([])
        for start in range(0, max(len(lines), 1), LINES_PER_PAGE):
            chunk = lines[start : start + LINES_PER_PAGE]
            if chunk or not lines:
                physical.append(chunk)
    return physical or [[]]


def make_pdf(
    pages: list[str],
    title: str | None = None,
    *,
    author: str | None = None,
    subject: str | None = None,
    compress: bool = True,
) -> bytes:
    """A valid text PDF: one page per entry (long entries continue on extra pages).

    ``title``/``author``/``subject`` go into the document information dictionary (metadata).
    """
    writer = _Writer()
    catalog = writer.reserve()
    pages_obj = writer.reserve()
    font = writer.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for lines in _paginate(pages):
        content = writer.stream(_content_stream(lines), compress=compress)
        kids.append(
            writer.add(
                f"<< /Type /Page /Parent {pages_obj} 0 R /MediaBox [0 0 {PAGE_WIDTH} "
                f"{PAGE_HEIGHT}] /Resources << /Font << /F1 {font} 0 R >> >> "
                f"/Contents {content} 0 R >>".encode()
            )
        )
    kid_refs = " ".join(f"{k} 0 R" for k in kids)
    writer.set(pages_obj, f"<< /Type /Pages /Kids [{kid_refs}] /Count {len(kids)} >>".encode())
    writer.set(catalog, f"<< /Type /Catalog /Pages {pages_obj} 0 R >>".encode())
    return writer.render(catalog, _info(writer, title, author, subject))


def make_image_only_pdf(pages: int = 1, title: str | None = None) -> bytes:
    """A 'scanned' PDF: each page shows a grey picture and has no text layer at all."""
    writer = _Writer()
    catalog = writer.reserve()
    pages_obj = writer.reserve()
    side = 64
    pixels = bytes((x * 3 + y * 5) % 256 for y in range(side) for x in range(side))
    image = writer.stream(
        pixels,
        extra=f" /Type /XObject /Subtype /Image /Width {side} /Height {side} "
        "/ColorSpace /DeviceGray /BitsPerComponent 8".encode(),
    )
    kids = []
    for _ in range(max(pages, 1)):
        content = writer.stream(b"q 468 0 0 648 72 72 cm /Im1 Do Q")
        kids.append(
            writer.add(
                f"<< /Type /Page /Parent {pages_obj} 0 R /MediaBox [0 0 {PAGE_WIDTH} "
                f"{PAGE_HEIGHT}] /Resources << /XObject << /Im1 {image} 0 R >> >> "
                f"/Contents {content} 0 R >>".encode()
            )
        )
    kid_refs = " ".join(f"{k} 0 R" for k in kids)
    writer.set(pages_obj, f"<< /Type /Pages /Kids [{kid_refs}] /Count {len(kids)} >>".encode())
    writer.set(catalog, f"<< /Type /Catalog /Pages {pages_obj} 0 R >>".encode())
    return writer.render(catalog, _info(writer, title, None))


def make_corrupt_pdf() -> bytes:
    """Bytes that start like a PDF but have no valid structure (no xref, no objects)."""
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R\ngarbage\x00\x01"


def make_not_a_pdf() -> bytes:
    """An HTML error page served where a PDF was expected."""
    return b"<!DOCTYPE html><html><body><h1>403 Forbidden</h1></body></html>"


SECTION_TITLES = (
    "Introduction",
    "Related Work",
    "Method",
    "Experiments",
    "Results",
    "Discussion",
    "Conclusion",
)


def sample_paper_pages(
    title: str = "A Sample Paper",
    abstract: str = "We study a problem and report that our method improves accuracy by 4.2%.",
    body_paragraphs: int = 2,
) -> list[str]:
    """Pages of a plausible paper: title + abstract, then '1 Introduction' ... '7 Conclusion'."""
    pages = [f"{title}\n\nAbstract\n{abstract}"]
    for number, name in enumerate(SECTION_TITLES, start=1):
        filler = (
            f"This paragraph belongs to the {name.lower()} section of {title}. "
            "It describes the setting, the data and the measured outcomes in plain words. "
        ) * 3
        paragraphs = "\n\n".join(filler for _ in range(body_paragraphs))
        pages.append(f"{number} {name}\n\n{paragraphs}")
    return pages


_OPENINGS = (
    "The measurements on this page were taken in the second week.",
    "Each trial below repeats the protocol with a fresh seed.",
    "Here the sensors ran without recalibration.",
    "Results for the control group follow.",
    "This page lists the ablations in the order they were run.",
    "We summarise the cost of each configuration.",
    "Outliers were kept and are marked in the text.",
    "The remaining runs used the larger batch size.",
    "Timing figures include warm-up.",
    "Every number here is an average over five runs.",
    "Deviations from the plan are noted inline.",
)


def make_many_page_pdf(n_pages: int = 300, title: str = "A Very Long Paper") -> bytes:
    """A long paper: ``n_pages`` pages, section headings spread through it, appendix at the end."""
    pages = [f"{title}\n\nAbstract\nA long report whose key result is a 12.5% gain."]
    per_section = max(1, (n_pages - 1) // (len(SECTION_TITLES) + 1))
    filler = "Lorem ipsum measurement repeated for bulk so the page carries realistic text. " * 8
    for index in range(1, n_pages):
        section = (index - 1) // per_section
        if (index - 1) % per_section == 0 and section < len(SECTION_TITLES):
            heading = f"{section + 1} {SECTION_TITLES[section]}\n\n"
        elif (index - 1) % per_section == 0:
            heading = "Appendix\n\n"
        else:
            heading = ""
        opening = _OPENINGS[index % len(_OPENINGS)]  # real pages do not all start alike
        pages.append(f"{heading}Page {index + 1}. {opening} {filler}")
    return make_pdf(pages, title=title)

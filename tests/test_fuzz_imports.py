"""Property tests (hypothesis) for the files a reader hands papercast: history imports (CSV,
Zotero CSV, BibTeX, JSONL), `rank --candidates` files, the shortlist and keyboard selections,
and PDF text extraction.

Two kinds of property, with expectations that do not come from the code under test:
- round trips: records written with the standard library's own csv/json writers (or plain
  BibTeX text) read back to the same titles, ids and picks;
- anything at all: any bytes give records or an InputError naming a line of the file, never
  another exception (which would end the command with a traceback).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from papercast.errors import InputError
from papercast.history import read_candidates, read_history
from papercast.picking import parse_selection, read_shortlist, write_shortlist
from papercast.store.weekly import RankedRef
from papercast.summarize.fulltext import FullTextError, PdfExtractor
from papercast.summarize.pdftext import clean_pages

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CORPUS = Path(__file__).parent / "corpus" / "pdfs"

# words as titles carry them: letters of any script, digits, and punctuation that has no
# meaning to CSV, JSON, BibTeX or LaTeX; whitespace between words is any run of blanks
WORD = st.text(
    st.characters(categories=["L", "N"]) | st.sampled_from(list(".:;!?+=/()[]*")),
    min_size=1,
    max_size=12,
)
BLANKS = st.text(st.sampled_from([" ", "\t", "\n"]), min_size=1, max_size=3)
# arXiv ids as a reader's file may spell them
ARXIV = st.builds(
    "{:02d}{:02d}.{:05d}".format,
    st.integers(15, 25),
    st.integers(1, 12),
    st.integers(0, 99999),
)
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)


@st.composite
def titled(draw: st.DrawFn) -> tuple[str, str]:
    """(title as written in the file, the title a reader expects to see)."""
    words = draw(st.lists(WORD, min_size=1, max_size=8))
    gaps = [draw(BLANKS) for _ in words]
    written = draw(BLANKS) + "".join(w + g for w, g in zip(words, gaps, strict=True))
    return written, " ".join(words)


ITEMS = st.lists(
    st.tuples(titled(), st.none() | ARXIV, st.booleans()),
    min_size=1,
    max_size=6,
    unique_by=lambda item: item[1] or item[0][1],
)
Item = tuple[tuple[str, str], str | None, bool]


def expected(items: list[Item], *, picks: bool = True) -> list[tuple[str, str | None, bool]]:
    return [
        (seen, f"arxiv:{aid}" if aid else None, picked or not picks)
        for (_, seen), aid, picked in items
    ]


def write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def check_error_names_a_line(exc: InputError, text: str) -> None:
    """An import error says where: the file, and a line that exists (or the whole file)."""
    message = str(exc)
    assert exc.hint
    found = re.search(r"line (\d+)", message)
    if found:
        assert 1 <= int(found.group(1)) <= max(1, text.count("\n") + 1), message


# --- history: CSV, JSONL, Zotero CSV, BibTeX ---------------------------------------------


@FUZZ
@given(items=ITEMS)
def test_any_csv_history_written_by_the_csv_module_reads_back(
    tmp_path: Path, items: list[Item]
) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["title", "url", "picked"])
    for (written, _), aid, picked in items:
        writer.writerow(
            [written, f"https://arxiv.org/abs/{aid}" if aid else "", "yes" if picked else "no"]
        )
    records = read_history(write(tmp_path / "h.csv", out.getvalue()))
    assert [(r.title, r.paper_id, r.picked) for r in records] == expected(items)


@FUZZ
@given(items=ITEMS)
def test_any_jsonl_history_written_by_the_json_module_reads_back(
    tmp_path: Path, items: list[Item]
) -> None:
    lines = [
        json.dumps({"title": written, "id": aid, "picked": picked}, ensure_ascii=bool(picked))
        for (written, _), aid, picked in items
    ]
    records = read_history(write(tmp_path / "h.jsonl", "\n".join(lines) + "\n"))
    assert [(r.title, r.paper_id, r.picked) for r in records] == expected(items)
    assert [r.line for r in records] == list(range(1, len(items) + 1))


ZOTERO_HEADER = ["Key", "Item Type", "Title", "Abstract Note", "Url", "DOI", "Extra", "Date Added"]


@FUZZ
@given(items=ITEMS, where=st.sampled_from(["Url", "Extra"]))
def test_any_zotero_export_reads_back(tmp_path: Path, items: list[Item], where: str) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ZOTERO_HEADER, quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for n, ((written, _), aid, _picked) in enumerate(items):
        row = dict.fromkeys(ZOTERO_HEADER, "")
        row.update({"Key": f"K{n}", "Item Type": "preprint", "Title": written})
        if aid:
            row[where] = f"http://arxiv.org/abs/{aid}" if where == "Url" else f"arXiv: {aid}"
        writer.writerow(row)
    records = read_history(write(tmp_path / "zotero.csv", out.getvalue()))
    # a Zotero library has no picks: everything in it counts as picked
    assert [(r.title, r.paper_id, r.picked) for r in records] == expected(items, picks=False)


@FUZZ
@given(items=ITEMS)
def test_any_bibtex_library_reads_back(tmp_path: Path, items: list[Item]) -> None:
    entries = []
    for n, ((written, _), aid, _picked) in enumerate(items):
        fields = [f"  title = {{{written}}}"]
        if aid:
            fields += [f"  eprint = {{{aid}}}", "  archivePrefix = {arXiv}"]
        entries.append(f"@article{{key{n},\n" + ",\n".join(fields) + "\n}\n")
    records = read_history(write(tmp_path / "library.bib", "\n".join(entries)))
    assert [(r.title, r.paper_id) for r in records] == [
        (seen, pid) for seen, pid, _ in expected(items)
    ]


@FUZZ
@given(data=st.binary(max_size=300) | ANY_TEXT.map(str.encode))
@example(data=b'title\n"unclosed\n')
@example(data=b"@article{x,\n title = {A\n")
@example(data=b'{"title": "A"}\n[1, 2]\n')
@example(data=b"\xff\xfe title\n")
def test_any_bytes_as_any_history_format_are_records_or_a_located_error(
    tmp_path: Path, data: bytes
) -> None:
    text = data.decode("utf-8", errors="replace")
    for name in ("h.csv", "h.jsonl", "h.bib", "h.txt"):
        path = write(tmp_path / name, data)
        try:
            records = read_history(path)
        except InputError as exc:
            check_error_names_a_line(exc, text)
            continue
        assert records  # an empty import is an error, not zero papers
        for record in records:
            assert record.title or record.paper_id
            assert record.title == " ".join(record.title.split())


# --- rank --candidates --------------------------------------------------------------------


@FUZZ
@given(items=ITEMS, jsonl=st.booleans())
def test_any_candidates_file_reads_back(tmp_path: Path, items: list[Item], jsonl: bool) -> None:
    refs = [aid or f"https://example.org/{n}" for n, (_, aid, _) in enumerate(items)]
    if jsonl:
        text = "".join(
            json.dumps({"id": ref, "title": written}) + "\n"
            for ref, ((written, _), _, _) in zip(refs, items, strict=True)
        )
        path = write(tmp_path / "c.jsonl", text)
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["id", "title"])
        writer.writerows(
            [ref, written] for ref, ((written, _), _, _) in zip(refs, items, strict=True)
        )
        path = write(tmp_path / "c.csv", out.getvalue())
    records = read_candidates(path)
    assert [(r.ref, r.title) for r in records] == [
        (ref, seen) for ref, ((_, seen), _, _) in zip(refs, items, strict=True)
    ]


@FUZZ
@given(data=st.binary(max_size=300) | ANY_TEXT.map(str.encode))
def test_any_bytes_as_candidates_are_records_or_a_located_error(
    tmp_path: Path, data: bytes
) -> None:
    text = data.decode("utf-8", errors="replace")
    for name in ("c.csv", "c.jsonl"):
        try:
            records = read_candidates(write(tmp_path / name, data))
        except InputError as exc:
            check_error_names_a_line(exc, text)
            continue
        for record in records:
            assert str(record.ref).strip() and record.title.strip()


# --- the shortlist and keyboard selections ------------------------------------------------


@FUZZ
@given(
    entries=st.lists(
        st.tuples(
            ANY_TEXT,
            st.from_regex(r"(arxiv|biorxiv|doi):[0-9a-z./]{1,20}", fullmatch=True),
            st.booleans(),
        ),
        max_size=8,
        unique_by=lambda e: e[1],
    )
)
def test_the_shortlist_papercast_writes_reads_back_to_its_picks_whatever_the_titles(
    tmp_path: Path, entries: list[tuple[str, str, bool]]
) -> None:
    from papercast.models import Paper

    ranked = [RankedRef(id=pid, score=1.0, picked=picked) for _, pid, picked in entries]
    papers = {
        pid: Paper(id=pid, source="arxiv", title=title or "untitled") for title, pid, _ in entries
    }
    path = tmp_path / "shortlist.md"
    write_shortlist(path, "2024-W41", ranked, papers)
    assert read_shortlist(path) == [pid for _, pid, picked in entries if picked]


@FUZZ
@given(lines=st.lists(ANY_TEXT, max_size=8))
def test_any_edited_shortlist_gives_ids_or_names_the_line(tmp_path: Path, lines: list[str]) -> None:
    text = "\n".join(lines)
    path = write(tmp_path / "shortlist.md", text)
    try:
        picked = read_shortlist(path)
    except InputError as exc:
        number = int(str(exc).split("shortlist.md:", 1)[1].split(":", 1)[0])
        line = path.read_text(encoding="utf-8").splitlines()[number - 1]
        assert line.strip().startswith(("- [", "* ["))
        return
    for pid in picked:
        assert re.fullmatch(r"[a-z]+:\S+", pid) and f"({pid})" in text


@FUZZ
@given(chosen=st.sets(st.integers(1, 40), max_size=12), count=st.integers(40, 60), data=st.data())
def test_any_selection_typed_as_numbers_and_ranges_means_those_papers(
    chosen: set[int], count: int, data: st.DataObject
) -> None:
    # group consecutive numbers into ranges the way a reader might type them
    parts, run = [], []
    for n in sorted(chosen):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            parts.append(run)
        run = [n]
    if run:
        parts.append(run)
    typed = [
        f"{r[0]}-{r[-1]}" if len(r) > 1 and data.draw(st.booleans()) else " ".join(map(str, r))
        for r in data.draw(st.permutations(parts))
    ]
    separator = data.draw(st.sampled_from([" ", ", ", ",", "  "]))
    assert parse_selection(separator.join(typed), count) == chosen


@FUZZ
@given(text=ANY_TEXT, count=st.integers(1, 30))
def test_any_typed_selection_is_numbers_in_range_or_refused(text: str, count: int) -> None:
    try:
        chosen = parse_selection(text, count)
    except ValueError:
        return
    assert all(1 <= n <= count for n in chosen)
    assert chosen <= {int(n) for n in re.findall(r"\d+", text)} | set(range(1, count + 1))


# --- PDF extraction ----------------------------------------------------------------------

# letters of any script; ligature glyphs (U+FB00-FB06) are spelled out by design
BODY_WORD = st.text(
    st.characters(
        categories=["Ll", "Lu"], exclude_characters="\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06"
    ),
    min_size=2,
    max_size=10,
)


@FUZZ
@given(
    lines=st.lists(
        st.lists(BODY_WORD, min_size=3, max_size=8), min_size=8, max_size=40, unique_by=tuple
    ),
    per_page=st.integers(4, 10),
)
def test_clean_pages_keeps_every_body_word_and_drops_page_numbers(
    lines: list[list[str]], per_page: int
) -> None:
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)]
    printed = [
        "\n".join(" ".join(line) for line in page) + f"\n{number}\n"
        for number, page in enumerate(pages, start=1)
    ]
    cleaned = clean_pages(printed).text
    assert cleaned.split() == [word for line in lines for word in line]


@pytest.fixture(scope="module")
def real_pdf() -> bytes:
    return (CORPUS / "shallow-draft.pdf").read_bytes()


@settings(FUZZ, max_examples=25)
@given(
    cuts=st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=1, max_size=8)), max_size=4),
    keep=st.floats(0.05, 1.0),
)
def test_a_damaged_pdf_is_text_or_a_clear_error(
    real_pdf: bytes, cuts: list[tuple[int, bytes]], keep: float
) -> None:
    data = bytearray(real_pdf[: max(16, int(len(real_pdf) * keep))])
    for at, junk in cuts:
        at %= len(data)
        data[at : at + len(junk)] = junk
    try:
        extracted = PdfExtractor().extract(bytes(data))
    except FullTextError as exc:
        assert exc.reason in {"not_pdf", "corrupt", "no_text"} and str(exc)
        return
    assert extracted.text.strip() and extracted.pages >= 1

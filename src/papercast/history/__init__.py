"""Reading a reader's history: CSV, JSONL, BibTeX, Zotero CSV or a plain list of arXiv ids.

Every format is parsed and validated in full before anything is stored, so a malformed file is
one clear error naming the line, and nothing is half-imported. Imported papers count as picked
(positives) unless the file labels them (``picked`` = 0/1).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import Field

from papercast.errors import InputError
from papercast.ids import parse_reference
from papercast.models import CleanText, HistoryRecord, Model, normalize_text

log = logging.getLogger(__name__)

HistoryFormat = Literal["auto", "csv", "jsonl", "bibtex", "zotero", "ids"]
HISTORY_FORMATS: tuple[str, ...] = ("auto", "csv", "jsonl", "bibtex", "zotero", "ids")

_TRUE = {"1", "1.0", "true", "yes", "y", "t", "picked"}
_FALSE = {"0", "0.0", "false", "no", "n", "f", "passed", "skipped"}
_TITLE_KEY = re.compile(r"[^a-z0-9]+")
_ZOTERO_COLUMNS = {"item type", "title", "abstract note"}
_ID_COLUMNS = ("id", "arxiv_id", "arxiv", "paper_id", "doi", "eprint")
_URL_COLUMNS = ("url", "link", "abs_url", "arxiv_url")
_DATE_COLUMNS = ("date", "added", "added_at", "picked_at", "date added", "seen_at")
_PAPER_DATE_COLUMNS = ("paper_date", "published", "published_at")
_SCREENED_COLUMNS = ("screened_on", "screened_at")
_SHOWN_COLUMNS = ("shown_on", "first_shown", "shown_at")


class CandidateRecord(Model):
    """One paper to rank, as given to ``papercast rank --candidates``."""

    ref: str | int = Field(description="the id exactly as given, or the url when there is no id")
    title: CleanText
    abstract: CleanText = ""
    paper_id: str | None = None
    published: datetime | None = Field(default=None, description="when the paper was listed")
    line: int = 0


# --- small parsers ----------------------------------------------------------------------


def _error(path: Path, line: int, message: str, hint: str | None = None) -> InputError:
    return InputError(f"{path}, line {line}: {message}", hint or f"fix line {line} and retry")


def parse_picked(value: object, path: Path, line: int) -> bool:
    """'1'/'0', true/false, yes/no; empty means picked (imports are positives unless labelled)."""
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _error(path, line, f"'picked' must be 1 or 0, not {value!r}")


def parse_date(value: object, path: Path, line: int) -> datetime | None:
    """ISO dates and datetimes, or a bare year / year-month; naive times are UTC."""
    text = str(value or "").strip()
    if not text:
        return None
    parsed: datetime | None = None
    for candidate in (text, text.replace("Z", "+00:00")):
        try:
            parsed = datetime.fromisoformat(candidate)
            break
        except ValueError:
            continue
    if parsed is None:
        for fmt in ("%Y", "%Y-%m", "%Y/%m/%d", "%d/%m/%Y"):
            try:
                parsed = datetime.strptime(text, fmt)  # naive: made UTC below
                break
            except ValueError:
                continue
    if parsed is None:
        raise _error(
            path, line, f"cannot read the date {text!r}", "use an ISO date like 2024-10-13"
        )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def reference_paper_id(value: str) -> str | None:
    """The papercast id behind an arXiv id/URL, bioRxiv link or DOI; None if it names none."""
    try:
        ref = parse_reference(value)
    except InputError:
        return None
    if ref.paper_id:
        return ref.paper_id
    if ref.doi:
        return f"doi:{ref.doi}"
    return None


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"no such file: {path}", "check the path") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", "check the file") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _error(path, line, "the file is not UTF-8 text", "save it as UTF-8") from None


# --- tables: CSV and JSONL ---------------------------------------------------------------


def iter_table(path: Path, kind: Literal["csv", "jsonl"]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row with lower-cased keys) for each record of a CSV or JSONL file."""
    text = _read_text(path)
    if kind == "jsonl":
        yield from _iter_jsonl(path, text)
    else:
        yield from _iter_csv(path, text)


def _iter_jsonl_values(path: Path, text: str) -> Iterator[tuple[int, dict[str, object]]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise _error(path, number, f"not valid JSON ({exc.msg})") from None
        if not isinstance(value, dict):
            raise _error(path, number, 'each line must be a JSON object like {"title": ...}')
        yield number, {str(k).strip().lower(): v for k, v in value.items()}


def _iter_jsonl(path: Path, text: str) -> Iterator[tuple[int, dict[str, str]]]:
    for number, row in _iter_jsonl_values(path, text):
        yield number, {key: _cell(value) for key, value in row.items()}


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _iter_csv(path: Path, text: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise _error(path, reader.line_num or 1, f"malformed CSV ({exc})") from None
    names = [name.strip().lower() for name in header]
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _error(path, start, f"malformed CSV ({exc})") from None
        if any(cell.strip() for cell in row):
            if len(row) > len(names):
                raise _error(
                    path, start, f"{len(row)} fields but the header names {len(names)} columns"
                )
            yield start, dict(zip(names, row, strict=False))
        start = reader.line_num + 1


def _first(row: Mapping[str, object], names: tuple[str, ...]) -> str:
    for name in names:
        value = row.get(name)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def _record_from_row(path: Path, number: int, row: dict[str, str]) -> HistoryRecord:
    ident = _first(row, _ID_COLUMNS)
    url = _first(row, _URL_COLUMNS)
    title = normalize_text(row.get("title", ""))
    paper_id = (reference_paper_id(ident) if ident else None) or (
        reference_paper_id(url) if url else None
    )
    if not title and not paper_id:
        raise _error(
            path, number, "a row needs a title or an arXiv id/URL or DOI", "fill in the title"
        )
    screened_on = parse_date(_first(row, _SCREENED_COLUMNS), path, number)
    return HistoryRecord(
        title=title,
        abstract=row.get("abstract", "") or "",
        paper_id=paper_id,
        ref=ident or url or None,
        picked=parse_picked(row.get("picked"), path, number),
        added=parse_date(_first(row, _DATE_COLUMNS), path, number) or screened_on,
        paper_date=parse_date(_first(row, _PAPER_DATE_COLUMNS), path, number),
        screened_on=screened_on,
        shown_on=parse_date(_first(row, _SHOWN_COLUMNS), path, number),
        line=number,
    )


def _check_columns(path: Path, kind: str, columns: set[str], need: str) -> None:
    if need not in columns and not columns & {*_ID_COLUMNS, *_URL_COLUMNS}:
        raise InputError(
            f"{path}: no '{need}' column (found: {', '.join(sorted(columns)) or 'none'})",
            f"a {kind} history needs a 'title' column, or an 'id'/'url' column",
        )


def parse_table(path: Path, kind: Literal["csv", "jsonl"]) -> list[HistoryRecord]:
    records: list[HistoryRecord] = []
    checked = False
    for number, row in iter_table(path, kind):
        if not checked and kind == "csv":
            _check_columns(path, "CSV", set(row), "title")
            checked = True
        records.append(_record_from_row(path, number, row))
    return records


def parse_zotero(path: Path) -> list[HistoryRecord]:
    """A Zotero 'Export Collection... > CSV': Title, Abstract Note, Url, DOI, Extra, Date Added."""
    records = []
    for number, row in iter_table(path, "csv"):
        title = normalize_text(row.get("title", ""))
        extra = row.get("extra", "")
        arxiv = re.search(r"arxiv:\s*(\S+)", extra, re.IGNORECASE)
        refs = [row.get("url", ""), row.get("doi", ""), arxiv.group(1) if arxiv else ""]
        paper_id = next((pid for ref in refs if ref and (pid := reference_paper_id(ref))), None)
        if not title and not paper_id:
            raise _error(path, number, "a Zotero item without a title, URL or DOI")
        records.append(
            HistoryRecord(
                title=title,
                abstract=row.get("abstract note", ""),
                paper_id=paper_id,
                ref=next((r.strip() for r in refs if r.strip()), None),
                added=parse_date(row.get("date added", ""), path, number),
                line=number,
            )
        )
    return records


def parse_ids(path: Path) -> list[HistoryRecord]:
    """One arXiv id, arXiv/bioRxiv URL or DOI per line; blank lines and # comments skipped."""
    records = []
    for number, raw in enumerate(_read_text(path).splitlines(), start=1):
        text = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("http") else raw.strip()
        if not text:
            continue
        paper_id = reference_paper_id(text)
        if paper_id is None:
            raise _error(
                path,
                number,
                f"{text!r} is not an arXiv id, arXiv/bioRxiv URL or DOI",
                "use one id or URL per line, like 2410.05258 or https://arxiv.org/abs/2410.05258",
            )
        records.append(HistoryRecord(paper_id=paper_id, ref=text, line=number))
    return records


_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}


def _bib_date(fields: dict[str, str]) -> datetime | None:
    year = fields.get("year", "").strip()
    if not year.isdigit():
        return None
    month_text = fields.get("month", "").strip().lower()[:3]
    month = _MONTHS.get(month_text) or (int(month_text) if month_text.isdigit() else 1)
    return datetime(int(year), min(max(month, 1), 12), 1, tzinfo=UTC)


def _bib_reason(error: object) -> str:
    text = str(getattr(error, "abort_reason", "") or error or "").strip()
    return " ".join(text.split()) or "cannot parse this entry"


def parse_bibtex(path: Path) -> list[HistoryRecord]:
    """BibTeX entries: title, abstract, eprint/arXiv, url, doi; LaTeX accents decoded."""
    from bibtexparser import middlewares
    from bibtexparser.entrypoint import parse_string
    from bibtexparser.model import DuplicateBlockKeyBlock

    text = _read_text(path)
    library = parse_string(text, append_middleware=[middlewares.LatexDecodingMiddleware()])
    for block in library.failed_blocks:
        if isinstance(block, DuplicateBlockKeyBlock):
            log.warning("%s: duplicate BibTeX key %s; keeping the first", path, block.key)
            continue
        line = (block.start_line or 0) + 1
        reason = _bib_reason(block.error)
        raise _error(path, line, f"malformed BibTeX entry ({reason})")
    records = []
    for entry in library.entries:
        fields = {k.lower(): str(f.value) for k, f in entry.fields_dict.items()}
        line = (entry.start_line or 0) + 1
        eprint = fields.get("eprint", "")
        refs = [eprint, fields.get("url", ""), fields.get("doi", "")]
        paper_id = next((pid for ref in refs if ref and (pid := reference_paper_id(ref))), None)
        title = normalize_text(fields.get("title", "").replace("{", "").replace("}", ""))
        if not title and not paper_id:
            raise _error(path, line, f"entry '{entry.key}' has no title, eprint, URL or DOI")
        records.append(
            HistoryRecord(
                title=title,
                abstract=fields.get("abstract", "").replace("{", "").replace("}", ""),
                paper_id=paper_id,
                ref=next((r.strip() for r in refs if r.strip()), None),
                added=_bib_date(fields),
                line=line,
            )
        )
    return records


# --- format detection ---------------------------------------------------------------------


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".bib", ".bibtex"):
        return "bibtex"
    if suffix == ".csv":
        head = _read_text(path).split("\n", 1)[0].lower()
        columns = {c.strip().strip('"') for c in head.split(",")}
        return "zotero" if columns >= _ZOTERO_COLUMNS else "csv"
    if suffix in (".txt", ".list", ".ids", ""):
        return "ids"
    raise InputError(
        f"cannot tell the format of {path} from its name",
        "pass --format csv|jsonl|bibtex|zotero|ids",
    )


def read_history(path: Path, fmt: str = "auto") -> list[HistoryRecord]:
    """Parse a whole history file; raises InputError naming the line of the first problem."""
    kind = detect_format(path) if fmt == "auto" else fmt
    if kind == "csv":
        records = parse_table(path, "csv")
    elif kind == "jsonl":
        records = parse_table(path, "jsonl")
    elif kind == "bibtex":
        records = parse_bibtex(path)
    elif kind == "zotero":
        records = parse_zotero(path)
    elif kind == "ids":
        records = parse_ids(path)
    else:
        raise InputError(f"unknown history format {fmt!r}", f"use one of {HISTORY_FORMATS}")
    if not records:
        raise InputError(f"{path} holds no papers", "check that it is the right file")
    return records


def _widen(
    rows: Iterator[tuple[int, dict[str, str]]],
) -> Iterator[tuple[int, dict[str, object]]]:
    for number, row in rows:
        widened: dict[str, object] = dict(row)
        yield number, widened


def _given_id(value: object) -> str | int | None:
    """The id as the file gave it: JSON numbers stay numbers; blank means none."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if value is None or isinstance(value, bool) or not str(value).strip():
        return None
    return str(value)


def read_candidates(path: Path) -> list[CandidateRecord]:
    """Candidates for ``papercast rank``: CSV or JSONL with id or url, title, optional abstract
    and optional date (``date``, ``paper_date`` or ``published``: when the paper was listed)."""
    kind = detect_format(path)
    if kind not in ("csv", "jsonl"):
        raise InputError(f"{path}: candidates must be a .csv or .jsonl file", "convert it")
    text = _read_text(path)
    rows = _iter_jsonl_values(path, text) if kind == "jsonl" else _widen(_iter_csv(path, text))
    records = []
    for number, row in rows:
        ref = _given_id(row.get("id"))
        if ref is None:
            ref = _given_id(row.get("url"))
        if ref is None:
            raise _error(path, number, "a candidate needs an 'id' or a 'url'")
        title = normalize_text(row.get("title"))
        if not title:
            raise _error(path, number, f"candidate {ref!r} has no title")
        records.append(
            CandidateRecord(
                ref=ref,
                title=title,
                abstract=_cell(row.get("abstract")),
                paper_id=reference_paper_id(str(ref)),
                published=parse_date(_first(row, ("date", *_PAPER_DATE_COLUMNS)), path, number),
                line=number,
            )
        )
    return records

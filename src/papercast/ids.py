"""Paper identifiers: arXiv ids and URLs, DOIs, bioRxiv/medRxiv links, local PDFs.

Every paper id in papercast is source-qualified and version-free (``arxiv:2410.05258``,
``biorxiv:10.1101/2023.09.12.557460``); the version is kept separately.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import SplitResult, unquote, urlsplit

from pydantic import BaseModel, ConfigDict

from papercast.errors import InputError

# New-style (0704.0001 .. 2410.05258, 4 or 5 digits after the dot) and old-style
# (hep-th/9901001, math.GT/0309136) identifiers, with an optional version.
_NEW_ID = r"(?P<new>\d{4}\.\d{4,5})"
_OLD_ID = r"(?P<old>[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})"
_VERSION = r"(?:v(?P<version>\d+))?"
ARXIV_ID = re.compile(rf"^(?:arxiv:)?(?:{_NEW_ID}|{_OLD_ID}){_VERSION}$", re.IGNORECASE)
_ARXIV_URL_PATH = re.compile(
    rf"^/(?:abs|pdf|html|format|src)/(?:{_NEW_ID}|{_OLD_ID}){_VERSION}(?:\.pdf)?/?$",
    re.IGNORECASE,
)
_ARXIV_HOSTS = {"arxiv.org", "www.arxiv.org", "export.arxiv.org", "browse.arxiv.org"}
DOI = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?(?P<doi>10\.\d{4,9}/\S+)$", re.IGNORECASE)
_RXIV_PATH = re.compile(
    r"^/content/(?:early/\d{4}/\d{2}/\d{2}/)?(?P<doi>10\.\d{4,9}/[^v/]+?(?:\.\d+)*)"
    r"(?:v(?P<version>\d+))?(?:\.full(?:\.pdf|-text)?|\.abstract|\.pdf)?/?$",
    re.IGNORECASE,
)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(?P<id>.+)$", re.IGNORECASE)
_OTHER_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


class Reference(BaseModel):
    """What a user pointed at: a paper on a known source, a local PDF, or some other URL."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["arxiv", "biorxiv", "medrxiv", "doi", "pdf", "url"]
    paper_id: str | None = None  # source-qualified id when known
    version: int | None = None
    url: str | None = None
    path: Path | None = None
    doi: str | None = None


def _version(value: str | None) -> int | None:
    return int(value) if value else None


def parse_arxiv_id(text: str) -> tuple[str, int | None]:
    """'2410.05258v2' / 'arXiv:2410.05258' / an arxiv.org URL -> ('2410.05258', 2)."""
    raw = text.strip()
    match = ARXIV_ID.match(raw)
    if match is None and "arxiv.org" in raw.lower():
        parts = _urlsplit(raw if "://" in raw else f"https://{raw}")
        if parts is not None and parts.hostname in _ARXIV_HOSTS:
            match = _ARXIV_URL_PATH.match(unquote(parts.path))
    if match is None:
        raise InputError(
            f"{text!r} is not an arXiv identifier",
            "use a form like 2410.05258, 2410.05258v2, hep-th/9901001 or an arxiv.org/abs/ URL",
        )
    short = match.group("new") or match.group("old")
    if match.group("new"):
        month = int(short[2:4])
        if not 1 <= month <= 12:
            raise InputError(f"{text!r} is not an arXiv identifier", "the month part (YYMM) is off")
    return short, _version(match.group("version"))


def _urlsplit(url: str) -> SplitResult | None:
    """``urlsplit``, or None for what it cannot split ('https://[arxiv.org' raises ValueError)."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def arxiv_paper_id(short_id: str) -> str:
    return f"arxiv:{short_id}"


def normalize_doi(doi: str) -> str:
    return doi.strip().rstrip(".").lower()


def parse_reference(text: str) -> Reference:
    """Classify one input of ``papercast summarize`` (id, URL, DOI or local PDF)."""
    raw = text.strip()
    if not raw:
        raise InputError("an empty paper reference", "give an arXiv id, a URL, a DOI or a PDF path")
    try:
        short, version = parse_arxiv_id(raw)
        return Reference(
            kind="arxiv",
            paper_id=arxiv_paper_id(short),
            version=version,
            url=f"https://arxiv.org/abs/{short}",
        )
    except InputError:
        pass
    lowered = raw.lower()
    if lowered.startswith(("http://", "https://")):
        parts = _urlsplit(raw)
        if parts is None:
            raise InputError(f"{raw!r} is not a valid URL", "check the link (brackets, port)")
        host = (parts.hostname or "").lower()
        if host.endswith("biorxiv.org") or host.endswith("medrxiv.org"):
            server = "biorxiv" if host.endswith("biorxiv.org") else "medrxiv"
            match = _RXIV_PATH.match(unquote(parts.path))
            if match is None:
                raise InputError(
                    f"{raw!r} is not a {server} paper link",
                    f"use a link like https://www.{server}.org/content/10.1101/2023.09.12.557460v1",
                )
            doi = normalize_doi(match.group("doi"))
            return Reference(
                kind=server,
                paper_id=f"{server}:{doi}",
                version=_version(match.group("version")),
                url=raw,
                doi=doi,
            )
        doi_match = DOI.match(raw)
        if doi_match:
            return _doi_reference(doi_match.group("doi"), raw)
        return Reference(kind="url", url=raw)
    if _OTHER_SCHEME.match(raw):  # ftp://, file://, s3://...: a link, not a file path
        raise InputError(
            f"cannot fetch {raw!r}: only http:// and https:// links are supported",
            "download the file and give its path, or give an http(s) link",
        )
    doi_match = DOI.match(raw)
    if doi_match:
        return _doi_reference(doi_match.group("doi"), None)
    return _file_reference(raw)


def _file_reference(raw: str) -> Reference:
    path = Path(raw).expanduser()
    if path.is_dir():
        raise InputError(
            f"{path} is a folder, not a PDF", f"give the PDF files in it, e.g. {path}/*.pdf"
        )
    if path.suffix.lower() == ".pdf" or path.is_file():
        if not path.is_file():
            raise InputError(f"no such file: {path}", "check the path to the PDF")
        return Reference(kind="pdf", path=path)
    raise InputError(
        f"cannot tell what {raw!r} refers to",
        "give an arXiv id (2410.05258), an arXiv/bioRxiv/medRxiv URL, a DOI or a PDF path",
    )


def _doi_reference(doi: str, url: str | None) -> Reference:
    doi = normalize_doi(doi)
    arxiv = _ARXIV_DOI.match(doi)
    if arxiv:
        short, version = parse_arxiv_id(arxiv.group("id"))
        return Reference(kind="arxiv", paper_id=arxiv_paper_id(short), version=version, doi=doi)
    if doi.startswith("10.1101/"):
        # bioRxiv and medRxiv share the 10.1101 prefix; the API lookup tells them apart.
        return Reference(kind="doi", paper_id=None, doi=doi, url=url)
    return Reference(kind="doi", doi=doi, url=url)

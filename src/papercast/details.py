"""What an entry shows about a paper beyond its summary: affiliations, code, venue.

- **Affiliations**: the source's own (arXiv's ``arxiv:affiliation``, bioRxiv's corresponding
  institution), else the institution lines of the PDF's first page, between the title and the
  abstract (:func:`front_matter_affiliations`).
- **Code**: GitHub, GitLab, Hugging Face and project-page links in the abstract, the arXiv
  comment or the full text (:func:`code_links`), repositories first, at most five.
- **Venue**: the arXiv journal reference, else "accepted at/to/by ..." (or "to appear in ...")
  in the comment (:func:`venue`).

Every value is plain text (or an http(s) URL that passed :func:`papercast.text.safe_url`):
renderers escape them like any other paper text.
"""

from __future__ import annotations

import re

from papercast.models import Paper, PaperDetails
from papercast.text import plain, safe_url

MAX_CODE_LINKS = 5
MAX_AFFILIATIONS = 8
_URL_END = r"[^\s<>\"'(){}\[\]]*[^\s<>\"'(){}\[\].,;:!?]"
_REPO = re.compile(
    r"https?://(?:www\.)?(?P<host>github\.com|gitlab\.com|huggingface\.co|hf\.co)/"
    r"(?P<path>(?:(?:spaces|datasets|models)/)?[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)"
    r"(?P<rest>/" + _URL_END + r")?",
    re.IGNORECASE,
)
# a link the text calls a project page / website / demo, or one on github.io / gitlab.io
_PROJECT = re.compile(
    r"(?:project\s+(?:page|website|site)|website|homepage|demo|code(?:\s+and\s+\w+)?"
    r"(?:\s+is)?(?:\s+(?:available|released))?)\s*(?:at|:|on|is)?\s*(?:at\s+)?"
    r"(?P<url>https?://" + _URL_END + r")",
    re.IGNORECASE,
)
_PAGES = re.compile(
    r"https?://[A-Za-z0-9-]+\.(?:github|gitlab)\.io(?:/" + _URL_END + r")?/?", re.IGNORECASE
)
_OTHER_HOSTS = re.compile(
    r"^https?://(?:www\.)?(?:arxiv\.org|doi\.org|dx\.doi\.org|github\.com|gitlab\.com|"
    r"huggingface\.co|hf\.co)(?:/|$)",
    re.IGNORECASE,
)
_SPLIT_HYPHEN = re.compile(r"(https?://\S+)-\s*\n\s*(\S)")
_NOT_REPO_OWNERS = {"features", "about", "pricing", "sponsors", "orgs", "topics", "docs"}

_ACCEPTED = re.compile(
    r"\b(?:accepted|to\s+appear|published|presented|appear(?:s|ing)?)\s+"
    r"(?:(?:as|for)\s+(?:an?\s+)?(?:(?:conference|workshop|journal|main|long|short)\s+)?"
    r"(?:oral|poster|spotlight|paper|publication|presentation)\s+)?"
    r"(?:at|to|in|by|for)\s+(?:the\s+)?(?P<venue>[^.;\n]{2,120})",
    re.IGNORECASE,
)
_VENUE_TAIL = re.compile(r"\s*(?:,\s*)?(?:\(?\d+\s+pages?.*|\d+\s+figures?.*)$", re.IGNORECASE)

_INSTITUTION = re.compile(
    r"\b(?:universit\w*|univ\.|institut\w*|college|school|department|dept\.|faculty|"
    r"laborator\w*|labs?\b|centre|center|academy|hospital|research|inc\.?|ltd\.?|gmbh|"
    r"corporation|corp\.|foundation|polytechnic|ETH|EPFL|MIT|CNRS|INRIA|Max Planck|"
    r"Google|DeepMind|Microsoft|Meta|OpenAI|Anthropic|NVIDIA|Amazon|Apple|IBM|Alibaba|"
    r"Tencent|Baidu|ByteDance|Huawei|Samsung|Allen Institute)\b",
    re.IGNORECASE,
)
_MARKS = re.compile(r"^[\s\d*†‡§¶∗,#]+|[\s*†‡§¶∗,#]+$")
_AFFILIATION_SPLIT = re.compile(r"[†‡§¶∗*]|\s{3,}|(?<=\D)\s(?=\d\s?[A-Z])")
_EMAIL = re.compile(r"\S+@\S+")
_ABSTRACT = re.compile(r"^\s*(?:\d+\s+)?abstract\b", re.IGNORECASE)


def _clean_url(url: str) -> str | None:
    return safe_url(url.rstrip(".,;:!?)]}'\""))


def code_links(*texts: str | None) -> list[str]:
    """Repository and project-page links in ``texts``, in order, repositories first."""
    repos: list[str] = []
    pages: list[str] = []
    seen: set[str] = set()

    def add(target: list[str], url: str | None) -> None:
        if url and url.lower().rstrip("/") not in seen:
            seen.add(url.lower().rstrip("/"))
            target.append(url)

    for text in texts:
        if not text:
            continue
        joined = _SPLIT_HYPHEN.sub(r"\1-\2", text)  # a URL broken at a line-end hyphen
        for match in _REPO.finditer(joined):
            owner = match.group("path").split("/")[0].lower()
            if owner in _NOT_REPO_OWNERS:
                continue
            host = match.group("host").lower().replace("hf.co", "huggingface.co")
            path = match.group("path").removesuffix(".git")
            add(repos, _clean_url(f"https://{host}/{path}"))
        for match in _PAGES.finditer(joined):
            add(pages, _clean_url(match.group(0)))
        for match in _PROJECT.finditer(joined):
            url = match.group("url")
            if not _OTHER_HOSTS.search(url):
                add(pages, _clean_url(url))
    return (repos + pages)[:MAX_CODE_LINKS]


def venue(paper: Paper) -> str | None:
    """The journal reference, else where the comment says the paper was accepted."""
    if paper.journal_ref and plain(paper.journal_ref):
        return plain(paper.journal_ref)[:200]
    match = _ACCEPTED.search(paper.comment or "")
    if match is None:
        return None
    text = _VENUE_TAIL.sub("", plain(match.group("venue"))).strip(" ,:;")
    if text.endswith("("):
        text = text[:-1].rstrip()
    if text.count("(") > text.count(")"):
        text += ")"
    return text or None


def source_affiliations(paper: Paper) -> list[str]:
    """Each affiliation the source gave for the authors, once, in order."""
    found: list[str] = []
    for author in paper.authors:
        for affiliation in author.affiliations:
            text = plain(affiliation)
            if text and text not in found:
                found.append(text)
    return found[:MAX_AFFILIATIONS]


def front_matter_affiliations(text: str | None, title: str = "") -> list[str]:
    """Institution lines of a paper's first page: after the title, before the abstract."""
    if not text:
        return []
    head = text[:4000]
    if title:
        at = head.lower().find(title.lower()[:60])
        if at >= 0:
            head = head[at + min(len(title), 60) :]
    found: list[str] = []
    for raw in head.splitlines():
        if _ABSTRACT.match(raw):
            break
        for part in _AFFILIATION_SPLIT.split(_EMAIL.sub("", raw)):
            line = _MARKS.sub("", part).strip()
            if len(line) < 4 or len(line) > 160 or not _INSTITUTION.search(line):
                continue
            if line.lower().startswith(("equal contribution", "corresponding", "work done")):
                continue
            text_line = plain(line)
            if text_line not in found:
                found.append(text_line)
        if len(found) >= MAX_AFFILIATIONS:
            break
    return found[:MAX_AFFILIATIONS]


_REFERENCES = re.compile(r"\n\s*(?:\d+\.?\s*)?(?:references|bibliography)\s*\n", re.IGNORECASE)
FULLTEXT_CODE_CHARS = 30000  # the paper's own links are in its first pages, not its references


def own_text(fulltext: str | None) -> str | None:
    """The full text before its references (whose links are other people's code)."""
    if not fulltext:
        return None
    match = _REFERENCES.search(fulltext)
    return (fulltext[: match.start()] if match else fulltext)[:FULLTEXT_CODE_CHARS]


def paper_details(paper: Paper, fulltext: str | None = None) -> PaperDetails:
    """Affiliations, code links and venue for ``paper`` (``fulltext``: its clean PDF text)."""
    affiliations = source_affiliations(paper) or front_matter_affiliations(fulltext, paper.title)
    return PaperDetails(
        affiliations=affiliations,
        code=code_links(paper.abstract, paper.comment, own_text(fulltext)),
        venue=venue(paper),
    )

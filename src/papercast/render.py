"""Render an Issue with Jinja2: Markdown, web HTML, email HTML, plain text and Substack HTML.

Templates live in ``templates/`` (shipped in the wheel); a file of the same name in
``[issue] templates_dir`` overrides the shipped one. A missing variable is an error
(``StrictUndefined``), every ``.html`` template is autoescaped, and links are only ever
``http(s)``: anything else (``javascript:``, ``data:``...) is dropped, not rendered.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import css_inline
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
)
from markupsafe import Markup, escape

from papercast.bibtex import issue_bibtex
from papercast.config import Settings
from papercast.details import paper_details
from papercast.errors import ConfigError, ExportError, InputError
from papercast.i18n import N_, Language, get_language
from papercast.issue import one_liner
from papercast.layout import atomic_write_text, safe_name
from papercast.models import Issue, IssueEntry, PaperDetails
from papercast.resources import templates_dir
from papercast.text import display_width, md_escape, paper_url, plain, safe_url, wrap

log = logging.getLogger(__name__)

# format name -> (template, output file)
FORMATS: dict[str, tuple[str, str]] = {
    "md": ("issue.md.j2", "issue.md"),
    "html": ("issue.html.j2", "issue.html"),
    "email": ("email.html.j2", "email.html"),
    "txt": ("issue.txt.j2", "issue.txt"),
    "substack": ("substack.html.j2", "substack.html"),
    "bib": ("", "issue.bib"),  # BibTeX, written by papercast.bibtex (no template)
}

# (summary field, label); labels are translated where they are shown
SECTION_LABELS = (
    ("tldr", N_("TL;DR")),
    ("method", N_("Method")),
    ("results", N_("Results")),
    ("critiques", N_("Critiques")),
    ("implications", N_("Implications")),
)

SOURCE_LABELS = {
    "arxiv": "arXiv",
    "biorxiv": "bioRxiv",
    "medrxiv": "medRxiv",
    "feed": N_("Feed"),
    "local": N_("Local file"),
}


@dataclass(frozen=True)
class CodeLink:
    """A code or project link: its URL (http(s) only) and a short label (host/path)."""

    url: str
    label: str


def code_link(url: str) -> CodeLink:
    label = url.split("://", 1)[-1].removeprefix("www.").rstrip("/")
    return CodeLink(url=url, label=plain(label))


def entry_details(entry: IssueEntry) -> PaperDetails:
    """The entry's details as the run found them, else what the paper's metadata gives."""
    return entry.details if entry.details is not None else paper_details(entry.paper)


@dataclass(frozen=True)
class EntryView:
    """One paper as the templates see it: every string already plain, every URL safe."""

    n: int
    anchor: str
    id: str
    title: str
    title_translated: str
    url: str | None
    pdf_url: str | None
    authors: str
    source: str
    categories: list[str]
    published: str
    why: str
    one_liner: str
    starred: bool
    sections: list[tuple[str, str, str]] = field(default_factory=list)  # (key, label, text)
    significance: int | None = None
    significance_reason: str = ""
    keywords: list[str] = field(default_factory=list)
    extractive: bool = False
    affiliations: list[str] = field(default_factory=list)
    venue: str = ""
    code: list[CodeLink] = field(default_factory=list)


def entry_view(
    entry: IssueEntry, n: int, *, authors_shown: int, lang: Language | None = None
) -> EntryView:
    lang = lang or get_language("en")
    _ = lang.gettext
    paper = entry.paper
    record = entry.summary
    assessed = record is not None and not record.extractive
    sections: list[tuple[str, str, str]] = []
    if record is not None:
        for key, label in SECTION_LABELS:
            text = plain(getattr(record.summary, key))
            if text:
                sections.append((key, _(label), text))
    title = plain(paper.title) or paper.id
    translated = plain(record.summary.title_translated) if record and not lang.is_english else ""
    source = _(SOURCE_LABELS.get(paper.source, paper.source))
    details = entry_details(entry)
    if paper.source == "feed" and paper.origin:
        source = plain(paper.origin)
    return EntryView(
        n=n,
        anchor="paper-" + safe_name(paper.id),
        id=paper.id,
        title=title,
        # shown beside the title as published, when it says something the title does not
        title_translated=translated if translated.casefold() != title.casefold() else "",
        url=paper_url(paper),
        pdf_url=safe_url(paper.pdf_url),
        authors=plain(paper.author_names(authors_shown)),
        source=source,
        categories=[plain(c) for c in paper.categories],
        published=lang.date(paper.published, "MMMd") if paper.published else "",
        why=plain(entry.why),
        one_liner=plain(one_liner(entry, lang)),
        starred=entry.starred,
        sections=sections,
        # an extractive summary's score is a placeholder: nothing assessed the paper
        significance=record.summary.significance if record and assessed else None,
        significance_reason=plain(record.summary.significance_reason)
        if record and assessed
        else "",
        keywords=[plain(k) for k in record.summary.keywords] if record else [],
        extractive=bool(record and record.extractive),
        affiliations=[plain(a) for a in details.affiliations],
        venue=plain(details.venue or ""),
        code=[code_link(u) for u in (safe_url(c) for c in details.code) if u],
    )


def issue_context(issue: Issue, settings: Settings, **extra: Any) -> dict[str, Any]:
    """Everything a template may use (see docs/issue.md for the list)."""
    shown = settings.issue.authors_shown
    lang = get_language(settings.issue.language)
    highlights = [
        entry_view(e, i + 1, authors_shown=shown, lang=lang) for i, e in enumerate(issue.highlights)
    ]
    start = len(highlights)
    noteworthy = [
        entry_view(e, start + i + 1, authors_shown=shown, lang=lang)
        for i, e in enumerate(issue.noteworthy)
    ]
    audio_src = Path(issue.audio_file).name if issue.audio_file else None
    vtt = Path(issue.transcript_file).name if issue.transcript_file and audio_src else None
    context: dict[str, Any] = {
        "issue": issue,
        "id": issue.id,
        "title": plain(issue.title),
        "date": issue.date,
        "date_label": lang.date(issue.date, "medium"),
        "lang": lang.tag,
        "dir": lang.direction,
        "intro": plain(issue.intro),
        "outro": plain(issue.outro),
        "transparency": plain(issue.transparency),
        "show_name": plain(settings.issue.show_name),
        "highlights": highlights,
        "noteworthy": noteworthy,
        "starred_count": sum(1 for e in noteworthy if e.starred),
        "audio_src": quote(audio_src) if audio_src else None,
        "captions_src": quote(vtt) if vtt else None,
        "transcript_src": quote(str(Path(vtt).with_suffix(".txt"))) if vtt else None,
        "audio_duration": issue.audio_duration,
        "nav": None,
        "unsubscribe_url": None,
    }
    context.update(extra)
    return context


def make_environment(settings: Settings) -> Environment:
    """Jinja over the user's templates_dir (first) and the shipped templates, speaking
    ``[issue] language`` (``{% trans %}``, ``_()``, ``ngettext()``; docs/language.md)."""
    loaders = []
    user_dir = settings.issue.templates_dir
    if user_dir is not None:
        if not user_dir.is_dir():
            raise ConfigError(
                f"[issue] templates_dir {user_dir} is not a folder",
                "create it, or remove templates_dir to use the shipped templates",
            )
        loaders.append(FileSystemLoader(str(user_dir)))
    loaders.append(FileSystemLoader(str(templates_dir())))
    env = Environment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=_autoescape,  # noqa: S701  (a function: on for every .html template)
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    lang = get_language(settings.issue.language)
    env.install_gettext_translations(lang.translations, newstyle=True)  # type: ignore[attr-defined]
    filters: dict[str, Callable[..., Any]] = {
        "md": md_escape,
        "plain": plain,
        "wrap": wrap,
        "safe_url": safe_url,
        "number": lang.number,
        "display_width": display_width,
    }
    env.filters.update(filters)
    return env


def _autoescape(name: str | None) -> bool:
    return name is not None and (name.endswith(".html.j2") or name.endswith(".html"))


def render_template(env: Environment, name: str, context: dict[str, Any]) -> str:
    """Render one template; a broken (user) template is an ExportError naming it."""
    try:
        return env.get_template(name).render(**context)
    except TemplateNotFound:
        raise ExportError(
            f"template {name} not found", "check [issue] templates_dir and the file name"
        ) from None
    except TemplateError as exc:
        lineno = getattr(exc, "lineno", None)
        where = f" (line {lineno})" if lineno else ""
        raise ExportError(
            f"template {name} failed{where}: {exc}",
            "fix the template; docs/issue.md lists the variables templates can use",
        ) from None


def inline_css(html: str) -> str:
    """Move <style> rules into style attributes, as email clients need."""
    inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
    return str(inliner.inline(html))


def render_format(
    issue: Issue,
    fmt: str,
    *,
    settings: Settings,
    env: Environment | None = None,
    **extra: Any,
) -> str:
    """The text of one format (md, html, email, txt, substack, bib) of ``issue``."""
    if fmt not in FORMATS:
        raise InputError(
            f"unknown format {fmt!r}", f"choose from {', '.join(FORMATS)} (comma-separated)"
        )
    if fmt == "bib":
        entries = [*issue.highlights, *issue.noteworthy]
        return issue_bibtex(
            issue,
            {e.paper.id: entry_details(e) for e in entries},
            get_language(settings.issue.language),
        )
    env = env or make_environment(settings)
    text = render_template(env, FORMATS[fmt][0], issue_context(issue, settings, **extra))
    if fmt == "email":
        text = inline_css(text)
    if fmt == "substack":
        for problem in substack_problems(text):
            log.warning("substack.html: %s (Substack's editor will drop it)", problem)
    return text


# --- Substack -----------------------------------------------------------------------------
# Substack has no posting API: substack.html is pasted into its editor, which keeps headings,
# paragraphs, links, emphasis, lists, blockquotes, rules, line breaks and images, and drops
# everything else (tables, classes, styles). ``substack_problems`` checks a rendered
# substack.html (a user's own template included) against that list.

ALLOWED_TAGS = frozenset(
    {
        "h1", "h2", "h3", "h4", "p", "a", "em", "i", "strong", "b", "ul", "ol", "li",
        "blockquote", "hr", "br", "img", "figure", "figcaption",
    }
)  # fmt: skip
ALLOWED_ATTRS = {"a": {"href"}, "img": {"src", "alt"}}


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"<{tag}> is not kept by the Substack editor")
            return
        allowed = ALLOWED_ATTRS.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                self.problems.append(f"<{tag} {name}=…> attribute is not kept")
            elif name in ("href", "src") and not (value or "").startswith(("https://", "http://")):
                self.problems.append(f"<{tag} {name}={value!r}> is not an http(s) link")


def substack_problems(html: str) -> list[str]:
    """What in ``html`` the Substack editor would drop or should never see (sorted, unique)."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return sorted(set(checker.problems))


def parse_formats(value: str | list[str]) -> list[str]:
    """``"md,html"`` -> ``["md", "html"]``, validated; order kept, duplicates dropped."""
    items = value.split(",") if isinstance(value, str) else value
    result: list[str] = []
    for item in (i.strip().lower() for i in items):
        if not item:
            continue
        if item not in FORMATS:
            raise InputError(
                f"unknown format {item!r}", f"choose from {', '.join(FORMATS)} (comma-separated)"
            )
        if item not in result:
            result.append(item)
    if not result:
        raise InputError("no formats given", f"choose from {', '.join(FORMATS)}")
    return result


def render_issue(
    issue: Issue, *, settings: Settings, out_dir: Path, formats: list[str]
) -> dict[str, Path]:
    """Write each requested format into ``out_dir`` atomically; returns format -> path."""
    wanted = parse_formats(formats)
    env = make_environment(settings)
    rendered = {fmt: render_format(issue, fmt, settings=settings, env=env) for fmt in wanted}
    written: dict[str, Path] = {}
    for fmt, text in rendered.items():
        path = out_dir / FORMATS[fmt][1]
        atomic_write_text(path, text)
        written[fmt] = path
    return written


_WS_RUN = re.compile(r"\s+")


def marked(text: str) -> Markup:
    """A search match for HTML: the text escaped first, then its match sentinels (see
    ``store.search``) turned into ``<mark>``; an unpaired sentinel marks nothing extra."""
    from papercast.store.search import MARK_END, MARK_START

    out: list[str] = []
    inside = False
    for piece in re.split(f"([{MARK_START}{MARK_END}])", text):
        if piece == MARK_START:
            if not inside:
                out.append("<mark>")
            inside = True
        elif piece == MARK_END:
            if inside:
                out.append("</mark>")
            inside = False
        else:
            out.append(str(escape(_WS_RUN.sub(" ", piece))))
    if inside:
        out.append("</mark>")
    return Markup("".join(out))  # noqa: S704  (every piece of text was escaped above)


def clock(seconds: float | None) -> str:
    """'4:05' or '1:02:03' for a position in an episode."""
    total = round(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

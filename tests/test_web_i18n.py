"""`papercast serve` speaks [issue] language: in German and Japanese the week, search, paper,
issue, keys and error pages carry no English fixed string (every catalogue string's English
wording is looked for, as tests/test_i18n.py does for the other formats), `<html lang dir>`
follows the language, dates and numbers are Babel's, the words the page's JavaScript writes
come translated from the page, and paper text is still escaped. Arabic (no catalogue) gets
dir="rtl" and the English strings. The templates and the script themselves hold no English
text outside `_()`/`ngettext()`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment
from starlette.testclient import TestClient

from papercast.i18n import get_language
from papercast.web import WebConfig, create_app
from support.catalogues import ROOT, english_left, extract, read_catalogue
from support.web_world import PAST, WEEK, WebWorld, build_world, csrf_of

LOCAL = "http://127.0.0.1:8765"
WEB_TEMPLATES = ROOT / "templates" / "web"
SCRIPT = ROOT / "src" / "papercast" / "web" / "static" / "papercast.js"
# what a reader meets as text: text nodes and these attributes (the job page's script writes
# data-*-text; the rest are read by screen readers or shown as tooltips and placeholders)
SHOWN_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder"}


class _Shown(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.html_attrs: dict[str, str | None] = {}
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.html_attrs = dict(attrs)
        if tag in ("style", "script", "code", "kbd"):  # code and key names are no language
            self._skip += 1
        self.parts += [v or "" for k, v in attrs if k in SHOWN_ATTRIBUTES or k.endswith("-text")]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "code", "kbd"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def shown(html: str) -> _Shown:
    parser = _Shown()
    parser.feed(html)
    return parser


def _client(world: WebWorld) -> Iterator[TestClient]:
    app = create_app(WebConfig(settings=world.settings, layout=world.layout))
    with TestClient(app, base_url=LOCAL, follow_redirects=False) as client:
        yield client


@pytest.fixture(params=["de", "ja"])
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def world(tmp_path: Path, lang: str) -> WebWorld:
    return build_world(tmp_path, issue={"language": lang})


@pytest.fixture
def client(world: WebWorld) -> Iterator[TestClient]:
    yield from _client(world)


def _pages(client: TestClient, world: WebWorld) -> dict[str, tuple[int, str]]:
    hostile = world.papers[1].id  # paper 2: the hostile title, and a summary
    urls = {
        "week": "/",
        "week, filtered to nothing": f"/weeks/{WEEK}?q=nothingmatchesthis",
        "search": "/search?q=graph",
        "search, no words": "/search",
        "paper": f"/papers/{hostile}",
        "paper without summary": f"/papers/{world.papers[0].id}",
        "issue": f"/issues/{PAST}",
        "archive": "/issues",
        "keys": "/keys",
        "one paper": "/summarize",
        "error: no such paper": "/papers/arxiv:9999.99999",
        "error: no such page": "/nowhere",
        "error: week not ranked": "/weeks/2023-W01",
        "error: bad page number": f"/weeks/{WEEK}?page=0",
        "error: not a week": "/weeks/2024-W99",
    }
    return {name: (r.status_code, r.text) for name, url in urls.items() for r in [client.get(url)]}


def _english_left(lang: str, text: str, paper_texts: list[str]) -> dict[str, str]:
    for own in paper_texts:  # titles and abstracts stay as published (English here)
        text = text.replace(own, " ")
    text = re.sub(r"`[^`]*`", " ", text)  # a command in a message: `papercast run --pick`
    text = re.sub(r"\{\w+\}", " ", text)  # the script's slots: data-progress-text="{done} von"
    return english_left(lang, text)


def test_every_page_speaks_the_language_with_no_english_fixed_string(
    client: TestClient, world: WebWorld, lang: str
) -> None:
    pages = _pages(client, world)
    papers = [t for p in world.papers for t in (p.title, p.abstract)]
    # the past issue was built in English: its title, why and chapter names are its content
    papers += ["Graph week", "picked by you", "Intro"]
    for name, (status, html) in pages.items():
        if not name.startswith("error"):
            assert status == 200, name
        seen = shown(html)
        assert seen.html_attrs == {"lang": lang, "dir": "ltr"}, name
        left = _english_left(lang, "\n".join(seen.parts), papers)
        assert left == {}, f"{lang} {name}: English fixed strings left: {left}"
    _ = read_catalogue(lang).get
    week = pages["week"][1]
    for msgid in ("Build the issue", "Search every paper and summary", "Keyboard", "Pick"):
        found = _(msgid)
        assert found is not None and str(found.string) in week, msgid
    # the error pages: status, translated heading, and the message in the language
    assert pages["error: no such paper"][0] == 404
    assert str(_("Not found").string) in pages["error: no such paper"][1]
    assert (
        str(_("no paper %(paper)s in the store").string) % {"paper": "arxiv:9999.99999"}
        in shown(pages["error: no such paper"][1]).parts
    )
    assert pages["error: no such page"][0] == 404
    assert str(_("There is no page at this address.").string) in pages["error: no such page"][1]
    assert pages["error: week not ranked"][0] == 404
    assert pages["error: bad page number"][0] == 400
    assert pages["error: not a week"][0] == 400
    not_a_week = str(_("%(week)r is not a week of %(year)s").string)  # type: ignore[union-attr]
    assert (
        not_a_week % {"week": "2024-W99", "year": 2024}
        in shown(pages["error: not a week"][1]).parts
    )


def test_one_paper_errors_speak_the_language(client: TestClient, lang: str) -> None:
    """The errors of the one-paper form (raised with catalogue strings) in the language; the
    English wording stays what the command line shows."""
    _ = read_catalogue(lang).get
    token = csrf_of(client.get("/summarize").text)
    not_pdf = client.post(
        "/summarize",
        data={"csrf": token, "reference": ""},
        files={"pdf": ("x.pdf", b"<html>not a pdf</html>", "application/pdf")},
    )
    empty = client.post("/summarize", data={"csrf": token, "reference": "  "}, files={})
    for answer, msgid, hint in (
        (not_pdf, "the file is not a PDF", "choose a PDF file"),
        (empty, "nothing to summarize", "paste an arXiv id, a link or a DOI, or a PDF"),
    ):
        assert answer.status_code == 400
        alert = " ".join(shown(answer.text).parts)
        assert f"{_(msgid).string} — {_(hint).string}" in alert  # type: ignore[union-attr]
        assert msgid not in alert
    expired = client.post("/summarize", data={"csrf": "0" * 64, "reference": "x"}, files={})
    assert expired.status_code == 403
    assert str(_("This form has expired or did not come from papercast: reload.").string) in (
        expired.text
    )


def test_dates_and_numbers_follow_the_locale(
    client: TestClient, world: WebWorld, lang: str
) -> None:
    language = get_language(lang)
    first = world.papers[0]
    assert first.published is not None
    paper = client.get(f"/papers/{first.id}").text
    assert f">{language.date(first.published)}</time>" in paper
    week = client.get("/").text
    score = str(read_catalogue(lang).get("score %(score)s").string)  # type: ignore[union-attr]
    assert score % {"score": language.number(1.0, 2)} in week  # 1,00 in German
    assert score % {"score": language.number(0.99, 2)} in week


def test_paper_and_llm_text_stays_escaped(client: TestClient, world: WebWorld) -> None:
    hostile = world.papers[1]
    for url in ("/", "/search?q=attention", f"/papers/{hostile.id}"):
        html = client.get(url).text
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in html, url


def test_the_job_page_hands_its_script_the_translated_words(tmp_path: Path, lang: str) -> None:
    """The live progress ("3 of 5", "Working: ...") is written by papercast.js from the
    page's data-progress-text and data-working-text, translated on the server."""
    world = build_world(tmp_path, arxiv={"enabled": False}, issue={"language": lang})
    world.layout.db_path.unlink()  # an empty store: prepare the week (it ends at once)
    for client in _client(world):
        page = client.get("/")
        assert shown(page.text).html_attrs["lang"] == lang
        week = re.search(r'action="/weeks/([0-9]{4}-W[0-9]{2})/prepare"', page.text)
        assert week is not None
        started = client.post(f"/weeks/{week.group(1)}/prepare", data={"csrf": csrf_of(page.text)})
        client.get(started.headers["location"] + "/events")  # until it ends
        job = client.get(started.headers["location"]).text
    _ = read_catalogue(lang).get
    progress = str(_("%(done)s of %(total)s").string)  # type: ignore[union-attr]
    working = str(_("Working: %(step)s").string)  # type: ignore[union-attr]
    assert f'data-progress-text="{progress % {"done": "{done}", "total": "{total}"}}"' in job
    assert f'data-working-text="{working % {"step": "{step}"}}"' in job
    assert _english_left(lang, "\n".join(shown(job).parts), []) == {}
    script = SCRIPT.read_text(encoding="utf-8")
    assert "dataset.progressText" in script and "dataset.workingText" in script


def test_a_right_to_left_language_without_catalogue_is_rtl_with_english_strings(
    tmp_path: Path,
) -> None:
    world = build_world(tmp_path, issue={"language": "ar"})
    for client in _client(world):
        for url in ("/", "/search?q=graph", f"/papers/{world.papers[0].id}", "/nowhere"):
            seen = shown(client.get(url).text)
            assert seen.html_attrs == {"lang": "ar", "dir": "rtl"}, url
        week = client.get("/").text
    assert "Build the issue" in week and "24 candidates" in week  # no catalogue: English


def test_english_is_the_default_and_ltr(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    for client in _client(world):
        seen = shown(client.get("/").text)
    assert seen.html_attrs == {"lang": "en", "dir": "ltr"}
    assert "Build the issue" in seen.parts


# --- the sources: nothing English outside the catalogue ------------------------------------


def _template_text(path: Path) -> str:
    """The template's literal text (what Jinja copies through), expressions and tags marked."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    parts = [
        value if kind == "data" else "\x00"
        for _line, kind, value in env.lex(path.read_text(encoding="utf-8"))
        if kind in ("data", "variable_begin", "block_begin")
    ]
    return "".join(parts)


KEY_NAMES = {"Esc", "Tab", "Enter"}  # keyboard keys keep their names
NOT_WORDS = {"papercast", "PDF", "TL", "DR"}


def test_web_templates_hold_no_text_outside_the_catalogue() -> None:
    """Every word a reader sees in templates/web/ goes through _() or ngettext(): literal text
    between tags, and literal aria-label, title, placeholder and alt values, fail here."""
    found: dict[str, list[str]] = {}
    for path in sorted(WEB_TEMPLATES.glob("*.j2")):
        text = _template_text(path)
        attributes = re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', text)
        between = re.sub(r"<[^>]*>", " ", re.sub(r"<kbd>\w+</kbd>", " ", text))
        words = [w for w in re.findall(r"[A-Za-z]{2,}", between) if w not in NOT_WORDS]
        words += [w for a in attributes for w in re.findall(r"[A-Za-z]{2,}", a)]
        words = [w for w in words if w not in KEY_NAMES]
        if words:
            found[path.name] = words
    assert found == {}, f"English outside _() in templates/web: {found}"


def test_the_web_script_holds_no_words() -> None:
    """papercast.js shows only what the page hands it: its string literals are selectors, event
    names and paths, never prose (no leading or trailing space, no "word: ")."""
    script = re.sub(r"//[^\n]*|/\*.*?\*/", "", SCRIPT.read_text(encoding="utf-8"), flags=re.S)
    literals = re.findall(r'"((?:[^"\\\n]|\\.)*)"', script)
    assert len(literals) > 10
    prose = [
        lit
        for lit in literals
        if re.search(r"[A-Za-z]", lit)
        and (lit != lit.strip() or re.search(r"\w: |[.!?]$|\w \w+ \w+ \w", lit))
    ]
    assert prose == []


def test_the_catalogue_check_covers_the_web_templates() -> None:
    """The completeness test (tests/test_i18n.py) extracts templates/web/ too: its strings are
    in the template catalogue, each with a templates/web/ location."""
    web = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in extract()
        if m.id and any(where.startswith("templates/web/") for where, _line in m.locations)
    }
    assert len(web) > 100
    assert {"Build the issue", "Keyboard", "%(num)s candidate", "Back to the week"} <= web

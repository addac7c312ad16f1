"""[issue] language: the catalogues cover every string, a German and a Japanese issue come out
fully translated in every format, dates and numbers follow the locale, right-to-left languages
get dir="rtl", a language without a catalogue falls back to English with a warning, and an
unknown tag is a config error naming the key."""

from __future__ import annotations

import gettext
import logging
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.dates import format_date

from papercast.audio.dialogue import frame
from papercast.audio.script import build_script
from papercast.config import Settings, load_settings
from papercast.errors import ConfigError
from papercast.export.notes import render_note
from papercast.export.podcast_feed import build_podcast_feed
from papercast.export.site import build_site
from papercast.i18n import get_language, parse_language
from papercast.issue import assemble_issue
from papercast.models import Issue, IssueEntry, PaperDetails, SummaryRecord
from papercast.notify import issue_notice
from papercast.render import FORMATS, render_format
from papercast.summarize.prompts import PromptSet
from papercast.text import display_width
from support.catalogues import (
    PLACEHOLDER,
    ROOT,
    english_fragments,
    english_left,
    extract,
    read_catalogue,
    shipped_languages,
)
from support.issue_builders import paper, summary

REQUIRED = {"de", "fr", "es", "pt", "zh", "ja", "ko"}

# Summaries as an LLM asked for German or Japanese writes them; titles stay as published.
TEXTS = {
    "de": {
        "tldr": "Ein sparsamer Aufmerksamkeitsmechanismus halbiert den Speicherbedarf.",
        "method": "Die Autoren trainieren ein Modell mit blockweiser Aufmerksamkeit.",
        "results": "Die Genauigkeit steigt um 3 Punkte gegenüber dem Vergleichsmodell.",
        "critiques": "Nur ein Datensatz wird getestet.",
        "implications": "Lange Kontexte werden billiger.",
        "significance_reason": "Solide, aber schrittweise.",
        "title_translated": "Sparsame Aufmerksamkeit skaliert",
    },
    "ja": {
        "tldr": "疎な注意機構によりメモリ使用量が半減する。",
        "method": "著者らはブロック単位の注意機構でモデルを学習する。",
        "results": "精度はベースラインより3ポイント向上する。",
        "critiques": "評価は一つのデータセットのみである。",
        "implications": "長い文脈の処理が安くなる。",
        "significance_reason": "堅実だが漸進的な成果。",
        "title_translated": "疎な注意機構はスケールする",
    },
}
TITLES = ["Sparse Attention Scales", "Graph Kernels Revisited", "Quantum Annealers at Work"]


def _settings(language: str, **issue: object) -> Settings:
    return Settings(issue={"language": language, **issue})


def _issue(language: str) -> tuple[Issue, Settings]:
    settings = _settings(language, highlights=2, star_top=1)
    ranked, summaries = [], {}
    texts = TEXTS[language]
    for n, title in enumerate(TITLES, start=1):
        p = paper(n, title=title, abstract="We show it works. More follows.")
        ranked.append(IssueEntry(paper=p, score=1 - n / 10, why=f"Stichwort {n}"))
        summaries[p.id] = summary(n, significance=9 - n, **texts)
    # one paper without a summary: its one-liner is the abstract's first sentence
    extra = paper(4, title="Protein Folding Basics", abstract="")
    ranked.append(IssueEntry(paper=extra, score=0.1, why=""))
    issue = assemble_issue("2024-W41", ranked=ranked, summaries=summaries, settings=settings)
    return issue, settings


class _Text(HTMLParser):
    """What a reader of an HTML page sees: text, plus title and alt attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        self.parts += [v or "" for k, v in attrs if k in ("title", "alt")]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible(text: str, fmt: str) -> str:
    if fmt in ("html", "email", "substack", "site"):
        parser = _Text()
        parser.feed(text)
        return "\n".join(parser.parts)
    return text


def translated(lang: str, msgid: str, n: int | None = None) -> list[str]:
    """The fixed parts of msgid's translation (placeholders cut out)."""
    message = read_catalogue(lang).get(msgid)
    assert message is not None, msgid
    string = message.string
    if not isinstance(string, str):
        string = string[0 if n == 1 or len(string) == 1 else -1]
    return [p.strip() for p in PLACEHOLDER.split(string) if p.strip()]


# --- the catalogues ---------------------------------------------------------------------


def test_every_string_is_in_every_catalogue() -> None:
    """Extract (as scripts/update_catalogues.py does) and compare: a string added to a template
    or the code without a translation fails here."""
    template = extract()
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    assert len(ids) > 50  # the extraction found the templates and the code
    assert "Also noteworthy" in ids and "Intro" in ids and "TL;DR" in ids
    assert "Build the issue" in ids and "Keyboard" in ids  # papercast serve's templates/web/
    assert set(shipped_languages()) >= REQUIRED
    for lang in shipped_languages():
        catalogue = read_catalogue(lang)
        for message in template:
            if not message.id:
                continue
            found = catalogue.get(message.id)
            name = f"{lang}: {message.id!r}"
            assert found is not None, f"{name} is missing (run scripts/update_catalogues.py)"
            assert not found.fuzzy, f"{name} is fuzzy"
            strings = [found.string] if isinstance(found.string, str) else list(found.string)
            assert strings and all(strings), f"{name} is untranslated"
            assert len(strings) == (catalogue.num_plurals if found.pluralizable else 1), name
        # placeholders kept (Babel's python-format checker), and nothing left that is unused
        assert [e for _, e in catalogue.check() if e] == [], lang
        stale = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id} - ids
        assert stale == set(), f"{lang}: strings no longer used: {stale}"


def test_the_build_hook_compiles_every_catalogue(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from hatch_build import compile_catalogues
    finally:
        sys.path.remove(str(ROOT))
    compiled = compile_catalogues(ROOT, tmp_path)
    inside = sorted(compiled.values())
    assert inside == [
        f"papercast/locale/{lang}/LC_MESSAGES/papercast.mo" for lang in shipped_languages()
    ]
    de = tmp_path / "de" / "LC_MESSAGES" / "papercast.mo"
    with de.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert catalogue.gettext("Also noteworthy") == "Ebenfalls lesenswert"
    assert catalogue.ngettext("%(num)s paper", "%(num)s papers", 2) == "%(num)s Paper"


# --- German and Japanese issues, every format -----------------------------------------


def _english_left(lang: str, outputs: dict[str, str]) -> None:
    for fmt, text in outputs.items():
        left = english_left(lang, visible(text, fmt))
        assert left == {}, f"{lang} {fmt}: English fixed strings left: {left}"


@pytest.mark.parametrize("lang", ["de", "ja"])
def test_details_transcript_dialogue_and_channel_notice_are_translated(lang: str) -> None:
    """What main's branches added (venue, code, transcript links, the dialogue's fixed lines,
    the channel notice) speaks the issue's language too."""
    issue, settings = _issue(lang)
    details = PaperDetails(
        affiliations=["Universität Wien"], code=["https://github.com/acme/sparse"], venue="NeurIPS"
    )
    with_details = [e.model_copy(update={"details": details}) for e in issue.highlights]
    issue = issue.model_copy(
        update={
            "highlights": with_details,
            "noteworthy": [e.model_copy(update={"details": details}) for e in issue.noteworthy],
            "audio_file": "episode.mp3",
            "audio_duration_seconds": 250.0,
            "transcript_file": "episode.vtt",
        }
    )
    settings = settings.model_copy(
        update={
            "publish": settings.publish.model_copy(update={"site_url": "https://example.org/pc"}),
            "podcast": settings.podcast.model_copy(update={"base_url": "https://example.org/pc"}),
        }
    )
    outputs = {fmt: render_format(issue, fmt, settings=settings) for fmt in FORMATS}
    outputs["notes"] = render_note(with_details[0], issue, get_language(lang))
    notice = issue_notice(issue, settings)
    outputs["notice"] = "\n".join(
        [notice.title, *notice.head, *notice.items, *notice.tail, notice.more % {"count": 2}]
    )
    intro, outro = frame(issue, settings, ["Ada", "Sam"], issue.highlights, 1)
    outputs["dialogue"] = "\n".join(
        [intro.title, outro.title, *intro.paragraphs, *outro.paragraphs]
    )
    _english_left(lang, outputs)
    code = translated(lang, "Code:")[0].strip()
    for fmt in ("md", "html", "email", "txt", "substack", "notes"):
        seen = visible(outputs[fmt], fmt)
        assert "NeurIPS" in seen and "Universität Wien" in seen, fmt
        assert code in seen, (fmt, code)
    for fmt in ("md", "txt", "substack", "notes"):
        assert translated(lang, "Venue:")[0].strip() in outputs[fmt], fmt
    html = outputs["html"]
    assert f'srclang="{lang}" label="{translated(lang, "Transcript")[0]}"' in html
    assert f'<a href="episode.txt">{translated(lang, "transcript")[0]}</a>' in html
    assert "https://example.org/pc/2024-W41/" in outputs["notice"]
    for part in translated(lang, "Read: %(url)s") + translated(lang, "and %(count)s more"):
        assert part.strip() in outputs["notice"], part
    assert intro.title == translated(lang, "Intro")[0]
    assert outro.title == translated(lang, "Outro")[0]
    assert any("Ada" in p and translated(lang, "I'm %(name)s.")[0].strip() in p
               for p in intro.paragraphs)  # fmt: skip


@pytest.mark.parametrize("lang", ["de", "ja"])
def test_an_issue_is_fully_translated_in_every_format(lang: str, tmp_path: Path) -> None:
    issue, settings = _issue(lang)
    outputs = {fmt: render_format(issue, fmt, settings=settings) for fmt in FORMATS}
    highlight = issue.highlights[0]
    outputs["notes"] = render_note(highlight, issue, get_language(lang))
    site = build_site([issue], settings=settings, site_dir=tmp_path / "site")
    outputs["site"] = site.read_text(encoding="utf-8")
    outputs["site feed"] = (tmp_path / "site" / "feed.xml").read_text(encoding="utf-8")
    script = build_script(issue, settings)
    outputs["script"] = "\n".join(
        [c.title for c in script.chapters] + [p for c in script.chapters for p in c.paragraphs]
    )
    assert english_fragments(lang), "the check must have English wording to look for"
    _english_left(lang, outputs)
    # and the translations are there: headings, labels, the transparency line, the date
    day = format_date(date(2024, 10, 13), format="medium", locale=parse_language(lang))
    for fmt in ("md", "html", "email", "txt", "substack"):
        seen = visible(outputs[fmt], fmt)
        for msgid in ("Method", "Results", "This issue was written by %(models)s on %(date)s."):
            for part in translated(lang, msgid):
                assert part in seen, (lang, fmt, msgid, part)
        assert TEXTS[lang]["title_translated"] in seen, (fmt, "translated title beside")
        assert TITLES[0] in seen, (fmt, "the title as published")
    for fmt in ("md", "html", "email", "substack"):
        seen = visible(outputs[fmt], fmt)
        for part in translated(lang, "Also noteworthy") + translated(
            lang, "Why it's here: %(why)s"
        ):
            assert part in seen, (lang, fmt, part)
    for fmt in ("html", "email"):
        assert day in outputs[fmt], (fmt, day)
        assert f'<html lang="{lang}" dir="ltr">' in outputs[fmt]
    assert issue.title == translated(lang, "This Week's New Papers - %(date)s")[0] + " " + day
    chapters = [c.title for c in script.chapters]
    assert chapters[0] == translated(lang, "Intro")[0]
    assert chapters[-1] == translated(lang, "Outro")[0]
    assert chapters[1] == TITLES[0], "a paper's chapter keeps its published title"


def test_the_podcast_feed_speaks_the_issue_language(tmp_path: Path) -> None:
    issue, settings = _issue("de")
    folder = tmp_path / "out" / issue.id
    folder.mkdir(parents=True)
    (folder / "episode.mp3").write_bytes(b"ID3" + b"\0" * 64)
    issue = issue.model_copy(update={"audio_file": "episode.mp3"})
    settings = Settings(issue={"language": "de"}, podcast={"base_url": "https://example.org/pod"})
    feed = build_podcast_feed(
        [issue], settings=settings, out_path=tmp_path / "feed.xml", audio_root=tmp_path / "out"
    ).read_text(encoding="utf-8")
    assert "<language>de</language>" in feed
    assert "Wöchentliche Zusammenfassungen neuer Forschungspaper, vorgelesen." in feed
    assert "Dazu 2 weitere Paper in der schriftlichen Ausgabe." in feed


def test_english_stays_as_it_was() -> None:
    settings = Settings()
    issue = assemble_issue(
        "2024-W41",
        ranked=[IssueEntry(paper=paper(1), score=1.0, why="w")],
        summaries={"arxiv:2410.00001": summary(1, title_translated="Ignored in English")},
        settings=settings,
    )
    md = render_format(issue, "md", settings=settings)
    assert md.startswith("# This Week's New Papers - Oct 13, 2024\n")
    assert "**Method:**" in md and "Ignored in English" not in md
    html = render_format(issue, "html", settings=settings)
    assert '<html lang="en" dir="ltr">' in html


# --- dates, numbers, direction ----------------------------------------------------------


def test_dates_and_numbers_follow_the_locale() -> None:
    day = date(2024, 10, 13)
    assert get_language("de").date(day) == "13.10.2024"
    assert get_language("de").date(day, "long") == "13. Oktober 2024"
    assert get_language("ja").date(day, "long") == "2024年10月13日"
    assert get_language("fr").number(12345.5) == "12\u202f345,5"
    assert get_language("en").number(12345.5) == "12,345.5"


@pytest.mark.parametrize("lang", ["ar", "he"])
def test_right_to_left_languages_render_right_to_left(
    lang: str, caplog: pytest.LogCaptureFixture
) -> None:
    get_language.cache_clear()
    caplog.set_level(logging.WARNING)
    issue, settings = _issue("de")
    settings = _settings(lang)
    html = render_format(issue, "html", settings=settings)
    assert f'<html lang="{lang}" dir="rtl">' in html
    email = render_format(issue, "email", settings=settings)
    assert f'lang="{lang}" dir="rtl"' in email
    assert "Also noteworthy" in html, "no catalogue: the English strings"
    assert any("no papercast catalogue" in r.getMessage() for r in caplog.records)


def test_a_language_without_catalogue_falls_back_to_english_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    get_language.cache_clear()
    caplog.set_level(logging.WARNING)
    settings = _settings("sv")
    issue = assemble_issue(
        "2024-W41",
        ranked=[IssueEntry(paper=paper(1), score=1.0, why="w")],
        summaries={"arxiv:2410.00001": summary(1, title_translated="Gles uppmärksamhet")},
        settings=settings,
    )
    html = render_format(issue, "html", settings=settings)
    assert "Why it&#39;s here" in html or "Why it's here" in html
    assert "Gles uppmärksamhet" in html, "the summary is still in the language"
    assert '<html lang="sv" dir="ltr">' in html
    assert "13 okt. 2024" in html, "dates follow the locale even without a catalogue"
    warnings = [
        r.getMessage() for r in caplog.records if "no papercast catalogue" in r.getMessage()
    ]
    assert len(warnings) == 1 and "'sv'" in warnings[0] and "Swedish" in warnings[0]
    # a regional tag uses its language's catalogue: no warning
    caplog.clear()
    assert get_language("de-AT").gettext("Also noteworthy") == "Ebenfalls lesenswert"
    assert get_language("pt-BR").catalogue == "pt"
    assert not [r for r in caplog.records if "no papercast catalogue" in r.getMessage()]


# --- configuration and prompts ----------------------------------------------------------


@pytest.mark.parametrize("tag", ["xx", "deutsch", "en-", "12"])
def test_an_unknown_language_tag_is_a_config_error_naming_the_key(tag: str, tmp_path: Path) -> None:
    path = tmp_path / "papercast.toml"
    path.write_text(f'[issue]\nlanguage = "{tag}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "issue.language" in message and str(path) in message and tag in message


def test_valid_tags_load(tmp_path: Path) -> None:
    path = tmp_path / "papercast.toml"
    for tag in ("de", "pt-BR", "zh-Hans", "ja", "ko", "he"):
        path.write_text(f'[issue]\nlanguage = "{tag}"\n', encoding="utf-8")
        assert load_settings(path).issue.language == tag


def test_the_prompt_names_the_language_for_every_field() -> None:
    english = PromptSet.load(None, "en")
    japanese = PromptSet.load(None, "ja")
    german = PromptSet.load(None, "de-AT")
    system = japanese.system()
    assert "in Japanese" in system
    for field in ("tldr", "method", "results", "critiques", "implications", "keywords"):
        assert field in system.split("Language:")[1]
    assert "title_translated: the paper's title translated into Japanese" in system
    assert "German (Austria)" in german.system()
    assert "Japanese" not in english.system() and "German" not in english.system()
    # the language is part of the cache key: a German summary is never reused for Japanese
    assert len({english.hash, japanese.hash, german.hash}) == 3


def test_extractive_summaries_say_they_keep_the_paper_language() -> None:
    settings = _settings("de")
    record = summary(1, model="extractive")
    issue = assemble_issue(
        "2024-W41",
        ranked=[IssueEntry(paper=paper(1), score=1.0, why="w")],
        summaries={"arxiv:2410.00001": SummaryRecord.model_validate(record.model_dump())},
        settings=settings,
    )
    assert issue.extractive
    assert "extraktiv" in issue.transparency
    assert "Sie bleiben in der Sprache, in der das Paper geschrieben ist." in issue.transparency


def test_the_spoken_script_adds_no_english_words_to_another_language() -> None:
    """The ear-cleaning puts "for example", "percent", "L L M" into English text; a German
    episode keeps its own words, and the markup still goes."""
    issue, settings = _issue("de")
    entry = issue.highlights[0]
    record = entry.summary
    assert record is not None
    text = "Die Genauigkeit steigt um 3% (z. B. bei LLMs) & mehr, siehe https://x.org [12]."
    changed = record.model_copy(
        update={"summary": record.summary.model_copy(update={"results": text})}
    )
    issue.highlights[0] = entry.model_copy(update={"summary": changed})
    spoken = "\n".join(p for c in build_script(issue, settings).chapters for p in c.paragraphs)
    assert "Die Genauigkeit steigt um 3% (z. B. bei LLMs) & mehr, siehe." in spoken
    for english in ("percent", "for example", "L L Ms", " and ", "https"):
        assert english not in spoken
    english_issue, english_settings = _issue("de")
    english_settings = Settings(audio={"voice_language_mismatch": True})
    english_issue.highlights[0] = entry.model_copy(update={"summary": changed})
    said = "\n".join(
        p for c in build_script(english_issue, english_settings).chapters for p in c.paragraphs
    )
    assert "3 percent" in said and "L L Ms" in said


def test_a_hostile_translated_title_is_text_in_every_format(tmp_path: Path) -> None:
    issue, settings = _issue("de")
    record = issue.highlights[0].summary
    assert record is not None
    hostile = "<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
    changed = record.model_copy(
        update={"summary": record.summary.model_copy(update={"title_translated": hostile})}
    )
    issue.highlights[0] = issue.highlights[0].model_copy(update={"summary": changed})
    for fmt in ("html", "email", "substack"):
        page = render_format(issue, fmt, settings=settings)
        assert "<script" not in page and "<img" not in page, fmt
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, fmt
    from markdown_it import MarkdownIt

    md = render_format(issue, "md", settings=settings)
    note = render_note(issue.highlights[0], issue, get_language("de"))
    for text in (md, note.split("---", 2)[2]):
        shown = MarkdownIt("commonmark", {"html": True}).render(text)
        assert "<script" not in shown and "<img" not in shown and 'href="javascript' not in shown
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown


def test_plain_text_underlines_are_as_wide_as_japanese_headings() -> None:
    issue, settings = _issue("ja")
    lines = render_format(issue, "txt", settings=settings).splitlines()
    for n, line in enumerate(lines[1:], start=1):
        if line and set(line) <= set("=-"):
            heading = lines[n - 1]
            assert len(line) == min(display_width(heading), 78 if line[0] == "=" else 999)
            assert len(line) > len(heading), "wide characters take two columns"


def test_plain_text_wraps_japanese_at_78_columns_where_a_line_may_break() -> None:
    issue, settings = _issue("ja")
    long_tldr = (
        "本研究では、大規模言語モデル（LLM）の推論能力を評価するための新しいベンチマークを"
        "提案し、十二種類のタスクで既存の手法と比較する。実験の結果、提案手法は平均で3ポイント"
        "精度を向上させ、特に長い文脈を必要とする問題で効果が大きいことが示された。"
    )
    record = issue.highlights[0].summary
    assert record is not None
    changed = record.model_copy(
        update={"summary": record.summary.model_copy(update={"tldr": long_tldr})}
    )
    issue.highlights[0] = issue.highlights[0].model_copy(update={"summary": changed})
    lines = render_format(issue, "txt", settings=settings).splitlines()
    for line in lines:
        assert display_width(line) <= 78 or "://" in line, (display_width(line), line)
        assert not line.lstrip().startswith(("、", "。", "）")), line
    # the paragraph is all there, in order, across several lines
    start = next(n for n, line in enumerate(lines) if "本研究では" in line)
    end = next(n for n, line in enumerate(lines) if "示された。" in line)
    assert end - start >= 3
    assert "".join(line.strip() for line in lines[start : end + 1]).endswith(long_tldr)

"""From an Issue to the words of its episode: chapters of spoken paragraphs.

The wording lives in ``templates/podcast_script.j2`` (user-overridable by name through
``[issue] templates_dir``). The template writes plain text; this module cuts it into chapters
("## Title" lines) and paragraphs (blank-line separated), cleans each paragraph for the ear
(:func:`papercast.audio.spoken.to_spoken`) and, when the episode would run past
``[audio] max_minutes``, leaves out the least significant highlights (never half a sentence).
"""

from __future__ import annotations

import logging
import re
from datetime import date

import jinja2
from pydantic import BaseModel, ConfigDict, Field

from papercast.audio.spoken import to_spoken, word_count
from papercast.config import Settings
from papercast.errors import AudioError
from papercast.i18n import Language, get_language
from papercast.models import Issue, IssueEntry
from papercast.resources import templates_dir

logger = logging.getLogger(__name__)

TEMPLATE_NAME = "podcast_script.j2"
# Speaking pace at rate 1.0, for estimates before anything is synthesized. Piper's "joe" voice
# read the example newsletter's 2,141 words in 15:32 of speech (138 wpm; bench/bench_tts.py);
# OpenAI voices are a little faster, so the estimate errs towards a shorter episode.
WORDS_PER_MINUTE = 140.0

_CHAPTER = re.compile(r"^##\s+(?P<title>.*?)(?:\s+<(?P<url>https?://[^>\s]+)>)?\s*$")
_HEADING_LINE = re.compile(r"^[ \t]*#+[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_NUMBER_WORDS = (
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen", "twenty"),
)


class ScriptChapter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    url: str | None = None
    paragraphs: list[str] = Field(default_factory=list, description="spoken text, one segment each")
    speakers: list[int] = Field(
        default_factory=list,
        description="a dialogue's host (index into Script.hosts) per paragraph; empty: narration",
    )

    def speaker(self, index: int) -> int:
        """The voice reading paragraph ``index`` (0 in a narration)."""
        return self.speakers[index] if index < len(self.speakers) else 0

    @property
    def words(self) -> int:
        return sum(word_count(p) for p in self.paragraphs)


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chapters: list[ScriptChapter]
    hosts: list[str] = Field(
        default_factory=list, description="a dialogue's host names, one voice each; empty: one"
    )
    kept: list[str] = Field(default_factory=list, description="paper ids of highlights read")
    dropped: list[str] = Field(default_factory=list, description="left out to fit max_minutes")

    @property
    def words(self) -> int:
        return sum(c.words for c in self.chapters)

    @property
    def text(self) -> str:
        return "\n\n".join(p for c in self.chapters for p in c.paragraphs)

    def estimated_seconds(self, speaking_rate: float = 1.0, pause_seconds: float = 0.0) -> float:
        paragraphs = sum(len(c.paragraphs) for c in self.chapters)
        speech = self.words / (WORDS_PER_MINUTE * speaking_rate) * 60.0
        return speech + paragraphs * pause_seconds


def number_word(value: int) -> str:
    """'five' for 5; digits above twenty."""
    return _NUMBER_WORDS[value] if 0 <= value < len(_NUMBER_WORDS) else str(value)


def prose(text: object) -> str:
    """Text from a paper or an LLM, safe inside the script: a Markdown heading line in it
    ("## Method") becomes a sentence instead of starting a chapter."""
    return _HEADING_LINE.sub(lambda m: m.group(1).rstrip(".") + ".", str(text))


def spoken_date(day: date, lang: Language | None = None) -> str:
    """The date as it is said: ``October 13, 2024``, ``13. Oktober 2024``, ``2024年10月13日``."""
    return (lang or get_language("en")).date(day, "long")


def _environment(settings: Settings) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if settings.issue.templates_dir is not None:
        loaders.append(jinja2.FileSystemLoader(settings.issue.templates_dir))
    loaders.append(jinja2.FileSystemLoader(templates_dir()))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - plain spoken text, never HTML
        extensions=["jinja2.ext.i18n"],
    )
    lang = get_language(settings.issue.language)
    env.install_gettext_translations(lang.translations, newstyle=True)  # type: ignore[attr-defined]
    # English numbers are spelled out; other languages get digits, which each voice reads
    env.filters["number_word"] = number_word if lang.is_english else lang.number
    env.filters["prose"] = prose
    return env


def parse_script(text: str, *, english: bool = True) -> list[ScriptChapter]:
    """Chapters and spoken paragraphs from the template's plain text (``english=False``: the
    script is in another language, see :func:`to_spoken`)."""
    chapters: list[ScriptChapter] = []
    block: list[str] = []

    def flush() -> None:
        if block:
            spoken = to_spoken("\n".join(block), english=english)
            block.clear()
            if spoken:
                if not chapters:
                    chapters.append(ScriptChapter(title="Intro"))
                chapters[-1].paragraphs.append(spoken)

    for line in text.splitlines():
        match = _CHAPTER.match(line)
        if match:
            flush()
            chapters.append(ScriptChapter(title=match["title"].strip(), url=match["url"]))
        elif line.strip():
            block.append(line)
        else:
            flush()
    flush()
    return [c for c in chapters if c.paragraphs]


def _significance(entry: IssueEntry) -> int:
    record = entry.summary
    return record.summary.significance if record is not None and not record.extractive else 0


def render_script(issue: Issue, settings: Settings, highlights: list[IssueEntry]) -> str:
    dropped = len(issue.highlights) - len(highlights)
    try:
        template = _environment(settings).get_template(TEMPLATE_NAME)
        return template.render(
            issue=issue,
            highlights=highlights,
            show_name=settings.podcast.title or settings.issue.show_name,
            spoken_date=spoken_date(issue.date, get_language(settings.issue.language)),
            dropped=dropped,
            english=get_language(settings.issue.language).is_english,
        )
    except jinja2.TemplateError as exc:
        raise AudioError(
            f"the podcast script template failed: {exc}",
            f"fix {TEMPLATE_NAME} in your templates_dir (or remove it to use the built-in one)",
        ) from None


def build_script(issue: Issue, settings: Settings, *, pause_seconds: float = 0.0) -> Script:
    """The episode's script; drops the least significant highlights to fit max_minutes."""
    budget = settings.audio.max_minutes * 60.0
    rate = settings.audio.speaking_rate
    english = get_language(settings.issue.language).is_english
    keep = list(range(len(issue.highlights)))
    while True:
        kept = [issue.highlights[i] for i in keep]
        chapters = parse_script(render_script(issue, settings, kept), english=english)
        script = Script(
            chapters=chapters,
            kept=[e.paper.id for e in kept],
            dropped=[e.paper.id for i, e in enumerate(issue.highlights) if i not in keep],
        )
        estimate = script.estimated_seconds(rate, pause_seconds)
        if estimate <= budget or len(keep) <= 1:
            break
        least = min(
            keep,
            key=lambda i: (_significance(issue.highlights[i]), issue.highlights[i].score, -i),
        )
        logger.info(
            "leaving %s out of the episode to fit %.0f minutes (significance %d)",
            issue.highlights[least].paper.id,
            settings.audio.max_minutes,
            _significance(issue.highlights[least]),
        )
        keep.remove(least)
    if estimate > budget:
        logger.warning(
            "the episode is estimated at %.1f minutes, over max_minutes=%.1f, with one highlight",
            estimate / 60,
            settings.audio.max_minutes,
        )
    if not script.chapters:
        raise AudioError(
            f"issue {issue.id} has nothing to read aloud",
            "check the issue has highlights, or the podcast_script.j2 template",
        )
    return script

"""The two-host episode: an LLM writes each highlight's segment as a conversation.

``[audio] style = "dialogue"``: the intro and outro are written here (both hosts, the real
facts of the issue: nothing to invent), and each highlight becomes one segment of turns
``{speaker, text}`` that the LLM writes from the paper's summary, as structured output through
the summary backend's machinery (``OpenAIBackend.ask_structured``: the response-format ladder,
retries, one repair turn for invalid JSON, every call logged).

- **Grounded**: every number a segment says, in digits or in words ("twelve percent"), must
  appear in the paper's summary, title, abstract or, when the summary was made from the full
  text, that text (as the summary stage cached it: nothing is downloaded here)
  (``papercast.numbers``, the check the summaries pass). A segment that fails (or in
  which one host does all the talking) is written again once with the problem named; if it
  fails again, that paper is read as narration instead, and the report says so.
- **Length holds**: words per segment are planned from the speaking rate measured on this
  voice's earlier synthesis (``tts_calls``), or 140 words a minute before there is any; if the
  segments would be too short to say anything, the least significant highlights are left out
  first, like the narration does.
- **Cached**: each segment's outcome is stored under ``cache/dialogue/`` by (model, server,
  prompts, hosts, words, its place in the episode, the paper and its summary), so a rerun asks
  nothing and an edited summary costs one request.

Without an LLM (the extractive backend, or a plugin backend that cannot answer structured
requests) there is no dialogue: :func:`write_dialogue` says why and the episode is narrated.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel, ConfigDict, Field

from papercast.audio.script import (
    WORDS_PER_MINUTE,
    Script,
    ScriptChapter,
    number_word,
    parse_script,
    prose,
    render_script,
    spoken_date,
)
from papercast.audio.spoken import to_spoken
from papercast.audio.voices import BUILT_IN, BUILTIN_VOICE
from papercast.config import Settings
from papercast.errors import ConfigError, PapercastError
from papercast.i18n import get_language
from papercast.layout import Layout, atomic_write_text, cached_fulltext
from papercast.llm.pricing import (
    CHARS_PER_TOKEN,
    TYPICAL_OUTPUT_TOKENS,
    Budget,
    cost_usd,
    estimate_tokens,
)
from papercast.llm.prompt_files import neutralize_delimiters, prompt_environment, template_source
from papercast.llm.schema import strict_schema
from papercast.models import CallLog, Issue, IssueEntry, Usage
from papercast.numbers import ungrounded
from papercast.store.calls import CallStore
from papercast.store.db import Database
from papercast.store.tts import TTSCallStore

logger = logging.getLogger(__name__)

SYSTEM = "dialogue-system.j2"
USER = "dialogue-user.j2"
REPAIR = "dialogue-repair.j2"
JSON_MODE = "summary-json-mode.j2"  # "reply with one JSON object matching: {{ schema }}"
SUMMARY_FIELDS = ("tldr", "method", "results", "critiques", "implications")
SCHEMA_VERSION = 1
CACHE_FORMAT = 1
# Planning: an average turn, the shortest segment worth having, the longest worth asking for.
TURN_WORDS = 40
MIN_SEGMENT_WORDS = 120
MAX_SEGMENT_WORDS = 900
# The measured rate is used once this much of the voice's audio is on record.
MIN_MEASURED_SECONDS = 60.0
# The share of max_minutes the plan fills: spoken forms add words ("7B" is "7 billion") and,
# before any audio is on record, the voice may be slower than the default rate (Piper's joe
# spoke a 15-minute plan in 15:42 at 140 words a minute: bench/bench_tts.py).
DEFAULT_MARGIN = 0.94
MEASURED_MARGIN = 0.97
_STAGE = re.compile(r"\s*(?:\([a-z][a-z ]{0,30}\)|\[[a-z][a-z ]{0,30}\]|\*[a-z][a-z ]{0,30}\*)")


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speaker: str = Field(description="the host who speaks")
    text: str = Field(description="what they say: speech only")


class DialogueSegment(BaseModel):
    """One highlight as the hosts discuss it (what the LLM answers)."""

    model_config = ConfigDict(extra="forbid")

    turns: list[Turn] = Field(min_length=1)


class SegmentOutcome(BaseModel):
    """What became of one highlight: its turns, or why it is narrated instead."""

    model_config = ConfigDict(extra="forbid")

    paper_id: str
    turns: list[Turn] = Field(default_factory=list)
    narrated: str | None = Field(default=None, description="why this paper is narrated")
    requests: int = 0
    usage: Usage = Field(default_factory=Usage)
    cacheable: bool = True


class DialogueReport(BaseModel):
    """What the run report says about a dialogue episode."""

    model_config = ConfigDict(extra="forbid")

    hosts: list[str]
    voices: list[str] = Field(default_factory=list)
    words_per_minute: float = Field(description="the speaking rate the plan used")
    rate_measured: bool = Field(description="from this voice's earlier audio (else the default)")
    words_per_segment: int
    planned_minutes: float
    script_minutes: float = Field(description="estimated from the words the script really has")
    actual_minutes: float | None = None
    segments: int = 0
    narrated: dict[str, str] = Field(
        default_factory=dict, description="paper id -> why it is read as narration"
    )
    llm_requests: int = 0
    from_cache: int = 0
    usage: Usage = Field(default_factory=Usage)
    budget_stopped: bool = Field(
        default=False, description="a segment was not asked for: it would pass the run's budget"
    )


@dataclass(frozen=True)
class _Plan:
    keep: list[int]
    words: int
    turns: int
    planned_seconds: float
    wpm: float
    measured: bool


class DialoguePrompts:
    """The dialogue prompts (prompts/dialogue-*.j2, overridable in ``[llm] prompts_dir``)."""

    def __init__(self, settings: Settings) -> None:
        self.env = prompt_environment(settings.llm.prompts_dir)
        digest = hashlib.sha256()
        for name in (SYSTEM, USER, REPAIR):
            digest.update(name.encode() + b"\0" + template_source(self.env, name).encode() + b"\0")
        digest.update(f"dialogue-schema-v{SCHEMA_VERSION}".encode())
        self.language = get_language(settings.issue.language)
        if not self.language.is_english:  # English keeps the hashes it had
            digest.update(f"language-{self.language.tag}".encode())
        self.hash = digest.hexdigest()[:16]

    def render(self, name: str, **values: object) -> str:
        try:
            return self.env.get_template(name).render(**values).strip() + "\n"
        except jinja2.TemplateError as exc:
            raise ConfigError(f"prompt {name}: {exc}", "fix the prompt file") from None


def segment_schema(hosts: list[str]) -> dict[str, Any]:
    """DialogueSegment's strict JSON schema, the speaker limited to the two hosts' names."""
    schema = strict_schema(DialogueSegment.model_json_schema())
    schema["$defs"]["Turn"]["properties"]["speaker"]["enum"] = list(hosts)
    return schema


def clean_turns(turns: list[Turn], hosts: list[str]) -> list[Turn]:
    """Speech only: no "Name:" labels or stage directions; consecutive turns by one host
    joined; speakers matched to the hosts' names whatever their case."""
    names = {h.casefold(): h for h in hosts}
    who = "|".join(re.escape(h) for h in hosts)
    label = re.compile(rf"^\s*(?:{who}|host\s*[ab12])\s*:\s*", re.IGNORECASE)
    cleaned: list[Turn] = []
    for turn in turns:
        speaker = names.get(" ".join(turn.speaker.split()).casefold())
        if speaker is None:
            raise ValueError(f"a turn is spoken by {turn.speaker!r}, who is not a host")
        text = " ".join(_STAGE.sub("", label.sub("", turn.text)).split())
        if not text:
            continue
        if cleaned and cleaned[-1].speaker == speaker:
            cleaned[-1] = Turn(speaker=speaker, text=f"{cleaned[-1].text} {text}")
        else:
            cleaned.append(Turn(speaker=speaker, text=text))
    return cleaned


def grounding_source(entry: IssueEntry, fulltext: str | None = None) -> str:
    """What a segment may take its numbers from: the summary, the title, the abstract and
    ``fulltext``, the paper's text the summary was made from (when it was the full text)."""
    parts = [entry.paper.title, entry.paper.abstract]
    if fulltext:
        parts.append(fulltext)
    if entry.summary is not None:
        summary = entry.summary.summary
        parts += [
            summary.tldr,
            summary.method,
            summary.results,
            summary.critiques,
            summary.implications,
        ]
    return "\n".join(parts)


def problems(
    turns: list[Turn],
    hosts: list[str],
    entry: IssueEntry,
    fulltext: str | None = None,
    *,
    language: str,
) -> str | None:
    """Why these turns cannot be used (None: they can); ``language``: the hosts' (``[issue]
    language``), in which a number said in words is read."""
    if len({t.speaker for t in turns}) < 2:
        return "both hosts must speak; write a conversation between them"
    source = grounding_source(entry, fulltext)
    missing = ungrounded([t.text for t in turns], source, language=language)
    if missing:
        return (
            "these numbers are not in the summary or the paper: "
            + ", ".join(missing[:10])
            + "; use only the summary's numbers, written as it writes them"
        )
    return None


def summary_fulltext(layout: Layout, entry: IssueEntry) -> str | None:
    """The text ``entry``'s summary was made from, when it was the full text, as the summary
    stage cached it (nothing is downloaded here)."""
    if entry.summary is None or entry.summary.source_text != "full":
        return None
    return cached_fulltext(layout, entry.paper)


def cached_outcome(
    layout: Layout, key: str, entry: IssueEntry, hosts: list[str], language: str
) -> SegmentOutcome | None:
    """The segment's cached outcome, unless its turns fail today's check (a segment cached
    before numbers said in words were read, or whose paper text changed), which writes the
    segment again."""
    try:
        text = _cache_path(layout, key).read_text(encoding="utf-8")
        outcome = SegmentOutcome.model_validate_json(text)
    except (OSError, ValueError):
        return None
    if outcome.turns:
        fulltext = summary_fulltext(layout, entry)
        if problems(outcome.turns, hosts, entry, fulltext, language=language) is not None:
            return None
    return outcome


def measured_rate(db: Database | None, voice: str) -> tuple[float, bool]:
    """Words a minute for ``voice``: measured on its earlier audio (at the rate it was spoken)
    when there is enough of it, else the default for rate 1.0."""
    if db is not None:
        words, seconds = TTSCallStore(db).rate(voice)
        if seconds >= MIN_MEASURED_SECONDS and words > 0:
            return round(words / seconds * 60.0, 1), True
    return WORDS_PER_MINUTE, False


def _issue_rate(
    layout: Layout,
    issue_id: str,
    voice: str,
    db: Database | None,
    cache: bool,
    *,
    keep: bool = True,
) -> tuple[float, bool]:
    """The rate an issue's dialogue was first planned with: measured once, then kept (unless
    ``keep`` is false: an estimate), so a rerun plans the same words (and asks nothing) even
    though the first run's audio has since been measured too."""
    digest = hashlib.sha256(f"{issue_id}\0{voice}".encode()).hexdigest()[:24]
    path = layout.dialogue_cache / "rates" / f"{digest}.json"
    if cache:
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
            return float(kept["wpm"]), bool(kept["measured"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    wpm, measured = measured_rate(db, voice)
    if keep:
        atomic_write_text(path, json.dumps({"wpm": wpm, "measured": measured}), private=True)
    return wpm, measured


def _significance(entry: IssueEntry) -> int:
    record = entry.summary
    return record.summary.significance if record is not None and not record.extractive else 0


def plan(issue: Issue, settings: Settings, wpm: float, measured: bool, frame_words: int) -> _Plan:
    """Words per segment so the episode meets ``[audio] max_minutes``; the least significant
    highlights are left out when the rest would be too short to say anything."""
    audio = settings.audio
    rate = wpm if measured else wpm * audio.speaking_rate
    turn_pause = audio.paragraph_pause_ms / 1000
    keep = list(range(len(issue.highlights)))
    while True:
        n = len(keep)
        fixed = frame_words / rate * 60 + 5 * turn_pause + (n + 1) * audio.chapter_pause_ms / 1000
        budget = audio.max_minutes * 60 * (MEASURED_MARGIN if measured else DEFAULT_MARGIN)
        per_segment = max(0.0, budget - fixed) / max(n, 1)
        words = int(per_segment / (60 / rate + turn_pause / TURN_WORDS))
        if words >= MIN_SEGMENT_WORDS or n <= 1:
            break
        least = min(
            keep,
            key=lambda i: (_significance(issue.highlights[i]), issue.highlights[i].score, -i),
        )
        keep.remove(least)
    # A reply must fit [llm] max_output_tokens: about 1.3 tokens a word, plus the JSON around.
    ceiling = min(MAX_SEGMENT_WORDS, int(settings.llm.max_output_tokens * 0.6))
    words = max(MIN_SEGMENT_WORDS // 2, min(ceiling, words))
    turns = max(4, round(words / TURN_WORDS))
    planned = fixed + len(keep) * (words / rate * 60 + (turns - 1) * turn_pause)
    return _Plan(keep, words, turns, planned, wpm, measured)


def frame(
    issue: Issue, settings: Settings, hosts: list[str], kept: list[IssueEntry], dropped: int
) -> tuple[ScriptChapter, ScriptChapter]:
    """The intro and the outro, as turns between the hosts (facts of the issue only)."""
    show = settings.podcast.title or settings.issue.show_name
    lang = get_language(settings.issue.language)
    _, ngettext = lang.gettext, lang.ngettext
    # English numbers are spelled out; other languages get digits, which each voice reads
    spell = number_word if lang.is_english else lang.number
    a, b = hosts
    welcome = prose(issue.intro) if issue.intro else _("Welcome to %(show)s.") % {"show": show}
    count = len(kept)
    if count > 1:
        lineup = ngettext(
            "We have %(count)s paper for you this week, starting with %(title)s.",
            "We have %(count)s papers for you this week, starting with %(title)s.",
            count,
        ) % {"count": spell(count), "title": kept[0].paper.title}
    else:
        lineup = ngettext(
            "We have %(count)s paper for you this week.",
            "We have %(count)s papers for you this week.",
            count,
        ) % {"count": spell(count)}
    if dropped:
        lineup += " " + ngettext(
            "To keep the episode short, %(count)s more is in the written issue only.",
            "To keep the episode short, %(count)s more are in the written issue only.",
            dropped,
        ) % {"count": spell(dropped)}
    model = issue.model or _("a language model")
    date_said = _("This is the episode for %(date)s.") % {"date": spoken_date(issue.date, lang)}
    intro = [
        (0, f"{welcome} " + _("I'm %(name)s.") % {"name": a}),
        (1, _("And I'm %(name)s.") % {"name": b} + f" {date_said} {prose(lineup)}"),
        (
            0,
            _(
                "A word before we start: we are synthetic voices, reading a conversation that "
                "%(model)s wrote from the papers' summaries, so check the papers before you "
                "rely on them."
            )
            % {"model": model},
        ),
    ]
    outro = [
        (1, prose(issue.outro) if issue.outro else _("That's all for this week.")),
        (
            0,
            _("Thanks for listening to %(show)s.") % {"show": show} + " " + _("See you next week."),
        ),
    ]

    def chapter(title: str, turns: list[tuple[int, str]]) -> ScriptChapter:
        said = [(who, to_spoken(text, english=lang.is_english)) for who, text in turns]
        said = [(who, text) for who, text in said if text]
        return ScriptChapter(
            title=title, paragraphs=[t for _w, t in said], speakers=[w for w, _t in said]
        )

    return chapter(_("Intro"), intro), chapter(_("Outro"), outro)


class _Requests:
    """What a dialogue request sends: the system prompt, the schema (as ``response_format``, or
    in the system prompt for servers without structured outputs) and each segment's user
    prompt, rendered once here for the writer and for the estimate alike."""

    def __init__(self, prompts: DialoguePrompts, hosts: list[str]) -> None:
        self.prompts = prompts
        self.hosts = hosts
        self.schema = segment_schema(hosts)
        lang = prompts.language
        self.system = prompts.render(
            SYSTEM, hosts=hosts, language=lang.english_name, english=lang.is_english
        )
        self.json_mode = prompts.render(JSON_MODE, schema=json.dumps(self.schema, indent=1))

    def user(
        self,
        entry: IssueEntry,
        summary: dict[str, str],
        *,
        words: int,
        turns: int,
        position: int,
        total: int,
        problem: str | None = None,
    ) -> str:
        return self.prompts.render(
            USER,
            paper=entry.paper.model_copy(
                update={"title": neutralize_delimiters(entry.paper.title)}
            ),
            authors=neutralize_delimiters(entry.paper.author_names(limit=4) or "unknown"),
            summary={name: neutralize_delimiters(text) for name, text in summary.items()},
            words=words,
            turns=turns,
            position=position,
            total=total,
            first=self.hosts[position % 2],
            problem=problem,
        )

    def input_tokens(self, user: str) -> int:
        """A request's prompt, by the estimator the summaries' estimate and budget use."""
        return (
            estimate_tokens(self.system) + estimate_tokens(self.json_mode) + estimate_tokens(user)
        )


def _summary_fields(entry: IssueEntry) -> dict[str, str]:
    assert entry.summary is not None
    summary = entry.summary.summary
    return {name: str(getattr(summary, name)) for name in SUMMARY_FIELDS}


def segment_key(
    model: str,
    server: str | None,
    prompts: DialoguePrompts,
    hosts: list[str],
    entry: IssueEntry,
    words: int,
    position: int,
    total: int,
) -> str:
    """The cache key of one segment's outcome."""
    summary = entry.summary.summary.model_dump(mode="json") if entry.summary else None
    payload = {
        "format": CACHE_FORMAT,
        "model": model,
        "server": server,
        "prompts": prompts.hash,
        "hosts": hosts,
        "words": words,
        "position": [position, total],
        "paper": [entry.paper.id, entry.paper.title, entry.paper.author_names(4)],
        "summary": summary,
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _cache_path(layout: Layout, key: str) -> Path:
    return layout.dialogue_cache / key[:2] / f"{key}.json"


class _Budget(Budget):
    """The run's spending limit for the script: each request's worst case (its prompt, the
    whole ``max_output_tokens``) is reserved before it is sent, settled with the real cost."""

    def __init__(self, limit: float | None, settings: Settings, model: str) -> None:
        super().__init__(limit)
        self.settings = settings
        self.model = model

    def worst_case(self, input_tokens: int) -> float:
        llm = self.settings.llm
        return cost_usd(llm, self.model, input_tokens, llm.max_output_tokens)


class _Writer:
    """Asks the LLM for each segment (concurrently), checks it, caches the outcome."""

    def __init__(
        self,
        backend: Any,  # an OpenAIBackend: ask_structured
        prompts: DialoguePrompts,
        settings: Settings,
        layout: Layout,
        db: Database | None,
        run_id: int | None,
        max_cost: float | None,
    ) -> None:
        self.backend = backend
        self.prompts = prompts
        self.settings = settings
        self.layout = layout
        self.calls = CallStore(db, run_id) if db is not None else None
        self.hosts = list(settings.audio.hosts)
        self.requests = _Requests(prompts, self.hosts)
        self.budget = _Budget(max_cost, settings, backend.model)

    def key(self, entry: IssueEntry, words: int, position: int, total: int) -> str:
        server = getattr(self.backend.endpoint, "base_url", None)
        return segment_key(
            self.backend.model, server, self.prompts, self.hosts, entry, words, position, total
        )

    def cached(self, key: str, entry: IssueEntry) -> SegmentOutcome | None:
        language = self.settings.issue.language
        return cached_outcome(self.layout, key, entry, self.hosts, language)

    def store(self, key: str, outcome: SegmentOutcome) -> None:
        atomic_write_text(_cache_path(self.layout, key), outcome.model_dump_json(), private=True)

    def _record(self, paper_id: str) -> Any:
        def record(call: CallLog) -> None:
            if self.calls is not None:
                self.calls.log(call, paper_id=paper_id, prompt_hash=self.prompts.hash)

        return record

    async def write(
        self, entry: IssueEntry, words: int, turns: int, position: int, total: int
    ) -> SegmentOutcome:
        """Ask, check, ask once more with the problem named; else narrate this paper."""
        outcome = SegmentOutcome(paper_id=entry.paper.id)
        if entry.summary is None:
            outcome.narrated = "it has no summary to discuss"
            return outcome
        summary = _summary_fields(entry)
        fulltext = summary_fulltext(self.layout, entry)
        problem: str | None = None
        for _attempt in range(2):
            user = self.requests.user(
                entry,
                summary,
                words=words,
                turns=turns,
                position=position,
                total=total,
                problem=problem,
            )
            reserve = self.budget.worst_case(self.requests.input_tokens(user))
            if not self.budget.reserve(reserve):
                limit = self.budget.limit or 0.0
                outcome.narrated = (
                    f"writing it would exceed the ${limit:.4f} left of the run's budget "
                    "([llm] max_cost / --max-cost)"
                )
                outcome.cacheable = False  # a larger budget asks again
                return outcome
            actual = 0.0
            try:
                answer, usage = await self.backend.ask_structured(
                    DialogueSegment,
                    system=self.requests.system,
                    user=user,
                    name="DialogueSegment",
                    schema=self.requests.schema,
                    json_mode=self.requests.json_mode,
                    repair=lambda error: self.prompts.render(REPAIR, error=error[:500]),
                    record=self._record(entry.paper.id),
                    purpose="dialogue",
                    label=entry.paper.id,
                )
                actual = usage.cost_usd
            except PapercastError as exc:
                outcome.narrated = f"the LLM call failed: {exc.message}"
                outcome.cacheable = False  # an outage: ask again next run
                return outcome
            finally:
                self.budget.settle(reserve, actual)
            outcome.requests += usage.requests
            _add(outcome.usage, usage)
            try:
                turns_said = clean_turns(answer.turns, self.hosts)
            except ValueError as exc:
                problem = str(exc)
                continue
            problem = problems(
                turns_said, self.hosts, entry, fulltext, language=self.settings.issue.language
            )
            if problem is None:
                outcome.turns = turns_said
                return outcome
            logger.info("%s: dialogue segment rejected: %s", entry.paper.id, problem)
        outcome.narrated = f"the dialogue failed its check twice ({problem})"
        return outcome


def _add(total: Usage, more: Usage) -> None:
    total.input_tokens += more.input_tokens
    total.output_tokens += more.output_tokens
    total.cost_usd += more.cost_usd
    total.requests += more.requests
    total.estimated = total.estimated or more.estimated


def dialogue_backend(settings: Settings) -> tuple[Any | None, str | None]:
    """The LLM backend that can write a dialogue, or None and why not."""
    from papercast.llm.openai_backend import OpenAIBackend
    from papercast.llm.registry import create_backend, resolve_backend_name

    name = resolve_backend_name(settings)
    if name == "extractive":
        return None, "no LLM is configured (extractive summaries)"
    backend = create_backend(settings, _NoRepair())
    if not isinstance(backend, OpenAIBackend):
        return None, f"the [llm] backend {name!r} cannot write structured dialogue"
    return backend, None


class _NoRepair:
    """The summary prompts are not used by dialogue requests (they bring their own)."""

    def json_mode(self) -> str:
        return ""

    def repair(self, error: str) -> str:
        return error


def write_dialogue(
    issue: Issue,
    settings: Settings,
    layout: Layout,
    *,
    db: Database | None = None,
    run_id: int | None = None,
    voice: str = "",
    backend: Any | None = None,
    max_cost: float | None = None,
) -> tuple[Script, DialogueReport] | str:
    """The episode's script as a conversation, and what to report about it; or, when no LLM
    can write it, a one-line reason (the caller narrates instead).

    ``max_cost`` (USD; default ``[llm] max_cost``) is what the script may spend: a request
    whose worst case would pass it is not sent, and its paper is narrated instead (not cached,
    so a rerun with room asks again)."""
    reason: str | None = None
    if backend is None:
        backend, reason = dialogue_backend(settings)
    if backend is None:
        return f"the dialogue style needs an LLM: {reason}; this episode is narrated"
    hosts = list(settings.audio.hosts)
    wpm, measured = _issue_rate(layout, issue.id, voice, db, settings.audio.cache)
    probe_intro, probe_outro = frame(issue, settings, hosts, issue.highlights, 0)
    plan_ = plan(issue, settings, wpm, measured, probe_intro.words + probe_outro.words)
    kept = [issue.highlights[i] for i in plan_.keep]
    dropped = [e.paper.id for i, e in enumerate(issue.highlights) if i not in plan_.keep]
    limit = settings.llm.max_cost if max_cost is None else max_cost
    writer = _Writer(backend, DialoguePrompts(settings), settings, layout, db, run_id, limit)
    keys = [writer.key(e, plan_.words, n + 1, len(kept)) for n, e in enumerate(kept)]
    outcomes: dict[int, SegmentOutcome] = {}
    for n, key in enumerate(keys):
        hit = writer.cached(key, kept[n]) if settings.audio.cache else None
        if hit is not None:
            outcomes[n] = hit
    todo = [n for n in range(len(kept)) if n not in outcomes]
    if todo:
        logger.info("writing %d dialogue segments with %s", len(todo), backend.model)
        fresh = asyncio.run(_write_all(writer, kept, todo, plan_, settings.llm.max_concurrency))
        for n, outcome in fresh.items():
            outcomes[n] = outcome
            if outcome.cacheable:
                writer.store(keys[n], outcome)
    else:
        asyncio.run(backend.aclose())
    intro, outro = frame(issue, settings, hosts, kept, len(dropped))
    english = get_language(settings.issue.language).is_english
    chapters = [intro]
    report = DialogueReport(
        hosts=hosts,
        words_per_minute=wpm,
        rate_measured=measured,
        words_per_segment=plan_.words,
        planned_minutes=round(plan_.planned_seconds / 60, 2),
        script_minutes=0.0,
        segments=len(kept),
        from_cache=len(kept) - len(todo),
        budget_stopped=writer.budget.stopped,
    )
    for n, entry in enumerate(kept):
        outcome = outcomes[n]
        if n in todo:
            report.llm_requests += outcome.requests
            _add(report.usage, outcome.usage)
        if outcome.narrated is not None:
            report.narrated[entry.paper.id] = outcome.narrated
            chapters.append(_narration(issue, settings, entry))
            continue
        said = [
            (hosts.index(t.speaker), to_spoken(prose(t.text), english=english))
            for t in outcome.turns
        ]
        said = [(who, text) for who, text in said if text]
        chapters.append(
            ScriptChapter(
                title=entry.paper.title,
                url=entry.paper.abs_url,
                paragraphs=[t for _, t in said],
                speakers=[w for w, _ in said],
            )
        )
    chapters.append(outro)
    script = Script(
        chapters=[c for c in chapters if c.paragraphs],
        hosts=hosts,
        kept=[e.paper.id for e in kept],
        dropped=dropped,
    )
    pause = settings.audio.paragraph_pause_ms / 1000
    estimate = script.words / (wpm if measured else wpm * settings.audio.speaking_rate) * 60
    estimate += sum(max(len(c.paragraphs) - 1, 0) for c in script.chapters) * pause
    estimate += (len(script.chapters) - 1) * settings.audio.chapter_pause_ms / 1000
    report.script_minutes = round(estimate / 60, 2)
    for paper_id, why in report.narrated.items():
        logger.warning("%s is narrated in the dialogue episode: %s", paper_id, why)
    return script, report


class DialogueEstimate(BaseModel):
    """What writing the dialogue script would ask of the LLM (``papercast run --dry-run``)."""

    model_config = ConfigDict(extra="forbid")

    segments: int = Field(default=0, description="highlights the hosts would discuss")
    from_cache: int = Field(default=0, description="segments already written: they cost nothing")
    requests: int = Field(
        default=0,
        description="one per segment still to write (a segment that fails its check is asked "
        "once more)",
    )
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    assumed: int = Field(
        default=0, description="segments whose paper is not summarized yet: a typical length"
    )
    words_per_segment: int = 0
    narrated: str | None = Field(default=None, description="why there would be no dialogue")


# An LLM's tokens per English word, and the JSON around each turn of the answer.
TOKENS_PER_WORD = 1.3
TURN_JSON_TOKENS = 12


def planned_voice(settings: Settings) -> str:
    """The name the first host's voice goes by (its rate plans the words), found without
    loading or downloading it; "" for an engine papercast does not know."""
    audio = settings.audio
    spec = audio.voices[0] if audio.voices else (audio.voice or "")
    if audio.engine == "openai":
        return spec or audio.openai_voice
    if audio.engine != "piper":
        return ""
    name, _, speaker = spec.strip().partition("#")
    name = name.strip()
    if not name or name.lower() in BUILT_IN:
        name = BUILTIN_VOICE
    elif name.endswith(".onnx") or "/" in name or "\\" in name:
        name = Path(name).name.removesuffix(".onnx")
    return f"{name}#{speaker.strip()}" if speaker.strip() else name


def estimate_dialogue(
    issue: Issue, settings: Settings, layout: Layout, db: Database | None = None
) -> DialogueEstimate:
    """The requests, tokens and cost of writing ``issue``'s dialogue script, without calling
    any model: the prompts :func:`write_dialogue` would send, rendered the same way and counted
    by the summaries' estimator; segments in the script cache count zero. A highlight not
    summarized yet is counted with a typical summary's length."""
    from papercast.llm.client import base_url
    from papercast.llm.registry import resolve_backend_name

    name = resolve_backend_name(settings)
    if name == "extractive":
        return DialogueEstimate(narrated="no LLM is configured (extractive summaries)")
    if name != "openai":
        return DialogueEstimate(narrated=f"the [llm] backend {name!r} cannot write dialogue")
    hosts = list(settings.audio.hosts)
    voice = planned_voice(settings)
    wpm, measured = _issue_rate(layout, issue.id, voice, db, settings.audio.cache, keep=False)
    probe_intro, probe_outro = frame(issue, settings, hosts, issue.highlights, 0)
    plan_ = plan(issue, settings, wpm, measured, probe_intro.words + probe_outro.words)
    kept = [issue.highlights[i] for i in plan_.keep]
    prompts = DialoguePrompts(settings)
    requests = _Requests(prompts, hosts)
    model, server = settings.llm.model, base_url(settings, "summary")
    answer = int(plan_.words * TOKENS_PER_WORD) + plan_.turns * TURN_JSON_TOKENS
    out_tokens = min(settings.llm.max_output_tokens, answer)
    share = TYPICAL_OUTPUT_TOKENS * CHARS_PER_TOKEN // len(SUMMARY_FIELDS)
    typical = dict.fromkeys(SUMMARY_FIELDS, ("word " * (share // 5)).strip())
    estimate = DialogueEstimate(segments=len(kept), words_per_segment=plan_.words)
    for n, entry in enumerate(kept):
        if entry.summary is not None and settings.audio.cache:
            key = segment_key(model, server, prompts, hosts, entry, plan_.words, n + 1, len(kept))
            if cached_outcome(layout, key, entry, hosts, settings.issue.language) is not None:
                estimate.from_cache += 1
                continue
        if entry.summary is None:
            estimate.assumed += 1
        summary = _summary_fields(entry) if entry.summary is not None else typical
        user = requests.user(
            entry, summary, words=plan_.words, turns=plan_.turns, position=n + 1, total=len(kept)
        )
        tokens_in = requests.input_tokens(user)
        estimate.requests += 1
        estimate.input_tokens += tokens_in
        estimate.output_tokens += out_tokens
        estimate.cost_usd += cost_usd(settings.llm, model, tokens_in, out_tokens)
    return estimate


async def _write_all(
    writer: _Writer, kept: list[IssueEntry], todo: list[int], plan_: _Plan, concurrency: int
) -> dict[int, SegmentOutcome]:
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(n: int) -> tuple[int, SegmentOutcome]:
        async with gate:
            return n, await writer.write(kept[n], plan_.words, plan_.turns, n + 1, len(kept))

    try:
        done = await asyncio.gather(*(one(n) for n in todo))
    finally:
        await writer.backend.aclose()
    return dict(done)


def _narration(issue: Issue, settings: Settings, entry: IssueEntry) -> ScriptChapter:
    """One paper's narration chapter (podcast_script.j2), read by the first host's voice."""
    english = get_language(settings.issue.language).is_english
    chapters = parse_script(render_script(issue, settings, [entry]), english=english)
    match = [c for c in chapters if c.title == entry.paper.title.strip()]
    chapter = match[0] if match else chapters[1 if len(chapters) > 2 else 0]
    return chapter.model_copy(update={"speakers": [0] * len(chapter.paragraphs)})


__all__ = [
    "DialogueEstimate",
    "DialogueReport",
    "DialogueSegment",
    "Turn",
    "clean_turns",
    "estimate_dialogue",
    "segment_schema",
    "write_dialogue",
]

"""Configuration: ``papercast.toml`` plus ``PAPERCAST_<SECTION>__<KEY>`` environment variables.

Every section is a pydantic model with ``extra="forbid"``: a typo is an error that names the key
and where it came from, never a silently ignored setting. Secrets (API keys, the SMTP password)
are ``SecretStr`` and only ever come from the environment or a key file.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from papercast.errors import ConfigError
from papercast.i18n import parse_language
from papercast.plugins import LLM_BACKENDS, RANKERS, TTS_ENGINES, Choice

CONFIG_FILENAME = "papercast.toml"

# Settings that name a provider: the built-ins, or a plugin's name (papercast.plugins).
LLM_BACKEND = Choice("[llm] backend", ("auto", "openai", "extractive"), LLM_BACKENDS)
RANK_BACKEND = Choice(
    "[rank] backend", ("tfidf", "hybrid", "embeddings", "local", "keywords"), RANKERS
)
TTS_ENGINE = Choice("[audio] engine", ("piper", "openai"), TTS_ENGINES)
log = logging.getLogger(__name__)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ArxivConfig(Section):
    """New papers from the arXiv API (the `arxiv` package), by category and submission date."""

    enabled: bool = Field(default=True, description="fetch from arXiv at all")
    categories: list[str] = Field(
        default_factory=lambda: ["cs.LG", "cs.CL", "cs.AI"],
        description="arXiv categories (arxiv.org/category_taxonomy); a typo is an error",
    )
    include: list[str] = Field(
        default_factory=list, description="keywords; a paper must match one (title+abstract)"
    )
    exclude: list[str] = Field(default_factory=list, description="keywords that drop a paper")
    authors: list[str] = Field(default_factory=list, description="authors to always follow")
    include_in_query: bool = Field(
        default=False, description="also send include keywords to the API (fewer pages)"
    )
    api_url: str = Field(
        default="https://export.arxiv.org/api/query", description="the API (or a mirror)"
    )
    delay_seconds: float = Field(
        default=3.0, ge=0, description="pause between API requests (arXiv asks for 3 s)"
    )
    page_size: int = Field(default=1000, ge=1, le=2000, description="results per request")
    num_retries: int = Field(
        default=4, ge=0, le=10, description="retries on 429/5xx/timeouts/empty pages"
    )
    timeout: float = Field(default=60.0, gt=0, description="seconds per request")
    max_results: int = Field(default=30000, ge=1, description="stop after this many per query")
    lookback_days: int = Field(
        default=3,
        ge=0,
        le=14,
        description="also ask for papers submitted this many days before the window: the API "
        "only lists papers once announced, so late submissions of last week arrive now "
        "(seen-tracking keeps them from repeating)",
    )


class BiorxivConfig(Section):
    """New preprints from the bioRxiv/medRxiv details API."""

    servers: list[Literal["biorxiv", "medrxiv"]] = Field(
        default_factory=list, description='which servers to fetch, e.g. ["biorxiv", "medrxiv"]'
    )
    categories: list[str] = Field(
        default_factory=list, description="e.g. neuroscience, cell biology (empty: all)"
    )
    api_url: str = Field(default="https://api.biorxiv.org", description="the API base URL")
    delay_seconds: float = Field(default=1.0, ge=0, description="pause between requests")
    num_retries: int = Field(default=4, ge=0, le=10, description="retries per page")
    timeout: float = Field(default=60.0, gt=0, description="seconds per request")


class FeedsConfig(Section):
    """Any RSS or Atom feeds, including arXiv's announcement feeds (rss.arxiv.org/rss/cs.LG)."""

    urls: list[str] = Field(default_factory=list, description="feed URLs (http or https)")
    skip_announce_types: list[str] = Field(
        default_factory=lambda: ["replace", "replace-cross"],
        description="arXiv RSS items of these types are not new papers",
    )
    timeout: float = Field(default=60.0, gt=0, description="seconds per request")
    num_retries: int = Field(default=3, ge=0, le=10, description="retries per feed")


class DownloadConfig(Section):
    """Limits on every download (PDFs, API pages, feeds), so that a slow server cannot hold a run;
    a download given up is handled like any failed one (a PDF: the summary uses the abstract)."""

    min_speed_kb: float = Field(
        default=10.0,
        ge=0,
        description="give a download up when it gets less than this many KB/s over "
        "stall_seconds (0 = no floor)",
    )
    stall_seconds: float = Field(
        default=30.0, gt=0, description="the window over which min_speed_kb is measured"
    )
    deadline_seconds: float = Field(
        default=300.0, gt=0, description="the longest one download may take, retries included"
    )


class SelectConfig(Section):
    """Rules for every source: whole-word, case-insensitive keywords on title + abstract."""

    include: list[str] = Field(
        default_factory=list, description="keep only papers matching one (`robot*` = prefix)"
    )
    exclude: list[str] = Field(default_factory=list, description="drop papers matching any")
    include_categories: list[str] = Field(
        default_factory=list, description="keep only papers in one of these categories"
    )
    exclude_categories: list[str] = Field(
        default_factory=list, description="drop papers whose primary category is one of these"
    )
    authors: list[str] = Field(default_factory=list, description="always keep their papers")
    exclude_authors: list[str] = Field(default_factory=list, description="drop their papers")
    skip_seen: bool = Field(
        default=True, description="papers already in an earlier issue are not candidates"
    )


class LLMConfig(Section):
    backend: Annotated[str, LLM_BACKEND] = Field(
        default="auto",
        description="auto: OpenAI-compatible if a key or base_url is set, else extractive (offline)",
    )
    model: str = Field(
        default="gpt-4o-mini",
        description="the model name the server knows (gpt-4o-mini, llama3.1, ...)",
    )
    base_url: str | None = Field(
        default=None,
        description="an OpenAI-compatible server (Ollama, vLLM, llama.cpp, OpenRouter); default OpenAI",
    )
    api_key: SecretStr | None = Field(default=None, description="prefer OPENAI_API_KEY")
    api_key_file: Path | None = Field(
        default=None, description="read the API key from this file instead of OPENAI_API_KEY"
    )
    temperature: float = Field(
        default=0.2, ge=0, le=2, description="sampling temperature for summaries"
    )
    max_concurrency: int = Field(
        default=8, ge=1, le=256, description="LLM requests in flight at once"
    )
    timeout: float = Field(default=120.0, gt=0, description="seconds per LLM request")
    max_retries: int = Field(
        default=4,
        ge=0,
        le=10,
        description=(
            "retries per request on 429/5xx/timeouts (honouring Retry-After); "
            "not for a 5xx repeated word for word"
        ),
    )
    context_tokens: int = Field(
        default=128000,
        ge=2048,
        description="the server's context window (a local server's n_ctx), to budget the paper text",
    )
    max_output_tokens: int = Field(
        default=1800, ge=256, description="the most tokens one summary may use"
    )
    max_cost: float | None = Field(default=None, ge=0, description="USD per run")
    prices: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: {
            "gpt-4o-mini": (0.15, 0.60),
            "gpt-4o": (2.50, 10.00),
            "gpt-4.1-mini": (0.40, 1.60),
            "gpt-4.1-nano": (0.10, 0.40),
            "gpt-4.1": (2.00, 8.00),
            "gpt-5-mini": (0.25, 2.00),
            "gpt-5-nano": (0.05, 0.40),
        },
        description="USD per million (input, output) tokens",
    )
    fulltext: bool = Field(
        default=True, description="summarize from the PDF where available (else the abstract)"
    )
    fulltext_max_tokens: int = Field(
        default=24000, ge=500, description="cap on paper text sent per summary (cost control)"
    )
    max_pdf_pages: int = Field(default=150, ge=1, description="pages read from one PDF")
    max_pdf_mb: int = Field(default=50, ge=1, description="largest PDF downloaded")
    batch_discount: float = Field(
        default=0.5, ge=0, le=1, description="price factor for the Batch API (0.5 = half price)"
    )
    prompts_dir: Path | None = Field(
        default=None, description="a folder whose prompt files override the shipped ones by name"
    )


class IssueConfig(Section):
    show_name: str = Field(default="papercast", description="the newsletter and podcast name")
    language: str = Field(
        default="en",
        description="a BCP 47 tag (en, de, fr, es, pt, zh, ja, ko, pt-BR...): the language of "
        "the summaries, the spoken script and every fixed string (docs/language.md)",
    )
    title: str | None = Field(
        default=None,
        description="the issue title (Jinja over date, date_label, issue_id, show_name...); "
        "default: \"This Week's New Papers - <date>\" in the issue's language",
    )
    intro: str | None = Field(
        default=None,
        description="the opening paragraph (Jinja, like title); default: a welcome in the "
        "issue's language",
    )
    outro: str | None = Field(
        default=None,
        description="the closing paragraph (Jinja, like title); default: a goodbye in the "
        "issue's language",
    )
    highlights: int = Field(
        default=5, ge=0, le=100, description="papers summarized in full (and read aloud)"
    )
    noteworthy: int = Field(
        default=40, ge=0, le=1000, description="papers listed as one-liners after the highlights"
    )
    star_top: int = Field(default=5, ge=0, description="stars for the best also-noteworthy")
    templates_dir: Path | None = Field(
        default=None, description="a folder whose templates override the shipped ones by name"
    )
    highlight_pool: int = Field(
        default=2, ge=1, le=10, description="highlights come from the top N x highlights by rank"
    )
    authors_shown: int = Field(default=3, ge=1, le=50, description="'A, B, C et al.'")

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        parse_language(value)  # ValueError -> a config error naming [issue] language
        return value.strip()


class AudioConfig(Section):
    enabled: bool = Field(default=True, description="make the podcast episode in `papercast run`")
    engine: Annotated[str, TTS_ENGINE] = Field(
        default="piper",
        description="piper (local, offline, no key) or openai (hosted TTS)",
    )
    voice: str | None = Field(
        default=None,
        description="piper: a voice name from the Piper voices repository "
        "(de_DE-thorsten-medium; downloaded once into PAPERCAST_HOME/voices) or the path of "
        "a .onnx voice (default: the built-in English CC0 joe voice); "
        "openai: a voice name (overrides openai_voice)",
    )
    voices_url: str = Field(
        default="https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0",
        description="where Piper voices named by [audio] voice are downloaded from",
    )
    voice_language_mismatch: bool = Field(
        default=False,
        description="allow a Piper voice whose language is not [issue] language (otherwise an "
        "error: an English voice never reads German text by accident)",
    )
    voice_config: Path | None = Field(
        default=None, description="piper: the voice's .onnx.json (default: model path + .json)"
    )
    style: Literal["narration", "dialogue"] = Field(
        default="narration",
        description="narration: one voice reads the summaries; dialogue: two hosts talk each "
        "highlight through (needs an LLM; falls back to narration without one)",
    )
    hosts: list[str] = Field(
        default_factory=lambda: ["Ada", "Sam"],
        min_length=2,
        max_length=2,
        description="dialogue: the two hosts' names (spoken, and in the transcript)",
    )
    voices: list[str] = Field(
        default_factory=list,
        max_length=2,
        description="dialogue: one voice per host. piper: a .onnx path, a voice name in "
        "PAPERCAST_HOME/voices or in the Piper voices repository (downloaded once), or 'joe' "
        "(built in), each optionally '#<speaker id>' for multi-speaker models, each speaking "
        "[issue] language; openai: voice names. Empty: both hosts use [audio] voice",
    )
    speaking_rate: float = Field(
        default=1.0, gt=0.25, le=4.0, description="1.0 = normal; Piper length scale, OpenAI speed"
    )
    max_minutes: float = Field(
        default=20.0, gt=0, description="leave out the least significant highlights past this"
    )
    bitrate: str = Field(default="64k", pattern=r"^\d{2,3}k$", description="MP3 bitrate (mono)")
    sample_rate: Literal[22050, 24000, 32000, 44100, 48000] = Field(
        default=44100, description="MP3 sample rate in Hz"
    )
    loudness_lufs: float = Field(
        default=-16.0, ge=-31, le=-5, description="integrated loudness target (podcast norm -16)"
    )
    true_peak_db: float = Field(
        default=-1.5, ge=-9, le=0, description="true-peak ceiling before MP3 encoding (dBTP)"
    )
    sentence_pause_ms: int = Field(
        default=250, ge=0, le=5000, description="silence between sentences of a paragraph"
    )
    paragraph_pause_ms: int = Field(
        default=600, ge=0, le=10000, description="silence between paragraphs"
    )
    chapter_pause_ms: int = Field(
        default=1200, ge=0, le=10000, description="silence between chapters (papers)"
    )
    music: Path | None = Field(
        default=None, description="intro/outro music file (any format ffmpeg reads), faded"
    )
    music_gain_db: float = Field(default=-20.0, le=0, description="music bed under the voice")
    cover: Path | None = Field(default=None, description="cover art (JPEG/PNG) embedded in the MP3")
    cache: bool = Field(default=True, description="reuse synthesized segments across runs")
    openai_model: str = Field(
        default="gpt-4o-mini-tts", description="tts-1, tts-1-hd, gpt-4o-mini-tts or a server's own"
    )
    openai_voice: str = Field(default="alloy", description="the OpenAI voice (alloy, nova, ...)")
    instructions: str | None = Field(
        default=None, description="how to speak (gpt-4o-mini-tts only; not sent to tts-1 models)"
    )
    base_url: str | None = Field(
        default=None, description="an OpenAI-compatible TTS server (default: api.openai.com)"
    )
    openai_max_chars: int = Field(
        default=4096, ge=100, le=4096, description="characters per request; longer text is split"
    )
    openai_response_format: Literal["wav", "mp3", "flac", "pcm"] = Field(
        default="wav", description="audio format asked of the server (decoded either way)"
    )
    openai_timeout: float = Field(default=120.0, gt=0, description="seconds per TTS request")
    openai_max_retries: int = Field(
        default=4, ge=0, le=10, description="retries of a TTS request (429, 5xx, timeouts)"
    )
    openai_prices: dict[str, float] = Field(
        default_factory=lambda: {"tts-1": 15.0, "tts-1-hd": 30.0, "gpt-4o-mini-tts": 12.0},
        description="USD per million input characters (gpt-4o-mini-tts: an estimate)",
    )
    workers: int = Field(
        default=2, ge=1, le=32, description="Piper worker processes / concurrent OpenAI requests"
    )

    @field_validator("hosts")
    @classmethod
    def _two_distinct_hosts(cls, value: list[str]) -> list[str]:
        names = [" ".join(name.split()) for name in value]
        if any(not name for name in names) or len({n.casefold() for n in names}) != len(names):
            raise ValueError("give two different, non-empty host names")
        return names

    @field_validator("voices")
    @classmethod
    def _one_voice_per_host(cls, value: list[str]) -> list[str]:
        if len(value) not in (0, 2) or any(not v.strip() for v in value):
            raise ValueError("give two voices (one per host), or none to use [audio] voice")
        return [v.strip() for v in value]


class EmailConfig(Section):
    smtp_host: str | None = Field(default=None, description="the SMTP server")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="587 for STARTTLS, 465 for SSL")
    username: str | None = Field(
        default=None, description="SMTP login (the password comes from PAPERCAST_EMAIL__PASSWORD)"
    )
    password: SecretStr | None = Field(default=None, description="PAPERCAST_EMAIL__PASSWORD")
    from_addr: str | None = Field(default=None, description="the From address")
    security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", description="starttls, ssl or none"
    )
    to: list[str] = Field(
        default_factory=list, description="recipients of `papercast email` and of [publish] email"
    )
    list_unsubscribe: str | None = Field(
        default=None, description="a mailto: or https: URL for the List-Unsubscribe header"
    )
    timeout: float = Field(default=30.0, gt=0, description="seconds per SMTP operation")
    notify_failures: list[str] = Field(
        default_factory=list, description="who gets an email when a weekly run fails"
    )
    subject: str = Field(default="{{ title }}", description="Jinja template over the issue")
    ca_file: Path | None = Field(default=None, description="extra CA bundle (self-signed server)")
    retries: int = Field(default=3, ge=0, le=10, description="retries on transient SMTP errors")
    retry_backoff: float = Field(default=2.0, ge=0, description="seconds, doubled per retry")


class ZoteroConfig(Section):
    """The reader's Zotero library, read live (the web API or Zotero's local API): docs/zotero.md."""

    library_id: str | None = Field(
        default=None,
        description="your userID (zotero.org/settings/keys) or the group's number; "
        "set = `papercast run` syncs first (the key comes from ZOTERO_API_KEY); "
        "0 for your own library through the local API",
    )
    library_type: Literal["user", "group"] = Field(default="user", description="user or group")
    collections: list[str] = Field(
        default_factory=list,
        description="only these collections (names or keys; subcollections included); "
        "empty: the whole library",
    )
    exclude_collections: list[str] = Field(
        default_factory=list, description="leave out these collections (names or keys)"
    )
    api_url: str = Field(
        default="https://api.zotero.org",
        description="the Zotero web API, or the desktop app's local API "
        "(Zotero 7+: http://localhost:23119/api/; no key, read in full each sync)",
    )
    page_size: int = Field(default=100, ge=1, le=100, description="items per request")
    max_wait: float = Field(
        default=300.0, ge=0, description="longest Backoff/Retry-After honoured, in seconds"
    )
    retries: int = Field(default=4, ge=0, le=10, description="retries of a rate-limited request")

    @field_validator("library_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        # `library_id = 0` (the local API's own library) or a bare number in TOML
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @property
    def local(self) -> bool:
        """``api_url`` is the desktop app's local API (its path is ``/api``), not the web API."""
        from urllib.parse import urlsplit

        return urlsplit(self.api_url).path.rstrip("/") == "/api"

    @property
    def configured(self) -> bool:
        return bool(self.library_id)


NotifyEvent = Literal["issue", "empty", "failure"]
_ALL_EVENTS: tuple[NotifyEvent, ...] = ("issue", "empty", "failure")


class NotifyConfig(Section):
    """Chat and push channels through Apprise (Slack, Discord, Telegram, Matrix, Teams, ntfy,
    email, JSON webhooks...): docs/notify.md."""

    urls: list[str] = Field(
        default_factory=list,
        description="Apprise URLs, one per channel; write secrets as ${ENV_VAR} (expanded from "
        "the environment when sending, never stored or logged)",
    )
    events: list[NotifyEvent] = Field(
        default_factory=lambda: list(_ALL_EVENTS),
        description="issue (the week's highlights), empty (a week with nothing new, and why), "
        "failure (a run that failed or half-failed)",
    )
    retries: int = Field(default=2, ge=0, le=10, description="retries of a channel that fails")
    retry_backoff: float = Field(default=5.0, ge=0, description="seconds, doubled per retry")


class PodcastConfig(Section):
    title: str | None = Field(
        default=None, description="the podcast title (default: [issue] show_name)"
    )
    description: str | None = Field(
        default=None,
        description='the podcast description (default: "Weekly summaries of new research '
        'papers, read aloud." in [issue] language)',
    )
    author: str = Field(default="papercast", description="itunes:author")
    email: str | None = Field(default=None, description="the owner email Apple asks for")
    image: str | None = Field(default=None, description="cover art URL (square, 1400-3000 px)")
    language: str | None = Field(
        default=None, description="RSS language code (default: [issue] language)"
    )
    category: str = Field(
        default="Science", description='Apple podcast category, e.g. "Science > Natural Sciences"'
    )
    explicit: bool = Field(default=False, description="itunes:explicit")
    base_url: str | None = Field(default=None, description="public URL where episodes live")


OutputFormat = Literal["md", "html", "email", "txt", "substack", "bib"]
_ALL_FORMATS: tuple[OutputFormat, ...] = ("md", "html", "email", "txt", "substack", "bib")


class PublishConfig(Section):
    out_dir: Path = Field(
        default=Path("papercast-out"), description="where each issue folder is written"
    )
    formats: list[OutputFormat] = Field(
        default_factory=lambda: list(_ALL_FORMATS), description="which renderings to write"
    )
    audio: bool = Field(default=True, description="build the episode in `papercast run`")
    feed: bool = Field(
        default=True, description="write the podcast feed (needs [podcast] base_url)"
    )
    site_dir: Path | None = Field(
        default=None, description="also write the static archive site here"
    )
    notes_dir: Path | None = Field(
        default=None,
        description="also write one Markdown note per paper here (e.g. an Obsidian vault)",
    )
    email: bool = Field(default=False, description="also email the issue to [email] to")
    site_url: str | None = Field(default=None, description="public URL of the archive site")


class RankConfig(Section):
    backend: Annotated[str, RANK_BACKEND] = Field(
        default="tfidf",
        description="tfidf (offline default), hybrid (tfidf + a static embedding model: "
        "papercast[static]), embeddings, local (sentence-transformers) or keywords",
    )
    interests: str = Field(default="", description="what you want to read, in your own words")
    boosts: dict[str, float] = Field(
        default_factory=dict, description="keyword or phrase -> added to the score on a match"
    )
    min_score: float | None = Field(default=None, description="drop candidates scoring below this")
    llm_top_k: int = Field(
        default=0, ge=0, description="re-score the top K with an LLM relevance pass (0 = off)"
    )
    llm_model: str | None = Field(default=None, description="default: [llm] model")
    llm_batch_size: int = Field(default=10, ge=1, le=50, description="papers per LLM request")
    llm_weight: float = Field(
        default=0.5, ge=0, le=1, description="share of the LLM's relevance in the top-K score"
    )
    embedding_model: str = Field(
        default="text-embedding-3-small",
        description='the embeddings model for backend = "embeddings"',
    )
    local_model: str = Field(
        default="sentence-transformers/all-MiniLM-L6-v2",
        description="backend 'local': a sentence-transformers model name or path",
    )
    static_model_dir: Path | None = Field(
        default=None,
        description="backend 'hybrid': a folder of WordLlama weights/ and tokenizers/ "
        "(default: the model shipped in the wordllama package)",
    )
    embedding_base_url: str | None = Field(
        default=None, description="OpenAI-compatible URL for embeddings (default: [llm] base_url)"
    )
    embedding_batch_size: int = Field(
        default=256, ge=1, le=2048, description="texts per embeddings request"
    )
    embedding_price: float = Field(default=0.02, ge=0, description="USD per million tokens")
    recency_half_life_days: float = Field(
        default=365.0, gt=0, description="a pick this many days older counts half as much"
    )
    regularization: float = Field(default=0.3, gt=0, description="C of the linear model")


class ServeConfig(Section):
    """`papercast serve`: the local web app."""

    host: str = Field(
        default="127.0.0.1",
        description="address to bind; anything but 127.0.0.1, ::1 or localhost needs a token",
    )
    port: int = Field(default=8765, ge=0, le=65535, description="TCP port (0: any free port)")
    token: SecretStr | None = Field(
        default=None,
        description="PAPERCAST_SERVE__TOKEN: required to bind a non-local address; "
        "open the app once with ?token=... (or send Authorization: Bearer ...)",
    )
    page_size: int = Field(
        default=50, ge=10, le=500, description="candidates per page of a week (more load on demand)"
    )
    max_upload_mb: int = Field(
        default=25, ge=1, le=200, description="largest PDF the app accepts for one-paper summaries"
    )


class Settings(BaseSettings):
    """All of papercast's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="PAPERCAST_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    home: Path | None = Field(default=None, description="state directory (PAPERCAST_HOME)")
    arxiv: ArxivConfig = Field(default_factory=ArxivConfig)
    biorxiv: BiorxivConfig = Field(default_factory=BiorxivConfig)
    feeds: FeedsConfig = Field(default_factory=FeedsConfig)
    download: DownloadConfig = Field(default_factory=DownloadConfig)
    select: SelectConfig = Field(default_factory=SelectConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    issue: IssueConfig = Field(default_factory=IssueConfig)
    audio: AudioConfig = Field(default_factory=AudioConfig)
    email: EmailConfig = Field(default_factory=EmailConfig)
    podcast: PodcastConfig = Field(default_factory=PodcastConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    zotero: ZoteroConfig = Field(default_factory=ZoteroConfig)
    publish: PublishConfig = Field(default_factory=PublishConfig)
    rank: RankConfig = Field(default_factory=RankConfig)
    serve: ServeConfig = Field(default_factory=ServeConfig)

    # Where the values came from, for messages; not a setting.
    config_file: Path | None = Field(default=None, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the file; the file arrives as init kwargs.
        return (env_settings, init_settings)


# Environment variables with our prefix that are not settings.
_NON_SETTING_ENV = {"PAPERCAST_RAISE_ERRORS", "PAPERCAST_DEBUG"}


def find_config_file(explicit: Path | None, cwd: Path | None = None) -> Path | None:
    """``--config PATH`` (must exist), else ``./papercast.toml`` if present."""
    if explicit is not None:
        if explicit.is_dir():
            inside = explicit / CONFIG_FILENAME
            raise ConfigError(
                f"--config {explicit} is a folder, not a config file",
                f"give the file: --config {inside}"
                if inside.is_file()
                else "give the path of a papercast.toml file",
            )
        if not explicit.is_file():
            raise ConfigError(
                f"config file {explicit} does not exist",
                "check the path, or run `papercast init` to write one",
            )
        return explicit
    candidate = (cwd or Path.cwd()) / CONFIG_FILENAME
    return candidate if candidate.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    """The file's TOML; a UTF-8 byte order mark (Windows editors write one) is allowed."""
    try:
        text = path.read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}", "fix the syntax at that line"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text", "save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", "check its permissions") from None


# Secrets a config file may hold but should not: files get backed up, synced and committed.
_SECRETS_IN_FILE = (
    ("llm", "api_key", "set OPENAI_API_KEY, or point [llm] api_key_file at a private file"),
    ("email", "password", "set PAPERCAST_EMAIL__PASSWORD"),
    ("serve", "token", "set PAPERCAST_SERVE__TOKEN"),
)


def _warn_secrets_in_file(data: dict[str, Any], path: Path) -> None:
    for section, key, instead in _SECRETS_IN_FILE:
        values = data.get(section)
        if isinstance(values, dict) and key in values:
            log.warning(
                "[%s] %s is written in %s, where backups, sync and git can leak it: %s instead",
                section,
                key,
                path,
                instead,
            )


def _has_key(data: dict[str, Any], loc: tuple[int | str, ...]) -> bool:
    node: Any = data
    for part in loc:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _describe(
    exc: ValidationError, data: dict[str, Any], path: Path | None, origin: str | None = None
) -> str:
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        key = ".".join(str(p) for p in loc)
        if origin is not None:
            where = origin
        elif path is not None and _has_key(data, loc):
            where = str(path)
        else:
            where = "environment variable PAPERCAST_" + "__".join(str(p).upper() for p in loc)
        if error["type"] == "extra_forbidden":
            lines.append(f"unknown key '{key}' in {where}")
        else:
            lines.append(f"'{key}' in {where}: {error['msg']}")
    return "; ".join(lines)


def _check_env_prefix(environ: dict[str, str]) -> None:
    """pydantic-settings ignores unknown top-level PAPERCAST_* variables; we don't."""
    known = {name.upper() for name in Settings.model_fields if name != "config_file"}
    for name in environ:
        if not name.startswith("PAPERCAST_") or name in _NON_SETTING_ENV:
            continue
        head = name[len("PAPERCAST_") :].split("__", 1)[0]
        if head not in known:
            raise ConfigError(
                f"unknown setting in environment variable {name}",
                "settings look like PAPERCAST_<SECTION>__<KEY>, e.g. PAPERCAST_ARXIV__DELAY_SECONDS",
            )


def load_settings(
    config_path: Path | None = None,
    *,
    cwd: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Load and validate configuration; raises ConfigError naming the bad key and its origin."""
    path = find_config_file(config_path, cwd)
    data = _read_toml(path) if path else {}
    for key in data:
        # '_env_file', '_cli_parse_args'... are pydantic-settings' constructor options, not
        # settings: from a file they would change how settings load (or parse sys.argv)
        if key == "config_file" or key.startswith("_"):
            raise ConfigError(f"unknown key '{key}' in {path}", "remove it")
    merged = dict(data)
    for key, value in (overrides or {}).items():
        merged[key] = value
    _check_env_prefix(dict(os.environ))
    try:
        settings = Settings(**merged)
    except ValidationError as exc:
        raise ConfigError(
            f"invalid configuration: {_describe(exc, data, path)}",
            "see the configuration reference in the README",
        ) from None
    except SettingsError as exc:  # e.g. PAPERCAST_ARXIV='' or a list that is not JSON
        raise ConfigError(
            f"invalid configuration: {exc}",
            "lists and tables from the environment are JSON, "
            "e.g. PAPERCAST_ARXIV__CATEGORIES='[\"cs.LG\"]'",
        ) from None
    settings.config_file = path
    if path is not None:
        _resolve_relative_paths(settings, path.parent)
        _warn_secrets_in_file(data, path)
    return settings


def _resolve_relative_paths(settings: Settings, base: Path) -> None:
    """Paths in a config file are relative to the file, not to where papercast runs; ``~`` is
    the user's home (``notes_dir = "~/Obsidian/Papers"``)."""
    sections = (settings.llm, settings.issue, settings.audio, settings.publish, settings.email)
    for section in sections:
        for name, value in section:
            if isinstance(value, Path) and not value.is_absolute():
                home = value.expanduser()
                setattr(section, name, home if home.is_absolute() else base / value)


def openai_api_key(settings: Settings) -> str | None:
    """The key from OPENAI_API_KEY, [llm] api_key (env) or api_key_file; never logged."""
    if settings.llm.api_key is not None:
        return settings.llm.api_key.get_secret_value()
    if settings.llm.api_key_file is not None:
        try:
            return settings.llm.api_key_file.read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise ConfigError(
                f"cannot read llm.api_key_file {settings.llm.api_key_file}: {exc.strerror}",
                "check the path and its permissions",
            ) from None
    return os.environ.get("OPENAI_API_KEY") or None


class _ExactSettings(Settings):
    """Settings built from values alone: the environment is not consulted."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def derive(
    settings: Settings, changes: Mapping[str, Any], *, origin: str = "the command line"
) -> Settings:
    """``settings`` with ``changes`` applied, validated like a file: the one way to override.

    ``changes`` maps a section to the keys that change (``{"llm": {"model": "x"}}``) or a
    top-level key to its value (``{"home": path}``). The environment is not read again and
    secrets carry over; an invalid value is a ConfigError naming the key and ``origin``.
    """
    data = settings.model_dump(exclude={"config_file"})
    for name, value in changes.items():
        data[name] = {**data[name], **value} if isinstance(value, Mapping) else value
    try:
        built = _ExactSettings(**data)
    except ValidationError as exc:
        raise ConfigError(
            f"invalid configuration: {_describe(exc, data, None, origin)}",
            "see the command's --help and docs/configuration.md",
        ) from None
    result = Settings.model_construct(
        **{name: getattr(built, name) for name in Settings.model_fields}
    )
    result.config_file = settings.config_file
    return result

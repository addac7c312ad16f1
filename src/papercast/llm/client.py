"""The one place papercast builds ``openai`` clients and turns their errors into ours.

Summaries, the Batch API, the relevance pass, embeddings and OpenAI TTS all connect through
``endpoint(settings, purpose)``, which decides in one place:

- **the key**: OPENAI_API_KEY, ``[llm] api_key`` (environment) or ``[llm] api_key_file``;
- **the base URL**: the purpose's own setting (``[audio] base_url`` for speech, ``[rank]
  embedding_base_url`` for embeddings), else ``[llm] base_url`` (not for speech: a chat server
  is rarely a TTS server), else OPENAI_BASE_URL, else OpenAI itself;
- **the no-key rule**: a key is needed unless a base URL points at a server (local servers
  usually want none; the SDK is then given a placeholder);
- **timeouts and retries**: ``[llm] timeout``/``max_retries``, or ``[audio] openai_timeout``/
  ``openai_max_retries`` for speech.

``translate(exc, endpoint)`` turns any ``openai`` exception into an ``LLMCallError`` whose
message says what went wrong and what to do (never the key); ``call_status`` names it for the
call logs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

import openai

from papercast.config import Settings, openai_api_key
from papercast.errors import AudioError, ConfigError, PapercastError
from papercast.llm.base import ContextOverflowError, LLMCallError
from papercast.logs import redact
from papercast.models import CallStatus

Purpose = Literal["summary", "batch", "relevance", "embedding", "speech"]
NO_KEY = "not-needed"  # what the SDK is given for a server that wants no key


@dataclass(frozen=True)
class _Rule:
    """How one purpose connects, and how its messages name the settings involved."""

    server: str  # "the LLM server"
    section: str  # where its settings are
    model_setting: str
    timeout_setting: str
    url_setting: str
    busy_hint: str
    missing_key: str
    missing_key_hint: str
    missing_key_error: type[PapercastError] = ConfigError


_RULES: dict[Purpose, _Rule] = {
    "summary": _Rule(
        section="[llm]",
        server="the LLM server",
        model_setting="[llm] model (or --model)",
        timeout_setting="[llm] timeout",
        url_setting="[llm] base_url / OPENAI_BASE_URL",
        busy_hint="lower [llm] max_concurrency, or use --batch",
        missing_key="[llm] backend is openai but no API key is set",
        missing_key_hint="set OPENAI_API_KEY, point [llm] base_url at a local server, or use "
        "--backend extractive",
    ),
    "batch": _Rule(
        section="[llm]",
        server="the Batch API",
        model_setting="[llm] model (or --model)",
        timeout_setting="[llm] timeout",
        url_setting="[llm] base_url / OPENAI_BASE_URL",
        busy_hint="try again later",
        missing_key="--batch needs the OpenAI-compatible backend",
        missing_key_hint="set OPENAI_API_KEY (the Batch API is an OpenAI feature), or drop --batch",
    ),
    "relevance": _Rule(
        section="[rank]",
        server="the LLM server",
        model_setting="[rank] llm_model (or [llm] model)",
        timeout_setting="[llm] timeout",
        url_setting="[llm] base_url / OPENAI_BASE_URL",
        busy_hint="lower [rank] llm_top_k",
        missing_key="[rank] llm_top_k needs an LLM: no API key found",
        missing_key_hint="set OPENAI_API_KEY (or [llm] base_url for a local server), or set "
        "llm_top_k = 0",
    ),
    "embedding": _Rule(
        section="[rank]",
        server="the embeddings endpoint",
        model_setting="[rank] embedding_model",
        timeout_setting="[llm] timeout",
        url_setting="[rank] embedding_base_url / [llm] base_url",
        busy_hint="lower [rank] embedding_batch_size, or use backend = 'tfidf'",
        missing_key="the embeddings ranking backend needs an API key",
        missing_key_hint="set OPENAI_API_KEY, point [rank] embedding_base_url at a local server, "
        "or use [rank] backend = 'tfidf' (offline)",
    ),
    "speech": _Rule(
        section="[audio]",
        server="the TTS server",
        model_setting="[audio] openai_model",
        timeout_setting="[audio] openai_timeout",
        url_setting="[audio] base_url / OPENAI_BASE_URL",
        busy_hint="lower [audio] workers",
        missing_key="the OpenAI TTS engine needs an API key",
        missing_key_hint='set OPENAI_API_KEY, or use [audio] engine = "piper" for offline speech',
        missing_key_error=AudioError,
    ),
}


@dataclass(frozen=True)
class Endpoint:
    """Where and how one purpose talks to an OpenAI-compatible server."""

    purpose: Purpose
    api_key: str | None
    base_url: str | None
    timeout: float
    max_retries: int

    @property
    def where(self) -> str:
        return self.base_url or "api.openai.com"

    def redact(self, text: str) -> str:
        """``text`` without the key (also one read from a key file) or anything key-shaped."""
        return redact(text, [self.api_key] if self.api_key else None)

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(
            api_key=self.api_key or NO_KEY,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )

    def async_client(self) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            api_key=self.api_key or NO_KEY,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )


def base_url(settings: Settings, purpose: Purpose = "summary") -> str | None:
    """The server ``purpose`` talks to (None: OpenAI itself)."""
    own = {"speech": settings.audio.base_url, "embedding": settings.rank.embedding_base_url}
    shared = None if purpose == "speech" else settings.llm.base_url
    return own.get(purpose) or shared or os.environ.get("OPENAI_BASE_URL") or None


def configured(settings: Settings) -> bool:
    """True when summaries can reach a model: a key, or a server that needs none."""
    return bool(openai_api_key(settings) or base_url(settings))


def endpoint(settings: Settings, purpose: Purpose) -> Endpoint:
    """The endpoint for ``purpose``; the purpose's own error when there is no key and no server."""
    key = openai_api_key(settings)
    url = base_url(settings, purpose)
    if key is None and url is None:
        rule = _RULES[purpose]
        raise rule.missing_key_error(rule.missing_key, rule.missing_key_hint)
    if purpose == "speech":
        timeout, retries = settings.audio.openai_timeout, settings.audio.openai_max_retries
    else:
        timeout, retries = settings.llm.timeout, settings.llm.max_retries
    return Endpoint(purpose, key, url, timeout, retries)


def error_message(exc: openai.APIStatusError) -> str:
    """The server's own words for an error (OpenAI nests them in ``error.message``)."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
    return str(exc.message)


def is_context_overflow(exc: openai.APIStatusError) -> bool:
    text = (error_message(exc) + " " + str(getattr(exc, "code", "") or "")).lower()
    return "context_length" in text or "context length" in text or "too many tokens" in text


def call_status(exc: openai.OpenAIError) -> CallStatus:
    """How a failed call is recorded in the call log."""
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.RateLimitError):
        return "rate_limited"
    return "error"


def translate(exc: openai.OpenAIError, where: Endpoint, model: str | None = None) -> LLMCallError:
    """``exc`` as an error a user can act on; ``fatal`` when no retry or other paper can help."""
    rule = _RULES[where.purpose]
    server, at, retries = rule.server, where.where, where.max_retries
    if isinstance(exc, openai.AuthenticationError):
        return LLMCallError(
            f"{server} at {at} rejected the API key (HTTP 401)",
            "check OPENAI_API_KEY or [llm] api_key_file (the key is not shown here)",
            fatal=True,
        )
    if isinstance(exc, openai.PermissionDeniedError):
        return LLMCallError(
            f"{server} at {at} refused access (HTTP 403)",
            "check that the key may use this model",
            fatal=True,
        )
    if isinstance(exc, openai.NotFoundError) and model:
        return LLMCallError(
            f"model {model!r} was not found on {at} (HTTP 404)",
            f"set {rule.model_setting} to a model the server lists at /v1/models",
            fatal=True,
        )
    if isinstance(exc, openai.BadRequestError) and is_context_overflow(exc):
        return ContextOverflowError(
            f"the paper did not fit {model or 'the model'}'s context window",
            "lower [llm] context_tokens or fulltext_max_tokens",
        )
    if isinstance(exc, openai.RateLimitError):
        return LLMCallError(f"rate limited by {at} after {retries} retries", rule.busy_hint)
    if isinstance(exc, openai.APITimeoutError):
        return LLMCallError(
            f"no answer from {at} within {where.timeout:g}s ({retries} retries)",
            f"raise {rule.timeout_setting} or check the server",
        )
    if isinstance(exc, openai.APIConnectionError):
        return LLMCallError(
            f"cannot connect to {server} at {at}",
            f"check {rule.url_setting} and that the server is running",
        )
    if isinstance(exc, openai.APIStatusError):
        return LLMCallError(
            f"{server} at {at} answered HTTP {exc.status_code}: "
            f"{where.redact(error_message(exc))[:200]}",
            "try again later" if exc.status_code >= 500 else f"check {rule.section} settings",
        )
    return LLMCallError(f"{server} call failed: {where.redact(str(exc))[:200]}")

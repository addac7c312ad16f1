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

import json
import os
import re
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
# How servers say a prompt was too long (OpenAI, vLLM, llama.cpp, Ollama...).
_OVERFLOW_WORDS = (
    "context_length",
    "context length",
    "context window",
    "maximum model length",
    "too many tokens",
    "exceed context",
)
_OVERFLOW_LIMIT = re.compile(
    r"(?:context (?:length|window) (?:is|of)|maximum model length(?: is)?)\D{0,12}(\d+)", re.I
)
_OVERFLOW_PROMPT = (  # the prompt's size in the server's tokens, most precise wording first
    re.compile(r"(\d+) in the messages", re.I),
    re.compile(r"prompt contains(?: at least)? (\d+)", re.I),
    re.compile(r"(?:messages )?resulted in (\d+) tokens", re.I),
    re.compile(r"requested(?: tokens)? \(?(\d+)", re.I),  # prompt + completion: conservative
)


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

    def async_client(self, *, max_retries: int | None = None) -> openai.AsyncOpenAI:
        """An async client; ``max_retries=0`` for a caller that retries by itself."""
        return openai.AsyncOpenAI(
            api_key=self.api_key or NO_KEY,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries if max_retries is None else max_retries,
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
        if body.get("detail"):  # FastAPI's validation errors (llama-cpp-python's 422)
            return json.dumps(body["detail"])[:1000]
    if isinstance(body, str) and body.strip():
        return body
    return str(exc.message)


def error_text(exc: openai.APIStatusError) -> str:
    """Everything the error says (message, code, body), to recognise what it is about."""
    body = exc.body
    dumped = json.dumps(body, default=str) if body is not None else exc.response.text
    code = str(getattr(exc, "code", "") or "")
    return f"{error_message(exc)} {code} {dumped}"[:4000]


def status_line(exc: openai.APIStatusError) -> str:
    """``HTTP 500: <the server's message>`` on one line (servers put tracebacks in there)."""
    message = " ".join(redact(error_message(exc)).split())
    return f"HTTP {exc.status_code}: {message[:200]}"


def is_context_overflow(exc: openai.APIStatusError) -> bool:
    if exc.status_code not in (400, 413, 422, 429, 500):
        return False
    text = error_text(exc).lower()
    return any(word in text for word in _OVERFLOW_WORDS)


def _first_int(patterns: tuple[re.Pattern[str], ...], text: str) -> int | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    return None


def call_status(exc: openai.OpenAIError | TimeoutError) -> CallStatus:
    """How a failed call is recorded in the call log."""
    if isinstance(exc, openai.APITimeoutError | TimeoutError):
        return "timeout"
    if isinstance(exc, openai.RateLimitError):
        return "rate_limited"
    return "error"


def translate(
    exc: openai.OpenAIError | TimeoutError,
    where: Endpoint,
    model: str | None = None,
    *,
    attempts: int | None = None,
    repeated: bool = False,
) -> LLMCallError:
    """``exc`` as an error a user can act on; ``fatal`` when no retry or other paper can help.

    ``attempts``: how many tries the caller made itself (else the SDK retried ``max_retries``
    times); ``repeated``: the server gave the same 5xx twice, so it was not retried further.
    """
    rule = _RULES[where.purpose]
    server, at = rule.server, where.where
    if attempts is None:
        tries = f"{where.max_retries} retries"
    else:
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
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
    if isinstance(exc, openai.APIStatusError) and is_context_overflow(exc):
        text = error_text(exc)
        return ContextOverflowError(
            f"the paper did not fit {model or 'the model'}'s context window",
            "set [llm] context_tokens to the server's context size (docs/llm-servers.md)",
            limit=_first_int((_OVERFLOW_LIMIT,), text),
            prompt_tokens=_first_int(_OVERFLOW_PROMPT, text),
        )
    if isinstance(exc, openai.RateLimitError):
        return LLMCallError(f"rate limited by {at} ({tries})", rule.busy_hint)
    if isinstance(exc, openai.APITimeoutError | TimeoutError):
        return LLMCallError(
            f"no answer from {at} within {where.timeout:g}s ({tries})",
            f"raise {rule.timeout_setting} or check the server",
        )
    if isinstance(exc, openai.APIConnectionError):
        return LLMCallError(
            f"cannot connect to {server} at {at} ({tries})",
            f"check {rule.url_setting} and that the server is running",
        )
    if isinstance(exc, openai.APIStatusError):
        if repeated:
            return LLMCallError(
                f"{server} at {at} answered the same error twice ({status_line(exc)}): "
                "not an outage, so not retried further",
                f"check the server's log and {rule.section} settings (docs/llm-servers.md)",
            )
        return LLMCallError(
            f"{server} at {at} answered {where.redact(status_line(exc))} ({tries})",
            "try again later" if exc.status_code >= 500 else f"check {rule.section} settings",
        )
    return LLMCallError(f"{server} call failed: {where.redact(str(exc))[:200]}")

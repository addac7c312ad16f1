"""Any OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp, OpenRouter) via the SDK.

What each server does with structured outputs, JSON mode, usage and long prompts is in
docs/llm-servers.md; this module is written against that table, not against OpenAI alone:

- **Response formats, strongest first** (``papercast.llm.schema.FORMATS``): ``json_schema``
  (structured outputs), ``json_object`` with the schema beside it (llama.cpp's server constrains
  its output to it), plain ``json_object``, then the prompt alone. Below the first rung the
  schema is also written into the system prompt. A server that rejects a rung, whatever the
  status code (llama-cpp-python answers 500), is recognised by its error body or by the same
  5xx twice in a row; the next rung is tried at once and, when it works, remembered for the
  rest of the run. Every reply is validated against ``Summary``; an invalid one gets one repair
  turn with the validation error.
- **Retries are ours, not the SDK's** (tenacity): connection errors, timeouts, 429 (honouring
  ``Retry-After``), 408/409/425 and 5xx are retried up to ``[llm] max_retries`` times with
  exponential backoff; an error that says what is wrong with the request (a rejected format, a
  context overflow, another 4xx) and a 5xx repeated word for word are not: waiting would not
  change the answer. Every attempt has a hard deadline (``[llm] timeout``), so nothing hangs.
- **Usage**: from the server's ``usage`` when it reports one, else estimated from the text
  (4 characters a token) and marked ``usage_estimated``.
- **Output cap**: ``max_completion_tokens`` for OpenAI itself, ``max_tokens`` for every other
  server (Ollama, for one, ignores the newer name).

Errors become LLMCallError with a message that says what to do; the key is never shown.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import openai
import pydantic
from pydantic import BaseModel, ConfigDict
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from papercast.config import LLMConfig
from papercast.http import parse_retry_after
from papercast.llm.base import (
    BackendResult,
    ContextOverflowError,
    LLMCallError,
    Recorder,
    RepairPrompts,
    SummaryJob,
)
from papercast.llm.client import (
    Endpoint,
    call_status,
    error_text,
    is_context_overflow,
    status_line,
    translate,
)
from papercast.llm.pricing import cost_usd, estimate_tokens
from papercast.llm.schema import FORMATS, ResponseFormat, response_format, summary_response_format
from papercast.logs import redact
from papercast.models import CallLog, CallStatus, Summary, Usage

log = logging.getLogger(__name__)

_NO_TEMPERATURE = ("o1", "o3", "o4", "gpt-5")
_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)
_RETRY_STATUSES = frozenset({408, 409, 425, 429})
_CUT_OFF = "the reply was cut off"
_MAX_BACKOFF = 8.0
_MAX_RETRY_AFTER = 60.0
_FORMAT_WORDS = (
    "response_format",
    "json_schema",
    "json_object",
    "json schema",
    "grammar",
    "schema",
)


class OpenAIOptions(BaseModel):
    """How the backend asks for a summary; built from [llm] (the endpoint: llm.client)."""

    model_config = ConfigDict(extra="forbid")

    model: str
    temperature: float = 0.2
    max_output_tokens: int = 1800


class _Invalid(Exception):
    """The reply was not a valid Summary (bad JSON, wrong shape, cut off)."""


@dataclass(frozen=True)
class _Ask:
    """One structured request: the prompts, the schema per response-format rung, how a reply
    is checked, and the prompts for servers without structured outputs and for repairs."""

    system: str
    user: str
    response_format: Callable[[ResponseFormat], dict[str, Any] | None]
    parse: Callable[[str], object]  # raises _Invalid
    json_mode: Callable[[], str]
    repair: Callable[[str], str]


class _FormatRejected(Exception):
    """The server does not accept the response_format rung that was asked for.

    ``certain``: the error says so; otherwise the same 5xx came twice, which may or may not be
    about the format (one step down tells).
    """

    def __init__(self, reason: str, *, certain: bool) -> None:
        super().__init__(reason)
        self.certain = certain


class _Attempts:
    """Retry bookkeeping for one request: which errors are transient, and how long to wait."""

    def __init__(self, sends_format: bool) -> None:
        self.sends_format = sends_format
        self.count = 0
        self.last_5xx: str | None = None
        self.repeated_5xx = False

    def transient(self, exc: BaseException) -> bool:
        self.count += 1
        if isinstance(exc, openai.APITimeoutError | openai.APIConnectionError | TimeoutError):
            return True
        if not isinstance(exc, openai.APIStatusError):
            return False
        if is_context_overflow(exc) or (self.sends_format and _rejects_format(exc)):
            return False
        if exc.status_code in _RETRY_STATUSES:
            return True
        if exc.status_code >= 500:
            body = error_text(exc)
            if body == self.last_5xx:  # the same answer twice: a bug, not an outage
                self.repeated_5xx = True
                return False
            self.last_5xx = body
            return True
        return False

    @staticmethod
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, openai.APIStatusError):
            headers = exc.response.headers
            millis = headers.get("retry-after-ms")
            after = (
                float(millis) / 1000
                if millis and millis.replace(".", "", 1).isdigit()
                else parse_retry_after(headers.get("retry-after"))
            )
            if after is not None:
                return min(after, _MAX_RETRY_AFTER)
        backoff = min(_MAX_BACKOFF, 0.5 * 2.0 ** (state.attempt_number - 1))
        return float(backoff * (1 + random.random() / 4))


def _describe_validation(exc: pydantic.ValidationError | ValueError) -> str:
    if isinstance(exc, pydantic.ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "reply"
        return f"{where}: {first['msg']}"
    return str(exc)


def parse_summary(reply: str) -> Summary:
    """The Summary in a reply: fences and any prose around the JSON object are ignored."""
    return parse_reply(reply, Summary)


ModelT = TypeVar("ModelT", bound=BaseModel)


def parse_reply(reply: str, model: type[ModelT]) -> ModelT:
    """The ``model`` in a reply: fences and any prose around the JSON object are ignored."""
    text = _FENCE.sub("", reply).strip()
    if not text:
        raise _Invalid("the reply was empty")
    start = text.find("{")
    if start < 0:
        raise _Invalid("the reply holds no JSON object")
    try:
        data, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError as exc:
        raise _Invalid(f"invalid JSON: {exc}") from None
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise _Invalid(_describe_validation(exc)) from None


class OpenAIBackend:
    """SummaryBackend for OpenAI-compatible chat completion servers."""

    name = "openai"
    kind: Literal["llm", "extractive"] = "llm"

    def __init__(
        self, options: OpenAIOptions, endpoint: Endpoint, config: LLMConfig, prompts: RepairPrompts
    ) -> None:
        self.options = options
        self.endpoint = endpoint
        self.model = options.model
        self.config = config
        self.prompts = prompts
        self.rung = 0  # index into FORMATS: the strongest format this server has accepted
        self.official = endpoint.base_url is None or (
            urlsplit(endpoint.base_url).hostname or ""
        ).endswith("api.openai.com")
        self.client = endpoint.async_client(max_retries=0)  # retries are ours: see _Attempts

    @property
    def where(self) -> str:
        return self.endpoint.where

    @property
    def structured(self) -> bool:
        return FORMATS[self.rung] == "json_schema"

    async def aclose(self) -> None:
        await self.client.close()

    def _params(self, fmt: ResponseFormat, ask: _Ask | None = None) -> dict[str, Any]:
        cap = "max_completion_tokens" if self.official else "max_tokens"
        params: dict[str, Any] = {"model": self.model, cap: self.options.max_output_tokens}
        if not self.model.startswith(_NO_TEMPERATURE):
            params["temperature"] = self.options.temperature
        response_format = (ask.response_format if ask else summary_response_format)(fmt)
        if response_format is not None:
            params["response_format"] = response_format
        return params

    def _messages(
        self, ask: _Ask, fmt: ResponseFormat, repair: tuple[str, str] | None
    ) -> list[dict[str, str]]:
        system = ask.system
        if fmt != "json_schema":
            system = system + "\n" + ask.json_mode()
        messages = [{"role": "system", "content": system}, {"role": "user", "content": ask.user}]
        if repair is not None:
            reply, error = repair
            if not error.startswith(_CUT_OFF):  # a cut-off reply is not worth its context
                messages.append({"role": "assistant", "content": reply[:4000]})
            messages.append({"role": "user", "content": ask.repair(error)})
        return messages

    async def summarize(self, job: SummaryJob, record: Recorder) -> BackendResult:
        ask = _Ask(
            system=job.system,
            user=job.user,
            response_format=summary_response_format,
            parse=parse_summary,
            json_mode=self.prompts.json_mode,
            repair=self.prompts.repair,
        )
        summary, usage = await self._ask(ask, record, "summary", job.paper.id)
        assert isinstance(summary, Summary)
        return BackendResult(summary=summary, usage=usage)

    async def ask_structured(
        self,
        model: type[ModelT],
        *,
        system: str,
        user: str,
        name: str,
        schema: dict[str, Any],
        json_mode: str,
        repair: Callable[[str], str],
        record: Recorder,
        purpose: str,
        label: str = "",
    ) -> tuple[ModelT, Usage]:
        """Any other structured answer (a podcast dialogue, say) through the same ladder of
        response formats, retries, repair turn and call log as summaries. ``schema`` is the
        strict JSON schema of ``model``; ``json_mode`` is the system-prompt addition for
        servers without structured outputs (it should carry the schema)."""
        ask = _Ask(
            system=system,
            user=user,
            response_format=lambda fmt: response_format(name, schema, fmt),
            parse=lambda reply: parse_reply(reply, model),
            json_mode=lambda: json_mode,
            repair=repair,
        )
        answer, usage = await self._ask(ask, record, purpose, label)
        assert isinstance(answer, model)
        return answer, usage

    async def _ask(
        self, ask: _Ask, record: Recorder, purpose: str, label: str
    ) -> tuple[object, Usage]:
        """One answer, with one repair turn when the first is invalid."""
        usage = Usage()
        repair: tuple[str, str] | None = None
        error = ""
        for attempt in (purpose, f"{purpose}-repair"):
            reply, call, problem = await self._complete(ask, repair, record, usage, attempt)
            try:
                if problem is not None:
                    raise _Invalid(problem)
                answer = ask.parse(reply)
            except _Invalid as exc:
                error = str(exc)
                call.status = "invalid"
                call.error = redact(error)[:300]
                record(call)
                log.info("%s: invalid reply (%s): %s", label, attempt, error)
                repair = (reply, error)
                continue
            record(call)
            return answer, usage
        raise LLMCallError(
            f"the model returned invalid JSON twice ({error[:200]})",
            "try a stronger model (or raise [llm] max_output_tokens if replies are cut off)",
        )

    async def _complete(
        self,
        ask: _Ask,
        repair: tuple[str, str] | None,
        record: Recorder,
        usage: Usage,
        purpose: str,
    ) -> tuple[str, CallLog, str | None]:
        """One answer, stepping down the format ladder while the server rejects a rung."""
        rung = self.rung
        guessed = False  # stepped down once already on a repeated 5xx that named no format
        while True:
            fmt = FORMATS[rung]
            messages = self._messages(ask, fmt, repair)
            try:
                answer = await self._call(ask, messages, fmt, record, usage, purpose)
            except _FormatRejected as exc:
                if not exc.certain and guessed:
                    raise LLMCallError(
                        f"the LLM server at {self.where} answered the same error twice for "
                        f"two request formats ({exc}): not an outage, so not retried further",
                        "check the server's log and [llm] settings (docs/llm-servers.md)",
                    ) from None
                if rung + 1 >= len(FORMATS):
                    raise LLMCallError(
                        f"the LLM server at {self.where} rejected every request format ({exc})",
                        "check the server's log; docs/llm-servers.md lists what each server needs",
                    ) from None
                guessed = guessed or not exc.certain
                rung += 1
                if exc.certain:  # the server said so: no need to ask again this run
                    self.rung = max(self.rung, rung)
                log.info("%s rejected %s (%s); trying %s", self.where, fmt, exc, FORMATS[rung])
                continue
            if rung > self.rung:
                log.info("%s: using response format %s from now on", self.where, fmt)
                self.rung = rung
            return answer

    async def _call(
        self,
        ask: _Ask,
        messages: list[dict[str, str]],
        fmt: ResponseFormat,
        record: Recorder,
        usage: Usage,
        purpose: str,
    ) -> tuple[str, CallLog, str | None]:
        """One request (with retries): reply, call log (recorded by the caller), any problem."""
        started = time.monotonic()
        params = self._params(fmt, ask)
        attempts = _Attempts(sends_format="response_format" in params)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(1 + self.endpoint.max_retries),
                wait=_Attempts.wait,
                retry=retry_if_exception(attempts.transient),
                reraise=True,
            ):
                with attempt:
                    async with asyncio.timeout(self.endpoint.timeout + 5):  # a hard deadline
                        raw = await self.client.chat.completions.with_raw_response.create(
                            messages=messages,  # type: ignore[arg-type]
                            **params,
                        )
        except (openai.OpenAIError, TimeoutError) as exc:
            if isinstance(exc, openai.APIStatusError) and attempts.sends_format:
                if _rejects_format(exc) and not is_context_overflow(exc):
                    self._log(record, started, "error", fmt, purpose, status_line(exc))
                    raise _FormatRejected(status_line(exc), certain=True) from None
                if attempts.repeated_5xx:
                    self._log(record, started, "error", fmt, purpose, status_line(exc))
                    raise _FormatRejected(f"{status_line(exc)}, twice", certain=False) from None
            error = self._fail(exc, record, started, fmt, purpose, attempts)
            if isinstance(error, ContextOverflowError):
                error.sent_tokens = sum(estimate_tokens(m["content"]) for m in messages)
            raise error from None
        data = _json_body(raw.http_response)
        choice = (data.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        content = message.get("content")
        reply = content if isinstance(content, str) else ""
        call = self._log_usage(started, data, messages, reply, usage, fmt, purpose)
        if message.get("refusal"):
            call.status = "refusal"
            record(call)
            raise LLMCallError(
                f"the model refused to summarize: {str(message['refusal'])[:200]}",
                "try another model, or the extractive backend (--backend extractive)",
            )
        finish = choice.get("finish_reason")
        if finish == "content_filter":
            call.status = "refusal"
            record(call)
            raise LLMCallError("the model's content filter stopped the reply")
        if finish == "length":
            # Validation decides: a reply cut off after its closing brace is still whole.
            try:
                ask.parse(reply)
            except _Invalid:
                limit = self.options.max_output_tokens
                where = (
                    f"max_output_tokens ({limit})"
                    if call.output_tokens >= limit or call.usage_estimated
                    else f"the end of the server's context, after {call.output_tokens} tokens"
                )
                return reply, call, f"{_CUT_OFF} at {where}: keep every field shorter"
        return reply, call, None

    # --- bookkeeping ------------------------------------------------------------------

    def _log(
        self,
        record: Recorder,
        started: float,
        status: CallStatus,
        fmt: ResponseFormat,
        purpose: str,
        error: str | None = None,
    ) -> None:
        record(
            CallLog(
                model=self.model,
                purpose=purpose,
                status=status,
                duration_ms=int((time.monotonic() - started) * 1000),
                error=redact(error)[:300] if error else None,
                options=self._logged_options(fmt),
            )
        )

    def _logged_options(self, fmt: ResponseFormat) -> dict[str, object]:
        options: dict[str, object] = {
            "structured": fmt == "json_schema",
            "response_format": fmt,
            "max_output_tokens": self.options.max_output_tokens,
        }
        if not self.model.startswith(_NO_TEMPERATURE):
            options["temperature"] = self.options.temperature
        if self.endpoint.base_url:
            options["base_url"] = self.endpoint.base_url
        return options

    def _log_usage(
        self,
        started: float,
        data: dict[str, Any],
        messages: list[dict[str, str]],
        reply: str,
        usage: Usage,
        fmt: ResponseFormat,
        purpose: str,
    ) -> CallLog:
        """A CallLog for an answered request (recorded by the caller), usage added up.

        Servers that report no usage (or zeros) get an estimate from the text, marked as such.
        """
        raw_usage = data.get("usage")
        raw_usage = raw_usage if isinstance(raw_usage, dict) else {}
        tokens_in = _int(raw_usage.get("prompt_tokens") or raw_usage.get("input_tokens"))
        tokens_out = _int(raw_usage.get("completion_tokens") or raw_usage.get("output_tokens"))
        estimated = False
        if tokens_in <= 0:
            tokens_in = sum(estimate_tokens(m["content"]) for m in messages)
            estimated = True
        if tokens_out <= 0 and reply:
            tokens_out = estimate_tokens(reply)
            estimated = True
        cost = cost_usd(self.config, self.model, tokens_in, tokens_out)
        usage.input_tokens += tokens_in
        usage.output_tokens += tokens_out
        usage.cost_usd += cost
        usage.requests += 1
        usage.estimated = usage.estimated or estimated
        return CallLog(
            model=self.model,
            purpose=purpose,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost_usd=cost,
            usage_estimated=estimated,
            duration_ms=int((time.monotonic() - started) * 1000),
            options=self._logged_options(fmt),
        )

    def _fail(
        self,
        exc: openai.OpenAIError | TimeoutError,
        record: Recorder,
        started: float,
        fmt: ResponseFormat,
        purpose: str,
        attempts: _Attempts,
    ) -> LLMCallError:
        error = translate(
            exc, self.endpoint, self.model, attempts=attempts.count, repeated=attempts.repeated_5xx
        )
        self._log(record, started, call_status(exc), fmt, purpose, error.message)
        return error


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        return 0


def _json_body(response: Any) -> dict[str, Any]:
    try:
        data = json.loads(response.content)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _rejects_format(exc: openai.APIStatusError) -> bool:
    """The error is about the response_format we sent (any 4xx/5xx that says so)."""
    if exc.status_code in (401, 403, 404, 429) or is_context_overflow(exc):
        return False
    text = error_text(exc).lower()
    return any(word in text for word in _FORMAT_WORDS)

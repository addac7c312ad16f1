"""Any OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp, OpenRouter) via the SDK.

Structured outputs first (``chat.completions.parse`` with the pydantic ``Summary``). A server
that rejects ``json_schema`` is remembered and gets JSON mode instead: the schema goes in the
prompt, the reply is validated, and one repair turn is tried before giving up. Retries with
backoff (honouring ``Retry-After`` on 429) and timeouts are the SDK's, configured from [llm].
Errors become LLMCallError with a message that says what to do; the key is never shown.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any, Literal

import openai
import pydantic
from pydantic import BaseModel, ConfigDict

from papercast.config import LLMConfig
from papercast.llm.base import BackendResult, LLMCallError, Recorder, RepairPrompts, SummaryJob
from papercast.llm.client import (
    Endpoint,
    call_status,
    error_message,
    is_context_overflow,
    translate,
)
from papercast.llm.pricing import cost_usd
from papercast.logs import redact
from papercast.models import CallLog, CallStatus, Summary, Usage

log = logging.getLogger(__name__)

_NO_TEMPERATURE = ("o1", "o3", "o4", "gpt-5")
_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)


class OpenAIOptions(BaseModel):
    """How the backend asks for a summary; built from [llm]."""

    model_config = ConfigDict(extra="forbid")

    model: str
    temperature: float = 0.2
    max_output_tokens: int = 1800


class _Invalid(Exception):
    """The reply was not a valid Summary (bad JSON or wrong shape)."""


class _SchemaUnsupported(Exception):
    """The server does not accept response_format json_schema."""


def _describe_validation(exc: pydantic.ValidationError | ValueError) -> str:
    if isinstance(exc, pydantic.ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "reply"
        return f"{where}: {first['msg']}"
    return str(exc)


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
        self.structured = True
        self.client = endpoint.async_client()

    @property
    def where(self) -> str:
        return self.endpoint.where

    async def aclose(self) -> None:
        await self.client.close()

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "max_completion_tokens": self.options.max_output_tokens,
        }
        if not self.model.startswith(_NO_TEMPERATURE):
            params["temperature"] = self.options.temperature
        return params

    async def summarize(self, job: SummaryJob, record: Recorder) -> BackendResult:
        messages = [
            {"role": "system", "content": job.system},
            {"role": "user", "content": job.user},
        ]
        usage = Usage()
        if self.structured:
            try:
                summary = await self._structured(messages, record, usage)
                return BackendResult(summary=summary, usage=usage)
            except _SchemaUnsupported:
                log.info("%s does not support json_schema; using JSON mode", self.where)
                self.structured = False
            except _Invalid as exc:
                # One repair turn, in JSON mode, with the validation error.
                summary = await self._json_mode(messages, record, usage, first_error=str(exc))
                return BackendResult(summary=summary, usage=usage)
        summary = await self._json_mode(messages, record, usage)
        return BackendResult(summary=summary, usage=usage)

    async def _structured(
        self, messages: list[dict[str, str]], record: Recorder, usage: Usage
    ) -> Summary:
        started = time.monotonic()
        try:
            raw = await self.client.chat.completions.with_raw_response.parse(
                messages=messages,  # type: ignore[arg-type]
                response_format=Summary,
                **self._params(),
            )
        except openai.BadRequestError as exc:
            if _is_schema_unsupported(exc):
                self._log(record, started, "error", error="json_schema unsupported")
                raise _SchemaUnsupported from None
            raise self._fail(exc, record, started) from None
        except openai.OpenAIError as exc:
            raise self._fail(exc, record, started) from None
        data = _json_body(raw.http_response)
        call = self._log_usage(record, started, data, usage)
        try:
            completion = raw.parse()
        except openai.LengthFinishReasonError:
            call.status = "invalid"
            record(call)
            raise _Invalid("the reply was cut off at max_output_tokens") from None
        except openai.ContentFilterFinishReasonError:
            call.status = "refusal"
            record(call)
            raise LLMCallError("the model's content filter stopped the reply") from None
        except (pydantic.ValidationError, ValueError) as exc:
            call.status = "invalid"
            record(call)
            raise _Invalid(_describe_validation(exc)) from None
        message = completion.choices[0].message
        if message.refusal:
            call.status = "refusal"
            record(call)
            raise LLMCallError(
                f"the model refused to summarize: {message.refusal[:200]}",
                "try another model, or the extractive backend (--backend extractive)",
            )
        record(call)
        if message.parsed is None:
            raise _Invalid("the reply was empty")
        return message.parsed

    async def _json_mode(
        self,
        messages: list[dict[str, str]],
        record: Recorder,
        usage: Usage,
        first_error: str | None = None,
    ) -> Summary:
        convo = [
            {"role": "system", "content": messages[0]["content"] + "\n" + self.prompts.json_mode()},
            *messages[1:],
        ]
        error = first_error
        attempts = 1 if first_error is not None else 2
        for attempt in range(attempts):
            if error is not None:
                convo.append({"role": "user", "content": self.prompts.repair(error)})
            reply, call = await self._json_call(convo, record, usage, repair=error is not None)
            try:
                summary = Summary.model_validate_json(_FENCE.sub("", reply))
            except (pydantic.ValidationError, ValueError) as exc:
                call.status = "invalid"
                record(call)
                error = _describe_validation(exc)
                log.info("invalid JSON reply (attempt %d): %s", attempt + 1, error)
                convo.append({"role": "assistant", "content": reply[:4000]})
                continue
            record(call)
            return summary
        raise LLMCallError(
            f"the model returned invalid JSON twice ({error})",
            "try a stronger model, or one that supports structured outputs",
        )

    async def _json_call(
        self, convo: list[dict[str, str]], record: Recorder, usage: Usage, *, repair: bool
    ) -> tuple[str, CallLog]:
        """One JSON-mode request: (reply text, its call log, recorded by the caller)."""
        started = time.monotonic()
        purpose = "summary-repair" if repair else "summary"
        try:
            raw = await self.client.chat.completions.with_raw_response.create(  # type: ignore[call-overload]
                messages=convo,
                response_format={"type": "json_object"},
                **self._params(),
            )
        except openai.OpenAIError as exc:
            raise self._fail(exc, record, started, purpose) from None
        data = _json_body(raw.http_response)
        call = self._log_usage(record, started, data, usage, purpose)
        choice = (data.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        if message.get("refusal"):
            call.status = "refusal"
            record(call)
            raise LLMCallError(
                f"the model refused to summarize: {str(message['refusal'])[:200]}",
                "try another model, or the extractive backend (--backend extractive)",
            )
        content = message.get("content")
        return (content if isinstance(content, str) else ""), call

    # --- bookkeeping ------------------------------------------------------------------

    def _log(
        self,
        record: Recorder,
        started: float,
        status: CallStatus,
        *,
        error: str | None = None,
        purpose: str = "summary",
    ) -> None:
        record(
            CallLog(
                model=self.model,
                purpose=purpose,
                status=status,
                duration_ms=int((time.monotonic() - started) * 1000),
                error=redact(error) if error else None,
                options=self._logged_options(),
            )
        )

    def _logged_options(self) -> dict[str, object]:
        options: dict[str, object] = {
            "structured": self.structured,
            "max_output_tokens": self.options.max_output_tokens,
        }
        if not self.model.startswith(_NO_TEMPERATURE):
            options["temperature"] = self.options.temperature
        if self.endpoint.base_url:
            options["base_url"] = self.endpoint.base_url
        return options

    def _log_usage(
        self,
        record: Recorder,
        started: float,
        data: dict[str, Any],
        usage: Usage,
        purpose: str = "summary",
    ) -> CallLog:
        """A CallLog for a successful HTTP exchange (recorded by the caller), usage added up."""
        raw_usage = data.get("usage") or {}
        tokens_in = int(raw_usage.get("prompt_tokens") or raw_usage.get("input_tokens") or 0)
        tokens_out = int(raw_usage.get("completion_tokens") or raw_usage.get("output_tokens") or 0)
        cost = cost_usd(self.config, self.model, tokens_in, tokens_out)
        usage.input_tokens += tokens_in
        usage.output_tokens += tokens_out
        usage.cost_usd += cost
        usage.requests += 1
        return CallLog(
            model=self.model,
            purpose=purpose,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost_usd=cost,
            duration_ms=int((time.monotonic() - started) * 1000),
            options=self._logged_options(),
        )

    def _fail(
        self, exc: openai.OpenAIError, record: Recorder, started: float, purpose: str = "summary"
    ) -> LLMCallError:
        error = translate(exc, self.endpoint, self.model)
        self._log(record, started, call_status(exc), error=error.message, purpose=purpose)
        return error


def _json_body(response: Any) -> dict[str, Any]:
    try:
        data = json.loads(response.content)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _is_schema_unsupported(exc: openai.BadRequestError) -> bool:
    text = error_message(exc).lower()
    return ("json_schema" in text or "response_format" in text) and not is_context_overflow(exc)

"""What every summary backend implements, and what it reports about each call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from papercast.errors import LLMError
from papercast.models import CallLog, Paper, Summary, Usage

SourceText = Literal["full", "abstract"]


class SummaryJob(BaseModel):
    """One paper to summarize: its metadata, the (budgeted) text and the rendered prompts."""

    model_config = ConfigDict(extra="forbid")

    paper: Paper
    text: str = Field(description="the text the summary is based on (full text or abstract)")
    source_text: SourceText
    system: str
    user: str
    prompt_hash: str


Recorder = Callable[[CallLog], None]


class BackendResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: Summary
    usage: Usage = Field(default_factory=Usage)


class LLMCallError(LLMError):
    """A model call failed. ``fatal`` errors (bad key, unknown model) stop the whole run."""

    def __init__(self, message: str, hint: str | None = None, *, fatal: bool = False) -> None:
        super().__init__(message, hint)
        self.fatal = fatal


class ContextOverflowError(LLMCallError):
    """The prompt did not fit the model's context window.

    ``limit`` (the context) and ``prompt_tokens`` (the prompt sent) are the token counts the
    server named, in its own tokens, when it did; ``sent_tokens`` is papercast's estimate of
    the same prompt (every message as sent, JSON-mode schema included).
    """

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        limit: int | None = None,
        prompt_tokens: int | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.limit = limit
        self.prompt_tokens = prompt_tokens
        self.sent_tokens: int | None = None


class RepairPrompts(Protocol):
    """The prompts a backend may need besides the job's own (the summarize stage's PromptSet)."""

    def json_mode(self) -> str:
        """The system-prompt addition for servers without structured outputs."""
        ...

    def repair(self, error: str) -> str:
        """A follow-up turn asking the model to fix an invalid reply."""
        ...


class SummaryBackend(Protocol):
    """A way of turning a SummaryJob into a Summary."""

    name: str  # registry name: "openai", "extractive"
    kind: Literal["llm", "extractive"]  # SummaryRecord.backend
    model: str

    async def summarize(self, job: SummaryJob, record: Recorder) -> BackendResult:
        """Summarize one paper; report every model call to ``record``; raise LLMCallError."""
        ...

    async def aclose(self) -> None: ...

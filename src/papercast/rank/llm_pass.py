"""Optional LLM relevance pass over the top K of a ranking: cheap model, batched, cached.

``[rank] llm_top_k = 30`` asks the model (``[rank] llm_model``, default ``[llm] model``) to
score each of the top 30 papers 0-10 for this reader, ``llm_batch_size`` papers per request.
The top K are then re-ordered among themselves by
``(1 - llm_weight) * score + llm_weight * relevance / 10``; papers below K are untouched.
Scores are cached by (model, prompt+profile hash, paper text hash), and every request is logged
in ``llm_calls`` (purpose ``relevance``). The pass is an improvement, never a dependency: a
failed or malformed batch is logged and its papers keep their scores.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import openai
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from papercast.config import Settings
from papercast.llm.client import Endpoint, call_status, endpoint, translate
from papercast.llm.pricing import cost_usd
from papercast.llm.prompt_files import (
    neutralize_delimiters,
    prompt_environment,
    template_source,
)
from papercast.models import CallLog, CallStatus
from papercast.rank.models import Profile, RankedPaper
from papercast.store.calls import CallStore
from papercast.store.db import Database
from papercast.store.embeddings import text_hash
from papercast.store.relevance import RelevanceStore

log = logging.getLogger(__name__)

SYSTEM = "relevance-system.j2"
USER = "relevance-user.j2"
MAX_PICKS_SHOWN = 15
MAX_ABSTRACT_CHARS = 1500


class RelevanceScore(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    relevance: int = Field(ge=0, le=10)


class RelevanceBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: list[RelevanceScore]


def _schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "scores": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "relevance": {"type": "integer", "minimum": 0, "maximum": 10},
                    },
                    "required": ["id", "relevance"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["scores"],
        "additionalProperties": False,
    }


class RelevanceCache:
    """Scores asked for in this pass, then the store's (when there is one)."""

    def __init__(self, db: Database | None) -> None:
        self.store = RelevanceStore(db) if db is not None else None
        self.memory: dict[tuple[str, str, str], int] = {}

    def get(self, model: str, prompt_hash: str, key: str) -> int | None:
        if (model, prompt_hash, key) in self.memory:
            return self.memory[(model, prompt_hash, key)]
        return self.store.get(model, prompt_hash, key) if self.store is not None else None

    def put(self, model: str, prompt_hash: str, values: dict[str, int]) -> None:
        for key, value in values.items():
            self.memory[(model, prompt_hash, key)] = value
        if self.store is not None and values:
            self.store.put_many(model, prompt_hash, values)


class RelevancePass:
    """Scores papers for one profile with an OpenAI-compatible chat model."""

    def __init__(
        self,
        client: Any,  # an openai.OpenAI
        where: Endpoint,
        settings: Settings,
        profile: Profile,
        db: Database | None,
        run_id: int | None = None,
    ) -> None:
        self.client = client
        self.where = where
        self.settings = settings
        self.model = settings.rank.llm_model or settings.llm.model
        self.calls = CallStore(db, run_id) if db is not None else None
        self.cache = RelevanceCache(db)
        self.env = prompt_environment(settings.llm.prompts_dir)
        recent = sorted(
            profile.positives,
            key=lambda item: item.when.timestamp() if item.when else 0.0,
            reverse=True,
        )
        self.interests = profile.interests
        self.picks = [item.title for item in recent[:MAX_PICKS_SHOWN]]
        self.prompt_hash = self._prompt_hash()
        self.failures = 0

    def _prompt_hash(self) -> str:
        digest = hashlib.sha256()
        for name in (SYSTEM, USER):
            digest.update(template_source(self.env, name).encode("utf-8") + b"\0")
        digest.update(json.dumps([self.interests, self.picks]).encode("utf-8"))
        return digest.hexdigest()[:16]

    def score(self, ranked: Sequence[RankedPaper]) -> dict[int, int]:
        """Relevance 0-10 by position in ``ranked``; positions that failed are left out."""
        keys = [text_hash(r.paper.text_for_matching) for r in ranked]
        found: dict[int, int] = {}
        todo: list[int] = []
        for index, key in enumerate(keys):
            cached = self.cache.get(self.model, self.prompt_hash, key)
            if cached is None:
                todo.append(index)
            else:
                found[index] = cached
        size = self.settings.rank.llm_batch_size
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            answers = self._ask([ranked[i] for i in batch])
            fresh = {i: answers[n] for n, i in enumerate(batch) if n in answers}
            self.cache.put(self.model, self.prompt_hash, {keys[i]: v for i, v in fresh.items()})
            found.update(fresh)
        return found

    def _messages(self, papers: Sequence[RankedPaper]) -> list[dict[str, str]]:
        items = [
            {
                "id": str(n + 1),
                "title": neutralize_delimiters(r.paper.title),
                "abstract": neutralize_delimiters(r.paper.abstract[:MAX_ABSTRACT_CHARS]),
            }
            for n, r in enumerate(papers)
        ]
        system = self.env.get_template(SYSTEM).render().strip()
        user = (
            self.env.get_template(USER)
            .render(interests=self.interests, picks=self.picks, papers=items)
            .strip()
        )
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def _ask(self, papers: Sequence[RankedPaper]) -> dict[int, int]:
        """One request; {position in batch: relevance}, empty on any failure."""
        started = time.monotonic()
        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=self._messages(papers),
                temperature=0,
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "relevance", "schema": _schema(), "strict": True},
                },
            )
        except openai.OpenAIError as exc:
            error = translate(exc, self.where, self.model).message
            self._log(started, 0, 0, call_status(exc), error)
            self._fail(error, len(papers))
            return {}
        usage = response.usage
        tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
        tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
        text = response.choices[0].message.content or ""
        try:
            parsed = RelevanceBatch.model_validate_json(text)
        except ValidationError:
            self._log(started, tokens_in, tokens_out, "error", "malformed answer")
            self._fail("malformed answer", len(papers))
            return {}
        self._log(started, tokens_in, tokens_out, "ok", None)
        wanted = {str(n + 1): n for n in range(len(papers))}
        return {wanted[s.id]: s.relevance for s in parsed.scores if s.id in wanted}

    def _fail(self, reason: str, count: int) -> None:
        self.failures += 1
        log.warning("LLM relevance pass: a batch of %d papers failed (%s)", count, reason)

    def _log(
        self,
        started: float,
        tokens_in: int,
        tokens_out: int,
        status: CallStatus,
        error: str | None,
    ) -> None:
        if self.calls is None:
            return
        call = CallLog(
            model=self.model,
            purpose="relevance",
            status=status,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost_usd=cost_usd(self.settings.llm, self.model, tokens_in, tokens_out),
            duration_ms=int((time.monotonic() - started) * 1000),
            error=error,
        )
        self.calls.log(call, prompt_hash=self.prompt_hash)


def llm_rerank(
    ranked: list[RankedPaper],
    profile: Profile,
    settings: Settings,
    db: Database | None = None,
    run_id: int | None = None,
) -> list[RankedPaper]:
    """Blend an LLM's relevance into the top ``[rank] llm_top_k`` and re-order them."""
    top_k = min(settings.rank.llm_top_k, len(ranked))
    if top_k == 0:
        return ranked
    where = endpoint(settings, "relevance")
    head = ranked[:top_k]
    with where.client() as client:
        scorer = RelevancePass(client, where, settings, profile, db, run_id)
        relevance = scorer.score(head)
    weight = settings.rank.llm_weight
    blended: list[tuple[float, int, RankedPaper]] = []
    for index, item in enumerate(head):
        if index in relevance:
            value = relevance[index]
            score = (1 - weight) * item.score + weight * value / 10
            why = "; ".join(p for p in (item.why, f"LLM relevance {value}/10") if p)
            item = item.model_copy(update={"score": score, "why": why})
        blended.append((item.score, index, item))
    blended.sort(key=lambda entry: (-entry[0], entry[1]))
    if scorer.failures:
        log.warning("LLM relevance pass: %d batches failed; their order kept", scorer.failures)
    return [entry[2] for entry in blended] + ranked[top_k:]
